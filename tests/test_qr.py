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
