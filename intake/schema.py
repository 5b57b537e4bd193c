"""The database tables: documents, invoices, field values, line items, processing events, review tasks, users, audit."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Money = Numeric(14, 2)


class DocumentStatus(StrEnum):
    """received -> processing -> done | failed. A document left in `processing` (a crash) is redone."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class InvoiceStatus(StrEnum):
    """needs_review -> approved | rejected; accepted is straight-through (nothing to review);
    duplicate: the same invoice was already recorded from another file."""

    ACCEPTED = "accepted"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"



class TaskState(StrEnum):
    """open -> claimed (by one reviewer, until the claim expires) -> done | rejected."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    REJECTED = "rejected"


class Role(StrEnum):
    CLERK = "clerk"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class EventOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    INFO = "info"


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_path: Mapped[str] = mapped_column(String(1024))
    original_name: Mapped[str] = mapped_column(String(255), index=True)
    size: Mapped[int] = mapped_column(Integer)
    detected_type: Mapped[str] = mapped_column(String(32), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.RECEIVED, index=True)
    failure_reason: Mapped[Optional[str]] = mapped_column(String(64))
    failure_message: Mapped[Optional[str]] = mapped_column(Text)
    stored_path: Mapped[Optional[str]] = mapped_column(String(1024))
    batch: Mapped[str] = mapped_column(String(128), default="")
    channel: Mapped[str] = mapped_column(String(32), default="cli")  # cli, watch, upload

    invoices: Mapped[list["InvoiceRecord"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="InvoiceRecord.page"
    )
    events: Mapped[list["Event"]] = relationship(back_populates="document", order_by="Event.id")


class InvoiceRecord(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer, default=1)
    invoice_type: Mapped[str] = mapped_column(String(32), default="unknown")
    invoice_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    invoice_number: Mapped[str] = mapped_column(String(20), default="", index=True)
    issue_date: Mapped[Optional[date]] = mapped_column(Date, index=True)
    check_code: Mapped[str] = mapped_column(String(32), default="")
    machine_number: Mapped[str] = mapped_column(String(32), default="")
    buyer_name: Mapped[str] = mapped_column(String(255), default="")
    buyer_tax_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    seller_name: Mapped[str] = mapped_column(String(255), default="")
    seller_tax_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    total_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    total_tax: Mapped[Optional[Decimal]] = mapped_column(Money)
    amount_with_tax: Mapped[Optional[Decimal]] = mapped_column(Money)
    amount_in_words: Mapped[str] = mapped_column(String(128), default="")
    drawer: Mapped[str] = mapped_column(String(64), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    qr_payload: Mapped[Optional[str]] = mapped_column(String(512))

    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.NEEDS_REVIEW, index=True)
    # type+code+number (or the 20-digit number); set only on the first record of an invoice,
    # so the unique index keeps a second record of the same invoice from ever being final.
    dedup_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invoices.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    decided_by: Mapped[Optional[str]] = mapped_column(String(64))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[Optional[str]] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="invoices")
    field_values: Mapped[list["FieldRecord"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="FieldRecord.id"
    )
    items: Mapped[list["LineItem"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="LineItem.position"
    )
    task: Mapped[Optional["ReviewTask"]] = relationship(back_populates="invoice", uselist=False)


class FieldRecord(Base):
    """One field's value with its evidence; item fields carry the item's position."""

    __tablename__ = "field_values"
    __table_args__ = (UniqueConstraint("invoice_id", "item_position", "name", name="uq_field_values_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    item_position: Mapped[int] = mapped_column(Integer, default=-1)  # -1: an invoice field
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Numeric(5, 4, asdecimal=False), default=0.0)
    # The reader's own score (OCR recognizer, 1.0 for text layers), kept so that re-scoring
    # after a reviewer's edit starts from the same evidence instead of the derived confidence.
    raw_confidence: Mapped[Optional[float]] = mapped_column(Numeric(5, 4, asdecimal=False))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    bbox: Mapped[Optional[list[float]]] = mapped_column(JSON)
    page: Mapped[int] = mapped_column(Integer, default=1)
    # The facts that backed the value when it was read (reread_agrees, glyphs_agree, party_known …), kept so
    # that re-scoring after a reviewer's edit elsewhere judges this field on the same evidence.
    support: Mapped[Optional[list[str]]] = mapped_column(JSON)

    invoice: Mapped[InvoiceRecord] = relationship(back_populates="field_values")


class LineItem(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    spec: Mapped[str] = mapped_column(String(128), default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    quantity: Mapped[str] = mapped_column(String(32), default="")
    unit_price: Mapped[str] = mapped_column(String(32), default="")
    amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    tax_rate: Mapped[str] = mapped_column(String(16), default="")
    tax: Mapped[Optional[Decimal]] = mapped_column(Money)

    invoice: Mapped[InvoiceRecord] = relationship(back_populates="items")


class Event(Base):
    """One stage a file passed (or failed): the answer to "where is my invoice"."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    path: Mapped[str] = mapped_column(String(1024), default="")
    stage: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
    seconds: Mapped[Optional[float]] = mapped_column(Numeric(10, 4, asdecimal=False))

    document: Mapped[Optional[Document]] = relationship(back_populates="events")


class ReviewTask(Base):
    __tablename__ = "review_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.OPEN, index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(64))
    claim_expires_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[Optional[str]] = mapped_column(String(64))

    invoice: Mapped[InvoiceRecord] = relationship(back_populates="task")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class PartyRecord(Base):
    """A known party: the name a 纳税人识别号 stands for, as confirmed by a text layer, a reviewer or an import."""

    __tablename__ = "parties"

    tax_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))  # text_layer, reviewer, import
    # One of our own companies: invoices should be made out to one of these (the buyer).
    own: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    invoice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class AuditEntry(Base):
    """Append-only: who changed what, when and why. Never updated, never deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # edit, approve, reject, claim, release
    field: Mapped[str] = mapped_column(String(64), default="")
    old: Mapped[Optional[str]] = mapped_column(Text)
    new: Mapped[Optional[str]] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "user": self.user,
            "at": self.at.isoformat() if self.at else None,
            "reason": self.reason,
            "action": self.action,
            "version": self.version,
        }
