"""Benchmarks that print figures: text-layer accuracy and speed on the real e-invoices, scan accuracy and speed.

    python -m bench.run textlayer            # real PDFs/OFDs: key-field accuracy, invoices/s on one core
    python -m bench.run scans --count 40     # generated scans + real photos: accuracy, accepted errors, s/page
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("INTAKE_REALDATA", ROOT.parent / "shared" / "realdata"))


def _load_test_module(name: str) -> Any:
    """The expected values live beside the tests that assert them; read them from there, not a copy."""
    sys.path.insert(0, str(ROOT / "tests"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def textlayer_cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    cases.update(_load_test_module("test_fields_realdata").CASES)
    cases.update(_load_test_module("test_ofd").EXPECTED)
    return cases


def bench_textlayer(rounds: int) -> list[str]:
    from bench.metrics import Tally
    from intake.pipeline import extract_file
    from intake.settings import load_settings

    settings = load_settings(env={})
    cases = {k: v for k, v in textlayer_cases().items() if (REALDATA / k).is_file()}
    if not cases:
        return [f"no real data at {REALDATA}"]
    tally = Tally()
    for rel, truth in cases.items():
        try:
            ex = extract_file(REALDATA / rel, settings)
        except Exception as e:  # a failure to read counts as every field wrong
            print(f"{rel}: {e}", file=sys.stderr)
            ex = None
        tally.add_extraction(rel, ex, [truth])
    # Throughput on one core: warm process, every file, several rounds; invoices per second.
    per_round = []
    invoices = 0
    for _ in range(rounds):
        t = time.perf_counter()
        invoices = 0
        for rel in cases:
            invoices += len(extract_file(REALDATA / rel, settings).invoices)
        per_round.append(time.perf_counter() - t)
    best = min(per_round)
    lines = tally.lines(f"text layer: {len(cases)} real e-invoice files (PDF and OFD)")
    lines.append(f"throughput one core        {invoices / best:.1f} invoices/s (best of {rounds} rounds; median {invoices / statistics.median(per_round):.1f})")
    # Process start included: `intake extract FILE --json` as a user runs it.
    sample = next(iter(cases))
    starts = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import cli; cli.main()", "extract", str(REALDATA / sample), "--json"],
                       check=True, capture_output=True, cwd=ROOT)
        starts.append(time.perf_counter() - t)
    lines.append(f"intake extract, cold proc  {min(starts):.2f} s best of 3 ({Path(sample).name})")
    lines.extend("  " + e for e in tally.errors[:40])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("what", choices=["textlayer", "scans", "all"])
    parser.add_argument("--count", type=int, default=40, help="generated scan cases")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baselines", action="store_true", help="also time plain PaddleOCR and raw onnxruntime")
    parser.add_argument("--rows", type=Path, help="scans: write one JSON line per invoice scored (values, truth, status, reasons)")
    args = parser.parse_args(argv)
    out: list[str] = []
    if args.what in ("textlayer", "all"):
        out += bench_textlayer(args.rounds)
    if args.what in ("scans", "all"):
        from bench.scans import bench_scans

        out += bench_scans(args.count, args.seed, baselines=args.baselines, rows=args.rows)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
