"""Scoring extractions against ground truth: key-field accuracy, accepted errors, straight-through, review recall."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from intake.invoice import FIELDS, KEY_FIELDS, Extraction, Invoice

# The contract's other fields: no invoice waits on them, but "accepted means right" holds for them too.
OTHER_FIELDS = tuple(n for n in FIELDS if n not in KEY_FIELDS)


@dataclass
class Tally:
    fields: int = 0
    correct: int = 0
    accepted: int = 0
    accepted_wrong: int = 0
    wrong: int = 0
    wrong_flagged: int = 0
    invoices: int = 0
    straight_through: int = 0
    missing_invoices: int = 0
    pages: int = 0
    seconds: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # "case field: got X want Y (status)"
    per_field_wrong: Counter = field(default_factory=Counter)
    other_accepted: int = 0
    other_accepted_wrong: Counter = field(default_factory=Counter)
    # What holds invoices back from straight-through: each key field not accepted, counted once per invoice it holds,
    # and how many held invoices had every held value right (review that found nothing to correct).
    held_by: Counter = field(default_factory=Counter)
    held_all_right: int = 0
    # One row per invoice scored, for analysis beyond the printed figures (`bench.scans --rows FILE`).
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add_invoice(self, case: str, inv: Invoice | None, truth: dict[str, Any]) -> None:
        """Truth values of None are unknown and not scored."""
        self.invoices += 1
        if inv is None:
            self.missing_invoices += 1
            for name in KEY_FIELDS:
                if truth.get(name) is not None:
                    self.fields += 1
                    self.wrong += 1
                    self.errors.append(f"{case} {name}: no invoice found")
            self.rows.append({"case": case, "found": False})
            return
        if not inv.needs_review:
            self.straight_through += 1
        else:
            held = [n for n in KEY_FIELDS if inv.fields[n].status != "accepted"]
            self.held_by.update(held)
            self.held_all_right += all(truth.get(n) is None or inv.fields[n].value == truth[n] for n in held)
        self.rows.append({
            "case": case, "found": True, "straight_through": not inv.needs_review,
            "fields": {n: {"value": inv.fields[n].value, "truth": truth.get(n), "status": str(inv.fields[n].status),
                           "confidence": round(float(inv.fields[n].confidence), 4), "reasons": list(inv.fields[n].reasons),
                           "support": list(inv.fields[n].support)}
                       for n in (*KEY_FIELDS, *OTHER_FIELDS)},
        })
        for name in KEY_FIELDS:
            want = truth.get(name)
            if want is None:
                continue
            fv = inv.fields[name]
            self.fields += 1
            ok = fv.value == want
            accepted = fv.status == "accepted"
            self.accepted += accepted
            if ok:
                self.correct += 1
            else:
                self.wrong += 1
                self.per_field_wrong[name] += 1
                if accepted:
                    self.accepted_wrong += 1
                else:
                    self.wrong_flagged += 1
                self.errors.append(f"{case} {name}: got {fv.value!r} want {want!r} ({fv.status} {fv.confidence:.2f} {','.join(fv.reasons)})")

        for name in OTHER_FIELDS:
            want, fv = truth.get(name), inv.fields[name]
            if want is None or fv.status != "accepted":
                continue
            self.other_accepted += 1
            if fv.value != want:
                self.other_accepted_wrong[name] += 1
                self.errors.append(f"{case} {name}: got {fv.value!r} want {want!r} (accepted, not a key field)")

    def add_extraction(self, case: str, ex: Extraction | None, truths: list[dict[str, Any]]) -> None:
        invoices = ex.invoices if ex else []
        for i, truth in enumerate(truths):
            self.add_invoice(case, invoices[i] if i < len(invoices) else None, truth)
        if ex:
            self.pages += max(ex.page_count, 1)
            for k, v in ex.timings.items():
                self.seconds[k] += v

    def lines(self, title: str) -> list[str]:
        pct = lambda a, b: f"{100.0 * a / b:.2f}%" if b else "n/a"
        out = [
            f"== {title}",
            f"invoices {self.invoices} (not found {self.missing_invoices}), key fields scored {self.fields}",
            f"key-field accuracy        {pct(self.correct, self.fields)}  ({self.correct}/{self.fields})",
            f"accepted-error rate       {pct(self.accepted_wrong, self.accepted)}  ({self.accepted_wrong} wrong of {self.accepted} accepted)",
            f"straight-through rate     {pct(self.straight_through, self.invoices)}  ({self.straight_through}/{self.invoices})",
            f"review recall             {pct(self.wrong_flagged, self.wrong)}  ({self.wrong_flagged} of {self.wrong} wrong values flagged)",
        ]
        if self.other_accepted:
            wrong = sum(self.other_accepted_wrong.values())
            by = ", ".join(f"{k} {v}" for k, v in self.other_accepted_wrong.most_common())
            out.append(f"other fields accepted     {wrong} wrong of {self.other_accepted}" + (f" ({by})" if by else ""))
        if self.pages:
            total = sum(self.seconds.values())
            stages = ", ".join(f"{k} {v / self.pages:.3f}" for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1]))
            out.append(f"seconds per page          {total / self.pages:.3f}  ({stages})")
        held = self.invoices - self.missing_invoices - self.straight_through
        if held:
            by = ", ".join(f"{k} {v}" for k, v in self.held_by.most_common())
            out.append(f"held for review           {held} invoices, {self.held_all_right} with every held value right; by field: {by}")
        if self.per_field_wrong:
            out.append("wrong by field            " + ", ".join(f"{k} {v}" for k, v in self.per_field_wrong.most_common()))
        return out


def group_by(items: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    d: dict[str, list[Any]] = defaultdict(list)
    for k, v in items:
        d[k].append(v)
    return d
