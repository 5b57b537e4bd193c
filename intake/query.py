"""Questions asked of the database: find invoices, where is this file or invoice, export rows."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from intake.errors import NotFoundError
from intake.invoice import FIELDS, ITEM_FIELDS
from intake.preflight import sha256_of
from intake.schema import Document, Event, InvoiceRecord


def invoice_values(rec: InvoiceRecord) -> dict[str, str]:
    """The record's contract values as strings (money in two places, date ISO)."""
    out: dict[str, str] = {}
    for name in FIELDS:
        v = getattr(rec, name)
        if v is None:
            out[name] = ""
        elif isinstance(v, Decimal):
            out[name] = f"{v:.2f}"
        elif isinstance(v, date):
            out[name] = v.isoformat()
        else:
            out[name] = str(v)
    return out


def item_values(rec: InvoiceRecord) -> list[dict[str, str]]:
    items = []
    for it in rec.items:
        d = {}
        for name in ITEM_FIELDS:
            v = getattr(it, name)
            d[name] = "" if v is None else (f"{v:.2f}" if isinstance(v, Decimal) else str(v))
        items.append(d)
    return items


def get_invoice(session: Session, invoice_id: int) -> InvoiceRecord:
    rec = session.get(
        InvoiceRecord,
        invoice_id,
        options=[selectinload(InvoiceRecord.field_values), selectinload(InvoiceRecord.items), selectinload(InvoiceRecord.document)],
    )
    if rec is None:
        raise NotFoundError(f"no invoice #{invoice_id}")
    return rec


@dataclass
class Criteria:
    number: str | None = None
    code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    buyer: str | None = None
    seller: str | None = None
    tax_id: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    statuses: list[str] = field(default_factory=list)
    limit: int = 200


def find_invoices(session: Session, c: Criteria) -> list[InvoiceRecord]:
    q = select(InvoiceRecord).options(selectinload(InvoiceRecord.document))
    if c.number:
        q = q.where(InvoiceRecord.invoice_number.contains(c.number))
    if c.code:
        q = q.where(InvoiceRecord.invoice_code == c.code)
    if c.date_from:
        q = q.where(InvoiceRecord.issue_date >= c.date_from)
    if c.date_to:
        q = q.where(InvoiceRecord.issue_date <= c.date_to)
    if c.buyer:
        q = q.where(or_(InvoiceRecord.buyer_name.contains(c.buyer), InvoiceRecord.buyer_tax_id == c.buyer.upper()))
    if c.seller:
        q = q.where(or_(InvoiceRecord.seller_name.contains(c.seller), InvoiceRecord.seller_tax_id == c.seller.upper()))
    if c.tax_id:
        t = c.tax_id.upper()
        q = q.where(or_(InvoiceRecord.buyer_tax_id == t, InvoiceRecord.seller_tax_id == t))
    if c.min_amount is not None:
        q = q.where(InvoiceRecord.amount_with_tax >= c.min_amount)
    if c.max_amount is not None:
        q = q.where(InvoiceRecord.amount_with_tax <= c.max_amount)
    if c.statuses:
        q = q.where(InvoiceRecord.status.in_(c.statuses))
    q = q.order_by(InvoiceRecord.issue_date.desc(), InvoiceRecord.id.desc()).limit(c.limit)
    return list(session.scalars(q))


@dataclass
class Whereabouts:
    """The answer to "where is this invoice / file": the documents, invoices and every event."""

    query: str
    documents: list[Document] = field(default_factory=list)
    invoices: list[InvoiceRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def received(self) -> bool:
        return bool(self.documents or self.events)


def locate(session: Session, needle: str) -> Whereabouts:
    """By file (its content, so a renamed or moved copy is found too), by path or file name, or by invoice number."""
    w = Whereabouts(needle)
    doc_ids: set[int] = set()
    path = Path(needle)
    if path.is_file():
        try:
            sha = sha256_of(path)
        except OSError:
            sha = ""
        doc = session.scalars(select(Document).where(Document.sha256 == sha)).first() if sha else None
        if doc is not None:
            doc_ids.add(doc.id)
    digits = needle.strip()
    if digits.isdigit() and len(digits) in (8, 20):
        for rec in session.scalars(select(InvoiceRecord).where(InvoiceRecord.invoice_number == digits)):
            doc_ids.add(rec.document_id)
    name = path.name
    for doc in session.scalars(
        select(Document).where(or_(Document.original_path == needle, Document.original_name == name))
    ):
        doc_ids.add(doc.id)
    path_events = list(
        session.scalars(
            select(Event).where(or_(Event.path == needle, Event.path.endswith("/" + name))).order_by(Event.id)
        )
    ) if name else []
    for ev in path_events:
        if ev.document_id is not None:
            doc_ids.add(ev.document_id)
    if doc_ids:
        w.documents = list(session.scalars(select(Document).where(Document.id.in_(doc_ids)).order_by(Document.id)))
        w.invoices = list(
            session.scalars(select(InvoiceRecord).where(InvoiceRecord.document_id.in_(doc_ids)).order_by(InvoiceRecord.id))
        )
        w.events = list(
            session.scalars(
                select(Event).where(or_(Event.document_id.in_(doc_ids), Event.id.in_([e.id for e in path_events]))).order_by(Event.id)
            )
        )
    else:
        w.events = path_events
    return w


EXPORT_COLUMNS = ("id", "status", "document_id", "page", *FIELDS, "duplicate_of_id", "source_file", "sha256")


def export_rows(session: Session, statuses: list[str] | None = None) -> Iterator[dict[str, Any]]:
    q = select(InvoiceRecord).options(selectinload(InvoiceRecord.items), selectinload(InvoiceRecord.document))
    if statuses:
        q = q.where(InvoiceRecord.status.in_(statuses))
    for rec in session.scalars(q.order_by(InvoiceRecord.id)):
        row: dict[str, Any] = {
            "id": rec.id,
            "status": rec.status,
            "document_id": rec.document_id,
            "page": rec.page,
            **invoice_values(rec),
            "duplicate_of_id": rec.duplicate_of_id or "",
            "source_file": rec.document.original_path,
            "sha256": rec.document.sha256,
        }
        row["items"] = item_values(rec)
        yield row


def write_export(rows: Iterator[dict[str, Any]], fmt: str, out: io.TextIOBase) -> int:
    """CSV (one invoice a row; items as a JSON column) or JSON lines. Returns the row count."""
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=[*EXPORT_COLUMNS, "items"], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "items": json.dumps(row["items"], ensure_ascii=False)})
            n += 1
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
