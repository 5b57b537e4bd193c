"""Invoice fields from positioned text: find each label, read the value printed beside it, and the item table by columns.

Works on TEXT pages (text layer) and on IMAGE pages whose `lines` hold OCR output; the
geometry lives in `intake.layout` and `intake.items` and only sees TextLines.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass

from intake import normal, ocrfields
from intake.capital import reads_as_capital, unconfused
from intake.invoice import FieldValue, Invoice, InvoiceType, Reason, Source
from intake.items import FieldMaker, find_columns, is_goods_list_reference, read_items, spaced
from intake.layout import Hit, Layout, Piece, bands, label, sub_piece, value_run
from intake.names import brackets_paired, is_whole
from intake.pages import Page, PageKind, shared_area

_COLON = r"\s*[:：]?"

# The 号 ending 纳税人识别号, or what a scan makes of it: another glyph, or a digit and a dot (first run 19278: 纳税人识别5·,
# the seller's tax id not found). A digit alone is not taken: the tax id itself may follow a label whose 号 was lost.
_TAX_LABEL_END = r"\s*(?:号|[^\s\dA-Za-z:：]|\d[·.．,，、])?"
# The 小写 label with its 写 read as a sign that is no glyph, between both brackets: (小4); or lost, (小) (first run
# 28513, a paper 普票: its piece, (小)¥705294.86, starting left of the 合计 amount's, was taken for that amount). Or its
# 写 read as two signs and the closing bracket lost, the figure's ¥ right after (first run 29002, a phone photo:
# (小1D¥347.99, the 1 taken for the total with tax).
_SMALL_MISREAD = r"[（(]\s*小\s*(?:[^\s\u4e00-\u9fff¥￥]?\s*[)）]|[^\s\u4e00-\u9fff¥￥)）]{1,2}(?=\s*[¥￥]))"

# What follows 合计 in the words row's label: （大写）.
_WORDS_TAIL = r"\s*[（(]\s*" + spaced("大写")
LABELS = {
    "invoice_code": label(spaced("发票代码") + _COLON, "发"),
    "invoice_number": label(spaced("发票号码") + _COLON, "发"),
    "issue_date": label(spaced("开票日期") + _COLON, "开"),
    "check_code": label(spaced("校验码") + _COLON, "校较饺"),
    # 机器 starts no other label; its 编号 is often misread (机器编与, 机器练: seeds 8053, 8079, whose 12 digits, starting
    # with 0 as a 12-digit code does, were then taken for a second code and the machine number accepted as unprinted);
    # so is its 器 with 编 read (机号编号: seed 8312).
    "machine_number": label(r"机\s*(?:器|[^\d\s:：]\s*编)(?:\s*[^\d\s:：]){0,2}" + _COLON, "机"),
    # A speck between 名 and 称 read as a glyph of its own (first run 19278: 名1 称：, the seller's name not found).
    "party_name": label(r"(?:[购销]\s*[买售]?\s*方?\s*(?:信\s*息\s*)?)?名\s*[^\s\u4e00-\u9fff]?\s*称" + _COLON, "名购销"),
    "party_tax_id": label(
        r"(?:" + spaced("统一社会信用代码") + r"\s*[/／]?\s*(?:" + spaced("纳税人识别号") + ")?|"
        + spaced("纳税人识别") + _TAX_LABEL_END + ")" + _COLON,
        "统纳",
    ),
    # Or 合 alone, nothing else within the row's reach: on a scan the letter-spaced 计 can go undetected, and the row's
    # figures with it (first run 12240-12559: 12360, 12411, 12547, both figures not found).
    # Not 合计 followed by （大写）: the words row's label, its 价税 lost.
    "total": label(spaced("合计") + "(?!" + _WORDS_TAIL + ")" + r"|^合$", "合"),
    # 价, any glyph for 税 (first runs 14614 and 15214, phone photos: 价视合计, 价科合计; the words row's only anchor), 合计.
    # Or 合计 with its bracketed 大写, the 价税 lost (first run 25470, a phone photo: 合计（大写） read, taken for the 合计
    # row's label, and the row's ¥52.00 for the amount).
    # Or 价, any glyph, 合 and any glyph before the bracketed 大写 (first run 27783, an image PDF: 价税合号（大写）, with
    # neither the 合计 row's label nor 小写 read; no words row, so no invoice, and the file failed as none).
    "words": label(r"价\s*[\u4e00-\u9fff]\s*合\s*(?:计|[\u4e00-\u9fff](?=" + _WORDS_TAIL + r"))\s*[（(]?\s*(?:"
                   + spaced("大写") + r")?\s*[)）]?|" + spaced("合计") + _WORDS_TAIL + r"\s*[)）]?", "价合"),
    # Or 小 and at most one sign not a glyph between brackets: its 写 misread or lost (first run 25083, an image PDF:
    # (小4)¥725.17, the 4 then taken for the total with tax and the figure for the 合计 amount; 28513: (小),
    # _SMALL_MISREAD). Not a glyph: an item's (小号) is no label.
    "figures": label(r"[（(]?\s*" + spaced("小写") + r"\s*[)）]?|" + _SMALL_MISREAD, "（(小"),
    "drawer": label(spaced("开票人") + _COLON, "开"),
    "remarks": label(r"备\s*注?", "备"),
    "subtotal": label(r"(?:小\s*计|总\s*计)", "小总"),
}
# The 机器编号 label's tail alone, its head lost at the photo's edge or under the detector's threshold: no other header
# label holds 编号, so it says a machine number is printed, not that one was read (first run 15790: a photo's 编号：
# read, the number and 机器 not, and the number accepted empty). Or its middle, 器编 (first run 20882: a photo's label
# and number printed small onto the table's top rule, its header band detected again finding only 器编; accepted
# empty): no name or label in the header holds it either. Also inside a word, its head read as a glyph of another
# (first run 21374: a photo's 机器编号 read 广编号, the number printed onto the table's top rule unread; accepted empty).
# Its middle with 编 read as 组, its look-alike (first run 26730: a photo's label and number small and faint on the
# table's top rule, the header band detected again finding only 器组; accepted empty).
MACHINE_LABEL_TAIL = label(r"(?:器\s*[编组]|编\s*号)" + _COLON, "器编")

# The signature row's labels, alone or run together (the 方 of 销售方 can be lost: seed 8734; older forms say 销货单位,
# the 2010 specimen's 销货单位：（章）), which the run after 开票人 can reach when the drawer's own box read as nothing:
# never the drawer.
SIGNATURE_LABELS = re.compile(r"(?:[:：]?(?:开票人|收款人|复核人?|销售方?|销货单位|[（(]章[)）])[:：]?)+")

_CAPITAL = re.compile(r"(?:[（(]\s*负数\s*[)）]|负)?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]{2,}")
# The 小写 label of the 价税合计 figure.
_SMALL_FIGURES_LABEL = re.compile(r"[（(]?小\s*写|" + _SMALL_MISREAD)
# A capital amount standing alone (the words row whose label OCR lost): ends in a unit, at least four glyphs.
_CAPITAL_ALONE = re.compile(r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]{2,}[圆元][零壹贰叁肆伍陆柒捌玖角分整正]*$")
_MONEY = re.compile(r"[-−]?\s*[¥￥]?\s*[-−]?\d[\d,]*(?:\.\d*)?|\*{3}")
# A figure ending in its point and two digits: every amount is printed with its cents. A scan's figure read without
# them lost them: "V353." (the line cut at the image's edge) and "V3073..60" read as 353.00 and 3073.00, agreed in
# their sum and were accepted for 353.60 and 3073.60 (first run 11878, a phone photo); the span read again, "V353",
# would have been taken as whole.
_CENTS = re.compile(r"\.\d{2}$")

_TITLES: tuple[tuple[str, InvoiceType], ...] = (
    (r"电子发票[（(]增值税专用发票[)）]", InvoiceType.DIGITAL_SPECIAL),
    (r"电子发票[（(]普通发票[)）]", InvoiceType.DIGITAL_NORMAL),
    (r"通行费", InvoiceType.TOLL),
    (r"卷票|卷式", InvoiceType.VAT_ROLL),
    (r"电子专用发票", InvoiceType.VAT_ELECTRONIC_SPECIAL),
    (r"电子普通发票", InvoiceType.VAT_ELECTRONIC_NORMAL),
    (r"专用发票", InvoiceType.VAT_SPECIAL),
    (r"普通发票", InvoiceType.VAT_NORMAL),
)


# Glyphs of a title's keyword read as a look-alike that spells no other title, read back before the titles are
# matched: 用 as 月 (first runs 16147, 16204: 天津增值税专月发票) and 发 as its old form 發 (16291: 专用發票). Unmatched, the
# type fell back to the code's kind alone and went to review.
_TITLE_LOOKALIKES = ((re.compile(r"發票"), "发票"), (re.compile(r"专月(?=发票)"), "专用"))


def title_keywords(text: str) -> str:
    """`text` with the look-alikes of a title's keyword (_TITLE_LOOKALIKES) read back."""
    for pattern, glyphs in _TITLE_LOOKALIKES:
        text = pattern.sub(glyphs, text)
    return text


# The glyphs the titles of _TITLES are spelled with.
TITLE_GLYPHS = frozenset("".join(re.sub(r"[^\u4e00-\u9fff]", "", pattern) for pattern, _ in _TITLES))


@dataclass
class _PageRead:
    """What one page turned out to be."""

    kind: str  # "invoice", "goods_list" or "other"
    invoice: Invoice | None = None
    items: list | None = None


def extract_invoices(pages: list[Page]) -> list[Invoice]:
    """One Invoice per invoice page; goods-list pages add their items to the invoice before them."""
    invoices: list[Invoice] = []
    for page in pages:
        if not page.lines or page.kind == PageKind.STRUCTURED:
            continue
        read = read_page(page)
        if read.kind == "invoice" and read.invoice is not None:
            invoices.append(read.invoice)
        elif read.kind == "goods_list" and invoices and read.items:
            owner = invoices[-1]
            if is_goods_list_reference(owner.items) or page.number in owner.extra_pages:
                owner.items = []
            owner.items.extend(read.items)
            owner.extra_pages.append(page.number)
    return invoices


def read_page(page: Page) -> _PageRead:
    source = Source.OCR if page.kind == PageKind.IMAGE else Source.TEXT_LAYER
    make = FieldMaker(str(source), page.number)
    layout = Layout(page.lines)
    if not layout.pieces:
        return _PageRead("other")
    width = page.width or max(p.x1 for p in layout.pieces)
    height = page.height or max(p.y1 for p in layout.pieces)
    words = _lowest(layout.find(LABELS["words"]), prefer="top")
    title_pieces, title = _title(layout, height)
    columns = find_columns(layout, width)
    is_ocr = page.kind == PageKind.IMAGE
    if words is None and "清单" not in title and (is_ocr or "发票" in title or _has(layout, LABELS["invoice_number"])):
        words = _words_row_stand_in(layout, columns)
    elif words is not None and is_ocr:
        words = _words_set_off(layout, words)
    if words is None:
        if columns is not None and ("清单" in title or _has(layout, LABELS["subtotal"])):
            bottom = _table_bottom(layout, columns, height, LABELS["subtotal"])
            return _PageRead("goods_list", items=read_items(layout, columns, bottom, make))
        return _PageRead("other")

    inv = Invoice(page=page.number)
    f = inv.fields
    f["invoice_code"] = _code(layout, make)
    f["invoice_number"] = _number(layout, make)
    f["issue_date"] = _date(layout, make)
    f["check_code"] = _check_code(layout, make)
    f["machine_number"] = _digits_after(layout, "machine_number", make, lengths=(12,))
    split_y = columns.y0 if columns is not None else words.y0
    (f["buyer_name"], f["seller_name"]) = _parties(layout, LABELS["party_name"], split_y, make, _name_value)
    (f["buyer_tax_id"], f["seller_tax_id"]) = _parties(layout, LABELS["party_tax_id"], split_y, make, _tax_id_value)
    f["total_amount"], f["total_tax"] = _totals(layout, columns, words, make)
    f["amount_in_words"] = _words(words, make)
    if not f["amount_in_words"].value:
        # Every invoice prints its 价税合计 in words on the row found: none read is text missing, not "none printed"
        # (16 of 400 generated scans had it accepted empty).
        f["amount_in_words"].flag(Reason.INCOMPLETE)
    f["amount_with_tax"] = _figures(layout, words, make, taken={f["total_amount"].box, f["total_tax"].box} - {None},
                                    words_box=f["amount_in_words"].box if is_ocr else None)
    f["drawer"] = _drawer(layout, words, make)
    if is_ocr:
        _second_reading(layout, inv, columns, words, width, height, make, page.unread_ink)
    # After the second reading: on a scan the seller's tax id it found is the seal's, whose remnants the 备注 box holds.
    f["remarks"] = _remarks(layout, words, width, height, make, scan=is_ocr, seal_id=f["seller_tax_id"].value,
                            totals={n: f[n].box for n in ("amount_in_words", "amount_with_tax", "total_tax") if f[n].box})
    kind = _invoice_type(title, f["invoice_code"].value, f["invoice_number"].value)
    f["invoice_type"] = make(str(kind), _type_evidence(title_pieces, title))
    if is_ocr and kind == InvoiceType.UNKNOWN:
        f["invoice_type"] = make("", [])
    if is_ocr:
        ocrfields.fill_from_qr(inv, page)
        if not f["invoice_type"].value:
            f["invoice_type"] = make(str(InvoiceType.UNKNOWN), [])
    if kind in (InvoiceType.DIGITAL_SPECIAL, InvoiceType.DIGITAL_NORMAL):
        for name in ("invoice_code", "check_code", "machine_number"):
            if not f[name].value:
                f[name] = make("", [])
    if columns is not None:
        bottom = _table_bottom(layout, columns, height, LABELS["total"], before=words.y0)
        inv.items = read_items(layout, columns, bottom, make)
    return _PageRead("invoice", invoice=inv)


def _second_reading(layout: Layout, inv: Invoice, columns, words: Hit, width: float, height: float, make,
                    unread: list[tuple[float, float, float, float]] = ()) -> None:
    """OCR pages: what the labels did not give, read by shape and position (see intake.ocrfields); `unread`: the
    page's printer ink no detection found (Page.unread_ink)."""
    f = inv.fields
    limit = ocrfields.header_limit(layout, height, columns.y0 if columns is not None else None, words.y0)
    skip = {f["machine_number"].value, f["check_code"].value} - {""}
    codes, numbers, machines = ocrfields.header_numbers(layout, limit, skip)
    if not f["invoice_code"].value:
        f["invoice_code"] = ocrfields.vote(codes, make) or f["invoice_code"]
    if not f["invoice_number"].value:
        f["invoice_number"] = ocrfields.vote(numbers, make) or f["invoice_number"]
    if not f["machine_number"].value:
        f["machine_number"] = ocrfields.vote(machines, make) or f["machine_number"]
    if not f["machine_number"].value and (_machine_label(layout, (0, 0, width, limit))
                                          or ocrfields.unclaimed_machine_run(layout, limit, f, width)
                                          or ocrfields.unread_run(unread, limit, width)
                                          or not ocrfields.id_row_found(layout, columns.y0 if columns is not None
                                                                        else None, words.y0)):
        # Its label is printed, or a run of about twelve digits in the header no field took, or printed ink there no
        # detection found: a 机器编号 not read is not one not printed (seed 8036: the number offset onto the next row
        # and misread there; 5314: 95728867014Q; 8610: printed small onto the table's top rule, label and number
        # never detected). Nor where no tax-id row was read, so the header's bottom is a guess (first run 14394: a
        # small blurred photo, the buyer's tax-id row and the 机器编号 row both unread). Older forms print none (the
        # real 2016 专票 photos): with none of these, empty stands. No key field: it holds no invoice.
        f["machine_number"].flag(Reason.INCOMPLETE)
    if not f["check_code"].value:
        f["check_code"] = ocrfields.spaced_check_code(layout, limit, make) or f["check_code"]
    if not f["issue_date"].value:
        f["issue_date"] = ocrfields.header_date(layout, limit, make) or f["issue_date"]
    table_top = columns.y0 if columns is not None else min(words.y0, 0.45 * height)
    buyer_zone = ocrfields._Zone(0.0, table_top)
    seller_zone = ocrfields._Zone(words.y1, height)
    for name, fv in ocrfields.parties(layout, buyer_zone, seller_zone, width, make).items():
        # A name the label gave stands when the tax id has no name near it (数电 print them rows apart).
        if fv.value or name.endswith("tax_id") or ocrfields.suspicious_name(f[name].value):
            f[name] = fv
    for name in ("buyer_name", "seller_name"):
        # A bracket read as a glyph ("（深圳广集团") leaves the pair unbalanced: the read is not to be trusted.
        v = f[name].value
        if not brackets_paired(v) or (v and not is_whole(v)):
            f[name].raw_confidence *= 0.5
        if v and ocrfields.unread_gap(layout, f[name].box):
            f[name].flag(Reason.INCOMPLETE)
    if not f["total_amount"].value and not f["total_tax"].value:
        found = ocrfields.totals_by_figures(layout, words.cy, words.height, width, make, f["amount_with_tax"].value)
        if found:
            f["total_amount"], f["total_tax"] = found


def _words_row_stand_in(layout: Layout, columns) -> Hit | None:
    """When OCR lost the 价税合计 label: its row is the capital amount's, or where 小写 is, or just under the 合计 row.
    The capital amount may be read in part, without its 圆 (first run 27783, 贰佰捌拾万零叁 the only piece of that row
    read besides its misread label): `_capital_in_part`."""
    capitals = [p for p in layout.pieces if _is_capital(p.text) and (columns is None or p.y0 > columns.y1)]
    if capitals:
        p = max(capitals, key=lambda p: p.cy)
        return Hit(label=[Piece("", p.x0 - 1, p.y0, p.x0, p.y1)], tail=_row_from(layout, p))
    figures = [h for h in layout.find(LABELS["figures"]) if columns is None or h.y0 > columns.y1]
    if figures:
        return min(figures, key=lambda h: h.y0)
    totals = [h for h in layout.find(LABELS["total"], max_gap=16.0) if columns is None or h.y0 > columns.y1]
    if totals:
        total = max(totals, key=lambda h: h.y0)
        h = total.height
        return Hit(label=[Piece("", total.x0, total.y1 + 0.2 * h, total.x1, total.y1 + 1.2 * h)], tail=[])
    return _row_over_the_seller(layout, columns)


# How far from the 价税合计 label's centre, in its heights, its capital amount is looked for when the print offset set
# it off the label's row (first run 29276: 24.5 px under a label 37 px tall, 0.65 of it reached).
WORDS_OFFSET = 1.2


def _is_capital(text: str) -> bool:
    return bool(_CAPITAL_ALONE.search(unconfused(text))) or _capital_in_part(text)


def _row_from(layout: Layout, p: Piece) -> list[Piece]:
    """`p` and what follows it on its own row: a capital amount's row, the words row's value side."""
    return [p, *(q for q in layout.row_of(p) if q.x0 > p.x0)]


def _words_set_off(layout: Layout, words: Hit) -> Hit:
    """The words row as printed: where the label's row holds no capital amount, the capital amount right of the label
    within WORDS_OFFSET of it, and its own row on. The printer sets the capital amount and the 小写 figure beside it
    by one offset, however far from the form's labels (first run 29276, a paper 专票: both 24.5 px under the label's
    centre, neither read)."""
    if any(_is_capital(p.text) for p in words.tail):
        return words
    near = [p for p in layout.pieces if p.x0 > words.x1 and abs(p.cy - words.cy) <= WORDS_OFFSET * words.height
            and p.cy != words.cy and _is_capital(p.text)]
    if not near:
        return words
    return Hit(label=words.label, tail=_row_from(layout, min(near, key=lambda p: abs(p.cy - words.cy))))


# A piece of a capital amount read without its unit: this many Chinese glyphs at least, and no digit. Not a figure
# among words (a taxi receipt's print run, 7000万分(70万×100…: three capital glyphs among digits, taken for the words
# row; the real photo then read as an invoice, every value held).
CAPITAL_PART_MIN = 4


def _capital_in_part(text: str) -> bool:
    return (reads_as_capital(text) and not re.search(r"\d", text)
            and len(re.findall(r"[\u4e00-\u9fff]", text)) >= CAPITAL_PART_MIN)


def _row_over_the_seller(layout: Layout, columns) -> Hit | None:
    """Last, where nothing of the words row, the 小写 label or the 合计 row was read: the row just over the seller's
    block, a tax-id label under the table with the buyer's over it. Its totals are then looked for by their figures,
    or not found: the invoice goes to review, where otherwise the file failed as holding no invoice (first run 27783,
    before its misread label was known)."""
    if columns is None:
        return None
    ids = layout.find(LABELS["party_tax_id"])
    sellers = [h for h in ids if h.y0 > columns.y1]
    if not sellers or not any(h.y1 < columns.y0 for h in ids):
        return None
    seller = min(sellers, key=lambda h: h.y0)
    h = seller.height
    names = [n for n in layout.find(LABELS["party_name"]) if columns.y1 < n.y0 < seller.y0 and seller.y0 - n.y1 < h]
    top = min((n.y0 for n in names), default=seller.y0 - 1.1 * h)
    return Hit(label=[Piece("", seller.x0, top - 1.2 * h, seller.x1, top - 0.2 * h)], tail=[])


def _has(layout: Layout, lab) -> bool:
    return bool(layout.find(lab))


def _lowest(hits: list[Hit], prefer: str = "top") -> Hit | None:
    if not hits:
        return None
    return min(hits, key=lambda h: h.y0) if prefer == "top" else max(hits, key=lambda h: h.y0)


def _title(layout: Layout, height: float) -> tuple[list[Piece], str]:
    """The invoice title: the large print in the upper part of the page; when that names no type (the code and
    number printed as large as the title), the top third's pieces that say 发票; else the top third's text."""
    big = [p for p in layout.pieces if p.cy < 0.5 * height and p.height >= 1.5 * layout.char_height]
    top = [p for p in layout.pieces if p.cy < 0.3 * height]
    for pieces in (big, [p for p in top if "发票" in title_keywords(p.text)]):
        text = _joined(pieces)
        if any(re.search(pattern, text) for pattern, _ in _TITLES):
            return pieces, text
    pieces = big or top
    return pieces, _joined(pieces)


def _joined(pieces: list[Piece]) -> str:
    return title_keywords(re.sub(r"\s+", "", "".join(p.text for row in bands(pieces) for p in row)))


def _type_evidence(pieces: list[Piece], title: str) -> list[Piece]:
    """The print the type was read from: the pieces that spell the title, not the code and number that may share
    its row in large print, nor labels like 发票代码 (all the title's pieces when no title named the type)."""
    if not any(re.search(pattern, title) for pattern, _ in _TITLES):
        return pieces
    whole = [p for p in pieces if any(re.search(pattern, _joined([p])) for pattern, _ in _TITLES)]
    return whole or [p for p in pieces if TITLE_GLYPHS & set(p.text)] or pieces


def _invoice_type(title: str, code: str, number: str) -> InvoiceType:
    for pattern, kind in _TITLES:
        if re.search(pattern, title):
            if kind == InvoiceType.VAT_NORMAL and len(code) == 12 and code.endswith("11"):
                return InvoiceType.VAT_ELECTRONIC_NORMAL
            return kind
    if len(code) == 12 and code.startswith("0"):
        return {
            "11": InvoiceType.VAT_ELECTRONIC_NORMAL,
            "04": InvoiceType.VAT_NORMAL,
            "05": InvoiceType.VAT_NORMAL,
            "06": InvoiceType.VAT_ROLL,
            "07": InvoiceType.VAT_ROLL,
            "12": InvoiceType.TOLL,
            "13": InvoiceType.VAT_ELECTRONIC_SPECIAL,
        }.get(code[-2:], InvoiceType.UNKNOWN)
    if len(code) == 10:
        return {"1": InvoiceType.VAT_SPECIAL, "5": InvoiceType.VAT_SPECIAL, "3": InvoiceType.VAT_NORMAL,
                "6": InvoiceType.VAT_NORMAL}.get(code[7], InvoiceType.UNKNOWN)
    return InvoiceType.UNKNOWN


def _run_text(pieces: list[Piece]) -> str:
    return normal.halfwidth_ascii("".join(p.text for p in pieces))


def _first_match(layout: Layout, key: str, pattern: re.Pattern[str], max_gap: float = 3.0):
    """The first label hit (top to bottom) whose value run contains `pattern`; returns (match text, pieces)."""
    for hit in sorted(layout.find(LABELS[key]), key=lambda h: h.y0):
        run = value_run(hit.tail, max_gap)
        text = re.sub(r"\s+", "", _run_text(run))
        m = pattern.search(text)
        if m:
            return m.group(0), run
    return "", []


_CODE = re.compile(r"(?<!\d)(\d{12}|\d{10})(?!\d)")
_NUMBER = re.compile(r"(?<!\d)(\d{20}|\d{8})(?!\d)")


def _code(layout: Layout, make: FieldMaker) -> FieldValue:
    value, run = _first_match(layout, "invoice_code", _CODE)
    return make(value, run)


def _number(layout: Layout, make: FieldMaker) -> FieldValue:
    value, run = _first_match(layout, "invoice_number", _NUMBER)
    return make(value, run)


def _digits_after(layout: Layout, key: str, make: FieldMaker, lengths: tuple[int, ...]) -> FieldValue:
    alternatives = "|".join(rf"\d{{{n}}}" for n in sorted(lengths, reverse=True))
    value, run = _first_match(layout, key, re.compile(rf"(?<!\d)(?:{alternatives})(?!\d)"))
    return make(value, run)


# A date whose year lost its first digit into the label's colon (print offset sets the date onto it: seed 12628 read
# 开票日期?024年12月22日): the rest of the year, after at most one glyph that is no digit.
_YEAR_HEADLESS = re.compile(r"^\D?(0\d\d年.*)")


# A date whose box ends one digit into the day, its 日 unread: the day's second digit may be cut with it (first run
# 25501: 2019年12月2 read for 2019年12月26日, the box ending early; taken as the 2nd). Invoices print the day in two
# digits (02日).
_CUT_DAY = re.compile(r"月\d$")


def _date(layout: Layout, make: FieldMaker) -> FieldValue:
    for hit in sorted(layout.find(LABELS["issue_date"]), key=lambda h: h.y0):
        run = value_run(hit.tail, 3.0)
        text = re.sub(r"\s+", "", _run_text(run))
        value = normal.iso_date(text)
        if value:
            fv = make(value, run)
            if make.source == Source.OCR and _CUT_DAY.search(normal.halfwidth_ascii(text)):
                fv.flag(Reason.INCOMPLETE)
            return fv
        headless = _YEAR_HEADLESS.match(text)
        guess = normal.iso_date("2" + headless.group(1)) if headless else ""
        if guess:
            # Every year an invoice carries starts with 2: the value is a reviewer's to confirm, not to type.
            fv = make(guess, run)
            fv.flag(Reason.INCOMPLETE)
            return fv
    return make("", [])


def _check_code(layout: Layout, make: FieldMaker) -> FieldValue:
    for hit in sorted(layout.find(LABELS["check_code"]), key=lambda h: h.y0):
        run = value_run(hit.tail, 2.0)
        text = re.sub(r"\s+", "", _run_text(run))
        m = re.match(r"\d{20}", text)
        if m:
            return make(m.group(0), run)
        # Shenzhen blockchain invoices print a short hex code instead.
        m = re.match(r"[0-9a-fA-F]{4,12}(?![0-9a-zA-Z年月日])", text)
        if m:
            return make(m.group(0), run)
    return make("", [])


def _name_value(run: list[Piece]) -> str:
    return normal.name("".join(p.text for p in run))


# The 密码区 prints rows of 0-9 < > + - * /; stripped to its digits one row looks like a tax id.
_CIPHER_MARKS = re.compile(r"[<>*/+]")


def _tax_id_value(run: list[Piece]) -> str:
    for p in run:
        candidate = normal.tax_id(p.text)
        if 15 <= len(candidate) <= 20:
            return candidate
    joined = normal.tax_id("".join(p.text for p in run))
    return joined if 15 <= len(joined) <= 20 else ""


def _parties(layout: Layout, lab, split_y: float, make: FieldMaker, read) -> tuple[FieldValue, FieldValue]:
    """(buyer, seller): above the item table is the buyer (or both side by side, buyer left); below, the seller."""
    hits = [h for h in layout.find(lab) if h.y1 < split_y - 1 or h.y0 > split_y + 1]
    above = sorted((h for h in hits if h.cy < split_y), key=lambda h: (h.y0, h.x0))
    below = sorted((h for h in hits if h.cy > split_y), key=lambda h: h.y0)
    buyer = seller = None
    buyer_stop = None
    if above:
        # The row's labels left to right: side by side, the right one may sit a pixel higher and sort first.
        row = sorted((h for h in above if abs(h.cy - above[0].cy) < above[0].height), key=lambda h: h.x0)
        first = row[0] if len(row) > 1 and row[1].x0 > row[0].x1 else above[0]
        beside = [h for h in row if h is not first and h.x0 > first.x1]
        buyer = first
        if beside:
            seller = beside[0]
            buyer_stop = seller.x0 - 2 * seller.height
    if seller is None and below:
        seller = below[0]
    out = []
    for hit, stop in ((buyer, buyer_stop), (seller, None)):
        if hit is None:
            out.append(make("", []))
            continue
        run = [p for p in value_run(hit.tail, 3.0, stop_x=stop) if not _CIPHER_MARKS.search(p.text)]
        out.append(make(read(run), run))
    return out[0], out[1]


# A recognizer reads the decimal point of a printed figure as a colon ("￥19225:20") often enough to matter.
_POINT_AS_COLON = re.compile(r"(?<=\d)[:;：](?=\d{2}(?!\d))")
# Or as a space, in a figure printed with its ¥ (first runs 29002, 29062, phone photos: ¥307 96, ¥123 00): every such
# figure carries its cents, so a ¥ figure with no point and two digits after a space is one figure.
_POINT_AS_SPACE = re.compile(r"([¥￥]\s*\d[\d,]*) (\d{2})(?![\d.,])")


def _money_tokens(pieces: list[Piece]) -> list[tuple[str, Piece]]:
    out = []
    for p in pieces:
        text = _POINT_AS_SPACE.sub(r"\1.\2", _POINT_AS_COLON.sub(".", normal.halfwidth_ascii(p.text)))
        for m in _MONEY.finditer(text):
            out.append((m.group(0), sub_piece(p, m.start(), m.end())))
    return out


def _money_value(token: str) -> str:
    return "0.00" if token.strip() == "***" else normal.money(token.replace("−", "-"))


def _money_field(token: str, piece: Piece, make: FieldMaker) -> FieldValue:
    """A figure's field: `incomplete` on a scan when its cents were not read (_CENTS)."""
    fv = make(_money_value(token), [piece])
    if make.source == Source.OCR and token.strip() != "***" and not _CENTS.search(token):
        fv.flag(Reason.INCOMPLETE)
    return fv


# How far above the 价税合计 label's top the 合计 row's figures are looked for when the 合计 label went unread, in the
# label's heights (19468: 1.3).
TOTALS_ABOVE_WORDS = 2.0


def _totals(layout: Layout, columns, words: Hit, make: FieldMaker) -> tuple[FieldValue, FieldValue]:
    """合计 row: the amount then the tax, right of the label (a lone figure goes to the nearer header column)."""
    # "合" and "计" are printed far apart (13 glyphs on letter-spaced renderings).
    hits = [h for h in layout.find(LABELS["total"], max_gap=16.0) if h.y1 <= words.y1 and (columns is None or h.y0 > columns.y1)]
    # Not the 价税合计 figure: on a small photo its row, set up by the print offset, can reach the 合计 label's row.
    # Nor a figure on the 小写 label's line, right of it: the label's (first run 12290: a tilted photo's ¥8613.80 in
    # the 合计 row, taken for the tax, the total with tax then not found). Unless it lies nearer the 合计 label's row
    # than the 小写 label's (first run 25043, an image PDF: the 合计 amount set down by the print offset 24 px under
    # the 合计 label's centre, 28 over the 小写 label's, dropped; its 7.44 tax then taken for the amount and the ¥82.66
    # for the total with tax).
    small = layout.find(LABELS["figures"])

    def in_row(pieces: list[Piece], row_cy: float | None = None) -> list[Piece]:
        return [p for p in pieces if not _SMALL_FIGURES_LABEL.search(p.text) and not any(
            p.x0 > s.x0 and abs(p.cy - s.cy) < 0.6 * s.height
            and (row_cy is None or abs(p.cy - s.cy) <= abs(p.cy - row_cy)) for s in small)]

    if not hits:
        # The label unread, 合 and 计 both (first run 19468, a paper 专票): two figures printed with the yen sign on
        # the row right above the 价税合计 label are the 合计 row's. The sum with the words' total checks them.
        above = in_row([p for p in layout.pieces if p.x0 > words.x1 and p.y1 <= words.cy
                        and words.y0 - TOTALS_ABOVE_WORDS * words.height <= p.cy < words.y0])
        tokens = [t for t in _money_tokens(sorted(above, key=lambda p: p.x0)) if t[0].lstrip("-− ")[:1] in "¥￥"]
        if len(tokens) < 2:
            # One figure alone says nothing of which it is (probe 5210: its ¥0.00 tax, the amount unread there, would
            # have been taken for the amount); the figures' own search (ocrfields.totals_by_figures) is left to it.
            return make("", []), make("", [])
    else:
        hit = max(hits, key=lambda h: h.y0)
        tail = in_row(hit.tail, hit.cy)
        tokens = _money_tokens(tail)
        if len(tokens) == 1 and tokens[0][0].strip() != "***":
            # Print offset sets the figures lower than the label: the label's row reaches the amount but not the tax
            # beside it, a few pixels lower still (first run 18244: the tax 25 px under 合's centre, 24 allowed; it was
            # then taken for the difference and held). The figure's own row right of the label is the 合计 row's too,
            # on either side of it (first run 29276: the tax reached, 24 px under 合's centre, the amount left of it
            # 25 px under, not).
            first = tokens[0][1]
            beside = in_row([p for p in layout.row_of(first, x_from=hit.x1) if p.x0 >= hit.x1 and p not in tail])
            tokens = _money_tokens(sorted(tail + beside, key=lambda p: p.x0))
    # Two printed figures and a stray fragment ("￥1244.1" "3"): the figures carry the cents.
    with_cents = [t for t in tokens if _CENTS.search(t[0]) or t[0].strip() == "***"]
    if len(with_cents) >= 2:
        tokens = with_cents
    if not tokens:
        return make("", []), make("", [])
    if len(tokens) >= 2:
        (a, pa), (t, pt) = tokens[0], tokens[-1]
        return _money_field(a, pa, make), _money_field(t, pt, make)
    token, p = tokens[0]
    if token.strip() == "***":
        return make("", []), make("0.00", [p])
    if columns is not None and "tax" in columns.boxes:
        ax = columns.boxes["amount"][2]
        tx = columns.boxes["tax"][2]
        if abs(p.x1 - tx) < abs(p.x1 - ax):
            return make("", []), _money_field(token, p, make)
    return _money_field(token, p, make), make("", [])


def _words(words: Hit, make: FieldMaker) -> FieldValue:
    # Look-alikes that mean nothing else in a capital amount read as the numerals they are: the run would end at them.
    run = [p for p in words.tail if p.text.strip()]
    text = unconfused("".join(p.text for p in run))
    m = _CAPITAL.search(text.replace("⊗", "").replace(" ", ""))
    if not m:
        return make("", [])
    used = [p for p in run if _CAPITAL.search(unconfused(p.text))] or run
    # No amount is written from a 零 (but 零圆整): one in front is the ⊗ start mark read as O or 〇 (probe 5370).
    value = m.group(0)
    if value.startswith("零") and not value.startswith("零圆"):
        value = value.lstrip("零")
    return make(value, used)


def _figures(layout: Layout, words: Hit, make: FieldMaker, taken: set = frozenset(), words_box=None) -> FieldValue:
    """价税合计（小写）: the figure after the 小写 label on the words row (or the first figure right of the words).

    `taken`: boxes of the 合计 figures. A tall words label reaches up to the 合计 row, so its row may hold them too
    (generated seed 5237: the 合计 amount was read as the total with tax).
    `words_box`: the capital amount's, on a scan. The printer sets the figure on the capital amount's row, whatever
    the offset from the form's labels: a figure there comes first (first run 29062, a phone photo: the 合计 amount,
    raised onto the 小写 label's row and its 0 read as 6 on a rule, was taken before the figure under it)."""
    candidates = [h for h in layout.find(LABELS["figures"]) if abs(h.cy - words.cy) < 2 * words.height]
    tails = [h.tail for h in sorted(candidates, key=lambda h: h.x0)] + [words.tail]
    tokens = [(token, p) for tail in tails for token, p in _money_tokens(tail)
              if re.search(r"\d", token) and p.box not in taken]
    if words_box is not None:
        cy, h = (words_box[1] + words_box[3]) / 2, words_box[3] - words_box[1]
        tokens = sorted(tokens, key=lambda tp: abs(tp[1].cy - cy) >= 0.5 * h)
    if tokens:
        return _money_field(*tokens[0], make)
    return make("", [])


# The invoice system prints the drawer's name in simplified characters, every one of them in GB 2312. On a scan a glyph
# outside it is a misread: the traditional form (靜 for 静, 強 for 强, 鵬 for 鹏), a like glyph (餅, 稱) or a ☑ for the
# first glyph. 16 of 16 such drawers in the probe scans, the first runs 18000-18639 and 200 calibration photos were
# wrong, one of them accepted (18520: 林靜霞). A real name may carry a glyph outside it (喆, 堃), so such a read is
# doubted, its score multiplied by this (to review), not rejected.
OUTSIDE_GB2312_FACTOR = 0.5


# Glyphs whose left part is 冫, two dots: a 开票人 label's colon, its name printed onto it by the print offset, reads as
# that part (first run 19871, an image PDF: 开票人冯平 read for 开票人：马平, every variant crop alike, accepted). Where the
# label was read without its colon, such a first glyph may be the colon and the glyph beside it (冯 for ：马, 凋 for
# ：周): doubted (OUTSIDE_GB2312_FACTOR), not changed, for 冯 is a surname too.
_COLON_DOTS = frozenset("冯冲冰况冷冼凉净次凋凑凌准减凝决")


def _machine_label(layout: Layout, header: tuple[float, float, float, float]) -> bool:
    """Whether the 机器编号 label is printed in the header: whole, its tail alone (MACHINE_LABEL_TAIL), or that tail
    inside a piece whose head was misread into another word (广编号)."""
    return bool(layout.find(LABELS["machine_number"], header) or layout.find(MACHINE_LABEL_TAIL, header)
                or any(MACHINE_LABEL_TAIL.pattern.search(p.text) for p in layout.within(header)))


# The drawer's name starts within this many character heights of the 开票人 label's end: on 197 drawers read from
# 160 scans of the first run 25440 the farthest right one started 0.97 away; the wrong ones 5 and 8 (the 销售方 label
# misread, a speck) and, on a photo whose neighbouring paper lay in the frame beside the sheet, 25: that paper's
# line (明审宿编部订 for 许霞秀, unread by the seal, accepted).
DRAWER_REACH = 3.0


def _drawer(layout: Layout, words: Hit, make: FieldMaker) -> FieldValue:
    """The 开票人's value: the run of pieces right after the label, up to the signature row's next label (销售方（章）:
    nothing beyond it is the drawer's) and starting within DRAWER_REACH; not found otherwise."""
    hits = [h for h in layout.find(LABELS["drawer"]) if h.y0 > words.y0]
    for hit in sorted(hits, key=lambda h: h.y0):
        tail = list(itertools.takewhile(lambda p: not SIGNATURE_LABELS.fullmatch(p.text.strip()), hit.tail))
        run = value_run(tail, 2.0)
        if run and run[0].x0 - hit.x1 > DRAWER_REACH * layout.char_height:
            run = []
        if run:
            fv = make(normal.name(run[0].text), run[:1])
            if make.source == Source.OCR and (not _in_gb2312(fv.value) or _colon_taken(hit, fv.value)):
                fv.raw_confidence *= OUTSIDE_GB2312_FACTOR
            return fv
    return make("", [])


def _colon_taken(hit: Hit, value: str) -> bool:
    """Whether the label was read without its colon and the value starts with a glyph the colon may have made (_COLON_DOTS)."""
    return value[:1] in _COLON_DOTS and not re.search(r"[:：]", "".join(p.text for p in hit.label))


def _in_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def margin_column(layout: Layout, x_from: float) -> float:
    """Left edge of the copy's name printed down the right margin (第二联：抵扣联 购买方扣税凭证), one glyph per box,
    right of x_from; +inf when there is none. Four or more lone glyphs stacked on one centre line make it."""
    glyphs = sorted((p for p in layout.pieces if p.x0 > x_from and len(p.text.strip()) == 1
                     and "\u4e00" <= p.text.strip() <= "\u9fff"), key=lambda p: (p.x0 + p.x1) / 2)
    best: list = []
    for i, g in enumerate(glyphs):
        cx = (g.x0 + g.x1) / 2
        column = [h for h in glyphs[i:] if (h.x0 + h.x1) / 2 - cx <= 0.6 * layout.char_height]
        if len(column) > len(best):
            best = column
    return min(h.x0 for h in best) - 1 if len(best) >= 4 else float("inf")


# The 备注 label's second glyph alone, a bracket or rule remnant around it ("「注)").
_NOTE_GLYPH_ALONE = re.compile(r"[^\w]{0,2}注[^\w]{0,2}")
# What the 备注 box takes in besides remarks, on scans: a form rule's remnant or a bracket's half at a line's edge, and
# a glyph alone on its line, the last of the copy's name down the right margin (…购买方扣税凭证) that the margin
# column did not claim.
_REMARK_EDGES = re.compile(r"^[|\]」』]+|[|\[「『]+$")
_COPY_NAME_GLYPHS = frozenset("第一二三四五联记账抵扣发票购买销售方税凭证")
# A remark line of letters and digits only that shares this many characters in a row with the seller's tax id, and
# at least half of its own, is the seal's: the 发票专用章 prints the id across its middle, and its remnants survive the
# seal's removal. Not a remark that shares a few digits with it by chance (first run 18277: dd22011090494 shares 2011
# with 91120116T7927BP322; taken for the seal's, the box read empty and was accepted as "none printed").
SEAL_ID_RUN = 4


def _remark_line(text: str, seal_id: str) -> str:
    """A remark line as printed, without what the box took in besides (see _REMARK_EDGES); "" when nothing is left."""
    text = _REMARK_EDGES.sub("", text).strip()
    if (len(text) == 1 and text in _COPY_NAME_GLYPHS) or _NOTE_GLYPH_ALONE.fullmatch(text):
        return ""  # the margin's copy name; the label's 注, on a line of its own
    if seal_id and re.fullmatch(r"[0-9A-Za-z ]+", text):  # the seal's arc can split the id ("91110108 AJ46R7H4")
        bare = text.replace(" ", "").upper()
        run = difflib.SequenceMatcher(None, bare, seal_id, autojunk=False).find_longest_match()
        if run.size >= max(SEAL_ID_RUN, len(bare) / 2):
            return ""
    return text


def _remarks(layout: Layout, words: Hit, width: float, height: float, make: FieldMaker, scan: bool = False,
             seal_id: str = "", totals: "dict[str, tuple[float, float, float, float]] | None" = None) -> FieldValue:
    """备注: the text right of the 备/注 label, between the 价税合计 row and the signature row; on a scan, each line
    without what the box took in besides (`_remark_line`; `seal_id`, the seller's tax id, is printed in the seal).
    `totals`: boxes of the totals' values by field (the words, the 小写 figure, the 合计 tax), which print offset can set
    as low as a remark's first line; a line mostly inside one of them is that value, read again (probe 5077:
    ¥653886.26 half a glyph under its label, detected again in the empty box and taken for a remark). The two figures,
    at the table's right, also bound the box there."""
    totals = totals or {}
    row = list(totals.values())
    # Left of the figures' right end: the 备 label stands mid-table, and a photo's sheet may take in a paper lying
    # beside it, whose lines can start with 备 too (calibration photo 20074: 备差人期注费… taken for the label, the
    # paper's lines for remarks). Not the words' end: they stop mid-table (calibration photo 20142).
    right_end = max((totals[n][2] for n in ("amount_with_tax", "total_tax") if n in totals), default=float("inf"))
    marks = [h for h in layout.find(LABELS["remarks"]) if h.y0 > words.y1 and len(h.label) <= 2 and h.x0 < right_end]
    note_glyphs = [p for p in layout.pieces if p.y0 > words.y1 and _NOTE_GLYPH_ALONE.fullmatch(p.text.strip())]
    if not marks and scan:
        # 备 lost (faded with the form ink, under the seal): its 注 below stands for the label.
        marks = [Hit([p], []) for p in note_glyphs]
    if not marks:
        fv = make("", [])
        if scan:
            fv.flag(Reason.INCOMPLETE)  # every form prints a 备注 box: one not found is not one found empty
        return fv
    mark = min(marks, key=lambda h: h.y0)
    signatures = [h for key in ("drawer",) for h in layout.find(LABELS[key]) if h.y0 > words.y1]
    # The signature row: 开票人 and, at its right end, 销售方：（章）.
    stamp_row = [p.y0 for p in layout.pieces if p.y0 > words.y1 and p.text.strip().startswith("销售方")]
    # The label stands in the middle of its box, 注 the lower glyph: the box ends about a glyph below it (the signature
    # row misread, 升累人 and 的售代(章), was taken for remarks: seed 8078).
    middle = (mark.x0 + mark.x1) / 2
    notes = [p.y1 + p.height for p in note_glyphs if p.y0 >= mark.y0 and abs(p.cx - middle) < mark.x1 - mark.x0]
    bottom = min([h.y0 for h in signatures] + stamp_row + notes, default=float("inf"))
    # From a quarter glyph under the 价税合计 row: print offset sets a remark's first line up against that row (5049, 5055).
    # The row followed across the page: on a tilted photo it climbs or falls along the box (`_row_slope`). A glyph of
    # the page's print, where the row's label was read as a taller box (first run 20662: the words label misread,
    # the row found by its "（小写）¥524778.24", a box two glyphs high with the figure set low by the offset; the
    # remark, half a glyph under it, was left out and the box accepted empty).
    slope = _row_slope(layout, words)
    glyph = min(words.height, layout.char_height)

    def top(x: float) -> float:
        return words.y1 + 0.25 * glyph + slope * (x - words.cx)

    # The margin's column is looked for a glyph right of the label: the label's own column (注 under 备) and the
    # 密码区's label above it (密, 码, 区), one glyph a row on the same centre line, made a "margin column" at the
    # label's edge where the label's end was placed short (seed 14469: 备 read into "备|dd46878584600", the box then
    # had no width and the remark was accepted empty).
    # Nor past the table's right rule, two glyphs right of the 合计 tax (right-aligned in the last column) at most: a
    # paper beside the sheet, 20074 again. Not where the tax was read left of where a remark fits (its box misplaced).
    right = margin_column(layout, mark.x1 + layout.char_height)
    if "total_tax" in totals and totals["total_tax"][2] > mark.x1 + 6 * layout.char_height:
        right = min(right, totals["total_tax"][2] + 2 * layout.char_height)
    region = (mark.x1 - 1, min(top(mark.x1 - 1), top(min(right, width))), right, bottom - 0.5)
    # A remark may start a little left of the label's right edge (print offset): any piece starting right of its middle,
    # or right of its left edge where the piece is not the label's (first run 18277: dd22011090494 set up and left
    # across the label column's rule, starting a quarter glyph into 备's box; the box was accepted empty).
    pieces = [p for p in layout.within(region) if p.cy >= top(p.cx) and not any(_mostly_in(p.box, b) for b in row)
              and (p.x0 >= middle or (p.x0 > mark.x0 + 1 and not p.text.lstrip().startswith(("备", "注"))))]
    # Print offset can set a remark onto the 备 label itself: the rest of that line is the remark's start.
    pieces += [t for t in mark.tail if t not in pieces and region[0] <= t.cx <= region[2] and top(t.cx) <= t.cy <= region[3]]
    if not pieces:
        fv = make("", [])
        if scan:  # where it looked: intake.reread looks there for print the detector did not see
            fv.box = (region[0], region[1], min(region[2], width), min(region[3], height))
        return fv
    lines, kept = [], []
    for row in bands(pieces):
        text = ""
        for i, p in enumerate(row):
            if i and p.x0 - row[i - 1].x1 > 1.0 * max(p.height, row[i - 1].height):
                text += " "
            text += p.text
        text = _remark_line(text.strip(), seal_id) if scan else text.strip()
        if text:
            lines.append(text)
            kept += row
    fv = make("\n".join(lines), kept)
    if not lines:
        # The box held marks and none is a remark: whether one was lost under them is a reviewer's call.
        fv.flag(Reason.INCOMPLETE)
    return fv


def _mostly_in(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether box `a` lies mostly (half its area or more) inside box `b`: the same print, read again."""
    return shared_area(a, b) >= 0.5 * max((a[2] - a[0]) * (a[3] - a[1]), 1e-6)


# How steep a row `_row_slope` takes: some 3°, a photo's tilt the cleanup left (first run 20530: 2°).
MAX_ROW_SLOPE = 0.05


def _row_slope(layout: Layout, words: Hit) -> float:
    """How the 价税合计 row climbs (< 0) or falls across the page, in pixels per pixel: from the bottom of its words
    label to that of its 小写 label right of it on the row (bottoms: the remarks box starts under them), both the form's
    own print, which no print offset moves. 0 where the 小写 label is not read, or the two make a row steeper than
    MAX_ROW_SLOPE (not one row). On a photo left tilted by the cleanup, the row's bottom under the 备注 box lies a
    glyph higher or lower than under the words label (first run 20530: the remark's first line, its centre 6 px above
    the words label's bottom, was taken for the words row's and the box accepted empty)."""
    smalls = [h for h in layout.find(LABELS["figures"]) if h.x0 > words.x1 and abs(h.cy - words.cy) < words.height]
    if not smalls:
        return 0.0
    small = min(smalls, key=lambda h: abs(h.cy - words.cy))
    slope = (small.y1 - words.y1) / (small.cx - words.cx)
    return slope if abs(slope) <= MAX_ROW_SLOPE else 0.0


def _table_bottom(layout: Layout, columns, height: float, lab, before: float | None = None) -> float:
    hits = [h for h in layout.find(lab, max_gap=16.0) if h.y0 > columns.y1 and (before is None or h.y1 <= before + 1)]
    if hits:
        return min(h.y0 for h in hits)
    return before if before is not None else height
