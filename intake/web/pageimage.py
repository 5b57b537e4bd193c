"""Page pictures for the invoice screen: the original page rendered to a cached PNG, and field boxes mapped onto it."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from intake.settings import Settings

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    path: Path
    width: int
    height: int
    # Pixels per PDF point: text-layer boxes are in points; OCR boxes are already in pixels
    # of the page as rendered at render_dpi (PDF) or of the image itself.
    points_scale: float
    is_pdf: bool


def _kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK") or head.lstrip().startswith(b"<"):
        return "structured"  # OFD (a ZIP) or XML: no page picture
    return "image"


def _cache_path(settings: Settings, sha256: str, page: int, dpi: int) -> Path:
    return Path(settings.data_dir) / "pages" / sha256[:2] / f"{sha256}-p{page}-{dpi}.png"


def _save_atomic(im, target: Path) -> None:  # type: ignore[no-untyped-def]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".png")
    os.close(fd)
    try:
        im.save(tmp, "PNG", optimize=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# The geometric cleanup steps: OCR boxes are in pixels of the page after these.
GEOMETRY_STEPS = ("size", "sheet", "orient", "deskew")


def _ocr_frame(settings: Settings, source: Path, kind: str, page: int):  # type: ignore[no-untyped-def]
    """The page as the OCR saw it geometrically (resized, cropped to the sheet, turned, deskewed), in its real colours.

    The light, seal and denoise steps are left out: they change pixels, not positions,
    and the reviewer should see the page as printed.
    """
    import cv2
    from PIL import Image

    from intake.cleanup import STEPS, CleanContext
    from intake.ocr import get_engine

    if kind == "pdf":
        from intake.pdftext import render_page as render_pdf

        bgr = render_pdf(source, page, settings.render_dpi)
    else:
        from intake.images import read_image

        pages = {p.number: p for p in read_image(source, settings)}
        if page not in pages:
            return None
        bgr = pages[page].image
    ctx = CleanContext(settings=settings, page_number=page, engine=get_engine(settings))
    for name, step in STEPS:
        if name in GEOMETRY_STEPS:
            bgr = step(bgr, ctx)
    return Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def render_page(settings: Settings, stored_path: str | None, sha256: str, page: int, *, ocr: bool = False) -> PageImage | None:
    """The page as a PNG in the data folder (rendered once); None for OFD/XML or a missing original.

    With `ocr`, the page is put through the same geometric cleanup as the scan path, so that
    OCR boxes (pixels of the processed page) land on the right text.
    """
    if not stored_path or not Path(stored_path).is_file() or page < 1:
        return None
    source = Path(stored_path)
    kind = _kind(source)
    if kind == "structured":
        return None
    from PIL import Image, ImageOps

    dpi = settings.render_dpi
    target = _cache_path(settings, sha256, page, dpi if kind == "pdf" else 0)
    if ocr:
        target = target.with_name(target.stem + "-ocr.png")
    with _LOCK:
        if not target.is_file():
            try:
                if ocr:
                    im = _ocr_frame(settings, source, kind, page)
                    if im is None:
                        return None
                elif kind == "pdf":
                    import pypdfium2 as pdfium

                    pdf = pdfium.PdfDocument(str(source))
                    try:
                        if page > len(pdf):
                            return None
                        im = pdf[page - 1].render(scale=dpi / 72).to_pil()
                    finally:
                        pdf.close()
                else:
                    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
                    with Image.open(source) as src:
                        if page > getattr(src, "n_frames", 1):
                            return None
                        src.seek(page - 1)
                        im = ImageOps.exif_transpose(src.copy()).convert("RGB")
                _save_atomic(im, target)
            except Exception as e:  # a page we cannot draw must not break the review screen
                log.warning("cannot render page %d of %s: %s", page, source, e)
                return None
    from PIL import Image

    with Image.open(target) as im:
        w, h = im.size
    is_pdf = kind == "pdf" and not ocr
    return PageImage(target, w, h, dpi / 72 if is_pdf else 1.0, is_pdf)


def box_pixels(pi: PageImage, bbox: list[float] | None, source: str) -> tuple[float, float, float, float] | None:
    """A field's box in pixels of the rendered page."""
    if not bbox or len(bbox) != 4:
        return None
    k = pi.points_scale if (pi.is_pdf and source != "ocr") else 1.0
    x0, y0, x1, y1 = (float(v) * k for v in bbox)
    if x1 <= x0 or y1 <= y0 or x0 > pi.width or y0 > pi.height:
        return None
    return (max(0.0, x0), max(0.0, y0), min(float(pi.width), x1), min(float(pi.height), y1))


@dataclass(frozen=True)
class Crop:
    """CSS for a zoomed view of one box, cut from the page picture without another request."""

    width: int
    height: int
    bg_width: int
    bg_x: int
    bg_y: int


def crop_css(pi: PageImage, box: tuple[float, float, float, float], *, height: int = 34, max_width: int = 300) -> Crop:
    x0, y0, x1, y1 = box
    pad = max(3.0, (y1 - y0) * 0.25)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    k = min(height / (y1 - y0), 3.0)
    w = min(int((x1 - x0) * k), max_width)
    return Crop(w, int((y1 - y0) * k), int(pi.width * k), int(-x0 * k), int(-y0 * k))


def invoice_page(settings: Settings, rec, page: int) -> PageImage | None:  # type: ignore[no-untyped-def]
    """The picture of `page` for an invoice record: OCR-aligned when the invoice's boxes came from OCR."""
    ocr = any(fr.source == "ocr" and fr.bbox for fr in rec.field_values)
    doc = rec.document
    return render_page(settings, doc.stored_path, doc.sha256, page, ocr=ocr)
