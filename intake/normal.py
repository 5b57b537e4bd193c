"""Normal forms of CONTRACT.md: how a printed value becomes the stored string (money, dates, codes, names, tax ids)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_FULLWIDTH = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"．": ".", "，": ",", "－": "-", "￥": "¥", "：": ":", "　": " "}
)


def halfwidth_ascii(text: str) -> str:
    """Full-width digits, Latin letters and money punctuation to ASCII; brackets and CJK untouched."""
    return text.translate(_FULLWIDTH)


def digits(text: str) -> str:
    return re.sub(r"\D", "", halfwidth_ascii(text))


def money(text: str | Decimal | float | int | None) -> str:
    """'¥1,000.5' -> '1000.50'; '-1000' -> '-1000.00'; '' when there is no number."""
    if text is None:
        return ""
    if isinstance(text, (Decimal, int, float)):
        value = Decimal(str(text))
    else:
        t = halfwidth_ascii(text).replace("¥", "").replace("￥", "").replace(",", "").replace(" ", "")
        t = t.replace("−", "-").replace("—", "-")
        m = re.search(r"-?\d+(?:\.\d+)?", t)
        if not m:
            return ""
        try:
            value = Decimal(m.group(0))
        except InvalidOperation:
            return ""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def to_decimal(value: str) -> Decimal | None:
    if value in ("", None):
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        return None


_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)


def iso_date(text: str) -> str:
    """'2023年06月25日', '2023-6-25', '20230625' -> '2023-06-25'; '' when no valid date."""
    t = halfwidth_ascii(text)
    for pattern in _DATE_PATTERNS:
        m = pattern.search(t)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d).isoformat()
            except ValueError:
                return ""
    return ""


def tax_id(text: str) -> str:
    """Upper-case, no spaces or separators; full-width letters and digits made ASCII."""
    return re.sub(r"[^0-9A-Z]", "", halfwidth_ascii(text).upper())


def name(text: str) -> str:
    """Company/person names: as printed, spaces removed, ASCII brackets made full-width (as printed on invoices)."""
    t = unicodedata.normalize("NFC", text)
    t = re.sub(r"\s+", "", t)
    t = t.replace("(", "（").replace(")", "）")
    return t


def check_code(text: str) -> str:
    """校验码 without spaces (20 digits on most invoices, short hex on Shenzhen blockchain invoices)."""
    return re.sub(r"\s+", "", halfwidth_ascii(text))


def tax_rate(text: str) -> str:
    """'13%', '6%', '免税', '不征税' as printed; '0.13' -> '13%'."""
    t = halfwidth_ascii(text).strip().replace("％", "%")
    if "免税" in t:
        return "免税"
    if "不征税" in t:
        return "不征税"
    m = re.search(r"(\d+(?:\.\d+)?)\s*%", t)
    if m:
        v = Decimal(m.group(1)).normalize()
        return f"{v:f}%"
    m = re.fullmatch(r"0?\.(\d+)", t)
    if m:
        v = (Decimal("0." + m.group(1)) * 100).normalize()
        return f"{v:f}%"
    return t
