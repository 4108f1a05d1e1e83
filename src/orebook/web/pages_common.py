"""What every server-rendered page shares: the templates, who is signed in, role checks that
answer a readable 403 page (or send an anonymous visitor to the sign-in page), CSRF on forms,
and mapping an orebook error onto the form field it is about.

Pages are routed through :class:`PageRoute`, which turns refusals and errors raised anywhere in
a page (its dependencies included) into an HTML page with the right status, instead of the
API's JSON body.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
import secrets
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from orebook import __version__
from orebook.errors import OrebookError
from orebook.web.deps import Caller, identify
from orebook.web.errors import ServiceError, status_of
from orebook.web.roles import allowed

__all__ = ["LOGIN_CSRF_COOKIE", "FormErrors", "PageRefused", "PageRoute", "check_csrf",
           "field_of", "need", "render", "safe_next"]

LOGIN_CSRF_COOKIE = "orebook_login_csrf"
_DIR = Path(__file__).parent
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_DIR / "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)


def _number(value, digits: int = 2) -> str:
    """A figure for a table: thousands separated, ``digits`` decimals; empty for missing."""
    if value is None:
        return ""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(f):
        return ""
    if abs(f) < 0.5 * 10 ** -digits:
        f = 0.0
    return f"{f:,.{digits}f}"


def _day(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if isinstance(value, dt.date) else str(value)
    return str(value)


_ENV.filters["num"] = _number
_ENV.filters["day"] = _day
_ENV.filters["urlq"] = lambda v: quote(str(v), safe="")
_ENV.globals["version"] = __version__


# ------------------------------------------------------------------ rendering
def render(request: Request, template: str, *, status: int = 200, who: Caller | None = None,
           **context) -> HTMLResponse:
    """Render ``template`` inside the layout, with the caller, their CSRF token and which
    navigation entries their role may use."""
    if who is None:
        who = _caller_or_anonymous(request)
    role = who.user.role if who.user else None
    public = request.app.state.settings.public_read
    can = {a: allowed(role, a, public_read=public)
           for a in ("read", "submit_estimate", "approve_estimate", "record_movement",
                     "close_year")}
    html = _ENV.get_template(template).render(
        request=request, path=request.url.path, who=who.user,
        csrf=who.session.csrf if who.session else "", can=can, **context)
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": _CSP,
                                 "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "same-origin"})


#: pages load nothing from elsewhere; inline SVG needs no script
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _caller_or_anonymous(request: Request) -> Caller:
    try:
        return identify(request)
    except ServiceError:
        return Caller(None)


# ------------------------------------------------------------------ refusals
class PageRefused(Exception):
    """A page refused: ``status`` and a message for the error page, or a redirect."""

    def __init__(self, status: int, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.location = status, message, location


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {401: "Sign in first", 403: "Not allowed", 404: "Not found", 409: "Conflict",
              422: "Not valid"}
    return render(request, "error.html", status=status, title=titles.get(status, "Error"),
                  status_code=status, message=message)


class PageRoute(APIRoute):
    """An API route whose refusals and orebook errors answer an HTML page."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except PageRefused as exc:
                if exc.location:
                    return RedirectResponse(exc.location, status_code=303)
                return _error_page(request, exc.status, exc.message)
            except ServiceError as exc:
                return _error_page(request, exc.status, exc.message)
            except OrebookError as exc:
                return _error_page(request, status_of(exc), str(exc))
            except RequestValidationError as exc:
                first = (exc.errors() or [{}])[0]
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "query")
                return _error_page(request, 422, f"{where}: {first.get('msg', 'not valid')}")

        return page


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or len(value) > 500 or any(ord(c) < 32 for c in value):
        return "/"
    return value


_DOING = {"read": "read the balance", "submit_estimate": "submit estimates",
          "approve_estimate": "approve or reject estimates",
          "record_movement": "record movements", "close_year": "close years"}


def need(request: Request, action: str) -> Caller:
    """The caller, if their role may take ``action``: an anonymous visitor is sent to the
    sign-in page, a signed-in user whose role may not gets a 403 page."""
    who = _caller_or_anonymous(request)
    public = request.app.state.settings.public_read
    if who.via == "token":  # pages are for browsers; scripts use the API
        who = Caller(None)
    if allowed(who.user.role if who.user else None, action, public_read=public):
        return who
    if who.user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise PageRefused(401, "sign in first",
                          location=f"/login?next={quote(safe_next(target), safe='')}")
    raise PageRefused(403, f"Your role ({who.user.role}) may not "
                           f"{_DOING.get(action, action.replace('_', ' '))}.")


def check_csrf(who: Caller, submitted) -> None:
    """Refuse a form whose CSRF field does not match the session's (403)."""
    from orebook.web.security import csrf_ok

    if not csrf_ok(who.session, submitted if isinstance(submitted, str) else None):
        raise PageRefused(403, "The form has expired or did not come from this site "
                               "(missing or wrong CSRF token). Reload the page and try again.")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_ok(cookie: str | None, submitted) -> bool:
    """The double-submit check of the sign-in form (no session exists yet)."""
    if not cookie or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode("utf-8", "replace"))


# ------------------------------------------------------------------ form errors
class FormErrors(dict):
    """Messages by form field (``""`` for the form as a whole)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def field_of(exc: OrebookError, fields: tuple[str, ...], default: str = "", *,
             words: dict[str, tuple[str, ...]] | None = None) -> str:
    """The form field an error is about: the error's own column or field (or a ledger error's
    quantity) when it is a field of the form, else the first field named in the message (as
    a word; ``words`` adds other words for a field), else ``default``. A ledger error's own
    message is searched, not the line it names in front."""
    for attr in ("column", "field", "quantity"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value in fields:
            return value
    message = str(getattr(exc, "message", None) or exc).lower()
    best = None
    for f in fields:
        for word in (f, f.replace("_", " "), *(words or {}).get(f, ())):
            m = re.search(rf"\b{re.escape(word)}\b", message)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), f)
    return best[1] if best else default


def text_field(form, name: str, errors: FormErrors, *, required: bool = True,
               limit: int = 300) -> str | None:
    """A text field, stripped; an error beside it when missing, too long or not text."""
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        errors.add(name, "expected text")
        return None
    value = (value or "").strip()
    if not value:
        if required:
            errors.add(name, "required")
        return None
    if len(value) > limit:
        errors.add(name, f"at most {limit} characters")
        return None
    if any(ord(c) < 32 for c in value):
        errors.add(name, "control characters are not allowed")
        return None
    return value


def date_field(form, name: str, errors: FormErrors) -> dt.date | None:
    value = text_field(form, name, errors, limit=10)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.add(name, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def number_field(form, name: str, errors: FormErrors, *, minimum: float | None = None,
                 ) -> float | None:
    value = text_field(form, name, errors, limit=40)
    if value is None:
        return None
    try:
        f = float(value.replace(",", "").replace(" ", ""))
    except ValueError:
        errors.add(name, f"{value!r} is not a number")
        return None
    if not math.isfinite(f):
        errors.add(name, "a finite number")
        return None
    if minimum is not None and f < minimum:
        errors.add(name, f"at least {minimum:g}")
        return None
    return f


def choice_field(form, name: str, errors: FormErrors, options) -> str | None:
    value = text_field(form, name, errors, limit=100)
    if value is not None and value not in options:
        errors.add(name, f"choose one of {', '.join(map(str, options))}")
        return None
    return value
