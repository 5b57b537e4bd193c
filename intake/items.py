"""The item table: columns from the header row, one item per row that carries figures, wrapped names and specs joined."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from intake import normal
from intake.invoice import FieldValue, Source
from intake.layout import Layout, Piece, bands, label, sub_piece, union

_SP = r"\s*"


# Glyphs an OCR engine commonly reads for another in these labels; the text layer never needs them. 税 as 视 or 说 on
# phone photos (first runs 14474, 14614: 纳说人识别号, 价视合计; the words label, intake.fields, now takes any glyph there).
_LOOKALIKES = {"码": "码玛马", "票": "票栗", "期": "期朝", "校": "校较饺", "号": "号导", "额": "额頦", "税": "税视说"}


def spaced(word: str) -> str:
    """A label regex that tolerates spaces between glyphs and OCR look-alike glyphs."""
    return _SP.join(f"[{_LOOKALIKES[ch]}]" if ch in _LOOKALIKES else re.escape(ch) for ch in word)


HEADERS = {
    "name": label(
        "(?:" + "|".join(spaced(w) for w in ("货物或应税劳务、服务名称", "货物或应税劳务名称", "项目名称", "商品名称"))
        + r"|货\s*物\s*[（(]?\s*劳\s*务\s*[)）]?\s*名\s*称)",
        "货项商",
    ),
    "spec": label(spaced("规格型号"), "规"),
    "unit": label(spaced("单位"), "单"),
    "quantity": label(spaced("数量"), "数"),
    "unit_price": label(spaced("单价"), "单"),
    "amount": label(spaced("金额"), "金"),
    "tax_rate": label(spaced("税率") + r"(?:\s*[/／]?\s*" + spaced("征收率") + ")?", "税"),
    "tax": label(spaced("税额"), "税"),
    "seq": label(spaced("序号"), "序"),
}
TEXT_COLUMNS = ("name", "spec", "unit")
NUMBER_COLUMNS = ("quantity", "unit_price", "amount", "tax_rate", "tax")

_NUMBER = re.compile(r"^[-−]?\d[\d,]*(?:\.\d+)?$")
_RATE = re.compile(r"^(?:\d+(?:\.\d+)?\s*[%％]|免税|不征税|零税率|出口零税)$")
_STARS = re.compile(r"^\*{2,}$")
_TOKEN = re.compile(r"\S+")


@dataclass
class Columns:
    """Header boxes by column name, and the row they sit on."""

    boxes: dict[str, tuple[float, float, float, float]]
    y0: float
    y1: float

    def center(self, name: str) -> float | None:
        b = self.boxes.get(name)
        return None if b is None else (b[0] + b[2]) / 2

    def boundary(self, left: str, right: str) -> float | None:
        a, b = self.center(left), self.center(right)
        if a is None or b is None:
            return None
        return (a + b) / 2


def find_columns(layout: Layout, width: float) -> Columns | None:
    """The item table's header row: anchored on 规格型号 (or the name header), then every column label on that row."""
    anchors = layout.find(HEADERS["spec"]) or layout.find(HEADERS["name"])
    if not anchors:
        return None
    anchor = min(anchors, key=lambda h: h.y0)
    h = anchor.height
    region = (-1.0, anchor.cy - 0.8 * h, width + 1, anchor.cy + 0.8 * h)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for name, lab in HEADERS.items():
        hits = layout.find(lab, region=region, max_gap=6.0)
        for hit in sorted(hits, key=lambda x: x.x0):
            box = hit.box
            if any(_overlap(box, other) for other in boxes.values()):
                continue  # "单价" must not reuse the glyphs of "单位"
            boxes[name] = box
            break
    if "amount" not in boxes:
        return None
    ys = [b[1] for b in boxes.values()] + [b[3] for b in boxes.values()]
    return Columns(boxes=boxes, y0=min(ys), y1=max(ys))


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1.0 and min(a[3], b[3]) - max(a[1], b[1]) > 1.0


@dataclass
class _Row:
    text: dict[str, list[Piece]] = field(default_factory=lambda: {k: [] for k in TEXT_COLUMNS})
    numbers: dict[str, Piece] = field(default_factory=dict)


def read_items(
    layout: Layout, columns: Columns, bottom: float, make: "FieldMaker"
) -> list[dict[str, FieldValue]]:
    """Items between the header row and `bottom` (the 合计 / 小计 row)."""
    top = columns.y1
    region_pieces = [p for p in layout.pieces if top + 0.5 < p.cy < bottom - 0.5 and p.text.strip()]
    text_right = columns.boundary("unit", "quantity") or columns.boundary("spec", "quantity")
    if text_right is None:
        first_number = min(
            (columns.boxes[k][0] for k in NUMBER_COLUMNS if k in columns.boxes), default=columns.boxes["amount"][0]
        )
        text_right = first_number - 2.0
    seq = columns.boxes.get("seq")
    unit = columns.boxes.get("unit")
    rows: list[_Row] = []
    pending: _Row | None = None
    for band in bands(region_pieces):
        texts: list[Piece] = []
        figures: list[Piece] = []
        for p in band:
            if seq is not None and p.cx < seq[2] + 0.5 * p.height:
                continue  # the goods list's 序号 column
            # A figure may stick out left of the quantity header; it is still right of the unit header.
            if p.x0 >= text_right or (unit is not None and p.cx > unit[2] and _is_figure(p.text)):
                figures.extend(_tokens(p))
            else:
                texts.append(p)
        numbers = _assign_numbers(figures, columns)
        if numbers:
            row = pending or _Row()
            pending = None
            row.numbers = numbers
            rows.append(row)
        elif rows:
            row = rows[-1]
        else:
            row = pending = pending or _Row()
        for p in texts:
            row.text[_text_column(p, columns)].append(p)
    return [_item(row, make) for row in rows]


def _is_figure(text: str) -> bool:
    t = _clean(text)
    return bool(_NUMBER.match(t) or _RATE.match(t) or _STARS.match(t))


# Figures that a reader ran together ("-8.8713%", "759.00免税", "13%3.47"): amounts print two decimals
# and rates end in % or are words, so the seam is unambiguous.
_RUN_TOGETHER = re.compile(
    r"^(?P<a>[-−]?\d[\d,]*\.\d{2})(?P<b>\d{1,2}(?:\.\d+)?%|免税|不征税)$"
    r"|^(?P<c>\d{1,2}(?:\.\d+)?%|免税|不征税)(?P<d>[-−]?\d[\d,]*\.\d{2}|\*{2,})$"
)


def _tokens(p: Piece) -> list[Piece]:
    text = normal.halfwidth_ascii(p.text).replace("¥", " ").replace("￥", " ")
    out = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        split = None if _is_figure(token) else _RUN_TOGETHER.match(token.replace(",", ""))
        if split is None or "," in token:
            out.append(sub_piece(p, m.start(), m.end()))
            continue
        cut = m.start() + split.end("a" if split.group("a") else "c")
        out.append(sub_piece(p, m.start(), cut))
        out.append(sub_piece(p, cut, m.end()))
    return out


def _assign_numbers(tokens: list[Piece], columns: Columns) -> dict[str, Piece]:
    """Figures of one row to columns by their order around the rate (robust to columns wider than their headers)."""
    tokens = [
        t for t in sorted(tokens, key=lambda t: t.x0)
        if _NUMBER.match(_clean(t.text)) or _RATE.match(_clean(t.text)) or _STARS.match(t.text)
    ]
    if not tokens:
        return {}
    rate_at = next((i for i, t in enumerate(tokens) if _RATE.match(_clean(t.text))), None)
    out: dict[str, Piece] = {}
    if rate_at is not None and rate_at >= 1:
        out["tax_rate"] = tokens[rate_at]
        if rate_at + 1 < len(tokens):
            out["tax"] = tokens[rate_at + 1]
        out["amount"] = tokens[rate_at - 1]
        before = tokens[: rate_at - 1]
        if len(before) >= 2:
            out["quantity"], out["unit_price"] = before[-2], before[-1]
        elif len(before) == 1:
            out[_nearer(before[0], columns, ("quantity", "unit_price"))] = before[0]
        return out
    # No rate printed (or not read): the nearest header column by right edge, numbers being right-aligned.
    if not any(_NUMBER.match(_clean(t.text)) and "." in t.text for t in tokens):
        return {}
    for t in tokens:
        name = _nearer(t, columns, NUMBER_COLUMNS)
        out.setdefault(name, t)
    return out if "amount" in out else {}


def _nearer(t: Piece, columns: Columns, names: tuple[str, ...]) -> str:
    best, best_d = names[0], float("inf")
    for name in names:
        box = columns.boxes.get(name)
        if box is None:
            continue
        d = min(abs(t.x1 - box[2]), abs(t.cx - (box[0] + box[2]) / 2))
        if d < best_d:
            best, best_d = name, d
    return best


def _clean(text: str) -> str:
    return normal.halfwidth_ascii(text).replace("¥", "").replace(",", "").strip()


def _text_column(p: Piece, columns: Columns) -> str:
    spec_at = columns.boundary("name", "spec")
    unit_at = columns.boundary("spec", "unit") or columns.boundary("name", "unit")
    if unit_at is not None and p.x0 >= unit_at:
        return "unit"
    if spec_at is not None and p.x0 >= spec_at:
        return "spec"
    return "name"


class FieldMaker:
    """Builds FieldValues with the page's source, page number and the pieces' confidence."""

    def __init__(self, source: str, page: int) -> None:
        self.source = source
        self.page = page

    def __call__(self, value: str, pieces: list[Piece]) -> FieldValue:
        if not value:
            return FieldValue(value="", source=self.source, page=self.page, found=False, box=union(pieces))
        conf = min((p.confidence for p in pieces), default=1.0)
        return FieldValue(value=value, source=self.source, raw_confidence=conf, box=union(pieces), page=self.page)


# On a scan, a glyph or two of the left margin's vertical print (税总函[20xx]xxx号 …) read into the row before an
# item name, which since 2016 starts with its tax category between asterisks (*信息技术服务*技术服务费).
_MARGIN_HEAD = re.compile(r"^[^*]{1,2}(?=\*[^*]{1,20}\*)")


def _item(row: _Row, make: FieldMaker) -> dict[str, FieldValue]:
    item: dict[str, FieldValue] = {}
    for name in TEXT_COLUMNS:
        pieces = row.text[name]
        joined = re.sub(r"\s+", "", "".join(p.text for p in pieces))
        if name == "name" and make.source == Source.OCR:
            joined = _MARGIN_HEAD.sub("", joined)
        item[name] = make(joined, pieces)
    for name in NUMBER_COLUMNS:
        p = row.numbers.get(name)
        if p is None:
            item[name] = make("", [])
            continue
        raw = _clean(p.text)
        if name in ("amount", "tax"):
            value = "0.00" if _STARS.match(p.text) else normal.money(raw)
        elif name == "tax_rate":
            value = normal.tax_rate(raw)
        else:
            value = raw.replace("−", "-")
        item[name] = make(value, [p])
    return item


def is_goods_list_reference(items: list[dict[str, FieldValue]]) -> bool:
    """The invoice page's single line "(详见销货清单)" that points at the goods-list pages."""
    return bool(items) and all("清单" in it["name"].value for it in items)
