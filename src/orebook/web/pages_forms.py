"""The pages that write: submit an estimate (upload its record), approve or reject it, record
a movement, close a year.

Each form carries the session's CSRF token and is checked against the roles table
(:mod:`orebook.web.roles`); fields are checked here first, then by the registry or the
ledger, and every message is shown beside the field it is about (an orebook error's column,
field or quantity, else the field its message names). A refused form writes nothing and answers
422 (bad input), 404 or 409 (the ledger or the registry refused) with the form again. Every
write is recorded in the audit log with who made it, in the write's own transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from orebook.balance import queries, registry
from orebook.balance.ledger import Ledger
from orebook.balance.schema import CATEGORIES, GROUPS
from orebook.errors import NotFoundError, OrebookError
from orebook.io.estimate_record import read_estimate_record
from orebook.web.api_common import audit_hook
from orebook.web.errors import status_of
from orebook.web.pages_common import (
    FormErrors,
    PageRefused,
    PageRoute,
    check_csrf,
    choice_field,
    date_field,
    field_of,
    need,
    number_field,
    render,
    text_field,
)

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)

MOVEMENT_KINDS = ("production", "loss", "exploration", "writeoff", "reevaluation", "boundary")
DECISIONS = ("approved", "rejected", "returned")
RECORD_SUFFIXES = (".json", ".csv")


def _engine(request: Request):
    return request.app.state.engine


async def _form(request: Request, *, files: int = 0):
    try:
        return await request.form(max_files=files, max_fields=30,
                                  max_part_size=request.app.state.settings.max_upload_bytes)
    except HTTPException as exc:  # starlette: a malformed body, too many or too large parts
        raise PageRefused(400, f"the form could not be read: {exc.detail}") from None


# ------------------------------------------------------------------ submit an estimate
@router.get("/estimates/new")
def new_estimate(request: Request) -> Response:
    who = need(request, "submit_estimate")
    return render(request, "estimate_new.html", who=who, title="Submit an estimate",
                  errors=FormErrors(), values={})


def _safe_name(name: str | None) -> str:
    base = Path(str(name or "record")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)[-100:].lstrip(".")
    return base or "record"


@router.post("/estimates/new")
async def submit_estimate(request: Request) -> Response:
    """Upload an estimate record (JSON or CSV, from ``orebook report statement --record``)."""
    who = need(request, "submit_estimate")
    form = await _form(request, files=1)
    check_csrf(who, form.get("csrf"))
    errors = FormErrors()
    upload = form.get("record")
    limit = request.app.state.settings.max_upload_bytes
    data = b""
    name = "record"
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", None):
        errors.add("record", "choose the estimate record file (.json or .csv)")
    else:
        name = _safe_name(upload.filename)
        data = await upload.read(limit + 1)
        if Path(name).suffix.lower() not in RECORD_SUFFIXES:
            errors.add("record", f"{name}: an estimate record is a .json or .csv file")
        elif len(data) > limit:
            errors.add("record", f"{name}: larger than {limit // 1024} KiB")
        elif not data:
            errors.add("record", f"{name}: the file is empty")
    status = 422
    estimate_id = None
    if not errors:
        try:
            estimate_id = await run_in_threadpool(_submit, _engine(request), name, data, who)
        except OrebookError as exc:
            message = str(exc)
            errors.add("record", message if name in message else f"{name}: {message}")
            status = status_of(exc, default=422)
    if errors:
        return render(request, "estimate_new.html", who=who, status=status,
                      title="Submit an estimate", errors=errors, values={})
    return RedirectResponse(f"/estimates/{estimate_id}?submitted=1", status_code=303)


def _submit(engine, name: str, data: bytes, who) -> int:
    with tempfile.TemporaryDirectory(prefix="orebook-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        record = read_estimate_record(path)
    record = dataclasses.replace(record, source=name)
    return registry.submit_estimate(engine, record, audit=audit_hook(
        who, "submit_estimate", lambda eid: (f"estimate {eid}", f"{record.deposit}: {name}")))


# ------------------------------------------------------------------ one estimate, decide
def _estimate(engine, estimate_id: int) -> dict:
    items, _ = queries.list_estimates(engine, offset=0, limit=1_000_000)
    found = next((e for e in items if e["id"] == estimate_id), None)
    if found is None:
        raise NotFoundError(f"estimate {estimate_id}: no such estimate")
    return found


def _estimate_page(request, who, estimate_id: int, *, errors=None, values=None,
                   status: int = 200, notice: str | None = None) -> Response:
    e = _estimate(_engine(request), estimate_id)
    return render(request, "estimate.html", who=who, status=status,
                  title=f"Estimate {estimate_id}: {e['deposit']}", e=e,
                  errors=errors or FormErrors(), notice=notice,
                  values=values or {"decision": "approved",
                                    "date": dt.date.today().isoformat()},
                  decisions=DECISIONS)


@router.get("/estimates/{estimate_id}")
def estimate(request: Request, estimate_id: int, submitted: int = 0, decided: int = 0
             ) -> Response:
    """An estimate: its lines, the decision on it, and (for the commission, while it is
    undecided) the form to approve or reject it."""
    who = need(request, "read")
    notice = ("The estimate was submitted; it awaits the commission's decision."
              if submitted else "The decision was recorded." if decided else None)
    return _estimate_page(request, who, estimate_id, notice=notice)


@router.post("/estimates/{estimate_id}/decision")
async def decide(request: Request, estimate_id: int) -> Response:
    """Approve (the ledger moves the deposit to the approved figures), reject or return."""
    who = need(request, "approve_estimate")
    form = await _form(request)
    check_csrf(who, form.get("csrf"))
    errors = FormErrors()
    decision = choice_field(form, "decision", errors, DECISIONS)
    protocol = text_field(form, "protocol", errors, limit=100)
    date = date_field(form, "date", errors)
    commission = text_field(form, "commission", errors, required=False, limit=300)
    values = {k: form.get(k) if isinstance(form.get(k), str) else ""
              for k in ("decision", "protocol", "date", "commission")}
    status = 422
    if not errors:
        try:
            await run_in_threadpool(_decide, _engine(request), estimate_id, decision,
                                    protocol, date, commission, who)
        except OrebookError as exc:
            if isinstance(exc, NotFoundError) and "estimate" in str(exc):
                raise
            errors.add(field_of(exc, ("protocol", "date", "commission", "decision")), str(exc))
            status = status_of(exc, default=422)
    if errors:
        return _estimate_page(request, who, estimate_id, errors=errors, values=values,
                              status=status)
    return RedirectResponse(f"/estimates/{estimate_id}?decided=1", status_code=303)


def _decide(engine, estimate_id, decision, protocol, date, commission, who) -> None:
    action = {"approved": "approve_estimate", "rejected": "reject_estimate",
              "returned": "return_estimate"}[decision]
    if decision == "approved":
        registry.approve_estimate(engine, estimate_id, protocol=protocol, date=date,
                                  commission=commission, audit=audit_hook(who, action, lambda ids: (
                                      f"estimate {estimate_id}",
                                      f"protocol {protocol} of {date}; {len(ids)} movements")))
    else:
        registry.reject_estimate(engine, estimate_id, protocol=protocol, date=date,
                                 commission=commission, decision=decision, audit=audit_hook(
                                     who, action, lambda _: (f"estimate {estimate_id}",
                                                             f"protocol {protocol} of {date}")))


# ------------------------------------------------------------------ record a movement
_MOVEMENT_FIELDS = ("commodity", "category", "group", "kind", "ore", "metal", "document",
                    "effective_date", "cause")


def _movement_page(request, who, d, *, errors=None, values=None, status=200) -> Response:
    return render(request, "movement_new.html", who=who, status=status,
                  title=f"Record a movement: {d['name']}", d=d,
                  errors=errors or FormErrors(),
                  values=values or {"effective_date": dt.date.today().isoformat(),
                                    "group": "balance"},
                  categories=CATEGORIES, groups=GROUPS, kinds=MOVEMENT_KINDS)


@router.get("/deposits/{deposit_id}/movements/new")
def new_movement(request: Request, deposit_id: int) -> Response:
    who = need(request, "record_movement")
    return _movement_page(request, who, queries.deposit_detail(_engine(request), deposit_id))


@router.post("/deposits/{deposit_id}/movements/new")
async def record_movement(request: Request, deposit_id: int) -> Response:
    """Record production, losses, exploration, write-off, re-evaluation or a boundary
    change of one line of the deposit."""
    who = need(request, "record_movement")
    form = await _form(request)
    check_csrf(who, form.get("csrf"))
    engine = _engine(request)
    d = queries.deposit_detail(engine, deposit_id)
    errors = FormErrors()
    commodity = text_field(form, "commodity", errors, limit=40)
    category = choice_field(form, "category", errors, CATEGORIES)
    group = choice_field(form, "group", errors, GROUPS)
    kind = choice_field(form, "kind", errors, MOVEMENT_KINDS)
    signed = kind in ("reevaluation", "boundary")
    ore = number_field(form, "ore", errors, minimum=None if signed else 0.0)
    metal = number_field(form, "metal", errors, minimum=None if signed else 0.0)
    document = text_field(form, "document", errors, limit=300)
    when = date_field(form, "effective_date", errors)
    cause = text_field(form, "cause", errors, required=kind == "writeoff", limit=1000)
    values = {k: form.get(k) if isinstance(form.get(k), str) else "" for k in _MOVEMENT_FIELDS}
    status = 422
    if not errors:
        try:
            await run_in_threadpool(_record, engine, d["name"], commodity, category, group,
                                    kind, ore, metal, document, when, cause, who)
        except OrebookError as exc:
            errors.add(field_of(exc, _MOVEMENT_FIELDS,
                                words={"effective_date": ("date", "closed year")}), str(exc))
            # the deposit comes from the URL (found already): anything not found is a value
            # typed in the form, so bad input (422), not a missing page
            status = 422 if isinstance(exc, NotFoundError) else status_of(exc, default=422)
    if errors:
        return _movement_page(request, who, d, errors=errors, values=values, status=status)
    return RedirectResponse(f"/deposits/{deposit_id}?recorded=1#movements", status_code=303)


def _record(engine, deposit, commodity, category, group, kind, ore, metal, document, when,
            cause, who) -> int:
    return Ledger(engine).record(
        deposit, commodity, category, group, kind, ore=ore, metal=metal, document=document,
        effective_date=when, cause=cause, audit=audit_hook(who, "record_movement", lambda mid: (
            f"movement {mid}", (f"{deposit} {commodity} {category}/{group} {kind}: "
                                f"ore {ore:g}, metal {metal:g} ({document})"))))


# ------------------------------------------------------------------ close a year
def _close_page(request, who, *, errors=None, values=None, status=200, notice=None):
    closed = Ledger(_engine(request)).closed_years()
    nxt = closed[-1] + 1 if closed else dt.date.today().year - 1
    return render(request, "close_year.html", who=who, status=status, title="Close a year",
                  closed=closed, errors=errors or FormErrors(),
                  values=values or {"year": str(nxt)}, notice=notice)


@router.get("/balance/close")
def close_year_page(request: Request, closed: int | None = None) -> Response:
    who = need(request, "close_year")
    notice = f"The year {closed} was closed." if closed else None
    return _close_page(request, who, notice=notice)


@router.post("/balance/close")
async def close_year(request: Request) -> Response:
    """Close a year: the ledger checks the invariants and freezes the balance."""
    who = need(request, "close_year")
    form = await _form(request)
    check_csrf(who, form.get("csrf"))
    errors = FormErrors()
    text = text_field(form, "year", errors, limit=4)
    year = None
    if text is not None:
        if not text.isdigit() or int(text) < 1800:
            errors.add("year", f"{text!r} is not a year")
        elif int(text) >= dt.date.today().year:
            errors.add("year", "only a year that has ended can be closed")
        else:
            year = int(text)
    status = 422
    if not errors:
        try:
            await run_in_threadpool(_close, _engine(request), year, who)
        except OrebookError as exc:
            errors.add("year", str(exc))
            status = status_of(exc, default=422)
    if errors:
        return _close_page(request, who, errors=errors, values={"year": text or ""},
                           status=status)
    return RedirectResponse(f"/balance/close?closed={year}", status_code=303)


def _close(engine, year: int, who) -> None:
    Ledger(engine).close_year(year, audit=audit_hook(
        who, "close_year", lambda lines: (f"year {year}", f"{len(lines)} lines frozen")))
