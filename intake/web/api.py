"""The JSON API under /api: login, the review queue, invoices (read, claim, edit, approve, reject, audit), upload, status."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from intake import review
from intake.errors import AuthenticationError, InvalidValueError, NotFoundError
from intake.schema import User
from intake.users import authenticate
from intake.web.auth import (
    Caller,
    client_address,
    clear_session_cookie,
    identify,
    new_session,
    set_session_cookie,
)
from intake.web.pageimage import invoice_page

router = APIRouter(prefix="/api", tags=["api"])


class LoginBody(BaseModel):
    username: str
    password: str


class EditBody(BaseModel):
    version: int
    fields: dict[str, str] = Field(default_factory=dict, description="field name (or items.N.name) -> new value")
    accept: list[str] = Field(default_factory=list, description="fields confirmed as read, value unchanged")
    reason: str = ""


class ApproveBody(BaseModel):
    version: Optional[int] = None
    reason: str = ""


class RejectBody(BaseModel):
    reason: str
    version: Optional[int] = None


def login_user(request: Request, username: str, password: str) -> tuple[Any, Any]:
    """Check the rate limit and the password; returns (session, principal). Shared by the form and the API."""
    app = request.app
    address = client_address(request)
    app.state.limiter.check(username, address)
    with app.state.db.session() as s:
        try:
            principal = authenticate(s, username, password)
        except AuthenticationError:
            app.state.limiter.failed(username, address)
            raise
        user = s.get(User, principal.id)
        sess = new_session(app.state.signer, user)
    app.state.limiter.succeeded(username, address)
    return sess, principal


@router.post("/login")
def api_login(body: LoginBody, request: Request) -> JSONResponse:
    sess, principal = login_user(request, body.username, body.password)
    response = JSONResponse({"csrf_token": sess.csrf, "user": principal.username, "role": principal.role})
    set_session_cookie(response, request, request.app.state.signer, sess)
    return response


@router.post("/logout")
def api_logout(caller: Caller = Depends(identify)) -> JSONResponse:
    response = JSONResponse({"ok": True})
    clear_session_cookie(response)
    return response


@router.get("/me")
def api_me(caller: Caller = Depends(identify)) -> dict[str, Any]:
    p = caller.principal
    return {"user": p.username, "role": p.role, "csrf_token": caller.csrf or None}


def _filter(reason: str, invoice_type: str, seller: str, date_from: Optional[date], date_to: Optional[date]) -> review.QueueFilter:
    return review.QueueFilter(reason=reason, invoice_type=invoice_type, seller=seller, date_from=date_from, date_to=date_to)


@router.get("/review/queue")
def api_queue(
    request: Request,
    reason: str = "",
    type: str = Query("", alias="type"),
    seller: str = "",
    date_from: Optional[date] = None,
    date_to: Optional[date] = None,
    caller: Caller = Depends(identify),
) -> list[dict[str, Any]]:
    with request.app.state.db.session() as s:
        entries = review.queue(s, caller.principal, _filter(reason, type, seller, date_from, date_to))
        return [e.to_dict() for e in entries]


@router.post("/review/next")
def api_next(request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    """Claim the oldest invoice nobody holds; {"id": null} when the queue is empty."""
    with request.app.state.db.session() as s:
        return {"id": review.claim_next(s, caller.principal)}


@router.get("/invoices/{invoice_id}")
def api_invoice(invoice_id: int, request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    with request.app.state.db.session() as s:
        return review.detail(s, caller.principal, invoice_id)


@router.post("/invoices/{invoice_id}/claim")
def api_claim(invoice_id: int, request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    with request.app.state.db.session() as s:
        return review.claim(s, caller.principal, invoice_id)


@router.post("/invoices/{invoice_id}/release")
def api_release(invoice_id: int, request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    with request.app.state.db.session() as s:
        review.release(s, caller.principal, invoice_id)
    return {"id": invoice_id, "released": True}


@router.patch("/invoices/{invoice_id}")
def api_edit(invoice_id: int, body: EditBody, request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    with request.app.state.db.session() as s:
        result = review.edit(
            s, request.app.state.settings, caller.principal, invoice_id, body.version, body.fields,
            accept=body.accept, reason=body.reason,
        )
        return result.to_dict()


@router.post("/invoices/{invoice_id}/approve")
def api_approve(invoice_id: int, request: Request, body: Optional[ApproveBody] = None, caller: Caller = Depends(identify)) -> dict[str, Any]:
    body = body or ApproveBody()
    with request.app.state.db.session() as s:
        return review.approve(s, caller.principal, invoice_id, version=body.version, reason=body.reason)


@router.post("/invoices/{invoice_id}/reject")
def api_reject(invoice_id: int, body: RejectBody, request: Request, caller: Caller = Depends(identify)) -> dict[str, Any]:
    with request.app.state.db.session() as s:
        return review.reject(s, caller.principal, invoice_id, body.reason, version=body.version)


@router.get("/invoices/{invoice_id}/audit")
def api_audit(invoice_id: int, request: Request, caller: Caller = Depends(identify)) -> list[dict[str, Any]]:
    with request.app.state.db.session() as s:
        return review.audit(s, caller.principal, invoice_id)


@router.get("/invoices/{invoice_id}/pages/{page}.png", response_class=FileResponse)
def api_page_image(invoice_id: int, page: int, request: Request, caller: Caller = Depends(identify)) -> Response:
    caller.principal.require("view")
    with request.app.state.db.session() as s:
        pi = invoice_page(request.app.state.settings, review.load(s, invoice_id), page)
    if pi is None:
        raise NotFoundError(f"invoice #{invoice_id} has no picture of page {page}")
    return FileResponse(pi.path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip().lstrip(".")
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "upload"


def receive_upload(request: Request, upload: UploadFile, actor: str) -> dict[str, Any]:
    """Save one uploaded file and run it through the same path as `intake scan`."""
    from intake.receive import receive_file, refuse

    settings = request.app.state.settings
    limit = int(settings.max_file_mb * 1024 * 1024)
    name = safe_name(upload.filename)
    inbox = Path(settings.data_dir) / "uploads"
    inbox.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=inbox, prefix=f"{uuid.uuid4().hex[:8]}-"))
    path = folder / name
    try:
        size = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    outcome = refuse(request.app.state.db, f"upload:{actor}/{name}", "too_large",
                                     f"{name}: over the {settings.max_file_mb:g} MB limit (max_file_mb)")
                    return {**asdict(outcome), "file": name, "path": None}
                out.write(chunk)
        outcome = receive_file(request.app.state.db, settings, path, channel="upload", batch=f"upload:{actor}",
                               shown=f"upload:{actor}/{name}")
        d = asdict(outcome)
        d["file"] = name
        d.pop("path", None)
        return d
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/upload")
def api_upload(request: Request, files: list[UploadFile] = File(...), caller: Caller = Depends(identify)) -> list[dict[str, Any]]:
    caller.principal.require("upload")
    if not files:
        raise InvalidValueError("no files were sent")
    return [receive_upload(request, f, caller.principal.username) for f in files]


@router.get("/status")
def api_status(request: Request, q: str, caller: Caller = Depends(identify)) -> dict[str, Any]:
    from intake.web.pages import whereabouts

    caller.principal.require("view")
    with request.app.state.db.session() as s:
        return whereabouts(s, q)
