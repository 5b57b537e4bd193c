"""Geometry over positioned text: rows, labels found across split runs, and the values printed beside them.

Works on any TextLine list (text layer or OCR): nothing here knows which reader produced the lines.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from intake.pages import TextLine

Box = tuple[float, float, float, float]


# A TextLine or a slice of one (x interpolated by character position), keeping the reader's confidence.
Piece = TextLine


def piece(line: TextLine) -> Piece:
    return line


def sub_piece(p: Piece, start: int, end: int) -> Piece:
    n = max(len(p.text), 1)
    w = p.x1 - p.x0
    return Piece(p.text[start:end], p.x0 + w * start / n, p.y0, p.x0 + w * end / n, p.y1, p.confidence)


def union(pieces: list[Piece]) -> Box | None:
    if not pieces:
        return None
    return (
        min(p.x0 for p in pieces),
        min(p.y0 for p in pieces),
        max(p.x1 for p in pieces),
        max(p.y1 for p in pieces),
    )


def same_row(a: Piece, b: Piece) -> bool:
    """Centres within 0.65 of the taller height: tolerant of value fonts set higher than their labels."""
    return abs(a.cy - b.cy) <= 0.65 * max(a.height, b.height)


@dataclass
class Hit:
    """A label found on the page: its pieces, and what follows it on the same row (the value candidates)."""

    label: list[Piece]
    tail: list[Piece]

    @property
    def box(self) -> Box:
        return union(self.label)  # type: ignore[return-value]

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def x1(self) -> float:
        return self.box[2]

    @property
    def y0(self) -> float:
        return self.box[1]

    @property
    def y1(self) -> float:
        return self.box[3]

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return max(p.height for p in self.label)


class Layout:
    """The pieces of one page, indexed by vertical centre for row queries."""

    def __init__(self, lines: list[TextLine]) -> None:
        self.pieces = sorted((piece(l) for l in lines if l.text.strip()), key=lambda p: p.cy)
        self._cys = [p.cy for p in self.pieces]
        heights = sorted(p.height for p in self.pieces)
        self.char_height = heights[len(heights) // 2] if heights else 10.0
        self._chains: dict[int, list[Piece]] = {}

    def row_of(self, ref: Piece, x_from: float | None = None, x_to: float | None = None) -> list[Piece]:
        """Pieces on ref's row (ref itself excluded), left to right, optionally within [x_from, x_to)."""
        reach = 0.65 * max(ref.height, 3 * self.char_height)
        lo = bisect.bisect_left(self._cys, ref.cy - reach)
        hi = bisect.bisect_right(self._cys, ref.cy + reach)
        out = []
        for p in self.pieces[lo:hi]:
            if p is ref or not same_row(ref, p):
                continue
            if x_from is not None and p.x1 <= x_from:
                continue
            if x_to is not None and p.x0 >= x_to:
                continue
            out.append(p)
        out.sort(key=lambda p: p.x0)
        return out

    def _chain(self, index: int) -> list[Piece]:
        """The piece and the pieces to its right on its row, stopping at a gap wider than a few characters."""
        cached = self._chains.get(index)
        if cached is not None:
            return cached
        start = self.pieces[index]
        chain = [start]
        for p in self.row_of(start, x_from=start.x0 + 0.5):
            if p.x0 < start.x0:
                continue
            chain.append(p)
        self._chains[index] = chain
        return chain

    def find(self, label: "Label", region: Box | None = None, max_gap: float = 6.0) -> list[Hit]:
        """Every place where `pattern` (anchored) matches text that starts a piece and runs on across its row.

        The row text is joined without separators so that labels split into single glyphs
        ("价 税 合 计", "校 验 码") or printed with wide letter-spacing still match.
        """
        hits: list[Hit] = []
        for i, start in enumerate(self.pieces):
            if region is not None and not _inside(start, region):
                continue
            starts = _label_starts(start.text, label.first)
            if not starts:
                continue
            chain = self._chain(i)
            texts, spans, pos = [], [], 0
            prev = None
            kept: list[Piece] = []
            for p in chain:
                if prev is not None and p.x0 - prev.x1 > max_gap * max(self.char_height, prev.height):
                    break
                texts.append(p.text)
                spans.append((pos, pos + len(p.text)))
                pos += len(p.text)
                kept.append(p)
                prev = p
            joined = "".join(texts)
            m = None
            for at in starts:
                m = label.pattern.match(joined, at)
                if m and m.end() > at:
                    break
                m = None
            if m is None:
                continue
            head: list[Piece] = []
            tail: list[Piece] = []
            for p, (a, b) in zip(kept, spans):
                lo, hi = max(a, m.start()), min(b, m.end())
                if lo < hi:
                    head.append(p if (lo, hi) == (a, b) else sub_piece(p, lo - a, hi - a))
                if b > m.end():
                    tail.append(p if a >= m.end() else sub_piece(p, m.end() - a, len(p.text)))
            # The rest of the row beyond the chain's gap limit still counts as the value side.
            last = kept[-1]
            for p in chain[len(kept):]:
                if p.x0 >= last.x0:
                    tail.append(p)
            hits.append(Hit(label=head, tail=tail))
        return hits

    def within(self, region: Box) -> list[Piece]:
        return [p for p in self.pieces if _inside(p, region)]


# What may stand right before a label inside a run (OCR merges "购买方信息 名称：…" into one line):
# anything but an ideograph, or the end of a side marker or of the title.
_LABEL_AFTER = set("方息购销买售）)：:;；,，|")


def _label_starts(text: str, first: str) -> list[int]:
    """Offsets in a run where a label may begin: the start, or after a separator (not inside a word like 酒店名称)."""
    out = []
    for i, ch in enumerate(text):
        if ch not in first:
            continue
        if i == 0 or text[i - 1] in _LABEL_AFTER or not _is_ideograph(text[i - 1]):
            out.append(i)
    return out


def _is_ideograph(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


@dataclass(frozen=True)
class Label:
    """A label pattern (matched at the start of a piece) and the characters it can start with (a cheap pre-filter)."""

    pattern: re.Pattern[str]
    first: str


def label(regex: str, first: str) -> Label:
    return Label(re.compile(regex), first)


def _inside(p: Piece, region: Box) -> bool:
    x0, y0, x1, y1 = region
    return x0 <= p.cx <= x1 and y0 <= p.cy <= y1


def value_run(tail: list[Piece], max_gap_chars: float = 3.0, stop_x: float | None = None) -> list[Piece]:
    """The first run of value pieces after a label: pieces until a gap wider than `max_gap_chars` heights."""
    run: list[Piece] = []
    for p in tail:
        if not p.text.strip():
            continue
        if stop_x is not None and p.x0 >= stop_x:
            break
        if run and p.x0 - run[-1].x1 > max_gap_chars * max(run[-1].height, p.height):
            break
        run.append(p)
    return run


def bands(pieces: list[Piece]) -> list[list[Piece]]:
    """Pieces grouped into rows (each row left to right), rows top to bottom."""
    rows: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: p.cy):
        for row in reversed(rows[-3:]):
            if same_row(row[0], p):
                row.append(p)
                break
        else:
            rows.append([p])
    for row in rows:
        row.sort(key=lambda p: p.x0)
    return rows
