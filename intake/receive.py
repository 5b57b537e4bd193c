"""Receiving a file: the one path every file takes (scan, watch, upload) from arrival to record, review task or failure.

Three steps, so that extraction can run in worker processes while the database is
written from one place:

- `admit` (database side): hash the file, recognise a file seen before, keep the
  original, create the document in state `processing` and log `received`;
- `extract_safely` (any process, no database): the pipeline, with every failure turned
  into a `Failure` value that can cross a process boundary;
- `finish` (database side): in ONE transaction, write the invoices or the failure and
  mark the document done or failed. A crash between admit and finish leaves the document
  in `processing`; the next admit of the same content redoes it.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from intake import parties
from intake.database import Database
from intake.errors import ChangedWhileReadingError, IntakeError
from intake.invoice import Extraction
from intake.originals import keep_original
from intake.preflight import sha256_of
from intake.schema import Document, DocumentStatus, Event, EventOutcome, InvoiceRecord, InvoiceStatus
from intake.settings import Settings
from intake.store import record_invoice

log = logging.getLogger(__name__)


@dataclass
class Admission:
    path: str
    sha256: str
    document_id: int | None
    stored_path: str | None
    # Set when there is nothing to extract: a file already processed, or one we could not read.
    settled: "Outcome | None" = None


@dataclass
class Failure:
    reason: str
    message: str


@dataclass
class Outcome:
    """What became of one received file."""

    path: str
    status: str  # recorded, needs_review, duplicate_file, failed
    document_id: int | None = None
    sha256: str = ""
    invoices: int = 0
    needs_review: int = 0
    duplicates: int = 0
    reason: str = ""
    message: str = ""
    invoice_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0


def _event(session, document_id, path, stage, outcome, reason="", message="", seconds=None, actor=""):  # type: ignore[no-untyped-def]
    session.add(
        Event(
            document_id=document_id,
            path=str(path),
            stage=stage,
            outcome=outcome,
            reason=reason,
            message=message[:4000],
            seconds=seconds,
            actor=actor,
        )
    )


def admit(
    db: Database, settings: Settings, path: Path, *, channel: str = "cli", batch: str = "", shown: str | None = None,
    sha256: str = "",
) -> Admission:
    """Register the arrival of `path` (named `shown` to people, e.g. an upload's own file name). Never raises for a bad
    file. `sha256`: the file's, when the caller has just hashed it."""
    shown = shown or str(path)
    try:
        sha = sha256 or sha256_of(path)
        size = path.stat().st_size
    except OSError as e:
        reason = "permission_denied" if isinstance(e, PermissionError) else "io_error"
        message = f"{shown}: cannot read: {e.strerror or e}"
        with db.session() as s:
            _event(s, None, shown, "received", EventOutcome.FAILED, reason, message)
        return Admission(shown, "", None, None, Outcome(shown, "failed", reason=reason, message=message))

    with db.session() as s:
        doc = s.scalars(select(Document).where(Document.sha256 == sha)).first()
        if doc is not None and doc.status in (DocumentStatus.DONE, DocumentStatus.FAILED):
            _event(
                s, doc.id, shown, "duplicate_file", EventOutcome.DUPLICATE, "duplicate_file",
                f"same content as document #{doc.id} ({doc.original_name}), received {doc.received_at:%Y-%m-%d %H:%M}",
            )
            outcome = Outcome(
                shown, "duplicate_file", doc.id, sha, reason="duplicate_file",
                message=f"already received as document #{doc.id} ({doc.original_path})",
            )
            return Admission(shown, sha, doc.id, doc.stored_path, outcome)
        stored: str | None = None
        try:
            if size <= settings.max_file_mb * 1024 * 1024:
                stored = str(keep_original(settings, path, sha))
        except ChangedWhileReadingError as e:
            # What would be kept and read is not what was hashed: neither a record nor a duplicate check could be
            # trusted. Nothing is kept; the file is taken again once its writer is done with it.
            message = (f"{shown}: the file changed while it was being received; nothing was kept, "
                       "receive it again when it is complete")
            doc_id = doc.id if doc is not None else None
            _event(s, doc_id, shown, "received", EventOutcome.FAILED, e.reason, message)
            return Admission(shown, sha, doc_id, None, Outcome(shown, "failed", doc_id, sha, reason=e.reason, message=message))
        except OSError as e:
            log.warning("%s: could not keep the original: %s", shown, e)
        if doc is None:
            doc = Document(
                sha256=sha, original_path=shown[:1024], original_name=Path(shown).name[:255], size=size,
                status=DocumentStatus.PROCESSING, stored_path=stored, batch=batch, channel=channel,
            )
            s.add(doc)
            s.flush()
            _event(s, doc.id, shown, "received", EventOutcome.OK, channel, f"{size} bytes via {channel}" + (f", batch {batch}" if batch else ""))
        else:
            # Left half-processed by a crash: redo it from the start.
            doc.status = DocumentStatus.PROCESSING
            doc.stored_path = doc.stored_path or stored
            s.execute(delete(InvoiceRecord).where(InvoiceRecord.document_id == doc.id))
            _event(s, doc.id, shown, "received", EventOutcome.INFO, "resumed", "processing was interrupted before; redoing it")
        return Admission(shown, sha, doc.id, stored, None)


def extract_safely(path: str, settings: Settings, *, display_name: str | None = None) -> Extraction | Failure:
    """Run the pipeline; a file that cannot be read becomes a Failure, never an exception."""
    from intake.pipeline import extract_file

    try:
        return extract_file(Path(path), settings, display_name=display_name)
    except IntakeError as e:
        return Failure(e.reason, e.message)
    except MemoryError:
        return Failure("too_large", f"{display_name or path}: ran out of memory reading the file")
    except Exception as e:  # a bug or a library failing on hostile input: record it, keep the batch going
        log.debug("unexpected failure on %s", path, exc_info=True)
        where = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        return Failure("internal_error", f"{display_name or path}: {e.__class__.__name__}: {e}{at}")


def finish(
    db: Database, admission: Admission, result: Extraction | Failure, *, seconds: float = 0.0, settings: Settings | None = None
) -> Outcome:
    """Write the result in one transaction; the document ends `done` or `failed`.

    Scanned party names are held against the known-parties register first (intake.parties), and the
    parties this result confirms are remembered, in the same transaction as the records.
    """
    shown = admission.path
    with db.session() as s:
        doc = s.get(Document, admission.document_id)
        if doc is None:
            raise IntakeError(f"document #{admission.document_id} vanished while {shown} was processed")
        if isinstance(result, Failure):
            doc.status = DocumentStatus.FAILED
            doc.failure_reason = result.reason
            doc.failure_message = result.message
            _event(s, doc.id, shown, "failed", EventOutcome.FAILED, result.reason, result.message, seconds)
            return Outcome(shown, "failed", doc.id, admission.sha256, reason=result.reason, message=result.message, seconds=seconds)
        doc.detected_type = result.detected_type
        doc.pages = result.page_count
        _event(
            s, doc.id, shown, "extracted", EventOutcome.OK, "",
            f"{result.page_count} page(s), {len(result.invoices)} invoice(s), type {result.detected_type}", seconds,
        )
        outcome = Outcome(shown, "recorded", doc.id, admission.sha256, seconds=seconds)
        _check_parties(s, doc.id, shown, result, settings)
        for invoice in result.invoices:
            rec = record_invoice(s, doc, invoice)
            for party in parties.confirmed_parties(invoice.fields):
                if parties.remember(s, party, invoice_id=rec.id, by="intake"):
                    _event(s, doc.id, shown, "party", EventOutcome.INFO, "party_learned",
                           f"known party {party.tax_id} = {party.name} (from the {party.source} of invoice #{rec.id})")
            outcome.invoices += 1
            outcome.invoice_ids.append(rec.id)
            if rec.status == InvoiceStatus.NEEDS_REVIEW:
                outcome.needs_review += 1
            elif rec.status == InvoiceStatus.DUPLICATE:
                outcome.duplicates += 1
        if not result.invoices:
            _event(s, doc.id, shown, "recorded", EventOutcome.INFO, "no_invoice", "no invoice on any page (blank pages)")
        doc.status = DocumentStatus.DONE
        if outcome.needs_review:
            outcome.status = "needs_review"
        return outcome


def _check_parties(session, document_id: int, shown: str, result: Extraction, settings: Settings | None) -> None:  # type: ignore[no-untyped-def]
    """Scanned names against the register's names for their tax ids; the invoices are validated and scored again."""
    known = parties.lookup(session, parties.tax_ids_of(result.invoices), parties.names_of(result.invoices))
    own = parties.own_tax_ids(session)
    if not known and not own:
        return
    from intake.scoring import score
    from intake.settings import load_settings
    from intake.validate import validate

    settings = settings or load_settings(env={})
    for invoice in result.invoices:
        before = parties.evidence(invoice)
        for note in parties.check_parties(invoice, known, own):
            _event(session, document_id, shown, "party", EventOutcome.INFO, "party_checked", note)
        if parties.evidence(invoice) != before:  # extraction scored it already; only a change is scored again
            validate(invoice)
            score(invoice, settings)


def receive_file(
    db: Database, settings: Settings, path: Path, *, channel: str = "cli", batch: str = "", shown: str | None = None
) -> Outcome:
    """Admit, extract and finish one file in this process."""
    started = time.perf_counter()
    admission = admit(db, settings, path, channel=channel, batch=batch, shown=shown)
    if admission.settled is not None:
        return admission.settled
    source = admission.stored_path or admission.path
    result = extract_safely(source, settings, display_name=admission.path)
    return finish(db, admission, result, seconds=time.perf_counter() - started, settings=settings)



def refuse(db: Database, shown: str, reason: str, message: str, *, channel: str = "upload") -> Outcome:
    """A file turned away before it could be kept (e.g. an upload over the size limit): logged, so `status` can tell."""
    with db.session() as s:
        _event(s, None, shown, "received", EventOutcome.FAILED, reason, message, actor=channel)
    return Outcome(shown, "failed", reason=reason, message=message)
