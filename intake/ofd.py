"""OFD files (GB/T 33190, a ZIP of XML): the embedded invoice XML or custom tags as a STRUCTURED page, else positioned TEXT pages.

Coordinates: OFD uses millimetres with y downwards; TextLines are emitted in PDF points (1 mm = 72/25.4 pt),
y downwards, so the layout extractor reads OFD pages like PDF text-layer pages.
"""

from __future__ import annotations

import logging
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.errors import CorruptFileError, IntakeError, NotAnInvoiceError, TooLargeError
from intake.pages import Page, PageKind, TextLine
from intake.xmlinvoice import parse_invoice_xml, safe_root, type_from_evidence

log = logging.getLogger(__name__)

MM_TO_PT = 72 / 25.4
MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per member above 1 MB: real XML compresses ~10x
DEFAULT_BOX = (210.0, 140.0)  # the e-invoice paper size, mm


@dataclass
class _Text:
    """One OFD TextObject: its ID, text and box (mm), and the TextLines it yields."""

    object_id: str
    text: str
    box: tuple[float, float, float, float]
    lines: list[TextLine] = field(default_factory=list)


@dataclass
class _OfdPage:
    number: int
    page_id: str
    width: float
    height: float
    texts: list[_Text]
    images: list[tuple[str, tuple[float, float, float, float]]]  # (resource id, box mm)


class _Package:
    """The ZIP with its limits checked before anything is inflated."""

    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise CorruptFileError(f"{path}: not a readable OFD (ZIP) file: {e}") from e
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise TooLargeError(f"{path}: OFD has {len(infos)} members (limit {MAX_MEMBERS})")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_BYTES:
            raise TooLargeError(f"{path}: OFD would inflate to {total / 1048576:.0f} MB (limit {MAX_TOTAL_BYTES // 1048576} MB)")
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise TooLargeError(f"{path}: OFD member {info.filename} has a zip-bomb compression ratio")
        self.path = path
        self.names = {i.filename.lstrip("/"): i.filename for i in infos if not i.is_dir()}
        self.lower = {n.lower(): n for n in self.names}
        self.read_total = 0

    def resolve(self, base_dir: str, loc: str) -> str | None:
        """A member name for an OFD location: absolute ('/Doc_0/..') or relative to base_dir."""
        loc = loc.strip().replace("\\", "/")
        if not loc:
            return None
        full = posixpath.normpath(loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc))
        if full in self.names:
            return full
        if full.lower() in self.lower:
            return self.lower[full.lower()]
        return None

    def read(self, name: str) -> bytes:
        info = self.zip.getinfo(self.names[name])
        limit = min(MAX_MEMBER_BYTES, MAX_TOTAL_BYTES - self.read_total)
        try:
            with self.zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as e:
            raise CorruptFileError(f"{self.path}: cannot inflate {name}: {e}") from e
        # The header's size may lie; count what actually came out.
        if len(data) > limit:
            raise TooLargeError(f"{self.path}: member {name} inflates past the size limit")
        self.read_total += len(data)
        return data

    def xml(self, name: str) -> ET.Element:
        return safe_root(self.read(name), f"{self.path}:{name}")


def _floats(text: str | None, n: int) -> tuple[float, ...] | None:
    try:
        values = tuple(float(v) for v in (text or "").split())
    except ValueError:
        return None
    return values if len(values) == n else None


def _deltas(spec: str | None) -> list[float]:
    """DeltaX/DeltaY with the 'g N v' shorthand (N repeats of v)."""
    tokens = (spec or "").split()
    out: list[float] = []
    i = 0
    try:
        while i < len(tokens):
            if tokens[i] == "g" and i + 2 < len(tokens):
                out.extend([float(tokens[i + 2])] * int(tokens[i + 1]))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except ValueError:
        return out
    return out


def _char_width(ch: str, size: float) -> float:
    return size if ord(ch) > 0x2E80 else size * 0.5


def _text_object(el: ET.Element) -> _Text | None:
    boundary = _floats(el.get("Boundary"), 4)
    if boundary is None:
        return None
    bx, by, bw, bh = boundary
    size = float(el.get("Size") or 3.5)
    ctm = _floats(el.get("CTM"), 6)
    lines: list[TextLine] = []
    pieces: list[str] = []
    x = y = 0.0
    for code in el.iter("TextCode"):
        text = code.text or ""
        x = float(code.get("X") or x)
        y = float(code.get("Y") or y)
        dx = _deltas(code.get("DeltaX"))
        dy = _deltas(code.get("DeltaY"))
        positions: list[tuple[float, float]] = []
        cx, cy = x, y
        vertical = bool(dy) and not dx
        for i, _ch in enumerate(text):
            positions.append((cx, cy))
            cx += dx[i] if i < len(dx) else (0.0 if vertical else _char_width(text[i], size))
            cy += dy[i] if i < len(dy) else 0.0
        pieces.append(text)
        lines.extend(_runs(text, positions, size, bx, by, ctm))
        x, y = cx, cy
    joined = "".join(pieces)
    return _Text(object_id=el.get("ID") or "", text=joined, box=(bx, by, bx + bw, by + bh), lines=lines)


def _runs(text: str, positions: list[tuple[float, float]], size: float, bx: float, by: float, ctm: tuple[float, ...] | None) -> list[TextLine]:
    """Split a TextCode into TextLines in points: at wide gaps (two or more spaces) and where the glyphs jump to
    another row (the 密码区 block and vertical labels are one TextCode with DeltaY steps), as a PDF text layer would."""
    out: list[TextLine] = []
    start = None
    spaces = 0
    for i, ch in enumerate(text + "  "):
        if start is not None and i < len(text) and _jumps(positions[i - 1], positions[i], size):
            end = i
            while end > start and text[end - 1].isspace():
                end -= 1
            out.append(_line(text[start:end].strip(), positions[start:end], text[start:end], size, bx, by, ctm))
            start = None
            spaces = 0
        if ch.isspace():
            spaces += 1
            if spaces >= 2 and start is not None:
                end = i - spaces + 1
                out.append(_line(text[start:end].strip(), positions[start:end], text[start:end], size, bx, by, ctm))
                start = None
            continue
        spaces = 0
        if start is None:
            start = i
    return [line for line in out if line is not None and line.text]


def _jumps(a: tuple[float, float], b: tuple[float, float], size: float) -> bool:
    return abs(b[1] - a[1]) > size * 0.3 or b[0] < a[0] - size * 0.3


def _line(clean: str, positions: list[tuple[float, float]], raw: str, size: float, bx: float, by: float, ctm: tuple[float, ...] | None) -> TextLine | None:
    if not clean:
        return None
    # Drop leading/trailing spaces from the geometry too.
    lead = len(raw) - len(raw.lstrip())
    kept = positions[lead : lead + len(clean)]
    x0, base = kept[0]
    x1 = kept[-1][0] + _char_width(clean[-1], size)
    base_end = kept[-1][1]
    corners = [(x0, base - size * 0.85), (x1, base_end + size * 0.15)]
    if ctm is not None:
        a, b, c, d, e, f = ctm
        corners = [(a * px + c * py + e, b * px + d * py + f) for px, py in ((x0, base - size * 0.85), (x1, base - size * 0.85), (x0, base_end + size * 0.15), (x1, base_end + size * 0.15))]
    xs = [bx + px for px, _ in corners]
    ys = [by + py for _, py in corners]
    return TextLine(
        text=clean,
        x0=min(xs) * MM_TO_PT,
        y0=min(ys) * MM_TO_PT,
        x1=max(xs) * MM_TO_PT,
        y1=max(ys) * MM_TO_PT,
        confidence=1.0,
    )


def _content_objects(root: ET.Element) -> tuple[list[_Text], list[tuple[str, tuple[float, float, float, float]]]]:
    texts: list[_Text] = []
    images: list[tuple[str, tuple[float, float, float, float]]] = []
    content = root.find("Content")
    if content is None:
        return texts, images
    for el in content.iter():
        if el.tag == "TextObject":
            t = _text_object(el)
            if t is not None:
                texts.append(t)
        elif el.tag == "ImageObject":
            b = _floats(el.get("Boundary"), 4)
            if b is not None and el.get("ResourceID"):
                images.append((el.get("ResourceID") or "", (b[0], b[1], b[0] + b[2], b[1] + b[3])))
    return texts, images


@dataclass
class _Document:
    pages: list[_OfdPage]
    doc_root: ET.Element
    doc_dir: str
    custom_data: dict[str, str]


def _load_document(pkg: _Package, max_pages: int) -> _Document:
    if "OFD.xml" not in pkg.names and "ofd.xml" not in pkg.lower:
        raise CorruptFileError(f"{pkg.path}: no OFD.xml in the package")
    ofd = pkg.xml(pkg.resolve("", "OFD.xml") or "OFD.xml")
    custom_data = {
        (cd.get("Name") or ""): (cd.text or "").strip() for cd in ofd.iter("CustomData")
    }
    root_loc = ofd.findtext("DocBody/DocRoot") or ""
    doc_name = pkg.resolve("", root_loc)
    if doc_name is None:
        raise CorruptFileError(f"{pkg.path}: DocRoot {root_loc!r} is missing from the package")
    doc = pkg.xml(doc_name)
    doc_dir = posixpath.dirname(doc_name)
    default_box = _floats(doc.findtext("CommonData/PageArea/PhysicalBox"), 4)
    templates = {
        t.get("ID") or "": t.get("BaseLoc") or "" for t in doc.iter("TemplatePage")
    }
    page_els = doc.findall("Pages/Page")
    if len(page_els) > max_pages:
        raise TooLargeError(f"{pkg.path}: {len(page_els)} pages is over the limit of {max_pages} (max_pages)")
    pages: list[_OfdPage] = []
    for number, page_el in enumerate(page_els, start=1):
        name = pkg.resolve(doc_dir, page_el.get("BaseLoc") or "")
        if name is None:
            raise CorruptFileError(f"{pkg.path}: page {number} content {page_el.get('BaseLoc')!r} is missing")
        root = pkg.xml(name)
        box = _floats(root.findtext("Area/PhysicalBox"), 4) or default_box or (0, 0, *DEFAULT_BOX)
        texts: list[_Text] = []
        images: list[tuple[str, tuple[float, float, float, float]]] = []
        # Template pages carry the printed form (labels, title); draw them first, as a viewer does.
        for tpl in root.iter("Template"):
            tpl_name = pkg.resolve(doc_dir, templates.get(tpl.get("TemplateID") or "", ""))
            if tpl_name is not None:
                t_texts, t_images = _content_objects(pkg.xml(tpl_name))
                texts.extend(t_texts)
                images.extend(t_images)
        p_texts, p_images = _content_objects(root)
        texts.extend(p_texts)
        images.extend(p_images)
        pages.append(_OfdPage(number, page_el.get("ID") or "", box[2], box[3], texts, images))
    return _Document(pages=pages, doc_root=doc, doc_dir=doc_dir, custom_data=custom_data)


def read_ofd(path: Path, settings: Any) -> list[Page]:
    """Pages of an OFD: page 1 STRUCTURED when the invoice XML or field tags are present, the rest TEXT."""
    max_pages = int(getattr(settings, "max_pages", 200) or 200)
    pkg = _Package(path)
    try:
        document = _load_document(pkg, max_pages)
        tags = _tags(pkg, document)
        structured = _attachment(pkg, document)
        if structured is None and tags:
            structured = _structured_from_tags(tags, document)
        if structured is not None:
            _complete_from_pages(structured, tags, document)
        qr = _qr_from_images(pkg, document)
    finally:
        pkg.zip.close()
    pages: list[Page] = []
    for p in document.pages:
        # Objects placed off the page (a second 开票人 copy at y=285 mm on a 140 mm page) are clipped by viewers.
        lines = [line for t in p.texts for line in t.lines if line.y0 < p.height * MM_TO_PT and line.x0 < p.width * MM_TO_PT]
        kind = PageKind.STRUCTURED if structured is not None and p.number == 1 else PageKind.TEXT
        pages.append(
            Page(
                number=p.number,
                kind=kind,
                width=p.width * MM_TO_PT,
                height=p.height * MM_TO_PT,
                lines=lines,
                structured=structured if kind == PageKind.STRUCTURED else None,
                qr_payloads=qr if p.number == 1 else [],
            )
        )
    return pages


# --- the invoice XML attachment ---------------------------------------------------


def _attachment(pkg: _Package, document: _Document) -> dict[str, Any] | None:
    candidates: list[str] = []
    loc = document.doc_root.findtext("Attachments")
    if loc:
        name = pkg.resolve(document.doc_dir, loc)
        if name is not None:
            root = pkg.xml(name)
            base = posixpath.dirname(name)
            for att in root.iter("Attachment"):
                member = pkg.resolve(base, att.findtext("FileLoc") or "")
                if member is not None and member.lower().endswith(".xml"):
                    candidates.append(member)
    candidates += [n for n in pkg.names if n.lower().endswith("original_invoice.xml") and n not in candidates]
    for member in candidates:
        try:
            return parse_invoice_xml(pkg.read(member), name=f"{pkg.path}:{member}")
        except NotAnInvoiceError:
            continue
        except CorruptFileError as e:
            log.warning("%s", e)
            continue
    return None


# --- custom tags: field name -> text object IDs ---------------------------------


def _lenient_tree(data: bytes) -> ET.Element | None:
    """Tag files are often not namespace-well-formed (`<:eInvoice xmlns:="">`); strip prefixes and declarations."""
    text = data.decode("utf-8-sig", errors="replace")
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return None
    text = re.sub(r"\s+xmlns(:\w*)?\s*=\s*\"[^\"]*\"", "", text)
    text = re.sub(r"<(/?)[\w.-]*:", r"<\1", text)
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        return None


@dataclass
class _Tag:
    name: str
    refs: list[tuple[str, str]]  # (page ref, object id)
    group: int  # index of the enclosing GoodsInfo, -1 outside


def _tags(pkg: _Package, document: _Document) -> list[_Tag]:
    loc = document.doc_root.findtext("CustomTags")
    if not loc:
        return []
    index_name = pkg.resolve(document.doc_dir, loc)
    if index_name is None:
        return []
    index = _lenient_tree(pkg.read(index_name))
    if index is None:
        return []
    out: list[_Tag] = []
    for tag in index.iter("CustomTag"):
        member = pkg.resolve(posixpath.dirname(index_name), tag.findtext("FileLoc") or "")
        if member is None:
            continue
        root = _lenient_tree(pkg.read(member))
        if root is None:
            continue
        out.extend(_walk_tags(root))
    return out


def _walk_tags(root: ET.Element) -> list[_Tag]:
    out: list[_Tag] = []
    groups = 0

    def walk(el: ET.Element, group: int) -> None:
        nonlocal groups
        refs = [(r.get("PageRef") or "", (r.text or "").strip()) for r in el.findall("ObjectRef")]
        if refs:
            out.append(_Tag(el.tag, refs, group))
        for child in el:
            if child.tag == "ObjectRef":
                continue
            if child.tag == "GoodsInfo":
                groups += 1
                walk(child, groups - 1)
            else:
                walk(child, group)

    walk(root, -1)
    return out


_TAG_FIELDS = {
    "InvoiceCode": "invoice_code",
    "InvoiceNo": "invoice_number",
    "IssueDate": "issue_date",
    "InvoiceCheckCode": "check_code",
    "MachineNo": "machine_number",
    "BuyerName": "buyer_name",
    "BuyerTaxID": "buyer_tax_id",
    "SellerName": "seller_name",
    "SellerTaxID": "seller_tax_id",
    "TaxExclusiveTotalAmount": "total_amount",
    "TaxTotalAmount": "total_tax",
    "TaxInclusiveTotalAmount": "amount_with_tax",
    "InvoiceClerk": "drawer",
    "Note": "remarks",
}
_TAG_ITEM_FIELDS = {
    "Item": "name",
    "Specification": "spec",
    "MeasurementDimension": "unit",
    "Quantity": "quantity",
    "Price": "unit_price",
    "Amount": "amount",
    "TaxScheme": "tax_rate",
    "TaxAmount": "tax",
}
# OFD.xml CustomData names, a second copy of the key fields that some producers write.
_CUSTOM_DATA = {
    "发票代码": "invoice_code",
    "发票号码": "invoice_number",
    "开票日期": "issue_date",
    "校验码": "check_code",
    "购买方名称": "buyer_name",
    "购买方纳税人识别号": "buyer_tax_id",
    "销售方名称": "seller_name",
    "销售方纳税人识别号": "seller_tax_id",
    "合计金额": "total_amount",
    "合计税额": "total_tax",
    "价税合计": "amount_with_tax",
}


def _objects(document: _Document) -> dict[tuple[int, str], _Text]:
    by_id: dict[tuple[int, str], _Text] = {}
    for p in document.pages:
        for t in p.texts:
            by_id.setdefault((p.number, t.object_id), t)
    return by_id


def _page_number(document: _Document, page_ref: str) -> int:
    for p in document.pages:
        if p.page_id == page_ref:
            return p.number
    return 1


def _resolve_tag(tag: _Tag, document: _Document, objects: dict[tuple[int, str], _Text]) -> list[tuple[int, _Text]]:
    found = []
    for page_ref, object_id in tag.refs:
        number = _page_number(document, page_ref)
        t = objects.get((number, object_id))
        if t is not None:
            found.append((number, t))
    return found


def _box_pt(texts: list[_Text]) -> tuple[float, float, float, float]:
    return (
        min(t.box[0] for t in texts) * MM_TO_PT,
        min(t.box[1] for t in texts) * MM_TO_PT,
        max(t.box[2] for t in texts) * MM_TO_PT,
        max(t.box[3] for t in texts) * MM_TO_PT,
    )


def _tag_values(tags: list[_Tag], document: _Document) -> tuple[dict[str, str], dict[str, tuple], list[dict[str, str]]]:
    """Field values and boxes (page 1) from the tags, and items grouped by GoodsInfo or by row."""
    objects = _objects(document)
    fields: dict[str, str] = {}
    boxes: dict[str, tuple] = {}
    item_cells: list[tuple[int, str, _Text]] = []  # (group, item field, text object)
    for tag in tags:
        resolved = _resolve_tag(tag, document, objects)
        if not resolved:
            continue
        if tag.name in _TAG_FIELDS:
            name = _TAG_FIELDS[tag.name]
            if name in fields:  # e.g. InvoiceClerk tagged twice (page text and seal)
                continue
            texts = [t for _, t in resolved]
            if name == "remarks":
                fields[name] = "\n".join(t.text.strip() for t in texts if t.text.strip())
            else:
                fields[name] = "".join(t.text for t in texts).strip()
            if all(n == 1 for n, _ in resolved):
                boxes[name] = _box_pt(texts)
        elif tag.name in _TAG_ITEM_FIELDS:
            for _, t in resolved:
                item_cells.append((tag.group, _TAG_ITEM_FIELDS[tag.name], t))
    return fields, boxes, _items_from_cells(item_cells)


def _items_from_cells(cells: list[tuple[int, str, _Text]]) -> list[dict[str, str]]:
    if not cells:
        return []
    if all(g >= 0 for g, _, _ in cells):
        rows: dict[int, list[tuple[str, _Text]]] = {}
        for g, name, t in cells:
            rows.setdefault(g, []).append((name, t))
        grouped = [rows[g] for g in sorted(rows)]
    else:
        # Flat tags (数电 OFD): one row per Amount cell; other cells join the row at or above them (wrapped names).
        anchors = sorted((t for _, name, t in cells if name == "amount"), key=lambda t: t.box[1])
        if not anchors:
            return []
        grouped = [[] for _ in anchors]
        for _, name, t in cells:
            row = 0
            for i, a in enumerate(anchors):
                if a.box[1] <= t.box[1] + 0.5:
                    row = i
            grouped[row].append((name, t))
    items = []
    for row in grouped:
        item: dict[str, str] = {}
        for name, t in sorted(row, key=lambda c: (c[1].box[1], c[1].box[0])):
            item[name] = item.get(name, "") + t.text.strip()
        items.append(item)
    return items


def _structured_from_tags(tags: list[_Tag], document: _Document) -> dict[str, Any] | None:
    fields, boxes, items = _tag_values(tags, document)
    if not fields.get("invoice_number"):
        return None
    return {
        "schema": "ofd_tags",
        "title": "",
        "invoice_type": "unknown",
        "fields": fields,
        "items": items,
        "graph_code": "",
        "boxes": boxes,
    }


_WORDS = re.compile(r"^[（(]?负?数?[）)]?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]+$")
# Printed titles: 电子发票（增值税专用发票）, 重庆增值税电子普通发票, 增值税电子普通发票（通行费）, ...
_TITLE = re.compile(r"电子发票（(增值税专用发票|普通发票)）|.{0,8}增值税(电子)?(专用|普通)发票(（[^）]{1,6}）)?")


def _complete_from_pages(structured: dict[str, Any], tags: list[_Tag], document: _Document) -> None:
    """Fill what the XML does not carry from page 1: the title, the 大写 amount, CustomData gaps and field boxes."""
    fields = structured["fields"]
    first = document.pages[0] if document.pages else None
    texts = first.texts if first else []
    for t in texts:
        clean = re.sub(r"\s+", "", t.text)
        if not structured.get("title") and _TITLE.fullmatch(clean.replace("(", "（").replace(")", "）")):
            structured["title"] = clean
        if not fields.get("amount_in_words") and _WORDS.match(clean) and re.search("[圆元]", clean):
            fields["amount_in_words"] = clean
            structured.setdefault("boxes", {})["amount_in_words"] = _box_pt([t])
    for key, name in _CUSTOM_DATA.items():
        if not fields.get(name) and document.custom_data.get(key):
            fields[name] = document.custom_data[key]
    if tags:
        tag_fields, tag_boxes, _ = _tag_values(tags, document)
        boxes = structured.setdefault("boxes", {})
        for name, box in tag_boxes.items():
            boxes.setdefault(name, box)
    title = structured.get("title", "")
    kind = type_from_evidence(title, fields.get("invoice_code", ""), fields.get("invoice_number", ""), structured.get("graph_code", ""))
    if structured.get("schema") != "swei" or structured.get("invoice_type") in ("", "unknown"):
        structured["invoice_type"] = kind


# --- the QR image ----------------------------------------------------------------


def _qr_from_images(pkg: _Package, document: _Document) -> list[str]:
    """Decode the page-1 QR image (PNG/JPEG/BMP resources of about 2 cm square); JBIG2 images are skipped."""
    if not document.pages or not document.pages[0].images:
        return []
    media: dict[str, str] = {}
    for loc in (document.doc_root.findtext("CommonData/DocumentRes"), document.doc_root.findtext("CommonData/PublicRes")):
        name = pkg.resolve(document.doc_dir, loc or "")
        if name is None:
            continue
        res = pkg.xml(name)
        base = posixpath.join(posixpath.dirname(name), res.get("BaseLoc") or "")
        for mm in res.iter("MultiMedia"):
            member = pkg.resolve(base, mm.findtext("MediaFile") or "")
            if member is not None:
                media[mm.get("ID") or ""] = member
    found: list[str] = []
    for resource_id, (x0, y0, x1, y1) in document.pages[0].images:
        w, h = x1 - x0, y1 - y0
        member = media.get(resource_id)
        if member is None or not (8 <= w <= 50 and 8 <= h <= 50 and 0.8 <= w / h <= 1.25):
            continue
        if not member.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")):
            continue
        try:
            import cv2
            import numpy as np

            from intake.qr import decode_qr

            image = cv2.imdecode(np.frombuffer(pkg.read(member), np.uint8), cv2.IMREAD_GRAYSCALE)
            if image is not None:
                found.extend(t for t in decode_qr(image) if t not in found)
        except IntakeError:
            raise
        except Exception as e:  # a broken image must not sink the invoice
            log.debug("%s: QR image %s not decodable: %s", pkg.path, member, e)
    return found
