"""Scan benchmark: generated scans and the real photos through `extract_file`, scored against truth, timed by stage, and (with --baselines) the same pages through plain full-page PaddleOCR and raw onnxruntime.

    python -m bench.run scans --count 40 --seed 1000 --baselines

Generated cases are cached per seed in the temp folder, so a rerun only re-reads them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.metrics import Tally
from intake import normal
from intake.invoice import KEY_FIELDS, Extraction

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("INTAKE_REALDATA", ROOT.parent / "shared" / "realdata"))
SCAN_KINDS = ("paper_special", "paper_normal", "phone_photo", "image_pdf")
CACHE = Path(tempfile.gettempdir()) / "fapiao-bench-scans"
# One-off costs, reported apart from the per-page figures.
ONCE = ("ocr_load",)
log = logging.getLogger("bench.scans")


@dataclass
class Result:
    name: str
    path: Path
    truth: dict[str, Any] | None  # None: a non-invoice
    extraction: Extraction | None
    error: str = ""


def generated_cases(count: int, seed: int, kinds: tuple[str, ...] = SCAN_KINDS) -> list[tuple[Path, dict[str, Any]]]:
    """`count` generated scans (seeds seed..seed+count-1, cycling through kinds), written once into the cache."""
    from samples.generate import generate

    out_dir = CACHE / f"seed{seed}"
    cases = []
    for i in range(count):
        kind, s = kinds[i % len(kinds)], seed + i
        stem = f"{kind}_{s:04d}"
        truth_path = out_dir / f"{stem}.truth.json"
        found = [p for p in out_dir.glob(stem + ".*") if not p.name.endswith(".truth.json")] if truth_path.is_file() else []
        if not found:
            case = generate(s, kind, out_dir)
            found = [case.path]
        cases.append((found[0], json.loads(truth_path.read_text(encoding="utf-8"))))
    return cases


def run_cases(cases: list[tuple[Path, dict[str, Any] | None]], settings) -> list[Result]:
    from intake.errors import IntakeError
    from intake.pipeline import extract_file

    results = []
    for path, truth in cases:
        try:
            ex = extract_file(path, settings)
            results.append(Result(path.name, path, truth, ex))
        except IntakeError as e:
            results.append(Result(path.name, path, truth, None, f"{type(e).__name__}: {e}"))
    return results


def tally(results: list[Result]) -> Tally:
    t = Tally()
    for r in results:
        if r.truth is None:
            continue
        t.add_extraction(r.name, r.extraction, [r.truth])
    for key in ONCE:
        t.seconds.pop(key, None)
    return t


def real_cases() -> tuple[list[tuple[Path, dict[str, Any]]], list[Path]]:
    from bench.realdata_truth import IMAGES, NON_INVOICES

    images = [(REALDATA / rel, truth) for rel, truth in IMAGES.items() if (REALDATA / rel).is_file()]
    others = [REALDATA / rel for rel in NON_INVOICES if (REALDATA / rel).is_file()]
    return images, others


def verbatim_share(texts: list[str], truth: dict[str, Any]) -> tuple[int, int]:
    """(found, total): key values of the truth that appear verbatim in the page's OCR text (spaces removed)."""
    blob = normal.halfwidth_ascii("".join(texts)).replace(" ", "")
    found = total = 0
    for name in KEY_FIELDS:
        want = truth.get(name)
        if not want or name == "invoice_type":
            continue
        total += 1
        if name == "issue_date":
            y, m, d = want.split("-")
            found += f"{y}年{m}月{d}日" in blob
        else:
            found += want in blob
    return found, total


# --- baselines ------------------------------------------------------------------


class PlainPaddle:
    """PaddleOCR 3.x full-page pipeline on the same local models: no cleanup, no 密码区 skip, orientation off."""

    def __init__(self, settings) -> None:
        from intake.ocr import OFFLINE_ENV, model_set, prepare_model_dir, thread_count

        for k, v in OFFLINE_ENV.items():
            os.environ.setdefault(k, v)
        from paddleocr import PaddleOCR

        det, rec = model_set(settings.ocr_model)
        self.ocr = PaddleOCR(
            text_detection_model_name=det.name, text_detection_model_dir=str(prepare_model_dir(det, settings)),
            text_recognition_model_name=rec.name, text_recognition_model_dir=str(prepare_model_dir(rec, settings)),
            use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False,
            text_det_limit_side_len=960, text_det_limit_type="max", engine="onnxruntime", device="cpu",
            # The same thread count as ours (onnxruntime's default is every core), so the timings compare.
            engine_config={"intra_op_num_threads": thread_count(settings)},
        )

    def read(self, image) -> list[str]:
        result = next(iter(self.ocr.predict(image)))
        return [str(t) for t in result["rec_texts"]]


class RawOnnx:
    """The same det + rec ONNX files called directly (DB threshold map + connected components, 48-px line crops): time only."""

    def __init__(self, settings) -> None:
        import onnxruntime as ort

        from intake.ocr import check_model, model_set

        det, rec = model_set(settings.ocr_model)
        from intake.ocr import thread_count

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = thread_count(settings)
        self.det = ort.InferenceSession(check_model(det).path, opts, providers=["CPUExecutionProvider"])
        self.rec = ort.InferenceSession(check_model(rec).path, opts, providers=["CPUExecutionProvider"])

    def read(self, image) -> int:
        import cv2
        import numpy as np

        h, w = image.shape[:2]
        scale = min(1.0, 960 / max(h, w))
        rh, rw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        x = cv2.resize(image, (rw, rh)).astype(np.float32) / 255.0
        x = ((x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)).transpose(2, 0, 1)[None].astype(np.float32)
        prob = self.det.run(None, {self.det.get_inputs()[0].name: x})[0][0, 0]
        n, _, stats, _ = cv2.connectedComponentsWithStats((prob > 0.3).astype(np.uint8))
        crops = []
        for i in range(1, n):
            bx, by, bw, bh, area = stats[i]
            if area < 10:
                continue
            pad = int(bh * 0.8)
            x0, y0 = int((bx - pad) * w / rw), int((by - pad) * h / rh)
            x1, y1 = int((bx + bw + pad) * w / rw), int((by + bh + pad) * h / rh)
            crop = image[max(0, y0):y1, max(0, x0):x1]
            if crop.size == 0:
                continue
            cw = min(1280, max(16, int(48 * crop.shape[1] / max(crop.shape[0], 1))))
            crops.append(cv2.resize(crop, (cw, 48)))
        crops.sort(key=lambda c: c.shape[1])
        name = self.rec.get_inputs()[0].name
        for start in range(0, len(crops), 8):
            batch = crops[start:start + 8]
            width = max(c.shape[1] for c in batch)
            arr = np.zeros((len(batch), 3, 48, width), np.float32)
            for j, c in enumerate(batch):
                arr[j, :, :, : c.shape[1]] = ((c.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
            self.rec.run(None, {name: arr})
        return len(crops)


def baselines(results: list[Result], settings) -> list[str]:
    """Plain PaddleOCR and raw onnxruntime on the same pages as loaded; ours from the results' page texts.

    Ours is timed again page by page between the two (same page, same minute): on a machine whose other work comes
    and goes, a pass of ours minutes before a pass of the baselines compares the load, not the code."""
    from intake.pages import PageKind
    from intake.pipeline import extract_file, load
    from intake.preflight import preflight

    t = time.perf_counter()
    plain = PlainPaddle(settings)
    plain_load = time.perf_counter() - t
    t = time.perf_counter()
    raw = RawOnnx(settings)
    raw_load = time.perf_counter() - t
    seconds: Counter = Counter()
    stages: Counter = Counter()
    found: Counter = Counter()
    pages = 0
    for r in results:
        if r.truth is None:
            continue
        images = [p.image for p in load(preflight(r.path, settings), settings) if p.kind == PageKind.IMAGE and p.image is not None]
        if len(images) == 1 and r.extraction is not None:
            ex = extract_file(r.path, settings)
            timed = {k: v for k, v in ex.timings.items() if k not in ONCE}
            stages.update(timed)
            seconds["ours"] += sum(timed.values())
            seconds["ours_pages"] += 1
        for image in images[:1]:
            pages += 1
            t = time.perf_counter()
            texts = plain.read(image)
            seconds["plain"] += time.perf_counter() - t
            t = time.perf_counter()
            raw.read(image)
            seconds["raw"] += time.perf_counter() - t
            a, n = verbatim_share(texts, r.truth)
            found["plain"] += a
            found["total"] += n
    if not pages:
        return ["baselines: no image pages"]
    pct = lambda a: f"{100.0 * a / max(found['total'], 1):.1f}%"
    ours_pages = max(seconds["ours_pages"], 1)
    split = ", ".join(f"{k} {v / ours_pages:.3f}" for k, v in stages.most_common())
    return [
        f"-- baselines on the same {pages} pages as loaded (models loaded once: plain {plain_load:.1f} s, raw {raw_load:.1f} s)",
        f"ours, timed beside them    {seconds['ours'] / ours_pages:.3f} s/page end to end ({split}; {seconds['ours_pages']} one-page files)",
        f"plain PaddleOCR full page  {seconds['plain'] / pages:.3f} s/page; key values verbatim in its text {pct(found['plain'])}",
        f"raw onnxruntime det+rec    {seconds['raw'] / pages:.3f} s/page (inference only, no decoding)",
    ]


def write_rows(path: Path, *groups: tuple[list[Result], Tally]) -> None:
    """One JSON line per invoice scored: every field's value, truth, status, confidence, reasons and support, with the
    case's error if it had one. For asking what held or misread invoices without rerunning the scans."""
    with path.open("w", encoding="utf-8") as f:
        for results, t in groups:
            errors = {r.name: r.error for r in results if r.error}
            for row in t.rows:
                if row["case"] in errors:
                    row = {**row, "error": errors[row["case"]]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def bench_scans(count: int = 40, seed: int = 1000, baselines: bool = False, *, settings=None,
                rows: Path | None = None) -> list[str]:
    from intake.settings import load_settings

    logging.getLogger("ppocr").setLevel(logging.ERROR)
    settings = settings or load_settings(env={})
    out: list[str] = []
    t = time.perf_counter()
    cases = generated_cases(count, seed)
    out.append(f"generated {len(cases)} scans (seeds {seed}..{seed + count - 1}, {', '.join(SCAN_KINDS)}) in {time.perf_counter() - t:.1f} s")
    gen = run_cases(cases, settings)
    load_once = sum(r.extraction.timings.get("ocr_load", 0.0) for r in gen if r.extraction)
    g = tally(gen)
    out += g.lines(f"generated scans: {len(cases)}")
    out.append(f"model load (once)         {load_once:.2f} s")
    by_kind: dict[str, Tally] = {}
    for r in gen:
        kind = re.sub(r"_\d+$", "", r.path.stem)
        by_kind.setdefault(kind, Tally()).add_extraction(r.name, r.extraction, [r.truth])
    for kind, k in sorted(by_kind.items()):
        out.append(f"  {kind:14s} accuracy {100.0 * k.correct / max(k.fields, 1):.2f}%, accepted wrong {k.accepted_wrong}/{k.accepted}, "
                   f"straight-through {k.straight_through}/{k.invoices}")
    out += ["  " + e for e in g.errors[:60]]
    out += [f"  {r.name}: {r.error}" for r in gen if r.error]
    out += known_parties(gen, settings)

    images, others = real_cases()
    scored = [(gen, g)]
    if images:
        real = run_cases(images, settings)
        rt = tally(real)
        scored.append((real, rt))
        out += rt.lines(f"real photos and scans: {len(images)} ({REALDATA})")
        out += ["  " + e for e in rt.errors]
        out += [f"  {r.name}: {r.error}" for r in real if r.error]
        out += known_parties(real, settings)
        non = run_cases([(p, None) for p in others], settings)
        for r in non:
            invs = r.extraction.invoices if r.extraction else []
            accepted = [n for inv in invs for n in KEY_FIELDS if inv.fields[n].status == "accepted" and inv.fields[n].value]
            straight = [inv for inv in invs if not inv.needs_review]
            out.append(f"non-invoice {r.name}: {len(invs)} invoice(s), {len(straight)} straight-through, "
                       f"accepted non-empty key fields {accepted or 'none'}{' (' + r.error + ')' if r.error else ''}")
    else:
        out.append(f"no real images at {REALDATA}")
    if rows:
        write_rows(rows, *scored)
    if baselines:
        stages = {k: v / max(g.pages, 1) for k, v in g.seconds.items()}
        ours_ocr = stages.get("detection", 0.0) + stages.get("recognition", 0.0)
        out.append(f"-- ours on the same pages: {sum(stages.values()):.3f} s/page end to end, of which det+rec {ours_ocr:.3f}")
        out += _baselines(gen, settings)
    return out


_baselines = baselines


# --- the known-parties register (intake.parties) ----------------------------------------


def _pairs(truth: dict[str, Any], side: str) -> dict[str, str]:
    tax, name = truth.get(f"{side}_tax_id"), truth.get(f"{side}_name")
    return {tax: name} if tax and name else {}


def known_parties(results: list[Result], settings) -> list[str]:
    """The same readings held against a register: holding the clerk's own company (the buyer), holding every
    party, and holding every tax id under another company's name (a renamed party: nothing may be accepted wrong)."""
    import copy

    from intake.parties import check_parties
    from intake.scoring import score
    from intake.validate import validate

    # Truths without both parties (a real image whose buyer nobody transcribed) hold what they have.
    cases = [r for r in results if r.extraction and r.truth]
    names = [r.truth[f] for r in cases for f in ("buyer_name", "seller_name") if r.truth.get(f)]
    def approved_before(t, i):  # the register as it grows: every earlier invoice approved by a reviewer
        return {c.truth[k]: c.truth[n] for c in cases[:i] for n, k in (("buyer_name", "buyer_tax_id"), ("seller_name", "seller_tax_id"))
                if c.truth.get(k) and c.truth.get(n)}

    registers = {
        "earlier ones approved": approved_before,
        "own company known": lambda t, i: _pairs(t, "buyer"),
        "every party known": lambda t, i: {**_pairs(t, "buyer"), **_pairs(t, "seller")},
        "every tax id renamed": lambda t, i: {k: names[(2 * i + 7 + j) % len(names)]
                                             for j, k in enumerate([*_pairs(t, "buyer"), *_pairs(t, "seller")])},
    }
    out = []
    for title, register in registers.items():
        t = Tally()
        for i, r in enumerate(cases):
            ex = copy.deepcopy(r.extraction)
            for inv in ex.invoices:
                check_parties(inv, register(r.truth, i))
                validate(inv)
                score(inv, settings)
            t.add_extraction(r.name, ex, [r.truth])
        out.append(f"register: {title:22s} accuracy {100.0 * t.correct / max(t.fields, 1):.2f}%, accepted wrong "
                   f"{t.accepted_wrong}/{t.accepted}, straight-through {t.straight_through}/{t.invoices} "
                   f"({100.0 * t.straight_through / max(t.invoices, 1):.1f}%)")
    return out


# --- calibration (see intake/scoring.py for the method and the figures) -------------


def calibrate(count: int, seeds: list[int], settings=None) -> list[str]:
    """Grid over the OCR priors and the threshold on the calibration seeds: the most straight-through with no wrong key field accepted."""
    from intake.settings import load_settings

    settings = settings or load_settings(env={})
    invoices = []
    for seed in seeds:
        results = run_cases(generated_cases(count, seed), settings)
        invoices += [(r.extraction.invoices[0], r.truth) for r in results if r.extraction and r.extraction.invoices]
    title = ", ".join(f"{seed}..{seed + count - 1}" for seed in seeds)
    return [f"calibration on {len(invoices)} generated scans ({settings.ocr_model}), seeds {title}", *calibration_grid(invoices, settings)]


# The field classes the grid fits: company names, and the codes, dates, tax ids and figures (digits and short tokens).
NAME_FIELDS = ("buyer_name", "seller_name")
DIGIT_FIELDS = ("invoice_code", "invoice_number", "issue_date", "check_code", "machine_number", "buyer_tax_id",
                "seller_tax_id", "total_amount", "total_tax", "amount_with_tax")


def calibration_grid(invoices: list[tuple[Any, dict[str, Any]]], settings) -> list[str]:
    """The grid itself, over (invoice, truth) pairs already read: each invoice is scored again per grid point."""
    import itertools

    import dataclasses

    from intake.scoring import FIELD_RULES, MISS, Rules, score

    lines = []
    best = None
    # A threshold the support facts reach alone would accept a name whatever its recognizer's score: the error
    # term is clamped at 1, and 1 x format_ok x glyphs_agree = 0.1, so at 0.90 every name the second model spells
    # the same is accepted, even one whose first reading was doubted. Such points are printed, never chosen.
    support_alone = 1.0 - MISS["format_ok"] * min(MISS["glyphs_agree"], MISS["reread_agrees"])
    for prior_name, prior_digits, threshold in itertools.product((5, 10, 15, 20, 30, 40), (5, 10, 20), (0.9, 0.95, 0.98)):
        fields = {n: dataclasses.replace(r, prior=prior_name if n in NAME_FIELDS else prior_digits if n in DIGIT_FIELDS else r.prior)
                  for n, r in FIELD_RULES.items()}
        rules = Rules(fields=fields, threshold=threshold)
        wrong = straight = 0
        for inv, truth in invoices:
            score(inv, settings, rules)
            straight += not inv.needs_review
            wrong += sum(inv.fields[n].status == "accepted" and inv.fields[n].value != truth[n]
                         for n in KEY_FIELDS if truth.get(n) is not None)
        # At a tie keep the shipped threshold and take the stricter priors (the loosest error-free setting is one step from an error).
        admissible = threshold > support_alone + 1e-9
        key = (admissible, wrong == 0, straight, threshold == 0.95, prior_name, prior_digits)
        lines.append(f"  prior_name {prior_name:>3} prior_digits {prior_digits:>3} threshold {threshold:.2f}: "
                     f"accepted wrong {wrong}, straight-through {straight}/{len(invoices)}"
                     + ("" if admissible else " (support alone reaches the threshold: not chosen)"))
        if best is None or key > best[0]:
            best = (key, prior_name, prior_digits, threshold)
    lines.append(f"chosen: prior_name {best[1]}, prior_digits {best[2]}, threshold {best[3]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.scans")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, action="append", help="first seed (default 1000); --calibrate takes several")
    parser.add_argument("--baselines", action="store_true")
    parser.add_argument("--rows", type=Path, help="write one JSON line per invoice scored (values, truth, status, reasons)")
    parser.add_argument("--calibrate", action="store_true", help="fit the scoring priors on these seeds (use calibration seeds)")
    args = parser.parse_args(argv)
    seeds = args.seed or [1000]
    if args.calibrate:
        print("\n".join(calibrate(args.count, seeds)))
        return 0
    print("\n".join(bench_scans(args.count, seeds[0], baselines=args.baselines, rows=args.rows)))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    raise SystemExit(main())
