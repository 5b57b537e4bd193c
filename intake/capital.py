"""Capital (大写) amounts: figures to the printed words, and printed words (with OCR noise) back to figures."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
_GROUP_UNITS = ("", "万", "亿", "万亿")

# Traditional forms and look-alike misreads that cannot mean anything else in a capital
# amount; anything not listed here makes the parse fail rather than guess.
_CONFUSIONS = str.maketrans(
    {
        "圓": "圆", "园": "圆", "園": "圆", "貳": "贰", "贳": "贰", "參": "叁", "叄": "叁", "参": "叁",
        "陸": "陆", "萬": "万", "億": "亿", "〇": "零", "○": "零", "O": "零",
        "肄": "肆", "染": "柒", "抬": "拾", "伯": "佰", "任": "仟", "玫": "玖",
        "圜": "圆", "圈": "圆", "式": "贰", "壶": "壹", "壸": "壹", "正": "整", "渠": "柒",
        "查": "壹",  # first run 29202, a phone photo: 捌仟伍佰肆拾查圆查角伍分
    }
)
# Printed around the words: the ⊗/ⓧ start mark, brackets of the 大写/小写 labels, spaces.
_LABELS = re.compile(r"[(（]?(?:价税合计|大写)[)）]?|合计|[:：]")
_NOISE = re.compile(r"[()（）\[\]【】]")
_NEGATIVE = re.compile(r"^\s*(?:[(（]\s*负数\s*[)）]|负数|负|-|−)")


def amount_to_words(amount: Decimal, *, zero_before_jiao: bool = False, zheng_after_jiao: bool = False) -> str:
    """The printed 大写 of an amount, as the tax system prints it.

    Real invoices print 贰仟壹佰伍拾圆陆角叁分 (2150.63) and 叁拾柒圆贰角 (37.20): no 零 between
    a zero 圆 digit and the 角, no 整 after 角. Bank-style writing (DOMAIN.md's
    贰拾万陆仟圆零柒角伍分) is available with the two keyword switches.
    """
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    prefix = "（负数）" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)

    words = _integer_words(yuan) if yuan else ""
    if yuan:
        words += "圆"
    if not jiao and not fen:
        return prefix + (words or "零圆") + "整"
    if jiao:
        if yuan and zero_before_jiao and yuan % 10 == 0:
            words += "零"
        words += _DIGITS[jiao] + "角"
    if fen:
        if not jiao and yuan:
            words += "零"
        words += _DIGITS[fen] + "分"
    elif zheng_after_jiao:
        words += "整"
    return prefix + words


def _integer_words(n: int) -> str:
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out = ""
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or g < 1000):
            out += "零"
        out += _group_words(g) + _GROUP_UNITS[index]
        pending_zero = False
    return out


def _group_words(g: int) -> str:
    out = ""
    zero = False
    for unit, name in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        d = (g // unit) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + name
    return out


def _bare(text: str) -> tuple[bool, str]:
    """(negative, the words alone): the printer's start mark, spaces, the labels, brackets and the 小写 figure that
    often follows on the same line taken off, 元 written 圆."""
    # Marks go before NFKC, which would turn ⓧ into a plain 'x'.
    t = unicodedata.normalize("NFKC", re.sub(r"[\s⊗ⓧⓍ⨂×]", "", text))
    t = re.split(r"小写|[¥￥]", t, maxsplit=1)[0]
    t = _LABELS.sub("", t)
    m = _NEGATIVE.match(t)
    if m:
        t = t[m.end():]
    return m is not None, _NOISE.sub("", t).replace("元", "圆")


def _forms(text: str, amount: Decimal) -> tuple[str, list[str]]:
    """(the words alone, 正 as 整; every way the tax system or a bank writes `amount`: amount_to_words and its
    variants)."""
    value = abs(Decimal(amount))
    return _bare(text)[1].replace("正", "整"), [amount_to_words(value, zero_before_jiao=zero, zheng_after_jiao=zheng)
                                                for zero in (False, True) for zheng in (False, True)]


def as_printed(text: str, amount: Decimal) -> bool:
    """Whether the words are, glyph for glyph, a way the tax system or a bank writes `amount` (amount_to_words and its
    variants; 元 for 圆, 正 for 整, the ⊗ mark and the label aside). A read that parses to the amount but lost or
    misread a glyph (拾壹万 for 壹拾壹万; 式 for 贰, which the parser puts back) is not."""
    t, forms = _forms(text, amount)
    return t in forms


def cut_from(text: str, amount: Decimal) -> bool:
    """Whether the words are the tail of a way `amount` is written, its head lost (a photo's edge, the detector
    stopping short: 贰角贰分 read of 捌拾玖圆贰角贰分). Such words neither say `amount` nor another."""
    t, forms = _forms(text, amount)
    return bool(t) and any(len(t) < len(w) and w.endswith(t) for w in forms)


def unconfused(text: str) -> str:
    """`text` with the glyphs above put back to the capital numerals they stand for (渠 read for 柒: first run 15898)."""
    return text.translate(_CONFUSIONS)


# The glyphs a capital amount is written in: its numerals, their units and the currency's.
_CAPITAL_GLYPHS = frozenset(_DIGITS + "拾佰仟万亿圆元角分整")
# A text of at least CAPITAL_TEXT_MIN glyphs, this share of them capital glyphs (their look-alikes counted), is a
# capital amount however misread: no company's name is so written.
CAPITAL_TEXT_SHARE = 0.6
CAPITAL_TEXT_MIN = 3


def reads_as_capital(text: str) -> bool:
    """Whether `text` is a capital amount's words, or a piece of them, read with glyphs wrong (陆伯伍抬以万氟 for
    陆佰伍拾玖万…; 角贰分, a tail): CAPITAL_TEXT_SHARE of its Chinese glyphs or more are capital glyphs once their
    look-alikes are put back (`unconfused`)."""
    glyphs = [c for c in unconfused(text) if "\u4e00" <= c <= "\u9fff"]
    return len(glyphs) >= CAPITAL_TEXT_MIN and sum(c in _CAPITAL_GLYPHS for c in glyphs) >= CAPITAL_TEXT_SHARE * len(glyphs)


def words_to_amount(text: str) -> Decimal | None:
    """Parse printed 大写 words ('⊗玖佰陆拾贰元整', '（负数）叁佰圆整', '贰拾肆圆零柒分'); None when not a clean amount."""
    if not text:
        return None
    negative, t = _bare(text)
    t = unconfused(t)
    if not t:
        return None
    if t.count("圆") > 1:
        return None
    if "圆" in t:
        whole, _, rest = t.partition("圆")
        yuan = _parse_integer(whole)
    else:
        whole, rest = "", t
        yuan = 0
    cents = _parse_cents(rest)
    if yuan is None or cents is None:
        return None
    if not whole and not rest.strip("零整"):
        return None
    value = Decimal(yuan) + Decimal(cents) / 100
    value = value.quantize(Decimal("0.01"))
    return -value if negative else value


def _parse_integer(text: str) -> int | None:
    """'贰佰捌拾玖万玖仟捌佰零肆' -> 2899804; None on digits without units, units out of order, or foreign characters."""
    if text == "":
        return None
    total = 0  # completed 亿 part
    wan = 0  # completed 万 part below 亿
    section = 0  # below 万
    digit: int | None = None
    last_small = 10_000  # units within a section must descend
    seen_wan = False
    after_zero = False
    for ch in text:
        if ch in _DIGITS:
            d = _DIGITS.index(ch)
            if d == 0:
                if digit:
                    return None
                digit, after_zero = None, True
                continue
            if digit is not None:
                return None
            digit = d
            continue
        after_zero = False
        if ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            if unit >= last_small:
                return None
            if digit is None:
                # '拾圆' for 10 is a colloquial form; accept it only at the very start.
                if unit != 10 or section or wan or total:
                    return None
                digit = 1
            section += digit * unit
            digit = None
            last_small = unit
        elif ch == "万":
            if seen_wan:
                return None
            section += digit or 0
            if section == 0:
                return None
            wan, section, digit, last_small, seen_wan = section, 0, None, 10_000, True
        elif ch == "亿":
            part = wan * 10_000 + section + (digit or 0)
            if part == 0 or total:
                return None
            total, wan, section, digit, last_small, seen_wan = part, 0, 0, None, 10_000, False
        else:
            return None
    if digit is not None and not (after_zero or last_small == 10 or not (total or wan or section)):
        # '壹万伍' / '壹仟伍' say 15000 / 1500 in speech but 10005 / 1005 need a 零: ambiguous.
        return None
    section += digit or 0
    return total * 100_000_000 + wan * 10_000 + section


def _parse_cents(text: str) -> int | None:
    """'零柒角伍分', '陆角', '零柒分', '整', '' -> cents; None for anything else."""
    m = re.fullmatch(r"零?(?:([壹贰叁肆伍陆柒捌玖])角)?零?(?:([壹贰叁肆伍陆柒捌玖])分)?(整?)", text)
    if not m:
        return None
    jiao, fen, zheng = m.groups()
    if fen and zheng:
        return None
    return (_DIGITS.index(jiao) if jiao else 0) * 10 + (_DIGITS.index(fen) if fen else 0)
