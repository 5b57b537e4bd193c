"""Field extraction on every Chinese text-layer PDF of the real-data set, against values read from the files and their QR codes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from intake.fields import extract_invoices
from intake.invoice import KEY_FIELDS, Source
from intake.pdftext import read_pdf
from intake.settings import Settings

from conftest import REALDATA, realfile

BUYER_MXVC = ("中铁文化旅游投资集团有限公司", "91520000MA6DKWDM90")

# Expected values: read from the printed invoices (pdfplumber dumps, rendered pages) and
# cross-checked with _derived/qr_decoded.csv (code, number, date, amount, check code).
# `items` is (count, first item name, first item amount).
CASES: dict[str, dict] = {
    "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf": dict(
        invoice_type="digital_special", invoice_code="", invoice_number="24112000000019562163",
        issue_date="2024-04-07", check_code="",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="北京飞天下航空服务有限公司", seller_tax_id="91110106580837279G",
        total_amount="551.89", total_tax="33.11", amount_with_tax="585.00",
        amount_in_words="伍佰捌拾伍圆整", items=(1, "*经纪代理服务*服务费", "551.89"),
    ),
    "mxvc-invoice/shenzhen_blockchain_e_normal_2023_hotel_962.00.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="144032309110", invoice_number="09826096",
        issue_date="2023-03-18", check_code="10a19",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="深圳市定军山商业管理有限公司", seller_tax_id="91440300MA5FPRG28K",
        total_amount="907.55", total_tax="54.45", amount_with_tax="962.00",
        amount_in_words="玖佰陆拾贰元整", items=(1, "*住宿服务*住宿费", "907.55"),
    ),
    "mxvc-invoice/shenzhen_e_normal_2024_ride_37.20.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="144032409110", invoice_number="02730522",
        issue_date="2024-01-17", check_code="e9052",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="深圳市中交出行科技有限公司", seller_tax_id="91440300MA5DBYX94A",
        total_amount="36.12", total_tax="1.08", amount_with_tax="37.20",
        amount_in_words="叁拾柒圆贰角", items=(1, "*运输服务*客运服务费", "36.12"),
    ),
    "mxvc-invoice/sichuan_e_normal_2022_hotel_BWSimKai_no_tounicode_759.00.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="051002100211", invoice_number="04868861",
        issue_date="2022-08-25", check_code="03363566567257437392",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="郫都区优舍酒店", seller_tax_id="92510124MA6794X98P",
        total_amount="759.00", total_tax="0.00", amount_with_tax="759.00",
        amount_in_words="柒佰伍拾玖圆整", items=(1, "*住宿服务*住宿费", "759.00"),
    ),
    "mxvc-invoice/sichuan_e_normal_2022_jd_discount_line_587.98.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="051002200211", invoice_number="11221570",
        issue_date="2022-12-07", check_code="82767747691248676664",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="成都京东世纪贸易有限公司", seller_tax_id="91510107698868804J",
        total_amount="520.33", total_tax="67.65", amount_with_tax="587.98",
        amount_in_words="伍佰捌拾柒圆玖角捌分",
        items=(2, "*文化办公用设备*ZKTeco/熵基科技JDF800-BS动态人脸识别考勤机指纹人脸混合毫秒级识别打卡机", "529.20"),
    ),
    "mxvc-invoice/sichuan_e_normal_2023_with_goods_list_533.91.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="051002200211", invoice_number="45396125",
        issue_date="2023-04-04", check_code="85657359542658081818",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="成都亿佰特电子科技有限公司", seller_tax_id="91510100594693114G",
        total_amount="472.49", total_tax="61.42", amount_with_tax="533.91",
        amount_in_words="伍佰叁拾叁圆玖角壹分",
        items=(8, "*通信传输设备*SX1262/SX1268串口收发433/900M自动组网低", "33.39"),
    ),
    "mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="012002300311", invoice_number="24799679",
        issue_date="2023-12-28", check_code="64686217744204980125",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="去哪儿网（天津）国际旅行社有限公司", seller_tax_id="91120222300429132L",
        total_amount="311.32", total_tax="18.68", amount_with_tax="330.00",
        amount_in_words="叁佰叁拾圆整", items=(1, "*旅游服务*住宿费", "311.32"),
    ),
    "mxvc-invoice/guizhou_e_normal_2022_restaurant_tosign_1308.00.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="052001900211", invoice_number="33838314",
        issue_date="2022-02-18", check_code="85664897010029308315",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="南明区大度口个体餐馆太升店", seller_tax_id="92520102MA6ED7G10U",
        total_amount="1233.96", total_tax="74.04", amount_with_tax="1308.00",
        amount_in_words="壹仟叁佰零捌圆整", items=(1, "*餐饮服务*餐饮费", "1233.96"),
    ),
    "mxvc-invoice/sichuan_e_normal_2022_ride_foxit_modified_24.07.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="051002100511", invoice_number="87094083",
        issue_date="2022-08-30", check_code="57995772883196672360",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="成都僖行天下科技有限公司", seller_tax_id="91510116MA64T53P73",
        total_amount="24.07", total_tax="0.00", amount_with_tax="24.07",
        amount_in_words="贰拾肆圆零柒分", items=(1, "*运输服务*客运服务费", "24.07"),
    ),
    "mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="051002200411", invoice_number="19975685",
        issue_date="2023-06-25", check_code="53045890331699094305",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="成都鞍马智行科技有限公司", seller_tax_id="91510107MA65T8E44U",
        total_amount="16.89", total_tax="0.51", amount_with_tax="17.40",
        amount_in_words="壹拾柒圆肆角", items=(1, "*运输服务*客运服务费", "16.89"),
    ),
    "mxvc-invoice/jiangsu_e_normal_2022_ride_15.94.pdf": dict(
        invoice_type="vat_electronic_normal", invoice_code="032002100611", invoice_number="27086599",
        issue_date="2022-08-30", check_code="07662933737755740708",
        buyer_name=BUYER_MXVC[0], buyer_tax_id=BUYER_MXVC[1],
        seller_name="苏州市吉利优行电子科技有限公司", seller_tax_id="91320594MA1MFD7F31",
        total_amount="15.94", total_tax="0.00", amount_with_tax="15.94",
        amount_in_words="壹拾伍圆玖角肆分", items=(1, "*运输服务*客运服务费", "15.94"),
    ),
    "easyofd/shudian_special_2023_rendered_from_ofd_by_easyofd.pdf": dict(
        invoice_type="digital_special", invoice_code="", invoice_number="23512000000005197325",
        issue_date="2023-01-30", check_code="",
        buyer_name="中国移动通信集团四川有限公司成都分公司", buyer_tax_id="91510000765055994P",
        seller_name="郫都区星讯通讯设备经营部", seller_tax_id="92510124MA6B1BBY1G",
        total_amount="2129.34", total_tax="21.29", amount_with_tax="2150.63",
        amount_in_words="贰仟壹佰伍拾圆陆角叁分", items=(1, "*现代服务*移动代理服务", "2129.34"),
    ),
    "fapiao-rename/shudian_special_2026_hotel_remarks_268.00.pdf": dict(
        invoice_type="digital_special", invoice_code="", invoice_number="26342000001798762786",
        issue_date="2026-06-10", check_code="",
        buyer_name="上海松鼠创科技术有限责任公司", buyer_tax_id="91310114MAEF222A74",
        seller_name="广德月满庭酒店（个体工商户）", seller_tax_id="92341882MAK1CDJB6X",
        total_amount="265.35", total_tax="2.65", amount_with_tax="268.00",
        amount_in_words="贰佰陆拾捌圆整", items=(1, "*生产生活服务*住宿服务", "265.35"),
    ),
    "zsc140217-trip-mgmt/shudian_special_2024_rebar_2lines_128656.32.pdf": dict(
        invoice_type="digital_special", invoice_code="", invoice_number="24512000000202537619",
        issue_date="2024-09-25", check_code="",
        buyer_name="内江市天润商贸有限公司", buyer_tax_id="91511002309361947N",
        seller_name="四川川海工程管理咨询有限公司", seller_tax_id="91511002572793472P",
        total_amount="113855.15", total_tax="14801.17", amount_with_tax="128656.32",
        amount_in_words="壹拾贰万捌仟陆佰伍拾陆圆叁角贰分", items=(2, "*黑色金属冶炼压延品*螺纹钢", "26704.99"),
    ),
    "zsc140217-trip-mgmt/shudian_special_2025_coal_2899804.18.pdf": dict(
        invoice_type="digital_special", invoice_code="", invoice_number="25502000000008817662",
        issue_date="2025-01-21", check_code="",
        buyer_name="四川川海工程管理咨询有限公司", buyer_tax_id="91511002572793472P",
        seller_name="重庆东输石油有限公司", seller_tax_id="91500152MA7KBGLD1Y",
        total_amount="2566198.39", total_tax="333605.79", amount_with_tax="2899804.18",
        amount_in_words="贰佰捌拾玖万玖仟捌佰零肆圆壹角捌分", items=(1, "*煤炭*原煤", "2566198.39"),
    ),
}

_cache: dict[str, list] = {}


def _invoices(relpath: str):
    if relpath not in _cache:
        pages = read_pdf(realfile(relpath), Settings())
        _cache[relpath] = (pages, extract_invoices(pages))
    return _cache[relpath]


def test_every_chinese_text_pdf_has_a_case(realdata: Path):
    found = {
        str(p.relative_to(realdata))
        for folder in ("mxvc-invoice", "easyofd", "fapiao-rename", "zsc140217-trip-mgmt")
        for p in (realdata / folder).glob("*.pdf")
    }
    assert found == set(CASES)


@pytest.mark.parametrize("relpath", sorted(CASES))
def test_key_fields(relpath: str):
    expected = CASES[relpath]
    _, invoices = _invoices(relpath)
    assert len(invoices) == 1
    got = invoices[0].values()
    wrong = {k: (got[k], expected[k]) for k in KEY_FIELDS if got[k] != expected[k]}
    assert not wrong, wrong
    assert got["amount_in_words"] == expected["amount_in_words"]


@pytest.mark.parametrize("relpath", sorted(CASES))
def test_items(relpath: str):
    count, first_name, first_amount = CASES[relpath]["items"]
    _, invoices = _invoices(relpath)
    items = invoices[0].items
    assert len(items) == count
    assert items[0]["name"].value == first_name
    assert items[0]["amount"].value == first_amount
    # The printed 合计 is the sum of the lines: every line was read, and read into the right column.
    assert sum(Decimal(it["amount"].value) for it in items) == Decimal(CASES[relpath]["total_amount"])
    assert sum(Decimal(it["tax"].value) for it in items) == Decimal(CASES[relpath]["total_tax"])


@pytest.mark.parametrize("relpath", sorted(CASES))
def test_evidence(relpath: str):
    pages, invoices = _invoices(relpath)
    inv = invoices[0]
    page = pages[0]
    for name in KEY_FIELDS:
        fv = inv.fields[name]
        if fv.value == "":
            assert not fv.found, name
            continue
        assert fv.source == Source.TEXT_LAYER and fv.raw_confidence == 1.0 and fv.page == 1
        x0, y0, x1, y1 = fv.box
        assert 0 <= x0 < x1 <= page.width + 1 and 0 <= y0 < y1 <= page.height + 1, (name, fv.box)


def test_goods_list_items_belong_to_the_first_page_invoice():
    pages, invoices = _invoices("mxvc-invoice/sichuan_e_normal_2023_with_goods_list_533.91.pdf")
    assert len(pages) == 2 and len(invoices) == 1
    inv = invoices[0]
    assert inv.extra_pages == [2]
    assert all(it["amount"].page == 2 for it in inv.items)
    assert not any("清单" in it["name"].value for it in inv.items)
    last = inv.items[-1]
    assert last["name"].value == "*通信传输设备*【亿佰特】12V1A电源适配器适配无线数传电台DTU串口"
    assert last["spec"].value == "GQ12-120100-CC"
    assert (inv.items[3]["quantity"].value, inv.items[3]["unit_price"].value) == ("2", "68.535")


def test_discount_line_is_kept_negative():
    _, invoices = _invoices("mxvc-invoice/sichuan_e_normal_2022_jd_discount_line_587.98.pdf")
    discount = invoices[0].items[1]
    assert (discount["amount"].value, discount["tax"].value, discount["tax_rate"].value) == ("-8.87", "-1.15", "13%")
    assert discount["quantity"].value == "" and not discount["quantity"].found


def test_tax_exempt_line_tax_is_zero():
    _, invoices = _invoices("mxvc-invoice/sichuan_e_normal_2022_hotel_BWSimKai_no_tounicode_759.00.pdf")
    item = invoices[0].items[0]
    assert (item["tax_rate"].value, item["tax"].value, item["quantity"].value, item["unit_price"].value) == (
        "免税", "0.00", "3", "253",
    )


def test_wrapped_item_name_and_spec_are_joined():
    _, invoices = _invoices("zsc140217-trip-mgmt/shudian_special_2024_rebar_2lines_128656.32.pdf")
    first, second = invoices[0].items
    assert first["name"].value == "*黑色金属冶炼压延品*螺纹钢"
    assert (first["spec"].value, first["unit"].value, first["quantity"].value) == ("HRB400φ16E", "吨", "7.44")
    assert second["unit_price"].value == "3589.38053097345"


def test_other_fields_on_an_old_e_invoice():
    _, invoices = _invoices("mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf")
    got = invoices[0].values()
    assert got["machine_number"] == "661619973453"
    assert got["drawer"] == "王梦"
    assert got["remarks"].splitlines()[0] == "酒店名称：云孚里酒店(成都羊犀立交店)入离店日期"


def test_digital_invoice_prints_no_code_or_check_code():
    _, invoices = _invoices("mxvc-invoice/shudian_special_2024_suwell_585.00.pdf")
    f = invoices[0].fields
    for name in ("invoice_code", "check_code", "machine_number"):
        assert f[name].value == "" and not f[name].found
    assert f["drawer"].value == "黄争光"


def test_non_invoice_pdf_yields_no_invoice():
    path = REALDATA / "invoice2data" / "AmazonWebServices.pdf"
    if not path.is_file():
        pytest.skip("invoice2data sample absent")
    assert extract_invoices(read_pdf(path, Settings())) == []


def _ocr_shaped(page, scale: float = 200 / 72, confidence: float = 0.93):
    """The page as an OCR engine would hand it over: pixel coordinates, and neighbouring runs of one
    text size merged into one line ("发票代码:051002200411", "-8.8713%")."""
    from intake.layout import bands, piece
    from intake.pages import Page, PageKind, TextLine

    merged = []
    for row in bands([piece(line) for line in page.lines]):
        current = None
        for p in row:
            similar = current is not None and min(p.height, current[3] - current[1]) >= 0.7 * max(
                p.height, current[3] - current[1]
            )
            if similar and p.x0 - current[2] < max(p.height, current[3] - current[1]):
                current = [current[0], min(current[1], p.y0), p.x1, max(current[3], p.y1), current[4] + p.text]
            else:
                if current:
                    merged.append(current)
                current = [p.x0, p.y0, p.x1, p.y1, p.text]
        if current:
            merged.append(current)
    lines = [TextLine(t, x0 * scale, y0 * scale, x1 * scale, y1 * scale, confidence) for x0, y0, x1, y1, t in merged]
    return Page(number=page.number, kind=PageKind.IMAGE, width=page.width * scale, height=page.height * scale, lines=lines)


@pytest.mark.parametrize("relpath", sorted(CASES))
def test_ocr_shaped_lines_give_the_same_fields(relpath: str):
    pages, _ = _invoices(relpath)
    invoices = extract_invoices([_ocr_shaped(p) for p in pages])
    assert len(invoices) == 1
    got = invoices[0].values()
    expected = CASES[relpath]
    assert {k: got[k] for k in KEY_FIELDS} == {k: expected[k] for k in KEY_FIELDS}
    assert len(invoices[0].items) == expected["items"][0]
    number = invoices[0].fields["invoice_number"]
    assert number.source == Source.OCR and number.raw_confidence == pytest.approx(0.93)


def test_invoice_still_read_when_the_words_label_is_lost():
    """OCR can miss the 价税合计（大写） label; the 小写 figure and the rest of the invoice are still read."""
    from dataclasses import replace

    pages, _ = _invoices("mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf")
    page = _ocr_shaped(pages[0])
    page.lines = [replace(l, text="") if l.text.startswith("价税合计") else l for l in page.lines]
    (invoice,) = extract_invoices([page])
    got = invoice.values()
    assert (got["invoice_number"], got["amount_with_tax"], got["total_amount"], got["total_tax"]) == (
        "19975685", "17.40", "16.89", "0.51",
    )
    # The capital amount standing alone on its row is still read as the words.
    assert got["amount_in_words"] == "壹拾柒圆肆角"


def test_the_words_row_is_found_by_its_capital_amount_when_a_glyph_of_it_is_a_look_alike():
    """Calibration photo 20056: the label read 价合计（大写）, 税 lost, and the words 贰佰柒拾玖圈叁角贰分, 圈 for 圆. The
    capital amount standing alone marks the words row only when read with its look-alikes put back (as the words
    themselves are): the row was not found, the 小写 figure not read, and the total with tax only proposed."""
    from dataclasses import replace

    pages, _ = _invoices("mxvc-invoice/sichuan_e_normal_2023_ride_3pct_17.40.pdf")
    page = _ocr_shaped(pages[0])
    page.lines = [replace(l, text="") if l.text.startswith("价税合计") else replace(l, text=l.text.replace("圆", "圈"))
                  for l in page.lines]
    assert any("圈" in l.text for l in page.lines)
    (invoice,) = extract_invoices([page])
    got = invoice.values()
    assert (got["amount_with_tax"], got["amount_in_words"]) == ("17.40", "壹拾柒圆肆角")
