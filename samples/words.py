"""Capital amounts (大写) as invoices print them, written independently of intake.capital so each checks the other."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _group(n: int) -> str:
    """A number below 10000 with its inner zeros ('壹仟零伍')."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10**pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[pos]
    return out


def _integer(n: int) -> str:
    if n == 0:
        return ""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    need_zero = False
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out += "零"
        out += _group(g) + _BIG_UNITS[idx]
        need_zero = False
    return out


def amount_to_words(amount: Decimal | str) -> str:
    """Decimal('206000.75') -> '贰拾万陆仟圆柒角伍分'; '37.20' -> '叁拾柒圆贰角'; negative -> '（负数）…'."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    prefix = "（负数）" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    out = _integer(yuan)
    if yuan:
        out += "圆"
    if jiao == 0 and fen == 0:
        return prefix + (out or "零圆") + "整"
    # As the tax software prints: '叁拾柒圆贰角' (no 整 after 角), '贰拾肆圆零柒分'.
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return prefix + out
