"""Validation: exact reasons and support on hand-built invoices, the review path, and the real OFD ground truth."""

from __future__ import annotations

from decimal import Decimal
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from conftest import realfile
from intake import normal
from intake.invoice import FIELDS, FieldValue, Invoice, Source
from intake.validate import check, looks_like_person, tax_id_verdict, validate, validate_values

TODAY = date(2026, 11, 23)


def build(values: dict[str, str], items: list[dict[str, str]] = (), qr: str | None = None, source: str = Source.TEXT_LAYER) -> Invoice:
    invoice = Invoice(qr_payload=qr)
    for name in FIELDS:
        value = values.get(name, "")
        invoice.set(name, FieldValue(value=value, source=source, found=bool(value)))
    for item in items:
        invoice.items.append({k: FieldValue(value=v, source=source, found=bool(v)) for k, v in item.items()})
    return invoice


def digital_special() -> Invoice:
    """The real 2024 数电专票 (ofdrw 20240531141733.ofd) as a text layer would give it."""
    return build(
        {
            "invoice_type": "digital_special",
            "invoice_number": "24112000000048542163",
            "issue_date": "2024-05-28",
            "buyer_name": "海南麒麟云服科技有限公司",
            "buyer_tax_id": "91460300MAA92DJN95",
            "seller_name": "北京互联三六五科技有限公司",
            "seller_tax_id": "91110108690017781B",
            "total_amount": "4197.17",
            "total_tax": "251.83",
            "amount_with_tax": "4449.00",
            "amount_in_words": "肆仟肆佰肆拾玖圆整",
            "drawer": "王敏",
        },
        [{"name": "*信息技术服务*技术服务费", "spec": "", "unit": "", "quantity": "", "unit_price": "",
          "amount": "4197.17", "tax_rate": "6%", "tax": "251.83"}],
        qr="01,31,,24112000000048542163,4449.00,20240528,,1A2B",
    )


def electronic_normal() -> Invoice:
    """The real 2020 浙江 电子普票 (ofdrw 1.ofd, values from its original_invoice.xml)."""
    return build(
        {
            "invoice_type": "vat_electronic_normal",
            "invoice_code": "033002000211",
            "invoice_number": "83089647",
            "issue_date": "2020-07-23",
            "check_code": "16197833567414507415",
            "machine_number": "927000236092",
            "buyer_name": "江苏京利华新材料有限公司",
            "buyer_tax_id": "91320115MA202UKD7X",
            "seller_name": "兰溪市悦济舫餐厅",
            "seller_tax_id": "92330781MA2EDMFU50",
            "total_amount": "510.68",
            "total_tax": "15.32",
            "amount_with_tax": "526.00",
            "amount_in_words": "伍佰贰拾陆圆整",
            "drawer": "管理员",
        },
        [{"name": "*餐饮服务*餐费", "spec": "", "unit": "", "quantity": "1", "unit_price": "510.679612",
          "amount": "510.68", "tax_rate": "3%", "tax": "15.32"}],
        qr="01,10,033002000211,83089647,510.68,20200723,16197833567414507415,0941,",
    )


def reasons(invoice: Invoice) -> dict[str, list[str]]:
    out = {n: fv.reasons for n, fv in invoice.fields.items() if fv.reasons}
    for i, item in enumerate(invoice.items):
        out.update({f"items.{i}.{n}": fv.reasons for n, fv in item.items() if fv.reasons})
    return out


def test_good_digital_special_has_no_reasons_and_strong_support():
    inv = digital_special()
    validate(inv, today=TODAY)
    assert reasons(inv) == {}
    f = inv.fields
    assert set(f["invoice_number"].support) == {"format_ok", "qr_agrees", "date_agrees"}
    assert set(f["amount_with_tax"].support) == {"format_ok", "sum_ok", "words_agree", "qr_agrees"}
    # One line: its amount is the 合计 printed again, which confirms nothing (a misread would repeat).
    assert set(f["total_amount"].support) == {"format_ok", "sum_ok"}
    assert set(f["buyer_tax_id"].support) == {"format_ok", "checksum_ok"}
    assert set(f["invoice_type"].support) == {"format_ok", "qr_agrees"}
    # 数电票 print no code and no check code: absent, not missing.
    assert f["invoice_code"].support == [] and f["check_code"].support == []
    assert set(inv.items[0]["tax"].support) == {"format_ok", "rate_ok"}
    # Two lines that add up to the 合计 are two more readings: then the totals and the lines earn items_agree.
    half = dict(inv.items[0])
    for name in ("amount", "tax"):
        whole = Decimal(inv.items[0][name].value)
        first = (whole / 2).quantize(Decimal("0.01"))
        inv.items[0][name] = FieldValue(value=f"{first:.2f}")
        half[name] = FieldValue(value=f"{whole - first:.2f}")
    inv.items.append(half)
    validate(inv, today=TODAY)
    assert "items_agree" in inv.fields["total_amount"].support and "items_agree" in inv.fields["total_tax"].support
    assert "items_agree" in inv.items[1]["amount"].support


def test_good_electronic_normal_has_no_reasons():
    inv = electronic_normal()
    validate(inv, today=TODAY)
    assert reasons(inv) == {}
    f = inv.fields
    assert set(f["invoice_code"].support) == {"format_ok", "type_agrees", "qr_agrees"}
    assert set(f["total_amount"].support) == {"format_ok", "sum_ok", "qr_agrees"}  # QR amount is pre-tax
    assert "qr_agrees" not in f["amount_with_tax"].support
    assert set(f["check_code"].support) == {"format_ok", "qr_agrees"}
    assert set(inv.items[0]["unit_price"].support) == {"format_ok", "qty_price_ok"}


def test_wrong_uscc_check_character():
    inv = digital_special()
    inv.fields["seller_tax_id"].value = "91110108690017781C"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"seller_tax_id": ["checksum_failed"]}


@pytest.mark.parametrize(
    ("value", "reasons_", "support"),
    [
        ("91120222079642398Y", [], ["format_ok", "checksum_ok"]),
        ("91120222079642398X", ["checksum_failed"], []),
        ("9150010807MGZHI002", ["format_invalid"], []),  # I is not in the USCC alphabet
        ("11010519491231002X", [], ["format_ok"]),  # a valid 身份证号: format only
        ("110105194912310021", ["checksum_failed"], []),  # neither a USCC nor a 身份证号
        ("120222079642398", [], ["format_ok"]),  # old 15-character number
        ("1201161234567890AB", ["checksum_failed"], []),
        ("9112022207964239", ["format_invalid"], []),
        ("91120222-79642398Y", ["format_invalid"], []),
    ],
)
def test_tax_id_rules(value, reasons_, support):
    assert tax_id_verdict(value) == (reasons_, support)


def test_sum_mismatch_flags_the_totals_the_qr_does_not_confirm():
    inv = digital_special()
    inv.fields["total_tax"].value = "251.38"
    validate(inv, today=TODAY)
    assert reasons(inv) == {
        "total_amount": ["sum_mismatch"],
        "total_tax": ["sum_mismatch"],
        # 价税合计 equals the QR's amount: the sum that does not close points at the other two.
        "items.0.tax": ["sum_mismatch"],  # lines no longer add up to the 合计 税额
    }
    assert "qr_agrees" in inv.fields["amount_with_tax"].support
    inv.qr_payload = None
    validate(inv, today=TODAY)
    assert reasons(inv)["amount_with_tax"] == ["sum_mismatch"]


def test_line_amount_that_breaks_rate_and_item_sum_points_at_the_line_when_the_totals_close():
    # amount + tax = total and the 大写 names that total: the 合计 row is confirmed three ways,
    # so a line that does not add up is the line's error, not the totals'.
    inv = digital_special()
    inv.items[0]["amount"].value = "4197.71"
    validate(inv, today=TODAY)
    assert reasons(inv) == {
        "items.0.amount": ["sum_mismatch"],
        "items.0.tax": ["sum_mismatch"],
        "items.0.tax_rate": ["sum_mismatch"],
    }
    assert "items_agree" not in inv.fields["total_amount"].support
    assert set(inv.fields["total_amount"].support) == {"format_ok", "sum_ok"}


def test_item_sum_mismatch_flags_the_totals_when_nothing_confirms_them():
    # Without the words (and no QR amount) the totals' own closure is one check: the lines may be right.
    inv = digital_special()
    inv.qr_payload = None
    inv.fields["amount_in_words"].value = ""
    inv.items[0]["amount"].value = "4197.71"
    validate(inv, today=TODAY)
    assert reasons(inv) == {
        "total_amount": ["sum_mismatch"],
        "items.0.amount": ["sum_mismatch"],
        "items.0.tax": ["sum_mismatch"],
        "items.0.tax_rate": ["sum_mismatch"],
    }
    # Words that name another total confirm nothing either.
    inv = digital_special()
    inv.qr_payload = None
    inv.fields["amount_in_words"].value = "肆仟肆佰肆拾捌圆整"
    inv.items[0]["amount"].value = "4197.71"
    validate(inv, today=TODAY)
    assert reasons(inv)["total_amount"] == ["sum_mismatch"]


def test_a_line_with_garbled_figures_does_not_testify_against_totals_that_add_up():
    # Seed 5239: the amount column read into the rate ("1944.0013%"), the line's amount half of it. Nothing but the
    # totals' own closure confirms them, yet a line whose rate is no rate says nothing about the 合计.
    inv = digital_special()
    inv.qr_payload = None
    inv.fields["amount_in_words"].value = ""
    inv.items[0]["amount"].value = "972.00"
    inv.items[0]["tax_rate"].value = "1944.0013%"
    validate(inv, today=TODAY)
    found = reasons(inv)
    assert "total_amount" not in found and "total_tax" not in found
    assert found["items.0.tax_rate"] == ["format_invalid"] and found["items.0.amount"] == ["sum_mismatch"]
    # Totals that do not add up themselves stay suspect.
    inv.fields["total_tax"].value = "251.38"
    validate(inv, today=TODAY)
    assert "sum_mismatch" in reasons(inv)["total_amount"]


def test_qr_amount_closes_the_totals_without_words():
    inv = electronic_normal()  # its QR carries the pre-tax 合计金额
    inv.fields["amount_in_words"].value = ""
    inv.items[0]["tax"].value = "15.23"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"items.0.tax": ["sum_mismatch"], "items.0.tax_rate": ["sum_mismatch"]}


def test_tax_sum_within_per_line_rounding_is_tolerated_but_not_support():
    inv = digital_special()
    inv.items = []
    values = inv.values()
    lines = [
        {"name": "*a*x", "amount": "100.05", "tax_rate": "6%", "tax": "6.00"},  # 6.003
        {"name": "*a*y", "amount": "4097.12", "tax_rate": "6%", "tax": "245.83"},  # 245.8272
    ]
    # 合计 tax printed as computed on the total (251.83) while lines sum to 251.83 too: exact here.
    assert check(values, lines, today=TODAY).reasons() == {}
    values["total_tax"], values["amount_with_tax"] = "251.84", "4449.01"
    values["amount_in_words"] = "肆仟肆佰肆拾玖圆零壹分"
    findings = check(values, lines, today=TODAY)
    assert findings.reasons() == {}
    assert "items_agree" not in findings.fields["total_tax"].support
    values["total_tax"], values["amount_with_tax"] = "251.86", "4449.03"
    values["amount_in_words"] = "肆仟肆佰肆拾玖圆零叁分"
    # Beyond the rounding: the totals close and the words confirm them, so the lines are flagged.
    assert check(values, lines, today=TODAY).reasons() == {"items.0.tax": ["sum_mismatch"], "items.1.tax": ["sum_mismatch"]}
    # Without the words the 合计 税额 is as suspect as the lines.
    values["amount_in_words"] = ""
    assert check(values, lines, today=TODAY).reasons() == {
        "total_tax": ["sum_mismatch"], "items.0.tax": ["sum_mismatch"], "items.1.tax": ["sum_mismatch"]
    }


def test_words_mismatch_blames_the_words_when_the_figures_close():
    inv = digital_special()
    inv.fields["amount_in_words"].value = "肆仟肆佰肆拾捌圆整"
    inv.qr_payload = None
    validate(inv, today=TODAY)
    # 金额 + 税额 = 价税合计: the three figures confirm one another; the 大写 is the odd one out.
    assert reasons(inv) == {"amount_in_words": ["words_figures_mismatch"]}
    inv.fields["total_tax"].value = "251.38"
    validate(inv, today=TODAY)
    assert reasons(inv)["amount_with_tax"] == ["sum_mismatch", "words_figures_mismatch"]


def test_unreadable_words_are_format_invalid_only():
    inv = digital_special()
    inv.fields["amount_in_words"].value = "肆仟肆佰X拾玖圆整"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"amount_in_words": ["format_invalid"]}
    assert "words_agree" not in inv.fields["amount_with_tax"].support


def test_qr_mismatch_on_number_only():
    inv = electronic_normal()
    inv.qr_payload = "01,10,033002000211,83089641,510.68,20200723,16197833567414507415,0941,"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"invoice_number": ["qr_mismatch"]}
    assert "qr_agrees" in inv.fields["issue_date"].support


def test_qr_amount_kind_decides_which_total_is_compared():
    inv = digital_special()
    inv.qr_payload = "01,31,,24112000000048542163,4197.17,20240528,,1A2B"  # pre-tax figure where 数电 put 价税合计
    validate(inv, today=TODAY)
    assert reasons(inv) == {"amount_with_tax": ["qr_mismatch"]}


def test_code_that_names_another_type():
    inv = electronic_normal()
    inv.fields["invoice_code"].value = "033002000213"  # ends 13: 电子专票
    inv.qr_payload = None
    validate(inv, today=TODAY)
    assert reasons(inv) == {"invoice_type": ["type_mismatch"], "invoice_code": ["type_mismatch"]}


def test_number_of_the_other_family_blames_type_too():
    inv = electronic_normal()
    inv.fields["invoice_number"].value = "24112000000048542163"
    inv.qr_payload = None
    validate(inv, today=TODAY)
    assert reasons(inv) == {"invoice_number": ["format_invalid"], "invoice_type": ["type_mismatch"]}


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("vat_electronic_normal", "2026-11-24", []),  # a day of slack for time zones
        ("vat_electronic_normal", "2026-11-26", ["date_implausible"]),
        ("vat_electronic_normal", "2009-12-31", ["date_implausible"]),
        ("digital_special", "2021-06-01", ["date_implausible"]),  # before 数电票 existed
        ("vat_electronic_normal", "2023-02-30", ["format_invalid"]),
        ("vat_electronic_normal", "", ["not_found"]),
    ],
)
def test_dates(kind, day, expected):
    values = {"invoice_type": kind, "issue_date": day}
    assert check(values, today=TODAY).fields["issue_date"].reasons == expected


def test_missing_required_fields_by_type():
    found = check({"invoice_type": "vat_electronic_normal"}, today=TODAY).reasons()
    for name in ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "seller_name",
                 "seller_tax_id", "buyer_tax_id", "total_amount", "total_tax", "amount_with_tax",
                 "drawer"):  # every invoice prints its 开票人: an empty one was not found, not left blank
        assert found[name] == ["not_found"], name
    for name in ("machine_number", "remarks", "amount_in_words", "invoice_type"):
        assert name not in found
    digital = check({"invoice_type": "digital_normal"}, today=TODAY).reasons()
    assert "invoice_code" not in digital and "check_code" not in digital
    special = check({"invoice_type": "vat_special"}, today=TODAY).reasons()
    assert "check_code" not in special  # paper 专票 print no 校验码
    assert check({}, today=TODAY).reasons()["invoice_type"] == ["not_found"]


def test_digital_invoice_with_a_code_is_format_invalid():
    inv = digital_special()
    inv.fields["invoice_code"].value = "011002100111"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"invoice_code": ["format_invalid"]}


@pytest.mark.parametrize(
    ("kind", "buyer", "flagged"),
    [
        ("vat_electronic_normal", "个人", False),
        ("vat_electronic_normal", "张伟", False),
        ("digital_normal", "欧阳娜娜", False),
        ("vat_electronic_normal", "西华大学", True),
        ("vat_electronic_normal", "天津瑞佳讯贸易有限公司", True),
        ("vat_electronic_special", "张伟", True),  # 专票 always name a taxpayer
        ("digital_special", "个人", True),
    ],
)
def test_person_buyer_may_have_no_tax_id(kind, buyer, flagged):
    r = check({"invoice_type": kind, "buyer_name": buyer, "buyer_tax_id": ""}, today=TODAY).fields["buyer_tax_id"].reasons
    assert r == (["not_found"] if flagged else [])


def test_looks_like_person():
    assert looks_like_person("个人") and looks_like_person("个人（张三）") and looks_like_person("李娜")
    assert not looks_like_person("") and not looks_like_person("北京大学") and not looks_like_person("华为公司")


def test_shenzhen_short_check_code_and_url_qr():
    values = {
        "invoice_type": "vat_electronic_normal", "invoice_code": "144032409110", "invoice_number": "02730522",
        "issue_date": "2024-01-17", "check_code": "e9052", "amount_with_tax": "37.20",
    }
    qr = ("https://bcfp.shenzhen.chinatax.gov.cn/verify/scan?hash=018f2d86b7848416eaf7308e503007f0ff7c7bc6cdf3148efa1f4f37cd162e9052"
          "&bill_num=02730522&total_amount=3720")
    f = check(values, qr_payload=qr, today=TODAY).fields
    assert f["check_code"].reasons == [] and set(f["check_code"].support) == {"format_ok", "qr_agrees"}
    assert "qr_agrees" in f["amount_with_tax"].support and "qr_agrees" in f["invoice_number"].support
    values["invoice_code"] = "033002000211"  # not 深圳: a 5-character check code is a misread
    assert check(values, today=TODAY).fields["check_code"].reasons == ["format_invalid"]


def test_party_names_with_cipher_characters_are_format_invalid():
    f = check({"buyer_name": "中铁文化<旅游>+投资", "seller_name": "12345"}, today=TODAY).fields
    assert f["buyer_name"].reasons == ["format_invalid"] and f["seller_name"].reasons == ["format_invalid"]


def test_review_path_and_invoice_path_agree():
    inv = electronic_normal()
    inv.fields["seller_tax_id"].value = "92330781MA2EDMFU5O"
    inv.fields["amount_in_words"].value = "伍佰贰拾柒圆整"
    validate(inv, today=TODAY)
    edited = validate_values(
        inv.values(), [{k: fv.value for k, fv in item.items()} for item in inv.items], inv.qr_payload, today=TODAY
    )
    assert edited == reasons(inv)
    assert edited == {
        "seller_tax_id": ["format_invalid"],
        "amount_in_words": ["words_figures_mismatch"],
    }


def test_revalidation_replaces_stale_reasons_and_keeps_foreign_ones():
    inv = digital_special()
    inv.fields["seller_tax_id"].value = "91110108690017781C"
    inv.fields["seller_name"].flag("duplicate")
    validate(inv, today=TODAY)
    assert inv.fields["seller_tax_id"].reasons == ["checksum_failed"]
    inv.fields["seller_tax_id"].value = "91110108690017781B"  # a reviewer's fix
    validate(inv, today=TODAY)
    validate(inv, today=TODAY)
    assert reasons(inv) == {"seller_name": ["duplicate"]}
    assert inv.fields["seller_tax_id"].support == ["format_ok", "checksum_ok"]


@pytest.mark.parametrize(
    ("quantity", "price", "ok"),
    [
        ("3.5", "4000", True),
        ("3", "4666.666667", True),  # the printed price is itself rounded
        ("1", "15820", True),  # a tax-inclusive unit price
        ("3.5", "4100", False),
        ("35", "4000", False),
    ],
)
def test_item_quantity_times_price(quantity, price, ok):
    lines = [{"name": "*钢材*螺纹钢", "quantity": quantity, "unit_price": price, "amount": "14000.00",
              "tax_rate": "13%", "tax": "1820.00"}]
    f = check({}, lines, today=TODAY).items[0]
    if ok:
        assert f["quantity"].reasons == [] and "qty_price_ok" in f["amount"].support
    else:
        assert f["quantity"].reasons == ["sum_mismatch"] and f["unit_price"].reasons == ["sum_mismatch"]
        assert f["amount"].reasons == []


def test_item_text_is_free():
    lines = [{"name": "*文化办公用设备*ZKTeco/熵基科技JDF800-BS考勤机", "spec": "E90-DTU(400SL22-ETH)-V2.0", "unit": "台",
              "amount": "-8.87", "tax_rate": "13%", "tax": "-1.15"}]  # a discount line from a real JD invoice
    f = check({}, lines, today=TODAY).items[0]
    assert {n: v.reasons for n, v in f.items() if v.reasons} == {}
    assert "format_ok" in f["name"].support and "rate_ok" in f["tax"].support


def test_exempt_line_must_carry_no_tax():
    lines = [{"name": "*运输服务*客运服务费", "amount": "24.07", "tax_rate": "免税", "tax": "0.00"}]
    assert check({}, lines, today=TODAY).items[0]["tax"].reasons == []
    lines[0]["tax"] = "0.72"
    assert check({}, lines, today=TODAY).items[0]["tax"].reasons == ["sum_mismatch"]
    lines[0]["tax_rate"] = "7%"
    assert check({}, lines, today=TODAY).items[0]["tax_rate"].reasons == ["format_invalid"]


# --- real ground truth: the tax bureau's original_invoice.xml inside the OFD samples -----------------

NS = {"fp": "http://www.edrm.org.cn/schema/e-invoice/2019"}


def _from_original_xml(relpath: str):
    root = ET.fromstring(realfile(relpath).read_bytes())

    def text(el, tag):
        return (el.findtext(f".//fp:{tag}", default="", namespaces=NS) or "").strip()

    code = text(root, "InvoiceCode")
    values = {
        "invoice_type": "vat_electronic_special" if code.endswith("13") else "vat_electronic_normal",
        "invoice_code": code,
        "invoice_number": text(root, "InvoiceNo"),
        "issue_date": normal.iso_date(text(root, "IssueDate")),
        "check_code": text(root, "InvoiceCheckCode"),
        "machine_number": text(root, "MachineNo"),
        "buyer_name": text(root, "BuyerName"),
        "buyer_tax_id": text(root, "BuyerTaxID"),
        "seller_name": text(root, "SellerName"),
        "seller_tax_id": text(root, "SellerTaxID"),
        "total_amount": text(root, "TaxExclusiveTotalAmount"),
        "total_tax": text(root, "TaxTotalAmount"),
        "amount_with_tax": text(root, "TaxInclusiveTotalAmount"),
        "drawer": text(root, "InvoiceClerk"),
    }
    items = [
        {"name": text(g, "Item"), "quantity": text(g, "Quantity"), "unit_price": text(g, "Price"),
         "amount": text(g, "Amount"), "tax_rate": text(g, "TaxScheme"), "tax": text(g, "TaxAmount")}
        for g in root.iter(f"{{{NS['fp']}}}GoodsInfo")
    ]
    return values, items, text(root, "GraphCode")


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("ofdrw/zhejiang_e_normal_2020_restaurant.original_invoice.xml", {}),
        ("easyofd/guizhou_e_special_2022_zengzhishui_dianzi_zhuanpiao5.original_invoice.xml", {}),
        # 财天下 test data: the buyer is 个人 (no id), the seller's id is made up.
        ("ofdrw/chongqing_e_normal_2020_with_list_999.original_invoice.xml", {"seller_tax_id": ["checksum_failed"]}),
        ("ofdrw/chongqing_e_normal_2020_specimen_fapiaoshili.original_invoice.xml",
         {"buyer_tax_id": ["format_invalid"], "seller_tax_id": ["checksum_failed"]}),
    ],
)
def test_real_ground_truth(relpath, expected):
    values, items, graph_code = _from_original_xml(relpath)
    findings = check(values, items, graph_code, today=TODAY)
    assert findings.reasons() == expected
    assert "qr_agrees" in findings.fields["invoice_number"].support
    assert ("items_agree" in findings.fields["total_amount"].support) == (len(items) > 1)


def test_a_capital_amount_is_not_a_name():
    inv = digital_special()
    inv.fields["seller_name"].value = "柒仟叁佰肆拾壹圆陆角伍分"
    validate(inv, today=TODAY)
    assert reasons(inv) == {"seller_name": ["format_invalid"]}
    inv.fields["seller_name"].value = "壹号酒店管理有限公司"  # a numeral inside a real name is fine
    validate(inv, today=TODAY)
    assert reasons(inv) == {}


def test_words_that_lost_a_glyph_confirm_the_figure_but_not_themselves():
    """Seed 5257 (paper 普票): 拾壹万… read for 壹拾壹万…, the same amount: the figure is confirmed, the words are not
    as printed and go to review."""
    inv = digital_special()
    validate(inv, today=TODAY)
    assert "words_agree" in inv.fields["amount_in_words"].support
    inv.fields["amount_in_words"].value = "拾壹万贰仟叁佰贰拾玖圆捌角玖分"
    for name, value in (("total_amount", "99407.00"), ("total_tax", "12922.89"), ("amount_with_tax", "112329.89")):
        inv.fields[name].value = value
    validate(inv, today=TODAY)
    assert "words_agree" in inv.fields["amount_with_tax"].support
    assert "words_agree" not in inv.fields["amount_in_words"].support
    assert inv.fields["amount_in_words"].reasons == []


def test_a_drawer_that_is_the_signature_rows_label_is_no_drawer():
    """The 2010 specimen (real data): its 开票人 box read as the drawer, accepted."""
    assert check({"invoice_type": "vat_special", "drawer": "开票人"}, today=TODAY).reasons()["drawer"] == ["format_invalid"]
    assert check({"invoice_type": "vat_special", "drawer": "复核："}, today=TODAY).reasons()["drawer"] == ["format_invalid"]
    assert "drawer" not in check({"invoice_type": "vat_special", "drawer": "王芳娟"}, today=TODAY).reasons()
