"""``orebook balance report``: the yearly form or the totals of the state balance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from orebook.errors import OrebookError, ParameterError

from ._app import balance_app
from ._shared import console, fail, steps
from .balance import Db, open_registry

System = Literal["state", "crirsco", "crirsco-reserve", "unfc"]

#: columns of the yearly form shown on the console (every column goes to --out)
_YEARLY_SHOWN = ("start_ore", "end_ore", "start_metal", "end_metal", "start_grade", "end_grade")


@balance_app.command("report")
def report(
    db: Db = None,
    year: Annotated[int | None, typer.Option(
        "--year", help="The yearly form of this year (1 January to 1 January).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Totals as at the start of this date (ISO, e.g. 2021-01-01).")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Fields to total by, comma-separated: district, commodity, category, "
        "group, status, fund, holder, deposit. Default: district,commodity,category for "
        "totals; one row per deposit line for the yearly form.")] = None,
    system: Annotated[System, typer.Option(
        "--system", help="Classes of the category column: state, crirsco, crirsco-reserve, "
        "unfc.")] = "state",
    crosswalk: Annotated[Path | None, typer.Option(
        "--crosswalk", help="Crosswalk table (CSV/XLSX) instead of the default.")] = None,
    deposit: Annotated[str | None, typer.Option(
        "--deposit", help="Only this deposit (name or alias).")] = None,
    commodity: Annotated[str | None, typer.Option(
        "--commodity", help="Only this commodity (code, e.g. Au).")] = None,
    district: Annotated[str | None, typer.Option(
        "--district", help="Only this administrative unit and the units below it (name or "
        "path 'Region / District').")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the whole report to FILE.csv or FILE.xlsx.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", help="Rows printed on the console (the file gets them all).")] = 200,
) -> None:
    """The yearly form (--year) or the totals (--as-of) of the state balance."""
    try:
        _run(db, year, as_of, by, system, crosswalk, deposit, commodity, district, out, limit)
    except OrebookError as exc:
        raise fail(exc) from exc


def _run(db, year, as_of, by, system, crosswalk, deposit, commodity, district, out, limit):
    from sqlalchemy.exc import SQLAlchemyError

    from orebook.balance.report_files import REPORT_SUFFIXES, describe, write_report
    from orebook.balance.reports import totals, yearly_form

    if (year is None) == (as_of is None):
        raise ParameterError("give either --year (the yearly form) or --as-of (totals)")
    if out is not None and out.suffix.lower() not in REPORT_SUFFIXES:
        raise ParameterError(f"--out {out}: expected a .csv or .xlsx file name")
    if limit < 0:
        raise ParameterError(f"--limit must be 0 or more, got {limit}")
    fields = None if by is None else [b.strip() for b in by.split(",") if b.strip()]
    with steps(3 if out else 2) as step:
        step("Reading the registry")
        engine = open_registry(db)
        try:
            step("Summing the movements")
            kw = {"system": system, "crosswalk": crosswalk, "deposit": deposit,
                  "commodity": commodity, "district": district}
            if year is not None:
                df = yearly_form(engine, year, by=fields, **kw)
            else:
                df = totals(engine, as_of, **({"by": fields} if fields is not None else {}), **kw)
            if out is not None:
                step(f"Writing {out.name}")
                write_report(df, out)
        except SQLAlchemyError as exc:
            raise ParameterError(f"--db {engine.url!r}: cannot read the registry "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0]}); is it "
                                 "initialised (orebook balance init)?") from exc
        finally:
            engine.dispose()
    title, line = describe(df)
    _print(df, title, line, limit, yearly=year is not None)
    if out is not None:
        console.print(f"Written: {out}")


def _print(df, title: str, line: str, limit: int, *, yearly: bool) -> None:
    import numpy as np

    console.print(f"[bold]{title}[/]", highlight=False)
    if line:
        console.print(f"[italic]{line}[/]", highlight=False)
    if not len(df):
        console.print("No reserves on record for this selection.")
        return
    hidden = {"total", "depth", "level"}
    if yearly:
        if "deposit" in df:  # the deposit's district is in the file written with --out
            hidden.add("district")
        cols = [c for c in df.columns if c not in hidden and (
            c in _YEARLY_SHOWN or not (c.endswith(("_ore", "_metal", "_grade"))))]
    else:
        cols = [c for c in df.columns if c not in hidden]
    t = Table()
    for c in cols:
        t.add_column(c.replace("_", " "), justify="right" if df[c].dtype.kind in "fiu" else
                     "left")
    shown = df if len(df) <= limit else df.head(limit)
    depth = df["depth"].to_numpy() if "depth" in df else None
    for k, row in enumerate(shown[cols].itertuples(index=False)):
        cells = []
        for c, v in zip(cols, row, strict=True):
            if isinstance(v, float):
                cells.append("" if not np.isfinite(v) else f"{v:,.2f}")
            elif c == "district" and depth is not None:
                cells.append("  " * int(depth[k]) + str(v).split(" / ")[-1])
            else:
                cells.append(str(v))
        t.add_row(*cells, style="bold" if bool(shown["total"].iloc[k]) else None)
    console.print(t)
    if len(df) > limit:
        console.print(f"… {len(df) - limit:,} more rows (write them all with --out)")
    if yearly:
        console.print("Movement columns (signed changes) are in the file written with --out.")
