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


def test_held_invoices_are_counted_by_the_fields_that_hold_them():
    truth = {"invoice_number": "12345678", "seller_name": "天海立", "buyer_name": "西华大学"}
    right_but_held = _invoice({"invoice_number": ("12345678", "accepted"), "seller_name": ("天海立", "needs_review")})
    wrong_and_held = _invoice({"seller_name": ("大海立", "needs_review"), "buyer_name": ("西华大学", "needs_review")})
    passed = _invoice({"invoice_number": ("12345678", "accepted")})
    t = Tally()
    for case, inv in (("a", right_but_held), ("b", wrong_and_held), ("c", passed)):
        t.add_invoice(case, inv, truth)
    t.add_invoice("d", None, truth)
    assert (t.straight_through, t.held_all_right, dict(t.held_by)) == (1, 1, {"seller_name": 2, "buyer_name": 1})
    assert "held for review           2 invoices, 1 with every held value right; by field: seller_name 2, buyer_name 1" in t.lines("x")
    rows = {r["case"]: r for r in t.rows}
    assert rows["d"] == {"case": "d", "found": False}
    assert rows["b"]["straight_through"] is False and rows["c"]["straight_through"] is True
    assert rows["b"]["fields"]["seller_name"] | {"confidence": 0} == {
        "value": "大海立", "truth": "天海立", "status": "needs_review", "confidence": 0, "reasons": [], "support": []}
