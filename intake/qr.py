"""Invoice QR codes: decode them from images and PDF pages, parse their payload (tax QR or Shenzhen verify URL), attach them to invoices.

`parse_payload(text) -> QrData | None` is the stable interface for validation:

    QrData.type_code     the QR's type field as printed ("10", "31", ...; "" for Shenzhen URLs)
    QrData.invoice_type  contract value (CONTRACT.md) for type_code, "" when the QR does not say
    QrData.code          发票代码 digits, "" on 数电票 and Shenzhen URLs
    QrData.number        发票号码 digits (8 or 20)
    QrData.amount        normal form "1234.50"
    QrData.amount_kind   "pre_tax" (合计金额, old invoices) or "with_tax" (价税合计: 数电 31/32, Shenzhen URLs)
    QrData.date          ISO "YYYY-MM-DD", "" when absent (Shenzhen URLs)
    QrData.check_code    校验码 as in the QR (20 digits), "" when absent
    QrData.raw           the payload as decoded
    QrData.kind          "tax" (comma-separated) or "shenzhen_url"
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from intake import normal
from intake.invoice import Invoice, InvoiceType
from intake.pages import Page, PageKind

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# The QR's type field (DOMAIN.md). `20` is what the 2022 贵州 增值税电子专用发票 OFD writes in its GraphCode.
QR_TYPES: dict[str, str] = {
    "01": InvoiceType.VAT_SPECIAL,
    "04": InvoiceType.VAT_NORMAL,
    "08": InvoiceType.VAT_ELECTRONIC_SPECIAL,
    "20": InvoiceType.VAT_ELECTRONIC_SPECIAL,
    "10": InvoiceType.VAT_ELECTRONIC_NORMAL,
    "11": InvoiceType.VAT_ROLL,
    "14": InvoiceType.TOLL,
    "31": InvoiceType.DIGITAL_SPECIAL,
    "32": InvoiceType.DIGITAL_NORMAL,
}
WITH_TAX_TYPES = frozenset({"31", "32"})


@dataclass(frozen=True)
class QrData:
    type_code: str
    invoice_type: str
    code: str
    number: str
    amount: str
    amount_kind: str
    date: str
    check_code: str
    raw: str
    kind: str = "tax"

    @property
    def amount_field(self) -> str:
        """The invoice field the QR's amount names: 价税合计 or 合计金额."""
        return "amount_with_tax" if self.amount_kind == "with_tax" else "total_amount"


def parse_payload(text: str | None) -> QrData | None:
    """A decoded QR text as invoice facts, or None when it is not an invoice QR."""
    if not text:
        return None
    text = text.strip()
    if text.lower().startswith(("http://", "https://")):
        return _parse_shenzhen(text)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 7 or not re.fullmatch(r"\d{2}", parts[0]) or not re.fullmatch(r"\d{2}", parts[1]):
        return None
    type_code, code, number, amount, day, check = parts[1:7]
    if not re.fullmatch(r"\d{8}|\d{20}", number):
        return None
    if code and not re.fullmatch(r"\d{10}|\d{12}", code):
        return None
    iso = normal.iso_date(day) if re.fullmatch(r"\d{8}", day) else ""
    money = normal.money(amount) if re.fullmatch(r"-?\d+(\.\d+)?", amount) else ""
    if not iso or not money:
        return None
    with_tax = type_code in WITH_TAX_TYPES or (not code and len(number) == 20)
    return QrData(
        type_code=type_code,
        invoice_type=str(QR_TYPES.get(type_code, InvoiceType.UNKNOWN)),
        code=code,
        number=number,
        amount=money,
        amount_kind="with_tax" if with_tax else "pre_tax",
        date=iso,
        check_code=re.sub(r"\s+", "", check),
        raw=text,
    )


def _parse_shenzhen(url: str) -> QrData | None:
    """bcfp.shenzhen.chinatax.gov.cn verify URL: bill_num and total_amount (价税合计 in fen)."""
    query = parse_qs(urlparse(url).query)
    number = (query.get("bill_num") or [""])[0]
    fen = (query.get("total_amount") or [""])[0]
    if not re.fullmatch(r"\d{8}|\d{20}", number) or not re.fullmatch(r"-?\d+", fen):
        return None
    from decimal import Decimal

    return QrData(
        type_code="",
        invoice_type="",
        code="",
        number=number,
        amount=normal.money(Decimal(fen) / 100),
        amount_kind="with_tax",
        date="",
        check_code="",
        raw=url,
        kind="shenzhen_url",
    )


# --- decoding -------------------------------------------------------------


def _zxing(image: "np.ndarray", **kwargs: Any) -> list[str]:
    import zxingcpp

    try:
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, **kwargs)
    except (RuntimeError, ValueError) as e:  # zxing refuses odd buffers; treat as "nothing found"
        log.debug("zxing failed: %s", e)
        return []
    return [b.text for b in found if b.text]


def _gray(image: "np.ndarray") -> "np.ndarray":
    import cv2
    import numpy as np

    img = np.ascontiguousarray(image)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    if img.ndim == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return img


def _pad(gray: "np.ndarray", border: int) -> "np.ndarray":
    import cv2

    return cv2.copyMakeBorder(gray, border, border, border, border, cv2.BORDER_CONSTANT, value=255)


def _unique(texts: list[str]) -> list[str]:
    seen: list[str] = []
    for t in texts:
        if t not in seen:
            seen.append(t)
    return seen


def decode_qr(image: "np.ndarray", *, thorough: bool = True) -> list[str]:
    """QR texts found in a BGR/gray image; retries upscaled, contrast-stretched, binarized; OpenCV as a last resort.

    `thorough=False` makes one plain attempt (for clean renders where retries only cost time).
    """
    import cv2

    gray = _gray(image)
    if gray.size == 0:
        return []
    found = _zxing(gray)
    if found or not thorough:
        return _unique(found)
    h, w = gray.shape[:2]
    # Small codes (a QR of 1-2 px per module): enlarge without blurring the modules, with a quiet zone.
    if max(h, w) < SMALL_SIDE:
        found = _zxing(_enlarged(gray))
        if found:
            return _unique(found)
        scale = _enlargement(h, w)
        smooth = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        found = _zxing(smooth)
        if found:
            return _unique(found)
    # Faint prints and photos: local contrast, then hard thresholds.
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray)
    found = _zxing(clahe)
    if found:
        return _unique(found)
    _, otsu = cv2.threshold(cv2.GaussianBlur(gray, (3, 3), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    found = _zxing(otsu)
    if found:
        return _unique(found)
    block = max(15, (min(h, w) // 40) | 1)
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 10)
    found = _zxing(adaptive)
    if found:
        return _unique(found)
    # Located by parts: a code too small for zxing on the whole page (a scan's QR of 3-4 px per module, blurred) reads
    # from the window around it enlarged as a small image is (seeds 5245 and 7051: the page failed, its top-left
    # window read).
    for window in _windows(gray):
        found = _zxing(_enlarged(window))
        if found:
            return _unique(found)
    return _opencv(gray)


# An image whose long side is below this is enlarged to about this size before decoding.
SMALL_SIDE = 1200


def _enlargement(h: int, w: int) -> int:
    """The whole factor that brings an image's long side to about SMALL_SIDE, at least 2."""
    return max(2, int(SMALL_SIDE / max(h, w)))


def _enlarged(gray: "np.ndarray") -> "np.ndarray":
    """The image with a quiet zone, enlarged to about SMALL_SIDE (at least twice) without blurring the modules."""
    import cv2

    h, w = gray.shape[:2]
    scale = _enlargement(h, w)
    return cv2.resize(_pad(gray, max(4, min(h, w) // 20)), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


# Windows of a page a QR is looked for in: 0.4 of its width and height, starting at these shares, overlapping so that
# a 2 cm code lies whole inside one of them on an invoice page.
WINDOW = 0.4
WINDOW_STARTS = (0.0, 0.3, 0.6)


def _windows(gray: "np.ndarray") -> "list[np.ndarray]":
    """Overlapping windows of a page-sized image, top left first (where invoices print the code)."""
    h, w = gray.shape[:2]
    if min(h, w) < 400:
        return []
    return [gray[int(y * h):int((y + WINDOW) * h), int(x * w):int((x + WINDOW) * w)]
            for y in WINDOW_STARTS for x in WINDOW_STARTS]


def _opencv(gray: "np.ndarray") -> list[str]:
    import cv2

    try:
        ok, texts, _points, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    except cv2.error as e:
        log.debug("OpenCV QR detector failed: %s", e)
        return []
    return _unique([t for t in texts if t]) if ok else []


# --- PDF pages ----------------------------------------------------------------

# The invoice QR is a square image of about 2 cm; larger images are seals or logos, smaller are icons.
_QR_MIN_PT, _QR_MAX_PT = 20.0, 200.0
# Pixels per QR module below which zxing wants the code enlarged (the 37-px JPEG on a 2023 Sichuan invoice).
_SMALL_PX = 64


def _squareish(x0: float, y0: float, x1: float, y1: float) -> bool:
    w, h = x1 - x0, y1 - y0
    return _QR_MIN_PT <= w <= _QR_MAX_PT and _QR_MIN_PT <= h <= _QR_MAX_PT and 0.8 <= w / h <= 1.25


@dataclass(frozen=True)
class _Pixels:
    """Decoded image samples zxing can read without numpy: 8-bit grey (channels 1) or RGB (channels 3)."""

    data: bytes
    width: int
    height: int
    channels: int


def qr_from_pdf_images(images: list[Any]) -> list[str]:
    """QR texts from a page's image objects as pdfminer hands them over (`intake.pdftext.PdfImage`).

    Square images are tried top-left first (where invoices print the QR) and the search stops at the
    first invoice payload. Images this cannot decode (JBIG2, JPX, CCITT, CMYK) are skipped: when no
    payload comes out, `scan_pdf_qr` looks at the page with pdfium.
    """
    found: list[str] = []
    squares = sorted((im for im in images if _squareish(im.x0, im.top, im.x1, im.bottom)), key=lambda im: (im.top, im.x0))
    for image in squares:
        try:
            pixels = _pdf_pixels(image.stream)
        except Exception as e:  # a damaged image stream is one image less, not an unreadable invoice
            log.debug("image stream not decodable: %s", e)
            pixels = None
        if pixels is None:
            continue
        texts = _decode_pixels(pixels)
        found.extend(texts)
        if any(parse_payload(t) for t in texts):
            break
    return _unique(found)


def _decode_pixels(pixels: "_Pixels | Any") -> list[str]:
    """One plain zxing attempt on the samples (no numpy), then decode_qr's retries on small or stubborn codes."""
    import zxingcpp

    if isinstance(pixels, _Pixels):
        fmt = zxingcpp.ImageFormat.Lum if pixels.channels == 1 else zxingcpp.ImageFormat.RGB
        view = zxingcpp.ImageView(pixels.data, pixels.width, pixels.height, fmt)
        found = _zxing(view)
        if found:
            return _unique(found)
        import numpy as np

        shape = (pixels.height, pixels.width) if pixels.channels == 1 else (pixels.height, pixels.width, 3)
        array = np.frombuffer(pixels.data, np.uint8).reshape(shape)
        if pixels.channels == 3:
            array = np.ascontiguousarray(array[:, :, ::-1])  # decode_qr takes BGR
        return decode_qr(array)
    found = _zxing(pixels)  # a PIL image (JPEG)
    if found:
        return _unique(found)
    import numpy as np

    return decode_qr(np.asarray(pixels.convert("L")))


def _pdf_pixels(stream: Any) -> "_Pixels | Any | None":
    """An image XObject's samples as _Pixels (or a PIL image for JPEG); None for encodings left to pdfium."""
    from pdfminer.pdftypes import resolve1

    attrs = stream.attrs
    filters = stream.get_filters()
    last = _literal(filters[-1][0]) if filters else ""
    if last in ("JBIG2Decode", "JPXDecode", "CCITTFaxDecode", "CCF"):
        return None
    if last in ("DCTDecode", "DCT"):
        import io

        from PIL import Image

        image = Image.open(io.BytesIO(stream.get_data()))
        image.draft("L", image.size)
        return image.convert("L")
    width, height = int(resolve1(attrs.get("Width", attrs.get("W", 0)))), int(resolve1(attrs.get("Height", attrs.get("H", 0))))
    mask = bool(resolve1(attrs.get("ImageMask", attrs.get("IM", False))))
    bpc = 1 if mask else int(resolve1(attrs.get("BitsPerComponent", attrs.get("BPC", 8))))
    space = resolve1(attrs.get("ColorSpace", attrs.get("CS")))
    decode = resolve1(attrs.get("Decode", attrs.get("D")))
    if width <= 0 or height <= 0 or bpc not in (1, 2, 4, 8):
        return None
    palette: bytes | None = None  # grey level per sample value
    if mask:
        channels = 1
    else:
        channels, palette = _colour_space(space, bpc)
        if channels == 0:
            return None
    data = stream.get_data()
    stride = (width * channels * bpc + 7) // 8
    if len(data) < stride * height:
        return None
    if bpc == 8 and palette is None and channels in (1, 3):
        samples = data[: stride * height]
    elif bpc == 8 and channels == 4:
        return None  # CMYK QR codes are not printed on invoices; leave them to pdfium
    else:
        if channels != 1:
            return None
        samples = _unpack(data, width, height, bpc, stride)
        channels = 1
    levels = (1 << bpc) - 1
    if palette is None and channels == 1:
        # Grey or mask samples scaled to 0..255; a /Decode [1 0] (or a mask's default) flips them.
        flip = bool(decode and len(decode) >= 2 and float(resolve1(decode[0])) > float(resolve1(decode[1])))
        # (A stencil mask paints its 0 samples, so with the default [0 1] ink is black here too.)
        if bpc != 8 or flip:
            scaled = [min(v, levels) * 255 // levels for v in range(256)]
            table = bytes(255 - v for v in scaled) if flip else bytes(scaled)
            samples = samples.translate(table)
    elif palette is not None:
        samples = samples.translate(palette)
    return _Pixels(samples, width, height, channels)


def _literal(obj: Any) -> str:
    name = getattr(obj, "name", obj)
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


def _colour_space(space: Any, bpc: int) -> tuple[int, bytes | None]:
    """(components per sample, grey palette for indexed images); (0, None) for spaces not handled here."""
    from pdfminer.pdftypes import resolve1

    space = resolve1(space)
    if space is None:
        return 1, None
    if isinstance(space, list) and space:
        kind = _literal(resolve1(space[0]))
        if kind == "Indexed" and len(space) >= 4:
            base_n = _components(resolve1(space[1]))
            lookup = resolve1(space[3])
            if hasattr(lookup, "get_data"):
                lookup = lookup.get_data()
            if not isinstance(lookup, bytes) or base_n not in (1, 3):
                return 0, None
            count = len(lookup) // base_n
            greys = []
            for i in range(256):
                if i < count:
                    px = lookup[i * base_n : (i + 1) * base_n]
                    greys.append(px[0] if base_n == 1 else (299 * px[0] + 587 * px[1] + 114 * px[2]) // 1000)
                else:
                    greys.append(255)
            return 1, bytes(greys)
        n = _components(space)
        return (n, None) if n in (1, 3, 4) else (0, None)
    n = _components(space)
    return (n, None) if n in (1, 3, 4) else (0, None)


def _components(space: Any) -> int:
    from pdfminer.pdftypes import resolve1

    if isinstance(space, list) and space:
        kind = _literal(resolve1(space[0]))
        if kind == "ICCBased" and len(space) >= 2:
            stream = resolve1(space[1])
            return int(resolve1(stream.attrs.get("N", 0))) if hasattr(stream, "attrs") else 0
        if kind == "CalRGB":
            return 3
        if kind == "CalGray":
            return 1
        return 0
    return {"DeviceGray": 1, "G": 1, "CalGray": 1, "DeviceRGB": 3, "RGB": 3, "CalRGB": 3, "DeviceCMYK": 4, "CMYK": 4}.get(
        _literal(space), 0
    )


_BIT_ROWS: dict[int, list[bytes]] = {}


def _unpack(data: bytes, width: int, height: int, bpc: int, stride: int) -> bytes:
    """1/2/4-bit samples (rows padded to whole bytes) as one byte per sample, still unscaled."""
    table = _BIT_ROWS.get(bpc)
    if table is None:
        per = 8 // bpc
        mask = (1 << bpc) - 1
        table = [bytes((b >> (8 - bpc * (k + 1))) & mask for k in range(per)) for b in range(256)]
        _BIT_ROWS[bpc] = table
    rows = []
    for y in range(height):
        row = b"".join(map(table.__getitem__, data[y * stride : (y + 1) * stride]))
        rows.append(row[:width])
    return b"".join(rows)


def scan_pdf_qr(path: Path | str, pages: list[Page]) -> None:
    """Fill `qr_payloads` of the PDF's TEXT pages that have none yet: pdfium decodes the page's square
    image objects, else renders the top-left corner (vector-drawn codes).

    `intake.pdftext.read_pdf` already decodes the usual embedded QR images while reading the text, so
    this opens the file again only for pages it could not serve. Goods-list pages (销货清单) after the
    first page carry no QR and are not rendered.
    """
    targets = [p for p in pages if p.kind == PageKind.TEXT and not p.qr_payloads and not _continuation(p)]
    if not targets:
        return
    import pypdfium2 as pdfium
    from pypdfium2 import raw as pdfium_raw

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as e:
        log.warning("%s: cannot open for QR scanning: %s", path, e)
        return
    try:
        for page in targets:
            if not 1 <= page.number <= len(pdf):
                continue
            pdf_page = pdf[page.number - 1]
            try:
                page.qr_payloads = _qr_from_pdf_page(pdf_page, pdfium_raw)
            except pdfium.PdfiumError as e:
                log.warning("%s page %d: QR scan failed: %s", path, page.number, e)
            finally:
                pdf_page.close()
    finally:
        pdf.close()


def _continuation(page: Page) -> bool:
    """A goods-list page after the first: its title (top fifth of the page) says 清单."""
    if page.number == 1 or not page.lines:
        return False
    top = page.height * 0.2 if page.height else float("inf")
    return any("清单" in line.text for line in page.lines if line.y0 < top)


def _qr_from_pdf_page(pdf_page: Any, pdfium_raw: Any) -> list[str]:
    found: list[str] = []
    for obj in pdf_page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        if not _squareish(*obj.get_bounds()):
            continue
        try:
            bitmap = obj.get_bitmap(render=False)
            array = bitmap.to_numpy()
        except Exception as e:  # pdfium raises plain errors for filters it cannot decode (JBIG2, JPX)
            log.debug("image object not decodable: %s", e)
            continue
        found.extend(decode_qr(array))
        if any(parse_payload(t) for t in found):
            return _unique(found)
    # Vector-drawn or undecodable images: render the upper-left quarter, where invoices print the QR.
    width, height = pdf_page.get_size()
    corner = pdf_page.render(scale=150 / 72, crop=(0, height / 2, width / 2, 0)).to_numpy()
    found.extend(decode_qr(corner, thorough=False))
    return _unique(found)


def scan_image_qr(pages: list[Page]) -> None:
    """Fill `qr_payloads` of IMAGE pages from the processed image (after cleanup), else the image as loaded."""
    for page in pages:
        if page.kind != PageKind.IMAGE or page.qr_payloads:
            continue
        found: list[str] = []
        for image in (page.processed_image, page.image):
            if image is not None and not any(parse_payload(t) for t in found):
                found.extend(decode_qr(image))
        page.qr_payloads = _unique(found)


def scan_qr(pages: list[Page], pdf_path: Path | str | None = None) -> None:
    """The pipeline's one call, after cleanup/OCR: QR texts for every page (PDF text pages need the PDF's path)."""
    if pdf_path is not None:
        scan_pdf_qr(pdf_path, pages)
    scan_image_qr(pages)


# --- invoices -----------------------------------------------------------------


def attach_qr(invoice: Invoice, pages: list[Page]) -> None:
    """Set `invoice.qr_payload` from the decoded QR texts of its pages, preferring one whose number matches."""
    if invoice.qr_payload:
        return
    numbers = {invoice.page, *invoice.extra_pages}
    candidates = [t for p in pages if p.number in numbers for t in p.qr_payloads]
    parsed = [(t, parse_payload(t)) for t in candidates]
    parsed = [(t, q) for t, q in parsed if q is not None]
    if not parsed:
        return
    number = invoice.get("invoice_number")
    for text, qr in parsed:
        if number and qr.number == number:
            invoice.qr_payload = text
            return
    invoice.qr_payload = parsed[0][0]
