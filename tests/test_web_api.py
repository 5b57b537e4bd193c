"""HTTP tests for every route: the API contract (401/403/409/423, CSRF, Bearer tokens), the pages, upload and status."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import realfile
from intake import users
from intake.schema import AuditEntry, InvoiceRecord
from intake.web import create_app
from test_review import DIGITAL, misread_tax_id, receive_flagged


@pytest.fixture
def app(settings, db):
    with db.session() as s:
        users.add_user(s, "rita", "reviewer-pass-1", "reviewer")
        users.add_user(s, "rex", "reviewer-pass-2", "reviewer")
        users.add_user(s, "carl", "clerk-pass-123", "clerk")
        users.add_user(s, "ada", "admin-pass-123", "admin")
    return create_app(settings, db)


def login(app, name: str, password: str) -> tuple[TestClient, str]:
    c = TestClient(app)
    r = c.post("/api/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


@pytest.fixture
def rita(app):
    return login(app, "rita", "reviewer-pass-1")


@pytest.fixture
def rex(app):
    return login(app, "rex", "reviewer-pass-2")


@pytest.fixture
def carl(app):
    return login(app, "carl", "clerk-pass-123")


@pytest.fixture
def flagged(db, settings):
    return receive_flagged(db, settings)


def test_login_sets_a_safe_cookie_and_wrong_password_is_401(app):
    c = TestClient(app)
    r = c.post("/api/login", json={"username": "rita", "password": "reviewer-pass-1"})
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 200 and r.json()["csrf_token"]
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "reviewer-pass-1" not in r.text
    assert TestClient(app).post("/api/login", json={"username": "rita", "password": "nope"}).status_code == 401
    assert TestClient(app).post("/api/login", json={"username": "ghost", "password": "nope"}).status_code == 401
    assert c.get("/api/me").json()["user"] == "rita"
    assert c.post("/api/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]}).status_code == 200
    assert c.get("/api/me").status_code == 401


def test_login_is_rate_limited(app):
    c = TestClient(app)
    for _ in range(5):
        assert c.post("/api/login", json={"username": "rex", "password": "guess"}).status_code == 401
    # the sixth try is refused even with the right password
    assert c.post("/api/login", json={"username": "rex", "password": "reviewer-pass-2"}).status_code == 429
    assert c.post("/api/login", json={"username": "rita", "password": "reviewer-pass-1"}).status_code == 200


def test_forged_or_tampered_cookie_is_401(app, rita):
    c, _ = rita
    value = c.cookies.get("intake_session")
    c2 = TestClient(app)
    c2.cookies.set("intake_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert c2.get("/api/review/queue").status_code == 401


def test_unauthenticated_calls_get_401(app, flagged):
    invoice_id, _ = flagged
    c = TestClient(app)
    calls = [
        ("get", "/api/review/queue", None), ("get", f"/api/invoices/{invoice_id}", None),
        ("post", f"/api/invoices/{invoice_id}/claim", None), ("patch", f"/api/invoices/{invoice_id}", {"version": 1, "fields": {}}),
        ("post", f"/api/invoices/{invoice_id}/approve", {}), ("post", f"/api/invoices/{invoice_id}/reject", {"reason": "x"}),
        ("get", f"/api/invoices/{invoice_id}/audit", None), ("get", "/api/status?q=x", None), ("get", "/api/me", None),
        ("get", f"/api/invoices/{invoice_id}/pages/1.png", None),
    ]
    for method, url, body in calls:
        r = c.request(method.upper(), url, json=body)
        assert r.status_code == 401, (method, url, r.status_code)
    assert c.get("/api/review/queue", headers={"Authorization": "Bearer fpi_not_a_token"}).status_code == 401


def test_queue_and_invoice_contract(app, rita, flagged):
    invoice_id, _ = flagged
    c, _ = rita
    q = c.get("/api/review/queue").json()
    assert [e["id"] for e in q] == [invoice_id] and "buyer_tax_id:checksum_failed" in q[0]["reasons"]
    assert c.get("/api/review/queue", params={"reason": "sum_mismatch"}).json() == []
    assert len(c.get("/api/review/queue", params={"type": "digital_special", "date_from": "2024-04-01"}).json()) == 1
    d = c.get(f"/api/invoices/{invoice_id}").json()
    assert d["version"] == 1 and d["buyer_tax_id"]["status"] == "needs_review"
    assert {"value", "confidence", "status", "source"} <= set(d["invoice_number"])
    assert c.get("/api/invoices/999999").status_code == 404
    png = c.get(f"/api/invoices/{invoice_id}/pages/1.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert c.get(f"/api/invoices/{invoice_id}/pages/9.png").status_code == 404


def test_clerk_gets_403_on_review_routes(app, carl, flagged):
    invoice_id, truth = flagged
    c, csrf = carl
    h = {"X-CSRF-Token": csrf}
    assert c.get("/api/review/queue").status_code == 403
    assert c.post(f"/api/invoices/{invoice_id}/claim", headers=h).status_code == 403
    assert c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth}}, headers=h).status_code == 403
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={}, headers=h).status_code == 403
    assert c.post(f"/api/invoices/{invoice_id}/reject", json={"reason": "x"}, headers=h).status_code == 403
    # clerks do see status and invoices
    assert c.get(f"/api/invoices/{invoice_id}").status_code == 200
    assert c.get(f"/api/invoices/{invoice_id}/audit").status_code == 200


def test_cookie_writes_need_the_csrf_token(app, rita, flagged):
    invoice_id, truth = flagged
    c, csrf = rita
    assert c.post(f"/api/invoices/{invoice_id}/claim").status_code == 403
    assert c.post(f"/api/invoices/{invoice_id}/claim", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth}}).status_code == 403
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={}).status_code == 403
    assert c.get(f"/api/invoices/{invoice_id}").json()["version"] == 1
    assert c.post(f"/api/invoices/{invoice_id}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    # page forms too
    assert c.post(f"/invoices/{invoice_id}/approve", data={"version": "1"}).status_code == 403


def test_bearer_token_needs_no_csrf(app, db, flagged):
    invoice_id, truth = flagged
    with db.session() as s:
        token = users.create_token(s, "rex")
    c = TestClient(app)
    h = {"Authorization": f"Bearer {token}"}
    r = c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth}}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={"version": 2}, headers=h).status_code == 200
    assert c.get(f"/api/invoices/{invoice_id}", headers=h).json()["status"] == "approved"


def test_full_review_over_the_api(app, db, rita, flagged):
    invoice_id, truth = flagged
    c, csrf = rita
    h = {"X-CSRF-Token": csrf}
    assert c.post(f"/api/invoices/{invoice_id}/claim", headers=h).json()["claimed_by"] == "rita"
    r = c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth.lower()}, "reason": "typo"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["validated"] and "buyer_tax_id" not in r.json()["problems"]
    assert c.get(f"/api/invoices/{invoice_id}").json()["buyer_tax_id"]["value"] == truth
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={"version": 2}, headers=h).json()["status"] == "approved"
    audit = c.get(f"/api/invoices/{invoice_id}/audit").json()
    assert audit[0] == {**audit[0], "field": "buyer_tax_id", "old": misread_tax_id(truth), "new": truth, "user": "rita", "reason": "typo"}
    assert {"field", "old", "new", "user", "at", "reason"} <= set(audit[0])
    assert audit[-1]["action"] == "approve"
    assert c.get("/api/review/queue").json() == []
    with db.session() as s:
        assert s.get(InvoiceRecord, invoice_id).status == "approved"


def test_stale_version_is_409(app, rita, flagged):
    invoice_id, truth = flagged
    c, csrf = rita
    h = {"X-CSRF-Token": csrf}
    assert c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"drawer": "黄争光"}}, headers=h).status_code == 200
    r = c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth}}, headers=h)
    assert r.status_code == 409 and "version" in r.json()["detail"]
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={"version": 1}, headers=h).status_code == 409
    assert c.get(f"/api/invoices/{invoice_id}").json()["buyer_tax_id"]["value"] == misread_tax_id(truth)


def test_claim_held_by_another_is_423(app, rita, rex, flagged):
    invoice_id, truth = flagged
    (c1, t1), (c2, t2) = rita, rex
    assert c1.post(f"/api/invoices/{invoice_id}/claim", headers={"X-CSRF-Token": t1}).status_code == 200
    h2 = {"X-CSRF-Token": t2}
    assert c2.post(f"/api/invoices/{invoice_id}/claim", headers=h2).status_code == 423
    assert c2.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"buyer_tax_id": truth}}, headers=h2).status_code == 423
    assert c2.post(f"/api/invoices/{invoice_id}/approve", json={}, headers=h2).status_code == 423
    assert c2.post(f"/api/invoices/{invoice_id}/reject", json={"reason": "x"}, headers=h2).status_code == 423
    assert c2.post(f"/api/invoices/{invoice_id}/release", headers=h2).status_code == 423
    assert c2.post("/api/review/next", headers=h2).json() == {"id": None}
    assert c1.post(f"/api/invoices/{invoice_id}/release", headers={"X-CSRF-Token": t1}).status_code == 200
    assert c2.post("/api/review/next", headers=h2).json() == {"id": invoice_id}


def test_reject_needs_a_reason_and_bad_values_are_422(app, rita, flagged):
    invoice_id, _ = flagged
    c, csrf = rita
    h = {"X-CSRF-Token": csrf}
    assert c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"total_amount": "abc"}}, headers=h).status_code == 422
    assert c.patch(f"/api/invoices/{invoice_id}", json={"version": 1, "fields": {"no_such_field": "1"}}, headers=h).status_code == 422
    assert c.post(f"/api/invoices/{invoice_id}/reject", json={"reason": " "}, headers=h).status_code == 422
    r = c.post(f"/api/invoices/{invoice_id}/reject", json={"reason": "重复报销"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert c.get(f"/api/invoices/{invoice_id}").json()["reject_reason"] == "重复报销"
    assert c.post(f"/api/invoices/{invoice_id}/approve", json={}, headers=h).status_code == 409


def test_upload_and_status(app, carl, rita):
    c, csrf = carl
    path = realfile(DIGITAL)
    with path.open("rb") as f:
        r = c.post("/api/upload", files=[("files", ("发票 585.pdf", f, "application/pdf"))], headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    out = r.json()[0]
    assert out["file"] == "发票 585.pdf" and out["status"] in ("recorded", "needs_review") and out["invoices"] == 1
    with path.open("rb") as f:
        again = c.post("/api/upload", files=[("files", ("copy.pdf", f, "application/pdf"))], headers={"X-CSRF-Token": csrf}).json()[0]
    assert again["status"] == "duplicate_file"
    with path.open("rb") as f:
        assert c.post("/api/upload", files=[("files", ("x.pdf", f, "application/pdf"))]).status_code == 403  # no CSRF
    rc, rcsrf = rita
    with path.open("rb") as f:
        assert rc.post("/api/upload", files=[("files", ("x.pdf", f, "application/pdf"))], headers={"X-CSRF-Token": rcsrf}).status_code == 403
    for q in ("24112000000019562163", "发票 585.pdf"):
        st = c.get("/api/status", params={"q": q}).json()
        assert [i["invoice_number"] for i in st["invoices"]] == ["24112000000019562163"], q
        assert "received" in [e["stage"] for e in st["events"]]
    assert c.get("/api/status", params={"q": "/etc/passwd"}).json()["documents"] == []
    page = c.get("/status", params={"q": "24112000000019562163"})
    assert page.status_code == 200 and "24112000000019562163" in page.text and "received" in page.text


def test_pages_require_login_and_role(app, carl, rita, flagged):
    invoice_id, _ = flagged
    anon = TestClient(app)
    r = anon.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert anon.get("/login").status_code == 200
    c, _ = carl
    assert c.get("/queue").status_code == 403
    assert c.get("/admin/users").status_code == 403
    assert c.get("/upload").status_code == 200
    assert c.get("/", follow_redirects=False).headers["location"] == "/status"
    rc, _ = rita
    assert rc.get("/upload").status_code == 403
    assert rc.get("/", follow_redirects=False).headers["location"] == "/queue"
    q = rc.get("/queue")
    assert q.status_code == 200 and f'data-id="{invoice_id}"' in q.text and "check character fails" in q.text
    assert rc.get("/static/app.css").status_code == 200 and rc.get("/static/app.js").status_code == 200
    assert "cdn" not in q.text.lower() and "https://" not in q.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _form_login(c: TestClient, username: str, password: str, next: str = "/", **kw):
    token = re.search(r'name="login_csrf" value="([^"]+)"', c.get("/login").text).group(1)
    return c.post("/login", data={"username": username, "password": password, "next": next, "login_csrf": token}, **kw)


def test_login_form_needs_its_own_token(app, rita):
    c = TestClient(app)
    r = c.post("/login", data={"username": "rita", "password": "reviewer-pass-1"}, follow_redirects=False)
    assert r.status_code == 403 and c.get("/api/me").status_code == 401
    other = TestClient(app)  # a token from another browser's form does not do either
    token = re.search(r'name="login_csrf" value="([^"]+)"', other.get("/login").text).group(1)
    r = c.post("/login", data={"username": "rita", "password": "reviewer-pass-1", "login_csrf": token}, follow_redirects=False)
    assert r.status_code == 403 and c.get("/api/me").status_code == 401
    assert _form_login(c, "rita", "reviewer-pass-1", follow_redirects=False).status_code == 303
    assert c.get("/api/me").status_code == 200


def test_review_with_page_forms(app, db, flagged):
    invoice_id, truth = flagged
    c = TestClient(app)
    r = _form_login(c, "rita", "reviewer-pass-1", "/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    csrf = _csrf(c.get("/queue").text)
    r = c.post(f"/invoices/{invoice_id}/claim", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(f"/invoices/{invoice_id}").text
    assert 'class="frow flagged" data-slot="buyer_tax_id"' in page and "<svg" in page and "claimed by you" in page
    r = c.post(f"/invoices/{invoice_id}/save", data={"csrf_token": csrf, "version": "1", "f:buyer_tax_id": truth, "accept": ""})
    assert r.status_code == 200 and "Saved 1 change" in r.text and "all checks pass" in r.text
    assert 'class="frow flagged" data-slot="buyer_tax_id"' not in r.text
    r = c.post(f"/invoices/{invoice_id}/save", data={"csrf_token": csrf, "version": "1", "f:drawer": "x"})
    assert r.status_code == 409 and "reload" in r.text
    r = c.post(f"/invoices/{invoice_id}/approve", data={"csrf_token": csrf, "version": "2"}, follow_redirects=False)
    assert r.status_code == 303 and "approved" in r.headers["location"]
    with db.session() as s:
        assert s.get(InvoiceRecord, invoice_id).status == "approved"
        assert [a.action for a in s.scalars(sa.select(AuditEntry).where(AuditEntry.invoice_id == invoice_id))] == ["edit", "approve"]
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and c.get("/api/me").status_code == 401


def test_admin_manages_users_and_others_cannot(app, rita):
    c = TestClient(app)
    _form_login(c, "ada", "admin-pass-123")
    page = c.get("/admin/users")
    assert page.status_code == 200 and "carl" in page.text
    csrf = _csrf(page.text)
    assert c.post("/admin/users", data={"csrf_token": csrf, "username": "neo", "password": "pass-word-9", "role": "clerk"}).status_code == 200
    c.post("/admin/users/neo/role", data={"csrf_token": csrf, "role": "reviewer"})
    assert "reviewer" in TestClient(app).post("/api/login", json={"username": "neo", "password": "pass-word-9"}).text
    rc, rcsrf = rita
    assert rc.post("/admin/users", data={"csrf_token": rcsrf, "username": "x", "password": "pass-word-9", "role": "admin"}).status_code == 403


def test_password_change_ends_sessions(app, db, rita):
    c, _ = rita
    with db.session() as s:
        users.set_password(s, "rita", "a-new-password")
    assert c.get("/api/me").status_code == 401


def test_openapi_document(app):
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert {"/api/login", "/api/review/queue", "/api/invoices/{invoice_id}", "/api/invoices/{invoice_id}/claim",
            "/api/invoices/{invoice_id}/approve", "/api/invoices/{invoice_id}/reject", "/api/invoices/{invoice_id}/audit"} <= set(paths)
    assert "patch" in paths["/api/invoices/{invoice_id}"]
