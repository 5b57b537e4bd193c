"""Validation: the format, checksum, arithmetic, words↔figures, type and QR checks that give each field its reasons and support.

One implementation serves two callers: `validate(invoice)` after extraction, and
`validate_values(values, items)` for the review screen, which re-runs the same rules on
a reviewer's plain strings. Checks never change a value; they only say what agrees
(support facts, which scoring turns into trust) and what does not (reasons).

Support facts: format_ok, checksum_ok, qr_agrees, sum_ok, words_agree, type_agrees,
items_agree, rate_ok, qty_price_ok, date_agrees.

When the lines do not add up to the 合计 row, the lines are flagged; the totals are flagged
too unless they confirm each other (amount + tax = total and the 大写 or the QR names it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from intake.capital import as_printed, words_to_amount
from intake.fields import SIGNATURE_LABELS
from intake.invoice import DIGITAL_TYPES, FIELDS, ITEM_FIELDS, MONEY_FIELDS, PARTIES, Invoice, InvoiceType, Reason
from intake.names import brackets_paired, is_fragment, misread_place, places_of

T = InvoiceType

# --- rule parameters (facts from DOMAIN.md; dates marked as ours where DOMAIN.md is silent) ---

# Earliest plausible 开票日期 overall and per type: 数电票 started with the December 2021
# pilots and 增值税电子专用发票 with the September 2020 pilots (ours, from public notices).
EARLIEST_DATE = date(2010, 1, 1)
FIRST_ISSUE = {T.DIGITAL_SPECIAL: date(2021, 12, 1), T.DIGITAL_NORMAL: date(2021, 12, 1), T.VAT_ELECTRONIC_SPECIAL: date(2020, 9, 1)}
# A date this far ahead of the machine's clock is a misread, not a time zone.
FUTURE_SLACK = timedelta(days=1)

CODE_LENGTHS = {
    T.VAT_SPECIAL: (10,),
    T.VAT_NORMAL: (10, 12),
    T.VAT_ELECTRONIC_SPECIAL: (12,),
    T.VAT_ELECTRONIC_NORMAL: (12,),
    T.VAT_ROLL: (12,),
    T.TOLL: (12,),
}
# 12-digit codes starting with 0: the last two digits name the kind. `13` is the 电子专票
# seen on the real 贵州 2022 invoice (052002100113); DOMAIN.md does not list it.
CODE12_KIND = {
    "11": {T.VAT_ELECTRONIC_NORMAL},
    "04": {T.VAT_NORMAL},
    "05": {T.VAT_NORMAL},
    "06": {T.VAT_ROLL},
    "07": {T.VAT_ROLL},
    "12": {T.TOLL},
    "13": {T.VAT_ELECTRONIC_SPECIAL},
}
# 10-digit codes: the 8th digit. 2/7 (货运专票) have no contract type and a second source
# reads this digit differently, so only these two readings are used.
CODE10_KIND = {"1": {T.VAT_SPECIAL}, "5": {T.VAT_SPECIAL}, "3": {T.VAT_NORMAL}, "6": {T.VAT_NORMAL}}

CHECK_CODE_TYPES = frozenset({T.VAT_NORMAL, T.VAT_ELECTRONIC_NORMAL, T.VAT_ELECTRONIC_SPECIAL, T.VAT_ROLL, T.TOLL})
SPECIAL_TYPES = frozenset({T.VAT_SPECIAL, T.VAT_ELECTRONIC_SPECIAL, T.DIGITAL_SPECIAL})
# Rates ever printed (17/16/11/10% before the 2018-2019 cuts, 1.5% on housing rent) and the words.
RATES = frozenset({"0", "1", "1.5", "3", "5", "6", "9", "10", "11", "13", "16", "17"})
RATE_WORDS = frozenset({"免税", "不征税"})

# Per-line rounding: each line's tax is rounded to the fen, so the 合计 税额 may differ
# from the sum of lines by up to a fen a line (capped).
LINE_TAX_TOLERANCE = Decimal("0.01")
TAX_SUM_TOLERANCE_PER_LINE = Decimal("0.01")
TAX_SUM_TOLERANCE_MAX = Decimal("0.06")

# Marks a total proposed as the difference of the two others read (intake.reread): no check may lean on it.
PROPOSED = "from_difference"
# Characters of the 密码区 cipher block: a name containing them has swallowed cipher text.
CIPHER_CHARS = re.compile(r"[<>*/+]")
# The 大写 amount read where a name should be: no name is made of capital numerals alone.
CAPITAL_AMOUNT = re.compile(r"[（(]?负?[)）]?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]+")
ORG_SUFFIXES = re.compile(
    r"(公司|厂|店|行|部|中心|局|院|所|校|学|馆|站|处|社|会|队|团|室|场|园|城|台|委|办|府|司|银行|酒店|宾馆|医院|集团|有限|合作|事务|协会|基金|工作)"
)

VALIDATION_REASONS = frozenset(
    {
        Reason.FORMAT_INVALID, Reason.CHECKSUM_FAILED, Reason.SUM_MISMATCH, Reason.WORDS_FIGURES_MISMATCH,
        Reason.QR_MISMATCH, Reason.NOT_FOUND, Reason.TYPE_MISMATCH, Reason.DATE_IMPLAUSIBLE,
    }
)
SUPPORT_FACTS = frozenset(
    {"format_ok", "checksum_ok", "qr_agrees", "sum_ok", "words_agree", "type_agrees", "items_agree", "rate_ok", "qty_price_ok", "date_agrees"}
)


@dataclass
class Verdict:
    """What the checks say about one value."""

    reasons: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)

    def flag(self, reason: str) -> None:
        if str(reason) not in self.reasons:
            self.reasons.append(str(reason))

    def back(self, fact: str) -> None:
        if fact not in self.support:
            self.support.append(fact)

    def clear(self, reason: str) -> None:
        self.reasons = [r for r in self.reasons if r != str(reason)]


@dataclass
class Findings:
    fields: dict[str, Verdict]
    items: list[dict[str, Verdict]]

    def reasons(self) -> dict[str, list[str]]:
        """Non-empty reasons by key: field names, and `items.<i>.<field>` for line items."""
        out = {name: list(v.reasons) for name, v in self.fields.items() if v.reasons}
        for i, item in enumerate(self.items):
            out.update({f"items.{i}.{name}": list(v.reasons) for name, v in item.items() if v.reasons})
        return out


@dataclass
class _Ctx:
    values: dict[str, str]
    items: list[dict[str, str]]
    qr: Any
    today: date
    out: Findings

    @property
    def type(self) -> str:
        return self.values.get("invoice_type", "")

    def v(self, name: str) -> Verdict:
        return self.out.fields[name]


# --- entry points -----------------------------------------------------------------


def check(
    values: Mapping[str, str],
    items: Sequence[Mapping[str, str]] = (),
    qr_payload: str | None = None,
    *,
    today: date | None = None,
) -> Findings:
    """All checks on plain strings in normal form (CONTRACT.md)."""
    ctx = _Ctx(
        values={name: (values.get(name) or "") for name in FIELDS},
        items=[{name: (item.get(name) or "") for name in ITEM_FIELDS} for item in items],
        qr=_parse_qr(qr_payload),
        today=today or date.today(),
        out=Findings(
            fields={name: Verdict() for name in FIELDS},
            items=[{name: Verdict() for name in ITEM_FIELDS} for _ in items],
        ),
    )
    for step in _STEPS:
        step(ctx)
    return ctx.out


def validate_values(
    values: Mapping[str, str],
    items: Sequence[Mapping[str, str]] = (),
    qr_payload: str | None = None,
    *,
    today: date | None = None,
) -> dict[str, list[str]]:
    """For the review screen: reasons by field (`items.<i>.<field>` for items) after a reviewer's edits."""
    return check(values, items, qr_payload, today=today).reasons()


def validate(invoice: Invoice, *, today: date | None = None) -> None:
    """Add reasons and support to every FieldValue in place; re-running replaces what an earlier run added."""
    findings = check(
        invoice.values(),
        [{name: fv.value for name, fv in item.items()} for item in invoice.items],
        invoice.qr_payload,
        today=today,
    )
    for name, verdict in findings.fields.items():
        _apply(invoice.fields[name], verdict)
    if any(PROPOSED in invoice.fields[n].support for n in MONEY_FIELDS):
        # One total was proposed from the other two (intake.reread): their sum closes by construction.
        for n in MONEY_FIELDS:
            invoice.fields[n].support = [s for s in invoice.fields[n].support if s != "sum_ok"]
    for item, verdicts in zip(invoice.items, findings.items):
        for name, verdict in verdicts.items():
            if name in item:
                _apply(item[name], verdict)


def _apply(fv: Any, verdict: Verdict) -> None:
    fv.reasons = [r for r in fv.reasons if r not in VALIDATION_REASONS]
    fv.support = [s for s in fv.support if s not in SUPPORT_FACTS]
    for reason in verdict.reasons:
        fv.flag(reason)
    for fact in verdict.support:
        fv.back(fact)


def _parse_qr(payload: str | None) -> Any:
    if not payload:
        return None
    try:
        # Imported late: the QR module pulls in image tooling that plain validation does not need.
        from intake.qr import parse_payload
    except ImportError:
        return None
    return parse_payload(payload)


# --- small parsers ----------------------------------------------------------------


def _money(text: str) -> Decimal | None:
    if not re.fullmatch(r"-?\d+\.\d{2}", text):
        return None
    return Decimal(text)


def _number(text: str) -> Decimal | None:
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _iso(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _rate(text: str) -> Decimal | None:
    """'13%' -> 0.13; '免税'/'不征税' -> 0; None when not a printed rate."""
    if text in RATE_WORDS:
        return Decimal(0)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    if not m or str(Decimal(m.group(1)).normalize()) not in RATES:
        return None
    return Decimal(m.group(1)) / 100


def looks_like_person(buyer_name: str) -> bool:
    """个人, or a short name of 2-4 Han characters with no organisation word in it."""
    if not buyer_name:
        return False
    if "个人" in buyer_name:
        return True
    return bool(re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", buyer_name)) and not ORG_SUFFIXES.search(buyer_name)


def code_kinds(code: str) -> set[str] | None:
    """Invoice types a 发票代码 allows, or None when the code does not say."""
    if len(code) == 12 and code.startswith("0"):
        return CODE12_KIND.get(code[-2:])
    if len(code) == 10:
        return CODE10_KIND.get(code[7])
    return None


def tax_id_verdict(value: str) -> tuple[list[str], list[str]]:
    """(reasons, support) for a 纳税人识别号 in normal form."""
    from stdnum.cn import ric, uscc

    if not re.fullmatch(r"[0-9A-Z]+", value):
        return [Reason.FORMAT_INVALID], []
    if len(value) == 18:
        if uscc.is_valid(value):
            return [], ["format_ok", "checksum_ok"]
        if ric.is_valid(value):
            # A person's 身份证号: its own check digit is weaker, so it is format only.
            return [], ["format_ok"]
        if not re.fullmatch(r"[0-9A-HJ-NP-RT-UW-Y]{18}", value):
            return [Reason.FORMAT_INVALID], []
        return [Reason.CHECKSUM_FAILED], []
    if len(value) in (15, 20):
        # Older taxpayer numbers carry no check character we can verify.
        return [], ["format_ok"]
    return [Reason.FORMAT_INVALID], []


# --- checks -------------------------------------------------------------------------


def _check_type(ctx: _Ctx) -> None:
    verdict = ctx.v("invoice_type")
    if ctx.type in ("", T.UNKNOWN):
        verdict.flag(Reason.NOT_FOUND)
    elif ctx.type in set(T):
        verdict.back("format_ok")
    else:
        verdict.flag(Reason.FORMAT_INVALID)


def _present_where_printed(ctx: _Ctx, value: str, verdict: Verdict, *, printed_on: Any) -> bool:
    """Codes 数电票 never print: a value there is invalid. Elsewhere a missing one is not_found on the
    types that print it (and on an unknown type, which cannot say it is legitimately absent).
    True when there is a value left to check."""
    if ctx.type in DIGITAL_TYPES:
        if value:
            verdict.flag(Reason.FORMAT_INVALID)
        return False
    if not value:
        if ctx.type in printed_on or ctx.type in ("", T.UNKNOWN):
            verdict.flag(Reason.NOT_FOUND)
        return False
    return True


def _check_code(ctx: _Ctx) -> None:
    code, verdict = ctx.values["invoice_code"], ctx.v("invoice_code")
    if not _present_where_printed(ctx, code, verdict, printed_on=CODE_LENGTHS):
        return
    allowed = CODE_LENGTHS.get(ctx.type, (10, 12))
    if not code.isdigit() or len(code) not in allowed:
        verdict.flag(Reason.FORMAT_INVALID)
        return
    verdict.back("format_ok")
    kinds = code_kinds(code)
    if kinds is None or ctx.type in ("", T.UNKNOWN):
        return
    if ctx.type in kinds:
        verdict.back("type_agrees")
        ctx.v("invoice_type").back("type_agrees")
    else:
        verdict.flag(Reason.TYPE_MISMATCH)
        ctx.v("invoice_type").flag(Reason.TYPE_MISMATCH)


def _check_number(ctx: _Ctx) -> None:
    number, verdict = ctx.values["invoice_number"], ctx.v("invoice_number")
    if not number:
        verdict.flag(Reason.NOT_FOUND)
        return
    if ctx.type in DIGITAL_TYPES:
        allowed = (20,)
    elif ctx.type in ("", T.UNKNOWN):
        allowed = (8, 20)
    else:
        allowed = (8,)
    if not number.isdigit() or len(number) not in (8, 20):
        verdict.flag(Reason.FORMAT_INVALID)
        return
    if len(number) not in allowed:
        # A number of the other family's length: either the number or the type is wrong.
        verdict.flag(Reason.FORMAT_INVALID)
        ctx.v("invoice_type").flag(Reason.TYPE_MISMATCH)
        return
    verdict.back("format_ok")
    issued = _iso(ctx.values["issue_date"])
    # 数电 numbers start with the two-digit year (secondary source): support only, never a reason.
    if len(number) == 20 and issued and number[:2] == f"{issued.year % 100:02d}":
        verdict.back("date_agrees")
        ctx.v("issue_date").back("date_agrees")


def _check_date(ctx: _Ctx) -> None:
    text, verdict = ctx.values["issue_date"], ctx.v("issue_date")
    if not text:
        verdict.flag(Reason.NOT_FOUND)
        return
    issued = _iso(text)
    if issued is None:
        verdict.flag(Reason.FORMAT_INVALID)
        return
    verdict.back("format_ok")
    earliest = FIRST_ISSUE.get(ctx.type, EARLIEST_DATE)
    if issued > ctx.today + FUTURE_SLACK or issued < earliest:
        verdict.flag(Reason.DATE_IMPLAUSIBLE)


def _is_shenzhen(ctx: _Ctx) -> bool:
    code = ctx.values["invoice_code"]
    return (len(code) == 12 and code[1:5] == "4403") or getattr(ctx.qr, "kind", "") == "shenzhen_url"


def _check_check_code(ctx: _Ctx) -> None:
    value, verdict = ctx.values["check_code"], ctx.v("check_code")
    if not _present_where_printed(ctx, value, verdict, printed_on=CHECK_CODE_TYPES):
        return
    if re.fullmatch(r"\d{20}", value) or (_is_shenzhen(ctx) and re.fullmatch(r"[0-9a-fA-F]{5}", value)):
        verdict.back("format_ok")
    else:
        verdict.flag(Reason.FORMAT_INVALID)


def _check_machine_number(ctx: _Ctx) -> None:
    value = ctx.values["machine_number"]
    if not value:
        return  # not a key field, and many layouts do not print it
    if re.fullmatch(r"\d{9,15}", value):
        ctx.v("machine_number").back("format_ok")
    else:
        ctx.v("machine_number").flag(Reason.FORMAT_INVALID)


def _check_names(ctx: _Ctx) -> None:
    for name, tax_id in PARTIES:
        value, verdict, places = ctx.values[name], ctx.v(name), places_of(ctx.values[tax_id])
        if not value:
            verdict.flag(Reason.NOT_FOUND)
        elif (CIPHER_CHARS.search(value) or not re.search(r"[\u4e00-\u9fffA-Za-z]", value) or len(value) < 2
              or CAPITAL_AMOUNT.fullmatch(value) or is_fragment(value, places) or misread_place(value, places)
              or not brackets_paired(value)):
            verdict.flag(Reason.FORMAT_INVALID)
        else:
            verdict.back("format_ok")


def _check_drawer_and_remarks(ctx: _Ctx) -> None:
    drawer = ctx.values["drawer"]
    if not drawer:
        ctx.v("drawer").flag(Reason.NOT_FOUND)  # every invoice prints its 开票人
    elif SIGNATURE_LABELS.fullmatch(drawer):
        ctx.v("drawer").flag(Reason.FORMAT_INVALID)  # the label read as its value (the 2010 specimen: 开票人)
    else:
        ctx.v("drawer").back("format_ok")
    if ctx.values["remarks"]:
        ctx.v("remarks").back("format_ok")


def _check_tax_ids(ctx: _Ctx) -> None:
    for name in ("buyer_tax_id", "seller_tax_id"):
        value, verdict = ctx.values[name], ctx.v(name)
        if not value:
            person_ok = (
                name == "buyer_tax_id"
                and ctx.type not in SPECIAL_TYPES
                and looks_like_person(ctx.values["buyer_name"])
            )
            if not person_ok:
                verdict.flag(Reason.NOT_FOUND)
            continue
        reasons, support = tax_id_verdict(value)
        for r in reasons:
            verdict.flag(r)
        for s in support:
            verdict.back(s)


def _check_money(ctx: _Ctx) -> None:
    for name in MONEY_FIELDS:
        value, verdict = ctx.values[name], ctx.v(name)
        if not value:
            verdict.flag(Reason.NOT_FOUND)
        elif _money(value) is None:
            verdict.flag(Reason.FORMAT_INVALID)
        else:
            verdict.back("format_ok")
    amount, tax, total = (_money(ctx.values[n]) for n in MONEY_FIELDS)
    if amount is None or tax is None or total is None:
        return
    if amount + tax == total:
        for n in MONEY_FIELDS:
            ctx.v(n).back("sum_ok")
    else:
        for n in MONEY_FIELDS:
            ctx.v(n).flag(Reason.SUM_MISMATCH)


def _check_words(ctx: _Ctx) -> None:
    words, verdict = ctx.values["amount_in_words"], ctx.v("amount_in_words")
    if not words:
        return  # structured XML does not carry the words; the figures stand on their other checks
    value = words_to_amount(words)
    if value is None:
        verdict.flag(Reason.FORMAT_INVALID)
        return
    verdict.back("format_ok")
    total = _money(ctx.values["amount_with_tax"])
    if total is None:
        return
    if value == total:
        # The figure is confirmed by the amount the words say; the words themselves only when they are read as
        # printed (a read that lost a glyph can still say the same amount: 拾壹万 for 壹拾壹万).
        if as_printed(words, total):
            verdict.back("words_agree")
        ctx.v("amount_with_tax").back("words_agree")
    else:
        verdict.flag(Reason.WORDS_FIGURES_MISMATCH)
        amount, tax = _money(ctx.values["total_amount"]), _money(ctx.values["total_tax"])
        if amount is None or tax is None or amount + tax != total:
            # Only when the figures do not confirm one another is the total as suspect as the words: a wrong
            # 价税合计 that still closes amount + tax needs a second, compensating misread; a long line of
            # 大写 glyphs misread once does not.
            ctx.v("amount_with_tax").flag(Reason.WORDS_FIGURES_MISMATCH)


def _totals_closed(ctx: _Ctx) -> bool:
    """The three totals confirm each other: amount + tax = total, and the 大写 (or the QR) names that total.

    Then a wrong 合计 figure would need a second, compensating misread and a third in the
    words, so when the lines do not add up to the 合计 row it is the lines that are wrong.
    """
    amount, tax, total = (_money(ctx.values[n]) for n in MONEY_FIELDS)
    if amount is None or tax is None or total is None or amount + tax != total:
        return False
    words = words_to_amount(ctx.values["amount_in_words"]) if ctx.values["amount_in_words"] else None
    if words is not None and words == total:
        return True
    qr = ctx.qr
    if qr is None or not getattr(qr, "amount", ""):
        return False
    named = total if qr.amount_kind == "with_tax" else amount
    return _money(qr.amount) == named


def _check_items(ctx: _Ctx) -> None:
    for values, verdicts in zip(ctx.items, ctx.out.items):
        _check_item(values, verdicts)
    if not ctx.items:
        return
    closed = _totals_closed(ctx)
    # A line whose figures are not figures (a rate that is no rate, a figure missing) had its columns misread: when
    # the totals still add up (amount + tax = total), the lines' sum is no evidence against them (seed 5239: the
    # amount column read into the rate, "1944.0013%", held a right 合计 in review). A line that is only inconsistent
    # (amount x rate not its tax) still testifies: any one of its three figures may be the wrong one.
    amount, tax, total = (_money(ctx.values[n]) for n in MONEY_FIELDS)
    if not closed and amount is not None and tax is not None and total is not None and amount + tax == total:
        garbled = {Reason.FORMAT_INVALID, Reason.NOT_FOUND}
        closed = any(set(verdicts[n].reasons) & garbled for verdicts in ctx.out.items for n in ("amount", "tax", "tax_rate"))
    amounts = [_money(item["amount"]) for item in ctx.items]
    taxes = [_money(item["tax"]) for item in ctx.items]
    n = len(ctx.items)
    tax_tolerance = min(TAX_SUM_TOLERANCE_MAX, TAX_SUM_TOLERANCE_PER_LINE * n)
    for field_name, parts, total_name, tolerance in (
        ("amount", amounts, "total_amount", Decimal(0)),
        ("tax", taxes, "total_tax", tax_tolerance),
    ):
        total = _money(ctx.values[total_name])
        if total is None or any(p is None for p in parts):
            continue
        diff = abs(sum(parts, Decimal(0)) - total)
        if diff == 0 and n == 1:
            # One line: the same figure printed twice in the same font. Read by the same recognizer, a confusion
            # (7 read as 1) repeats in both, so the agreement confirms nothing (seeds 5200-5279: one such total).
            continue
        if diff == 0:
            ctx.v(total_name).back("items_agree")
            for verdicts in ctx.out.items:
                verdicts[field_name].back("items_agree")
        elif diff > tolerance:
            if not closed:
                ctx.v(total_name).flag(Reason.SUM_MISMATCH)
            for verdicts in ctx.out.items:
                verdicts[field_name].flag(Reason.SUM_MISMATCH)


def _check_item(values: dict[str, str], verdicts: dict[str, Verdict]) -> None:
    for name in ("name", "amount", "tax", "tax_rate"):
        if not values[name]:
            verdicts[name].flag(Reason.NOT_FOUND)
    # Item text is free: '/', '+' and '*类别*' tags are all printed in real names.
    for name in ("name", "spec", "unit"):
        if values[name]:
            verdicts[name].back("format_ok")
    amount, tax = _money(values["amount"]), _money(values["tax"])
    for name, parsed in (("amount", amount), ("tax", tax)):
        if values[name] and parsed is None:
            verdicts[name].flag(Reason.FORMAT_INVALID)
        elif parsed is not None:
            verdicts[name].back("format_ok")
    rate = _rate(values["tax_rate"]) if values["tax_rate"] else None
    if values["tax_rate"]:
        if rate is None:
            verdicts["tax_rate"].flag(Reason.FORMAT_INVALID)
        else:
            verdicts["tax_rate"].back("format_ok")
    quantity = _number(values["quantity"]) if values["quantity"] else None
    price = _number(values["unit_price"]) if values["unit_price"] else None
    for name, parsed in (("quantity", quantity), ("unit_price", price)):
        if values[name] and parsed is None:
            verdicts[name].flag(Reason.FORMAT_INVALID)
        elif parsed is not None:
            verdicts[name].back("format_ok")

    if amount is not None and tax is not None and rate is not None:
        if abs(tax_at(amount, rate) - tax) <= LINE_TAX_TOLERANCE:
            for name in ("amount", "tax", "tax_rate"):
                verdicts[name].back("rate_ok")
        else:
            verdicts["tax"].flag(Reason.SUM_MISMATCH)
            verdicts["tax_rate"].flag(Reason.SUM_MISMATCH)

    if amount is not None and quantity is not None and price is not None:
        # The printed price and quantity are rounded themselves: allow half a unit of their last place.
        slack = Decimal("0.01") + abs(quantity) * _half_ulp(values["unit_price"]) + abs(price) * _half_ulp(values["quantity"])
        product = quantity * price
        with_tax = amount + (tax or 0)
        # Some invoices print a tax-inclusive unit price.
        if abs(product - amount) <= slack or (tax is not None and abs(product - with_tax) <= slack):
            for name in ("quantity", "unit_price", "amount"):
                verdicts[name].back("qty_price_ok")
        else:
            verdicts["quantity"].flag(Reason.SUM_MISMATCH)
            verdicts["unit_price"].flag(Reason.SUM_MISMATCH)


def tax_at(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax on `amount` at `rate` (a fraction), to the cent, half up: what the invoicing software prints."""
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _half_ulp(text: str) -> Decimal:
    places = len(text.split(".", 1)[1]) if "." in text else 0
    return Decimal(5) * Decimal(10) ** -(places + 1)


def _check_qr(ctx: _Ctx) -> None:
    qr = ctx.qr
    if qr is None:
        return
    pairs = [("invoice_number", qr.number), ("invoice_code", qr.code), ("check_code", qr.check_code)]
    pairs.append(("issue_date", qr.date))
    pairs.append((qr.amount_field, qr.amount))
    if qr.invoice_type and qr.invoice_type != T.UNKNOWN:
        pairs.append(("invoice_type", qr.invoice_type))
    for name, from_qr in pairs:
        ours = ctx.values[name]
        if not from_qr or not ours:
            continue
        same = _money(ours) == _money(from_qr) if name in MONEY_FIELDS else ours == from_qr
        if same:
            ctx.v(name).back("qr_agrees")
            if name in MONEY_FIELDS:
                # The QR's copy confirms this figure: the totals that do not add up point at the other two.
                ctx.v(name).clear(Reason.SUM_MISMATCH)
                ctx.v(name).clear(Reason.WORDS_FIGURES_MISMATCH)
        else:
            ctx.v(name).flag(Reason.QR_MISMATCH)
    # Shenzhen verify URLs end their hash with the printed 5-character 校验码 (both real
    # samples do); too few samples to call a difference a mismatch, so agreement only.
    check_code = ctx.values["check_code"].lower()
    if getattr(qr, "kind", "") == "shenzhen_url" and len(check_code) == 5:
        m = re.search(r"[?&]hash=([0-9a-fA-F]+)", getattr(qr, "raw", ""))
        if m and m.group(1).lower().endswith(check_code):
            ctx.v("check_code").back("qr_agrees")


_STEPS = (
    _check_type,
    _check_code,
    _check_number,
    _check_date,
    _check_check_code,
    _check_machine_number,
    _check_names,
    _check_drawer_and_remarks,
    _check_tax_ids,
    _check_money,
    _check_words,
    _check_items,
    _check_qr,
)
