"""Server-rendered pages: login, the review queue, the invoice screen, upload, status, users. Forms call the same service functions as the API."""

from __future__ import annotations

import hmac
import secrets

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from intake import review, users
from intake.errors import AuthenticationError, ReviewError
from intake.invoice import FIELDS, ITEM_FIELDS, InvoiceType, Status
from intake.query import locate
from intake.schema import Role
from intake.web.api import login_user, receive_upload
from intake.web.auth import Caller, clear_session_cookie, identify, set_session_cookie
from intake.web.pageimage import box_pixels, crop_css
from intake.web.pageimage import invoice_page as page_picture

router = APIRouter(include_in_schema=False)

LABELS: dict[str, tuple[str, str]] = {
    "invoice_type": ("发票类型", "type"),
    "invoice_code": ("发票代码", "code"),
    "invoice_number": ("发票号码", "number"),
    "issue_date": ("开票日期", "date"),
    "check_code": ("校验码", "check code"),
    "machine_number": ("机器编号", "machine no."),
    "buyer_name": ("购买方名称", "buyer"),
    "buyer_tax_id": ("购买方税号", "buyer tax id"),
    "seller_name": ("销售方名称", "seller"),
    "seller_tax_id": ("销售方税号", "seller tax id"),
    "total_amount": ("合计金额", "amount"),
    "total_tax": ("合计税额", "tax"),
    "amount_with_tax": ("价税合计", "total"),
    "amount_in_words": ("价税合计大写", "in words"),
    "drawer": ("开票人", "drawer"),
    "remarks": ("备注", "remarks"),
}
ITEM_LABELS = {
    "name": "项目名称", "spec": "规格型号", "unit": "单位", "quantity": "数量",
    "unit_price": "单价", "amount": "金额", "tax_rate": "税率", "tax": "税额",
}
GROUPS = (
    ("发票 Invoice", ("invoice_type", "invoice_code", "invoice_number", "issue_date", "check_code", "machine_number")),
    ("购买方 Buyer", ("buyer_name", "buyer_tax_id")),
    ("销售方 Seller", ("seller_name", "seller_tax_id")),
    ("金额 Amounts", ("total_amount", "total_tax", "amount_with_tax", "amount_in_words")),
    ("其他 Other", ("drawer", "remarks")),
)
REASON_TEXT = {
    "ocr_low_confidence": "low OCR confidence",
    "format_invalid": "format is invalid",
    "checksum_failed": "check character fails",
    "sum_mismatch": "amounts do not add up",
    "words_figures_mismatch": "大写 and 小写 disagree",
    "qr_mismatch": "differs from the QR code",
    "not_found": "not found on the page",
    "type_mismatch": "type disagrees with code",
    "date_implausible": "date is implausible",
    "unverified": "not verified",
    "duplicate": "duplicate invoice",
    "party_register": "name taken from the known parties for this tax id: check it",
    "party_mismatch": "differs from the known name for this tax id",
    "buyer_not_ours": "not one of our companies (抬头)",
    "incomplete": "part of it was not read: check the page",
}
TYPE_TEXT = {
    "vat_special": "增值税专用发票",
    "vat_normal": "增值税普通发票",
    "vat_electronic_special": "电子专票",
    "vat_electronic_normal": "电子普票",
    "vat_roll": "卷票",
    "toll": "通行费",
    "digital_special": "数电专票",
    "digital_normal": "数电普票",
    "unknown": "未知",
}


def reason_text(r: str) -> str:
    if r.startswith("duplicate_of:"):
        return f"same code+number as #{r.split(':', 1)[1]}"
    return REASON_TEXT.get(r, r.replace("_", " "))


def field_label(slot: str) -> str:
    """'buyer_tax_id' -> '购买方税号'; 'items.0.amount' -> '明细1 金额'."""
    if slot in LABELS:
        return LABELS[slot][0]
    parts = slot.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        return f"明细{int(parts[1]) + 1} {ITEM_LABELS.get(parts[2], parts[2])}"
    return slot.replace("_", " ")


def group_reasons(tags: list[str]) -> list[tuple[str, list[str]]]:
    """['a:sum_mismatch', 'b:sum_mismatch', 'c:not_found'] -> [('sum_mismatch', [a, b]), ('not_found', [c])] with field labels."""
    groups: dict[str, list[str]] = {}
    for tag in tags:
        f, _, why = tag.partition(":")
        groups.setdefault(why or f, []).append(field_label(f) if why else "")
    return list(groups.items())


def _templates(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.templates


def render(request: Request, name: str, caller: Caller | None, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.update(
        request=request,
        me=caller.principal if caller else None,
        csrf=caller.csrf if caller else "",
        notice=ctx.get("notice", request.query_params.get("notice", "")),
        reason_text=reason_text,
        field_label=field_label,
        group_reasons=group_reasons,
        type_text=TYPE_TEXT,
    )
    return _templates(request).TemplateResponse(request, name, ctx, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _db(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.db


# ---------------------------------------------------------------- login


LOGIN_CSRF_COOKIE = "intake_login_csrf"


def _login_form(request: Request, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """The login form with a fresh double-submit token, so another site cannot log a browser into our app."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status_code=status_code, login_csrf=token, **ctx)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=request.url.scheme == "https")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, next=_local(next), error="")


def _local(url: str) -> str:
    # Only paths on this site: never redirect a login to somewhere else.
    return url if url.startswith("/") and not url.startswith("//") else "/"


@router.post("/login")
def login_submit(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/"),
                 login_csrf: str = Form("")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not login_csrf or not hmac.compare_digest(expected, login_csrf):
        return _login_form(request, status_code=403, next=_local(next), username=username,
                           error="The login form expired; please log in again.")
    try:
        sess, _ = login_user(request, username, password)
    except ReviewError as e:
        return _login_form(request, status_code=e.status_code, next=_local(next), error=str(e), username=username)
    response = redirect(_local(next))
    set_session_cookie(response, request, request.app.state.signer, sess)
    return response


@router.post("/logout")
def logout(caller: Caller = Depends(identify)) -> Response:
    response = redirect("/login")
    clear_session_cookie(response)
    return response


@router.get("/")
def home(caller: Caller = Depends(identify)) -> Response:
    return redirect("/queue" if caller.principal.can("review") else "/status")


# ---------------------------------------------------------------- queue


def _date(s: str) -> Optional[date]:
    try:
        return date.fromisoformat(s) if s else None
    except ValueError:
        return None


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, reason: str = "", type: str = "", seller: str = "", date_from: str = "", date_to: str = "",
    caller: Caller = Depends(identify),
) -> HTMLResponse:
    filt = review.QueueFilter(reason=reason, invoice_type=type, seller=seller, date_from=_date(date_from), date_to=_date(date_to))
    with _db(request).session() as s:
        entries = review.queue(s, caller.principal, filt)
        all_entries = review.queue(s, caller.principal) if any((reason, type, seller, date_from, date_to)) else entries
    now = datetime.now(timezone.utc)
    return render(
        request, "queue.html", caller, entries=entries, total=len(all_entries),
        reasons=review.queue_reasons(all_entries), types=[t.value for t in InvoiceType],
        filt={"reason": reason, "type": type, "seller": seller, "date_from": date_from, "date_to": date_to},
        query=urlencode({k: v for k, v in {"reason": reason, "type": type, "seller": seller, "date_from": date_from, "date_to": date_to}.items() if v}),
        now=now,
    )


@router.post("/queue/next")
def queue_next(request: Request, after: int = Form(0), caller: Caller = Depends(identify)) -> Response:
    with _db(request).session() as s:
        if after:
            try:
                review.release(s, caller.principal, after)
            except ReviewError:
                pass
        nxt = review.claim_next(s, caller.principal, after=after or None)
    if nxt is None:
        return redirect("/queue?notice=" + quote("The queue is empty. 队列已清空。"))
    return redirect(f"/invoices/{nxt}")


# ---------------------------------------------------------------- the invoice screen


def _field_rows(det: dict[str, Any], pi, page: int, problems: dict[str, list[str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """One view row per field: label, value, flags, box on the picture, and a zoomed crop."""
    rows: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []

    def row(slot: str, fd: dict[str, Any], label: tuple[str, str]) -> dict[str, Any]:
        flagged = fd.get("status") != Status.ACCEPTED
        r = {
            "slot": slot,
            "label": label[0],
            "hint": label[1],
            "value": fd.get("value", ""),
            "flagged": flagged,
            "reasons": fd.get("reasons", []) if flagged else [],
            "source": fd.get("source", ""),
            "confidence": fd.get("confidence", 0.0),
            "box": None,
            "crop": None,
            "multiline": slot == "remarks",
            "known": det.get("known_names", {}).get(slot, "") if flagged else "",
        }
        if pi is not None and fd.get("bbox") and fd.get("page", page) == page:
            box = box_pixels(pi, fd["bbox"], fd.get("source", ""))
            if box is not None:
                r["box"] = box
                r["crop"] = crop_css(pi, box)
                boxes.append({"slot": slot, "box": box, "flagged": flagged})
        return r

    for name in FIELDS:
        rows.append(row(name, det[name], LABELS[name]))
    items = []
    for pos, item in enumerate(det["items"]):
        items.append([row(f"items.{pos}.{n}", item[n], (ITEM_LABELS[n], n)) for n in ITEM_FIELDS if n in item])
    return rows, items, boxes  # type: ignore[return-value]


def invoice_view(request: Request, caller: Caller, invoice_id: int, *, status_code: int = 200, error: str = "",
                 problems: dict[str, list[str]] | None = None, notice: str = "", focus: str = "", saved: bool = False) -> HTMLResponse:
    settings = request.app.state.settings
    with _db(request).session() as s:
        det = review.detail(s, caller.principal, invoice_id)
        history = review.audit(s, caller.principal, invoice_id)
        pi = page_picture(settings, review.load(s, invoice_id), det["page"])
        position = None
        if caller.principal.can("review"):
            ids = [e.id for e in review.queue(s, caller.principal)]
            position = (ids.index(invoice_id) + 1, len(ids)) if invoice_id in ids else (None, len(ids))
    page = det["page"]
    rows, items, boxes = _field_rows(det, pi, page, problems or {})
    by_slot = {r["slot"]: r for r in rows}
    groups = [(title, [by_slot[n] for n in names]) for title, names in GROUPS]
    task = det.get("task") or {}
    mine = task.get("claimed_by") == caller.principal.username
    editable = det["status"] == "needs_review" and caller.principal.can("review") and (mine or not task.get("claimed_by"))
    open_flags = [r["slot"] for r in rows if r["flagged"] and r["slot"] in _key()] + [
        c["slot"] for it in items for c in it if c["flagged"] and c["value"]
    ]
    first_focus = focus or (open_flags[0] if open_flags else "invoice_number")
    return render(
        request, "invoice.html", caller, status_code=status_code, det=det, groups=groups, items=items, boxes=boxes,
        pi=pi, page_url=f"/api/invoices/{invoice_id}/pages/{page}.png" if pi else None, history=history,
        editable=editable, mine=mine, task=task, error=error, notice=notice or request.query_params.get("notice", ""),
        open_flags=open_flags, first_focus=first_focus, position=position, saved=saved, types=[t.value for t in InvoiceType],
    )


def _key() -> tuple[str, ...]:
    from intake.invoice import KEY_FIELDS

    return KEY_FIELDS


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, invoice_id: int, focus: str = "", saved: int = 0, caller: Caller = Depends(identify)) -> HTMLResponse:
    return invoice_view(request, caller, invoice_id, focus=focus, saved=bool(saved))


@router.post("/invoices/{invoice_id}/claim")
def invoice_claim(request: Request, invoice_id: int, caller: Caller = Depends(identify)) -> Response:
    try:
        with _db(request).session() as s:
            review.claim(s, caller.principal, invoice_id)
    except ReviewError as e:
        return invoice_view(request, caller, invoice_id, status_code=e.status_code, error=str(e))
    return redirect(f"/invoices/{invoice_id}")


@router.post("/invoices/{invoice_id}/release")
def invoice_release(request: Request, invoice_id: int, caller: Caller = Depends(identify)) -> Response:
    with _db(request).session() as s:
        review.release(s, caller.principal, invoice_id)
    return redirect("/queue")


async def _form_changes(request: Request, det: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    current: dict[str, str] = {n: det[n]["value"] for n in FIELDS}
    for pos, item in enumerate(det["items"]):
        for n, fd in item.items():
            current[f"items.{pos}.{n}"] = fd["value"]
    changes = {}
    for key, value in form.multi_items():
        if key.startswith("f:"):
            slot = key[2:]
            value = str(value).replace("\r\n", "\n")
            if slot in current and value != current[slot]:
                changes[slot] = value
    accept = [a for a in str(form.get("accept", "")).split(",") if a in current and a not in changes]
    return changes, accept


@router.post("/invoices/{invoice_id}/save")
async def invoice_save(request: Request, invoice_id: int, caller: Caller = Depends(identify)) -> Response:
    form = await request.form()
    focus = str(form.get("focus", ""))
    then = str(form.get("then", ""))
    try:
        with _db(request).session() as s:
            det = review.detail(s, caller.principal, invoice_id)
        changes, accept = await _form_changes(request, det)
        version = int(str(form.get("version", "0")) or 0)
        if not changes and not accept and then == "approve":
            return await _approve(request, caller, invoice_id, version, str(form.get("reason", "")))
        with _db(request).session() as s:
            result = review.edit(s, request.app.state.settings, caller.principal, invoice_id, version, changes, accept=accept)
    except ReviewError as e:
        return invoice_view(request, caller, invoice_id, status_code=e.status_code, error=str(e), focus=focus)
    parts = []
    if result.changed:
        parts.append(f"Saved {len(result.changed)} change(s)")
    if result.accepted:
        parts.append(f"confirmed {len(result.accepted)} field(s)")
    if not parts:
        parts.append("Nothing changed")
    if result.validated:
        parts.append("all checks pass" if not result.problems else f"{len(result.problems)} field(s) still flagged")
    else:
        parts.append("checks not run (validation unavailable)")
    msg = "; ".join(parts) + "."
    # Post/redirect/get: a reload must not send the save again. The checks' verdicts are stored with the fields.
    return redirect(f"/invoices/{invoice_id}?" + urlencode({"notice": msg, "focus": focus, "saved": 1}))


async def _approve(request: Request, caller: Caller, invoice_id: int, version: int | None, reason: str) -> Response:
    with _db(request).session() as s:
        review.approve(s, caller.principal, invoice_id, version=version, reason=reason)
    return await _go_next(request, caller, invoice_id, f"#{invoice_id} approved")


async def _go_next(request: Request, caller: Caller, done: int, msg: str) -> Response:
    with _db(request).session() as s:
        nxt = review.claim_next(s, caller.principal, after=done)
    if nxt is None:
        return redirect("/queue?" + urlencode({"notice": msg + " — the queue is empty."}))
    return redirect(f"/invoices/{nxt}?" + urlencode({"notice": msg}))


@router.post("/invoices/{invoice_id}/approve")
async def invoice_approve(request: Request, invoice_id: int, caller: Caller = Depends(identify)) -> Response:
    form = await request.form()
    try:
        v = str(form.get("version", ""))
        return await _approve(request, caller, invoice_id, int(v) if v else None, str(form.get("reason", "")))
    except ReviewError as e:
        return invoice_view(request, caller, invoice_id, status_code=e.status_code, error=str(e))


@router.post("/invoices/{invoice_id}/reject")
async def invoice_reject(request: Request, invoice_id: int, caller: Caller = Depends(identify)) -> Response:
    form = await request.form()
    try:
        v = str(form.get("version", ""))
        with _db(request).session() as s:
            review.reject(s, caller.principal, invoice_id, str(form.get("reason", "")), version=int(v) if v else None)
    except ReviewError as e:
        return invoice_view(request, caller, invoice_id, status_code=e.status_code, error=str(e))
    return await _go_next(request, caller, invoice_id, f"#{invoice_id} rejected")


# ---------------------------------------------------------------- clerks: upload and status


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, caller: Caller = Depends(identify)) -> HTMLResponse:
    caller.principal.require("upload")
    return render(request, "upload.html", caller, results=None, max_mb=request.app.state.settings.max_file_mb)


@router.post("/upload", response_class=HTMLResponse)
def upload_submit(request: Request, files: list[UploadFile] = File(...), caller: Caller = Depends(identify)) -> HTMLResponse:
    caller.principal.require("upload")
    results = [receive_upload(request, f, caller.principal.username) for f in files if f.filename]
    return render(request, "upload.html", caller, results=results, max_mb=request.app.state.settings.max_file_mb)


def whereabouts(session: Session, q: str) -> dict[str, Any]:
    """Where is this invoice or file: documents, their invoices and every processing event (JSON-ready)."""
    q = q.strip()
    # A web user names a file or an invoice, never a path on the server's disk.
    needle = Path(q).name if ("/" in q or "\\" in q) else q
    w = locate(session, needle) if needle else None
    if w is None:
        return {"query": q, "documents": [], "invoices": [], "events": []}

    def t(v: Optional[datetime]) -> Optional[str]:
        return v.replace(tzinfo=v.tzinfo or timezone.utc).isoformat() if v else None

    return {
        "query": q,
        "documents": [
            {"id": d.id, "file_name": d.original_name, "status": d.status, "received_at": t(d.received_at),
             "pages": d.pages, "failure_reason": d.failure_reason, "failure_message": d.failure_message, "channel": d.channel}
            for d in w.documents
        ],
        "invoices": [
            {"id": r.id, "document_id": r.document_id, "page": r.page, "status": r.status, "invoice_type": r.invoice_type,
             "invoice_code": r.invoice_code, "invoice_number": r.invoice_number,
             "issue_date": r.issue_date.isoformat() if r.issue_date else "", "seller_name": r.seller_name,
             "amount_with_tax": f"{r.amount_with_tax:.2f}" if r.amount_with_tax is not None else "",
             "decided_by": r.decided_by, "reject_reason": r.reject_reason, "duplicate_of_id": r.duplicate_of_id}
            for r in w.invoices
        ],
        "events": [
            {"at": t(e.at), "document_id": e.document_id, "invoice_id": e.invoice_id, "file_name": Path(e.path).name,
             "stage": e.stage, "outcome": e.outcome, "reason": e.reason, "message": e.message, "actor": e.actor}
            for e in w.events
        ],
    }


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, q: str = "", caller: Caller = Depends(identify)) -> HTMLResponse:
    caller.principal.require("view")
    result = None
    if q.strip():
        with _db(request).session() as s:
            result = whereabouts(s, q)
    return render(request, "status.html", caller, q=q, result=result)


# ---------------------------------------------------------------- admin: users


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, caller: Caller = Depends(identify), error: str = "") -> HTMLResponse:
    caller.principal.require("admin")
    with _db(request).session() as s:
        rows = [(u.username, u.role, u.active, u.created_at) for u in users.list_users(s)]
    return render(request, "users.html", caller, users=rows, roles=[r.value for r in Role], error=error)


@router.post("/admin/users")
def users_add(request: Request, username: str = Form(...), password: str = Form(...), role: str = Form(...),
              caller: Caller = Depends(identify)) -> Response:
    caller.principal.require("admin")
    try:
        with _db(request).session() as s:
            users.add_user(s, username.strip(), password, role)
    except ReviewError as e:
        return users_page(request, caller, error=str(e))
    return redirect("/admin/users?" + urlencode({"notice": f"user {username} added"}))


@router.post("/admin/users/{username}/role")
def users_role(request: Request, username: str, role: str = Form(...), caller: Caller = Depends(identify)) -> Response:
    caller.principal.require("admin")
    try:
        with _db(request).session() as s:
            users.set_role(s, username, role)
    except (ReviewError, AuthenticationError) as e:
        return users_page(request, caller, error=str(e))
    return redirect("/admin/users?" + urlencode({"notice": f"{username} is now {role}"}))
