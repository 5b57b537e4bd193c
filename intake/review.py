"""The review service: the queue, claims with an expiry, versioned edits with re-validation, approve, reject, the audit trail.

Web pages, the JSON API and `intake review` all call these functions; each takes the
acting `Principal`, checks its role, and raises `intake.errors` review errors (stale
version, claim held by another reviewer, wrong state) instead of doing a partial change.

Task states (see schema.TaskState): open -> claimed (one reviewer, until the claim
expires; an expired claim counts as open) -> done (approved) | rejected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from intake import normal, parties
from intake.errors import (
    ClaimHeldError,
    InvalidValueError,
    InvoiceStateError,
    NotFoundError,
    StaleVersionError,
)
from intake.invoice import FIELDS, ITEM_FIELDS, PARTIES, InvoiceType, Source, Status
from intake.schema import (
    AuditEntry,
    Event,
    EventOutcome,
    FieldRecord,
    InvoiceRecord,
    InvoiceStatus,
    ReviewTask,
    TaskState,
    utcnow,
)
from intake.settings import Settings
from intake.store import invoice_from_record, invoice_key, review_reasons, set_columns, set_items
from intake.users import Principal

log = logging.getLogger(__name__)

CLAIM_MINUTES = 15
_SCORING_DOUBTS = frozenset({"ocr_low_confidence", "unverified"})
REVIEWABLE = (InvoiceStatus.NEEDS_REVIEW,)


def _aware(t: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def claim_active(task: ReviewTask | None, now: datetime | None = None) -> bool:
    if task is None or task.state != TaskState.CLAIMED or not task.claimed_by:
        return False
    expires = _aware(task.claim_expires_at)
    return expires is not None and expires > (now or utcnow())


# ---------------------------------------------------------------- the queue


@dataclass
class QueueFilter:
    reason: str = ""  # a reason (sum_mismatch), a field (buyer_tax_id) or both (buyer_tax_id:checksum_failed)
    invoice_type: str = ""
    seller: str = ""  # part of the seller's name, or the seller's tax id
    date_from: date | None = None
    date_to: date | None = None
    limit: int = 500


@dataclass
class QueueEntry:
    id: int
    version: int
    invoice_type: str
    invoice_code: str
    invoice_number: str
    issue_date: str
    seller_name: str
    buyer_name: str
    amount_with_tax: str
    reasons: list[str]
    file_name: str
    page: int
    queued_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "invoice_type": self.invoice_type,
            "invoice_code": self.invoice_code,
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date,
            "seller_name": self.seller_name,
            "buyer_name": self.buyer_name,
            "amount_with_tax": self.amount_with_tax,
            "reasons": list(self.reasons),
            "file_name": self.file_name,
            "page": self.page,
            "queued_at": self.queued_at.isoformat(),
            "claimed_by": self.claimed_by,
            "claim_expires_at": self.claim_expires_at.isoformat() if self.claim_expires_at else None,
        }


def _matches_reason(reasons: Iterable[str], wanted: str) -> bool:
    for tag in reasons:
        fieldname, _, why = tag.partition(":")
        if wanted in (tag, fieldname, why):
            return True
    return False


def queue(session: Session, principal: Principal, filt: QueueFilter | None = None) -> list[QueueEntry]:
    """Invoices waiting for review, oldest first; claimed ones stay listed with who holds them."""
    principal.require("review")
    filt = filt or QueueFilter()
    now = utcnow()
    q = (
        select(InvoiceRecord, ReviewTask)
        .join(ReviewTask, ReviewTask.invoice_id == InvoiceRecord.id)
        .options(selectinload(InvoiceRecord.document))
        .where(InvoiceRecord.status.in_(REVIEWABLE), ReviewTask.state.in_([TaskState.OPEN, TaskState.CLAIMED]))
    )
    if filt.invoice_type:
        q = q.where(InvoiceRecord.invoice_type == filt.invoice_type)
    if filt.seller:
        s = filt.seller.strip()
        q = q.where(or_(InvoiceRecord.seller_name.contains(s), InvoiceRecord.seller_tax_id == s.upper()))
    if filt.date_from:
        q = q.where(InvoiceRecord.issue_date >= filt.date_from)
    if filt.date_to:
        q = q.where(InvoiceRecord.issue_date <= filt.date_to)
    q = q.order_by(ReviewTask.created_at, InvoiceRecord.id)
    out: list[QueueEntry] = []
    for rec, task in session.execute(q):
        reasons = list(task.reasons or [])
        if filt.reason and not _matches_reason(reasons, filt.reason.strip()):
            continue
        held = claim_active(task, now)
        out.append(
            QueueEntry(
                id=rec.id,
                version=rec.version,
                invoice_type=rec.invoice_type,
                invoice_code=rec.invoice_code,
                invoice_number=rec.invoice_number,
                issue_date=rec.issue_date.isoformat() if rec.issue_date else "",
                seller_name=rec.seller_name,
                buyer_name=rec.buyer_name,
                amount_with_tax=f"{rec.amount_with_tax:.2f}" if rec.amount_with_tax is not None else "",
                reasons=reasons,
                file_name=rec.document.original_name if rec.document else "",
                page=rec.page,
                queued_at=_aware(task.created_at) or now,
                claimed_by=task.claimed_by if held else None,
                claim_expires_at=_aware(task.claim_expires_at) if held else None,
            )
        )
        if len(out) >= filt.limit:
            break
    return out


def queue_reasons(entries: Iterable[QueueEntry]) -> dict[str, int]:
    """How many queued invoices carry each reason (for the filter menu)."""
    counts: dict[str, int] = {}
    for e in entries:
        for why in {tag.partition(":")[2] or tag for tag in e.reasons}:
            counts[why] = counts.get(why, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------- reading one invoice


def load(session: Session, invoice_id: int) -> InvoiceRecord:
    rec = session.get(
        InvoiceRecord,
        invoice_id,
        options=[
            selectinload(InvoiceRecord.field_values),
            selectinload(InvoiceRecord.items),
            selectinload(InvoiceRecord.document),
            selectinload(InvoiceRecord.task),
        ],
    )
    if rec is None:
        raise NotFoundError(f"no invoice #{invoice_id}")
    return rec


def _field_dict(fr: FieldRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "value": fr.value,
        "confidence": round(float(fr.confidence or 0.0), 4),
        "status": fr.status,
    }
    reasons = list(fr.reasons or [])
    if fr.status == Status.NEEDS_REVIEW and not reasons:
        reasons = ["ocr_low_confidence"]
    if reasons:
        out["reasons"] = reasons
    out["source"] = fr.source
    if fr.bbox:
        out["bbox"] = [round(float(v), 2) for v in fr.bbox]
    out["page"] = fr.page
    return out


def detail(session: Session, principal: Principal, invoice_id: int) -> dict[str, Any]:
    """Every field as in CONTRACT.md (with evidence), the items, and the record's state and version."""
    principal.require("view")
    rec = load(session, invoice_id)
    out: dict[str, Any] = {"id": rec.id, "version": rec.version, "status": rec.status, "page": rec.page}
    by_slot = {(fr.item_position, fr.name): fr for fr in rec.field_values}
    for name in FIELDS:
        fr = by_slot.get((-1, name))
        out[name] = _field_dict(fr) if fr else {"value": "", "confidence": 0.0, "status": Status.NEEDS_REVIEW, "reasons": ["not_found"], "source": ""}
    positions = sorted({pos for pos, _ in by_slot if pos >= 0})
    out["items"] = [
        {name: _field_dict(by_slot[(pos, name)]) for name in ITEM_FIELDS if (pos, name) in by_slot} for pos in positions
    ]
    out["needs_review"] = any(out[n]["status"] != Status.ACCEPTED for n in FIELDS if n in _key_fields())
    # The names the known-parties register holds for these tax ids, where they differ from the value: a hint.
    known = parties.lookup(session, [out[i]["value"] for _, i in PARTIES])
    out["known_names"] = {n: known[out[i]["value"]] for n, i in PARTIES
                          if known.get(out[i]["value"]) and known[out[i]["value"]] != out[n]["value"]}
    out["qr_payload"] = rec.qr_payload
    task = rec.task
    out["task"] = (
        {
            "state": task.state,
            "reasons": list(task.reasons or []),
            "claimed_by": task.claimed_by if claim_active(task) else None,
            "claim_expires_at": _aware(task.claim_expires_at).isoformat() if claim_active(task) else None,
        }
        if task
        else None
    )
    out["decided_by"] = rec.decided_by
    out["decided_at"] = _aware(rec.decided_at).isoformat() if rec.decided_at else None
    out["reject_reason"] = rec.reject_reason
    out["duplicate_of_id"] = rec.duplicate_of_id
    doc = rec.document
    out["document"] = {
        "id": doc.id,
        "file_name": doc.original_name,
        "detected_type": doc.detected_type,
        "pages": doc.pages,
        "sha256": doc.sha256,
    }
    return out


def _key_fields() -> tuple[str, ...]:
    from intake.invoice import KEY_FIELDS

    return KEY_FIELDS


# ---------------------------------------------------------------- claims


def _reviewable(rec: InvoiceRecord) -> ReviewTask:
    if rec.status not in REVIEWABLE or rec.task is None:
        raise InvoiceStateError(f"invoice #{rec.id} is {rec.status}, not waiting for review")
    if rec.task.state not in (TaskState.OPEN, TaskState.CLAIMED):
        raise InvoiceStateError(f"invoice #{rec.id}'s review is already {rec.task.state}")
    return rec.task


def _take_claim(session: Session, rec: InvoiceRecord, principal: Principal, minutes: int = CLAIM_MINUTES) -> ReviewTask:
    """Claim (or extend our claim on) the invoice in one conditional UPDATE, so two reviewers cannot both win."""
    task = _reviewable(rec)
    now = utcnow()
    result = session.execute(
        update(ReviewTask)
        .where(
            ReviewTask.id == task.id,
            ReviewTask.state.in_([TaskState.OPEN, TaskState.CLAIMED]),
            or_(
                ReviewTask.claimed_by.is_(None),
                ReviewTask.claimed_by == principal.username,
                ReviewTask.claim_expires_at.is_(None),
                ReviewTask.claim_expires_at < now,
            ),
        )
        .values(state=TaskState.CLAIMED, claimed_by=principal.username, claim_expires_at=now + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    )
    session.refresh(task)
    if result.rowcount != 1:
        until = _aware(task.claim_expires_at)
        raise ClaimHeldError(
            f"invoice #{rec.id} is being reviewed by {task.claimed_by}"
            + (f" until {until:%H:%M} UTC" if until else "")
        )
    return task


def claim(session: Session, principal: Principal, invoice_id: int, minutes: int = CLAIM_MINUTES) -> dict[str, Any]:
    principal.require("review")
    rec = load(session, invoice_id)
    task = _take_claim(session, rec, principal, minutes)
    return {"id": rec.id, "version": rec.version, "claimed_by": task.claimed_by, "claim_expires_at": _aware(task.claim_expires_at).isoformat()}


def release(session: Session, principal: Principal, invoice_id: int) -> None:
    """Give the invoice back to the queue; an admin may release anyone's claim."""
    principal.require("review")
    rec = load(session, invoice_id)
    task = rec.task
    if task is None or task.state != TaskState.CLAIMED:
        return
    if claim_active(task) and task.claimed_by != principal.username and not principal.can("admin"):
        raise ClaimHeldError(f"invoice #{rec.id} is claimed by {task.claimed_by}, not by you")
    task.state = TaskState.OPEN
    task.claimed_by = None
    task.claim_expires_at = None


def claim_next(session: Session, principal: Principal, filt: QueueFilter | None = None, *, after: int | None = None) -> int | None:
    """Claim the oldest invoice nobody holds (skipping `after`, the one just left); None when the queue is empty."""
    principal.require("review")
    for entry in queue(session, principal, filt):
        if entry.id == after:
            continue
        if entry.claimed_by and entry.claimed_by != principal.username:
            continue
        try:
            _take_claim(session, load(session, entry.id), principal)
        except (ClaimHeldError, InvoiceStateError):
            continue
        return entry.id
    return None


# ---------------------------------------------------------------- edits


def _words(text: str) -> str:
    return "".join(text.split())


_NORMALIZERS = {
    "invoice_code": normal.digits,
    "invoice_number": normal.digits,
    "machine_number": normal.digits,
    "issue_date": normal.iso_date,
    "check_code": normal.check_code,
    "buyer_name": normal.name,
    "seller_name": normal.name,
    "buyer_tax_id": normal.tax_id,
    "seller_tax_id": normal.tax_id,
    "total_amount": normal.money,
    "total_tax": normal.money,
    "amount_with_tax": normal.money,
    "amount_in_words": _words,
    "drawer": str.strip,
    "remarks": lambda t: t.replace("\r\n", "\n").strip(),
}
_ITEM_NORMALIZERS = {
    "name": str.strip,
    "spec": str.strip,
    "unit": str.strip,
    "quantity": lambda t: normal.halfwidth_ascii(t).replace(",", "").strip(),
    "unit_price": lambda t: normal.halfwidth_ascii(t).replace(",", "").strip(),
    "amount": normal.money,
    "tax": normal.money,
    "tax_rate": normal.tax_rate,
}
# An empty result from these means the input was not a value of the field at all.
_MUST_PARSE = {"issue_date", "total_amount", "total_tax", "amount_with_tax", "amount", "tax"}


def parse_slot(key: str) -> tuple[int, str]:
    """'buyer_name' -> (-1, 'buyer_name'); 'items.0.amount' -> (0, 'amount')."""
    if key in FIELDS:
        return -1, key
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and parts[2] in ITEM_FIELDS:
        return int(parts[1]), parts[2]
    raise InvalidValueError(f"unknown field {key!r}")


def slot_name(position: int, name: str) -> str:
    return name if position < 0 else f"items.{position}.{name}"


def normalize_value(key: str, raw: str) -> str:
    """The reviewer's input in the field's normal form (CONTRACT.md), e.g. money '1,000.5' -> '1000.50'."""
    position, name = parse_slot(key)
    raw = "" if raw is None else str(raw)
    if name == "invoice_type" and position < 0:
        value = raw.strip()
        if value not in {t.value for t in InvoiceType}:
            raise InvalidValueError(f"invoice_type must be one of {', '.join(t.value for t in InvoiceType)}")
        return value
    fn = (_NORMALIZERS if position < 0 else _ITEM_NORMALIZERS).get(name, str.strip)
    value = fn(raw)
    if raw.strip() and not value and name in _MUST_PARSE:
        what = "a date (YYYY-MM-DD)" if name == "issue_date" else "an amount"
        raise InvalidValueError(f"{key}: {raw!r} is not {what}")
    return value


@dataclass
class EditResult:
    id: int
    version: int
    changed: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    validated: bool = False
    # field slot -> the reasons validation found after the save (only fields that still need review)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "changed": self.changed,
            "accepted": self.accepted,
            "validated": self.validated,
            "problems": self.problems,
        }


def _bump_version(session: Session, rec: InvoiceRecord, version: int | None) -> int:
    """Move the record to the next version only if it is still at `version`: no lost updates."""
    expected = rec.version if version is None else int(version)
    result = session.execute(
        update(InvoiceRecord)
        .where(InvoiceRecord.id == rec.id, InvoiceRecord.version == expected)
        .values(version=expected + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(rec)
        raise StaleVersionError(
            f"invoice #{rec.id} was changed by someone else (you edited version {expected}, it is now version {rec.version}); "
            "reload it and redo your change"
        )
    rec.version = expected + 1
    return expected + 1


def _audit(session: Session, rec: InvoiceRecord, principal: Principal, action: str, *, fieldname: str = "",
           old: str | None = None, new: str | None = None, reason: str = "") -> None:
    session.add(
        AuditEntry(
            invoice_id=rec.id, action=action, field=fieldname, old=old, new=new,
            user=principal.username, reason=reason, version=rec.version,
        )
    )


def revalidate(rec: InvoiceRecord, settings: Settings) -> tuple[bool, dict[str, list[str]]]:
    """Re-run validation and scoring over the stored values, writing back status, confidence and reasons.

    Values are never changed here. A field the reviewer typed or confirmed (source
    `reviewer`) is accepted unless a check still fails on it. Returns whether the checks
    ran and, per field slot, the reasons of the fields that still need review.
    """
    try:
        from intake.scoring import score
        from intake.validate import validate
    except ImportError as e:
        log.warning("validation is not available (%s); saved without re-checking", e)
        return False, {}
    invoice = invoice_from_record(rec)
    validate(invoice)
    score(invoice, settings)
    slots = {(-1, n): fv for n, fv in invoice.fields.items()}
    for pos, item in enumerate(invoice.items):
        for n, fv in item.items():
            slots[(pos, n)] = fv
    problems: dict[str, list[str]] = {}
    for fr in rec.field_values:
        fv = slots.get((fr.item_position, fr.name))
        if fv is None:
            continue
        reasons = list(fv.reasons)
        if fr.source == Source.REVIEWER:
            # The reviewer read the value off the page: confidence doubts are settled, failed checks are not.
            reasons = [r for r in reasons if r not in _SCORING_DOUBTS]
            fr.status = Status.NEEDS_REVIEW if reasons else Status.ACCEPTED
            fr.confidence = 1.0 if not reasons else min(float(fv.confidence or 0.0), 0.5)
        else:
            fr.status = str(fv.status)
            fr.confidence = float(fv.confidence or 0.0)
        fr.reasons = reasons
        if fr.status != Status.ACCEPTED:
            problems[slot_name(fr.item_position, fr.name)] = reasons or ["ocr_low_confidence"]
    return True, problems


def _rekey(session: Session, rec: InvoiceRecord) -> InvoiceRecord | None:
    """Keep the record's identity in step with an edited code/number; returns the other record it now duplicates."""
    key = invoice_key({"invoice_code": rec.invoice_code, "invoice_number": rec.invoice_number})
    if key == rec.dedup_key:
        return None
    other = session.scalars(select(InvoiceRecord).where(InvoiceRecord.dedup_key == key, InvoiceRecord.id != rec.id)).first() if key else None
    rec.dedup_key = None
    session.flush()
    if other is None:
        rec.dedup_key = key
        rec.duplicate_of_id = None
    else:
        rec.duplicate_of_id = other.id
    return other


def edit(
    session: Session,
    settings: Settings,
    principal: Principal,
    invoice_id: int,
    version: int,
    fields: dict[str, str] | None = None,
    *,
    accept: Iterable[str] = (),
    reason: str = "",
) -> EditResult:
    """Save a reviewer's values (and fields confirmed as read) against `version`, then re-validate.

    Refused with StaleVersionError when the invoice moved on since `version`, with
    ClaimHeldError when another reviewer holds it. Every changed value is audited.
    """
    principal.require("review")
    fields = dict(fields or {})
    accept = [a for a in accept if a not in fields]
    rec = load(session, invoice_id)
    _reviewable(rec)
    wanted = {parse_slot(k): normalize_value(k, v) for k, v in fields.items()}
    confirmed = [parse_slot(k) for k in accept]
    by_slot = {(fr.item_position, fr.name): fr for fr in rec.field_values}
    for slot in [*wanted, *confirmed]:
        if slot not in by_slot:
            raise InvalidValueError(f"invoice #{rec.id} has no field {slot_name(*slot)}")
    if rec.version != int(version):
        raise StaleVersionError(
            f"invoice #{rec.id} was changed by someone else (you edited version {version}, it is now version {rec.version}); "
            "reload it and redo your change"
        )
    _take_claim(session, rec, principal)
    _bump_version(session, rec, version)
    result = EditResult(rec.id, rec.version)
    for slot, value in wanted.items():
        fr = by_slot[slot]
        if fr.value == value and fr.source == Source.REVIEWER:
            continue
        action = "edit" if fr.value != value else "accept"
        _audit(session, rec, principal, action, fieldname=slot_name(*slot), old=fr.value, new=value, reason=reason)
        (result.changed if action == "edit" else result.accepted).append(slot_name(*slot))
        fr.value = value
        fr.source = Source.REVIEWER
        fr.status = Status.ACCEPTED
        fr.confidence = 1.0
        fr.reasons = []
    for slot in confirmed:
        fr = by_slot[slot]
        if fr.source == Source.REVIEWER and fr.status == Status.ACCEPTED:
            continue
        _audit(session, rec, principal, "accept", fieldname=slot_name(*slot), old=fr.value, new=fr.value, reason=reason)
        result.accepted.append(slot_name(*slot))
        fr.source = Source.REVIEWER
        fr.status = Status.ACCEPTED
        fr.confidence = 1.0
        fr.reasons = []
    session.flush()
    result.validated, result.problems = revalidate(rec, settings)
    invoice = invoice_from_record(rec)
    values = invoice.values()
    set_columns(rec, values)
    set_items(rec, [{k: fv.value for k, fv in item.items()} for item in invoice.items])
    for fr in rec.field_values:  # invoice_from_record drops reasons; put them back for the task summary
        target = invoice.fields[fr.name] if fr.item_position < 0 else None
        if target is not None:
            target.reasons = list(fr.reasons or [])
    rec.task.reasons = review_reasons(invoice)
    other = _rekey(session, rec)
    if other is not None:
        result.problems.setdefault("invoice_number", []).append(f"duplicate_of:{other.id}")
    session.flush()
    return result


# ---------------------------------------------------------------- decisions


def _close(session: Session, rec: InvoiceRecord, principal: Principal, state: str) -> None:
    task = rec.task
    task.state = state
    task.closed_at = utcnow()
    task.closed_by = principal.username
    task.claimed_by = None
    task.claim_expires_at = None


def _event(session: Session, rec: InvoiceRecord, principal: Principal, stage: str, message: str) -> None:
    session.add(
        Event(
            document_id=rec.document_id, invoice_id=rec.id, path=rec.document.original_path if rec.document else "",
            stage=stage, outcome=EventOutcome.OK, reason=stage, message=message[:4000], actor=principal.username,
        )
    )


def approve(session: Session, principal: Principal, invoice_id: int, *, version: int | None = None, reason: str = "") -> dict[str, Any]:
    """Make the record final (and exportable). Refused for a record that would duplicate another final one."""
    principal.require("review")
    rec = load(session, invoice_id)
    _reviewable(rec)
    _take_claim(session, rec, principal)
    other = _rekey(session, rec)
    if other is not None or rec.dedup_key is None and rec.duplicate_of_id:
        dup = other.id if other is not None else rec.duplicate_of_id
        raise InvoiceStateError(f"invoice #{rec.id} has the same code and number as invoice #{dup}: reject it as a duplicate or correct the number")
    _bump_version(session, rec, version)
    rec.status = InvoiceStatus.APPROVED
    rec.decided_by = principal.username
    rec.decided_at = utcnow()
    _close(session, rec, principal, TaskState.DONE)
    open_fields = [slot_name(fr.item_position, fr.name) for fr in rec.field_values if fr.status != Status.ACCEPTED and fr.value]
    note = reason or (f"approved with unresolved checks on {', '.join(open_fields)}" if open_fields else "")
    _audit(session, rec, principal, "approve", old=InvoiceStatus.NEEDS_REVIEW, new=InvoiceStatus.APPROVED, reason=note)
    _event(session, rec, principal, "approved", f"invoice #{rec.id} approved by {principal.username}")
    # A person has read these names off the page: the next scan of the same parties is checked against them.
    for party in parties.confirmed_parties(invoice_from_record(rec).fields, approved=True):
        if parties.remember(session, party, invoice_id=rec.id, by=principal.username):
            _event(session, rec, principal, "party", f"known party {party.tax_id} = {party.name} (approved by {principal.username})")
    session.flush()
    return {"id": rec.id, "version": rec.version, "status": rec.status}


def reject(session: Session, principal: Principal, invoice_id: int, reason: str, *, version: int | None = None) -> dict[str, Any]:
    """Keep the record, marked rejected, with the reviewer's reason."""
    principal.require("review")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValueError("a rejection needs a reason")
    rec = load(session, invoice_id)
    _reviewable(rec)
    _take_claim(session, rec, principal)
    _bump_version(session, rec, version)
    rec.status = InvoiceStatus.REJECTED
    rec.reject_reason = reason[:2000]
    rec.decided_by = principal.username
    rec.decided_at = utcnow()
    _close(session, rec, principal, TaskState.REJECTED)
    _audit(session, rec, principal, "reject", old=InvoiceStatus.NEEDS_REVIEW, new=InvoiceStatus.REJECTED, reason=reason)
    _event(session, rec, principal, "rejected", f"invoice #{rec.id} rejected by {principal.username}: {reason}")
    session.flush()
    return {"id": rec.id, "version": rec.version, "status": rec.status}


def audit(session: Session, principal: Principal, invoice_id: int) -> list[dict[str, Any]]:
    """The invoice's history, oldest first: {field, old, new, user, at, reason, action, version}."""
    principal.require("view")
    load(session, invoice_id)
    rows = session.scalars(select(AuditEntry).where(AuditEntry.invoice_id == invoice_id).order_by(AuditEntry.id))
    out = []
    for row in rows:
        d = row.to_dict()
        d["at"] = _aware(row.at).isoformat() if row.at else None
        out.append(d)
    return out
