"""Accounts of the balance service: users with roles, API tokens and the audit log.

- Passwords are hashed with Argon2id (``argon2-cffi``'s defaults, the RFC 9106 low-memory
  profile); a hash made with older parameters is replaced at the next successful login.
- API tokens are 32 random bytes shown once; only their SHA-256 is stored.
- ``session_version`` counts password changes, role changes and deactivations: a session cookie
  carries the version it was made with, so such a change ends every open session.
- Every write of the service is recorded in the audit log with who, what and when
  (:func:`record_audit`).

Roles (:data:`ROLES`) are what the service checks; the table of who may do what is
``orebook.web.roles``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from orebook.balance.schema import Base, _in
from orebook.errors import ConflictError, NotFoundError, ParameterError

__all__ = [
    "ROLES",
    "ApiToken",
    "AuditEntry",
    "User",
    "UserInfo",
    "authenticate",
    "create_api_token",
    "create_user",
    "get_user",
    "hash_password",
    "hash_token",
    "list_audit",
    "list_users",
    "record_audit",
    "revoke_api_token",
    "set_password",
    "update_user",
    "user_for_token",
    "verify_password",
]

ROLES = ("viewer", "geologist", "commission", "registrar", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("orebook-dummy-password")
_TOKEN_TOUCH_S = 60.0   # last_used_at of an API token is written at most this often


class User(Base):
    """An account of the service."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class ApiToken(Base):
    """An API token of a user; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """One write of the service: who, what, on which record, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


@dataclass(frozen=True)
class UserInfo:
    """What the service knows of a signed-in user (never the password hash)."""

    id: int
    username: str
    full_name: str | None
    role: str
    active: bool
    session_version: int


@contextmanager
def _writing(engine: Engine) -> Iterator[Session]:
    """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE`` on SQLite),
    so two writers queue instead of failing on a lock upgrade."""
    from orebook.balance.db import write_engine

    with Session(write_engine(engine), expire_on_commit=False) as s, s.begin():
        yield s


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.full_name, u.role, u.active, u.session_version)


#: the columns of :class:`UserInfo`, in its order (one Core query per request, no ORM session)
_INFO_COLUMNS = (User.id, User.username, User.full_name, User.role, User.active,
                 User.session_version)
#: the queries of every request, built once (building a statement costs more than running it)
_USER_QUERY = select(*_INFO_COLUMNS).where(User.id == bindparam("user_id"))
_TOKEN_QUERY = (select(*_INFO_COLUMNS, ApiToken.id, ApiToken.last_used_at)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == bindparam("token_hash"),
                       ApiToken.revoked.is_(False), User.active.is_(True)))


# ------------------------------------------------------------------------- credentials
def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (10 to 1024 characters)."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ParameterError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; never raises for a wrong password or a
    damaged hash."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """The stored form of an API token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# ------------------------------------------------------------------------- users
def _check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise ParameterError("a user name has 2 to 100 letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit")
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ParameterError(f"role must be one of {list(ROLES)}, got {role!r}")
    return role


def create_user(engine: Engine, username: str, password: str, role: str, *,
                full_name: str | None = None, by: UserInfo | None = None) -> UserInfo:
    """Create an account; a taken user name is a :class:`ConflictError`."""
    _check_username(username)
    _check_role(role)
    if full_name is not None and len(full_name) > 200:
        raise ParameterError("a full name has at most 200 characters")
    pw = hash_password(password)
    try:
        with _writing(engine) as s:
            user = User(username=username, full_name=full_name, password_hash=pw, role=role,
                        active=True, session_version=0)
            s.add(user)
            s.flush()
            _audit(s, by, "create_user", f"user {username}", f"role {role}")
            return _info(user)
    except IntegrityError as exc:
        raise ConflictError(f"user name {username!r} is taken") from exc


def get_user(engine: Engine, user_id: int) -> UserInfo | None:
    """The account with ``user_id``, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(_USER_QUERY, {"user_id": user_id}).first()
    return UserInfo(*row) if row is not None else None


def list_users(engine: Engine) -> list[UserInfo]:
    """Every account, by user name."""
    with Session(engine) as s:
        return [_info(u) for u in s.scalars(select(User).order_by(User.username))]


def authenticate(engine: Engine, username: str, password: str) -> UserInfo | None:
    """The active account whose password this is, or ``None`` (an unknown name costs the same
    time as a wrong password). An outdated hash is replaced."""
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.username == username)) \
            if isinstance(username, str) and len(username) <= 100 else None
        if user is None:
            verify_password(_DUMMY_HASH, password if isinstance(password, str) else "")
            return None
        if not verify_password(user.password_hash, password) or not user.active:
            return None
        info, stale = _info(user), _HASHER.check_needs_rehash(user.password_hash)
    if stale:
        with _writing(engine) as s:
            s.execute(update(User).where(User.id == info.id)
                      .values(password_hash=_HASHER.hash(password)))
    return info


def set_password(engine: Engine, user_id: int, password: str, *,
                 by: UserInfo | None = None) -> None:
    """Change a password; every open session of the account ends."""
    pw = hash_password(password)
    with _writing(engine) as s:
        user = _user(s, user_id)
        user.password_hash = pw
        user.session_version += 1
        _audit(s, by, "set_password", f"user {user.username}", None)


def update_user(engine: Engine, user_id: int, *, role: str | None = None,
                active: bool | None = None, full_name: str | None = None,
                by: UserInfo | None = None) -> UserInfo:
    """Change a role, (de)activate an account or rename it; a role change or deactivation
    ends the account's open sessions."""
    with _writing(engine) as s:
        user = _user(s, user_id)
        changes = []
        if role is not None and role != user.role:
            user.role = _check_role(role)
            changes.append(f"role {role}")
        if active is not None and bool(active) != user.active:
            user.active = bool(active)
            changes.append("activated" if active else "deactivated")
        if full_name is not None:
            if len(full_name) > 200:
                raise ParameterError("a full name has at most 200 characters")
            user.full_name = full_name
            changes.append("renamed")
        if any(c.startswith("role") or c == "deactivated" for c in changes):
            user.session_version += 1
        if changes:
            _audit(s, by, "update_user", f"user {user.username}", ", ".join(changes))
        return _info(user)


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


# ------------------------------------------------------------------------- API tokens
def create_api_token(engine: Engine, user_id: int, name: str, *,
                     by: UserInfo | None = None) -> tuple[str, int]:
    """A new token for the user: ``(token, token id)``. The token is shown once; only its
    hash is stored."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise ParameterError("a token name has 1 to 100 characters")
    token = secrets.token_urlsafe(32)
    with _writing(engine) as s:
        user = _user(s, user_id)
        row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), revoked=False)
        s.add(row)
        s.flush()
        _audit(s, by, "create_token", f"user {user.username}", f"token {row.id} {name!r}")
        return token, row.id


def user_for_token(engine: Engine, token: str) -> UserInfo | None:
    """The active user a (not revoked) token belongs to, or ``None``.

    Reading is one query; ``last_used_at`` is written at most once a minute per
    token, in a short write transaction of its own (``BEGIN IMMEDIATE`` on SQLite), so that
    many scripts reading at once never contend for the write lock."""
    if not isinstance(token, str) or not 10 <= len(token) <= 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(_TOKEN_QUERY, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    info, token_id, last = UserInfo(*row[:-2]), row[-2], row[-1]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if last is None or (now - last).total_seconds() > _TOKEN_TOUCH_S:
        from orebook.balance.db import write_engine

        with Session(write_engine(engine)) as s, s.begin():
            s.execute(update(ApiToken).where(ApiToken.id == token_id)
                      .values(last_used_at=now))
    return info


def revoke_api_token(engine: Engine, token_id: int, *, by: UserInfo | None = None) -> None:
    """Revoke a token (kept, marked revoked)."""
    with _writing(engine) as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            raise NotFoundError(f"no API token with id {token_id}")
        row.revoked = True
        _audit(s, by, "revoke_token", f"token {token_id}", None)


# ------------------------------------------------------------------------- audit
def _audit(s: Session, by: UserInfo | None, action: str, target: str,
           detail: str | None) -> None:
    s.add(AuditEntry(user_id=by.id if by else None,
                     username=by.username if by else "(command line)",
                     action=action[:40], target=target[:200], detail=detail))


def record_audit(engine_or_session: Engine | Session, by: UserInfo | None, action: str,
                 target: str, detail: str | None = None) -> None:
    """Record a write in the audit log: inside the caller's transaction when given a session
    (so the write and its record commit together), else in a transaction of its own."""
    if isinstance(engine_or_session, Session):
        _audit(engine_or_session, by, action, target, detail)
        return
    with _writing(engine_or_session) as s:
        _audit(s, by, action, target, detail)


def list_audit(engine: Engine, *, limit: int = 100, offset: int = 0) -> list[dict]:
    """The newest audit entries first."""
    with Session(engine) as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())
                         .limit(limit).offset(offset))
        return [{"id": r.id, "at": r.at, "username": r.username, "action": r.action,
                 "target": r.target, "detail": r.detail} for r in rows]
