"""A real browser (Debian's Chromium via Playwright) works the review screen with the keyboard only; screenshots for docs/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake import users
from intake.schema import AuditEntry, InvoiceRecord
from test_review import DIGITAL, misread_tax_id, receive_flagged

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(settings, db):
    """The real application under uvicorn on a free local port."""
    import uvicorn

    from intake.web import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _login(page, base: str, name: str, password: str) -> None:
    page.goto(base + "/queue")
    assert "/login" in page.url  # not logged in: sent to the login page
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(name)  # the user name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator(".banner.err").count() == 0, page.locator(".banner.err").inner_text()
    page.wait_for_url("**/queue")


def test_reviewer_corrects_a_field_and_approves_with_the_keyboard_only(server, browser, db, settings):
    invoice_id, truth = receive_flagged(db, settings, DIGITAL, field="buyer_tax_id")
    with db.session() as s:
        users.add_user(s, "rita", "reviewer-pass-1", "reviewer")
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    _login(page, server, "rita", "reviewer-pass-1")
    assert page.evaluate("document.activeElement.dataset.id") == str(invoice_id)  # the oldest row has the focus
    page.keyboard.press("Enter")  # open and claim it
    page.wait_for_url(f"**/invoices/{invoice_id}")
    assert page.locator(".claim.mine").is_visible()
    # The screen opens on the flagged field, its text selected, its box drawn on the page picture.
    assert page.evaluate("document.activeElement.id") == "f-buyer_tax_id"
    assert page.locator('.frow.flagged[data-slot="buyer_tax_id"] .why').inner_text().strip() == "check character fails"
    assert page.locator('rect.box.current[data-slot="buyer_tax_id"]').count() == 1
    assert page.evaluate("document.getElementById('pageimg').naturalWidth") > 500

    # Enter moves to the next field and Shift+Enter back, without submitting anything.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-seller_name"
    page.keyboard.press("Shift+Enter")
    assert page.evaluate("document.activeElement.id") == "f-buyer_tax_id"
    page.keyboard.press("Control+a")
    page.keyboard.type(truth)
    page.keyboard.press("Alt+s")  # save: the checks run again and the screen says what they found
    page.wait_for_url(f"**/invoices/{invoice_id}?*saved=1*")
    assert "Saved 1 change" in page.locator(".banner.ok").inner_text()
    assert "all checks pass" in page.locator(".banner.ok").inner_text()
    assert page.locator('.frow.flagged[data-slot="buyer_tax_id"]').count() == 0
    assert page.locator(".history tbody tr").count() == 1

    page.keyboard.press("Alt+a")  # approve; the queue is empty afterwards
    page.wait_for_url("**/queue?*")
    assert "approved" in page.locator(".banner.ok").inner_text()
    assert errors == []

    with db.session() as s:
        rec = s.get(InvoiceRecord, invoice_id)
        assert (rec.status, rec.buyer_tax_id, rec.decided_by) == ("approved", truth, "rita")
        trail = [(a.action, a.field, a.old, a.new, a.user) for a in s.scalars(sa.select(AuditEntry).where(AuditEntry.invoice_id == invoice_id).order_by(AuditEntry.id))]
    assert trail == [
        ("edit", "buyer_tax_id", misread_tax_id(truth), truth, "rita"),
        ("approve", "", "needs_review", "approved", "rita"),
    ]


def test_reject_with_a_reason_and_confirm_a_field_by_keyboard(server, browser, db, settings):
    invoice_id, truth = receive_flagged(db, settings, DIGITAL, field="buyer_tax_id")
    with db.session() as s:
        users.add_user(s, "rex", "reviewer-pass-2", "reviewer")
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    _login(page, server, "rex", "reviewer-pass-2")
    page.keyboard.press("n")  # next unclaimed invoice
    page.wait_for_url(f"**/invoices/{invoice_id}")
    page.keyboard.press("Control+Enter")  # "this field is right as read" — a wrong claim, but recorded as such
    assert page.locator('.frow.accepted-now[data-slot="buyer_tax_id"]').count() == 1
    page.keyboard.press("Alt+s")
    page.wait_for_url("**saved=1*")
    # the checksum still fails: the confirmation is audited, the flag stays
    assert page.locator('.frow.flagged[data-slot="buyer_tax_id"]').count() == 1
    page.keyboard.press("Alt+a")  # flags remain: the first Alt+A only warns
    assert page.locator("#confirmbar").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+r")
    assert page.locator("#rejectdlg").is_visible()
    page.keyboard.type("购买方税号错误 wrong buyer tax id")
    page.keyboard.press("Enter")
    page.wait_for_url("**/queue?*")
    with db.session() as s:
        rec = s.get(InvoiceRecord, invoice_id)
        assert (rec.status, rec.reject_reason) == ("rejected", "购买方税号错误 wrong buyer tax id")
        actions = [a.action for a in s.scalars(sa.select(AuditEntry).where(AuditEntry.invoice_id == invoice_id).order_by(AuditEntry.id))]
    assert actions == ["accept", "reject"]


def test_a_name_the_register_knows_is_offered_and_taken_with_one_click(server, browser, db, settings):
    """A scanned seller name that differs from the name the register holds for its tax id: the screen says so,
    offers the known name, and one click puts it in the field, saved and audited like any edit."""
    from intake import parties
    from intake.invoice import Extraction, FieldValue, Source
    from intake.pipeline import extract_file
    from intake.receive import admit, finish
    from test_review import realfile

    admission = admit(db, settings, realfile(DIGITAL), channel="upload")
    ex = extract_file(admission.stored_path, settings, display_name=admission.path)
    inv = ex.invoices[0]
    known = inv.fields["seller_name"].value
    inv.fields["seller_name"] = FieldValue(value="某某贸易公司", source=Source.OCR, raw_confidence=0.6)
    with db.session() as s:
        parties.remember(s, parties.Party(inv.fields["seller_tax_id"].value, known), by="test")
        users.add_user(s, "rita", "reviewer-pass-1", "reviewer")
    invoice_id = finish(db, admission, Extraction(source=ex.source, sha256=ex.sha256, invoices=[inv], detected_type=ex.detected_type,
                                                  page_count=ex.page_count), settings=settings).invoice_ids[0]
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, server, "rita", "reviewer-pass-1")
    page.goto(f"{server}/invoices/{invoice_id}")
    row = page.locator('.frow.flagged[data-slot="seller_name"]')
    assert "differs from the known name for this tax id" in row.locator(".why").inner_text()
    offer = row.locator("button.use-known")
    assert offer.inner_text() == known
    offer.click()
    assert page.input_value("#f-seller_name") == known
    assert row.get_attribute("class").split().count("edited") == 1
    page.keyboard.press("Alt+s")
    page.wait_for_url("**saved=1*")
    assert page.locator('.frow.flagged[data-slot="seller_name"]').count() == 0
    assert errors == []
    with db.session() as s:
        edits = [(a.field, a.old, a.new) for a in s.scalars(sa.select(AuditEntry).where(AuditEntry.invoice_id == invoice_id))]
    assert edits == [("seller_name", "某某贸易公司", known)]


# ---------------------------------------------------------------- screenshots for docs/

SCREENSHOT_SET = [
    # (real file, field to misread or None to take the pipeline's own flags)
    ("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png", None),
    ("mxvc-invoice/shudian_special_2024_suwell_585.00.pdf", "buyer_tax_id"),
    ("mxvc-invoice/sichuan_e_normal_2023_with_goods_list_533.91.pdf", "total_tax"),
    ("mxvc-invoice/tianjin_e_normal_2023_qunar_hotel_330.00.pdf", "seller_tax_id"),
    ("deepseek-ocr-rs/sichuan_e_normal_2019_dangdang_printed_scan.png", None),
    ("mxvc-invoice/guizhou_e_normal_2022_restaurant_tosign_1308.00.pdf", "issue_date"),
    ("mxvc-invoice/sichuan_e_normal_2022_jd_discount_line_587.98.pdf", "amount_with_tax"),
    ("mxvc-invoice/shenzhen_blockchain_e_normal_2023_hotel_962.00.pdf", "invoice_number"),
]


def _misread(invoice, field: str) -> None:
    fv = invoice.fields[field]
    v = fv.value
    if field.endswith("tax_id"):
        fv.value = misread_tax_id(v)
    elif field == "issue_date":
        fv.value = v[:-1] + ("8" if v[-1] != "8" else "3")
    elif field == "invoice_number":
        fv.value = v[:-2] + ("8" if v[-2] != "8" else "6") + v[-1]
    else:  # money: a dropped or misread digit
        fv.value = f"{float(v) + 9:.2f}"
    fv.source, fv.raw_confidence = "ocr", 0.9


def _receive(db, settings, relpath: str, field: str | None) -> int | None:
    from conftest import realfile
    from intake.pipeline import extract_file
    from intake.receive import admit, finish
    from intake.scoring import score
    from intake.validate import validate

    admission = admit(db, settings, realfile(relpath), channel="upload")
    if admission.settled is not None:
        return None
    extraction = extract_file(admission.stored_path, settings, display_name=admission.path)
    if field and extraction.invoices:
        _misread(extraction.invoices[0], field)
        validate(extraction.invoices[0])
        score(extraction.invoices[0], settings)
    out = finish(db, admission, extraction)
    return out.invoice_ids[0] if out.invoice_ids else None


@pytest.mark.slow
def test_screenshots_of_queue_and_invoice_screen(server, browser, db, settings, tmp_path):
    """Real invoices, two of them through OCR; writes queue.png and invoice.png (into $INTAKE_SCREENSHOTS too)."""
    ids = [_receive(db, settings, rel, field) for rel, field in SCREENSHOT_SET]
    with db.session() as s:
        users.add_user(s, "wang.li", "reviewer-pass-1", "reviewer")
        users.add_user(s, "zhao", "reviewer-pass-2", "reviewer")
    page = browser.new_page(viewport={"width": 1600, "height": 900}, device_scale_factor=1)
    # a colleague holds one invoice, so the queue shows claims
    other = browser.new_page()
    _login(other, server, "zhao", "reviewer-pass-2")
    held = [i for i in ids if i][3]
    other.goto(f"{server}/queue")
    other.locator(f'tr[data-id="{held}"]').click()
    other.wait_for_url(f"**/invoices/{held}")

    _login(page, server, "wang.li", "reviewer-pass-1")
    rows = page.locator("#queue tbody tr").count()
    assert rows >= 6
    out = tmp_path / "shots"
    out.mkdir()
    page.screenshot(path=str(out / "queue.png"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/invoices/*")
    page.wait_for_function("document.getElementById('pageimg') === null || document.getElementById('pageimg').complete")
    page.keyboard.press("Enter")  # move off the first flagged field so two boxes are marked differently
    page.keyboard.press("Shift+Enter")
    page.screenshot(path=str(out / "invoice.png"))
    target = os.environ.get("INTAKE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for name in ("queue.png", "invoice.png"):
            shutil.copyfile(out / name, Path(target) / name)
    assert (out / "invoice.png").stat().st_size > 50_000
