"""Scoring: turn each field's source, recognizer confidence, reasons and support into `confidence` and `status`.

The promise is "accepted means right", so a field is accepted only when the evidence
makes a wrong value very unlikely. The rule table:

| source                         | accepted when                                                         | confidence            |
| ------------------------------ | --------------------------------------------------------------------- | --------------------- |
| any, value "" and no reason    | always (the type does not print it: legitimately absent)              | 1.0                   |
| any, with a validation reason  | never                                                                 | min(raw, CONTRADICTED)|
| text_layer/qr/computed/reviewer| format_ok and confidence >= threshold (text layers can map glyphs     | raw_confidence        |
|                                | wrongly, which is why any failed check above sends them to review)    |                       |
| ocr                            | confidence >= threshold and, for the field classes that need one,    | see formula           |
|                                | at least one independent confirmation (NEEDS_ANY below); never for    |                       |
|                                | an item line's text (name, spec, unit: nothing checks it)              |                       |

OCR confidence: `1 - min(1, prior × (1 - raw)) × Π miss[fact]` over the support facts.
`prior` says how much more often the recognizer is wrong than its raw score admits
(recognizer scores are over-confident, more so on long text), `miss[fact]` is the chance
that a wrong value would still earn that fact by accident. With the defaults, an OCR
number with only `format_ok` needs raw >= 0.99 (1 - 0.05/(10 × 0.5)); a company name raw >= 0.98
(1 - 0.05/(5 × 0.5)), one the same engine re-reads the same way (`reread_agrees`) raw >= 0.95 —
a name any reading doubted has had its score halved before it gets here (intake.names), so these
bounds apply to names every reading spelled the same; a seller name the seal spells the same
(`seal_agrees`) is accepted whatever its raw score, as is a number that equals the QR's (the QR is
an independent, error-corrected copy); an amount needs the arithmetic or the QR or the words to
close, whatever its raw score.

Calibration (measured, not guessed): `python -m bench.scans --calibrate --count 80 --seed 5000
--seed 5200 --seed 5300` runs 240 generated scans (paper 专票, paper 普票, phone photos, image
PDFs in turn) through the whole pipeline once, then re-scores them over a grid: PRIOR_NAME (the
company names) in {5, 10, 15, 20, 30, 40}, PRIOR_DIGITS (codes, numbers, dates, tax ids, totals)
in {5, 10, 20}, threshold in {0.90, 0.95, 0.98}. Rule: no wrong key field accepted on the
calibration set, then the most straight-through invoices, then (at a tie) the shipped threshold
0.95 and the stricter priors. A threshold the support facts reach without the recognizer (0.90:
the error term is clamped at 1, and format_ok × glyphs_agree is 0.1) is never chosen: it would
accept any name the second model spells the same. The evaluation seeds (1000-1039, `python -m
bench.run scans`) and the real images are never used for fitting.

Result for the default models (PP-OCRv6 small recognizer, names read again from the printer-ink
view by it and by PP-OCRv5, intake.names; print lying on a form rule kept in that view,
intake.cleanup; the parts of a name its tax id and the legal forms vouch for left out of its readings' weakest
glyphs; the second model's agreement at >= 0.8 taken where the ink reading is sure of every glyph; the 机器编号
no longer taken for a second code; the QR looked for window by window; names struck through by a rule read whole,
a name without its ending never taken on the ink reading's word, 展 doubted where a reading gives 辰 weight):
PRIOR_NAME 5, PRIOR_DIGITS 10, threshold 0.95: 0 accepted wrong, 203/240 straight-through (PRIOR_NAME 10: 200, 20:
196; PRIOR_DIGITS 20: 201; PRIOR_DIGITS 5: 203, the stricter 10 kept at the tie; 204 before 展 was doubted, which
holds one right name, 辰展晶, whose second reading gave 辰 0.015), key fields right 99.69 / 99.48 / 99.69 % on the
three seed ranges. No grid point
accepted a wrong key field: the names that used to be wrong and sure (重庆市大信… for 天信, raw
0.987, read the same by every reading) lost a stroke where the print lay on the box's rule, and the
printer-ink view now keeps it; the misreadings left (晶 as 品, a glyph one reading sees otherwise)
are doubted by some reading and halved. So the grid does not show where errors begin below 5;
the held-out seeds are the check (no wrong value accepted there either). Before the rule print
was kept, the same search chose PRIOR_TEXT 20 for names (15 accepted 大信). What limits
straight-through is still the names: they have no independent check but the seal (sellers) and
the register, and a name any reading doubts stays in review. MISS is unchanged (reasoned per
check, not fitted: too few wrong values earn any support to measure them), except the two
measured below; on the v6 reads 10 of 29 wrong names earned `reread_agrees` (0.34, inside the
shipped 0.4). The drawer is re-read the same way (no other check has it): on the 640 generated scans of seeds
5000/5200/5300 and 8300-8779, 6 of 43 wrong OCR drawers were re-read the same (0.14), and 0 of the 295 drawers
accepted were wrong.

`reread_agrees` (intake.reread: the field's lines recognised again from two other crops) is
a measured miss rate: on seeds 5000-5039 (PP-OCRv5), 4 of 16 wrong OCR names were re-read the
same way (53 of 56 right names were), so 0.25 measured, 0.4 shipped for the small sample; a
grid over {0.1 … 0.5} gave no extra wrong acceptance from 0.25 up and one at 0.2.

Two more facts back OCR names (intake.names, intake.parties). `glyphs_agree`: the name's line
decoded again glyph by glyph from the printer-ink view by a second recognizer (the set's `glyphs`
model), the same text with every glyph >= 0.95. With PP-OCRv5 reading both times, 0 of 15 wrong
names on seeds 5000-5079 earned it; with v6 reading and v5 re-reading, 3 of 29 wrong names on the
240 calibration scans did, all three cut-off pieces (重庆市, （天津）有限公司, 深圳市聚弘: the same crop,
the same piece) that the form check or the line score sends to review anyway. PP-OCRv6 re-reading
its own lines gave it to a whole misread name (大信 for 天信), which is why the support comes from v5;
v6's own reading of the ink view doubts a name or replaces it; a replacement is accepted only when the second
model spells it too, every glyph of both readings >= 0.95 and none a look-alike's (on the calibration scans
5 of 23 replacements met that, all right; the 3 wrong replacements did not). Where the tax id's division names
the name's place and its ending is a legal form, a second model that reads them otherwise (贵阳 as 责阳) agrees
with the rest of the name when it is sure of every glyph of it (>= 0.95; at an even chance a blurred photo's 展 for
辰, read alike by both models, passed once the cleanup's rounding moved by one grey level). The page's line and the ink
reading (v6 on two views) spelling a whole name alike, both >= 0.9, where v5 reads it otherwise but gives the name's
glyph weight (>= 0.01) wherever it differs, earn it as well (intake.names.LINE_AGREE): calibration photos
20000-20319, 18 right names, no wrong one (the 16 wrong names read alike were look-alikes, misread places and one
industry term misread, each kept out).
`readings_agree` (intake.names.READINGS): every reading of the name but one spells it, the second model
among them (on a phone photo every reading, the second model undoubting): the page's line, the second look's
two variant crops, the ink reading and the second model. On the probe, the calibration photos and first runs
22880 and 23840 (2,880 names), 24 right names gained it and no wrong one; the 12 wrong names read so were
look-alikes (展, 品, 字, 大, 城) or a fragment, which never earn it. A reading that differs only in a part
another check vouches for, or only by a known look-alike of one glyph (字 for 宇), does not count against the
name (stop 38: 19 more right names of 2,226, no wrong one).
`party_known`: the name equals the one the
known-parties register holds for the invoice's accepted tax id; the register learns from text
layers, approvals and imports, never from a scan, so a misreading cannot confirm itself. What
that does to straight-through is printed by `python -m bench.run scans` under "register:"
(the own company known; every party known; the register growing as invoices are approved;
and every tax id registered under another company's name, where nothing may be accepted wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from intake.invoice import FieldValue, Invoice, Reason, Source, Status
from intake.settings import Settings

# Chance that a wrong value still earns the fact.
MISS: dict[str, float] = {
    "qr_agrees": 0.001,  # an independent machine-readable copy
    "words_agree": 0.02,  # 大写 read separately from the figures
    "checksum_ok": 0.04,  # USCC mod-31 catches every single substitution; 1/31 of worse errors pass
    "sum_ok": 0.1,  # amount + tax = total: a wrong figure needs a compensating wrong figure
    "items_agree": 0.1,  # lines sum to the 合计 row
    "rate_ok": 0.3,  # tax = amount × rate within a fen
    "qty_price_ok": 0.3,  # quantity × price within rounding
    "type_agrees": 0.3,  # 发票代码 kind agrees with the type
    "date_agrees": 0.5,  # 数电 number starts with the year
    "format_ok": 0.5,  # the value has the right shape
    # The same value from the field's lines cropped and prepared twice more (intake.reread): the same
    # engine, so errors repeat; measured on seeds 5000-5039, 4 of 16 wrong names were re-read the same.
    "reread_agrees": 0.4,
    # The name's line read once more from the printer-ink view, decoded glyph by glyph (intake.names): the same
    # text with every glyph >= 0.95. Seeds 5000-5079: 0 of 15 wrong names earned it (3 were read the same, their
    # weakest glyph 0.56-0.85), 95 of 139 right names did; 0.2 shipped, the 95% bound of 0 in 15 (rule of three).
    "glyphs_agree": 0.2,
    # The name equals the one the known-parties register holds for the value's accepted tax id (intake.parties):
    # a misreading would have to spell another company's confirmed name exactly. Not fitted (no register on the
    # generated seeds); the register learns only from text layers, reviewers and imports, never from a scan.
    "party_known": 0.01,
    # The seller's name read the same along the rim of the 发票专用章 (intake.seal): a separate print of the name, in
    # another face, stamped by hand; a misreading of the box would have to recur glyph for glyph there. Calibration
    # scans: 0 of 5 wrong seller names earned it, 76 of 235 right ones did. Reasoned, not fitted (too few wrong names
    # to measure): 0.05, which accepts a seller name the seal spells whatever its recognizer's score.
    "seal_agrees": 0.05,
    # Every reading of the name but one spells it, both models among them (intake.names.READINGS): the page as printed
    # read three times (the line and two variant crops) and the printer-ink view twice (the set's two models), so a
    # misreading would have to recur across two views and two models. Names with a look-alike glyph, a misread place, a
    # near-miss industry term or a cut-off piece never earn it: those are the misreadings that do recur (probe,
    # calibration photos, first runs: see docs/scan-figures.md, stop 37). Same box, so it does not multiply with the
    # other same-box facts; 0.05, like the seal's, accepts the name whatever the line's score.
    "readings_agree": 0.05,
}

# Overconfidence of the recognizer per field class: digits and short tokens, long CJK text.
PRIOR_DIGITS = 10.0
PRIOR_TEXT = 20.0
# Company names: fitted apart (below), since they are what straight-through turns on; the other text fields (the
# drawer, the capital amount's words) keep PRIOR_TEXT.
PRIOR_NAME = 5.0
PRIOR_LONG_TEXT = 40.0
# The type is a choice among a few titles, read from a keyword of the title line (专用发票, 普通发票, 电子发票 …):
# the line's score falls with any glyph of it (a province in a decorative face), while a wrong type needs its
# keyword misread into another type's, glyph for glyph. Reasoned, not fitted: on the 240 calibration scans every
# type was right, and 6 were held for review at the digits' prior (title scores 0.947-0.973, the code's kind
# agreeing); at 5 all were accepted, nothing else changed.
PRIOR_TYPE = 5.0
# The 机器编号: twelve digits and nothing to check them by (no checksum, not in the QR, no sum); its re-reading only
# doubts (intake.reread.DOUBT_ONLY). At the digits' prior (raw >= 0.99 with format_ok), the generated scans of seeds
# 5000-5379, 8300-8579 and the first runs of 9000-9379 (800) had 2 of 576 accepted machine numbers wrong, one digit
# off at raw 0.9916 and 0.9927 (9009: on the table's red rule, 8 read 0; 9334: 8 read 9); twice the prior (raw >=
# 0.995) accepts 530 right ones and neither. Fitted on those two: the next unseen range is its check. A machine
# number in review holds no invoice (no key field).
PRIOR_MACHINE = 20.0

AMOUNT_CONFIRMATIONS = frozenset({"sum_ok", "items_agree", "qr_agrees", "words_agree"})


@dataclass(frozen=True)
class FieldRule:
    prior: float = PRIOR_DIGITS
    # OCR values of this field are accepted only with at least one of these facts.
    needs_any: frozenset[str] = frozenset()
    # False: an OCR value of this field is never accepted, whatever its score (nothing can check it).
    ocr_accepts: bool = True


FIELD_RULES: dict[str, FieldRule] = {
    "invoice_type": FieldRule(PRIOR_TYPE),
    "invoice_code": FieldRule(PRIOR_DIGITS),
    "invoice_number": FieldRule(PRIOR_DIGITS),
    "issue_date": FieldRule(PRIOR_DIGITS),
    "check_code": FieldRule(PRIOR_DIGITS),
    "machine_number": FieldRule(PRIOR_MACHINE),
    "buyer_name": FieldRule(PRIOR_NAME),
    "buyer_tax_id": FieldRule(PRIOR_DIGITS),
    "seller_name": FieldRule(PRIOR_NAME),
    "seller_tax_id": FieldRule(PRIOR_DIGITS),
    "total_amount": FieldRule(PRIOR_DIGITS, AMOUNT_CONFIRMATIONS),
    "total_tax": FieldRule(PRIOR_DIGITS, AMOUNT_CONFIRMATIONS),
    "amount_with_tax": FieldRule(PRIOR_DIGITS, AMOUNT_CONFIRMATIONS),
    "amount_in_words": FieldRule(PRIOR_TEXT, frozenset({"words_agree"})),
    "drawer": FieldRule(PRIOR_TEXT),
    # Free text that nothing checks, read from a box the seal, the margin's copy name and the form's rules reach into:
    # on the 400 generated scans of seeds 5000-5379 and 6000-7079, 205 of the 400 remarks were read right (colons
    # half- or full-width, seal remnants, a name from the row below), and 7 wrong ones were accepted at PRIOR_LONG_TEXT.
    # Like an item line's text, an OCR remark is a reviewer's to confirm; it is no key field and holds no invoice.
    "remarks": FieldRule(PRIOR_LONG_TEXT, ocr_accepts=False),
}
# An item line's text read by OCR has no check at all (no sum, no QR, no register), and the columns of a paper form
# take in what the offset prints beside them (the margin's vertical 税总函 text, the next column's unit): on the 240
# calibration scans 109 of 495 such values the recognizer was sure of were wrong. They stay a reviewer's to confirm;
# items are not key fields, so this holds no invoice in review. The figures keep their arithmetic checks.
ITEM_RULES: dict[str, FieldRule] = {
    "name": FieldRule(PRIOR_TEXT, ocr_accepts=False),
    "spec": FieldRule(PRIOR_TEXT, ocr_accepts=False),
    "unit": FieldRule(PRIOR_TEXT, ocr_accepts=False),
    "quantity": FieldRule(PRIOR_DIGITS, frozenset({"qty_price_ok"})),
    "unit_price": FieldRule(PRIOR_DIGITS, frozenset({"qty_price_ok"})),
    "amount": FieldRule(PRIOR_DIGITS, frozenset({"items_agree", "rate_ok", "qty_price_ok"})),
    "tax_rate": FieldRule(PRIOR_DIGITS, frozenset({"rate_ok"})),
    "tax": FieldRule(PRIOR_DIGITS, frozenset({"items_agree", "rate_ok"})),
}

# Confidence ceiling of a value that a check contradicts: below any sane threshold.
CONTRADICTED = 0.5
SCORING_REASONS = frozenset({Reason.OCR_LOW_CONFIDENCE, Reason.UNVERIFIED})
TRUSTED_SOURCES = frozenset({Source.TEXT_LAYER, Source.QR, Source.COMPUTED, Source.REVIEWER})


@dataclass(frozen=True)
class Rules:
    """Every number scoring uses; `score` takes the threshold from settings unless given here."""

    miss: Mapping[str, float] = field(default_factory=lambda: dict(MISS))
    fields: Mapping[str, FieldRule] = field(default_factory=lambda: dict(FIELD_RULES))
    items: Mapping[str, FieldRule] = field(default_factory=lambda: dict(ITEM_RULES))
    contradicted: float = CONTRADICTED
    threshold: float | None = None


DEFAULT_RULES = Rules()


def score(invoice: Invoice, settings: Settings, rules: Rules = DEFAULT_RULES) -> None:
    """Set confidence and status of every field and item field in place (after `validate`)."""
    threshold = rules.threshold if rules.threshold is not None else settings.accept_threshold
    for name, fv in invoice.fields.items():
        score_field(fv, rules.fields.get(name, FieldRule()), rules, threshold)
    for item in invoice.items:
        for name, fv in item.items():
            score_field(fv, rules.items.get(name, FieldRule()), rules, threshold)


# Facts that come from reading the same box again with the same recognizer: a box that cut the value, or a glyph
# the recognizer confuses in that font, repeats in every reading. One piece of evidence, counted once (its strongest).
SAME_BOX = frozenset({"reread_agrees", "glyphs_agree", "readings_agree"})


def ocr_confidence(raw: float, support: list[str], rule: FieldRule, miss: Mapping[str, float]) -> float:
    error = min(1.0, rule.prior * max(0.0, 1.0 - raw))
    facts = set(support)
    for fact in facts - SAME_BOX:
        error *= miss.get(fact, 1.0)
    if facts & SAME_BOX:
        error *= min(miss.get(fact, 1.0) for fact in facts & SAME_BOX)
    return max(0.0, min(1.0, 1.0 - error))


def score_field(fv: FieldValue, rule: FieldRule, rules: Rules, threshold: float) -> None:
    # Scoring owns these two reasons: drop an earlier run's so that re-scoring is idempotent.
    fv.reasons = [r for r in fv.reasons if r not in SCORING_REASONS]
    if fv.value == "" and not fv.reasons:
        fv.confidence, fv.status = 1.0, Status.ACCEPTED
        return
    raw = max(0.0, min(1.0, float(fv.raw_confidence)))
    if fv.source in TRUSTED_SOURCES:
        confidence = raw
        confirmed = "format_ok" in fv.support
    else:
        confidence = ocr_confidence(raw, fv.support, rule, rules.miss)
        confirmed = rule.ocr_accepts and (not rule.needs_any or bool(rule.needs_any & set(fv.support)))
    if fv.reasons:
        ceiling = 0.0 if fv.value == "" else rules.contradicted
        fv.confidence, fv.status = min(confidence, ceiling), Status.NEEDS_REVIEW
        return
    if confidence < threshold:
        fv.flag(Reason.OCR_LOW_CONFIDENCE if fv.source == Source.OCR else Reason.UNVERIFIED)
        fv.confidence, fv.status = confidence, Status.NEEDS_REVIEW
        return
    if not confirmed:
        # Confident but unconfirmed: keep the score below the threshold so that status and
        # confidence never disagree for anyone filtering on either.
        fv.flag(Reason.UNVERIFIED)
        fv.confidence, fv.status = min(confidence, _just_below(threshold)), Status.NEEDS_REVIEW
        return
    fv.confidence, fv.status = confidence, Status.ACCEPTED


def _just_below(threshold: float) -> float:
    return max(0.0, threshold - 0.01)
