"""The reports of the balance as JSON or as CSV and XLSX downloads: the yearly form, totals as
at a date, and the reconciliation of published totals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from orebook.balance import reports
from orebook.balance.queries import balance_generation
from orebook.balance.reconcile import reconcile, write_reconciliation
from orebook.balance.report_files import describe, write_report
from orebook.web.api_common import (
    Paged,
    Reader,
    download,
    download_bytes,
    engine,
    file_bytes,
    frame_items,
)

router = APIRouter(tags=["reports"])

Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]
Format = Literal["json", "csv", "xlsx"]
System = Literal["state", "crirsco", "crirsco-reserve", "unfc"]


async def _report_answer(request: Request, key: tuple, compute, fmt: str, stem: str, page):
    """The report ``compute()`` as the answer in ``fmt``: the encoded JSON page or the file,
    from the service's report cache (``orebook.web.report_cache``: exact while the balance is
    unchanged, at most the cache's lag behind it under writes; ``Cache-Control: no-cache``
    asks for the present state). A kept answer is sent from the event loop; checking the
    balance and computing run in a worker thread."""
    eng = engine(request)
    cache = request.app.state.report_cache
    exact = "no-cache" in request.headers.get("cache-control", "").lower()
    filename = f"{stem}.{fmt}"
    if fmt == "json":
        key = (*key, "json", page.offset, page.limit)

        def answer() -> bytes:
            df = compute()
            title, as_at = describe(df)
            return JSONResponse(jsonable_encoder(page.answer(
                frame_items(page.cut(df)), len(df), title=title, as_at=as_at))).body
    else:
        key = (*key, fmt)

        def answer() -> bytes:
            return file_bytes(lambda path: write_report(compute(), path), filename)

    def generation():
        return balance_generation(eng)

    body = cache.peek(key, generation, answer, exact=exact)
    if body is None:
        body = await run_in_threadpool(cache.get, key, generation, answer, exact=exact)
    if fmt == "json":
        return Response(body, media_type="application/json")
    return download_bytes(body, filename, fmt)


@router.get("/reports/yearly")
async def yearly(request: Request, who: Reader, page: Paged,
                 year: Annotated[int, Query(ge=1, le=9998)],
                 by: Text = None, system: System = "state", deposit: Text = None,
                 commodity: Text = None, district: Text = None, format: Format = "json"):
    """The yearly form of ``year`` (reserves as at 1 January ``year`` and ``year + 1`` and
    the movements between); ``by`` fields (comma-separated) roll it up, e.g.
    ``district,commodity``. ``format`` csv or xlsx answers a download."""
    return await _report_answer(
        request, ("yearly", year, by, system, deposit, commodity, district),
        lambda: reports.yearly_form(engine(request), year, by=by.split(",") if by else None,
                                    system=system, deposit=deposit, commodity=commodity,
                                    district=district),
        format, f"yearly-{year}", page)


@router.get("/reports/totals")
async def totals(request: Request, who: Reader, page: Paged, as_of: dt.date | None = None,
                 by: Text = None, system: System = "state", deposit: Text = None,
                 commodity: Text = None, district: Text = None, format: Format = "json"):
    """Reserves as at the start of ``as_of`` (default today) totalled ``by`` fields
    (default ``district,commodity,category``), classified in ``system``."""
    when = as_of or dt.date.today()
    return await _report_answer(
        request, ("totals", when, by, system, deposit, commodity, district),
        lambda: reports.totals(engine(request), when,
                               by=by.split(",") if by else ("district", "commodity", "category"),
                               system=system, deposit=deposit, commodity=commodity,
                               district=district),
        format, f"totals-{when.isoformat()}", page)


@router.get("/reconciliation")
def reconciliation(request: Request, who: Reader, unit: Text = None, commodity: Text = None,
                   format: Format = "json",
                   table: Literal["totals", "contributions", "disagreements"] = "totals"):
    """Published totals against the deposit records: JSON with the three tables, an XLSX
    workbook with the three sheets, or one ``table`` as CSV."""
    rec = reconcile(engine(request), unit=unit, commodity=commodity)
    if format == "json":
        return {name: frame_items(getattr(rec, name))
                for name in ("totals", "contributions", "disagreements")}
    if format == "xlsx":
        return download(lambda path: write_reconciliation(rec, path), "reconciliation.xlsx",
                        "xlsx")

    def write_one(path):
        from orebook.io.writing import write_table
        write_table(getattr(rec, table), path)

    return download(write_one, f"reconciliation-{table}.csv", "csv")
