"""Soak run of the folder watcher: ≥1,000 mixed files, one kill -9 in the middle; then `scan` throughput with 1 and 2 workers.

    python bench/soak.py --out /tmp/soak --files 1000 --scans 20 --workers 2

Prints files, seconds, files lost (must be 0) and double records (must be 0), and writes
the figures to OUT/soak-result.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from intake.database import Database  # noqa: E402
from intake.schema import Document, DocumentStatus, Event, InvoiceRecord  # noqa: E402
from intake.settings import load_settings  # noqa: E402

REALDATA = Path(os.environ.get("INTAKE_REALDATA", ROOT.parent / "shared" / "realdata"))
SETTLED = re.compile(r"^\S+ \S+ (recorded|needs_review|failed|duplicate_file)\s+(\S.*?): ")
E_KINDS = ["e_normal_pdf", "digital_pdf"]
SCAN_KINDS = ["paper_special", "phone_photo", "image_pdf", "paper_normal"]


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def build_set(src: Path, files: int, scans: int, seed: int) -> dict[str, int]:
    """Distinct e-invoices and scans, real text PDFs, byte-identical copies under other names, corrupt files."""
    from samples.generate import generate_set

    rng = random.Random(seed)
    gen = src.parent / "generated"
    n_dup = files // 12
    n_corrupt = max(4, files // 50)
    real = sorted(p for p in REALDATA.rglob("*.pdf") if "invoice2data" not in str(p)) if REALDATA.is_dir() else []
    n_e = files - n_dup - n_corrupt - scans - len(real)
    cases = generate_set(gen, n_e, seed, E_KINDS) + (generate_set(gen, scans, seed + 100_000, SCAN_KINDS) if scans else [])
    originals: list[Path] = []
    for i, case in enumerate(cases):
        dst = src / f"box{i % 10}" / case.path.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case.path, dst)
        originals.append(dst)
    for p in real:
        dst = src / "real" / p.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dst)
        originals.append(dst)
    for i in range(n_dup):
        p = rng.choice(originals)
        dst = src / "copies" / f"copy{i:04d}_{p.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dst)
    for i in range(n_corrupt):
        dst = src / "corrupt" / f"corrupt{i:03d}.pdf"
        dst.parent.mkdir(parents=True, exist_ok=True)
        if i % 2:
            dst.write_bytes(b"%PDF-1.7\n" + rng.randbytes(5000))
        else:
            body = rng.choice(originals).read_bytes()
            dst.write_bytes(body[: len(body) // 3])  # cut off mid-transfer
    shutil.rmtree(gen)
    return {"e_invoices": n_e, "scans": scans, "real_pdfs": len(real), "copies": n_dup, "corrupt": n_corrupt}


class Watcher:
    def __init__(self, inbox: Path, data: Path, workers: int, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        env["INTAKE_DATA_DIR"] = str(data)
        self.log = log.open("a", encoding="utf-8")
        cmd = [sys.executable, "-c", "import cli; cli.main()", "watch", str(inbox), "--poll", "0.5",
               "--stability", "1", "--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, env=env, cwd=data.parent, stderr=subprocess.PIPE, text=True)
        self.settled = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.write(line)
            if SETTLED.match(line):
                self.settled += 1

    def close(self) -> None:
        self.reader.join(timeout=30)
        self.log.close()


def files_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def soak(out: Path, src: Path, workers: int) -> dict:
    inbox, data, done, failed = out / "watch" / "inbox", out / "watch" / "data", out / "watch" / "done", out / "watch" / "failed"
    if (out / "watch").exists():
        shutil.rmtree(out / "watch")
    inbox.mkdir(parents=True)
    data.mkdir()
    all_files = files_below(src)
    rels = [str(p.relative_to(src)) for p in all_files]
    random.Random(1).shuffle(rels)
    first_half = len(rels) * 6 // 10

    def drop(batch: list[str]) -> None:
        for rel in batch:
            dst = inbox / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(dst.name + ".part")  # as a careful copier does: write, then rename
            shutil.copyfile(src / rel, tmp)
            os.replace(tmp, dst)

    log = out / "watch.log"
    log.unlink(missing_ok=True)
    drop(rels[:first_half])
    started = time.perf_counter()
    w = Watcher(inbox, data, workers, log)
    dropper = threading.Thread(target=drop, args=(rels[first_half:],))
    dropper.start()
    while w.settled < len(rels) * 4 // 10:
        if w.proc.poll() is not None:
            raise SystemExit(f"watcher exited early, see {log}")
        time.sleep(0.05)
    w.proc.send_signal(signal.SIGKILL)
    w.proc.wait()
    w.close()
    killed_after = w.settled
    w2 = Watcher(inbox, data, workers, log)
    dropper.join()
    while files_below(inbox):
        if w2.proc.poll() is not None:
            raise SystemExit(f"restarted watcher exited early, see {log}")
        time.sleep(0.2)
    w2.proc.send_signal(signal.SIGTERM)
    code = w2.proc.wait()
    w2.close()
    seconds = time.perf_counter() - started

    moved = {str(p.relative_to(done)) for p in files_below(done)} | {
        str(p.relative_to(failed)) for p in files_below(failed) if not p.name.endswith(".error.txt")
    }
    lost = [r for r in rels if r not in moved]
    extra = sorted(moved - set(rels))
    shas = {sha(src / r) for r in rels}
    db = Database(load_settings(env={}, data_dir=data).database_url)
    with db.session() as s:
        docs = {d.sha256: d for d in s.scalars(select(Document))}
        extracted = dict(s.execute(
            select(Event.document_id, func.count()).where(Event.stage == "extracted").group_by(Event.document_id)
        ).all())
        invoices = s.scalar(select(func.count()).select_from(InvoiceRecord))
        processing = sum(1 for d in docs.values() if d.status == DocumentStatus.PROCESSING)
        failed_docs = sum(1 for d in docs.values() if d.status == DocumentStatus.FAILED)
    db.dispose()
    missing_docs = len(shas - set(docs))
    doubles = (len(docs) - len(shas & set(docs))) + sum(max(0, n - 1) for n in extracted.values())
    return {
        "files": len(rels),
        "distinct_contents": len(shas),
        "seconds": round(seconds, 1),
        "files_per_second": round(len(rels) / seconds, 2),
        "killed_after_settled": killed_after,
        "files_lost": len(lost) + missing_docs,
        "double_records": doubles,
        "unexpected_files_in_done_or_failed": len(extra),
        "documents": len(docs),
        "documents_failed": failed_docs,
        "documents_left_processing": processing,
        "invoice_records": invoices,
        "watcher_exit_code_after_sigterm": code,
        "lost_examples": lost[:5],
    }


def scan_throughput(out: Path, src: Path, workers: int) -> dict:
    data = out / f"scan{workers}"
    if data.exists():
        shutil.rmtree(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["INTAKE_DATA_DIR"] = str(data)
    n = len(files_below(src))
    started = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "scan", str(src), "--workers", str(workers)],
                       env=env, cwd=out, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (out / f"scan{workers}.log").write_text(r.stdout + r.stderr, encoding="utf-8")
    locked = "database is locked" in (r.stdout + r.stderr)
    return {"workers": workers, "files": n, "seconds": round(seconds, 1), "files_per_second": round(n / seconds, 2),
            "exit_code": r.returncode, "database_locked_reported": locked}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=20, help="how many of the files are scans or photos (OCR, slow)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers of the soaked watcher")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-soak", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    src = out / "src"
    result: dict = {}
    if not src.is_dir():
        t = time.perf_counter()
        result["set"] = build_set(src, args.files, args.scans, args.seed)
        result["set"]["build_seconds"] = round(time.perf_counter() - t, 1)
        print(f"built {len(files_below(src))} files in {src}: {result['set']}", flush=True)
    if not args.skip_soak:
        result["soak"] = soak(out, src, args.workers)
        s = result["soak"]
        print(f"soak: {s['files']} files, {s['seconds']} s, files lost {s['files_lost']}, "
              f"double records {s['double_records']}  ({json.dumps(s, ensure_ascii=False)})", flush=True)
    if not args.skip_scan:
        result["scan"] = [scan_throughput(out, src, w) for w in (1, 2)]
        for r in result["scan"]:
            print(f"scan --workers {r['workers']}: {r['files']} files in {r['seconds']} s = {r['files_per_second']} files/s "
                  f"(exit {r['exit_code']}, database locked: {r['database_locked_reported']})", flush=True)
    (out / "soak-result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = not result.get("soak") or (result["soak"]["files_lost"] == 0 and result["soak"]["double_records"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
