"""Who is calling: from an API token (``Authorization: Bearer …``) or a session cookie; and the
checks every route makes in one place (signed in, role allowed, CSRF on cookie writes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from orebook.balance.accounts import UserInfo, get_user, user_for_token
from orebook.web.errors import ServiceError
from orebook.web.roles import allowed
from orebook.web.security import SessionData, csrf_ok

__all__ = ["SESSION_COOKIE", "Caller", "CallerDep", "caller", "require"]

SESSION_COOKIE = "orebook_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Caller:
    """The user behind a request (``None`` when anonymous) and how they signed in."""

    user: UserInfo | None
    session: SessionData | None = None
    via: str | None = None          # "token", "session" or None


def caller(request: Request) -> Caller:
    """Resolve the caller; a bad token is a 401, a stale or forged cookie is anonymous."""
    engine = request.app.state.engine
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        user = user_for_token(engine, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ServiceError(401, "the API token is not valid")
        return Caller(user, None, "token")
    session = request.app.state.signer.loads(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        user = get_user(engine, session.user_id)
        if user is not None and user.active and user.session_version == session.version:
            return Caller(user, session, "session")
    return Caller(None)


CallerDep = Annotated[Caller, Depends(caller)]


def require(action: str):
    """A dependency: the caller may take ``action`` (401 when anonymous, 403 when the role
    may not), and a write authenticated by cookie carries the session's CSRF token."""

    def check(request: Request, who: CallerDep) -> Caller:
        public = request.app.state.settings.public_read
        if not allowed(who.user.role if who.user else None, action, public_read=public):
            if who.user is None:
                raise ServiceError(401, "sign in first")
            raise ServiceError(403, f"the role {who.user.role!r} may not {action.replace('_', ' ')}")
        if (who.via == "session" and request.method not in _SAFE
                and not csrf_ok(who.session, request.headers.get(CSRF_HEADER))):
            raise ServiceError(403, f"missing or wrong {CSRF_HEADER} header")
        return who

    return check
