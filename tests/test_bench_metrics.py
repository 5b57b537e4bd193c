"""The benchmark's tally: what it counts is what the README's figures say."""

from __future__ import annotations

from bench.metrics import Tally
from intake.invoice import FIELDS, FieldValue, Invoice


def _invoice(values: dict[str, tuple[str, str]]) -> Invoice:
    inv = Invoice(page=1)
    for name in FIELDS:
        value, status = values.get(name, ("", "accepted"))
        inv.fields[name] = FieldValue(value=value, status=status, source="ocr")
    return inv


def test_fields_beyond_the_key_fields_are_counted_when_accepted_wrong():
    truth = {"invoice_number": "12345678", "remarks": "订单号:dd1", "machine_number": "", "drawer": "王芳"}
    inv = _invoice({"invoice_number": ("12345678", "accepted"), "remarks": ("", "accepted"),
                    "machine_number": ("", "accepted"), "drawer": ("王方", "needs_review")})
    t = Tally()
    t.add_invoice("case", inv, truth)
    assert (t.fields, t.correct, t.accepted_wrong) == (1, 1, 0)
    # The remark accepted empty is wrong; the machine number accepted empty is right; the drawer is in review.
    assert (t.other_accepted, dict(t.other_accepted_wrong)) == (2, {"remarks": 1})
    assert "other fields accepted     1 wrong of 2 (remarks 1)" in t.lines("x")
    assert any("remarks: got '' want '订单号:dd1' (accepted, not a key field)" in e for e in t.errors)
