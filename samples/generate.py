"""Write synthetic invoices and their ground truth: `generate` one case, `generate_set` many, and the command line."""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python samples/generate.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image

from samples import capture, forms, marks
from samples.content import InvoiceData, make_invoice
from samples.painter import PdfPainter

KINDS = ("paper_special", "paper_normal", "phone_photo", "image_pdf", "e_normal_pdf", "digital_pdf")
# The checked-in set (samples/set): seeds picked so that every kind and variant shows up once or more —
# 专票 发票联 and 抵扣联, 普票 with 10- and 12-digit codes, 数电 专/普, a 电子普票 with a 销货清单 page.
CHECKED_IN: tuple[tuple[str, int], ...] = (
    ("paper_special", 1), ("paper_special", 3), ("paper_normal", 1), ("paper_normal", 2),
    ("phone_photo", 2), ("phone_photo", 5), ("image_pdf", 1),
    ("e_normal_pdf", 1), ("e_normal_pdf", 3), ("digital_pdf", 1), ("digital_pdf", 2), ("paper_special", 4),
)
SET_DIR = Path(__file__).resolve().parent / "set"
log = logging.getLogger("samples.generate")


@dataclass
class Case:
    """One generated file and its ground truth (the contract fields in normal form, plus items and the QR payload)."""

    kind: str
    seed: int
    path: Path
    truth_path: Path
    truth: dict


def _rngs(seed: int, kind: str) -> tuple[random.Random, np.random.Generator]:
    index = KINDS.index(kind)
    return random.Random(f"fapiao-samples:{seed}:{kind}"), np.random.default_rng([seed, index])


def _paper_invoice(rng: random.Random, kind: str) -> InvoiceData:
    if kind == "paper_special":
        invoice_type = "vat_special"
    elif kind == "paper_normal":
        invoice_type = "vat_normal"
    else:
        invoice_type = rng.choice(("vat_special", "vat_special", "vat_normal"))
    inv = make_invoice(rng, invoice_type)
    inv.copy_label = rng.choice(("发票联", "抵扣联")) if invoice_type == "vat_special" else "发票联"
    return inv


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def _text_pdf(inv: InvoiceData, kind: str, nrng: np.random.Generator) -> bytes:
    from reportlab.pdfgen import canvas as rl_canvas

    buf = io.BytesIO()
    k = 6.0  # px/mm for the raster stamps embedded in the PDF
    qr = marks.qr_image(inv.qr_payload)
    if kind == "digital_pdf":
        w, h = 210.0, 140.0
        c = rl_canvas.Canvas(buf, pagesize=(w * PdfPainter.MM, h * PdfPainter.MM), invariant=1)
        c.setTitle("电子发票")
        c.setCreator("fapiao-samples")
        p = PdfPainter(c, h)
        sup = marks.inked(marks.supervision_seal(inv.region, inv.bureau, k), nrng, 0.3)
        forms.digital_page(p, inv, (156, 40, 36), (0, 0, 0), qr=qr, seal=sup)
        c.showPage()
    else:
        w, h = 215.0, 139.0
        c = rl_canvas.Canvas(buf, pagesize=(w * PdfPainter.MM, h * PdfPainter.MM), invariant=1)
        c.setTitle("电子发票")
        c.setCreator("fapiao-samples")
        p = PdfPainter(c, h)
        brown = (150, 84, 40)
        forms.classic_form(p, inv, 8.5, 29.5, brown, paper=False, title_size=7.0)
        forms.classic_content(p, inv, 8.5, 29.5, (0, 0, 0), paper=False, qr=qr)
        sup = marks.inked(marks.supervision_seal(inv.region, inv.bureau, k), nrng, 0.15)
        p.image_at(8.5 + forms.FW / 2 - 14, 3.0, 28, 19, sup)
        seal = marks.seller_seal(inv.seller.name, inv.seller.tax_id, k)
        p.image_at(8.5 + 158, 29.5 + forms.FH - 22, 36, 27, seal)
        c.showPage()
        if inv.goods_list:
            c.setPageSize((215.9 * PdfPainter.MM, 279.4 * PdfPainter.MM))
            lp = PdfPainter(c, 279.4)
            forms.goods_list_page(lp, inv, brown, (0, 0, 0), seal=seal)
            c.showPage()
    c.save()
    return buf.getvalue()


def invoice_for(seed: int, kind: str) -> InvoiceData:
    """The invoice that `render(seed, kind)` draws, without drawing it (its truth depends on Python's `random` only)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    rng, _ = _rngs(seed, kind)
    if kind == "e_normal_pdf":
        return make_invoice(rng, "vat_electronic_normal", goods_list=rng.random() < 0.15)
    if kind == "digital_pdf":
        return make_invoice(rng, rng.choice(("digital_special", "digital_normal")))
    return _paper_invoice(rng, kind)


def render(seed: int, kind: str) -> tuple[bytes, str, InvoiceData]:
    """The file's bytes, its extension and the invoice it shows."""
    inv = invoice_for(seed, kind)
    _, nrng = _rngs(seed, kind)
    if kind in ("e_normal_pdf", "digital_pdf"):
        return _text_pdf(inv, kind, nrng), ".pdf", inv
    if kind == "phone_photo":
        sheet = capture.sheet(inv, nrng, float(nrng.uniform(5.8, 6.6)))
        return _jpeg(capture.photo(sheet, nrng), 85), ".jpg", inv
    dpi = int(nrng.choice([200, 200, 220, 250])) if kind != "image_pdf" else 200
    sheet = capture.sheet(inv, nrng, dpi / 25.4)
    scanned = capture.scan(sheet, nrng)
    if kind == "image_pdf":
        buf = io.BytesIO()
        # Dates fixed (to the scan's day) so the same seed gives the same bytes.
        scanned_on = time.strptime(inv.issued.isoformat(), "%Y-%m-%d")
        Image.open(io.BytesIO(_jpeg(scanned, 82))).save(
            buf, "PDF", resolution=float(dpi), creationDate=scanned_on, modDate=scanned_on, producer="scanner"
        )
        return buf.getvalue(), ".pdf", inv
    return _jpeg(scanned, int(nrng.integers(80, 91))), ".jpg", inv


def truth_of(inv: InvoiceData, kind: str, seed: int) -> dict:
    truth = inv.truth()
    truth["meta"] = {"kind": kind, "seed": seed, "pages": 2 if inv.goods_list else 1}
    return truth


def generate(seed: int, kind: str, out_dir: Path) -> Case:
    """Write `<kind>_<seed>.<ext>` and `<kind>_<seed>.truth.json` into `out_dir`; the same seed gives the same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data, ext, inv = render(seed, kind)
    stem = f"{kind}_{seed:04d}"
    path = out_dir / (stem + ext)
    path.write_bytes(data)
    truth = truth_of(inv, kind, seed)
    truth_path = out_dir / (stem + ".truth.json")
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return Case(kind, seed, path, truth_path, truth)


def generate_set(out_dir: Path, count: int, seed: int = 0, kinds: tuple[str, ...] | list[str] = KINDS) -> list[Case]:
    """`count` cases cycling through `kinds`, seeds seed, seed+1, …"""
    kinds = tuple(kinds)
    return [generate(seed + i, kinds[i % len(kinds)], out_dir) for i in range(count)]


def generate_checked_in(out_dir: Path = SET_DIR) -> list[Case]:
    """Rewrite the small set that lives in the repository (README demo, fast tests)."""
    return [generate(seed, kind, out_dir) for kind, seed in CHECKED_IN]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__)
    parser.add_argument("--out", type=Path, help="output folder (default with --checked-in: samples/set)")
    parser.add_argument("--checked-in", action="store_true", help="write the checked-in set instead of --count cases")
    parser.add_argument("--count", type=int, default=len(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    start = time.perf_counter()
    if args.checked_in:
        cases = generate_checked_in(args.out or SET_DIR)
    elif args.out is None:
        parser.error("--out is required")
    else:
        cases = generate_set(args.out, args.count, args.seed, args.kinds)
    for case in cases:
        log.info("%s", case.path)
    log.info("%d cases in %.1f s", len(cases), time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
