"""Receiving files: every file ends as a record, a review task or a failure with its reason; duplicates never make a second final record."""

from __future__ import annotations

import random

import sqlalchemy as sa

from intake.invoice import FIELDS, Extraction, FieldValue, Invoice, Status
from intake.receive import Failure, admit, finish, receive_file
from intake.schema import Document, DocumentStatus, Event, InvoiceRecord, InvoiceStatus, ReviewTask


def scored_invoice(number="12345678", code="011002300111", review=()):
    inv = Invoice(page=1)
    values = {
        "invoice_type": "vat_electronic_normal", "invoice_code": code, "invoice_number": number,
        "issue_date": "2023-06-25", "check_code": "12345678901234567890", "buyer_name": "测试购方有限公司",
        "buyer_tax_id": "91110108690017781B", "seller_name": "测试销方有限公司", "seller_tax_id": "91120222079642398Y",
        "total_amount": "100.00", "total_tax": "6.00", "amount_with_tax": "106.00", "amount_in_words": "壹佰零陆圆整",
    }
    for name in FIELDS:
        v = values.get(name, "")
        status = Status.NEEDS_REVIEW if name in review else Status.ACCEPTED
        inv.fields[name] = FieldValue(value=v, confidence=0.5 if name in review else 1.0, status=status,
                                      reasons=["ocr_low_confidence"] if name in review else [], found=bool(v))
    return inv


def events(db, doc_id=None):
    with db.session() as s:
        q = sa.select(Event).order_by(Event.id)
        if doc_id is not None:
            q = q.where(Event.document_id == doc_id)
        return [(e.stage, e.outcome, e.reason) for e in s.scalars(q)]


def test_empty_file_fails_with_reason(db, settings, tmp_path):
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    o = receive_file(db, settings, f)
    assert (o.status, o.reason) == ("failed", "empty_file")
    with db.session() as s:
        doc = s.get(Document, o.document_id)
        assert doc.status == DocumentStatus.FAILED and doc.failure_reason == "empty_file"
        assert "empty" in doc.failure_message
    assert ("failed", "failed", "empty_file") in events(db, o.document_id)


def test_random_bytes_named_pdf_fail_as_unsupported(db, settings, tmp_path):
    f = tmp_path / "invoice.pdf"
    # Fixed bytes, not os.urandom: about 1 run in 200 drew a leading "<" (sniffed as XML, then failed as corrupt).
    f.write_bytes(b"\x00" + random.Random(5000).randbytes(4999))
    o = receive_file(db, settings, f)
    assert (o.status, o.reason) == ("failed", "unsupported_type")
    assert "\n" not in o.message


def test_same_file_twice_is_one_document(db, settings, tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"not really a pdf")
    first = receive_file(db, settings, f)
    copy = tmp_path / "renamed.pdf"
    copy.write_bytes(f.read_bytes())
    second = receive_file(db, settings, copy)
    assert second.status == "duplicate_file" and second.document_id == first.document_id
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    assert ("duplicate_file", "duplicate", "duplicate_file") in events(db, first.document_id)


def test_original_is_kept_by_content(db, settings, tmp_path):
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4 broken")
    o = receive_file(db, settings, f)
    f.unlink()
    with db.session() as s:
        doc = s.get(Document, o.document_id)
        assert doc.stored_path and open(doc.stored_path, "rb").read() == b"%PDF-1.4 broken"
        assert doc.sha256 in doc.stored_path


def _record(db, settings, path, invoice):
    adm = admit(db, settings, path)
    assert adm.settled is None
    return finish(db, adm, Extraction(source=str(path), sha256=adm.sha256, invoices=[invoice], detected_type="pdf", page_count=1))


def test_same_invoice_from_another_file_is_a_duplicate_never_final(db, settings, tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"file a")
    b.write_bytes(b"file b")
    first = _record(db, settings, a, scored_invoice())
    second = _record(db, settings, b, scored_invoice())
    assert (first.invoices, first.duplicates) == (1, 0)
    assert second.duplicates == 1
    with db.session() as s:
        recs = s.scalars(sa.select(InvoiceRecord).order_by(InvoiceRecord.id)).all()
        assert [r.status for r in recs] == [InvoiceStatus.ACCEPTED, InvoiceStatus.DUPLICATE]
        assert recs[1].duplicate_of_id == recs[0].id and recs[1].dedup_key is None
    # The database itself refuses a second record holding the same invoice key.
    try:
        with db.session() as s:
            doc = s.scalars(sa.select(Document)).first()
            s.add(InvoiceRecord(document_id=doc.id, dedup_key=recs[0].dedup_key))
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("a second record with the same invoice key was stored")


def test_needs_review_makes_a_task_with_reasons(db, settings, tmp_path):
    f = tmp_path / "r.pdf"
    f.write_bytes(b"review me")
    o = _record(db, settings, f, scored_invoice(review=("buyer_tax_id",)))
    assert o.status == "needs_review" and o.needs_review == 1
    with db.session() as s:
        task = s.scalars(sa.select(ReviewTask)).one()
        assert task.reasons == ["buyer_tax_id:ocr_low_confidence"]


def test_interrupted_document_is_redone_not_duplicated(db, settings, tmp_path):
    f = tmp_path / "crash.pdf"
    f.write_bytes(b"crash in the middle")
    first = admit(db, settings, f)  # ... and the process dies before finish
    again = admit(db, settings, f)
    assert again.settled is None and again.document_id == first.document_id
    finish(db, again, Failure("corrupt", "crash.pdf: broken"))
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
    stages = events(db, first.document_id)
    assert ("received", "info", "resumed") in stages and stages[-1] == ("failed", "failed", "corrupt")


def test_a_file_rewritten_after_it_was_hashed_is_not_kept_under_that_hash(db, settings, tmp_path):
    """The dispatcher hashes a file, then admit keeps a copy: a writer still at work in between made the store keep
    the new bytes under the old content's name, and the record say it was that content. The copy is hashed as it is
    made; a mismatch keeps nothing and fails the file with its reason, and the file is taken whole once it is done."""
    import hashlib

    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.4 half written")
    hashed = hashlib.sha256(f.read_bytes()).hexdigest()
    f.write_bytes(b"%PDF-1.4 half written, and the rest")  # the scanner finishes the file
    adm = admit(db, settings, f, sha256=hashed)
    assert adm.settled is not None and adm.settled.status == "failed"
    assert adm.settled.reason == "changed_while_reading" and "changed while it was being received" in adm.settled.message
    assert adm.stored_path is None and not [p for p in settings.originals_dir.rglob("*") if p.is_file()]
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert ("received", "failed", "changed_while_reading") in events(db)
    # Received again, whole: kept under its own hash and recorded.
    again = receive_file(db, settings, f)
    with db.session() as s:
        doc = s.get(Document, again.document_id)
        assert doc.sha256 == hashlib.sha256(f.read_bytes()).hexdigest() and open(doc.stored_path, "rb").read() == f.read_bytes()
