"""The review service on real invoices: queue and filters, claims and expiry, versioned edits with re-validation, approve, reject, the append-only audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conftest import realfile
from intake import review, users
from intake.errors import ClaimHeldError, InvalidValueError, InvoiceStateError, PermissionDeniedError, StaleVersionError
from intake.schema import AuditEntry, Event, InvoiceRecord, InvoiceStatus, ReviewTask, TaskState, utcnow

DIGITAL = "mxvc-invoice/shudian_special_2024_suwell_585.00.pdf"
TIANJIN = "mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf"


def misread_tax_id(value: str) -> str:
    """The kind of one-character slip OCR makes: the last (check) character read wrong."""
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def receive_flagged(db, settings, relpath: str = DIGITAL, field: str = "buyer_tax_id") -> tuple[int, str]:
    """Receive a real invoice through admit/extract/finish, with one field misread as a scanner might.

    Returns (invoice id, the true value of the misread field). Validation and scoring are
    the real ones, so the field is flagged for the reason the pipeline gives (checksum).
    """
    from intake.pipeline import extract_file
    from intake.receive import admit, finish
    from intake.scoring import score
    from intake.validate import validate

    admission = admit(db, settings, realfile(relpath), channel="upload")
    extraction = extract_file(admission.stored_path, settings, display_name=admission.path)
    invoice = extraction.invoices[0]
    truth = invoice.fields[field].value
    invoice.fields[field].value = misread_tax_id(truth)
    validate(invoice)
    score(invoice, settings)
    assert invoice.needs_review, "the misread did not send the invoice to review"
    outcome = finish(db, admission, extraction)
    return outcome.invoice_ids[0], truth


@pytest.fixture
def people(db):
    with db.session() as s:
        return {
            "rita": users.add_user(s, "rita", "reviewer-pass-1", "reviewer"),
            "rex": users.add_user(s, "rex", "reviewer-pass-2", "reviewer"),
            "carl": users.add_user(s, "carl", "clerk-pass-123", "clerk"),
            "ada": users.add_user(s, "ada", "admin-pass-123", "admin"),
        }


@pytest.fixture
def flagged(db, settings):
    return receive_flagged(db, settings)


def test_flagged_invoice_is_queued_with_its_reason_and_filterable(db, settings, people, flagged):
    invoice_id, _ = flagged
    with db.session() as s:
        entries = review.queue(s, people["rita"])
        assert [e.id for e in entries] == [invoice_id]
        assert "buyer_tax_id:checksum_failed" in entries[0].reasons
        assert [e.id for e in review.queue(s, people["rita"], review.QueueFilter(reason="checksum_failed"))] == [invoice_id]
        assert review.queue(s, people["rita"], review.QueueFilter(reason="sum_mismatch")) == []
        assert review.queue(s, people["rita"], review.QueueFilter(invoice_type="vat_special")) == []
        assert len(review.queue(s, people["rita"], review.QueueFilter(invoice_type="digital_special"))) == 1
        assert len(review.queue(s, people["rita"], review.QueueFilter(seller="飞天下"))) == 1
        assert review.queue(s, people["rita"], review.QueueFilter(seller="不存在的公司")) == []
        from datetime import date

        assert len(review.queue(s, people["rita"], review.QueueFilter(date_from=date(2024, 4, 7), date_to=date(2024, 4, 7)))) == 1
        assert review.queue(s, people["rita"], review.QueueFilter(date_from=date(2024, 4, 8))) == []
        with pytest.raises(PermissionDeniedError):
            review.queue(s, people["carl"])


def test_queue_is_oldest_first(db, settings, people):
    first, _ = receive_flagged(db, settings, DIGITAL)
    second, _ = receive_flagged(db, settings, TIANJIN, field="seller_tax_id")
    with db.session() as s:
        task = s.scalars(sa.select(ReviewTask).where(ReviewTask.invoice_id == first)).one()
        task.created_at = utcnow() - timedelta(hours=2)
    with db.session() as s:
        assert [e.id for e in review.queue(s, people["rita"])] == [first, second]


def test_detail_has_every_contract_field_with_evidence(db, people, flagged):
    invoice_id, _ = flagged
    from intake.invoice import FIELDS

    with db.session() as s:
        d = review.detail(s, people["carl"], invoice_id)
    assert set(FIELDS) <= set(d)
    assert d["version"] == 1 and d["status"] == "needs_review" and d["needs_review"] is True
    assert d["buyer_tax_id"]["status"] == "needs_review" and "checksum_failed" in d["buyer_tax_id"]["reasons"]
    assert d["invoice_number"]["value"] == "24112000000019562163"
    assert len(d["invoice_number"]["bbox"]) == 4 and d["invoice_number"]["source"] == "text_layer"
    assert d["items"] and d["items"][0]["amount"]["value"] == "551.89"


def test_claims_exclude_others_until_they_expire(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        review.claim(s, people["rita"], invoice_id)
    with db.session() as s, pytest.raises(ClaimHeldError):
        review.claim(s, people["rex"], invoice_id)
    with db.session() as s, pytest.raises(ClaimHeldError):
        review.edit(s, settings, people["rex"], invoice_id, 1, {"buyer_tax_id": truth})
    with db.session() as s, pytest.raises(ClaimHeldError):
        review.approve(s, people["rex"], invoice_id)
    with db.session() as s:  # the claim runs out
        task = s.scalars(sa.select(ReviewTask).where(ReviewTask.invoice_id == invoice_id)).one()
        task.claim_expires_at = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        assert review.claim(s, people["rex"], invoice_id)["claimed_by"] == "rex"
    with db.session() as s:
        with pytest.raises(ClaimHeldError):
            review.release(s, people["rita"], invoice_id)
        review.release(s, people["ada"], invoice_id)  # an admin may free it
    with db.session() as s:
        assert review.queue(s, people["rita"])[0].claimed_by is None
        assert review.claim_next(s, people["rita"]) == invoice_id
    with db.session() as s:
        assert review.claim_next(s, people["rex"]) is None


def test_edit_normalizes_revalidates_and_audits(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        result = review.edit(s, settings, people["rita"], invoice_id, 1, {"buyer_tax_id": " " + truth.lower() + " "}, reason="read off the page")
    assert result.version == 2 and result.changed == ["buyer_tax_id"] and result.validated
    assert "buyer_tax_id" not in result.problems
    with db.session() as s:
        d = review.detail(s, people["rita"], invoice_id)
        rec = s.get(InvoiceRecord, invoice_id)
        assert rec.buyer_tax_id == truth and rec.version == 2
        assert d["buyer_tax_id"] == {**d["buyer_tax_id"], "value": truth, "status": "accepted", "source": "reviewer"}
        assert not any(t.startswith("buyer_tax_id") for t in s.get(InvoiceRecord, invoice_id).task.reasons)
        trail = review.audit(s, people["carl"], invoice_id)
    assert [(a["action"], a["field"], a["old"], a["new"], a["user"], a["reason"]) for a in trail] == [
        ("edit", "buyer_tax_id", misread_tax_id(truth), truth, "rita", "read off the page")
    ]


def test_a_wrong_value_is_flagged_again_after_save(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        result = review.edit(s, settings, people["rita"], invoice_id, 1, {"total_amount": "1,000.5"})
        assert s.get(InvoiceRecord, invoice_id).total_amount == __import__("decimal").Decimal("1000.50")
    # 1000.50 + 33.11 is not 585.00: the checks say so before anyone approves
    assert "total_amount" in result.problems or "amount_with_tax" in result.problems
    assert "buyer_tax_id" in result.problems  # still the misread


def test_money_and_dates_in_normal_form_and_garbage_refused(db, settings, people, flagged):
    invoice_id, _ = flagged
    assert review.normalize_value("total_amount", "¥1,000.5") == "1000.50"
    assert review.normalize_value("issue_date", "2024年4月7日") == "2024-04-07"
    assert review.normalize_value("items.0.tax_rate", "0.06") == "6%"
    assert review.normalize_value("seller_name", "北京 (飞天下)") == "北京（飞天下）"
    with pytest.raises(InvalidValueError):
        review.normalize_value("total_tax", "lots")
    with pytest.raises(InvalidValueError):
        review.normalize_value("invoice_type", "receipt")
    with pytest.raises(InvalidValueError):
        review.normalize_value("items.x.amount", "1")
    with db.session() as s, pytest.raises(InvalidValueError):
        review.edit(s, settings, people["rita"], invoice_id, 1, {"issue_date": "yesterday"})
    with db.session() as s:
        assert s.get(InvoiceRecord, invoice_id).version == 1  # nothing half-saved


def test_stale_version_is_refused_not_lost(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        review.edit(s, settings, people["rita"], invoice_id, 1, {"drawer": "黄争光"}, accept=["seller_name"])
    with db.session() as s, pytest.raises(StaleVersionError):
        review.edit(s, settings, people["rita"], invoice_id, 1, {"buyer_tax_id": truth})
    with db.session() as s, pytest.raises(StaleVersionError):
        review.approve(s, people["rita"], invoice_id, version=1)
    with db.session() as s:
        assert s.get(InvoiceRecord, invoice_id).buyer_tax_id == misread_tax_id(truth)


def test_approve_makes_final_and_reject_keeps_reason(db, settings, people):
    a, truth = receive_flagged(db, settings, DIGITAL)
    b, _ = receive_flagged(db, settings, TIANJIN, field="seller_tax_id")
    with db.session() as s:
        review.edit(s, settings, people["rita"], a, 1, {"buyer_tax_id": truth})
        review.approve(s, people["rita"], a, version=2)
    with db.session() as s:
        with pytest.raises(InvalidValueError):
            review.reject(s, people["rex"], b, "  ")
        review.reject(s, people["rex"], b, "不是本公司发票")
    with db.session() as s:
        ra, rb = s.get(InvoiceRecord, a), s.get(InvoiceRecord, b)
        assert (ra.status, ra.decided_by, ra.task.state) == (InvoiceStatus.APPROVED, "rita", TaskState.DONE)
        assert (rb.status, rb.reject_reason, rb.task.state) == (InvoiceStatus.REJECTED, "不是本公司发票", TaskState.REJECTED)
        assert review.queue(s, people["rita"]) == []
        stages = [e.stage for e in s.scalars(sa.select(Event).where(Event.invoice_id.in_([a, b])))]
        assert "approved" in stages and "rejected" in stages
        with pytest.raises(InvoiceStateError):
            review.approve(s, people["rita"], b)
        with pytest.raises(InvoiceStateError):
            review.edit(s, settings, people["rita"], a, 3, {"drawer": "x"})
        actions = [x["action"] for x in review.audit(s, people["rita"], a)]
        assert actions == ["edit", "approve"]


def test_clerk_cannot_review(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        for call in (
            lambda: review.claim(s, people["carl"], invoice_id),
            lambda: review.edit(s, settings, people["carl"], invoice_id, 1, {"buyer_tax_id": truth}),
            lambda: review.approve(s, people["carl"], invoice_id),
            lambda: review.reject(s, people["carl"], invoice_id, "no"),
        ):
            with pytest.raises(PermissionDeniedError):
                call()


def test_audit_log_is_append_only_in_the_database(db, settings, people, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        review.edit(s, settings, people["rita"], invoice_id, 1, {"buyer_tax_id": truth})
    for statement in (sa.update(AuditEntry).values(new="forged"), sa.delete(AuditEntry)):
        with pytest.raises(sa.exc.DBAPIError):
            with db.session() as s:
                s.execute(statement)
    with db.session() as s:
        assert [a.new for a in s.scalars(sa.select(AuditEntry))] == [truth]


def test_users_passwords_and_tokens(db):
    from intake.errors import AuthenticationError, UserError

    with db.session() as s:
        users.add_user(s, "mei", "correct horse", "reviewer")
        with pytest.raises(UserError):
            users.add_user(s, "mei", "another pass", "clerk")
        with pytest.raises(UserError):
            users.add_user(s, "bo", "short", "clerk")
        with pytest.raises(UserError):
            users.add_user(s, "bo", "long enough", "boss")
        stored = users.get_user(s, "mei").password_hash
        assert stored.startswith("$argon2") and "correct horse" not in stored
        assert users.authenticate(s, "mei", "correct horse").role == "reviewer"
        with pytest.raises(AuthenticationError):
            users.authenticate(s, "mei", "wrong horse")
        with pytest.raises(AuthenticationError):
            users.authenticate(s, "nobody", "correct horse")
        token = users.create_token(s, "mei")
        assert users.principal_for_token(s, token).username == "mei"
        assert token not in {t for (t,) in s.execute(sa.text("select token_hash from api_tokens"))}
        users.set_role(s, "mei", "admin")
        users.set_password(s, "mei", "new battery staple")
        assert users.authenticate(s, "mei", "new battery staple").role == "admin"
        users.revoke_tokens(s, "mei")
        with pytest.raises(AuthenticationError):
            users.principal_for_token(s, token)


def test_terminal_review_commands(db, settings, people, flagged):
    from click.testing import CliRunner

    from cli import main

    invoice_id, truth = flagged
    base = ["--db", settings.database_url, "--data-dir", str(settings.data_dir)]
    run = CliRunner().invoke

    r = run(main, ["review", "list", "--as", "rita", *base])
    assert r.exit_code == 0 and f"#{invoice_id}" in r.output and "buyer_tax_id:checksum_failed" in r.output
    r = run(main, ["review", "list", "--as", "carl", *base])
    assert r.exit_code == 8 and "may not review" in r.output  # clerks do not review
    r = run(main, ["review", "show", str(invoice_id), "--as", "rita", *base])
    assert r.exit_code == 0 and "! buyer_tax_id" in r.output and "checksum_failed" in r.output
    r = run(main, ["review", "fix", str(invoice_id), "buyer_tax_id", truth, "--version", "1", "--reason", "from paper", "--as", "rita", *base])
    assert r.exit_code == 0, r.output
    assert "version 2" in r.output and "buyer_tax_id" not in r.output.split("version 2", 1)[1]
    r = run(main, ["review", "fix", str(invoice_id), "drawer", "x", "--version", "1", "--as", "rita", *base])
    assert r.exit_code == 8 and "version" in r.output  # stale: refused, not lost
    r = run(main, ["review", "approve", str(invoice_id), "--as", "rex", *base])
    assert r.exit_code == 8 and "being reviewed by rita" in r.output  # rita's claim from her fix
    r = run(main, ["review", "approve", str(invoice_id), "--as", "rita", *base])
    assert r.exit_code == 0, r.output
    r = run(main, ["review", "reject", str(invoice_id), "--reason", "late", "--as", "rex", *base])
    assert r.exit_code == 8 and "approved" in r.output
    r = run(main, ["audit", str(invoice_id), *base])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 0 and len(lines) == 2
    assert "rita" in lines[0] and "buyer_tax_id" in lines[0] and truth in lines[0] and "from paper" in lines[0]
    assert "rita" in lines[1] and "approve" in lines[1]


def test_user_commands(db, settings):
    from click.testing import CliRunner

    from cli import main

    base = ["--db", settings.database_url, "--data-dir", str(settings.data_dir)]
    run = CliRunner().invoke
    assert run(main, ["user", "add", "mei", "--role", "reviewer", *base], input="long-password\n").exit_code == 0
    assert run(main, ["user", "add", "bo", "--role", "reviewer", *base], input="short\n").exit_code == 8
    assert run(main, ["user", "set-role", "mei", "admin", *base]).exit_code == 0
    assert run(main, ["user", "passwd", "mei", *base], input="another-password\n").exit_code == 0
    r = run(main, ["user", "token", "mei", *base])
    token = r.output.strip()
    assert r.exit_code == 0 and token.startswith("fpi_")
    with db.session() as s:
        assert users.principal_for_token(s, token).role == "admin"
        assert users.authenticate(s, "mei", "another-password").username == "mei"
    assert run(main, ["user", "set-role", "ghost", "admin", *base]).exit_code == 7
