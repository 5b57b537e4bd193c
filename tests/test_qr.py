"""Invoice QR codes: payload parsing, decoding real PDFs and images, a generated code rotated and shrunk, and attaching to invoices."""

from __future__ import annotations

import csv

import pytest

from intake.invoice import FieldValue, Invoice
from intake.pages import Page, PageKind
from intake.qr import attach_qr, decode_qr, parse_payload, scan_pdf_qr, scan_qr
from conftest import REALDATA, realfile


def test_parse_domain_examples():
    old = parse_payload("01,10,011001605111,80100798,64.9,20161018,85342965681116380258")
    assert (old.type_code, old.invoice_type, old.code, old.number, old.amount, old.amount_kind, old.date, old.check_code) == (
        "10", "vat_electronic_normal", "011001605111", "80100798", "64.90", "pre_tax", "2016-10-18", "85342965681116380258",
    )
    paper = parse_payload("01,01,1200154130,03630024,94339.62,20160621,,9335,")
    assert (paper.invoice_type, paper.code, paper.amount, paper.check_code, paper.amount_kind) == (
        "vat_special", "1200154130", "94339.62", "", "pre_tax",
    )
    digital = parse_payload("01,32,,23442000000014209621,112,20230215,,74AE")
    assert (digital.invoice_type, digital.code, digital.number, digital.amount, digital.amount_kind, digital.date) == (
        "digital_normal", "", "23442000000014209621", "112.00", "with_tax", "2023-02-15",
    )


def test_parse_types_and_padding():
    # easyofd writes a space into the empty code and check-code fields.
    q = parse_payload("01,31, ,23512000000005197325,2150.63,20230130, ,F366")
    assert (q.invoice_type, q.code, q.check_code, q.amount_kind) == ("digital_special", "", "", "with_tax")
    for type_code, kind in [("04", "vat_normal"), ("08", "vat_electronic_special"), ("11", "vat_roll"), ("14", "toll"), ("99", "unknown")]:
        assert parse_payload(f"01,{type_code},011001605111,80100798,64.9,20161018,85342965681116380258,ABCD").invoice_type == kind


def test_parse_shenzhen_url():
    q = parse_payload(
        "https://bcfp.shenzhen.chinatax.gov.cn/verify/scan?hash=01645d47765dd7aec052188019747d2b9ff4a734a5a7c45ffec86832c070910a19"
        "&bill_num=09826096&total_amount=96200"
    )
    assert (q.kind, q.number, q.amount, q.amount_kind, q.code, q.date, q.invoice_type) == (
        "shenzhen_url", "09826096", "962.00", "with_tax", "", "", "",
    )


@pytest.mark.parametrize(
    "text",
    [
        "", "hello", "https://example.com/?a=1", "01,10,0110016051,8010079,64.9,20161018,1",  # 7-digit number
        "01,10,011001605111,80100798,64.9,20161318,85342965681116380258",  # month 13
        "01,10,011001605111,80100798,abc,20161018,85342965681116380258",
        "01,10,011001605111,80100798",
    ],
)
def test_parse_rejects_non_invoice_text(text):
    assert parse_payload(text) is None


def _expected_qr() -> list[tuple[str, str]]:
    path = REALDATA / "_derived" / "qr_decoded.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [(row["file"], row["qr_payload"]) for row in csv.DictReader(f)]


QR_ROWS = _expected_qr()


@pytest.mark.parametrize("relpath, payload", [r for r in QR_ROWS if r[0].endswith(".pdf")])
def test_pdf_qr_matches_reference(relpath, payload):
    import pypdfium2 as pdfium

    path = realfile(relpath)
    pdf = pdfium.PdfDocument(str(path))
    count = len(pdf)
    pdf.close()
    pages = [Page(number=n, kind=PageKind.TEXT) for n in range(1, count + 1)]
    scan_pdf_qr(path, pages)
    assert payload in pages[0].qr_payloads
    assert parse_payload(payload) is not None


@pytest.mark.parametrize("relpath, payload", [r for r in QR_ROWS if not r[0].endswith(".pdf")])
def test_image_qr_matches_reference(relpath, payload):
    import cv2

    image = cv2.imread(str(realfile(relpath)))
    assert payload in decode_qr(image)


def test_shudian_qr_carries_amount_with_tax():
    """The reference decodes prove 数电 QR amounts are 价税合计 (SOURCES.md: 585.00 = 551.89 + 33.11)."""
    rows = dict(QR_ROWS)
    if "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf" not in rows:
        pytest.skip("qr_decoded.csv absent")
    q = parse_payload(rows["mxvc-invoice/shudian_special_2024_suwell_585.00.pdf"])
    assert (q.amount, q.amount_kind) == ("585.00", "with_tax")
    old = parse_payload(rows["mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf"])
    assert (old.amount, old.amount_kind) == ("311.32", "pre_tax")  # 311.32 + 18.68 = 330.00


def test_generated_qr_rotated_and_shrunk_still_decodes():
    import cv2
    import numpy as np
    import zxingcpp

    text = "01,10,011001605111,80100798,64.9,20161018,85342965681116380258,8A3F,"
    code = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode), scale=4))
    # Small and soft: about 1.3 px per module after shrinking, then turned a quarter and set on a grey page.
    small = cv2.resize(code, None, fx=0.33, fy=0.33, interpolation=cv2.INTER_AREA)
    turned = cv2.rotate(small, cv2.ROTATE_90_CLOCKWISE)
    page = np.full((600, 800), 200, np.uint8)
    h, w = turned.shape
    page[100 : 100 + h, 80 : 80 + w] = (turned.astype(np.float32) * 0.6 + 80).astype(np.uint8)  # faint ink
    assert text in decode_qr(page)
    assert decode_qr(np.full((50, 50, 3), 255, np.uint8)) == []


def test_a_small_code_on_a_whole_scanned_page_is_read_from_the_window_around_it(tmp_path):
    """Generated paper 普票 (seed 5245, calibration range): the page at 1890 px holds a QR of about 3 px per module
    that zxing misses on the whole page, in every contrast; the top-left window, enlarged, reads."""
    import cv2

    import intake.qr as qr
    from samples.generate import generate

    case = generate(5245, "paper_normal", tmp_path)
    page = cv2.imread(str(case.path))
    assert decode_qr(page) == ["01,04,1200174620,77293548,351396.23,20170906,53881226901389914599,1904,"]
    assert qr._zxing(qr._gray(page)) == []  # the whole page as it is: nothing


def test_attach_qr_prefers_the_matching_number():
    invoice = Invoice(page=2)
    invoice.set("invoice_number", FieldValue(value="24112000000019562163"))
    other = "01,10,051002200211,45396125,472.49,20230404,85657359542658081818,E08C,"
    mine = "01,31,,24112000000019562163,585.00,20240407,,9D53"
    pages = [
        Page(number=1, kind=PageKind.TEXT, qr_payloads=["01,31,,99999999999999999999,1.00,20240407,,0000"]),
        Page(number=2, kind=PageKind.TEXT, qr_payloads=["not a qr", other, mine]),
    ]
    attach_qr(invoice, pages)
    assert invoice.qr_payload == mine
    lone = Invoice(page=1)
    attach_qr(lone, [Page(number=1, kind=PageKind.TEXT, qr_payloads=["hello"])])
    assert lone.qr_payload is None


def test_scan_qr_fills_image_pages_and_leaves_text_pages_without_a_pdf():
    import cv2

    image = cv2.imread(str(realfile("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png")))
    pages = [Page(number=1, kind=PageKind.IMAGE, image=image), Page(number=2, kind=PageKind.TEXT)]
    scan_qr(pages)
    assert parse_payload(pages[0].qr_payloads[0]).number == "33207675"
    assert pages[1].qr_payloads == []


# --- QR images read from the PDF's own streams (no pdfium) ----------------------------------------

PAYLOAD = "01,10,051002200211,45396125,472.49,20230404,85657359542658081818,E08C,"


def _qr_modules(text: str = PAYLOAD, scale: int = 3) -> tuple[bytes, int]:
    """A QR as 8-bit grey rows (0 ink, 255 paper) with its quiet zone, and its side in pixels."""
    import zxingcpp

    image = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode), scale=scale)
    side = memoryview(image).shape[0]
    return bytes(memoryview(image)), side


def _pack_bits(grey: bytes, side: int, ink_bit: int) -> bytes:
    rows = []
    for y in range(side):
        bits = [(ink_bit if grey[y * side + x] < 128 else 1 - ink_bit) for x in range(side)]
        bits += [0] * (-side % 8)
        rows.append(bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8)))
    return b"".join(rows)


def _image_pdf(tmp_path, attrs: bytes, data: bytes, box: float = 57, name: str = "qr.pdf"):
    """A one-page invoice-like PDF: a text line and the image placed top-left, `box` points square."""
    from test_pdftext import build_pdf, cjk, stream_object, write

    content = cjk("四川增值税电子普通发票", 200, 360) + cjk("发票号码:45396125", 420, 340)
    content += b"q %g 0 0 %g 24 320 cm /Im1 Do Q\n" % (box, box)
    image = stream_object(b"/Type /XObject /Subtype /Image " + attrs, data)
    return write(tmp_path, build_pdf([content], xobjects={"Im1": image}), name)


def _read(path):
    from intake.pdftext import read_pdf
    from intake.settings import Settings

    return read_pdf(path, Settings())


def test_one_bit_qr_with_inverted_decode_is_read_from_the_stream(tmp_path):
    import zlib

    grey, side = _qr_modules()
    data = zlib.compress(_pack_bits(grey, side, ink_bit=1))  # 1 = ink, so /Decode [1 0]
    attrs = b"/Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Decode [1 0] /Filter /FlateDecode" % (side, side)
    page = _read(_image_pdf(tmp_path, attrs, data))[0]
    assert page.qr_payloads == [PAYLOAD]
    # zxing also reads light-on-dark codes, so check the samples themselves: ink 0, paper 255, as drawn.
    from pdfminer.pdftypes import LIT, PDFStream

    from intake.qr import _pdf_pixels

    for ink_bit, decode in ((1, [1, 0]), (0, None)):
        attrs = {"Width": side, "Height": side, "ColorSpace": LIT("DeviceGray"), "BitsPerComponent": 1}
        if decode:
            attrs["Decode"] = decode
        pixels = _pdf_pixels(PDFStream(attrs, _pack_bits(grey, side, ink_bit)))
        assert (pixels.width, pixels.height, pixels.channels) == (side, side, 1) and pixels.data == grey


def test_indexed_one_bit_and_png_predicted_rgb_qrs(tmp_path):
    import zlib

    grey, side = _qr_modules()
    palette = b"<ffffff000000>"  # index 0 white, 1 black
    data = zlib.compress(_pack_bits(grey, side, ink_bit=1))
    attrs = b"/Width %d /Height %d /ColorSpace [/Indexed /DeviceRGB 1 %s] /BitsPerComponent 1 /Filter /FlateDecode" % (side, side, palette)
    assert _read(_image_pdf(tmp_path, attrs, data, name="indexed.pdf"))[0].qr_payloads == [PAYLOAD]

    # RGB, each row behind a PNG "None" filter byte (Predictor 15), red-tinted ink.
    rows = b"".join(b"\x00" + b"".join(b"\x90\x00\x00" if v < 128 else b"\xff\xff\xff" for v in grey[y * side : (y + 1) * side]) for y in range(side))
    attrs = (b"/Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
             b"/DecodeParms << /Predictor 15 /Colors 3 /Columns %d /BitsPerComponent 8 >>" % (side, side, side))
    assert _read(_image_pdf(tmp_path, attrs, zlib.compress(rows), name="rgb.pdf"))[0].qr_payloads == [PAYLOAD]


def test_jpeg_qr_and_images_that_are_no_qr(tmp_path):
    import io

    from PIL import Image

    grey, side = _qr_modules()
    buf = io.BytesIO()
    Image.frombytes("L", (side, side), grey).convert("RGB").save(buf, "JPEG", quality=90)
    attrs = b"/Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode" % (side, side)
    assert _read(_image_pdf(tmp_path, attrs, buf.getvalue(), name="jpeg.pdf"))[0].qr_payloads == [PAYLOAD]
    # The same code placed 300 points wide is a seal-sized picture, not the invoice QR: not decoded here.
    from intake.qr import qr_from_pdf_images

    big = _read(_image_pdf(tmp_path, attrs, buf.getvalue(), box=300, name="big.pdf"))[0]
    assert big.qr_payloads == []
    assert qr_from_pdf_images([]) == []


@pytest.mark.parametrize("relpath, payload", [r for r in QR_ROWS if r[0].endswith(".pdf")])
def test_real_pdf_qr_comes_with_the_text(relpath, payload):
    """read_pdf decodes the embedded QR image itself; only the JBIG2 one is left to pdfium (scan_pdf_qr)."""
    pages = _read(realfile(relpath))
    if "BWSimKai" in relpath:  # its QR is JBIG2-compressed
        assert pages[0].qr_payloads == []
        scan_pdf_qr(realfile(relpath), pages)
    assert payload in pages[0].qr_payloads


def test_text_pdf_extract_needs_neither_pdfium_nor_numpy():
    import subprocess
    import sys

    path = realfile("mxvc-invoice/sichuan_e_normal_2023_with_goods_list_533.91.pdf")  # 1-bit indexed QR, a goods-list page
    code = (
        "import sys; from intake.pipeline import extract_file; from intake.settings import Settings; "
        f"ex = extract_file({str(path)!r}, Settings()); "
        "print(ex.invoices[0].qr_payload is not None, sorted(m for m in ('pypdfium2', 'numpy', 'cv2', 'pdfplumber') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0].startswith("True [")
    assert "pypdfium2" not in out.stdout and "numpy" not in out.stdout and "cv2" not in out.stdout


def test_goods_list_pages_are_not_rendered_for_a_qr(tmp_path, caplog):
    from intake.pages import TextLine

    goods = Page(number=2, kind=PageKind.TEXT, width=595, height=842,
                 lines=[TextLine("销售货物或者提供应税劳务、服务清单", 150, 40, 450, 55)])
    invoice_page = Page(number=1, kind=PageKind.TEXT, width=595, height=396, lines=[TextLine("发票号码:", 420, 30, 460, 40)])
    missing = tmp_path / "gone.pdf"
    scan_pdf_qr(missing, [goods])  # nothing to do: the file is not even opened
    assert not caplog.records
    scan_pdf_qr(missing, [invoice_page])  # a first page without a QR yet is looked at (and the missing file noticed)
    assert any("cannot open" in r.getMessage() for r in caplog.records)
