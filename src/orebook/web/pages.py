"""Server-rendered pages of the balance service: signing in and out, the dashboard, districts,
deposits, estimates, and the printable yearly and reconciliation reports (with CSV and XLSX
downloads). The forms that write live in :mod:`orebook.web.pages_forms`; what pages share
(templates, role checks, CSRF, form errors) in :mod:`orebook.web.pages_common`.

Every page answers HTML: an anonymous visitor is sent to ``/login`` (unless public read-only
mode is on), a role that may not use a page gets a readable 403 page, an unknown record a 404
page.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from orebook.balance import accounts, queries
from orebook.balance.ledger import Ledger
from orebook.balance.reconcile import reconcile
from orebook.balance.report_files import describe
from orebook.balance.reports import totals, yearly_form
from orebook.errors import ParameterError
from orebook.web import charts, pages_forms
from orebook.web.deps import SESSION_COOKIE
from orebook.web.pages_common import (
    LOGIN_CSRF_COOKIE,
    FormErrors,
    PageRefused,
    PageRoute,
    check_csrf,
    login_csrf_ok,
    need,
    new_login_csrf,
    render,
    safe_next,
)

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
PAGE_SIZE = 50


def _engine(request: Request):
    return request.app.state.engine


def _today() -> dt.date:
    return dt.date.today()


# ------------------------------------------------------------------ static files
@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' stylesheet (and scripts): only plain files of ``static/``, by name."""
    path = _STATIC / name
    if ("/" in name or "\\" in name or name.startswith(".") or path.suffix not in _STATIC_TYPES
            or not path.is_file()):
        raise PageRefused(404, f"no static file {name!r}")
    return Response(path.read_bytes(), media_type=_STATIC_TYPES[path.suffix],
                    headers={"Cache-Control": "public, max-age=3600"})


# ------------------------------------------------------------------ signing in and out
@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form; sets the double-submit CSRF cookie when missing."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(request, "login.html", title="Sign in", errors=FormErrors(),
                      values={}, login_csrf=token, next=safe_next(next))
    _set_login_cookie(request, response, token)
    return response


def _set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/login")


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the form's CSRF value against its cookie, then the password; sets the session
    cookie and goes to ``next``."""
    form = await request.form(max_files=0, max_fields=10)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not login_csrf_ok(cookie, form.get("csrf")):
        raise PageRefused(403, "The sign-in form has expired or did not come from this site "
                               "(missing or wrong CSRF token). Reload it and try again.")
    username, password = form.get("username"), form.get("password")
    nxt = safe_next(form.get("next") if isinstance(form.get("next"), str) else "/")
    errors = FormErrors()
    if not isinstance(username, str) or not username.strip() or len(username) > 100:
        errors.add("username", "enter your user name")
    if not isinstance(password, str) or not password or len(password) > 1024:
        errors.add("password", "enter your password")
    user = None
    if not errors:
        user = await run_in_threadpool(accounts.authenticate, _engine(request),
                                       username.strip(), password)
        if user is None:
            errors.add("password", "wrong user name or password")
    if errors:
        response = render(request, "login.html", status=401 if user is None and "username"
                          not in errors else 422, title="Sign in", errors=errors,
                          values={"username": username if isinstance(username, str) else ""},
                          login_csrf=cookie, next=nxt)
        return response
    from orebook.web.accounts_api import start_session

    response = RedirectResponse(nxt, status_code=303)
    start_session(request, response, user)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign out (the form carries the session's CSRF token)."""
    form = await request.form(max_files=0, max_fields=5)
    who = need(request, "read")
    if who.user is not None:
        check_csrf(who, form.get("csrf"))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------------------ dashboard
def _as_of(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(f"as_of: {value!r} is not a date (YYYY-MM-DD)") from None


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in df.to_dict("records")]


@router.get("/")
def dashboard(request: Request, as_of: str | None = None) -> Response:
    """National totals by commodity and category, with a bar chart per commodity."""
    who = need(request, "read")
    when = _as_of(as_of, _today() + dt.timedelta(days=1))
    df = totals(_engine(request), when, by=("commodity", "category"))
    commodities = []
    for code, part in df.groupby("commodity", sort=False):
        rows = _records(part)
        lines = [r for r in rows if not r["total"]]
        first = rows[0]
        commodities.append({
            "code": code, "rows": rows, "ore_unit": first["ore_unit"],
            "metal_unit": first["metal_unit"], "grade_unit": first["grade_unit"],
            "chart": charts.bar_chart([r["category"] for r in lines],
                                      [max(r["metal"], 0.0) for r in lines],
                                      unit=first["metal_unit"],
                                      title=f"{code}: metal by category")})
    return render(request, "dashboard.html", who=who, title="National balance",
                  as_of=when.isoformat(), commodities=commodities)


# ------------------------------------------------------------------ districts
@router.get("/districts")
def districts(request: Request, as_of: str | None = None) -> Response:
    """Every administrative unit with its deposits counted and its reserves rolled up."""
    who = need(request, "read")
    when = _as_of(as_of, _today() + dt.timedelta(days=1))
    units = queries.list_districts(_engine(request))
    df = totals(_engine(request), when, by=("district", "commodity"), with_totals=False)
    figures: dict[str, list[dict]] = {}
    for r in _records(df):
        figures.setdefault(_norm_path(r["district"]), []).append(r)
    for u in units:
        u["figures"] = figures.get(_norm_path(u["path"]), [])
        u["depth"] = u["path"].count("/")
    return render(request, "districts.html", who=who, title="Districts", units=units,
                  as_of=when.isoformat())


def _norm_path(path: str | None) -> str:
    return "/".join(p.strip() for p in (path or "").split("/")).casefold()


@router.get("/districts/{district_id}")
def district(request: Request, district_id: int, as_of: str | None = None) -> Response:
    """One unit: its deposits (on a map), and its reserves by commodity and category."""
    who = need(request, "read")
    when = _as_of(as_of, _today() + dt.timedelta(days=1))
    unit = next((u for u in queries.list_districts(_engine(request))
                 if u["id"] == district_id), None)
    if unit is None:
        raise PageRefused(404, f"district {district_id}: no such administrative unit")
    deposits, total = queries.list_deposits(_engine(request), district=district_id,
                                            limit=10_000)
    df = totals(_engine(request), when, by=("commodity", "category"), district=" / ".join(unit["path"].split("/")))
    svg = charts.point_map([d | {"href": f"/deposits/{d['id']}"} for d in deposits],
                           title=f"Deposits of {unit['path']}")
    return render(request, "district.html", who=who, title=unit["path"], unit=unit,
                  deposits=deposits, total=total, rows=_records(df), map_svg=svg,
                  as_of=when.isoformat())


# ------------------------------------------------------------------ deposits
@router.get("/deposits")
def deposits(request: Request, q: str | None = None, district: str | None = None,
             commodity: str | None = None, status: str | None = None,
             page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """Search deposits by name or alias, filter by district, commodity and status."""
    who = need(request, "read")
    args = {k: (v.strip() or None) if isinstance(v, str) else None
            for k, v in {"q": q, "district": district, "commodity": commodity,
                         "status": status}.items()}
    items, total = queries.list_deposits(_engine(request), **args,
                                         offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    from orebook.balance.schema import DEPOSIT_STATUSES

    return render(request, "deposits.html", who=who, title="Deposits", items=items,
                  total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                  values={k: v or "" for k, v in args.items()}, statuses=DEPOSIT_STATUSES)


@router.get("/deposits/{deposit_id}")
def deposit(request: Request, deposit_id: int) -> Response:
    """One deposit: facts, a map of its district, current reserves, estimates and decisions,
    the movement history and a chart of reserves over the years."""
    who = need(request, "read")
    engine = _engine(request)
    d = queries.deposit_detail(engine, deposit_id)
    ledger = Ledger(engine)
    balance = ledger.balance(_today() + dt.timedelta(days=1), deposit=d["name"])
    movements = ledger.movements(deposit=d["name"])
    history = queries.deposit_history(engine, deposit_id)
    neighbours = []
    if d["district_id"] is not None:
        neighbours, _ = queries.list_deposits(engine, district=d["district_id"], limit=10_000)
    if not any(n["id"] == d["id"] for n in neighbours):
        neighbours.append({"id": d["id"], "name": d["name"], "longitude_deg": d["longitude_deg"],
                           "latitude_deg": d["latitude_deg"]})
    map_svg = charts.point_map([n | {"href": f"/deposits/{n['id']}",
                                     "current": n["id"] == d["id"]} for n in neighbours],
                               title=f"{d['name']} and the deposits of its district")
    history_charts = []
    if len(history):
        for code, part in history.groupby("commodity", sort=False):
            years = sorted(part["as_of"].unique())
            series = {}
            for (cat, grp), line in part.groupby(["category", "group"], sort=False):
                by_date = dict(zip(line["as_of"], line["metal"]))
                series[f"{cat} {grp}"] = [by_date.get(y, 0.0) for y in years]
            history_charts.append({
                "code": code,
                "svg": charts.line_chart([y.year for y in years], series,
                                         unit=str(part["metal_unit"].iloc[0]),
                                         title=f"{code} metal as at 1 January")})
    return render(request, "deposit.html", who=who, title=d["name"], d=d, balance=balance,
                  movements=movements, map_svg=map_svg, history_charts=history_charts)


# ------------------------------------------------------------------ estimates
@router.get("/estimates")
def estimates(request: Request, decision: str | None = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """Estimates, newest first, optionally of one decision (pending, approved, …)."""
    who = need(request, "read")
    decision = decision or None
    items, total = queries.list_estimates(_engine(request), decision=decision,
                                          offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render(request, "estimates.html", who=who, title="Estimates", items=items,
                  total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                  decision=decision or "", decisions=queries.DECISIONS)


# ------------------------------------------------------------------ reports
def _year(value: str | None) -> int:
    if not value:
        return _today().year - 1
    try:
        year = int(value)
    except ValueError:
        raise ParameterError(f"year: {value!r} is not a year") from None
    if not 1800 <= year <= 2300:
        raise ParameterError(f"year: {year} is out of range (1800–2300)")
    return year


_YEARLY_BY = {"district": ("district", "commodity", "category"),
              "deposit": None, "commodity": ("commodity", "category")}


def _yearly(request: Request, year: str | None, district: str | None, by: str | None):
    if (by or "district") not in _YEARLY_BY:
        raise ParameterError(f"by: {by!r}; expected one of {', '.join(_YEARLY_BY)}")
    y = _year(year)
    if district:
        district = " / ".join(p.strip() for p in district.split("/"))
    df = yearly_form(_engine(request), y, district=district or None,
                     by=_YEARLY_BY[by or "district"])
    return y, district, df


@router.get("/reports/yearly")
def yearly_report(request: Request, year: str | None = None, district: str | None = None,
                  by: str | None = None) -> Response:
    """The yearly form of the state balance, printable, with CSV and XLSX downloads."""
    who = need(request, "read")
    y, unit, df = _yearly(request, year, district, by)
    title, as_at = describe(df)
    keys = [c for c in ("district", "deposit", "commodity", "category", "group")
            if c in df.columns]
    # the downloads are the API's (orebook.web.api_reports), with the same rows
    fields = _YEARLY_BY[by or "district"]
    query = urlencode({"year": y} | ({"by": ",".join(fields)} if fields else {})
                      | ({"district": unit} if unit else {}))
    return render(request, "yearly.html", who=who, title=title, as_at=as_at, year=y,
                  district=district or "", by=by or "district", keys=keys, rows=_records(df),
                  query=query)


@router.get("/reports/reconciliation")
def reconciliation_report(request: Request, unit: str | None = None,
                          commodity: str | None = None) -> Response:
    """Published totals set against the records, printable, with an XLSX download."""
    who = need(request, "read")
    rec = reconcile(_engine(request), unit=unit or None, commodity=commodity or None)
    query = urlencode({k: v for k, v in (("unit", unit), ("commodity", commodity)) if v}
                      | {"format": "xlsx"})
    return render(request, "reconciliation.html", who=who, title="Reconciliation of "
                  "published totals", totals=_records(rec.totals),
                  contributions=_records(rec.contributions),
                  disagreements=_records(rec.disagreements), unit=unit or "",
                  commodity=commodity or "", query=query)


router.include_router(pages_forms.router)
