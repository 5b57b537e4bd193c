"""Memory over a long batch: the scan pipeline on ~100 pages in one process (the checked-in scans, cycled), RSS every 10 pages.

    python -m bench.memory --pages 100 --threads 1

Flat means: after the first few pages (models loaded, onnxruntime's arena and caches warm) RSS
stops growing; the last line prints the growth over the second half of the run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANS = sorted((ROOT / "samples" / "set").glob("*.jpg")) + [ROOT / "samples" / "set" / "image_pdf_0001.pdf"]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run(pages: int, every: int, threads: int, files: list[Path]) -> list[str]:
    from intake.pipeline import extract_file
    from intake.settings import load_settings

    data = Path(tempfile.mkdtemp(prefix="fapiao-memory-"))
    settings = load_settings(env={}, data_dir=data, ocr_threads=threads)
    out = [f"start: {rss_mb():.0f} MB RSS (imports only); {len(files)} files cycled, {threads or 'default'} OCR thread(s)"]
    print(out[-1], flush=True)
    done, samples, i = 0, [], 0
    t0 = time.perf_counter()
    while done < pages:
        path = files[i % len(files)]
        i += 1
        ex = extract_file(path, settings)
        before = done
        done += ex.page_count
        if done // every > before // every:
            samples.append((done, rss_mb()))
            out.append(f"{done:4d} pages  {samples[-1][1]:7.0f} MB RSS  {(time.perf_counter() - t0) / done:.2f} s/page")
            print(out[-1], flush=True)
    half = [mb for n, mb in samples if n > done / 2]
    peak = max(mb for _, mb in samples)
    if half:
        out.append(f"second half: {half[0]:.0f} -> {half[-1]:.0f} MB ({half[-1] - half[0]:+.0f} MB over {done - done // 2} pages); peak {peak:.0f} MB")
        print(out[-1], flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="OCR threads (a worker of `intake scan --workers 2` on 2 cores uses 1)")
    parser.add_argument("files", nargs="*", type=Path, help="files to cycle (default: the checked-in scans)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    run(args.pages, args.every, args.threads, args.files or SCANS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
