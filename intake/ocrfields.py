"""Second reading of an OCR page: values found by what they look like and where they sit, for labels that OCR lost or misread.

Paper forms carry their labels in pre-printed ink that cleanup may fade, and an impact
printer puts the values off their boxes, so on IMAGE pages `intake.fields` asks this
module for what the labels could not give: the code and number in the header (the 发票代码
printed twice, the number after the title's №), the 校验码 as spaced digit groups, each
party by its tax id (the one value OCR reads well) with its name on the row above, the 合计
row by its ¥ figures above the words row, and, last, the page's QR code for fields still
empty once the QR has proved it belongs to this invoice by agreeing with a value read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake import normal
from intake.capital import reads_as_capital
from intake.invoice import FieldValue, Invoice, InvoiceType, Reason, Source
from intake.layout import Layout, Piece
from intake.names import is_fragment, places_of
from intake.pages import Page

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NO_PREFIX = re.compile(r"(?:N\s*[oO0º°]|№)\s*[.:：]?\s*")
# The 密码区 and 备注 marks that bound the party blocks on the right.
_RIGHT_MARKS = {"密", "码", "区", "密码区", "备", "注", "备注", "密码", "码区"}
_LABEL_ONLY = re.compile(r"^(?:[购销]?[买售]?方?|名?称?|纳税人识别号|地址、?电话|开户行及账号|[：:])+$")
_NAME_LABEL = re.compile(r"^.{0,8}?(?:名\s*称|称|识.号|别号|纳税人\S{0,3}|电话|账号)\s*[:：]\s*")
# Other labels of the form: a "name" that is one of them is the row above a name OCR never found.
_FORM_LABEL = re.compile(r"机器|[编综]号|开票|日期|校验|代码|号码|合计|大写|小写|密码|识别|纳税人|开户|地址"
                         r"|发票联|抵扣联|记账联|[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]{3}")
# The copy's label beside the title (发票联, 抵扣联, 记账联), or its tail the detector split off: printed in the form's
# red above the buyer's block, it is the row above a name OCR never found (seed 8410: 票联 taken as the buyer's name).
# The copy's name (发票联, 抵扣联, 记账联, 存根联), one of its glyphs misread (first run 24990, a phone photo: 抵担联, taken
# for the buyer's name the print offset set onto the block's top rule).
_COPY_LABEL = re.compile(r"^(?:发?票|抵?扣|记?账|存?根|[发抵记存][\u4e00-\u9fff]|[\u4e00-\u9fff][票扣账根])联$")
_TAXID_LABEL = re.compile(r"^.*?(?:识别号|信用代码|代码)\s*[:：]?\s*")
# The 纳税人识别号 label as OCR misreads it ("税人识例号：", "纳税入识测号：", "纳税人识别:", "内税人识别5："): what stands
# before a colon (or, without one, before the first digit or letter) and holds at least two of the label's glyphs.
_TAXID_LABEL_READ = (re.compile(r"^([^:：]{2,12})[:：]\s*"), re.compile(r"^([^0-9A-Za-z]{2,12}?)\s*(?=[0-9A-Z])"))
_TAXID_LABEL_GLYPHS = set("纳税人识别号")
# The label's last glyph, its colon lost as well ("建号91310104637W12QG8G", seed 5360), or the label misread whole
# ("电热9131011295JN8D33X0", seed 8012): the check character decides.
# Either may follow a colon the rest of the label was read as (first run 29128, a paper 专票: ：号：91320106BB0713131T,
# the seller's tax id not found).
_TAXID_LABEL_TAIL = re.compile(r"^[:：]?([^:：0-9A-Z]{1,7})\s*[:：]?\s*")
# Or the label misread into a letter too, its colon read (first run 19612, a paper 专票: 机A号：911101055637YJYD0P, the
# seller's tax id not found).
_TAXID_LABEL_TO_COLON = re.compile(r"^[:：]?([^:：]{1,7})[:：]\s*")
# A name found above a tax id whose label was misread keeps this share of its recognizer score (it goes to review):
# on seeds 5000-5079 one of four such names had a glyph wrong ("弘天品" for 弘天晶) at a score of 0.975.
MISREAD_BLOCK_FACTOR = 0.5
_TAXID = re.compile(r"[0-9A-Z]{15,20}")
# USCC has no I, O, S, V, Z: a recognizer's letter there is a look-alike digit.
_USCC_FIX = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5"})
_MONEY_TOKEN = re.compile(r"^[¥￥YV羊半]?\s*(-?\d[\d,]*\.\d{2})[-_—]?$")
# A ¥ figure whose point the recognizer lost ("￥214185"): the 合计 figures always print two decimals.
_MONEY_NO_POINT = re.compile(r"^[¥￥]\s*(-?\d{3,})[-_—]?$")


@dataclass
class _Zone:
    y0: float
    y1: float


def digit_text(text: str) -> str:
    """Half-width, the № prefix dropped, and O/o/D read between digits taken as 0 (and l/I as 1)."""
    t = _NO_PREFIX.sub(" ", normal.halfwidth_ascii(text))
    for _ in range(2):
        t = re.sub(r"(?<=\d)[OoD](?=[\dOoD])|(?<=[\dOoD])[OoD](?=\d)", "0", t)
        t = re.sub(r"(?<=\d)[lI|](?=\d)", "1", t)
    return t


def header_limit(layout: Layout, height: float, columns_y0: float | None, words_y0: float) -> float:
    """Bottom of the header band: above the first tax-id row over the item table (the buyer's; over the 价税合计 row
    when the table's columns were not found, the seller's being under it), else above the table or a quarter of the
    page. Not a quarter of the page when the buyer's row is found: a phone photo's sheet can sit low in the picture
    (seed 5362: the 机器编号 row at 30 % of the height, above the buyer's, was left out). A buyer without a tax id
    still has the row's label (纳税人识别号): the real 2012 Jiangsu invoice shown in a photo viewer, its header at
    28-31 % of the screenshot, had its code and number left out."""
    bound = columns_y0 if columns_y0 is not None else words_y0
    ids = _id_rows(layout, bound)
    if ids:
        return min(bound, min(p.y0 for p in ids) - 0.5 * layout.char_height)
    return min(bound, 0.27 * height)


def id_row_found(layout: Layout, columns_y0: float | None, words_y0: float) -> bool:
    """Whether `header_limit` found the header's bottom by a tax-id row (its value or its label), not by a guess."""
    return bool(_id_rows(layout, columns_y0 if columns_y0 is not None else words_y0))


def _id_rows(layout: Layout, bound: float) -> list[Piece]:
    """Pieces above `bound` holding a tax id, else those holding a 纳税人识别号 label alone."""
    return ([p for p in layout.pieces if p.cy < bound and _tax_id_of(p)]
            or [p for p in layout.pieces if p.cy < bound and _tax_id_label(p)])


def _tax_id_label(p: Piece) -> bool:
    """A 纳税人识别号 label read alone (four of its six glyphs, as OCR misreads it: 纳视人识别号), its value empty."""
    return len(set(p.text) & _TAXID_LABEL_GLYPHS) >= 4 and not re.search(r"[0-9A-Z]{6}", normal.halfwidth_ascii(p.text))


Candidates = list[tuple[str, Piece]]


def header_numbers(layout: Layout, limit: float, skip: set[str]) -> tuple[Candidates, Candidates, Candidates]:
    """(code candidates, number candidates, machine-number candidates) from the header band: 10-digit runs and
    12-digit runs starting with 0 (a 12-digit 发票代码's first digit is 0), 8/20-digit runs, and the other 12-digit
    runs: the 机器编号 a misread label left unclaimed (seeds 6000-6079: it was taken as a second code, and the code,
    read right from both its prints, was halved for the disagreement)."""
    codes, numbers, machines = [], [], []
    for p in layout.pieces:
        if p.cy >= limit:
            continue
        t = digit_text(p.text)
        if re.search(r"\d{5}\s\d{5}\s\d{5}", t):
            continue  # a spaced 校验码
        for m in re.finditer(r"(?<!\d)\d{8,20}(?!\d)", t):
            value = m.group(0)
            if value in skip:
                continue
            if len(value) == 10 or (len(value) == 12 and value[0] == "0"):
                codes.append((value, p))
            elif len(value) == 12:
                machines.append((value, p))
            elif len(value) in (8, 20):
                numbers.append((value, p))
    return codes, numbers, machines


# Where the 机器编号 is printed: the header's left part, under the QR code (a fragment of it is looked for there only;
# the date, the number and the 校验码 are on the right).
MACHINE_NUMBER_SIDE = 0.4


def unclaimed_machine_run(layout: Layout, limit: float, fields: dict[str, FieldValue], width: float) -> bool:
    """Whether the header band holds a run of 11-13 letters and digits, nearly all digits, that no header field took:
    a 机器编号 misread (a letter for a digit, a digit lost or doubled), alone or behind a label misread past matching;
    or, on its left part, four to ten digits that are no part of a header field's value: a piece of one, the rest
    unread (seeds 8638, 8670: 40567 and 67754389 of a number printed small onto the table's top rule; first run 19562:
    its last four, 6128, the rest struck through by the rule)."""
    taken = {fields[n].value for n in ("invoice_code", "invoice_number", "check_code")} - {""}
    for p in layout.pieces:
        if p.cy >= limit:
            continue
        t = re.sub(r"\s+", "", normal.halfwidth_ascii(p.text))
        for m in re.finditer(r"(?<![0-9A-Za-z])[0-9A-Za-z]{11,13}(?![0-9A-Za-z])", t):
            if sum(c.isdigit() for c in m.group(0)) >= 10 and m.group(0) not in taken:
                return True
        if (p.x0 + p.x1) / 2 < MACHINE_NUMBER_SIDE * width:
            for m in re.finditer(r"(?<!\d)\d{4,10}(?!\d)", t):
                if not any(m.group(0) in value for value in taken):
                    return True
    return False


# Printed ink no detection found, in the header's left half, shaped like a run of digits (a 12-digit 机器编号 is some
# seven glyph heights long; a QR code is square, a speck short).
UNREAD_RUN_MIN_LENGTH = 4.0


def unread_run(unread: "list[tuple[float, float, float, float]]", limit: float, width: float) -> bool:
    """Whether the header band's left half holds a line of printer ink no detection found (Page.unread_ink)."""
    return any((y0 + y1) / 2 < limit and (x0 + x1) / 2 < 0.5 * width and x1 - x0 >= UNREAD_RUN_MIN_LENGTH * (y1 - y0)
               for x0, y0, x1, y1 in unread)


def vote(cands: Candidates, make) -> FieldValue | None:
    """The value printed most often (the code appears twice on paper forms); disagreement halves the trust."""
    if not cands:
        return None
    counts: dict[str, list[Piece]] = {}
    for value, p in cands:
        counts.setdefault(value, []).append(p)
    best = max(counts, key=lambda v: (len(counts[v]), max(p.confidence for p in counts[v])))
    pieces = counts[best]
    fv = make(best, [max(pieces, key=lambda p: p.confidence)])
    if len(counts) > 1:
        fv.raw_confidence *= 0.5
    return fv


# A date as the header prints it, whole: 2022年12月02日.
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def header_date(layout: Layout, limit: float, make) -> FieldValue | None:
    """The 开票日期 by its shape when its label was misread ("开票三期："): the first whole 年月日 date in the header band."""
    for p in sorted(layout.pieces, key=lambda p: (p.cy, p.x0)):
        if p.cy >= limit:
            continue
        m = _FULL_DATE.search(normal.halfwidth_ascii(p.text))
        if m:
            value = normal.iso_date(m.group(0))
            if value:
                return make(value, [p])
    return None


def spaced_check_code(layout: Layout, limit: float, make) -> FieldValue | None:
    for p in sorted(layout.pieces, key=lambda p: p.cy):
        if p.cy >= limit:
            continue
        t = digit_text(p.text)
        m = re.search(r"(?<!\d)(\d{5})\s?(\d{5})\s?(\d{5})\s?(\d{5})(?!\d)", t)
        if m and " " in m.group(0):
            return make("".join(m.groups()), [p])
    return None


# A 校验码 as printed, in groups of five digits, spaced: read with a digit lost or read as a letter, or two groups run
# together (first runs 13513, "42101 947G0 41911 29167", G for 6; 14474, "5021 5593147861 32168"). Each was taken for
# a tax id above the buyer's, the header band ended above the 机器编号 (offset half a row down), and the number, read
# by the page's detection, was accepted empty. Tax ids are printed unspaced.
_SPACED_RUNS = re.compile(r"(?<![0-9A-Z])[0-9A-Z]+(?:\s[0-9A-Z]+){2,}(?![0-9A-Z])")


# First run 16193: "70G4G 74947 77G53 37420", two 6s read as G in one group: groups of the 校验码's five (a glyph lost or
# gained), mostly digits, are one too, however its letters fall. First run 26093: "G359G 8G707 9G322 GG355", six 6s read
# as G, 14 of its 20 glyphs digits (a tax id read spaced into such groups would be more digits than that: 15 of 18).
_GROUP = re.compile(r"[0-9A-Z]{4,6}")
GROUP_DIGITS = 0.6


def _spaced_check_code(text: str) -> bool:
    """Whether `text` (half-width, upper case) holds three groups of four or five digits, spaced; or three or more
    runs of digits, spaced, 15 or more characters in all, each run with one letter at most (a digit misread), or
    each run four to six characters long and GROUP_DIGITS of all of them digits."""
    def spaced(runs: str) -> bool:
        groups = runs.split()
        return (all(sum(c.isalpha() for c in run) <= 1 for run in groups)
                or (all(_GROUP.fullmatch(run) for run in groups)
                    and sum(c.isdigit() for c in runs) >= GROUP_DIGITS * sum(len(run) for run in groups)))

    return bool(re.search(r"\d{4,5}\s\d{4,5}\s\d{4,5}", text)) or any(
        len(m.group(0)) >= 15 and spaced(m.group(0)) for m in _SPACED_RUNS.finditer(text))


def _tax_id_of(p: Piece) -> str:
    """The tax id a piece holds on its own (after a label), or ""; pieces with other CJK text (bank, address) hold none."""
    raw = normal.halfwidth_ascii(p.text).upper()
    t = _TAXID_LABEL.sub("", raw) if _CJK.search(raw) else raw
    if t == raw and _CJK.search(raw):
        t = _misread_label_stripped(raw)
    labelled = t != raw
    if _spaced_check_code(t):
        return ""  # a spaced 校验码
    t = re.sub(r"[\s:：]", "", t)
    if _CJK.search(t) or not 15 <= len(t) <= 21:
        return ""
    m = _TAXID.search(t)
    if not m or len(t) - len(m.group(0)) > 1 or sum(c.isdigit() for c in m.group(0)) < 6:
        return ""
    value = m.group(0)
    if len(value) == 20 and value.isdigit() and not labelled:
        return ""  # a 数电 number or a 校验码; old 20-character tax ids are taken only after their label
    if len(value) == 18:
        from stdnum.cn import uscc

        if not uscc.is_valid(value) and uscc.is_valid(value.translate(_USCC_FIX)):
            value = value.translate(_USCC_FIX)
    return value


def _under_misread_label(p: Piece) -> bool:
    """Whether the piece's tax id was found only by a misread label ("税人识例号："): the block reads poorly."""
    raw = normal.halfwidth_ascii(p.text).upper()
    return bool(_CJK.search(raw)) and _TAXID_LABEL.sub("", raw) == raw and _misread_label_stripped(raw) != raw


def _misread_label_stripped(raw: str) -> str:
    """The text after a misread tax-id label, or the text as it was when no such label starts it."""
    for pattern in _TAXID_LABEL_READ:
        m = pattern.match(raw)
        if m and len(set(m.group(1)) & _TAXID_LABEL_GLYPHS) >= 2:
            return raw[m.end():]
    # Only the label's last glyph kept ("号：", "联升号：", "建号"; the rest faded with the form ink or hidden by the
    # value printed over it): taken when what follows is a 统一社会信用代码 whose check character holds.
    from stdnum.cn import uscc

    for pattern in (_TAXID_LABEL_TAIL, _TAXID_LABEL_TO_COLON):
        m = pattern.match(raw)
        if m and "账" not in m.group(1):
            rest = re.sub(r"\s+", "", raw[m.end():])
            if len(rest) == 18 and uscc.is_valid(rest):
                return raw[m.end():]
    return raw


def _value_x0(p: Piece) -> float:
    """Where the tax id itself starts in its piece (after a label read into the same box), by glyph widths:
    an ideograph (or a full-width colon) is about twice as wide as a digit."""
    text = re.sub(r"\s+", "", normal.halfwidth_ascii(p.text).upper())
    starts = [m.start() for m in re.finditer(r"[0-9A-Z]{15,21}", text)]
    if not starts or not starts[-1]:
        return p.x0
    widths = [2 if _CJK.match(ch) or ch in ":：、，（）" else 1 for ch in text]
    return p.x0 + (p.x1 - p.x0) * sum(widths[: starts[-1]]) / sum(widths)


def _right_stop(layout: Layout, zone: _Zone, width: float) -> float:
    marks = [p.x0 for p in layout.pieces if zone.y0 <= p.cy <= zone.y1 and p.text.strip() in _RIGHT_MARKS and p.cx > 0.35 * width]
    return min(marks) if marks else width


def _name_for(layout: Layout, t: Piece, stop_x: float) -> list[Piece]:
    """The name row above a tax id: the nearest text row (within three rows) in the tax id's column.

    The name is printed in the value column, so a piece that ends before the tax id's own first glyph is in the
    label column (a label misread as "利水：", "称录：", a stray mark) and no part of the name."""
    h = max(t.height, layout.char_height)
    vx0 = _value_x0(t)
    cands = []
    for p in layout.pieces:
        if not (t.cy - 3.2 * h <= p.cy <= t.cy - 0.35 * h) or p.x0 >= stop_x:
            continue
        # A long name's tail may start past the tax id's end (its glyphs are wider than the id's).
        if p.x1 < t.x0 - 3 * h or p.x0 > t.x1 + NAME_GAP * h or p.x1 <= vx0:
            continue
        text = _name_text(p.text)
        if (len(_CJK.findall(text)) < 2 or re.search(r"\d{4}\s*年|[<>*/+]{2}", text) or _FORM_LABEL.search(text)
                or _COPY_LABEL.match(text) or reads_as_capital(text)):
            continue
        cands.append(p)
    if not cands:
        return []
    # The name starts over its tax id: the lowest piece that does, not a remark beside it (first run 28948: 项目名称：
    # 深圳市办公楼改造工程 in the 备注 box, a few pixels lower than the seller's name, was taken for it).
    first = max([p for p in cands if p.x0 < t.x1] or cands, key=lambda p: p.cy)
    row = [p for p in cands if abs(p.cy - first.cy) < 0.5 * h]
    row.sort(key=lambda p: p.x0)
    # A name split by the reader: pieces that follow each other on the row. A gap wider than a glyph is text the
    # detector did not see (a form rule or the seal over it); the name spans it and `unread_gap` flags it. Gaps are
    # measured in the name's glyphs: a tax id run into its label over two rows is twice their height (28948).
    # Its start is the row's leftmost piece: one line the detector split may come as pieces a few pixels apart in height
    # (first run 28734: 贵阳市海装 2.5 px above 吉权份有限公司, which was taken for the whole name).
    start = row[0]
    glyph = max(start.height, layout.char_height)
    # A line a rule strikes through may come as two boxes that overlap, the glyph at the seam in both
    # (济南市通展景商 + 商贸股份有限公司): the second follows the first when it starts and ends clearly further right.
    out = [start]
    for p in row:
        last = out[-1]
        follows = p.x0 > last.x1 - 1 or (p.x0 > last.x0 + 0.5 * glyph and p.x1 > last.x1 + 0.5 * glyph)
        gap = p.x0 - last.x1
        if follows and (gap < NAME_GAP * glyph
                        or (gap < SPLIT_NAME_GAP * glyph and is_fragment(name_of(out), places_of(_tax_id_of(t))))):
            out.append(p)
    return out


def name_of(pieces: list[Piece]) -> str:
    """The name the pieces of its row spell. Where two pieces overlap, the glyphs the overlap can hold that end the
    first and begin the second are one print read twice (the name check reads the whole box again: a name that
    really doubles a glyph there does not pass as read)."""
    name = ""
    prev: Piece | None = None
    for p in pieces:
        text = _name_text(p.text)
        if prev is not None and name and text and p.x0 < prev.x1:
            glyph = max((prev.x1 - prev.x0) / max(len(_name_text(prev.text)), 1), 1.0)
            fits = int((prev.x1 - p.x0) / glyph) + 1
            seam = next((k for k in range(min(fits, len(text), len(name)), 0, -1) if name.endswith(text[:k])), 0)
            text = text[seam:]
        name += text
        prev = p
    return name


# Pieces of one name further apart than this many glyph heights are two texts, not one name with a hidden part.
NAME_GAP = 6.0
# Unless what comes before the gap is no name but a piece of one (`names.is_fragment`: a place alone, its tax id's
# among them), and the gap at most this wide: a rule struck through the name's middle, and the detector found only its
# two ends (first run 26212: 苏州 and 公司 of 苏州市锦晶建筑工程有限公司, nine glyphs apart; the name was held as 苏州).
# The name spans the gap, its reading is flagged for it (`unread_gap`), and the span is read whole again
# (intake.reread).
SPLIT_NAME_GAP = 14.0
# Space between a name's pieces wider than this share of a glyph: a glyph may be there unread.
UNREAD_GAP = 0.8


def unread_gap(layout: Layout, box) -> bool:
    """Whether the pieces inside a value's box leave space for an unread glyph between them (the detector split the
    line around something it could not see as text: a red form rule across the glyphs, the seal)."""
    if box is None:
        return False
    x0, y0, x1, y1 = box
    inside = sorted((p for p in layout.pieces if x0 - 1 <= p.cx <= x1 + 1 and y0 - 1 <= p.cy <= y1 + 1), key=lambda p: p.x0)
    return any(b.x0 - a.x1 > UNREAD_GAP * max(a.height, b.height) for a, b in zip(inside, inside[1:]))


def _name_text(text: str) -> str:
    t = normal.name(text)
    t = _NAME_LABEL.sub("", t)
    return "" if _LABEL_ONLY.match(t) else t


def suspicious_name(text: str) -> bool:
    """A label-read name that swallowed a neighbour: digits of a tax id or account, cipher text, another label."""
    return bool(re.search(r"\d{6}|[<>*/+]{2}|¥|￥", text) or _FORM_LABEL.search(text))


def parties(layout: Layout, buyer_zone: _Zone, seller_zone: _Zone | None, width: float, make):
    """{field: FieldValue} for the parties found by their tax ids; sides without a tax id are left out."""
    out: dict[str, FieldValue] = {}

    def ids_in(zone: _Zone) -> list[tuple[Piece, str]]:
        # The party block ends at the 密码区 (备注) marks, as its names do: digits right of them are the cipher, the
        # 校验码 or a remark, never a party's tax id.
        stop = _right_stop(layout, zone, width)
        return sorted(((p, v) for p in layout.pieces if zone.y0 <= p.cy <= zone.y1 and p.x0 < stop
                       for v in [_tax_id_of(p)] if v), key=lambda pv: (pv[0].cy, pv[0].x0))

    top = ids_in(buyer_zone)
    sides: list[tuple[str, Piece, str, _Zone]] = []
    if top:
        first = top[0]
        # On either side: the two ids of one row may come in either order (their centres differ by a pixel).
        beside = [pv for pv in top[1:] if abs(pv[0].cy - first[0].cy) < first[0].height
                  and (pv[0].x0 > first[0].x1 + 0.1 * width or pv[0].x1 < first[0].x0 - 0.1 * width)]
        if beside:  # 数电: buyer and seller side by side
            left, right = sorted([first, beside[0]], key=lambda pv: pv[0].x0)
            sides += [("buyer", *left, buyer_zone), ("seller", *right, buyer_zone)]
        else:
            sides.append(("buyer", *first, buyer_zone))
    if seller_zone is not None and not any(s[0] == "seller" for s in sides):
        below = ids_in(seller_zone)
        if below:
            sides.append(("seller", *below[0], seller_zone))
    for side, p, value, zone in sides:
        stop = _right_stop(layout, zone, width)
        if len([s for s in sides if s[3] is zone]) == 2 and side == "buyer":
            other = next(s for s in sides if s[0] == "seller")
            stop = min(stop, other[1].x0 - 2 * p.height)
        out[f"{side}_tax_id"] = make(value, [p])
        name_pieces = _name_for(layout, p, stop)
        name = name_of(name_pieces)
        out[f"{side}_name"] = make(name, name_pieces if name else [])
        vx0, h = _value_x0(p), max(p.height, layout.char_height)
        if name and name_pieces[0].x0 - vx0 > UNREAD_GAP * h:
            # The name starts right of the value column, where its tax id starts: its head went unseen.
            fv = out[f"{side}_name"]
            fv.box = (vx0, *fv.box[1:])  # type: ignore[index]
            fv.flag(Reason.INCOMPLETE)
        if name and _under_misread_label(p):
            # The block's labels came out misread: its name, which nothing else checks, may have a glyph wrong too.
            out[f"{side}_name"].raw_confidence *= MISREAD_BLOCK_FACTOR
    return out


def _figure(text: str) -> tuple[str, bool] | None:
    """(amount, whether its point was restored) for a piece that is one printed figure, else None."""
    t = re.sub(r"(?<=\d)[:;：](?=\d{2}$)", ".", normal.halfwidth_ascii(text).replace(" ", ""))
    m = _MONEY_TOKEN.match(t)
    if m:
        return m.group(1), False
    m = _MONEY_NO_POINT.match(t)
    if m:
        digits = m.group(1)
        return f"{digits[:-2]}.{digits[-2:]}", True
    return None


def totals_by_figures(layout: Layout, words_cy: float, words_h: float, width: float, make, with_tax: str = ""):
    """The 合计 row without its label: the two ¥ figures on the nearest row above the words row.

    An impact printer's offset can set the 合计 figures down onto the words row, and the recognizer can drop a
    figure's point; such a pair is taken only when it closes amount + tax = the 价税合计 figure read."""
    from decimal import Decimal, InvalidOperation

    try:
        total = Decimal(normal.money(with_tax)) if with_tax else None
    except (InvalidOperation, ValueError):
        total = None
    cands = []
    for p in layout.pieces:
        if not (words_cy - 3.5 * words_h < p.cy < words_cy + 0.5 * words_h) or p.cx < 0.35 * width:
            continue
        fig = _figure(p.text)
        if fig:
            cands.append((p, *fig))
    if not cands:
        return None
    above = [c for c in cands if c[0].cy < words_cy - 0.5 * words_h]
    # The lowest row holding two figures (the 小写 figure may sit just above its own row); then, failing that, a
    # row down to the words row or with a point restored, when its figures close the sum.
    for pool, must_close in ((above, False), (cands, True)):
        for lowest in sorted(pool, key=lambda c: -c[0].cy):
            row = sorted((c for c in pool if abs(c[0].cy - lowest[0].cy) < 0.6 * lowest[0].height), key=lambda c: c[0].x0)
            if len(row) != 2:
                continue
            (pa, a, fixed_a), (pt, t, fixed_t) = row
            closes = total is not None and Decimal(normal.money(a)) + Decimal(normal.money(t)) == total
            if closes or not (must_close or fixed_a or fixed_t):
                return make(normal.money(a), [pa]), make(normal.money(t), [pt])
            if not must_close:
                break  # as before: the lowest row of two above the words row, or none
    return None


# --- the QR as a source ---------------------------------------------------------

QR_CONFIDENCE = 0.99


def fill_from_qr(inv: Invoice, page: Page) -> None:
    """Empty fields from the page's QR, once the QR agrees with at least one value OCR read (so it is this invoice's).
    An identifier read with a glyph lost (`incomplete`: a date's year read without its first digit) counts as empty:
    it is no evidence the QR is this invoice's, and the QR's error-corrected copy takes its place."""
    from intake.qr import parse_payload

    f = inv.fields
    for text in page.qr_payloads:
        qr = parse_payload(text)
        if qr is None or qr.kind != "tax":
            continue
        pairs = {"invoice_number": qr.number, "invoice_code": qr.code, "issue_date": qr.date,
                 "check_code": qr.check_code, qr.amount_field: qr.amount}
        read = {n for n in pairs if f[n].value and (n == qr.amount_field or Reason.INCOMPLETE not in f[n].reasons)}
        agree = [n for n, v in pairs.items() if v and n in read and _same(n, f[n].value, v)]
        clash = [n for n, v in pairs.items() if v and n in read and not _same(n, f[n].value, v)]
        if not agree or len(clash) >= len(agree):
            continue
        for name, value in pairs.items():
            if value and name not in read:
                f[name] = FieldValue(value=value if name != qr.amount_field else normal.money(value), source=Source.QR,
                                     raw_confidence=QR_CONFIDENCE, page=inv.page)
        if qr.invoice_type and f["invoice_type"].value in ("", InvoiceType.UNKNOWN):
            f["invoice_type"] = FieldValue(value=str(qr.invoice_type), source=Source.QR,
                                           raw_confidence=QR_CONFIDENCE, page=inv.page)
        if qr.invoice_type in (InvoiceType.DIGITAL_SPECIAL, InvoiceType.DIGITAL_NORMAL):
            for name in ("invoice_code", "check_code"):
                if not f[name].value:
                    f[name] = FieldValue(value="", source=Source.QR, page=inv.page, found=False)
        inv.qr_payload = text
        return


def _same(name: str, ours: str, theirs: str) -> bool:
    if name in ("total_amount", "amount_with_tax"):
        return normal.money(ours) == normal.money(theirs)
    return ours == theirs
