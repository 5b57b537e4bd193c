"""PDF pages as positioned text (pdfplumber glyphs grouped into runs), or as rendered images when a page has no text layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intake.errors import CorruptFileError, EncryptedFileError, TooLargeError
from intake.pages import Page, PageKind, TextLine
from intake.settings import Settings

if TYPE_CHECKING:  # numpy only on the image branch
    import numpy as np

# Glyphs without a Unicode mapping come out as "(cid:58)"; they are brackets or
# punctuation in the fonts we have seen, never digits, so dropping them is safe.
_CID = re.compile(r"\(cid:\d+\)")
_SUBSET = re.compile(r"^[A-Z]{6}\+")
# Below this many glyphs a page that carries an image is a scan with a stray stamp or watermark text.
_MIN_GLYPHS = 10


@dataclass(frozen=True)
class PdfImage:
    """An image object as placed on a page (points, y down) and its PDF stream, undecoded."""

    x0: float
    top: float
    x1: float
    bottom: float
    stream: Any


@dataclass(frozen=True)
class _Glyph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    font: str

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def read_pdf(path: Path, settings: Settings) -> list[Page]:
    """Every page of the PDF: TEXT pages with runs of text, IMAGE pages rendered at settings.render_dpi."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    pages: list[Page] = []
    image_pages: list[int] = []
    try:
        with pdfplumber.open(path) as pdf:
            count = len(pdf.pages)
            if count > settings.max_pages:
                raise TooLargeError(f"{path.name}: {count} pages, more than the limit of {settings.max_pages}")
            for number, plumber_page in enumerate(pdf.pages, start=1):
                page = _text_page(plumber_page, number)
                if page.kind == PageKind.IMAGE:
                    image_pages.append(number)
                pages.append(page)
    except (TooLargeError, EncryptedFileError):
        raise
    except PdfminerException as e:
        inner = e.args[0] if e.args else e
        if isinstance(inner, PDFPasswordIncorrect) or "password" in str(inner).lower():
            raise EncryptedFileError(f"{path.name}: the PDF is encrypted and needs a password") from e
        raise CorruptFileError(f"{path.name}: not a readable PDF ({_brief(inner)})") from e
    except PDFPasswordIncorrect as e:
        raise EncryptedFileError(f"{path.name}: the PDF is encrypted and needs a password") from e
    except Exception as e:  # pdfminer raises a zoo of types on damaged files (struct, KeyError, TypeError...)
        raise CorruptFileError(f"{path.name}: not a readable PDF ({_brief(e)})") from e
    if not pages:
        raise CorruptFileError(f"{path.name}: the PDF has no pages")
    for number in image_pages:
        pages[number - 1].image = render_page(path, number, settings.render_dpi)
    return pages


def render_page(path: Path, page_number: int, dpi: int) -> "np.ndarray":
    """Page `page_number` (1-based) as a BGR uint8 array at `dpi`, rendered by pdfium."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise EncryptedFileError(f"{Path(path).name}: the PDF is encrypted and needs a password") from e
        raise CorruptFileError(f"{Path(path).name}: pdfium cannot open the PDF ({e})") from e
    try:
        if not 1 <= page_number <= len(pdf):
            raise CorruptFileError(f"{Path(path).name}: no page {page_number}")
        page = pdf[page_number - 1]
        bitmap = page.render(scale=dpi / 72.0, fill_color=(255, 255, 255, 255))
        array = _bgr(bitmap.to_numpy(), bitmap.mode)  # a new array: the bitmap's buffer goes with the page
        page.close()
    finally:
        pdf.close()
    return array


def _bgr(array: "np.ndarray", mode: str) -> "np.ndarray":
    """pdfium's BGRA/BGRX (or grey, or RGB-ordered) pixels as the 3-channel BGR the scan path wants, in one OpenCV pass."""
    import cv2

    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    rgb = mode in ("RGB", "RGBA", "RGBX")
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_RGBA2BGR if rgb else cv2.COLOR_BGRA2BGR)
    return cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if rgb else array.copy()


def _brief(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:120]


def _text_page(plumber_page: Any, number: int) -> Page:
    width, height = float(plumber_page.width), float(plumber_page.height)
    chars, images = _chars(plumber_page)
    glyphs = _glyphs(chars, width, height)
    if not glyphs or (len(glyphs) < _MIN_GLYPHS and images):
        return Page(number=number, kind=PageKind.IMAGE, width=width, height=height)
    page = Page(number=number, kind=PageKind.TEXT, width=width, height=height, lines=group_glyphs(glyphs))
    if images:
        # The QR image is in hand now; decoding it here saves opening the file again with pdfium.
        from intake.qr import parse_payload, qr_from_pdf_images

        found = qr_from_pdf_images(images)
        if any(parse_payload(t) for t in found):
            page.qr_payloads = found
    return page


def _chars(plumber_page: Any) -> tuple[list[dict], list[PdfImage]]:
    """The page's glyphs in pdfplumber's geometry and its image objects, from one pass of a text-only interpreter.

    pdfplumber's `page.chars` also turns every path and image into an object, and pdfminer's own
    parser reads content streams byte by byte; invoice forms are thousands of ruling and QR-code
    paths, so `FastInterpreter` tokenizes with a regex and skips drawing operators.
    """
    from intake.pdfcontent import FastInterpreter

    device = _device_class()(plumber_page.pdf.rsrcmgr, pageno=plumber_page.page_number, laparams=None)
    FastInterpreter(plumber_page.pdf.rsrcmgr, device).process_page(plumber_page.page_obj)
    # The same MediaBox adjustment as pdfplumber's Page.process_object.
    mb_x0, mb_top = plumber_page.mediabox[:2]
    height = float(plumber_page.height)
    out = []
    for obj in _walk(device.get_result()):
        fontname = obj.fontname
        if isinstance(fontname, bytes):
            fontname = fontname.decode("latin-1", "replace")
        out.append({
            "text": obj.get_text(),
            "x0": obj.x0 + mb_x0,
            "x1": obj.x1 + mb_x0,
            "top": height - obj.y1 + mb_top,
            "bottom": height - obj.y0 + mb_top,
            "size": obj.size,
            "fontname": fontname,
        })
    images = [
        PdfImage(x0 + mb_x0, height - y1 + mb_top, x1 + mb_x0, height - y0 + mb_top, stream)
        for (x0, y0, x1, y1), stream in device.images
    ]
    return out, images


_DEVICE: Any = None


def _device_class() -> Any:
    """A pdfminer aggregator that keeps glyphs, records where images are placed and ignores paths."""
    global _DEVICE
    if _DEVICE is None:
        from pdfminer.converter import PDFPageAggregator

        class TextDevice(PDFPageAggregator):
            def __init__(self, *a: Any, **k: Any) -> None:
                super().__init__(*a, **k)
                self.images: list[tuple[tuple[float, float, float, float], Any]] = []

            def paint_path(self, gstate, stroke, fill, evenodd, path) -> None:  # noqa: ANN001
                return None

            def render_image(self, name, stream) -> None:  # noqa: ANN001
                self.images.append((self.cur_item.bbox, stream))

        _DEVICE = TextDevice
    return _DEVICE


def _walk(container: Any):
    """LTChars in drawing order, including those inside Form XObjects (LTFigure), as pdfplumber does."""
    from pdfminer.layout import LTChar, LTContainer

    for obj in container:
        if isinstance(obj, LTChar):
            yield obj
        elif isinstance(obj, LTContainer):
            yield from _walk(obj)


def _glyphs(chars: list[dict], width: float, height: float) -> list[_Glyph]:
    out: list[_Glyph] = []
    for c in chars:
        text = c.get("text") or ""
        if "(cid:" in text:
            text = _CID.sub("", text)
        if not text or text.isspace():
            continue
        x0, x1, top, bottom = float(c["x0"]), float(c["x1"]), float(c["top"]), float(c["bottom"])
        # Some producers park a copy of the drawer's name below the page (y > height): not printed.
        if x1 < 0 or x0 > width or bottom < 0 or top > height:
            continue
        size = float(c.get("size") or (bottom - top) or 1.0)
        font = _SUBSET.sub("", str(c.get("fontname") or ""))
        out.append(_Glyph(text, x0, top, x1, bottom, size, font))
    return out


def group_glyphs(glyphs: list[_Glyph]) -> list[TextLine]:
    """Glyphs -> runs: same baseline band, split at gaps, font-family changes and after a CJK label colon."""
    rows = _rows(glyphs)
    spaced = _letter_spaced(rows)
    lines: list[TextLine] = []
    for row in rows:
        run: list[_Glyph] = []
        for g in row:
            if run:
                prev = run[-1]
                # Fake-bold producers draw each glyph twice at (almost) the same place.
                if g.text == prev.text and abs(g.x0 - prev.x0) < 0.2 * g.size:
                    continue
                if _breaks(run, g, spaced):
                    lines.append(_line(run))
                    run = []
            run.append(g)
        if run:
            lines.append(_line(run))
    lines.sort(key=lambda t: (round(t.y0, 1), t.x0))
    return lines


def _rows(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    # (cy, size, glyphs) per row, as parallel lists: this loop runs for every glyph of every page.
    row_cy: list[float] = []
    row_size: list[float] = []
    row_glyphs: list[list[_Glyph]] = []
    for g in sorted(glyphs, key=lambda g: g.cy):
        cy, size = (g.y0 + g.y1) / 2, g.size
        n = len(row_cy)
        best_d, best_i = -1.0, -1
        for i in range(n - 1, max(-1, n - 6), -1):
            other = row_size[i]
            lo, hi = (other, size) if other < size else (size, other)
            # Seal lettering and stamps sit across text rows in a much smaller size: keep them apart.
            if lo < 0.75 * hi:
                continue
            d = abs(cy - row_cy[i])
            if d <= 0.3 * hi and (best_i < 0 or d < best_d):
                best_d, best_i = d, i
        if best_i < 0:
            row_cy.append(cy)
            row_size.append(size)
            row_glyphs.append([g])
        else:
            row_glyphs[best_i].append(g)
    return [sorted(r, key=lambda g: g.x0) for r in row_glyphs]


def _letter_spaced(rows: list[list[_Glyph]]) -> bool:
    """True for renderings that place every glyph apart (easyofd): most neighbours 0.6-2.5 glyph sizes apart."""
    spaced = total = 0
    for row in rows:
        for a, b in zip(row, row[1:]):
            ratio = (b.x0 - a.x1) / max(a.size, b.size)
            if ratio > 3:
                continue
            total += 1
            if 0.6 <= ratio <= 2.5:
                spaced += 1
    return total >= 20 and spaced >= 0.5 * total


def _breaks(run: list[_Glyph], g: _Glyph, spaced: bool) -> bool:
    prev = run[-1]
    gap = g.x0 - prev.x1
    size = max(prev.size, g.size)
    if gap > (2.2 if spaced else 0.25) * size:
        return True
    if _family(prev.font) != _family(g.font) and gap > -0.5 * size:
        return True
    if prev.text in ":：" and len(run) >= 2 and _is_cjk(run[-2].text):
        return True
    return False


_FAMILIES: dict[str, str] = {}


def _family(font: str) -> str:
    # "@FZKTJW--GB1" (vertical) and "FZKTJW--GB1" are one family; so are subsets of one font.
    family = _FAMILIES.get(font)
    if family is None:
        if len(_FAMILIES) > 4096:  # a long-running scan meets many subset names; keep the memo small
            _FAMILIES.clear()
        family = _FAMILIES[font] = font.lstrip("@").split(",")[0].split("-")[0].lower()
    return family


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _line(run: list[_Glyph]) -> TextLine:
    fonts: dict[str, int] = {}
    for g in run:
        fonts[g.font] = fonts.get(g.font, 0) + len(g.text)
    return TextLine(
        text="".join(g.text for g in run),
        x0=min(g.x0 for g in run),
        y0=min(g.y0 for g in run),
        x1=max(g.x1 for g in run),
        y1=max(g.y1 for g in run),
        confidence=1.0,
        font=max(fonts, key=fonts.get),
    )
