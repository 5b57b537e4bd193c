"""Structured invoice XML: the 数电票 XML (EInvoice, SWEI3200) and the OFD attachment (eInvoice, edrm 2019) into one dict, then into an Invoice.

The dict stored in `Page.structured` (also built by `intake.ofd` from an OFD's tags):

    {
      "schema": "swei" | "ofd_2019" | "ofd_tags",
      "title": printed title when known ("电子发票（增值税专用发票）", "增值税专用发票" label, ...),
      "invoice_type": contract value derived from title / label / code, or "unknown",
      "fields": {contract field: raw string as found},
      "items": [{item field: raw string}],
      "graph_code": the QR text the XML carries (same source as the fields, so not independent evidence),
      "boxes": {contract field: (x0, y0, x1, y1) in points},   # OFD only, optional
    }
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from intake import normal
from intake.errors import CorruptFileError, NotAnInvoiceError
from intake.invoice import FIELDS, ITEM_FIELDS, MONEY_FIELDS, FieldValue, Invoice, InvoiceType, Source
from intake.pages import Page, PageKind

# A DTD is the door to entity expansion (billion laughs); no invoice XML needs one.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def read_xml(path: Path, settings: Any = None) -> list[Page]:
    """One STRUCTURED page from a 数电 XML or an OFD original_invoice.xml."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorruptFileError(f"{path}: cannot read: {e}") from e
    structured = parse_invoice_xml(data, name=str(path))
    return [Page(number=1, kind=PageKind.STRUCTURED, structured=structured)]


def safe_root(data: bytes, name: str) -> ET.Element:
    """Parse XML that has no DTD, with namespaces stripped from every tag; CorruptFileError when malformed."""
    probe = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        probe = data.decode("utf-16", errors="replace").encode("utf-8")
    if _DTD.search(probe):
        raise CorruptFileError(f"{name}: XML with a DTD or entity declarations is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise CorruptFileError(f"{name}: malformed XML ({e})") from e
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.rsplit("}", 1)[1]
    return root


def parse_invoice_xml(data: bytes, *, name: str) -> dict[str, Any]:
    root = safe_root(data, name)
    if root.tag == "EInvoice" or root.find("EInvoiceData") is not None:
        return _from_swei(root)
    if root.tag.lower() == "einvoice" and (root.find("InvoiceNo") is not None or root.find("InvoiceCode") is not None):
        return _from_ofd_2019(root)
    raise NotAnInvoiceError(f"{name}: XML root <{root.tag}> is not a 数电 invoice or OFD invoice attachment")


def _text(el: ET.Element | None, path: str) -> str:
    if el is None:
        return ""
    node = el.find(path)
    if node is None:
        return ""
    return "".join(node.itertext()).strip()


def _first(el: ET.Element, *paths: str) -> str:
    for path in paths:
        value = _text(el, path)
        if value:
            return value
    return ""


def _from_swei(root: ET.Element) -> dict[str, Any]:
    data = root.find("EInvoiceData")
    buyer = data.find("BuyerInformation") if data is not None else None
    seller = data.find("SellerInformation") if data is not None else None
    basic = data.find("BasicInformation") if data is not None else None
    label_code = _first(root, ".//GeneralOrSpecialVAT/LabelCode")
    label_name = _first(root, ".//GeneralOrSpecialVAT/LabelName")
    fields = {
        "invoice_number": _first(root, "TaxSupervisionInfo/InvoiceNumber", "Header/EIid", ".//InvoiceNumber"),
        "issue_date": _first(root, "TaxSupervisionInfo/IssueTime", ".//IssueTime", ".//RequestTime"),
        "buyer_name": _text(buyer, "BuyerName"),
        "buyer_tax_id": _text(buyer, "BuyerIdNum"),
        "seller_name": _text(seller, "SellerName"),
        "seller_tax_id": _text(seller, "SellerIdNum"),
        "total_amount": _text(basic, "TotalAmWithoutTax"),
        "total_tax": _text(basic, "TotalTaxAm"),
        "amount_with_tax": _text(basic, "TotalTax-includedAmount"),
        "amount_in_words": _text(basic, "TotalTax-includedAmountInChinese"),
        "drawer": _text(basic, "Drawer"),
        "remarks": _first(root, ".//AdditionalInformation/Remark"),
    }
    items = []
    for el in root.iter("IssuItemInformation"):
        item = {
            "name": _text(el, "ItemName"),
            "spec": _text(el, "SpecMod"),
            "unit": _text(el, "MeaUnits"),
            "quantity": _text(el, "Quantity"),
            "unit_price": _text(el, "UnPrice"),
            "amount": _text(el, "Amount"),
            "tax_rate": _rate_from_fraction(_text(el, "TaxRate"), _text(el, "VATSpecialManagement")),
            "tax": _text(el, "ComTaxAm"),
        }
        if any(item.values()):
            items.append(item)
    if label_code == "01" or "专用" in label_name:
        kind = InvoiceType.DIGITAL_SPECIAL
    elif label_code == "02" or "普通" in label_name:
        kind = InvoiceType.DIGITAL_NORMAL
    else:
        kind = InvoiceType.UNKNOWN
    return {
        "schema": "swei",
        "title": label_name,
        "invoice_type": str(kind),
        "fields": fields,
        "items": items,
        "graph_code": "",
        "boxes": {},
    }


def _rate_from_fraction(rate: str, special: str) -> str:
    """数电 XML writes rates as fractions ('0.13'); 免税/不征税 may sit in VATSpecialManagement."""
    for word in ("免税", "不征税"):
        if word in special or word in rate:
            return word
    try:
        value = Decimal(rate)
    except (InvalidOperation, ValueError):
        return rate
    if value < 1:
        value = value * 100
    return f"{value.normalize():f}%"


def _from_ofd_2019(root: ET.Element) -> dict[str, Any]:
    fields = {
        "invoice_code": _text(root, "InvoiceCode"),
        "invoice_number": _text(root, "InvoiceNo"),
        "issue_date": _text(root, "IssueDate"),
        "check_code": _text(root, "InvoiceCheckCode"),
        "machine_number": _text(root, "MachineNo"),
        "buyer_name": _text(root, "Buyer/BuyerName"),
        "buyer_tax_id": _text(root, "Buyer/BuyerTaxID"),
        "seller_name": _text(root, "Seller/SellerName"),
        "seller_tax_id": _text(root, "Seller/SellerTaxID"),
        "total_amount": _text(root, "TaxExclusiveTotalAmount"),
        "total_tax": _text(root, "TaxTotalAmount"),
        "amount_with_tax": _text(root, "TaxInclusiveTotalAmount"),
        "amount_in_words": "",
        "drawer": _text(root, "InvoiceClerk"),
        "remarks": _text(root, "Note"),
    }
    items = []
    for el in root.iter("GoodsInfo"):
        item = {
            "name": _text(el, "Item"),
            "spec": _text(el, "Specification"),
            "unit": _text(el, "MeasurementDimension"),
            "quantity": _text(el, "Quantity"),
            "unit_price": _text(el, "Price"),
            "amount": _text(el, "Amount"),
            "tax_rate": _text(el, "TaxScheme"),
            "tax": _text(el, "TaxAmount"),
        }
        if any(item.values()):
            items.append(item)
    graph_code = _text(root, "GraphCode")
    return {
        "schema": "ofd_2019",
        "title": "",
        "invoice_type": type_from_evidence("", fields["invoice_code"], fields["invoice_number"], graph_code),
        "fields": fields,
        "items": items,
        "graph_code": graph_code,
        "boxes": {},
    }


_TITLES: tuple[tuple[str, InvoiceType], ...] = (
    ("电子发票（增值税专用发票）", InvoiceType.DIGITAL_SPECIAL),
    ("电子发票（普通发票）", InvoiceType.DIGITAL_NORMAL),
    ("通行费", InvoiceType.TOLL),
    ("卷票", InvoiceType.VAT_ROLL),
    ("电子专用发票", InvoiceType.VAT_ELECTRONIC_SPECIAL),
    ("电子普通发票", InvoiceType.VAT_ELECTRONIC_NORMAL),
)

# 12-digit codes (leading 0) by their last two digits (DOMAIN.md; `13` seen on the 2022 贵州 电子专票 OFD).
_CODE12_KIND = {
    "11": InvoiceType.VAT_ELECTRONIC_NORMAL,
    "13": InvoiceType.VAT_ELECTRONIC_SPECIAL,
    "04": InvoiceType.VAT_NORMAL,
    "05": InvoiceType.VAT_NORMAL,
    "06": InvoiceType.VAT_ROLL,
    "07": InvoiceType.VAT_ROLL,
    "12": InvoiceType.TOLL,
}


def type_from_evidence(title: str, code: str, number: str, graph_code: str = "") -> str:
    """The invoice type from the printed title, else the QR text's type code, else the code's digits."""
    t = re.sub(r"\s+", "", title).replace("(", "（").replace(")", "）")
    for needle, kind in _TITLES:
        if needle in t:
            return str(kind)
    if graph_code:
        from intake.qr import parse_payload

        qr = parse_payload(graph_code)
        if qr is not None and qr.invoice_type != InvoiceType.UNKNOWN:
            return qr.invoice_type
    code = normal.digits(code)
    if len(code) == 12 and code.startswith("0") and code[-2:] in _CODE12_KIND:
        return str(_CODE12_KIND[code[-2:]])
    # 10-digit codes are not used: the real 江苏 普票 4100084140 and the 专票 specimen 1100094140 share the
    # 8th digit that DOMAIN.md reads as the kind, so that rule would accept wrong types.
    return str(InvoiceType.UNKNOWN)


_DIGITAL_ABSENT = ("invoice_code", "check_code", "machine_number")


def _normal_field(name: str, raw: str) -> str:
    if name == "invoice_type":
        return raw
    if name in ("invoice_code", "invoice_number", "machine_number"):
        return normal.digits(raw)
    if name == "issue_date":
        return normal.iso_date(raw)
    if name == "check_code":
        return normal.check_code(raw)
    if name in ("buyer_name", "seller_name"):
        return normal.name(raw)
    if name in ("buyer_tax_id", "seller_tax_id"):
        return normal.tax_id(raw)
    if name in MONEY_FIELDS:
        return normal.money(raw)
    if name == "amount_in_words":
        return re.sub(r"\s+", "", raw)
    if name == "remarks":
        lines = [line.strip() for line in raw.splitlines()]
        return "\n".join(line for line in lines if line)
    return raw.strip()


def _normal_item_field(name: str, raw: str) -> str:
    raw = raw.strip()
    if name in ("amount", "tax"):
        if name == "tax" and "*" in raw:
            return "0.00"  # 免税 lines print *** for the tax
        return normal.money(raw)
    if name == "tax_rate":
        return normal.tax_rate(raw) if raw else ""
    if name in ("quantity", "unit_price"):
        return normal.halfwidth_ascii(raw).replace(" ", "")
    return raw


def invoice_from_structured(page: Page) -> Invoice:
    """Every contract field in normal form, source text_layer, raw confidence 1.0; boxes only where the OFD tags give them."""
    data = page.structured or {}
    raw_fields: dict[str, str] = dict(data.get("fields", {}))
    raw_fields["invoice_type"] = data.get("invoice_type") or str(InvoiceType.UNKNOWN)
    boxes: dict[str, Any] = data.get("boxes", {}) or {}
    digital = raw_fields["invoice_type"] in (InvoiceType.DIGITAL_SPECIAL, InvoiceType.DIGITAL_NORMAL)
    invoice = Invoice(page=page.number)
    for name in FIELDS:
        value = _normal_field(name, raw_fields.get(name, "") or "")
        if digital and name in _DIGITAL_ABSENT:
            value = ""
        source = Source.TEXT_LAYER
        if name == "amount_in_words" and not value and normal.to_decimal(normal.money(raw_fields.get("amount_with_tax", ""))) is not None:
            # The OFD attachment XML does not carry the 大写; the tax system prints it from 价税合计.
            from intake.capital import amount_to_words

            value = amount_to_words(normal.to_decimal(normal.money(raw_fields["amount_with_tax"])))
            source = Source.COMPUTED
        box = boxes.get(name)
        invoice.set(
            name,
            FieldValue(
                value=value,
                source=source,
                raw_confidence=1.0,
                box=tuple(box) if box else None,
                page=page.number,
                found=bool(value),
            ),
        )
    for raw_item in data.get("items", []):
        invoice.items.append(
            {
                name: FieldValue(
                    value=_normal_item_field(name, raw_item.get(name, "") or ""),
                    source=Source.TEXT_LAYER,
                    raw_confidence=1.0,
                    page=page.number,
                    found=bool(raw_item.get(name)),
                )
                for name in ITEM_FIELDS
            }
        )
    return invoice
