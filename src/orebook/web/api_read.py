"""Reading the registry: deposits (search and filter), one deposit with its ``ETag``, its
movements and its reserves over the years, districts, estimates and balances as at a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from orebook.balance import Ledger, queries
from orebook.balance.registry import find_deposit
from orebook.balance.schema import DEPOSIT_STATUSES
from orebook.errors import NotFoundError
from orebook.web.api_common import Paged, Reader, engine, frame_items, jsonable
from orebook.web.errors import ServiceError

router = APIRouter(tags=["registry"])

Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


def etag(version: str) -> str:
    """The ``ETag`` header of a version."""
    return f'"{version}"'


def _deposit_name(request: Request, deposit_id: int) -> str:
    return queries.deposit_detail(engine(request), deposit_id)["name"]


@router.get("/deposits")
def deposits(request: Request, who: Reader, page: Paged, q: Text = None,
             district: Text = None, commodity: Text = None,
             status: Annotated[str | None, Query(max_length=40)] = None) -> dict:
    """Search and filter the deposits: ``q`` (in the name or an alias), ``district`` (a path
    "Country/Region/District" or a unit's name: the unit and those below it), ``commodity``
    (code), ``status``; sorted by name."""
    if status is not None and status not in DEPOSIT_STATUSES:
        raise ServiceError(422, f"status {status!r}: expected one of "
                           f"{', '.join(DEPOSIT_STATUSES)}", "status")
    items, total = queries.list_deposits(engine(request), q=q, district=district,
                                         commodity=commodity, status=status,
                                         offset=page.offset, limit=page.limit)
    return page.answer(jsonable(items), total)


@router.get("/deposits/{deposit_id}")
def deposit(deposit_id: int, request: Request, response: Response, who: Reader):
    """One deposit in full (aliases, licences, conditions, estimates with their decisions).
    The ``ETag`` header is its version: send it back in ``If-Match`` to change it."""
    detail = queries.deposit_detail(engine(request), deposit_id)
    tag = etag(detail["version"])
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return jsonable(detail)


@router.get("/deposits/{deposit_id}/movements")
def deposit_movements(deposit_id: int, request: Request, who: Reader, page: Paged,
                      commodity: Text = None) -> dict:
    """The deposit's movements in order of effective date (signed ore and metal, in the
    commodity's units)."""
    name = _deposit_name(request, deposit_id)
    if commodity is not None:
        _known_commodity(request, commodity)
    rows = Ledger(engine(request)).movements(deposit=name, commodity=commodity)
    return page.answer([jsonable(asdict(m)) for m in page.cut(rows)], len(rows))


@router.get("/deposits/{deposit_id}/history")
def deposit_history(deposit_id: int, request: Request, who: Reader,
                    commodity: Text = None) -> dict:
    """The deposit's balance as at every 1 January (the reserves over the years)."""
    df = queries.deposit_history(engine(request), deposit_id, commodity=commodity)
    return {"items": frame_items(df), "total": len(df)}


@router.get("/districts")
def districts(request: Request, who: Reader, page: Paged) -> dict:
    """Every administrative unit with its path and the number of deposits in it and below."""
    rows = queries.list_districts(engine(request))
    return page.answer(page.cut(rows), len(rows))


@router.get("/estimates")
def estimates(request: Request, who: Reader, page: Paged,
              decision: Annotated[str | None, Query(max_length=20)] = None,
              deposit: int | None = None) -> dict:
    """Estimates, newest first: ``decision`` pending, approved, rejected or returned;
    ``deposit`` an id."""
    if decision is not None and decision not in queries.DECISIONS:
        raise ServiceError(422, f"decision {decision!r}: expected one of "
                           f"{', '.join(queries.DECISIONS)}", "decision")
    items, total = queries.list_estimates(engine(request), decision=decision,
                                          deposit_id=deposit, offset=page.offset,
                                          limit=page.limit)
    return page.answer(jsonable(items), total)


@router.get("/balance")
def balance(request: Request, who: Reader, page: Paged, as_of: dt.date | None = None,
            deposit: Text = None, commodity: Text = None) -> dict:
    """The balance as at the start of ``as_of`` (default today): one line per deposit ×
    commodity × category × group; ``deposit`` a name or alias, ``commodity`` a code."""
    eng = engine(request)
    if deposit is not None:
        deposit = _known_deposit(request, deposit)
    if commodity is not None:
        _known_commodity(request, commodity)
    when = as_of or dt.date.today()
    lines = Ledger(eng).balance(when, deposit=deposit, commodity=commodity)
    return page.answer([asdict(b) for b in page.cut(lines)], len(lines),
                       as_of=when.isoformat())


def _known_deposit(request: Request, name: str) -> str:
    """The registered name of deposit ``name`` (name or alias); unknown: 404."""
    try:
        return find_deposit(engine(request), name).name
    except NotFoundError as exc:
        raise ServiceError(404, str(exc), "deposit") from None


def _known_commodity(request: Request, code: str) -> None:
    try:
        queries.find_commodity(engine(request), code)
    except NotFoundError as exc:
        raise ServiceError(404, str(exc), "commodity") from None
