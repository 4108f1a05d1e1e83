"""API routes of sessions, the caller's own account, users, API tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from orebook.balance import accounts
from orebook.web.deps import SESSION_COOKIE, Caller, CallerDep, require
from orebook.web.errors import ServiceError

router = APIRouter(prefix="/api", tags=["accounts"])


class Login(BaseModel):
    username: str = Field(max_length=100)
    password: str = Field(max_length=1024)


class NewUser(BaseModel):
    username: str = Field(max_length=100)
    password: str = Field(min_length=10, max_length=1024)
    role: str = Field(max_length=20)
    full_name: str | None = Field(default=None, max_length=200)


class UserChange(BaseModel):
    role: str | None = Field(default=None, max_length=20)
    active: bool | None = None
    full_name: str | None = Field(default=None, max_length=200)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _public(u: accounts.UserInfo) -> dict:
    return {"id": u.id, "username": u.username, "full_name": u.full_name, "role": u.role,
            "active": u.active}


def start_session(request: Request, response: Response, user: accounts.UserInfo) -> str:
    """Set the session cookie for ``user``; returns the session's CSRF token."""
    settings = request.app.state.settings
    cookie, data = request.app.state.signer.dumps(user.id, user.session_version)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=settings.session_max_age_s,
                        httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
    return data.csrf


@router.post("/session")
def login(body: Login, request: Request, response: Response) -> dict:
    """Sign in with a user name and password: sets the session cookie; answers the user and
    the CSRF token that writes must send in ``X-CSRF-Token``."""
    user = accounts.authenticate(request.app.state.engine, body.username, body.password)
    if user is None:
        raise ServiceError(401, "wrong user name or password", "password")
    csrf = start_session(request, response, user)
    return {"user": _public(user), "csrf": csrf}


@router.delete("/session")
def logout(response: Response, who: Annotated[Caller, Depends(require("read"))]) -> dict:
    """Sign out (clears the cookie)."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me")
def me(who: CallerDep) -> dict:
    """The caller's account, or 401."""
    if who.user is None:
        raise ServiceError(401, "sign in first")
    return _public(who.user) | {"csrf": who.session.csrf if who.session else None}


@router.get("/users")
def users(request: Request, who: Annotated[Caller, Depends(require("manage_users"))]) -> dict:
    """Every account (admin)."""
    items = [_public(u) for u in accounts.list_users(request.app.state.engine)]
    return {"items": items, "total": len(items)}


@router.post("/users", status_code=201)
def create_user(body: NewUser, request: Request,
                who: Annotated[Caller, Depends(require("manage_users"))]) -> dict:
    """Create an account (admin)."""
    u = accounts.create_user(request.app.state.engine, body.username, body.password, body.role,
                             full_name=body.full_name, by=who.user)
    return _public(u)


@router.patch("/users/{user_id}")
def change_user(user_id: int, body: UserChange, request: Request,
                who: Annotated[Caller, Depends(require("manage_users"))]) -> dict:
    """Change an account's role, activity or name (admin)."""
    u = accounts.update_user(request.app.state.engine, user_id, role=body.role,
                             active=body.active, full_name=body.full_name, by=who.user)
    request.app.state.auth_cache.clear()      # the change counts from the next request
    return _public(u)


@router.post("/tokens", status_code=201)
def create_token(body: NewToken, request: Request,
                 who: Annotated[Caller, Depends(require("read"))]) -> dict:
    """A new API token for the caller's own account, shown once."""
    if who.user is None:
        raise ServiceError(401, "sign in first")
    token, tid = accounts.create_api_token(request.app.state.engine, who.user.id, body.name,
                                           by=who.user)
    return {"id": tid, "name": body.name, "token": token}


@router.get("/audit")
def audit(request: Request, who: Annotated[Caller, Depends(require("manage_users"))],
          limit: int = 100, offset: int = 0) -> dict:
    """The newest writes first (admin)."""
    settings = request.app.state.settings
    if not 1 <= limit <= settings.max_page_size or offset < 0:
        raise ServiceError(422, f"limit is 1..{settings.max_page_size}, offset ≥ 0", "limit")
    items = accounts.list_audit(request.app.state.engine, limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}
