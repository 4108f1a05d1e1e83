"""``orebook balance init|import|estimate|approve|move|close-year|reconcile``.

Thin commands over :mod:`orebook.balance`: every one takes ``--db URL`` (default
``sqlite:///orebook-balance.sqlite``, a file in the current folder, or the environment variable
``OREBOOK_BALANCE_DB``) and runs one transaction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from orebook.errors import OrebookError, ParameterError

from ._app import balance_app
from ._shared import console, fail, print_frame, steps

__all__ = ["Db", "open_registry"]

Db = Annotated[str | None, typer.Option(
    "--db", envvar="OREBOOK_BALANCE_DB",
    help="Database URL: sqlite:///FILE or postgresql://user@host/db "
         "(default sqlite:///orebook-balance.sqlite in the current folder).")]


def open_registry(db: str | None, *, create: bool = False):
    """The engine of the registry at ``db``; unless ``create``, a registry that does not exist
    or was never initialised is an error telling to run ``orebook balance init``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from orebook.balance import DEFAULT_URL, current_revision, engine_from_url

    url = db or DEFAULT_URL
    if not create:
        try:
            parsed = make_url(url)
        except ArgumentError:
            parsed = None
        if parsed is not None and parsed.get_backend_name() == "sqlite":
            name = parsed.database
            if name not in (None, "", ":memory:") and not Path(name).is_file():
                raise ParameterError(f"--db {url}: no registry there; create it with "
                                     "`orebook balance init`")
    engine = engine_from_url(url)
    if not create:
        try:
            revision = current_revision(engine)
        except Exception as exc:  # noqa: BLE001 - an unreachable server, a file that is no database
            engine.dispose()
            raise ParameterError(f"--db {url}: cannot open the registry ({exc})") from None
        if revision is None:
            engine.dispose()
            raise ParameterError(f"--db {url}: not an initialised registry; run "
                                 "`orebook balance init`")
    return engine


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"{option} {text!r}: expected an ISO date (YYYY-MM-DD)") from None


# ---------------------------------------------------------------------------- init
@balance_app.command("init")
def init(db: Db = None) -> None:
    """Create the registry, or bring an existing one to the current schema."""
    from orebook.balance import current_revision, upgrade

    try:
        engine = open_registry(db, create=True)
        try:
            before = current_revision(engine)
            upgrade(engine)
            after = current_revision(engine)
        except OrebookError:
            raise
        except Exception as exc:  # noqa: BLE001 - the server or the file refused
            raise ParameterError(f"--db: cannot initialise the registry ({exc})") from None
        finally:
            engine.dispose()
        what = "created" if before is None else ("up to date" if before == after
                                                 else f"upgraded from {before}")
        console.print(f"Registry {engine.url.render_as_string(hide_password=True)}: {what} "
                      f"(schema {after})")
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- import
@balance_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(
        help="Tables (CSV/XLSX) or folders of them; the kind comes from the file name.")],
    db: Db = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="FILE=KIND for a file whose name does not tell its kind; repeat.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check only; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write the validation report (file, row, column, message) to this "
                         ".csv or .xlsx.")] = None,
) -> None:
    """Check the tables completely, then write them all in one transaction, or nothing."""
    from orebook.balance.importing import (
        ImportRefused,
        import_tables,
        problems_frame,
    )

    try:
        kinds = {}
        for item in kind or []:
            path, sep, name = item.rpartition("=")
            if not sep or not path:
                raise ParameterError(f"--kind {item!r}: expected FILE=KIND")
            kinds[path] = name.strip()
        engine = open_registry(db)
        try:
            with steps(1) as step:
                step("Checking and importing")
                result = import_tables(engine, files, kinds=kinds, dry_run=dry_run)
        except ImportRefused as exc:
            problems = exc.report.problems
            _print_problems(problems)
            if report is not None:
                _write_report(problems_frame(problems), report)
            raise
        finally:
            engine.dispose()
        if report is not None:
            _write_report(problems_frame(result.warnings), report)
        for w in result.warnings:
            console.print(f"[yellow]warning:[/] {w.file}"
                          f"{', row ' + str(w.row) if w.row else ''}: {w.message}",
                          highlight=False)
        t = Table(title="Dry run: checked, nothing written" if dry_run else "Imported",
                  title_justify="left")
        for c in ("table", "rows read", "written"):
            t.add_column(c, justify="left" if c == "table" else "right")
        for k, n in result.rows.items():
            t.add_row(k, f"{n:,}", f"{result.written.get(k, 0):,}")
        console.print(t)
    except OrebookError as exc:
        raise fail(exc) from None


def _print_problems(problems, limit: int = 30) -> None:
    t = Table(title=f"{len(problems):,} problems; nothing was written", title_justify="left")
    for c in ("file", "row", "column", "message"):
        t.add_column(c, justify="right" if c == "row" else "left")
    for p in problems[:limit]:
        t.add_row(Path(p.file).name, "" if p.row is None else str(p.row), p.column or "",
                  p.message)
    console.print(t)
    if len(problems) > limit:
        console.print(f"… {len(problems) - limit:,} more (write them all with --report)")


def _write_report(frame, path: Path) -> None:
    from orebook.io.writing import atomic_output, write_table

    if path.suffix.lower() == ".xlsx":
        from orebook.balance.reconcile import xlsx_safe

        with atomic_output(path) as tmp:
            xlsx_safe(frame).to_excel(tmp, index=False, sheet_name="problems",
                                      engine="openpyxl")
    elif path.suffix.lower() == ".csv":
        write_table(frame, path)
    else:
        raise ParameterError(f"--report {path}: expected a .csv or .xlsx file name")
    console.print(f"Wrote {path}")


# ---------------------------------------------------------------------------- estimate
@balance_app.command("estimate")
def estimate(
    record: Annotated[Path, typer.Argument(help="An estimate record (.json or .csv).")],
    db: Db = None,
    condition: Annotated[int | None, typer.Option(
        "--condition", help="Id of the conditions (cut-offs…) the estimate was made under.")
    ] = None,
) -> None:
    """Submit an estimate record; it awaits a commission's decision (`approve`)."""
    from orebook.balance.registry import submit_estimate
    from orebook.io.estimate_record import read_estimate_record

    try:
        rec = read_estimate_record(record)
        engine = open_registry(db)
        try:
            est_id = submit_estimate(engine, rec, condition_id=condition)
        finally:
            engine.dispose()
        console.print(f"Estimate {est_id}: {rec.deposit}, {rec.method}, effective "
                      f"{rec.effective_date}, {len(rec.lines)} lines; awaiting approval "
                      f"(`orebook balance approve {est_id} --protocol … --date …`)",
                      highlight=False)
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- approve
@balance_app.command("approve")
def approve(
    estimate_id: Annotated[int, typer.Argument(help="The estimate's id.")],
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol number.")],
    date: Annotated[str, typer.Option("--date", help="Date of the decision (YYYY-MM-DD).")],
    db: Db = None,
    commission: Annotated[str | None, typer.Option(
        "--commission", help="The commission (a registered organisation).")] = None,
    decision: Annotated[Literal["approved", "rejected", "returned"], typer.Option(
        "--decision", help="approved (the default), rejected or returned.")] = "approved",
) -> None:
    """Record a commission's decision; approval moves the balance to the approved figures."""
    from orebook.balance.registry import approve_estimate, reject_estimate

    try:
        when = _date(date, "--date")
        engine = open_registry(db)
        try:
            if decision == "approved":
                ids = approve_estimate(engine, estimate_id, protocol=protocol, date=when,
                                       commission=commission)
                console.print(f"Estimate {estimate_id} approved by {protocol} of {when}: "
                              f"{len(ids)} movements", highlight=False)
            else:
                reject_estimate(engine, estimate_id, protocol=protocol, date=when,
                                commission=commission, decision=decision)
                console.print(f"Estimate {estimate_id} {decision} by {protocol} of {when}; "
                              "the balance is unchanged", highlight=False)
        finally:
            engine.dispose()
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- move
@balance_app.command("move")
def move(
    deposit: Annotated[str, typer.Option("--deposit", help="Deposit name or alias.")],
    commodity: Annotated[str, typer.Option("--commodity", help="Commodity code (Au).")],
    category: Annotated[str, typer.Option("--category", help="A, B, C1 or C2.")],
    kind: Annotated[str, typer.Option(
        "--kind", help="production, loss, exploration, writeoff (amounts >= 0), reevaluation, "
                       "boundary (signed) or transfer (with --to).")],
    ore: Annotated[float, typer.Option("--ore", help="Ore, in the commodity's ore unit.")],
    metal: Annotated[float, typer.Option(
        "--metal", help="Metal, in the commodity's component unit.")],
    date: Annotated[str, typer.Option("--date", help="Effective date (YYYY-MM-DD).")],
    document: Annotated[str, typer.Option(
        "--document", help="The protocol, report or form it comes from.")],
    group: Annotated[str, typer.Option("--group", help="balance or off-balance.")] = "balance",
    cause: Annotated[str | None, typer.Option(
        "--cause", help="Why (required for a write-off).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="For a transfer: the target line CATEGORY/GROUP, e.g. C1/balance.")] = None,
    db: Db = None,
) -> None:
    """Record one movement of one balance line (refused if it breaks an invariant)."""
    from orebook.balance import Ledger

    try:
        when = _date(date, "--date")
        if (kind == "transfer") != (to is not None):
            raise ParameterError("--to goes with --kind transfer, and a transfer needs --to")
        engine = open_registry(db)
        try:
            ledger = Ledger(engine)
            if kind == "transfer":
                target_cat, sep, target_grp = to.partition("/")
                if not sep:
                    raise ParameterError(f"--to {to!r}: expected CATEGORY/GROUP, e.g. "
                                         "C1/balance")
                ids = ledger.transfer(deposit, commodity, source=(category, group),
                                      target=(target_cat.strip(), target_grp.strip()),
                                      ore=ore, metal=metal, document=document,
                                      effective_date=when, cause=cause)
            else:
                ids = [ledger.record(deposit, commodity, category, group, kind, ore=ore,
                                     metal=metal, document=document, effective_date=when,
                                     cause=cause)]
            lines = [b for b in ledger.balance(when + dt.timedelta(days=1), deposit=deposit,
                                               commodity=commodity)]
        finally:
            engine.dispose()
        console.print(f"Recorded movement{'s' if len(ids) > 1 else ''} "
                      f"{', '.join(map(str, ids))}", highlight=False)
        if lines:
            import pandas as pd

            print_frame(pd.DataFrame([(b.category, b.group, b.ore, b.metal) for b in lines],
                                     columns=["category", "group", "ore", "metal"]),
                        f"{deposit}, {commodity}: balance at the end of {when}")
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- close-year
@balance_app.command("close-year")
def close_year(
    year: Annotated[int, typer.Argument(help="The year to close (as at 1 January of the next).")],
    db: Db = None,
) -> None:
    """Check the invariants, freeze the balance as at 1 January of the next year, and refuse
    later movements dated inside the year."""
    from orebook.balance import Ledger

    try:
        engine = open_registry(db)
        try:
            lines = Ledger(engine).close_year(year)
        finally:
            engine.dispose()
        console.print(f"Closed {year}: {len(lines):,} balance lines frozen as at "
                      f"{year + 1}-01-01")
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- reconcile
@balance_app.command("reconcile")
def reconcile_(
    db: Db = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", help="Only the totals of this administrative unit (path) and those below.")
    ] = None,
    commodity: Annotated[str | None, typer.Option(
        "--commodity", help="Only this commodity (code).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the reconciliation: .xlsx (three sheets) or .csv (three files).")
    ] = None,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="Relative difference above which two figures disagree.")] = 0.005,
) -> None:
    """Published totals against the sum of the deposit records: the part accounted for."""
    from orebook.balance.reconcile import reconcile, write_reconciliation

    try:
        engine = open_registry(db)
        try:
            rec = reconcile(engine, unit=unit, commodity=commodity, tolerance=tolerance)
        finally:
            engine.dispose()
        if not len(rec.totals):
            console.print("No published total to reconcile.")
        else:
            shown = rec.totals[["total_id", "unit", "commodity", "category", "quoted",
                                "measure", "as_of", "records", "accounted_pct", "remainder",
                                "comparable", "deposits"]].copy()
            shown["as_of"] = shown["as_of"].replace("", "(not stated)")
            print_frame(shown, "Published totals against the deposit records")
            for r in rec.totals.itertuples():
                console.print(f"[bold]{r.total_id}[/] {r.source}", highlight=False)
                if r.contributors:
                    console.print(f"    records: {r.contributors}", highlight=False)
                if r.other_figures:
                    console.print(f"    [yellow]disagrees with:[/] {r.other_figures}",
                                  highlight=False)
        if out is not None:
            written = write_reconciliation(rec, out)
            console.print("Wrote " + ", ".join(map(str, written)))
    except OrebookError as exc:
        raise fail(exc) from None


@balance_app.command("geopackage")
def geopackage(
    out: Annotated[Path, typer.Argument(help="The GeoPackage to write (.gpkg).")],
    db: Db = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Reserves as at this date (YYYY-MM-DD; default today).")] = None,
) -> None:
    """Deposit locations (EPSG:4326 points) with their district, status, fund and reserves
    per commodity, as a GeoPackage for a GIS."""
    from orebook.balance.geo import write_deposits_geopackage

    try:
        when = None
        if as_of is not None:
            try:
                when = dt.date.fromisoformat(as_of)
            except ValueError:
                raise ParameterError(f"--as-of: expected YYYY-MM-DD, got {as_of!r}") from None
        engine = open_registry(db)
        try:
            path, n, missing = write_deposits_geopackage(engine, out, as_of=when)
        finally:
            engine.dispose()
    except OrebookError as exc:
        raise fail(exc) from None
    console.print(f"Wrote {n:,} deposits to {path} (layer 'deposits')", highlight=False)
    if missing:
        console.print(f"Left out, no location: {', '.join(missing)}", highlight=False)
