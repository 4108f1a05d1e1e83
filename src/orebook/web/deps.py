"""Who is calling: from an API token (``Authorization: Bearer …``) or a session cookie; and the
checks every route makes in one place (signed in, role allowed, CSRF on cookie writes)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from orebook.balance.accounts import UserInfo, get_user, hash_token, user_for_token
from orebook.web.errors import ServiceError
from orebook.web.roles import allowed
from orebook.web.security import SessionData, csrf_ok

__all__ = ["SESSION_COOKIE", "Caller", "CallerDep", "caller", "identify", "require"]

SESSION_COOKIE = "orebook_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Caller:
    """The user behind a request (``None`` when anonymous) and how they signed in."""

    user: UserInfo | None
    session: SessionData | None = None
    via: str | None = None          # "token", "session" or None


def identify(request: Request) -> Caller:
    """Resolve the caller: a bad token is a 401, a stale or forged cookie is anonymous. The
    user comes from the service's auth cache (``orebook.web.auth_cache``) or is read from the
    registry. Blocking: for pages and worker threads."""
    return _resolve(request, read=False) or _resolve(request, read=True)


async def caller(request: Request) -> Caller:
    """:func:`identify` as a dependency: answered in the event loop when the user is kept,
    else read in a worker thread."""
    who = _resolve(request, read=False)
    if who is None:
        who = await run_in_threadpool(_resolve, request, read=True)
    return who


def _resolve(request: Request, *, read: bool) -> Caller | None:
    """The caller, with the user kept in the auth cache (``None`` when there is none) or, with
    ``read``, read from the registry (and kept)."""
    state = request.app.state
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer":
            raise ServiceError(401, "the API token is not valid")
        user = _user(state, ("token", hash_token(token)), read,
                     lambda: user_for_token(state.engine, token))
        if user is _NOT_KEPT:
            return None
        if user is None:
            raise ServiceError(401, "the API token is not valid")
        return Caller(user, None, "token")
    session = state.signer.loads(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return Caller(None)
    user = _user(state, ("user", session.user_id), read,
                 lambda: get_user(state.engine, session.user_id))
    if user is _NOT_KEPT:
        return None
    if user is not None and user.active and user.session_version == session.version:
        return Caller(user, session, "session")
    return Caller(None)


_NOT_KEPT = object()


def _user(state, key, read: bool, load):
    """The user the auth cache keeps under ``key`` (:data:`_NOT_KEPT` when none), or with
    ``read``, ``load()`` from the registry: kept, or forgotten when there is none."""
    if not read:
        user = state.auth_cache.get(key)
        return _NOT_KEPT if user is None else user
    read_at = time.monotonic()
    user = load()
    if user is None:
        state.auth_cache.forget(key)
    else:
        state.auth_cache.put(key, user, read_at)
    return user


CallerDep = Annotated[Caller, Depends(caller)]


def require(action: str):
    """A dependency: the caller may take ``action`` (401 when anonymous, 403 when the role
    may not), and a write authenticated by cookie carries the session's CSRF token."""

    async def check(request: Request, who: CallerDep) -> Caller:
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
