"""The reports of the balance as JSON or as CSV and XLSX downloads: the yearly form, totals as
at a date, and the reconciliation of published totals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from orebook.balance import reports
from orebook.balance.queries import balance_generation
from orebook.balance.reconcile import reconcile, write_reconciliation
from orebook.balance.report_files import describe, write_report
from orebook.web.api_common import Paged, Reader, download, engine, frame_items

router = APIRouter(tags=["reports"])

Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]
Format = Literal["json", "csv", "xlsx"]
System = Literal["state", "crirsco", "crirsco-reserve", "unfc"]


def _cached(request: Request, key: tuple, compute):
    """The report for ``key``, from the service's report cache while the balance is
    unchanged (``orebook.web.report_cache``)."""
    cache = request.app.state.report_cache
    return cache.get(key, balance_generation(engine(request)), compute)


def _answer(df, fmt: str, stem: str, page):
    if fmt == "json":
        title, as_at = describe(df)
        return page.answer(frame_items(page.cut(df)), len(df), title=title, as_at=as_at)
    return download(lambda path: write_report(df, path), f"{stem}.{fmt}", fmt)


@router.get("/reports/yearly")
def yearly(request: Request, who: Reader, page: Paged,
           year: Annotated[int, Query(ge=1, le=9998)],
           by: Text = None, system: System = "state", deposit: Text = None,
           commodity: Text = None, district: Text = None, format: Format = "json"):
    """The yearly form of ``year`` (reserves as at 1 January ``year`` and ``year + 1`` and
    the movements between); ``by`` fields (comma-separated) roll it up, e.g.
    ``district,commodity``. ``format`` csv or xlsx answers a download."""
    df = _cached(request, ("yearly", year, by, system, deposit, commodity, district),
                 lambda: reports.yearly_form(engine(request), year,
                                             by=by.split(",") if by else None, system=system,
                                             deposit=deposit, commodity=commodity,
                                             district=district))
    return _answer(df, format, f"yearly-{year}", page)


@router.get("/reports/totals")
def totals(request: Request, who: Reader, page: Paged, as_of: dt.date | None = None,
           by: Text = None, system: System = "state", deposit: Text = None,
           commodity: Text = None, district: Text = None, format: Format = "json"):
    """Reserves as at the start of ``as_of`` (default today) totalled ``by`` fields
    (default ``district,commodity,category``), classified in ``system``."""
    when = as_of or dt.date.today()
    df = _cached(request, ("totals", when, by, system, deposit, commodity, district),
                 lambda: reports.totals(engine(request), when,
                                        by=by.split(",") if by else ("district", "commodity",
                                                                     "category"),
                                        system=system, deposit=deposit, commodity=commodity,
                                        district=district))
    return _answer(df, format, f"totals-{when.isoformat()}", page)


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
