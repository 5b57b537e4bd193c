"""Second look at uncertain OCR key values: their own lines re-recognised from the processed image under other preparations.

The first reading of a scan is one look through one crop. For the key fields that scoring
could not accept (and for the party names, which have no other check), the lines under the
field's box are cropped again from `page.processed_image` in two other ways — a looser crop
scaled up, and a seal-suppressed grey taken from the red channel (red ink turns pale, black
and blue print stays dark) — and recognised in one batch by the same engine. The page is
then read again with each variant's text in place of those lines, by the same extraction
code, so a value means the same thing in every reading.

- every variant gives the same value: support fact `reread_agrees` (its miss rate, the chance
  a wrong value is read the same way again, is calibrated in `intake.scoring`);
- a variant gives another value: the first reading's score is halved (it stays in review);
- a field that failed a check (checksum, format, arithmetic, words) takes the variants'
  common value only when that value then passes its checks with a confirmation beyond its
  shape (checksum, sum, words, QR, items) — a guess that happens to look right is not enough.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from intake import normal
from intake.fields import read_page
from intake.invoice import DIGITAL_TYPES, KEY_FIELDS, MONEY_FIELDS, FieldValue, Invoice, Reason, Source, Status
from intake.pages import Page, PageKind, TextLine, overlap
from intake.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from intake.layout import Layout

log = logging.getLogger(__name__)

FACT = "reread_agrees"
# Fields read again from other crops: the key fields but invoice_type (it comes from the title and the code, not
# from one box), and the drawer and the machine number, no key fields but the other fields a scan's reading alone may
# accept (nothing checks them: no checksum, not in the QR).
FIELDS = tuple(n for n in KEY_FIELDS if n != "invoice_type") + ("drawer", "machine_number")
# Names are re-read even when accepted: nothing else checks them, and a dropped glyph can score 0.99 (seed 8709: the
# seal's removal cut 超 of the drawer 何红超 into 起, read at 0.9989). So is the machine number (seed 9009: printed on
# the table's red top rule, its first 8 read as 0 at 0.9916 and accepted; the seal-suppressed crop, where the rule
# turns pale, reads the 8).
ALWAYS = frozenset({"buyer_name", "seller_name", "drawer", "machine_number"})
# Re-read to be doubted, never confirmed: no check of the machine number's own measures what a second reading's
# agreement is worth. A variant that reads another number halves its score; one that reads none (its crop took in the
# label or the rule, and no 12 digits are left) says nothing (seeds 8500-8579: taken as doubt, it sent 5 right
# numbers to review and caught no wrong one).
DOUBT_ONLY = frozenset({"machine_number"})
REPLACEABLE_REASONS = frozenset({Reason.CHECKSUM_FAILED, Reason.FORMAT_INVALID, Reason.SUM_MISMATCH,
                                 Reason.WORDS_FIGURES_MISMATCH})
CONFIRMING = frozenset({"checksum_ok", "sum_ok", "words_agree", "qr_agrees", "items_agree"})
DISAGREE_FACTOR = 0.5
# Values of a fixed form (digits, a date) that a variant can fail to find at all: its crop took in the label, or a
# glyph lost left no run of the form (the 校验码's 20 digits read as 18). Such a variant says nothing about the value
# the first reading found; the variants that found one judge it (first run 15440-15759: two issue dates right at
# 0.98-0.99, one variant reading no date and the other the same, were halved to review; a third had neither find one).
FIXED_FORM = frozenset({"invoice_code", "invoice_number", "issue_date", "check_code", "buyer_tax_id", "seller_tax_id"})


def second_look(invoices: list[Invoice], pages: list[Page], settings: Settings) -> int:
    """For invoices read from scans (after validate and score): totals repaired from their confirmations, uncertain
    key values re-read; then validated and scored again. Returns how many crops were recognised."""
    from intake.scoring import score
    from intake.validate import validate

    by_number = {p.number: p for p in pages}
    work = []
    scanned = [(inv, by_number[inv.page]) for inv in invoices
               if inv.page in by_number and by_number[inv.page].kind == PageKind.IMAGE]
    crops = mend_gaps([(inv, page) for inv, page in scanned if page.processed_image is not None], settings)
    crops += read_empty_remarks(scanned, settings)
    crops += mend_cut_drawers(scanned, settings)
    crops += look_for_machine_number(scanned, settings)
    crops += look_for_issue_date(scanned, settings)
    crops += look_for_check_code(scanned, settings)
    crops += look_for_party_names(scanned, settings)
    for inv, page in scanned:
        if repair_totals(inv) + identifiers_from_qr(inv):
            validate(inv)
            score(inv, settings)
        if page.processed_image is None:
            continue
        targets = {n: _lines_under(page, inv.fields[n].box)  # type: ignore[arg-type]  # _wanted: it has one
                   for n in FIELDS if _wanted(n, inv.fields[n])}
        targets = {n: idx for n, idx in targets.items() if idx}
        if targets:
            work.append((inv, page, targets))
    crops += _look_again(work, settings) if work else 0
    for inv, _page in scanned:
        _repair(inv)  # what the second reading established may compute a total proposed before it
        propose_by_rate(inv)
        validate(inv)
        score(inv, settings)
    return crops


def mend_gaps(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """Values flagged `incomplete` (pieces with unread space between them) read again as one crop over the whole
    span (from where the value should start, for a name whose head went unseen). The span's reading replaces the
    pieces in the page's lines, and the value is read from the page again, when it keeps every glyph the pieces had,
    in order (it adds what the detector missed, or finds the space empty, and loses nothing it saw); otherwise the
    value stays as it was, flagged. Returns how many crops were recognised."""
    from intake.ocr import get_engine

    jobs = []
    for inv, page in scanned:
        for name, fv in inv.fields.items():
            if Reason.INCOMPLETE in fv.reasons and fv.source == Source.OCR and fv.box is not None:
                parts = [page.lines[i] for i in _lines_under(page, fv.box)]
                if parts:
                    jobs.append((inv, page, name, parts))
    if not jobs:
        return 0
    spans = [_span(inv.fields[name].box, parts) for inv, page, name, parts in jobs]
    reads = get_engine(settings).recognize_crops([_span_crop(page.processed_image, span)
                                                  for (_inv, page, _name, _parts), span in zip(jobs, spans)])
    for (inv, page, name, parts), span, (text, conf) in zip(jobs, spans, reads):
        old = inv.fields[name]
        rest = [line for line in page.lines if not any(line is p for p in parts)]
        if len(rest) + len(parts) != len(page.lines):
            continue  # another value's span took these lines in already
        lines = rest + [dataclasses.replace(span, text=text, confidence=conf)]
        fresh = read_page(dataclasses.replace(page, lines=lines)).invoice
        new = fresh.fields[name] if fresh is not None else None
        # A figure whose cents went unread was filled out with zeros: those were never seen (first run 24807, an image
        # PDF: ¥172.4 and a glyph of the side text, taken as 172.40; the span read ¥172.42).
        whole, _, cents = old.value.partition(".")
        seen = whole + ("." + cents.rstrip("0") if cents.rstrip("0") else "") if name in MONEY_FIELDS else old.value
        if new is None or Reason.INCOMPLETE in new.reasons or not _keeps(seen, new.value):
            log.info("%s: the span read as %r does not keep %r; left for review", name, text, old.value)
            continue
        page.lines = lines
        inv.fields[name] = new
        log.info("%s: %s -> %s (the span read whole)", name, old.value, new.value)
    return len(jobs)


def _keeps(old: str, new: str) -> bool:
    """Every character of `old` in `new`, in order."""
    rest = iter(new)
    return all(ch in rest for ch in old)


# The empty 备注 box is detected again in grey at twice the size: a remark's small faint blue print beside the seal's
# lettering is found neither in the page's detection nor in the box's printer-ink view in colour (seeds 11694, 11721).
REMARKS_SCALE = 2.0
# Detected again further left, a box this many times as wide as it is high is a line: a remark of three glyphs, its box
# grown by the detector's margin, is about 1.8 (seed 13276: 市场煤); one glyph (a speck, half the label's glyph) about 1.
REMARK_SHAPE = 1.5


def read_empty_remarks(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """The 备注 box of a scan read empty, looked at once more: text detected on the printer-ink view of the box alone,
    in grey at twice the size (REMARKS_SCALE; the page's detection misses a faint remark printed over the 备 label:
    seed 8051, accepted as "none printed"), is recognised and put among the page's lines, and the remarks are read
    from the page again. An OCR remark is never accepted (intake.scoring), so what is found goes to review. A box
    that still reads empty but shows print no reading took (`_print_unread`) is `incomplete`: not "none printed"
    (seeds 5070, 9274, 9525, accepted empty). Returns how many crops were recognised."""
    from intake.ocr import get_engine

    jobs = []
    for inv, page in scanned:
        fv = inv.fields["remarks"]
        image = getattr(page, "content_image", None)
        if fv.value or fv.reasons or fv.box is None or fv.source != Source.OCR or image is None:
            continue
        # A quarter of the box more above and below: print offset sets a remark across the box's edge (seed 5055).
        x0, y0, x1, y1 = _bounds(image, TextLine("", *fv.box), 0.25, 0.0)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        jobs.append((inv, page, x0, y0, fv.box[1] - y0, fv.box[3] - y0, image, x1, y1))
    if not jobs:
        return 0
    engine = get_engine(settings)
    read = 0
    for inv, page, x0, y0, top, bottom, image, x1, y1 in jobs:
        box = image[y0:y1, x0:x1]
        quads, cut, above = _lines_in_box(engine, box, top, bottom)
        found, fresh = _remark_read(engine, page, quads, (x0, y0))
        read += len(quads)
        # The faint print no line takes in the box's upper half, found once for both questions asked of it below.
        faint = [] if _read(fresh) else _faint_lines(page, box, x0, y0, top, bottom)
        if not _read(fresh) and x0 > 0 and (cut or any(b[0] == 0 for b in faint)):
            # Nothing read, and a detected box the crop's left edge cuts too short for a line: print offset set the
            # remark's first glyph across the label column's rule, and the rest (场煤 of 市场煤, seed 13276, accepted as
            # "none printed") is not twice as wide as high with the detector's margin. Or faint print the edge cuts
            # that nothing was detected in (first run 26379: 市场煤, its 市 cut, detected at a glyph further left, not
            # in the box). The box is detected again from a glyph further left, where a remark of three glyphs passes
            # for a line (REMARK_SHAPE).
            from intake.layout import Layout

            reach = min(x0, int(Layout(page.lines).char_height))
            quads, _, _ = _lines_in_box(engine, image[y0:y1, x0 - reach:x1], top, bottom, REMARK_SHAPE)
            # A line found so begins at the box's edge at the furthest: left of it lie the label column and the
            # detector's margin, and the page's reading takes a remark from the box's edge on (seed 14075: 市场煤
            # detected from the widened crop's very edge, a glyph left of the box, and again read as no remark).
            quads = [(_from_left(b, reach), crop) for b, crop in quads]
            found, wider = _remark_read(engine, page, quads, (x0 - reach, y0))
            if _read(wider) or fresh is None or not fresh.reasons:
                fresh = wider
            read += len(quads)
        if _read(fresh):
            page.lines = [*page.lines, *found]
            inv.fields["remarks"] = fresh
            log.info("remarks: read %r in the box read empty", fresh.value)
        elif fresh is not None and Reason.INCOMPLETE in fresh.reasons:
            # Lines found in the box, none of them a remark as read (intake.fields._remark_line: a rule's remnant, the
            # seal's tax id): one may be lost among them, as where the box's first reading held such marks.
            inv.fields["remarks"].flag(Reason.INCOMPLETE)
            log.info("remarks: marks found in the box read empty, none a remark; left for review")
        elif any(not _lines_under(page, (a[0] + x0, a[1] + y0, a[2] + x0, a[3] + y0)) for a in above):
            inv.fields["remarks"].flag(Reason.INCOMPLETE)
            log.info("remarks: a line across the box's top, read by no reading; left for review")
        elif _print_unread(page, inv.fields["remarks"].box, y0, top, bottom, faint):
            inv.fields["remarks"].flag(Reason.INCOMPLETE)
            log.info("remarks: print seen in the box read empty; left for review")
        elif page.photographed and _seal_share(page, inv.fields["remarks"].box) > SEAL_OVER_REMARKS:
            inv.fields["remarks"].flag(Reason.INCOMPLETE)
            log.info("remarks: a photo's box read empty under the seal; left for review")
    return read


# The share of the 备注 box's upper half (where remarks are printed, from the top down) in the seal's red, above which a
# phone photo's box read empty is not taken for "none printed": a remark printed faint across the seal's rim goes out
# with it in the printer-ink view (first runs 24542, 25138: 市场煤 and 订单号:dd29102439605 under the rim's lettering,
# accepted empty; 0.066 and 0.087 of the upper half red). No measure of the seal's place told them apart: on 320 scans
# of first runs 24800 and 25120, 83 of 86 boxes read empty had more than 0.05 of their upper half under the seal, the
# first line's band alike (0.064 for 24542, 0.0-0.24 on the rest). So every photo's box read empty under the seal is
# left for review (a remark holds no invoice); scans and image PDFs, where no remark went so, keep the reading.
SEAL_OVER_REMARKS = 0.05


def _seal_share(page: Page, region: tuple[float, float, float, float]) -> float:
    """How much of the upper half of `region` on the page as printed is seal red."""
    from intake.cleanup import red_ink_mask

    image = page.processed_image
    if image is None:
        return 0.0
    x0, y0, x1, y1 = (int(round(v)) for v in region)
    half = image[max(y0, 0):max(y0 + (y1 - y0) // 2, 0), max(x0, 0):max(x1, 0)]
    return float(red_ink_mask(half).mean()) if half.size else 0.0


def _lines_in_box(engine, box: "np.ndarray", top: float, bottom: float,
                  shape: float = 2.0) -> "tuple[list, bool, list]":
    """Lines detected in a remarks box's crop (grey, REMARKS_SCALE), each as (its quad in the crop, the line's crop to
    recognise); whether a box at the crop's left edge was too short for one (`cut`); and the boxes of lines that
    straddle the box's top (`above`: x0, y0, x1, y1 in the crop). Lines centred in the box only, at least `shape`
    times as wide as high: the margin's copy name, one glyph per box down the edge, and specks are no remark; nor a
    line the crop's top or bottom edge cuts (the signature row below the box, the seller's block above).

    At the left edge means within a quarter of its height of it: the detector's margin can stop a pixel short of the
    crop's edge (first run 21839, an image PDF: 市场煤 across the label column's rule, its box 2 px in; accepted as none
    printed). Straddling the top: centred above it, reaching more than a quarter of its height below it: print offset
    set a remark up against the 价税合计 row (first run 21846, a phone photo: 合同编号:HT2018271848 under the row's rule,
    found nowhere else; accepted as none printed), where no line of the page's reading covers it (the 小写 figure set
    low: probe 5230)."""
    from intake.ocr import crop_quad

    big = _grey_view(box, REMARKS_SCALE)
    lines, cut, above = [], False, []
    for q in engine.detect(big):
        b = q / REMARKS_SCALE
        y0, y1, centre = float(b[:, 1].min()), float(b[:, 1].max()), float(b[:, 1].mean())
        if y0 <= 1 or y1 >= box.shape[0] - 2:
            continue
        if not top <= centre <= bottom:
            if centre < top and y1 - top > 0.25 * (y1 - y0) and _line_shaped(b, shape):
                above.append((float(b[:, 0].min()), y0, float(b[:, 0].max()), y1))
            continue
        if _line_shaped(b, shape):
            lines.append((b, crop_quad(big, q)))
        elif b[:, 0].min() <= max(1.0, 0.25 * (y1 - y0)):
            cut = True
    return lines, cut, above


def _from_left(quad: "np.ndarray", left: float) -> "np.ndarray":
    """The quad with no corner left of `left`."""
    quad = quad.copy()
    quad[:, 0] = quad[:, 0].clip(min=left)
    return quad


def _remark_read(engine, page: Page, quads: list, origin: tuple[int, int]) -> "tuple[list[TextLine], FieldValue | None]":
    """The lines `_lines_in_box` found (at `origin` on the page), recognised, and the remarks the page reads with them
    among its lines (empty where none of them is a remark); None when nothing was found."""
    from intake.scan import text_line

    if not quads:
        return [], None
    texts = engine.recognize_crops([crop for _b, crop in quads])
    found = [text_line(b + origin, text, score) for (b, _crop), (text, score) in zip(quads, texts) if text.strip()]
    return found, _field_with(page, found, "remarks")


def _read(remarks: FieldValue | None) -> bool:
    """Whether a reading of the remarks box read a remark."""
    return remarks is not None and bool(remarks.value)


def _field_with(page: Page, found: list[TextLine], name: str) -> FieldValue | None:
    """Field `name` as the page reads it with `found` among its lines; None when nothing was found or no invoice is
    read."""
    fresh = read_page(dataclasses.replace(page, lines=[*page.lines, *found])).invoice if found else None
    return fresh.fields[name] if fresh is not None else None


def _print_unread(page: Page, region: tuple[float, float, float, float], y0: int, top: float, bottom: float,
                  faint: list[tuple[int, int, int, int]]) -> bool:
    """Whether the upper half of a remarks box read empty (`region`; in its crop from `y0` down, the box from `top` to
    `bottom`) holds print no reading took: a blob of printer ink the page's detection found nothing for
    (Page.unread_ink: seed 9525, a remark under the seal's edge), or a line of faint print (`faint`, `_faint_lines`:
    a phone photo's small remark against the 备 label, seeds 5070, 9274). Remarks are printed from the box's top down;
    its lower half holds the seal's lettering, which the printer-ink view does not always take out whole."""
    half = top + (bottom - top) / 2
    if any(region[0] <= (u[0] + u[2]) / 2 <= region[2] and region[1] <= (u[1] + u[3]) / 2 <= y0 + half
           for u in page.unread_ink):
        return True
    return bool(faint)


def _faint_lines(page: Page, crop: "np.ndarray", x0: int, y0: int, top: float,
                 bottom: float) -> list[tuple[int, int, int, int]]:
    """Lines of faint print (scan.faint_print) no line of the page takes in, centred in the upper half of a remarks
    box (`crop`, the printer-ink view from (x0, y0), the box from `top` to `bottom` in it), in the crop's pixels."""
    import cv2

    from intake.layout import Layout
    from intake.scan import faint_print

    half = top + (bottom - top) / 2
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    covered = [(ln.x0 - x0, ln.y0 - y0, ln.x1 - x0, ln.y1 - y0) for ln in page.lines]
    return [b for b in faint_print(grey, Layout(page.lines).char_height, covered) if top <= (b[1] + b[3]) / 2 <= half]


# The 机器编号 row a scan read nothing of: the header's left half from this many line heights above the header's
# bottom (ocrfields.header_limit: above the buyer's tax-id row) to half of one below it, detected again at twice the
# size in grey (seed 5370: label and number printed small onto the table's top rule of a phone photo, some 10 px high,
# which the page's detection, at half that size, and the printer-ink view, the digits' faint blue above its
# threshold, both missed). A tight band: with the invoice code's large print in it (five rows) the detector found
# only the code, with the buyer's name row (one row below) only part of the number. Where it finds nothing at twice the
# size, the band is detected again at its own (first run 17326: a photo's label and number, faint but clear, found at
# 1x and 3x, not at 2x; the number was accepted empty).
MACHINE_BAND_ROWS = (2.5, 0.5)
MACHINE_BAND_SCALES = (2.0, 1.0)


def look_for_machine_number(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """A paper invoice's machine number read empty and not doubted is looked for once more in its header band
    (MACHINE_BAND_ROWS), at twice its size, then at its own (MACHINE_BAND_SCALES): text detected there that no line
    of the page covers is recognised, and the page is read again with it. Where that reading finds the number, or its
    label or digits (intake.fields flags it `incomplete`), the field takes that reading's value and reasons, its
    score halved: one reading of a band is a lead for the reviewer, not a value to accept (no check of its own:
    DOUBT_ONLY). Where it finds nothing, empty stands (older forms print none). Returns how many crops were
    recognised."""
    read = 0
    for inv, page in scanned:
        fv = inv.fields["machine_number"]
        image = page.processed_image
        if (fv.value or fv.reasons or image is None or inv.fields["invoice_type"].value in DIGITAL_TYPES
                or not page.lines):
            continue
        layout, limit = _header(inv, page)
        above, below = MACHINE_BAND_ROWS
        y0 = max(0, int(limit - above * layout.char_height))
        y1, x1 = min(image.shape[0], int(limit + below * layout.char_height)), image.shape[1] // 2
        if y1 - y0 < 8:
            continue
        for scale in MACHINE_BAND_SCALES:
            found, crops = _band_lines(page, (0, y0, x1, y1), scale, settings)
            read += crops
            new = _field_with(page, found, "machine_number")
            if new is not None and (new.value or new.reasons):
                break
        else:
            continue
        new.raw_confidence *= DISAGREE_FACTOR
        inv.fields["machine_number"] = new
        log.info("machine_number: read empty; its header band reads %r (%s)", new.value, ", ".join(new.reasons))
    return read


# A party's name not found is looked for in a band over its tax id's row: from this many of the tax id's heights above
# its top down to a share of its height into it (the print offset lifts a name onto the block's top rule), from a
# height left of the tax id to NAME_BAND_WIDTH of the page's width right of its start; at its own size, then twice.
NAME_BAND_ABOVE = 1.5
NAME_BAND_INTO = 0.3
NAME_BAND_WIDTH = 0.3
NAME_BAND_SCALES = (1.0, 2.0)


def look_for_party_names(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """A scan's party name not found, where its tax id was, is looked for once more in the band over the tax id's
    row, in the printer-ink view (the red rule taken out), in grey at its own size and then at twice it. The page's
    detection, and the ink search after it (scan.uncovered_ink, ink darker than UNCOVERED_INK), missed a phone
    photo's faint name printed onto the block's top rule, which struck it through in the detection view (first run
    27374, where the band in that view found nothing either). Text detected there that no line of the page covers
    is recognised, and the page is read again with it; a name found so is the field's, with the lines it was read
    from, and is re-read, weighed and scored as any name (intake.names). Returns how many crops were recognised."""
    read = 0
    for inv, page in scanned:
        image = page.processed_image
        if image is None or not page.lines:
            continue
        for side in ("buyer", "seller"):
            name, tax = f"{side}_name", inv.fields[f"{side}_tax_id"]
            fv = inv.fields[name]
            if fv.value or Reason.NOT_FOUND not in fv.reasons or not tax.value or tax.box is None:
                continue
            x0, y0, _x1, y1 = tax.box
            h = y1 - y0
            band = (max(0, int(x0 - h)), max(0, int(y0 - NAME_BAND_ABOVE * h)),
                    min(image.shape[1], int(x0 + NAME_BAND_WIDTH * image.shape[1])), int(y0 + NAME_BAND_INTO * h))
            if band[3] - band[1] < 8:
                continue
            for scale in NAME_BAND_SCALES:
                found, crops = _band_lines(page, band, scale, settings, view=page.content_image)
                read += crops
                fresh = _field_with(page, found, name)
                if fresh is not None and fresh.value and fresh.box is not None:
                    break
            else:
                continue
            page.lines = [*page.lines, *(ln for ln in found if overlap(fresh.box, ln.box) >= 0.5)]
            inv.fields[name] = fresh
            log.info("%s: not found; the band over its tax id reads %s", name, fresh.value)
    return read


def look_for_issue_date(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """A scan's issue date not found is looked for once more in the header's right half, above the header's bottom
    (ocrfields.header_limit), detected at the band's own size: the page's detection, at about half of it, missed
    label and date both where the date's thin print, raised half a row by the print offset, stood on its label's
    colon (first run 12240-12559: 12287, 12472). Text detected there that no line of the page covers is recognised,
    and the page is read again with it; a date found so is the field's, checked and scored as any. Returns how many
    crops were recognised."""
    read = 0
    for inv, page in scanned:
        fv = inv.fields["issue_date"]
        image = page.processed_image
        if fv.value or image is None or not page.lines:
            continue
        found, crops, fresh = _read_header_right(inv, page, "issue_date", image.shape[1] // 2, settings)
        read += crops
        if fresh is None or not fresh.value:
            continue
        page.lines = [*page.lines, *found]
        inv.fields["issue_date"] = fresh
        log.info("issue_date: not found; the header's right half reads %s", fresh.value)
    return read


def look_for_check_code(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """A scan's 校验码 not found is looked for once more in the header's right half, above the header's bottom,
    detected at the band's own size, every line found there recognised (first runs 12285, 14193: the issue date's
    box, two rows high, took in the 校验码 label and the code's first group below the date and read the date's row
    alone; the other three groups, read apart, were no code). A code found so is the field's, with the lines it was
    read from, re-read, checked and scored as any. Returns how many crops were recognised."""
    from intake.ocr import DETECT_SIDE

    read = 0
    for inv, page in scanned:
        fv = inv.fields["check_code"]
        image = page.processed_image
        if fv.value or Reason.NOT_FOUND not in fv.reasons or image is None or not page.lines:
            continue
        # No wider than the detector's side (DETECT_SIDE), so that it sees the band at full size.
        x0 = max(image.shape[1] // 2, image.shape[1] - DETECT_SIDE)
        found, crops, fresh = _read_header_right(inv, page, "check_code", x0, settings, keep_taken=True)
        read += crops
        if fresh is None or not fresh.value or fresh.box is None:
            continue
        page.lines = [*page.lines, *(ln for ln in found if overlap(fresh.box, ln.box) >= 0.5)]
        inv.fields["check_code"] = fresh
        log.info("check_code: not found; the header's right half reads %s", fresh.value)
    return read


def _read_header_right(inv: Invoice, page: Page, name: str, x0: int, settings: Settings, keep_taken: bool = False
                       ) -> "tuple[list[TextLine], int, FieldValue | None]":
    """The header from `x0` to the page's right edge, above the header's bottom, detected again at its own size
    (`_band_lines`) and field `name` read with what was found: (the lines found, how many crops were recognised, the
    field; None when nothing was found or no invoice is read)."""
    image = page.processed_image
    _layout, limit = _header(inv, page)
    y1 = min(image.shape[0], int(limit))
    if y1 < 8:
        return [], 0, None
    found, crops = _band_lines(page, (x0, 0, image.shape[1], y1), 1.0, settings, keep_taken=keep_taken)
    return found, crops, _field_with(page, found, name)


def _header(inv: Invoice, page: Page) -> tuple[Layout, float]:
    """The page's layout and the bottom of its header band (ocrfields.header_limit, above the words row)."""
    from intake.layout import Layout
    from intake.ocrfields import header_limit

    image = page.processed_image
    layout = Layout(page.lines)
    words = inv.fields["amount_in_words"].box
    return layout, header_limit(layout, page.height or image.shape[0], None, words[1] if words else image.shape[0])


# A share of a box detected in a band that a line of the page must cover for the box to be read already.
BAND_TAKEN = 0.25
# A box the page's lines cover that share of but that runs on past them by this many of their heights or more holds
# text they did not read: first run 19014, 机器编号：360130485010 one box in the band, the page having read only the
# label (as 相密鸣号：), the number printed onto the table's rule accepted empty.
BAND_RUN_ON = 3.0


def _band_lines(page: Page, band: tuple[int, int, int, int], scale: float, settings: Settings,
                keep_taken: bool = False, view: "np.ndarray | None" = None) -> tuple[list[TextLine], int]:
    """Text detected in `band` (x0, y0, x1, y1) of the page's image (or of `view`, one of its views), in grey at
    `scale`, that no line of the page takes in (overlap >= 0.3; with `keep_taken`, what the page's lines take in
    too), recognised: (the lines found, in page pixels; how many crops were recognised)."""
    import numpy as np

    from intake.ocr import crop_quad, get_engine
    from intake.pages import quad_box, shared_area
    from intake.scan import text_line

    x0, y0, x1, y1 = band
    grey = _grey_view((page.processed_image if view is None else view)[y0:y1, x0:x1], scale)
    engine = get_engine(settings)
    covered = [(ln.x0, ln.y0, ln.x1, ln.y1) for ln in page.lines]
    quads = []
    for q in engine.detect(grey):
        b = q / scale + np.float32([x0, y0])
        box = quad_box(b)
        area = (box[2] - box[0]) * (box[3] - box[1])
        # Taken in by a line: most of the smaller of the two, and a share of the box found here (BAND_TAKEN). A glyph
        # of the row below reaching into a box two rows high takes none of it (first run 13649: 机器编号 and the number
        # printed onto the table's rule, one box, dropped for the 名 under it; the number was accepted empty).
        if not _line_shaped(q):
            continue
        takers = [c for c in covered if overlap(box, c) >= 0.3 and shared_area(box, c) >= BAND_TAKEN * area]
        if keep_taken or not takers or _runs_on(box, takers):
            quads.append((q, b))
    if not quads:
        return [], 0
    texts = engine.recognize_crops([crop_quad(grey, q) for q, _b in quads])
    return [text_line(b, text, score) for (_q, b), (text, score) in zip(quads, texts) if text.strip()], len(quads)


def _runs_on(box: tuple[float, float, float, float], takers: list[tuple[float, float, float, float]]) -> bool:
    """Whether the box runs on to its left or right past the lines that take it in (`takers`) by BAND_RUN_ON of
    their heights or more."""
    height = max(c[3] - c[1] for c in takers)
    left, right = min(c[0] for c in takers), max(c[2] for c in takers)
    return max(left - box[0], box[2] - right) >= BAND_RUN_ON * height


def _grey_view(crop: "np.ndarray", scale: float) -> "np.ndarray":
    """A crop in grey (as the detector's three channels) at `scale`: faint blue print the colour crop hides from the
    detector stands out (remarks beside the seal, a machine number on the table's rule)."""
    import cv2

    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if scale != 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


# The drawer's box cut short: printer ink (darker than scan.UNCOVERED_INK on the ink view) within this many line heights
# of the box's right end, in the middle three fifths of its height, is a glyph the box may have left out; rows dark
# across most of a wider window are a form rule the print offset set the name on (seed 5211), not a glyph. Ink a little
# further (DRAWER_FAR_GAP) has the box widened too, but where no wider read is sure the drawer stands: first run 17852
# read 刘平 for 刘平燕, 燕's thin left strokes under the seal's edge 0.35 of a line height past the box; flagging such
# ink sent 9 right drawers of the 480 probe scans to review.
DRAWER_CUT_GAP = 0.3
DRAWER_FAR_GAP = 0.5
DRAWER_RULE_WINDOW = 1.2
DRAWER_RULE_SHARE = 0.8
# Or faint ink (scan.FAINT_DEPTH under the paper around the box) down this share of a column of that gap: a glyph's
# stroke, lighter than UNCOVERED_INK where the seal's edge half whitened it.
DRAWER_FAINT_COLUMN = 0.5
# Widened by this many line heights in turn, the drawer's line is read again until it reads longer, this surely; a
# read that adds glyphs is read wider still, and taken over where that adds more (first run 27782, a phone photo: 张
# read, widened by 0.6 张华, accepted; by 1.2 张华雪, its last glyph against the seal's edge).
DRAWER_WIDENING = (0.6, 1.2)
DRAWER_WIDER_SCORE = 0.9
# Glyphs the recognizer makes of a common given-name glyph and that given names hardly hold themselves: 字 for 宇. In
# the first run of 10600-11599, 15 drawers read with 字, every one printed 宇 (周字, 朱字: two accepted at 0.99); none
# printed 字. Such a drawer's score is halved (DISAGREE_FACTOR): to review, as a name with a look-alike glyph is. So
# too two rare surnames the recognizer makes of common ones: 乌 for 马 (first run 14172: 乌艳芳 for 马艳芳, accepted at
# 0.98) and 土 for 王 (first run 12880-13199: 土燕 for 王燕, accepted). And 车 for 军 (first run 15775: 周婷车 for 周婷军,
# accepted): a surname, rare, and hardly a given name; in 1,120 probe and first-run scans the one 车 read was that one.
# And 男, the foot of 勇 whose head was lost (first run 24422: 王华男 for 王华勇, printed up against the table's bottom
# rule on a phone photo, accepted at 0.96): a given name's glyph too (胜男), but a drawer held costs no invoice.
DRAWER_LOOKALIKES = frozenset("字乌土车男")


def mend_cut_drawers(scanned: list[tuple[Invoice, Page]], settings: Settings) -> int:
    """A drawer (开票人) whose box stops at ink is read again from the box widened to the right; a sure read that
    keeps the glyphs read and adds one or two is the drawer; where none does, the drawer is `incomplete` (a right
    drawer with a speck after it goes to review with it: no invoice waits on a drawer), unless the ink began a little
    past the box (DRAWER_FAR_GAP). Seed 8573: 吴洋 for 吴洋刚, the last glyph against the seal's red 发票专用章,
    accepted. A drawer of one glyph is `incomplete` whatever follows its box: a person's name has a surname and a
    given name (first run 11112: 谢 for 谢芳敏, the rest under the seal's whitened edge, accepted). A drawer with a
    DRAWER_LOOKALIKES glyph loses half its score. Returns how many crops were recognised."""
    import numpy as np

    from intake.ocr import crop_quad, get_engine
    from intake.scan import FAINT_DEPTH, UNCOVERED_INK, widened

    read = 0
    for inv, page in scanned:
        fv = inv.fields["drawer"]
        image = getattr(page, "content_image", None)
        if not fv.value or fv.box is None or fv.source != Source.OCR or image is None:
            continue
        if DRAWER_LOOKALIKES & set(fv.value):
            fv.raw_confidence *= DISAGREE_FACTOR
        if re.fullmatch(r"[\u4e00-\u9fff]", fv.value):
            fv.flag(Reason.INCOMPLETE)  # whatever follows; a wider read that adds glyphs below takes the field's place
        x0, y0, x1, y1 = fv.box
        h = y1 - y0
        window = _channel_mean(image[int(y0 + 0.2 * h):int(y1 - 0.2 * h), int(x1):int(x1 + DRAWER_RULE_WINDOW * h) + 1])
        if window.size == 0:
            continue
        around = _channel_mean(image[max(0, int(y0 - h)):int(y1 + h), max(0, int(x0 - 3 * h)):int(x1 + 3 * h)])
        dark = _without_rules(window < UNCOVERED_INK)
        faint = _without_rules(window < float(np.median(around)) - FAINT_DEPTH)
        near = _glyph_ink(dark, faint, int(DRAWER_CUT_GAP * h) + 1)
        if not (near or _glyph_ink(dark, faint, int(DRAWER_FAR_GAP * h) + 1)):
            continue
        engine = get_engine(settings)
        box = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        found: FieldValue | None = None
        for by in DRAWER_WIDENING:
            (text, score), = engine.recognize_crops([crop_quad(image, widened(box, by))])
            read += 1
            longer = normal.name(text)
            # Not the last glyph again: a smudge after a glyph reads as that glyph once more (seed 5005: the seal's
            # remnant after 赵娜超 read 赵娜超超, 0.9 sure). A name that does double its glyph (芳芳) stays incomplete.
            added, base = longer[len(fv.value):], found.value if found else fv.value
            if (score >= DRAWER_WIDER_SCORE and longer.startswith(base) and len(base) < len(longer) <= len(fv.value) + 2
                    and re.fullmatch(r"[\u4e00-\u9fff]+", longer) and added[0] != fv.value[-1]):
                log.info("drawer: read %r, the box widened by %s reads %r", fv.value, by, longer)
                found = FieldValue(value=longer, source=Source.OCR, raw_confidence=min(score, fv.raw_confidence),
                                   box=(x0, y0, x1 + by * h, y1), page=fv.page)
            elif found:
                break
        if found:
            inv.fields["drawer"] = found
        elif near:
            fv.flag(Reason.INCOMPLETE)
    return read


def _glyph_ink(dark: "np.ndarray", faint: "np.ndarray", columns: int) -> bool:
    """Whether the window's first `columns` hold a glyph's ink: any dark pixel; or faint ink (darker than the paper
    around by FAINT_DEPTH) down most of a column, a glyph's stroke or body (seed 10342: 晨 of 曹强晨 half whitened with
    the seal's edge, some 170 grey on paper of 248, and 曹强 accepted; specks and the seal's remnants fill a column of
    it to a fifth at most: 480 probe scans)."""
    faint = faint[:, :columns]
    return bool(dark[:, :columns].any() or (faint.size and faint.mean(axis=0).max() >= DRAWER_FAINT_COLUMN))


def _channel_mean(part: "np.ndarray") -> "np.ndarray":
    """A piece of the page in grey as the drawer's test has always seen it (the mean of the channels, in float); taken
    of the piece, not of the page first (the whole page's took some 13 ms a drawer)."""
    return part if part.ndim == 2 else part.mean(axis=2)


def _without_rules(ink: "np.ndarray") -> "np.ndarray":
    """A window's ink rows without those inked across most of it (DRAWER_RULE_SHARE): a form rule, not a glyph."""
    return ink[ink.mean(axis=1) <= DRAWER_RULE_SHARE]


def _line_shaped(quad: "np.ndarray", ratio: float = 2.0) -> bool:
    w, h = float(quad[:, 0].max() - quad[:, 0].min()), float(quad[:, 1].max() - quad[:, 1].min())
    return w >= ratio * h


def _span(box, parts: list[TextLine]) -> TextLine:
    """The value's box and its lines as one (empty) line: the space between and before the pieces included."""
    return TextLine("", min(box[0], *(p.x0 for p in parts)), min(box[1], *(p.y0 for p in parts)),
                    max(box[2], *(p.x1 for p in parts)), max(box[3], *(p.y1 for p in parts)))


def _span_crop(image: "np.ndarray", span: TextLine) -> "np.ndarray":
    """A span as one crop, a little padded (print offset)."""
    x0, y0, x1, y1 = _bounds(image, span, 0.1, 0.15)
    return image[y0:y1, x0:x1]


def _look_again(work: list, settings: Settings) -> int:
    from intake.ocr import get_engine

    engine = get_engine(settings)
    crops, owners = [], []
    for k, (inv, page, targets) in enumerate(work):
        for i in sorted({i for idx in targets.values() for i in idx}):
            for v, prepare in enumerate(VARIANTS):
                crops.append(prepare(page.processed_image, page.lines[i]))
                owners.append((k, i, v))
    reads = engine.recognize_crops(crops)
    texts: dict[tuple[int, int, int], tuple[str, float]] = dict(zip(owners, reads))
    for k, (inv, page, targets) in enumerate(work):
        readings = [_read_with(page, {i: texts[(k, i, v)] for (kk, i, vv) in texts if kk == k and vv == v})
                    for v in range(len(VARIANTS))]
        _judge(inv, targets, readings)
    return len(crops)


def _wanted(name: str, fv: FieldValue) -> bool:
    if fv.source != Source.OCR or not fv.value or fv.box is None:
        return False
    return fv.status != Status.ACCEPTED or name in ALWAYS


def _lines_under(page: Page, box: tuple[float, float, float, float]) -> list[int]:
    """Indices of the page's lines that make up what lies in `box` (a field's): most of the smaller of the two boxes
    overlaps."""
    return [i for i, line in enumerate(page.lines) if overlap(box, line.box) >= 0.5]


def _read_with(page: Page, replaced: dict[int, tuple[str, float]]) -> Invoice | None:
    """The page read again by the same extraction, with some lines' text from a variant."""
    lines = list(page.lines)
    for i, (text, score) in replaced.items():
        if text.strip():
            lines[i] = dataclasses.replace(lines[i], text=text, confidence=score)
    return read_page(dataclasses.replace(page, lines=lines)).invoice


def _judge(inv: Invoice, targets: dict[str, list[int]], readings: list[Invoice | None]) -> None:
    from intake.validate import validate

    for name in targets:
        fv = inv.fields[name]
        values = [r.fields[name].value if r is not None else "" for r in readings]
        fv.readings = values
        if name in DOUBT_ONLY:
            if any(v and v != fv.value for v in values):
                fv.raw_confidence *= DISAGREE_FACTOR
            continue
        found = [v for v in values if v] if name in FIXED_FORM else values
        if not found:
            continue
        if all(v == fv.value for v in found):
            fv.back(FACT)
            continue
        fv.raw_confidence *= DISAGREE_FACTOR
        alternative = values[0]
        if (alternative and all(v == alternative for v in values)
                and REPLACEABLE_REASONS & set(fv.reasons) and readings[0] is not None):
            _try_replace(inv, name, readings, validate)


def _try_replace(inv: Invoice, name: str, readings: list[Invoice | None], validate) -> None:
    """Take the variants' common value if it then passes its checks with a real confirmation; else keep the first reading."""
    old = inv.fields[name]
    new = readings[0].fields[name]  # type: ignore[union-attr]
    scores = [r.fields[name].raw_confidence for r in readings if r is not None]
    inv.fields[name] = FieldValue(value=new.value, source=Source.OCR, raw_confidence=min(scores), box=new.box,
                                  page=old.page, support=[FACT])
    validate(inv)
    fresh = inv.fields[name]
    if fresh.reasons or not CONFIRMING & set(fresh.support):
        inv.fields[name] = old
    validate(inv)


# --- identifiers from the QR ---------------------------------------------------------

# Printed identifiers the QR also carries; amounts are not among them (a figure that differs from the QR is a
# person's call unless the sum closes on the QR's, see _repair).
QR_IDENTIFIERS = ("invoice_code", "invoice_number", "issue_date", "check_code")


def identifiers_from_qr(inv: Invoice) -> list[str]:
    """An identifier read one glyph off its QR's copy (the 校验码: however far off) takes the QR's value when the QR is
    this invoice's: its number agrees with the page's and so does one more value (for the number itself: three more,
    code, date and amount). The recognizer misread a digit (0 for 9 in a 20-digit 校验码); the QR is an error-corrected copy.
    So does an issue date whose day was cut after one digit, where that digit starts the QR's day (`_day_cut_from`).
    Returns the fields changed."""
    from intake.qr import parse_payload

    qr = parse_payload(inv.qr_payload)  # None without a payload too
    if qr is None:
        return []
    theirs = {"invoice_code": qr.code, "invoice_number": qr.number, "issue_date": qr.date, "check_code": qr.check_code}
    agreeing = {n for n, fv in inv.fields.items() if "qr_agrees" in fv.support}
    changed = []
    for name, value in theirs.items():
        fv = inv.fields[name]
        if fv.source != Source.OCR or Reason.QR_MISMATCH not in fv.reasons or not value:
            continue
        others = agreeing - {name}
        if len(others) < 3 if name == "invoice_number" else ("invoice_number" not in others or len(others) < 2):
            continue
        cut = name == "issue_date" and _day_cut_from(fv, value)
        if not cut and name != "check_code" and (len(fv.value) != len(value) or sum(a != b for a, b in zip(fv.value, value)) != 1):
            # The 校验码 is taken however far off: twenty small digits, on a phone photo several misread or the run
            # cut (seeds 8402, 8446, 8462: two or three digits; 8442: five read), and nothing but the QR checks it.
            continue
        log.info("%s: read %s, the QR's %s", name, fv.value, value)
        inv.fields[name] = FieldValue(value=value, source=Source.QR, raw_confidence=1.0, box=fv.box, page=fv.page)
        changed.append(name)
    return changed


def _day_cut_from(fv: FieldValue, qr_date: str) -> bool:
    """Whether an issue date read with its day cut after one digit (`incomplete`: 2019年12月2, taken as 2019-12-02) is
    the QR's date as far as it was read: the same year and month, the QR's day starting with the digit read."""
    return (Reason.INCOMPLETE in fv.reasons and len(fv.value) == len(qr_date) == 10
            and fv.value[:8] == qr_date[:8] and qr_date[8] == fv.value[9])


# --- totals from their confirmations -----------------------------------------------


def repair_totals(inv: Invoice) -> list[str]:
    """Points the recognizer lost put back (where the QR says), a figure read into another total's place moved to
    its own, then the totals repaired from their confirmations."""
    changed = _points_restored(inv) or _cents_from_qr(inv)
    changed += [n for n in _misplaced(inv) if n not in changed]
    return changed + [n for n in _repair(inv) if n not in changed]


# The highest VAT rate there has been (17 %): a tax above this share of its amount is no invoice's.
MAX_RATE = Decimal("0.17")


def _misplaced(inv: Invoice) -> list[str]:
    """One total not found and another place holding its figure: on phone photos the 合计 row's figures fall into
    the wrong column. With the QR's pre-tax amount as the amount:
    - the amount's place holds the tax: QR amount + that figure = the total with tax read or its words (seed 8738:
      10.61 read as the amount, 117.92 in the QR, 128.53 read as the total): the three close, each from its own
      source, as _repair's QR closing asks;
    - the amount's place holds the total with tax, nothing read where that is: the figure less the QR's amount is
      exactly the tax of that amount at a VAT rate, to the cent (seed 8754: 795012.97 read, 729369.70 in the QR, the
      difference 9 % of it), or the 大写 words say that figure (seeds 9126, 9162: lines at 9 % and 13 %, no one rate's
      tax; 14043.66 read and in the words, 12606.48 in the QR; 9402: a total with tax read as 0.00, against the
      words, is replaced); the tax is computed;
    - the total's place holds the tax: the figure is exactly the tax of the QR's amount at a VAT rate, to the cent
      (seed 8622: 76353.25 where the total should be, 6 % of 1272554.14; no total is a few percent of its amount), and
      the words, if read, say amount + that figure; the total is then computed from the two.
    Returns the fields changed; validate and score judge the result like any other reading."""
    from intake.capital import words_to_amount
    from intake.validate import _money

    f = inv.fields
    names = MONEY_FIELDS
    if any(f[n].source not in (Source.OCR, Source.QR) for n in names if f[n].value) or f["total_tax"].value:
        return []
    qr_field, a = _qr_amount(inv)
    if qr_field != "total_amount" or not a:
        return []
    read = {n: _money(f[n].value) for n in names}
    words = words_to_amount(f["amount_in_words"].value) if f["amount_in_words"].value else None
    old_a, old_s = f["total_amount"], f["amount_with_tax"]
    x = read["total_amount"]
    if x is not None and x != a and x > 0 and any(s is not None and a + x == s for s in (read["amount_with_tax"], words)):
        f["total_tax"], f["total_amount"] = _moved(old_a), _from_qr(a, old_a.page)
        changed = ["total_amount", "total_tax"]
        if read["amount_with_tax"] is None:
            f["amount_with_tax"] = _computed(words, old_s.page, old_s.box)
            changed.append("amount_with_tax")
        log.info("合计: %s read as the amount is the tax; the QR's amount %s closes the sum", x, a)
        return changed
    s = read["amount_with_tax"]
    if (x is not None and x > a and (s is None or (words == x and s != x))
            and ((words is None and _rate_of(a, x - a) is not None) or (words == x and x - a <= a * MAX_RATE))):
        f["amount_with_tax"], f["total_amount"] = _moved(old_a), _from_qr(a, old_a.page)
        f["total_tax"] = _computed(x - a, old_a.page)
        log.info("合计: %s read as the amount is the total with tax: %s on the QR's amount %s", x, x - a, a)
        return ["total_amount", "total_tax", "amount_with_tax"]
    x = read["amount_with_tax"]
    if (x is not None and 0 < x < a and read["total_amount"] in (None, a) and (words is None or words == a + x)
            and _rate_of(a, x) is not None):
        f["total_tax"], f["amount_with_tax"] = _moved(old_s), _computed(a + x, old_s.page)
        changed = ["total_tax", "amount_with_tax"]
        if read["total_amount"] is None:
            f["total_amount"] = _from_qr(a, old_a.page)
            changed.insert(0, "total_amount")
        log.info("合计: %s read as the total is the tax of the QR's amount %s", x, a)
        return changed
    return []


def _evidence(inv: Invoice) -> "tuple[dict, dict, Decimal | None, str | None, Decimal | None] | None":
    """For a scan's 合计 row that does not close: (each total as read, the totals two sources agree on, the amount
    the 大写 words say, the field the QR's amount names and that amount); None when the row closes or was not read
    here (see _repair)."""
    from intake.capital import cut_from, words_to_amount
    from intake.validate import PROPOSED, _money

    f = inv.fields
    names = MONEY_FIELDS
    # A total proposed earlier (the difference of two read) counts as not read: what the second reading established
    # since may compute it (seed 8711: the amount and the total each confirmed once read again, the tax stayed proposed).
    proposed = {n for n in names if PROPOSED in f[n].support}
    # Scans only: figures read here, or filled from the QR where the page lost them (ocrfields.fill_from_qr).
    if any(f[n].source not in (Source.OCR, Source.QR) for n in names if f[n].value and n not in proposed):
        return None
    read = {n: _money(f[n].value) if n not in proposed else None for n in names}
    if None not in read.values() and read["total_amount"] + read["total_tax"] == read["amount_with_tax"]:
        return None
    sources: dict[str, list[Decimal]] = {n: [read[n]] if read[n] is not None else [] for n in names}
    words = words_to_amount(f["amount_in_words"].value) if f["amount_in_words"].value else None
    if (words is not None and read["amount_with_tax"] not in (None, words)
            and cut_from(f["amount_in_words"].value, read["amount_with_tax"])):
        # Words whose head was lost, the tail of the figure's own: no other total, no second source either (first
        # run 24810, a phone photo: 贰角贰分 read of 捌拾玖圆贰角贰分; the total 89.22, the QR's 78.96 plus 13 % to the
        # cent, was held against them).
        words = None
    if words is not None:
        sources["amount_with_tax"].append(words)
    qr_field, qr_value = _qr_amount(inv)
    if qr_field is not None and f[qr_field].source != Source.QR:  # a figure filled from the QR is that source already
        sources[qr_field].append(qr_value)
    if len(inv.items) >= 2:  # one line is the total printed again, not a second source (validate._check_items)
        for item_field, total in (("amount", "total_amount"), ("tax", "total_tax")):
            parts = [_money(it[item_field].value) if item_field in it else None for it in inv.items]
            if parts and None not in parts:
                sources[total].append(sum(parts, Decimal(0)))
    established = {}
    for n, values in sources.items():
        agreed = {v for v in values if values.count(v) >= 2}
        if len(agreed) == 1:
            established[n] = agreed.pop()
    for n in names:
        if f[n].source == Source.QR and read[n] is not None and established.get(n, read[n]) == read[n]:
            # Filled from the QR once the QR proved it is this invoice's (ocrfields.fill_from_qr): an error-corrected
            # copy, established alone (seed 7063: the QR's amount and the figure with tax its words confirm give the
            # tax the page lost, which was proposed at an even chance before).
            established[n] = read[n]
    a, s = established.get("total_amount"), read["amount_with_tax"]
    if words is not None and words != s and (s is None or Reason.INCOMPLETE in f["amount_with_tax"].reasons
                                             or (a is not None and _rate_of(a, s - a) is None)):
        # The figure lost or cut short (calibration photo 20034: the 小写 figure read as '②'), or one that is no VAT
        # rate's tax on top of the amount (first run 19634, a tilted photo: the 合计 row's amount, level with the words
        # label, taken for it), its words read: they stand for it here, checked the same way (the amount plus a VAT
        # rate's tax of it, to the cent).
        s = words
    if (a is not None and s is not None and "amount_with_tax" not in established and read["total_tax"] is None
            and words in (None, s) and _rate_of(a, s - a) is not None):
        # The total with tax read, no tax: that it is the established amount plus a VAT rate's tax of it, to the cent,
        # is its second source (seed 8610: 1795.26 on 1588.73 from the QR, 13 %); a misread total is no rate's. Not
        # against words that say another total.
        established["amount_with_tax"] = s
    t = read["total_tax"]
    if (a is None and read["total_amount"] is None and t is not None and "amount_with_tax" in established
            and "total_tax" not in established and _rate_of(established["amount_with_tax"] - t, t) is not None):
        # The amount not read, the total with tax established (its words agree), the tax read: that the tax is a VAT
        # rate's tax, to the cent, of the total less it is its second source, as above (first run 25012, a paper
        # 专票: 81.69 on 710.07, 13 % of 628.38; the amount was proposed and held). A misread tax is no rate's.
        established["total_tax"] = t
    return read, established, words, qr_field, qr_value


def _repair(inv: Invoice) -> list[str]:
    """When the 合计 row does not close, a total that two independent sources agree on replaces a lone read.

    Sources: the OCR read of each figure, the 大写 words (for the total with tax), the QR amount
    (pre-tax or with tax), and the item lines' sums (amount, tax). A value is established when
    two sources give it, or when the QR filled it; with two of the three totals established, the third is their
    difference or sum (source `computed`). Returns the fields changed.
    """
    evidence = _evidence(inv)
    if evidence is None:
        return []
    read, established, words, qr_field, qr_value = evidence
    f = inv.fields
    names = MONEY_FIELDS
    if len(established) < 2 and qr_field is not None and read[qr_field] not in (None, qr_value):
        # The QR's amount closes amount + tax = total with the two other figures as read: the printed page agrees
        # with its QR and the one figure that did not was misread (an altered page would not close). A total with
        # tax not found is the one its 大写 words say (seed 8326: the 合计 row's amount column took the total with
        # tax, the total's own figure was lost; QR amount + tax read = the words).
        trial = {**read, qr_field: qr_value}
        from_words = trial["amount_with_tax"] is None and qr_field != "amount_with_tax" and words is not None
        if from_words:
            trial["amount_with_tax"] = words
        if None not in trial.values() and trial["total_amount"] + trial["total_tax"] == trial["amount_with_tax"]:
            old = f[qr_field]
            f[qr_field] = _from_qr(qr_value, old.page, old.box)
            log.info("%s: read %s, the QR's %s closes the sum", qr_field, old.value, f[qr_field].value)
            if not from_words:
                return [qr_field]
            old = f["amount_with_tax"]
            f["amount_with_tax"] = _computed(words, old.page, old.box)
            return [qr_field, "amount_with_tax"]
    s = established.get("amount_with_tax", read["amount_with_tax"] if words in (None, read["amount_with_tax"]) else None)
    if (len(established) < 2 and qr_field == "total_amount" and s is not None and read["total_amount"] != qr_value
            and _rate_of(qr_value, s - qr_value) is not None):
        # The amount misread and the tax lost (seed 8522: 43.63 read for 40.37, 3.63 not found, 44.00 read as the
        # total with tax; the tax was proposed as 0.37): the QR's amount and the total read are each other's second
        # source when the total is the amount plus its tax at a VAT rate, to the cent, as _evidence takes a total
        # with tax on an established amount (a misread figure is no rate's; several rates on one invoice rarely sum
        # to one to the cent, and then nothing changes). Not against words that say another total.
        established.update(total_amount=qr_value, amount_with_tax=s)
    if len(established) < 2:
        return _propose_missing(inv, read, words)
    a, t, s = (established.get(n) for n in names)
    if a is None:
        a = s - t
    elif t is None:
        t = s - a
    elif s is None:
        s = a + t
    if a + t != s or (s >= 0) != (a >= 0):
        return []
    if any(read[n] != value and f[n].source == Source.QR for n, value in zip(names, (a, t, s))):
        return []  # the page's figures and its QR disagree: a person's call, not ours
    changed = []
    for n, value in zip(names, (a, t, s)):
        if read[n] != value:
            old = f[n]
            f[n] = _computed(value, old.page, old.box)
            changed.append(n)
    return changed


def _qr_amount(inv: Invoice) -> tuple[str | None, "Decimal | None"]:
    """(the field the invoice's QR amount names, that amount), or (None, None) without a QR amount."""
    from intake.qr import parse_payload
    from intake.validate import _money

    qr = parse_payload(inv.qr_payload)  # None without a payload too
    amount = _money(qr.amount or "") if qr is not None else None
    return (qr.amount_field, amount) if amount is not None else (None, None)


def _points_restored(inv: Invoice) -> list[str]:
    """合计 figures read without their points ("￥1204410" for ￥12044.10; they always print two decimals) close
    amount + tax = total a hundred times over, or not at all when one is missing. When the QR's amount is its figure
    over a hundred, the points are put back in the figures read (the same digits; the QR says where the point goes)."""
    from intake.validate import _money

    names = MONEY_FIELDS
    if any(inv.fields[n].source != Source.OCR for n in names if inv.fields[n].value):
        return []
    field, amount = _qr_amount(inv)
    read = {n: _money(inv.fields[n].value) for n in names if inv.fields[n].value}
    if field is None or None in read.values() or any(v != v.to_integral_value() for v in read.values()):
        return []
    if read.get(field) != amount * 100:
        return []
    scaled = {n: (v / 100).quantize(Decimal("0.01")) for n, v in read.items()}
    if len(scaled) == 3 and scaled["total_amount"] + scaled["total_tax"] != scaled["amount_with_tax"]:
        return []
    for n, value in scaled.items():
        old = inv.fields[n]
        inv.fields[n] = FieldValue(value=f"{value:.2f}", source=Source.OCR, raw_confidence=old.raw_confidence, box=old.box,
                                   page=old.page)
    log.info("合计 figures read without their points; the QR's %s puts them back", amount)
    return list(scaled)


def _cents_from_qr(inv: Invoice) -> list[str]:
    """The total the QR carries, read without its cents (`incomplete`: intake.fields._CENTS), its yuan the QR's,
    on an invoice whose number the QR agrees with: the QR's amount, an error-corrected copy, gives the cents (¥23 and
    ¥27804 read for 23.00 and 27804.00 on two phone photos, 12118 and 5350)."""
    from intake.validate import _money

    field, amount = _qr_amount(inv)
    if field is None or "qr_agrees" not in inv.fields["invoice_number"].support:
        return []
    fv = inv.fields[field]
    read = _money(fv.value)
    if fv.source != Source.OCR or Reason.INCOMPLETE not in fv.reasons or read is None or int(read) != int(amount):
        return []
    log.info("%s: read %s without its cents; the QR's %s", field, fv.value, amount)
    inv.fields[field] = _from_qr(amount, fv.page, fv.box)
    return [field]


# A total computed from two established totals: trusted like a text layer, below a QR's own value.
COMPUTED_CONFIDENCE = 0.99
# A total not found on the page, proposed as the difference or sum of the two that were read: a reviewer's
# starting point, never accepted (its source is `computed`, its score below any threshold), and no
# evidence for the other two (validate drops their sum_ok: the sum closes by construction).
PROPOSED_CONFIDENCE = 0.5


def _from_qr(value: "Decimal", page: int, box=None) -> FieldValue:
    """A total the QR's amount gives: an error-corrected copy, put where the page's figure was (`box`) if it was."""
    return FieldValue(value=f"{value:.2f}", source=Source.QR, raw_confidence=1.0, box=box, page=page)


def _computed(value: "Decimal", page: int, box=None) -> FieldValue:
    """A total computed from two established ones (COMPUTED_CONFIDENCE)."""
    return FieldValue(value=f"{value:.2f}", source=Source.COMPUTED, raw_confidence=COMPUTED_CONFIDENCE, box=box, page=page)


def _moved(read: FieldValue) -> FieldValue:
    """A figure read in another total's place, as it was read, for its own."""
    return FieldValue(value=read.value, source=Source.OCR, raw_confidence=read.raw_confidence, box=read.box, page=read.page)


def _propose_missing(inv: Invoice, read: dict, words: "Decimal | None") -> list[str]:
    """One total not found: proposed as the difference or sum of the two read (never accepted), unless it is the total
    with tax and its 大写 words, read apart, say amount + tax to the cent. Then the words and the two figures confirm
    each other, and the total is computed from them like any established one: a wrong amount or tax would need a
    misread of the words that makes up for it exactly (first runs 14083, 14149, 15129: the 小写 figure lost on a
    photo, the words right, the three totals held)."""
    from intake.validate import PROPOSED

    f = inv.fields
    names = MONEY_FIELDS
    missing = [n for n in names if read[n] is None and not f[n].value]
    if len(missing) != 1:
        return []
    a, t, s = (read[n] for n in names)
    if a is None:
        a = s - t
    elif t is None:
        t = s - a
    else:
        s = a + t
    # Amount and tax carry the total's sign, and tax is a fraction of the amount (rates are at most 17%).
    if s == 0 or (a >= 0) != (s >= 0) or (t != 0 and (t >= 0) != (s >= 0)) or abs(t) > abs(a) * MAX_RATE:
        return []
    n = missing[0]
    if n == "amount_with_tax" and words == s:
        f[n] = _computed(s, f[n].page, f[n].box)
        log.info("amount_with_tax: not read; its words say %s, the amount and tax read", s)
        return [n]
    value = {"total_amount": a, "total_tax": t, "amount_with_tax": s}[n]
    f[n] = FieldValue(value=f"{value:.2f}", source=Source.COMPUTED, raw_confidence=PROPOSED_CONFIDENCE,
                      box=f[n].box, page=f[n].page, support=[PROPOSED])
    return [n]


def _rate_of(amount: "Decimal", tax: "Decimal") -> str | None:
    """The VAT rate (percent, as validate.RATES spells it) whose tax on `amount` is `tax` to the cent; None if none is
    (0 % is none: no figure is told apart by it)."""
    from intake.validate import RATES, tax_at

    if amount <= 0 or tax <= 0:
        return None
    return next((r for r in sorted(RATES, key=float) if r != "0" and tax_at(amount, Decimal(r) / 100) == tax), None)


def _fits_a_rate(amount: "Decimal", tax: "Decimal", exact: bool = False) -> bool:
    """Whether `tax` is `amount` at one of the rates VAT has had, to the cent and a line's rounding or so (each line's
    tax is rounded on its own: validate's TAX_SUM_TOLERANCE_MAX); `exact`: to the cent."""
    from intake.validate import RATES, TAX_SUM_TOLERANCE_MAX, tax_at

    if (tax < 0) != (amount < 0) and tax != 0:
        return False
    tolerance = 0 if exact else TAX_SUM_TOLERANCE_MAX
    return any(abs(tax_at(abs(amount), Decimal(r) / 100) - abs(tax)) <= tolerance for r in RATES)


def propose_by_rate(inv: Invoice) -> list[str]:
    """Run after the second reading (which may read the misread figure right). The amount established (the QR and
    the read agree) and the 合计 row not closing: the tax or the total with tax was misread, and the one that is no
    VAT rate's tax of the amount is it; the figure amount + tax or total - amount would have been is proposed in its
    place (seed 8354: tax read 3.00 on 1395.58, the total 1577.01 is 13 % on top). Never accepted, like a missing total
    proposed; the reviewer sees the crop of what was read. Computed (and accepted) instead where the figure that fits
    is a rate's tax to the cent and no 大写 words say another total."""
    from intake.validate import PROPOSED

    evidence = _evidence(inv)
    if evidence is None:
        return []
    read, established, words = evidence[:3]
    a, t, s = established.get("total_amount"), read["total_tax"], read["amount_with_tax"]
    if a is None or t is None or s is None or a == 0 or a + t == s:
        return []
    tax_fits, difference_fits = _fits_a_rate(a, t), _fits_a_rate(a, s - a)
    if tax_fits and difference_fits:
        # Both within a rounding of some rate's tax: the one that is it to the cent, if one is (seed 8667: tax read
        # 3192.13, the total less the amount 3192.11, 13 % of 24554.69 to the cent).
        tax_fits, difference_fits = _fits_a_rate(a, t, exact=True), _fits_a_rate(a, s - a, exact=True)
    if tax_fits == difference_fits:
        return []  # both are some rate's tax, or neither: no telling which figure is off
    tax = s - a if difference_fits else t
    n, value = ("total_tax", tax) if difference_fits else ("amount_with_tax", a + tax)
    old = inv.fields[n]
    if _rate_of(a, tax) is not None and words in (None, a + tax):
        # The figure that fits is a VAT rate's tax of the amount to the cent: its second source, as _evidence takes a
        # total with tax read on an established amount (a misread figure is no rate's), and the other is computed from
        # the two; not against words that say another total. Probe 8538, calibration photos 20073, 20180, 20202,
        # 20217, 20277, 20308 and first runs 22886, 22986: the tax or the total with tax misread (a decimal point
        # lost, 0.00 read off the 小写 label), the three held, every one right; now accepted. Not 20221 or 20298: their
        # words, cut, say another total (20298: 壹仟肆佰贰拾捌圆零, 1428.00 for 1428.07).
        inv.fields[n] = _computed(value, old.page, old.box)
        log.info("%s: read %s, no rate's tax on %s; %s computed", n, old.value, a, inv.fields[n].value)
        return [n]
    inv.fields[n] = FieldValue(value=f"{value:.2f}", source=Source.COMPUTED, raw_confidence=PROPOSED_CONFIDENCE,
                               box=old.box, page=old.page, support=[PROPOSED])
    log.info("%s: read %s, no rate's tax on %s; %s proposed", n, old.value, a, inv.fields[n].value)
    return [n]


# --- preparations ---------------------------------------------------------------------


def _bounds(image: "np.ndarray", line: TextLine, pad_y: float, pad_x: float) -> tuple[int, int, int, int]:
    h = max(line.y1 - line.y0, 1.0)
    ih, iw = image.shape[:2]
    return (max(0, int(line.x0 - pad_x * h)), max(0, int(line.y0 - pad_y * h)),
            min(iw, int(line.x1 + pad_x * h) + 1), min(ih, int(line.y1 + pad_y * h) + 1))


def loose_upscaled(image: "np.ndarray", line: TextLine) -> "np.ndarray":
    """More margin than the detector gave (print offset pushes glyphs over the box edge), twice the size."""
    import cv2

    x0, y0, x1, y1 = _bounds(image, line, 0.25, 0.4)
    crop = image[y0:y1, x0:x1]
    return cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)


def seal_suppressed(image: "np.ndarray", line: TextLine) -> "np.ndarray":
    """The red channel as grey, contrast stretched: a red seal or red form ink turns pale, black and blue print stays dark."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = _bounds(image, line, 0.1, 0.15)
    red = image[y0:y1, x0:x1, 2].astype(np.float32)
    lo, hi = np.percentile(red, 2), np.percentile(red, 98)
    grey = np.clip((red - lo) * 255.0 / max(hi - lo, 1.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


VARIANTS = (loose_upscaled, seal_suppressed)
