"""The FastAPI application: settings and database on app.state, the API and page routers, errors mapped to HTTP answers."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from intake.database import Database
from intake.errors import AuthenticationError, IntakeError, NotFoundError, ReviewError
from intake.settings import Settings
from intake.web.auth import LoginLimiter, SessionSigner, secret_key

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _status(e: IntakeError) -> int:
    if isinstance(e, ReviewError):
        return e.status_code
    if isinstance(e, NotFoundError):
        return 404
    return 500


def _age(t: datetime | None, now: datetime) -> str:
    """How long something has waited, in the largest sensible unit: '4 min', '3 h', '2 d'."""
    if t is None:
        return ""
    seconds = max(0, int((now - (t if t.tzinfo else t.replace(tzinfo=timezone.utc))).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """The web application over `settings`' database (opened and migrated here unless given)."""
    app = FastAPI(
        title="fapiao-intake",
        summary="Review queue, invoices, audit trail and upload for Chinese VAT invoices.",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url)
    app.state.signer = SessionSigner(secret_key(settings))
    app.state.limiter = LoginLimiter()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["age"] = _age
    app.state.templates = templates

    @app.exception_handler(IntakeError)
    async def intake_error(request: Request, e: IntakeError) -> Response:
        code = _status(e)
        if code >= 500:
            log.error("%s %s: %s", request.method, request.url.path, e)
        if _wants_json(request):
            return JSONResponse({"error": e.reason, "detail": str(e)}, status_code=code,
                                headers={"WWW-Authenticate": "Bearer"} if code == 401 else None)
        if isinstance(e, AuthenticationError) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        return templates.TemplateResponse(
            request, "error.html", {"request": request, "code": code, "message": str(e), "me": None, "csrf": "",
                                    "notice": ""}, status_code=code,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, e: RequestValidationError) -> Response:
        return JSONResponse({"error": "bad_request", "detail": e.errors()}, status_code=422)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/api/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
            )
        return response

    from intake.web.api import router as api_router
    from intake.web.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
