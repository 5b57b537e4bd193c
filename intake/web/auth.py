"""Who is asking: signed session cookies with a per-session CSRF token, Bearer API tokens, and the login rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from intake.errors import AuthenticationError, PermissionDeniedError, ReviewError
from intake.schema import User
from intake.settings import Settings
from intake.users import Principal, principal_for_token

COOKIE = "intake_session"
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TooManyAttemptsError(ReviewError):
    reason = "rate_limited"
    status_code = 429


class CsrfError(PermissionDeniedError):
    reason = "csrf"


def secret_key(settings: Settings) -> bytes:
    """The configured key, else one generated once into the data folder (readable by the owner only)."""
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = Path(settings.data_dir) / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server process made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


@dataclass
class Session:
    user_id: int
    csrf: str
    issued: float
    pw: str  # a fingerprint of the password hash: changing the password ends old sessions


class SessionSigner:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self.key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def fingerprint(self, password_hash: str) -> str:
        return hmac.new(self.key, password_hash.encode(), hashlib.sha256).hexdigest()[:16]

    def dumps(self, s: Session) -> str:
        payload = base64.urlsafe_b64encode(
            json.dumps({"u": s.user_id, "c": s.csrf, "t": s.issued, "p": s.pw}, separators=(",", ":")).encode()
        )
        return payload.decode().rstrip("=") + "." + self._mac(payload.rstrip(b"="))

    def loads(self, value: str) -> Session | None:
        try:
            payload, mac = value.rsplit(".", 1)
            if not hmac.compare_digest(mac, self._mac(payload.encode())):
                return None
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            s = Session(int(data["u"]), str(data["c"]), float(data["t"]), str(data["p"]))
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - s.issued > SESSION_SECONDS:
            return None
        return s


class LoginLimiter:
    """At most `limit` failed logins per (user name, client address) in `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def check(self, username: str, address: str) -> None:
        with self._lock:
            q = self._recent((username.lower(), address), time.monotonic())
            if len(q) >= self.limit:
                wait = int(self.window - (time.monotonic() - q[0])) + 1
                raise TooManyAttemptsError(f"too many failed logins; try again in {wait} seconds")

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address), time.monotonic()).append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)


@dataclass
class Caller:
    """The authenticated principal and how it authenticated (a cookie session needs CSRF; a token does not)."""

    principal: Principal
    session: Session | None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def new_session(signer: SessionSigner, user: User) -> Session:
    return Session(user.id, secrets.token_urlsafe(24), time.time(), signer.fingerprint(user.password_hash))


def set_session_cookie(response, request: Request, signer: SessionSigner, s: Session) -> None:  # type: ignore[no-untyped-def]
    response.set_cookie(
        COOKIE,
        signer.dumps(s),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response) -> None:  # type: ignore[no-untyped-def]
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


async def identify(request: Request) -> Caller:
    """Authenticate the request (Bearer token first, then the session cookie); check CSRF on cookie writes."""
    app = request.app
    db = app.state.db
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("use 'Authorization: Bearer TOKEN'")
        with db.session() as s:
            return Caller(principal_for_token(s, token.strip()), None)
    raw = request.cookies.get(COOKIE)
    sess = app.state.signer.loads(raw) if raw else None
    if sess is None:
        raise AuthenticationError("log in first")
    with db.session() as s:
        user = s.get(User, sess.user_id)
        if user is None or not user.active or not hmac.compare_digest(sess.pw, app.state.signer.fingerprint(user.password_hash)):
            raise AuthenticationError("your session has ended; log in again")
        principal = Principal(user.id, user.username, user.role)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            sent = str(form.get(CSRF_FIELD, ""))
        if not sent or not hmac.compare_digest(sent, sess.csrf):
            raise CsrfError("missing or wrong CSRF token (reload the page)")
    return Caller(principal, sess)
