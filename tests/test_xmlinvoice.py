"""Structured invoice XML: the 数电 EInvoice schema, the OFD original_invoice.xml, and refusals."""

from __future__ import annotations

import pytest

from intake.errors import CorruptFileError, NotAnInvoiceError
from intake.invoice import FIELDS, ITEM_FIELDS, Source
from intake.pages import PageKind
from intake.xmlinvoice import invoice_from_structured, read_xml, type_from_evidence
from conftest import realfile

SWEI = """<?xml version="1.0" encoding="UTF-8"?>
<EInvoice xmlns="urn:test:einvoice">
  <Header><EIid>24112000000012345678</EIid><EInvoiceTag>SWEI3200</EInvoiceTag>
    <InherentLabel>
      <EInvoiceType><LabelCode>01</LabelCode><LabelName>电子发票</LabelName></EInvoiceType>
      <GeneralOrSpecialVAT><LabelCode>{label}</LabelCode><LabelName>{label_name}</LabelName></GeneralOrSpecialVAT>
    </InherentLabel></Header>
  <EInvoiceData>
    <SellerInformation><SellerIdNum>91110108690017781b</SellerIdNum><SellerName>示例科技(北京)有限公司</SellerName></SellerInformation>
    <BuyerInformation><BuyerIdNum>91460300MAA92DJN95</BuyerIdNum><BuyerName>示例 购买方有限公司</BuyerName></BuyerInformation>
    <BasicInformation><TotalAmWithoutTax>{amount}</TotalAmWithoutTax><TotalTaxAm>{tax}</TotalTaxAm>
      <TotalTax-includedAmount>{total}</TotalTax-includedAmount>
      <TotalTax-includedAmountInChinese>{words}</TotalTax-includedAmountInChinese>
      <Drawer>张三</Drawer><RequestTime>2024-05-27 09:00:00</RequestTime></BasicInformation>
    <IssuItemInformation><ItemName>*信息技术服务*软件维护服务费</ItemName><SpecMod>V1</SpecMod><MeaUnits>项</MeaUnits>
      <Quantity>2</Quantity><UnPrice>500.5</UnPrice><Amount>1001</Amount><TaxRate>0.13</TaxRate><ComTaxAm>130.13</ComTaxAm></IssuItemInformation>
    <IssuItemInformation><ItemName>*图书*教材</ItemName><Amount>10</Amount><TaxRate>0</TaxRate>
      <VATSpecialManagement>免税</VATSpecialManagement><ComTaxAm>***</ComTaxAm></IssuItemInformation>
    <AdditionalInformation><Remark>项目：运维
合同号 A-1</Remark></AdditionalInformation>
  </EInvoiceData>
  <TaxSupervisionInfo><InvoiceNumber>24112000000012345678</InvoiceNumber><IssueTime>2024-05-28 10:11:12</IssueTime></TaxSupervisionInfo>
</EInvoice>
"""


def _swei(tmp_path, **kw):
    values = dict(label="01", label_name="增值税专用发票", amount="1011.00", tax="130.13", total="1141.13", words="壹仟壹佰肆拾壹圆壹角叁分")
    values.update(kw)
    p = tmp_path / "invoice.xml"
    p.write_text(SWEI.format(**values), encoding="utf-8")
    return p


def test_shudian_xml_fields_in_normal_form(tmp_path):
    pages = read_xml(_swei(tmp_path), None)
    assert [p.kind for p in pages] == [PageKind.STRUCTURED]
    invoice = invoice_from_structured(pages[0])
    assert invoice.values() == {
        "invoice_type": "digital_special",
        "invoice_code": "",
        "invoice_number": "24112000000012345678",
        "issue_date": "2024-05-28",
        "check_code": "",
        "machine_number": "",
        "buyer_name": "示例购买方有限公司",
        "buyer_tax_id": "91460300MAA92DJN95",
        "seller_name": "示例科技（北京）有限公司",
        "seller_tax_id": "91110108690017781B",
        "total_amount": "1011.00",
        "total_tax": "130.13",
        "amount_with_tax": "1141.13",
        "amount_in_words": "壹仟壹佰肆拾壹圆壹角叁分",
        "drawer": "张三",
        "remarks": "项目：运维\n合同号 A-1",
    }
    for name in FIELDS:
        field = invoice.fields[name]
        assert field.source == Source.TEXT_LAYER and field.raw_confidence == 1.0 and field.box is None
    assert not invoice.fields["invoice_code"].found and invoice.fields["invoice_number"].found
    first, second = ({k: item[k].value for k in ITEM_FIELDS} for item in invoice.items)
    assert first == {
        "name": "*信息技术服务*软件维护服务费", "spec": "V1", "unit": "项", "quantity": "2",
        "unit_price": "500.5", "amount": "1001.00", "tax_rate": "13%", "tax": "130.13",
    }
    assert second["tax_rate"] == "免税" and second["tax"] == "0.00" and second["amount"] == "10.00"


def test_shudian_xml_normal_and_red_invoice(tmp_path):
    path = _swei(tmp_path, label="02", label_name="普通发票", amount="-1011.00", tax="-130.13", total="-1141.13",
                 words="（负数）壹仟壹佰肆拾壹圆壹角叁分")
    invoice = invoice_from_structured(read_xml(path, None)[0])
    assert invoice.get("invoice_type") == "digital_normal"
    assert invoice.get("amount_with_tax") == "-1141.13"
    assert invoice.get("total_amount") == "-1011.00"
    assert invoice.get("amount_in_words") == "（负数）壹仟壹佰肆拾壹圆壹角叁分"


def test_shudian_xml_without_type_label_is_unknown(tmp_path):
    path = _swei(tmp_path, label="", label_name="")
    assert invoice_from_structured(read_xml(path, None)[0]).get("invoice_type") == "unknown"


@pytest.mark.parametrize(
    "relpath, expected",
    [
        ("ofdrw/zhejiang_e_normal_2020_restaurant.original_invoice.xml", {
            "amount_in_words": "伍佰贰拾陆圆整",
            "invoice_type": "vat_electronic_normal", "invoice_code": "033002000211", "invoice_number": "83089647",
            "issue_date": "2020-07-23", "check_code": "16197833567414507415", "machine_number": "927000236092",
            "buyer_name": "江苏京利华新材料有限公司", "buyer_tax_id": "91320115MA202UKD7X",
            "seller_name": "兰溪市悦济舫餐厅", "seller_tax_id": "92330781MA2EDMFU50",
            "total_amount": "510.68", "total_tax": "15.32", "amount_with_tax": "526.00", "drawer": "管理员",
        }),
        ("ofdrw/chongqing_e_normal_2020_specimen_fapiaoshili.original_invoice.xml", {
            "invoice_type": "vat_electronic_normal", "invoice_code": "050001700111", "invoice_number": "99999951",
            "issue_date": "2020-10-10", "total_amount": "300.00", "total_tax": "18.00", "amount_with_tax": "318.00",
            "buyer_name": "科游迈利有限公司", "seller_tax_id": "91500106MA2CE71F65",
        }),
        ("ofdrw/chongqing_e_normal_2020_with_list_999.original_invoice.xml", {
            "invoice_code": "050001700111", "invoice_number": "12235358", "issue_date": "2020-08-05",
            "buyer_name": "个人", "buyer_tax_id": "", "seller_name": "财天下科技有限公司",
            "total_amount": "10000.00", "total_tax": "600.00", "amount_with_tax": "10600.00", "remarks": "",
        }),
        ("easyofd/guizhou_e_special_2022_zengzhishui_dianzi_zhuanpiao5.original_invoice.xml", {
            "invoice_type": "vat_electronic_special", "invoice_code": "052002100113", "invoice_number": "00008006",
            "issue_date": "2022-05-05", "check_code": "18001801513030862041",
            "buyer_tax_id": "91522701709696623X", "seller_name": "独山县城南网格刘梦阳通讯店",
            "total_amount": "24519.05", "total_tax": "735.57", "amount_with_tax": "25254.62",
            "amount_in_words": "贰万伍仟贰佰伍拾肆圆陆角贰分",
        }),
    ],
)
def test_ofd_original_invoice_xml(relpath, expected):
    page = read_xml(realfile(relpath), None)[0]
    values = invoice_from_structured(page).values()
    assert {k: values[k] for k in expected} == expected
    assert page.structured["schema"] == "ofd_2019"
    # Not in the attachment: computed from 价税合计.
    assert invoice_from_structured(page).fields["amount_in_words"].source == Source.COMPUTED
    assert page.structured["graph_code"].startswith("01,")


def test_chongqing_list_items_come_from_the_xml():
    invoice = invoice_from_structured(read_xml(realfile("ofdrw/chongqing_e_normal_2020_with_list_999.original_invoice.xml"), None)[0])
    assert len(invoice.items) == 100
    assert {item["name"].value for item in invoice.items} == {"*餐饮服务*餐费"}
    assert sum(float(item["amount"].value) for item in invoice.items) == pytest.approx(10000.00)
    assert invoice.items[0]["tax_rate"].value == "6%" and invoice.items[0]["quantity"].value == ""


def test_dtd_and_entities_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<EInvoice><Header><EIid>&lol2;</EIid></Header></EInvoice>"
    )
    with pytest.raises(CorruptFileError, match="DTD"):
        read_xml(bomb, None)
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><EInvoice/>'.encode("utf-16"))
    with pytest.raises(CorruptFileError, match="DTD"):
        read_xml(utf16, None)


def test_unknown_and_malformed_xml(tmp_path):
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel><title>news</title></channel></rss>")
    with pytest.raises(NotAnInvoiceError) as e:
        read_xml(other, None)
    assert "\n" not in str(e.value) and "<rss>" in str(e.value)
    broken = tmp_path / "broken.xml"
    broken.write_text("<EInvoice><Header><EIid>1</Header>")
    with pytest.raises(CorruptFileError, match="malformed"):
        read_xml(broken, None)


@pytest.mark.parametrize(
    "title, code, number, graph, expected",
    [
        ("电子发票（增值税专用发票）", "", "24112000000048542163", "", "digital_special"),
        ("电子发票(普通发票)", "", "24112000000048542163", "", "digital_normal"),
        ("", "", "23442000000014209621", "01,32,,23442000000014209621,112,20230215,,74AE", "digital_normal"),
        ("", "011001605111", "80100798", "", "vat_electronic_normal"),
        ("", "144032309110", "09826096", "", "unknown"),  # Shenzhen blockchain codes do not follow the suffix table
        ("", "1100094140", "87654321", "", "unknown"),  # 专票 specimen
        ("", "4100084140", "02995607", "", "unknown"),  # 普票 with the same 8th digit
        ("", "032001900412", "12345678", "", "toll"),
        ("", "", "", "", "unknown"),
    ],
)
def test_type_from_evidence(title, code, number, graph, expected):
    assert type_from_evidence(title, code, number, graph) == expected
