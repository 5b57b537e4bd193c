"""The scan path for IMAGE pages: cleanup, text detection, then recognition of every box except the 密码区 cipher block
and the parties' address and bank-account lines (no field takes them)."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import TYPE_CHECKING

import numpy as np

from intake.pages import Page, PageKind, TextLine, overlap, quad_box, shared_area
from intake.settings import Settings

if TYPE_CHECKING:
    from intake.cleanup import Views
    from intake.ocr import PaddleEngine

log = logging.getLogger(__name__)

_CIPHER = re.compile(r"[0-9<>+\-*/]")


def text_line(q: np.ndarray, text: str, score: float) -> TextLine:
    """A recognised box as a line of the page: its text over the quad's bounding box."""
    return TextLine(text, *quad_box(q), confidence=score)


def cipher_candidates(quads: list[np.ndarray], width: int, height: int) -> list[int]:
    """Indices of the boxes that look like the 密码区: 3–5 stacked lines of one width, flush left and right, in the upper right.

    The cipher lines are fixed-width (monospaced, same character count), so their boxes share x0 and x1
    almost exactly, which no other block of the form does.
    """
    boxes = [quad_box(q) for q in quads]
    tol = 0.02 * width
    eligible = [i for i, (x0, y0, x1, y1) in enumerate(boxes)
                if x1 - x0 > 0.2 * width and (x0 + x1) / 2 > 0.5 * width and (y0 + y1) / 2 < 0.5 * height
                and (x1 - x0) > 6 * (y1 - y0)]
    best: list[int] = []
    for i in eligible:
        group = [j for j in eligible
                 if abs(boxes[j][0] - boxes[i][0]) < tol and abs(boxes[j][2] - boxes[i][2]) < tol]
        if len(group) > len(best):
            best = group
    if not 3 <= len(best) <= 5:
        return []
    ys = sorted((boxes[j][1] + boxes[j][3]) / 2 for j in best)
    line_h = np.median([boxes[j][3] - boxes[j][1] for j in best])
    if max(np.diff(ys)) > 2.5 * line_h:  # not one block
        return []
    return sorted(best, key=lambda j: boxes[j][1])


def is_cipher_text(text: str) -> bool:
    text = text.replace(" ", "")
    return len(text) >= 15 and len(_CIPHER.findall(text)) >= 0.85 * len(text)


def needed(quads: list[np.ndarray], width: int, height: int) -> list[int]:
    """Indices of the boxes worth recognising. Not vertical runs (the margin's printer imprint, the copy's
    联 name, the stacked 购买方/销售方 block labels: the page is upright, so no field runs vertically;
    a lone digit "1" is tall and narrow too, hence "twice as tall, and taller than two characters"),
    not specks (thinner than any text line: dust, rule fragments, a seal's pale rim), and not the glyphs of the
    margin's imprint (`imprint`)."""
    keep = []
    for i, q in enumerate(quads):
        x0, y0, x1, y1 = quad_box(q)
        w, h = x1 - x0, y1 - y0
        if h > 2 * w and h > 0.045 * height:
            continue
        if h < 0.006 * height or (w < 0.006 * width and h < 0.01 * height):
            continue
        keep.append(i)
    left = imprint([quad_box(quads[i]) for i in keep])
    return [i for k, i in enumerate(keep) if k not in left]


# The printer's imprint down the left margin (税总函〔2017〕622号 山东南方印务有限公司), one glyph under another, where
# detection cut it into boxes of a glyph or two: 4 to 11 boxes a page on the held-out scans (5.6 of the 91 a page
# recognised, each a recogniser call of some 6 ms at the 96-px floor), and no field takes them. A box is such a glyph
# when it is at most this many of its heights wide, in a column of at least IMPRINT_MIN_GLYPHS of them.
IMPRINT_GLYPH_WIDTH = 2.5
IMPRINT_MIN_GLYPHS = 3


def imprint(boxes: list[tuple[float, float, float, float]]) -> set[int]:
    """Indices of the boxes that are the left margin's imprint: the leftmost small box's column (boxes of at most
    IMPRINT_GLYPH_WIDTH heights centred within 0.6 of a glyph's height of it), when it holds IMPRINT_MIN_GLYPHS and
    every other box on the page starts right of it; none otherwise (something else stands as far left: a
    neighbouring paper in a photo, a value printed off into the margin)."""
    small = [i for i, (x0, y0, x1, y1) in enumerate(boxes) if x1 - x0 <= IMPRINT_GLYPH_WIDTH * (y1 - y0)]
    if len(small) < IMPRINT_MIN_GLYPHS:
        return set()
    glyph = float(np.median([boxes[i][3] - boxes[i][1] for i in small]))
    centre = {i: (boxes[i][0] + boxes[i][2]) / 2 for i in small}
    first = min(centre.values())
    column = {i for i in small if centre[i] - first <= 0.6 * glyph}
    if len(column) < IMPRINT_MIN_GLYPHS:
        return set()
    edge = max(boxes[i][2] for i in column)
    if any(b[0] < edge for j, b in enumerate(boxes) if j not in column):
        return set()
    return column


# A box is a value (read from the printer-ink-only view) when at most this share of its ink is the form's
# colour; labels, rules and the title are read where the form ink is kept.
FORM_INK_SHARE = 0.5
# Printer ink outside every detected box detected again on a band around it (off: the page's detection alone).
RECOVER_UNCOVERED = os.environ.get("INTAKE_RECOVER_UNCOVERED", "1") != "0"
# Values read from the printer-ink view (off: every box from the seal-whitened detection view, as before).
SEPARATE_INK = os.environ.get("INTAKE_SEPARATE_INK", "1") != "0"


def value_boxes(views: "Views", quads: list[np.ndarray]) -> list[bool]:
    """Per box: whether its ink is mostly the printer's (a value), by the form-ink share of its dark pixels on the page view."""
    import cv2

    from intake.cleanup import form_ink_mask

    form = form_ink_mask(views.page) if views.form is None else views.form
    ink = cv2.cvtColor(views.page, cv2.COLOR_BGR2GRAY) < 170
    out = []
    for q in quads:
        x0, y0, x1, y1 = (int(round(v)) for v in quad_box(q))
        x0, y0 = max(0, x0), max(0, y0)
        dark = int(ink[y0:y1, x0:x1].sum())
        warm = int((form[y0:y1, x0:x1] & ink[y0:y1, x0:x1]).sum())
        out.append(dark > 0 and warm <= FORM_INK_SHARE * dark)
    return out


def form_mark(text: str) -> bool:
    """A read of form ink that is no label: the form prints no lone digits or symbols in its own ink, so such a
    read is a mark (the ⊗ before the 大写 read as "8", a rule's corner)."""
    t = text.strip()
    return len(t) <= 2 and not any("\u4e00" <= ch <= "\u9fff" for ch in t)


# A figure read up to its decimal point or one digit past it ("￥798.", "￥4896.8"): the printed ¥ figures always carry
# two decimals, so the detector stopped short of the last digits. A figure printed into the margin's vertical
# copy name (第二联：抵扣联 购买方…) is split there, its cents going into the glyph's box ("YO购") or lost.
# Only a ¥ figure (a quantity or a price may have one decimal) or a figure ending in its point.
_CUT_FIGURE = re.compile(r"^(?:[¥￥Y]\s*-?\d[\d,]*\.\d?|-?\d[\d,]*\.)$")
_WHOLE_FIGURE = re.compile(r"^[¥￥Y]?\s*-?\d[\d,]*\.\d{2}")
# How far the box is widened to the right, in line heights, tried in turn until the figure reads whole.
FIGURE_WIDENING = (0.5, 1.0, 1.5, 2.0)


def _figure_digits(text: str) -> str:
    return re.sub(r"[^\d.]", "", text)


def widened(q: np.ndarray, by: float) -> np.ndarray:
    """The quad lengthened to the right by `by` times its height, along its own slant."""
    out = q.astype(np.float32).copy()
    h = float(np.linalg.norm(q[3] - q[0]))
    for left, right in ((0, 1), (3, 2)):
        d = q[right] - q[left]
        n = float(np.linalg.norm(d)) or 1.0
        out[right] = q[right] + d / n * by * h
    return out


def complete_figures(engine: "PaddleEngine", images: list[np.ndarray], quads: list[np.ndarray],
                     texts: list[tuple[str, float]]) -> tuple[list[np.ndarray], list[tuple[str, float]]]:
    """Figures cut short of their cents, read again from a box widened to the right until they read whole.

    The wider read counts only when it starts with what was read (the widening adds digits, it does not change
    them); the box then ends where the figure does (the glyph read past it is dropped)."""
    from intake.ocr import crop_quad

    quads, texts = list(quads), list(texts)
    for i, (text, _score) in enumerate(texts):
        if not _CUT_FIGURE.match(text.strip()):
            continue
        for by in FIGURE_WIDENING:
            q = widened(quads[i], by)
            (again, score), = engine.recognize_crops([crop_quad(images[i], q)])
            again = again.strip()
            m = _WHOLE_FIGURE.match(again)
            if m and _figure_digits(m.group(0)).startswith(_figure_digits(text)):
                share = len(m.group(0)) / max(len(again), 1)
                q[1] = q[0] + (q[1] - q[0]) * share
                q[2] = q[3] + (q[2] - q[3]) * share
                quads[i], texts[i] = q, (m.group(0), score)
                break
    return quads, texts


# Printer ink no detected box covers is detected again on a band around it: the page-wide detection can merge two
# close rows into one region whose mean score falls under the detector's box threshold and drop both (a 纳税人识别号
# row set tight under its name; the 价税合计 row's words and figure). Ink: darker than this on the printer-ink view.
UNCOVERED_INK = 150
# A blob worth a look: taller than this share of the page (text, not a speck or a hairline) and wider than twice its height.
UNCOVERED_MIN_HEIGHT = 0.012
UNCOVERED_MIN_AREA = 150


def uncovered_ink(content: np.ndarray, quads: list[np.ndarray]) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the line-shaped blobs of printer ink outside every detected box."""
    import cv2

    height = content.shape[0]
    ink = (cv2.cvtColor(content, cv2.COLOR_BGR2GRAY) < UNCOVERED_INK).astype(np.uint8)
    for q in quads:
        x0, y0, x1, y1 = (int(round(v)) for v in quad_box(q))
        ink[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = 0
    # Glyphs of one line joined into one blob.
    blobs = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 5)))
    _n, _labels, stats, _c = cv2.connectedComponentsWithStats(blobs)
    return joined_on_rows([(int(x), int(y), int(w), int(h)) for x, y, w, h, area in stats[1:]
                           if area > UNCOVERED_MIN_AREA and h > UNCOVERED_MIN_HEIGHT * height and w > 2 * h])


# Blobs of one row this close (in their height) are one line's words: the 校验码's four groups, spaced a glyph apart.
WORD_GAP = 1.0


def joined_on_rows(blobs: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) blobs with the ones that follow each other on a row, at most WORD_GAP of their height apart and
    overlapping down the page by half the shorter one's height, taken as one. A line detection missed whole comes as
    its words; detected again apart, each band found the whole line or a part of it, and the line was kept for the
    first word alone (first run 26709: 87488 of the 校验码 87488 27086 50409 23283, held as no code)."""
    out: list[list[int]] = []
    for x, y, w, h in sorted(blobs):
        for b in out:
            bx, by, bw, bh = b
            shared = min(by + bh, y + h) - max(by, y)
            if 0 <= x - (bx + bw) <= WORD_GAP * max(bh, h) and shared >= 0.5 * min(bh, h):
                b[:] = [bx, min(by, y), x + w - bx, max(by + bh, y + h) - min(by, y)]
                break
        else:
            out.append([x, y, w, h])
    return [(x, y, w, h) for x, y, w, h in out]


# Faint print in a box that detection left empty: a phone photo's remark in small print reads some 190 grey on paper
# of ~248, lighter than UNCOVERED_INK. Ink is darker than the box's own paper (its median grey) by FAINT_DEPTH; a line
# of it is a blob of glyphs joined across their gaps, 0.3-1.3 of the page's line height tall, three times as wide (a
# few glyphs: one glyph of the margin's copy name against a rule is none, seed 10254), and inked over FAINT_FILL of
# its box (a thin curve's box, the seal's outline, is mostly empty).
FAINT_DEPTH = 40
FAINT_FILL = 0.15
# A blob whose ink lies mostly (this share) against clipped white is the seal's lettering left at the rim of the seal's
# area: in the printer-ink view the red channel stands for the page there, and the seal's pale red clips to white.
FAINT_SEAL_RIM = 0.6
# A blob the crop's left edge cuts runs on beyond it: half as wide again as high will do there (first run 26379, an
# image PDF: 市场煤 set against the label column's rule, its 市 cut by the box's edge, a blob 2.4 times as wide as high,
# accepted as none printed). One glyph, about as wide as high, still is none.
FAINT_CUT_SHAPE = 1.5


def faint_print(grey: np.ndarray, line_height: float, covered: list[tuple[float, float, float, float]]
                ) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of the lines of faint print in `grey` (a crop of the printer-ink view) that no box of
    `covered` (the page's lines, in the crop's pixels) takes in over 0.3 of, form rules left out (runs of ink longer
    than two line heights across or one down) and blobs the crop's top or bottom edge cuts (one the left edge cuts
    need be only FAINT_CUT_SHAPE times as wide as high)."""
    import cv2

    h = max(int(line_height), 6)
    ink = (grey < float(np.median(grey)) - FAINT_DEPTH).astype(np.uint8)
    rules = (cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * h, 1)))
             | cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, h))))
    ink &= 1 - rules
    clipped = cv2.dilate((grey >= 254).astype(np.uint8), np.ones((5, 5), np.uint8))
    glyph_gap = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, h // 2), max(1, h // 6)))
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, glyph_gap)
    _n, _labels, stats, _c = cv2.connectedComponentsWithStats(joined)
    found = []
    for x, y, w, bh, _area in stats[1:]:
        box = (int(x), int(y), int(x + w), int(y + bh))
        shape = FAINT_CUT_SHAPE if x == 0 else 3
        if not (0.3 * line_height <= bh <= 1.3 * line_height and w >= shape * bh) or y <= 0 or y + bh >= grey.shape[0]:
            continue
        if any(overlap(box, c) >= 0.3 for c in covered):
            continue
        px = ink[y:y + bh, x:x + w]
        if px.mean() < FAINT_FILL or (px & clipped[y:y + bh, x:x + w]).sum() > FAINT_SEAL_RIM * px.sum():
            continue
        found.append(box)
    return found


def recover_uncovered(engine: "PaddleEngine", image: np.ndarray, content: np.ndarray,
                      quads: list[np.ndarray]) -> tuple[list[np.ndarray], list[tuple[float, float, float, float]]]:
    """Boxes for printer ink the page's detection left uncovered, found by detecting again on a band around each blob,
    in both views, the one whose boxes span more of the blob kept: the printer-ink view finds a name printed onto a
    form rule, which keeps the rule across its glyphs in the detection view, where the band fails as the page did
    (generated seed 8024); the detection view finds a faint phone-photo line whole where the ink view thinned it to
    a part (seed 5030's machine number). Returns the boxes found and the blobs none was found for (x0, y0, x1, y1)."""
    height, width = content.shape[:2]
    found: list[np.ndarray] = []
    unread: list[tuple[float, float, float, float]] = []
    boxes = [quad_box(q) for q in quads]
    for bx, by, bw, bh in uncovered_ink(content, quads):
        x0, x1 = max(0, bx - 4 * bh), min(width, bx + bw + 4 * bh)
        y0, y1 = max(0, by - 2 * bh), min(height, by + 3 * bh)
        best: list[np.ndarray] = []
        for view in (content, image):
            new = []
            for q in engine.detect(view[y0:y1, x0:x1]):
                q = q + np.float32([x0, y0])
                b = quad_box(q)
                cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                # Only the blob's own line, and nothing the page's detection already has.
                if bx <= cx <= bx + bw and by - bh <= cy <= by + 2 * bh and not any(overlap(b, o) > 0.3 for o in boxes):
                    new.append(q)
            if _width_covered(new) > _width_covered(best):
                best = new
        found += best
        boxes += [quad_box(q) for q in best]
        if not best:
            unread.append((float(bx), float(by), float(bx + bw), float(by + bh)))
    return found, unread


def _width_covered(quads: list[np.ndarray]) -> float:
    return sum(float(q[:, 0].max() - q[:, 0].min()) for q in quads)


# A party's address (地址、电话) and bank account (开户行及账号) are no field of the contract, and their two long lines
# are about a sixth of a page's recognised width. Boxes at least this wide (in glyph heights) are read after the
# rest; those that stand in a party's value column below its tax id, down to the last 地址 / 开户 label under it,
# are left unread (at most two per party: the name stands above the tax id whatever the print offset).
UNWANTED_MIN_GLYPHS = 10.0
_UNWANTED_LABEL = re.compile(r"地址|电话|开户|账号")
_TAX_ID_TEXT = re.compile(r"[0-9A-Z]{15,20}")


def read_needed(engine: "PaddleEngine", images: list[np.ndarray],
                quads: list[np.ndarray]) -> tuple[list[np.ndarray], list[tuple[str, float]], list[int]]:
    """(quads, their texts, their indices among the given ones) for every box but the parties' address and
    bank-account lines: the wide boxes wait until the rest are read; then those `unwanted` finds are left unread."""
    from intake.ocr import crop_quad

    boxes = [quad_box(q) for q in quads]
    wide = {i for i, (x0, y0, x1, y1) in enumerate(boxes) if x1 - x0 >= UNWANTED_MIN_GLYPHS * (y1 - y0)}
    first = [i for i in range(len(quads)) if i not in wide]
    texts: dict[int, tuple[str, float]] = dict(zip(first, engine.recognize_crops([crop_quad(images[i], quads[i]) for i in first])))
    skip = unwanted(boxes, texts, wide)
    later = sorted(wide - skip)
    texts.update(zip(later, engine.recognize_crops([crop_quad(images[i], quads[i]) for i in later])))
    kept = sorted(texts)
    return [quads[i] for i in kept], [texts[i] for i in kept], kept


def unwanted(boxes: list[tuple[float, float, float, float]], texts: dict[int, tuple[str, float]], wide: set[int]) -> set[int]:
    """The wide boxes that are a party's address or bank-account line: below a box read as a tax id, starting where
    it starts (the party's value column), and no lower than a row under the lowest 地址 / 开户 label that stands left
    of that column within three rows under the tax id; the first two such, top down. None without such a label."""
    out: set[int] = set()
    for t, (text, _score) in texts.items():
        if not _TAX_ID_TEXT.search(text.upper()):  # spaced digit groups (a 校验码) are no tax id
            continue
        tx0, ty0, tx1, ty1 = boxes[t]
        h = ty1 - ty0
        cy = (ty0 + ty1) / 2
        labels = [(boxes[i][1] + boxes[i][3]) / 2 for i, (lt, _s) in texts.items()
                  if _UNWANTED_LABEL.search(lt) and boxes[i][2] <= tx0 + h and cy - h < (boxes[i][1] + boxes[i][3]) / 2 < cy + 6 * h]
        if not labels:
            continue
        below = sorted((boxes[i][1], i) for i in wide
                       if abs(boxes[i][0] - tx0) <= 2 * h and cy + 0.5 * h < (boxes[i][1] + boxes[i][3]) / 2 < max(labels) + 2 * h)
        out.update(i for _y, i in below[:2])
    return out


def read_page(image: np.ndarray, engine: "PaddleEngine", timings: dict[str, float],
              views: "Views | None" = None) -> tuple[list[TextLine], list[tuple[float, float, float, float]]]:
    """OCR lines of one cleaned image, and the printer ink no detection found (with `views`: `recover_uncovered`);
    vertical and speck boxes are not read, the 密码区 costs one recognised line (to confirm it), not four, and the
    parties' address and bank-account lines none (`read_needed`).

    With `views`, boxes are found on `image` (= views.detect) and each read from the content view when it is a
    value, else from the detection view (form labels intact, rules and seal gone)."""
    from intake.ocr import crop_quad

    t = time.perf_counter()
    quads = engine.detect(image)
    unread: list[tuple[float, float, float, float]] = []
    if views is not None and RECOVER_UNCOVERED:
        recovered, unread = recover_uncovered(engine, image, views.content, quads)
        quads = list(quads) + recovered
    timings["detection"] = timings.get("detection", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    height, width = image.shape[:2]
    quads = [quads[i] for i in needed(quads, width, height)]
    skip: set[int] = set()
    cipher = cipher_candidates(quads, width, height)
    if cipher:
        (text, _score), = engine.recognize_crops([crop_quad(image, quads[cipher[0]])])
        if is_cipher_text(text):
            skip = set(cipher)
    quads = [q for i, q in enumerate(quads) if i not in skip]
    if views is None:
        # engine.recognize(image, quads), with cut figures completed.
        quads, texts, _kept = read_needed(engine, [image] * len(quads), quads)
        quads, texts = complete_figures(engine, [image] * len(quads), quads, texts)
        lines = [text_line(q, text, score) for q, (text, score) in zip(quads, texts) if text.strip()]
    else:
        values = value_boxes(views, quads)
        # Values from the printer-ink view; labels from the detection view (rules gone, the title legible under the seal).
        images = [views.content if v else views.detect for v in values]
        quads, texts, kept = read_needed(engine, images, quads)
        images, values = [images[i] for i in kept], [values[i] for i in kept]
        quads, texts = complete_figures(engine, images, quads, texts)
        lines = [text_line(q, text, score)
                 for q, v, (text, score) in zip(quads, values, texts) if text.strip() and (v or not form_mark(text))]
    timings["recognition"] = timings.get("recognition", 0.0) + time.perf_counter() - t
    return lines, unread


def warm_up(settings: Settings) -> None:
    """Load the OCR models now (a worker process calls this once when it starts), not on its first page."""
    from intake.ocr import get_engine

    get_engine(settings)


def read_scanned_pages(pages: list[Page], settings: Settings, timings: dict[str, float]) -> None:
    """Cleanup and OCR for each IMAGE page, in place: page.lines (boxes in pixels of page.processed_image)."""
    from intake.cleanup import clean_views
    from intake.ocr import get_engine

    t = time.perf_counter()
    engine = get_engine(settings)
    timings["ocr_load"] = timings.get("ocr_load", 0.0) + time.perf_counter() - t
    for page in pages:
        if page.kind != PageKind.IMAGE or page.image is None:
            continue
        t = time.perf_counter()
        views = clean_views(page, settings, engine, content=SEPARATE_INK)
        image = views.detect
        timings["cleanup"] = timings.get("cleanup", 0.0) + time.perf_counter() - t
        page.lines, page.unread_ink = read_page(image, engine, timings, views if views.separated else None)
        # The second look (intake.reread) crops from here: the page as printed, not the views the first read saw,
        # so that its agreement is some evidence (reading the content view twice repeats the first read's errors).
        page.processed_image = views.page if views.separated else image
        page.content_image = views.content if views.separated else image
        # Boxes refer to the processed image, so the page's size does too.
        page.height, page.width = float(image.shape[0]), float(image.shape[1])
