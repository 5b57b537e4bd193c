"""Writing scored invoices into the database and reading them back as pipeline objects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.invoice import FIELDS, ITEM_FIELDS, MONEY_FIELDS, READING_REASONS, FieldValue, Invoice, Status
from intake.normal import to_decimal
from intake.schema import (
    Document,
    Event,
    EventOutcome,
    FieldRecord,
    InvoiceRecord,
    InvoiceStatus,
    LineItem,
    ReviewTask,
    TaskState,
)

TEXT_COLUMNS = tuple(f for f in FIELDS if f not in MONEY_FIELDS and f != "issue_date")


def invoice_key(values: dict[str, str]) -> str | None:
    """The identity of an invoice across files: the 20-digit number (数电票), else code + number.

    The code already encodes the invoice kind, so the printed type is not part of the key:
    a misread type must not let the same invoice in twice.
    """
    number = values.get("invoice_number", "")
    code = values.get("invoice_code", "")
    if len(number) == 20 and number.isdigit():
        return f"N:{number}"
    if number.isdigit() and len(number) == 8 and code.isdigit() and len(code) in (10, 12):
        return f"C:{code}:{number}"
    return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _money(value: str) -> Decimal | None:
    d = to_decimal(value)
    if d is None or abs(d) >= Decimal("1e12"):
        return None
    return d


def set_columns(rec: InvoiceRecord, values: dict[str, str]) -> None:
    """Copy contract values onto the typed columns (money as Numeric, the date as Date)."""
    for name in TEXT_COLUMNS:
        column = InvoiceRecord.__table__.columns[name]
        limit = getattr(column.type, "length", None)
        v = values.get(name, "")
        setattr(rec, name, v[:limit] if limit else v)
    rec.issue_date = _date(values.get("issue_date", ""))
    for name in MONEY_FIELDS:
        setattr(rec, name, _money(values.get(name, "")))


def set_items(rec: InvoiceRecord, items: list[dict[str, str]]) -> None:
    rec.items.clear()
    for pos, item in enumerate(items):
        rec.items.append(
            LineItem(
                position=pos,
                name=item.get("name", "")[:255],
                spec=item.get("spec", "")[:128],
                unit=item.get("unit", "")[:32],
                quantity=item.get("quantity", "")[:32],
                unit_price=item.get("unit_price", "")[:32],
                amount=_money(item.get("amount", "")),
                tax_rate=item.get("tax_rate", "")[:16],
                tax=_money(item.get("tax", "")),
            )
        )


def _field_record(name: str, fv: FieldValue, position: int) -> FieldRecord:
    return FieldRecord(
        item_position=position,
        name=name,
        value=fv.value,
        confidence=float(fv.confidence),
        raw_confidence=float(fv.raw_confidence),
        status=str(fv.status),
        reasons=list(fv.reasons),
        source=str(fv.source),
        bbox=[float(v) for v in fv.box] if fv.box is not None else None,
        page=fv.page,
        support=list(fv.support),
    )


def set_field_records(rec: InvoiceRecord, invoice: Invoice) -> None:
    rec.field_values.clear()
    for name in FIELDS:
        rec.field_values.append(_field_record(name, invoice.fields[name], -1))
    for pos, item in enumerate(invoice.items):
        for name in ITEM_FIELDS:
            fv = item.get(name) or FieldValue(value="", found=False)
            rec.field_values.append(_field_record(name, fv, pos))


def review_reasons(invoice: Invoice) -> list[str]:
    reasons: list[str] = []
    for name in FIELDS:
        fv = invoice.fields[name]
        if fv.status != Status.ACCEPTED:
            for r in fv.reasons or ["ocr_low_confidence"]:
                tag = f"{name}:{r}"
                if tag not in reasons:
                    reasons.append(tag)
    return reasons


def find_primary(session: Session, key: str) -> InvoiceRecord | None:
    return session.scalars(select(InvoiceRecord).where(InvoiceRecord.dedup_key == key)).first()


def record_invoice(session: Session, document: Document, invoice: Invoice) -> InvoiceRecord:
    """Add one scored invoice of `document`: columns, evidence, items, and a review task when needed.

    The same invoice (same key) already recorded, from another file or from another page
    of this one, makes this one a duplicate: kept for the trail, linked to the first, never a second final record.
    """
    values = invoice.values()
    key = invoice_key(values)
    primary = find_primary(session, key) if key else None
    rec = InvoiceRecord(document=document, page=invoice.page, qr_payload=invoice.qr_payload)
    set_columns(rec, values)
    set_items(rec, [{k: fv.value for k, fv in item.items()} for item in invoice.items])
    set_field_records(rec, invoice)
    if primary is not None:  # another file, or the same invoice twice in one file (发票联 + 抵扣联)
        rec.status = InvoiceStatus.DUPLICATE
        rec.duplicate_of_id = primary.id
    else:
        rec.dedup_key = key
        rec.status = InvoiceStatus.NEEDS_REVIEW if invoice.needs_review else InvoiceStatus.ACCEPTED
    session.add(rec)
    session.flush()
    if rec.status == InvoiceStatus.NEEDS_REVIEW:
        session.add(ReviewTask(invoice_id=rec.id, state=TaskState.OPEN, reasons=review_reasons(invoice)))
    if rec.status == InvoiceStatus.DUPLICATE:
        session.add(
            Event(
                document_id=document.id,
                invoice_id=rec.id,
                path=document.original_path,
                stage="duplicate_invoice",
                outcome=EventOutcome.DUPLICATE,
                reason="duplicate_invoice",
                message=f"invoice {values.get('invoice_code', '')} {values.get('invoice_number', '')} "
                f"was already recorded as invoice #{rec.duplicate_of_id}",
            )
        )
    else:
        session.add(
            Event(
                document_id=document.id,
                invoice_id=rec.id,
                path=document.original_path,
                stage="recorded",
                outcome=EventOutcome.OK,
                reason=str(rec.status),
                message=f"page {invoice.page}: invoice #{rec.id} "
                + ("needs review: " + ", ".join(review_reasons(invoice)) if rec.status == InvoiceStatus.NEEDS_REVIEW else "accepted"),
            )
        )
    return rec


def invoice_from_record(rec: InvoiceRecord) -> Invoice:
    """The stored invoice as a pipeline object (values and evidence), e.g. to re-validate after an edit."""
    invoice = Invoice(page=rec.page, qr_payload=rec.qr_payload)
    items: dict[int, dict[str, FieldValue]] = {}
    for fr in rec.field_values:
        fv = FieldValue(
            value=fr.value,
            source=fr.source,
            raw_confidence=float(fr.raw_confidence if fr.raw_confidence is not None else (fr.confidence or 0.0)),
            box=tuple(fr.bbox) if fr.bbox else None,  # type: ignore[arg-type]
            page=fr.page,
            # Validation and scoring reasons are derived again; a reading's own doubts (intake.parties) are kept.
            reasons=[r for r in (fr.reasons or []) if r in READING_REASONS],
            support=list(fr.support or []),
            confidence=float(fr.confidence or 0.0),
            status=fr.status,
            found=bool(fr.value) or fr.status == Status.ACCEPTED,
        )
        if fr.item_position < 0:
            invoice.fields[fr.name] = fv
        else:
            items.setdefault(fr.item_position, {})[fr.name] = fv
    invoice.items = [items[k] for k in sorted(items)]
    return invoice

