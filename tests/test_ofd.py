"""OFD files: real invoices against their ground truth, the text-page fallback, and refusals of broken or hostile packages."""

from __future__ import annotations

import io
import zipfile

import pytest

from intake.errors import CorruptFileError, TooLargeError
from intake.invoice import KEY_FIELDS
from intake.ofd import MM_TO_PT, read_ofd
from intake.pages import PageKind
from intake.qr import parse_payload
from intake.settings import Settings
from intake.xmlinvoice import invoice_from_structured
from conftest import realfile

# Values from each OFD's original_invoice.xml, and for the 数电 OFD from SOURCES.md §3.
EXPECTED = {
    "ofdrw/zhejiang_e_normal_2020_restaurant.ofd": {
        "invoice_type": "vat_electronic_normal", "invoice_code": "033002000211", "invoice_number": "83089647",
        "issue_date": "2020-07-23", "check_code": "16197833567414507415",
        "buyer_name": "江苏京利华新材料有限公司", "buyer_tax_id": "91320115MA202UKD7X",
        "seller_name": "兰溪市悦济舫餐厅", "seller_tax_id": "92330781MA2EDMFU50",
        "total_amount": "510.68", "total_tax": "15.32", "amount_with_tax": "526.00",
        "amount_in_words": "伍佰贰拾陆圆整",
    },
    "ofdrw/chongqing_e_normal_2020_with_list_999.ofd": {
        "invoice_type": "vat_electronic_normal", "invoice_code": "050001700111", "invoice_number": "12235358",
        "issue_date": "2020-08-05", "check_code": "16630282980991510014",
        "buyer_name": "个人", "buyer_tax_id": "",
        "seller_name": "财天下科技有限公司", "seller_tax_id": "91500102563638729E",
        "total_amount": "10000.00", "total_tax": "600.00", "amount_with_tax": "10600.00",
        "amount_in_words": "壹万零陆佰圆整",
    },
    "ofdrw/chongqing_e_normal_2020_specimen_fapiaoshili.ofd": {
        "invoice_type": "vat_electronic_normal", "invoice_code": "050001700111", "invoice_number": "99999951",
        "issue_date": "2020-10-10", "check_code": "14754822929856772523",
        "buyer_name": "科游迈利有限公司", "buyer_tax_id": "9150010807MGZHI002",
        "seller_name": "杭州融易算企业管理咨询有限公司", "seller_tax_id": "91500106MA2CE71F65",
        "total_amount": "300.00", "total_tax": "18.00", "amount_with_tax": "318.00",
        "amount_in_words": "叁佰壹拾捌圆整",
    },
    "ofdrw/shudian_special_2024_20240531141733.ofd": {
        "invoice_type": "digital_special", "invoice_code": "", "invoice_number": "24112000000048542163",
        "issue_date": "2024-05-28", "check_code": "",
        "buyer_name": "海南麒麟云服科技有限公司", "buyer_tax_id": "91460300MAA92DJN95",
        "seller_name": "北京互联三六五科技有限公司", "seller_tax_id": "91110108690017781B",
        "total_amount": "4197.17", "total_tax": "251.83", "amount_with_tax": "4449.00",
        "amount_in_words": "肆仟肆佰肆拾玖圆整", "drawer": "于俪",
    },
    "easyofd/guizhou_e_special_2022_zengzhishui_dianzi_zhuanpiao5.ofd": {
        "invoice_type": "vat_electronic_special", "invoice_code": "052002100113", "invoice_number": "00008006",
        "issue_date": "2022-05-05", "check_code": "18001801513030862041",
        "buyer_name": "中国移动通信集团贵州有限公司黔南分公司", "buyer_tax_id": "91522701709696623X",
        "seller_name": "独山县城南网格刘梦阳通讯店", "seller_tax_id": "92522726MA7GNHJ07M",
        "total_amount": "24519.05", "total_tax": "735.57", "amount_with_tax": "25254.62",
        "amount_in_words": "贰万伍仟贰佰伍拾肆圆陆角贰分",
    },
}


@pytest.mark.parametrize("relpath", sorted(EXPECTED))
def test_real_ofd_key_fields(relpath):
    pages = read_ofd(realfile(relpath), Settings())
    assert pages[0].kind == PageKind.STRUCTURED
    invoice = invoice_from_structured(pages[0])
    expected = EXPECTED[relpath]
    assert {k: invoice.get(k) for k in expected} == expected
    assert set(KEY_FIELDS) <= set(expected)


def test_chongqing_list_pages_and_items():
    pages = read_ofd(realfile("ofdrw/chongqing_e_normal_2020_with_list_999.ofd"), Settings())
    assert [(p.number, p.kind) for p in pages] == [(1, PageKind.STRUCTURED)] + [(n, PageKind.TEXT) for n in range(2, 6)]
    assert pages[1].lines[0].text == "销售货物或者提供应税劳务、服务清单"
    invoice = invoice_from_structured(pages[0])
    assert len(invoice.items) == 100
    assert sum(float(i["tax"].value) for i in invoice.items) == pytest.approx(600.00)
    # The QR image in the OFD decodes and agrees with the XML.
    qr = parse_payload(pages[0].qr_payloads[0])
    assert (qr.code, qr.number, qr.amount, qr.date) == ("050001700111", "12235358", "10000.00", "2020-08-05")


def test_shudian_ofd_from_custom_tags():
    pages = read_ofd(realfile("ofdrw/shudian_special_2024_20240531141733.ofd"), Settings())
    page = pages[0]
    assert page.structured["schema"] == "ofd_tags"
    invoice = invoice_from_structured(page)
    [item] = invoice.items
    assert {k: item[k].value for k in ("name", "quantity", "amount", "tax_rate", "tax")} == {
        "name": "*信息技术服务*技术服务费", "quantity": "1", "amount": "4197.17", "tax_rate": "6%", "tax": "251.83",
    }
    assert invoice.get("remarks") == "收款人:李蓉蓉;    复核人:周欣铭;"
    # Boxes are the tagged objects' boundaries, in points: the number sits at x=170 mm, y=10.3 mm.
    x0, y0, x1, y1 = invoice.fields["invoice_number"].box
    assert (x0, y0) == pytest.approx((170 * MM_TO_PT, 10.3 * MM_TO_PT))
    qr = parse_payload(page.qr_payloads[0])
    assert (qr.invoice_type, qr.number, qr.amount, qr.amount_kind) == ("digital_special", "24112000000048542163", "4449.00", "with_tax")
    # The 开票人 copy placed off the 140 mm page is not a text line.
    assert all(line.y0 < page.height for line in page.lines)


def _rezip(src, dst, *, drop=(), add=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if not any(part in info.filename for part in drop):
                zout.writestr(info, zin.read(info))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def test_text_pages_when_no_attachment_or_tags(tmp_path):
    src = realfile("ofdrw/zhejiang_e_normal_2020_restaurant.ofd")
    path = _rezip(src, tmp_path / "plain.ofd", drop=("Attachs/", "Tags/"))
    [page] = read_ofd(path, Settings())
    assert page.kind == PageKind.TEXT and page.structured is None
    assert (page.width, page.height) == pytest.approx((210 * MM_TO_PT, 140 * MM_TO_PT))
    by_text = {line.text: line for line in page.lines}
    number = by_text["83089647"]
    # Printed right of the label 发票号码：, both on one baseline, inside the page.
    label = next(line for line in page.lines if line.text.startswith("发票号码"))
    assert label.x0 < number.x0 and label.x1 <= number.x0 + 2 and abs(label.cy - number.cy) < 3
    assert 0 < number.x0 < number.x1 < page.width and 0 < number.y0 < number.y1 < page.height / 3
    assert "江苏京利华新材料有限公司" in by_text


def test_bad_zip_and_missing_parts(tmp_path):
    junk = tmp_path / "junk.ofd"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(CorruptFileError):
        read_ofd(junk, Settings())
    empty = tmp_path / "noofd.ofd"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("Doc_0/Document.xml", "<Document/>")
    with pytest.raises(CorruptFileError, match="OFD.xml"):
        read_ofd(empty, Settings())
    src = realfile("ofdrw/zhejiang_e_normal_2020_restaurant.ofd")
    nopage = _rezip(src, tmp_path / "nopage.ofd", drop=("Pages/Page_0/Content.xml",))
    with pytest.raises(CorruptFileError, match="page 1"):
        read_ofd(nopage, Settings())


def test_zip_bomb_and_member_count(tmp_path):
    bomb = tmp_path / "bomb.ofd"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", "<OFD/>")
        z.writestr("Doc_0/Res/big.bin", b"\x00" * (20 * 1024 * 1024))
    with pytest.raises(TooLargeError, match="ratio"):
        read_ofd(bomb, Settings())
    many = tmp_path / "many.ofd"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(2001):
            z.writestr(f"f{i}.xml", "<a/>")
    with pytest.raises(TooLargeError, match="members"):
        read_ofd(many, Settings())


def test_page_cap(tmp_path):
    with pytest.raises(TooLargeError, match="max_pages"):
        read_ofd(realfile("ofdrw/chongqing_e_normal_2020_with_list_999.ofd"), Settings(max_pages=4))


def test_hostile_xml_inside_ofd_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><OFD>&a;</OFD>')
    path = tmp_path / "dtd.ofd"
    path.write_bytes(buf.getvalue())
    with pytest.raises(CorruptFileError, match="DTD"):
        read_ofd(path, Settings())


def test_cipher_block_and_vertical_labels_split_into_rows(tmp_path):
    src = realfile("ofdrw/zhejiang_e_normal_2020_restaurant.ofd")
    [page] = read_ofd(_rezip(src, tmp_path / "plain.ofd", drop=("Attachs/", "Tags/")), Settings())
    cipher = [line for line in page.lines if line.text.startswith(("0062477", "2>+<79", "/+-9-18", "27<<-<"))]
    assert len(cipher) == 4 and all(line.height < 15 for line in cipher)
    buyer_label = [line.text for line in sorted(page.lines, key=lambda l: l.y0) if line.text in "购买方" and line.y0 < 150]
    assert buyer_label == ["购", "买", "方"]


@pytest.mark.parametrize("relpath", ["ofdrw/zhejiang_e_normal_2020_restaurant.ofd", "easyofd/guizhou_e_special_2022_zengzhishui_dianzi_zhuanpiao5.ofd", "ofdrw/shudian_special_2024_20240531141733.ofd"])
def test_text_pages_read_by_the_layout_extractor(relpath, tmp_path):
    """Without attachment or tags, the OFD text in points goes through the same extractor as PDF text layers."""
    fields = pytest.importorskip("intake.fields")
    pages = read_ofd(_rezip(realfile(relpath), tmp_path / "plain.ofd", drop=("Attachs/", "Tags/")), Settings())
    [invoice] = fields.extract_invoices(pages)
    assert {k: invoice.get(k) for k in KEY_FIELDS} == {k: EXPECTED[relpath][k] for k in KEY_FIELDS}
