"""Users, roles and API tokens: argon2 password hashes, tokens stored as SHA-256 digests, role checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.errors import AuthenticationError, NotFoundError, PermissionDeniedError, UserError
from intake.schema import ApiToken, Role, User, utcnow

_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user"
# and "wrong password" alike, so login answers do not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8

# What each role may do; admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CLERK: frozenset({"view", "upload"}),
    Role.REVIEWER: frozenset({"view", "review"}),
    Role.ADMIN: frozenset({"view", "upload", "review", "admin"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is making a request: enough to check permissions and to sign the audit trail."""

    id: int
    username: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDeniedError(f"user {self.username} ({self.role}) may not {permission}")


def _principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role)


def _role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def add_user(session: Session, username: str, password: str, role: str) -> Principal:
    if not _NAME.match(username):
        raise UserError("a user name is 1-64 letters, digits or . _ @ -")
    role = _role(role)
    _check_password(password)
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=_HASHER.hash(password), role=role, active=True)
    session.add(user)
    session.flush()
    return _principal(user)


def set_role(session: Session, username: str, role: str) -> Principal:
    user = get_user(session, username)
    user.role = _role(role)
    return _principal(user)


def set_password(session: Session, username: str, password: str) -> None:
    _check_password(password)
    user = get_user(session, username)
    user.password_hash = _HASHER.hash(password)


def set_active(session: Session, username: str, active: bool) -> None:
    get_user(session, username).active = active


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(session: Session, username: str, password: str) -> Principal:
    """The user for a name and password; AuthenticationError (one message for every cause) otherwise."""
    user = session.scalars(select(User).where(User.username == username)).first()
    try:
        if user is None:
            _HASHER.verify(_DUMMY_HASH, password)
            raise VerifyMismatchError()
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AuthenticationError("wrong user name or password") from None
    if not user.active:
        raise AuthenticationError("wrong user name or password")
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return _principal(user)


def principal_by_id(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return _principal(user)


def _token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, username: str) -> str:
    """A new API token for `username`; only its digest is stored, so show it now or never."""
    user = get_user(session, username)
    token = "fpi_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token)))
    session.flush()
    return token


def principal_for_token(session: Session, token: str) -> Principal:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_digest(token))).first()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise AuthenticationError("unknown or revoked API token")
    row.last_used_at = utcnow()
    return _principal(user)


def revoke_tokens(session: Session, username: str) -> int:
    user = get_user(session, username)
    rows = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))
    for row in rows:
        session.delete(row)
    return len(rows)
