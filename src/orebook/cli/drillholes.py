"""Commands of the drill-hole stage, and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import pandas as pd
import typer
from rich.table import Table

from orebook.errors import OrebookError, ParameterError

from ._app import drillholes_app
from ._shared import console, fail as _fail, print_frame as _print_frame, steps as _steps

# ---------------------------------------------------------------------------- shared options
Collars = Annotated[Path, typer.Option("--collars", help="Collar file (CSV or XLSX).")]
Surveys = Annotated[Optional[Path], typer.Option(
    "--surveys", help="Survey file; without it every hole is vertical.")]
IntervalFiles = Annotated[list[Path], typer.Option(
    "--intervals", help="Interval table (assays, lithology…); repeat for more tables.")]
Units = Annotated[Literal["m", "ft"], typer.Option(
    "--units", help="Length unit of the files: m or ft.")]
DipDown = Annotated[Literal["auto", "negative", "positive"], typer.Option(
    "--dip-down", help="Which dip sign means down: auto (majority), negative or positive.")]
ColumnMap = Annotated[Optional[list[str]], typer.Option(
    "--column", help="Name a column for a role, e.g. --column hole=BHID. Roles: hole, x, y, z, "
    "max_depth, at, azimuth, dip, from, to.")]
BelowRule = Annotated[Literal["half", "limit", "zero", "missing"], typer.Option(
    "--below-rule", help="Replacement of below-detection values: half (of the limit), limit, "
    "zero, missing.")]
MaxDogleg = Annotated[float, typer.Option(
    "--max-dogleg", help="Report survey kinks above this dog-leg severity, degrees per 30 m.")]
Method = Annotated[Literal["mincurv", "tangent", "balanced"], typer.Option(
    "--method", help="Desurvey method: minimum curvature, tangent or balanced tangent.")]


def _column_map(items: list[str] | None) -> dict[str, str]:
    from orebook.io.columns import ALIASES

    out = {}
    for item in items or []:
        role, sep, name = item.partition("=")
        role = role.strip().lower()
        if not sep or not name.strip():
            raise ParameterError(f"--column {item!r}: expected ROLE=NAME, e.g. hole=BHID")
        if role not in ALIASES:
            raise ParameterError(f"--column {item!r}: unknown role {role!r}; roles: "
                                 f"{', '.join(ALIASES)}")
        out[role] = name.strip()
    return out


def _load(step, collars, surveys, intervals, units, dip_down, column, below_rule, max_dogleg,
          *, require_usable: bool = True):
    """Read and validate; unless told otherwise, unusable data end the command."""
    from orebook.drillholes import load_drillholes

    step("Reading and validating")
    data, rep = load_drillholes(collars, surveys, intervals, units=units, dip_down=dip_down,
                                column_map=_column_map(column), below_rule=below_rule,
                                max_dogleg=max_dogleg)
    if require_usable and not rep.usable:
        raise OrebookError("; ".join(rep.fatal))
    return data, rep


def _print_report(report, *, limit: int = 12) -> None:
    files = Table(title="Rows read and used", title_justify="left")
    for c in ("file", "read", "used", "not used"):
        files.add_column(c, justify="left" if c == "file" else "right")
    for f, n in report.rows_read.items():
        used = report.rows_used.get(f, 0)
        files.add_row(Path(f).name, f"{n:,}", f"{used:,}", f"{n - used:,}")
    console.print(files)
    summary = report.summary()
    t = Table(title=f"Validation: {report.errors:,} errors, {report.warnings:,} warnings",
              title_justify="left")
    for c in ("severity", "code", "count", "example"):
        t.add_column(c, justify="right" if c == "count" else "left", overflow="fold")
    for r in summary.itertuples():
        colour = "red" if r.severity == "error" else "yellow"
        t.add_row(f"[{colour}]{r.severity}[/]", r.code, f"{r.count:,}", r.example)
    console.print(t)
    for reason in report.fatal:
        console.print(f"[bold red]unusable:[/] {reason}")


# ---------------------------------------------------------------------------- commands
@drillholes_app.command()
def validate(
    collars: Collars,
    intervals: IntervalFiles,
    surveys: Surveys = None,
    units: Units = "m",
    dip_down: DipDown = "auto",
    column: ColumnMap = None,
    below_rule: BelowRule = "half",
    max_dogleg: MaxDogleg = 10.0,
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Write the report as CSV (file,row,column,hole,severity,code,message).")
    ] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit non-zero on any error, not only when the data are unusable.")
    ] = False,
) -> None:
    """Check drill-hole files and report every problem with its file, row and column.

    Exits 1 only when the data cannot be used at all (or, with --strict, on any error).
    """
    try:
        with _steps(2) as step:
            data, rep = _load(step, collars, surveys, intervals, units, dip_down, column,
                              below_rule, max_dogleg, require_usable=False)
            if report is not None:
                step("Writing the report")
                from orebook.io.writing import write_table

                write_table(rep.to_frame(), report)
    except OrebookError as exc:
        raise _fail(exc) from None
    _print_report(rep)
    if report is not None:
        console.print(f"Report: {report} ({len(rep.problems):,} rows)")
    if not rep.usable or (strict and rep.errors):
        raise typer.Exit(1)


@drillholes_app.command()
def desurvey(
    collars: Collars,
    intervals: IntervalFiles,
    out: Annotated[Path, typer.Option("--out", help="Points file, .csv or .parquet.")],
    surveys: Surveys = None,
    method: Method = "mincurv",
    units: Units = "m",
    dip_down: DipDown = "auto",
    column: ColumnMap = None,
    below_rule: BelowRule = "half",
    max_dogleg: MaxDogleg = 10.0,
) -> None:
    """Write x, y, z of every survey station and interval end (hole,depth,x,y,z)."""
    from orebook.drillholes import hole_points
    from orebook.io.writing import write_table

    try:
        with _steps(3) as step:
            data, rep = _load(step, collars, surveys, intervals, units, dip_down, column,
                              below_rule, max_dogleg)
            step(f"Desurveying ({method})")
            pts = hole_points(data, method)
            step("Writing points")
            write_table(pts, out)
    except OrebookError as exc:
        raise _fail(exc) from None
    console.print(f"{len(pts):,} points along {pts['hole'].nunique():,} holes → {out} "
                  f"({rep.errors:,} errors, {rep.warnings:,} warnings in validation; "
                  "see `orebook drillholes validate`)")


@drillholes_app.command()
def composite(
    collars: Collars,
    intervals: IntervalFiles,
    length: Annotated[float, typer.Option("--length", help="Composite length, metres.")],
    out: Annotated[Path, typer.Option("--out", help="Composites file, .csv or .parquet.")],
    surveys: Surveys = None,
    domains: Annotated[Optional[Path], typer.Option(
        "--domains", help="Interval table whose codes split the composites (lithology…).")
    ] = None,
    domain_column: Annotated[Optional[str], typer.Option(
        "--domain-column", help="Column of --domains holding the domain code.")] = None,
    residual: Annotated[Literal["keep", "merge", "drop"], typer.Option(
        "--residual", help="Short last composite of a run: keep, merge or drop.")] = "keep",
    min_coverage: Annotated[float, typer.Option(
        "--min-coverage", help="With --residual drop: keep a residual of at least this "
        "fraction of the length.")] = 0.5,
    unsampled: Annotated[Literal["missing", "zero"], typer.Option(
        "--unsampled", help="Unsampled stretches count as missing or zero.")] = "missing",
    cap: Annotated[Optional[list[str]], typer.Option(
        "--cap", help="Top-cut: VAR=VALUE, VAR:DOMAIN=VALUE or VAR=pNN (percentile); repeat.")
    ] = None,
    plot: Annotated[Optional[str], typer.Option(
        "--plot", help="Also draw a plan and a section of the composites as PNG: VAR:FILE.png "
        "(or FILE.png for the first variable).")] = None,
    method: Method = "mincurv",
    units: Units = "m",
    dip_down: DipDown = "auto",
    column: ColumnMap = None,
    below_rule: BelowRule = "half",
    max_dogleg: MaxDogleg = 10.0,
) -> None:
    """Composite the interval values to a fixed length and write them with x, y, z."""
    from orebook.io.writing import write_table

    files = list(intervals) + ([domains] if domains is not None else [])
    try:
        plot_spec = _plot_spec(plot)
        with _steps(4) as step:
            data, rep = _load(step, collars, surveys, files, units, dip_down, column,
                              below_rule, max_dogleg)
            comps, caps = _composite(step, data, domains is not None, domain_column, length,
                                     residual, min_coverage, unsampled, cap, method)
            if plot_spec and plot_spec[0] and plot_spec[0] not in comps.values:
                _plot(comps, plot_spec)  # refuses the unknown variable before anything is written
            step("Writing composites")
            write_table(comps.to_frame(), out)
        if plot_spec is not None:
            _plot(comps, plot_spec)
    except OrebookError as exc:
        raise _fail(exc) from None
    _print_composites(comps, caps)
    console.print(f"{len(comps):,} composites of {length:g} m → {out} "
                  f"({rep.errors:,} errors, {rep.warnings:,} warnings in validation)")


def _plot_spec(spec: str | None) -> tuple[str | None, Path] | None:
    """Read ``[VAR:]FILE.png``; the variable is None when not given."""
    if spec is None:
        return None
    var, sep, path = spec.rpartition(":") if ":" in spec else ("", "", spec)
    if not path.lower().endswith(".png"):
        raise ParameterError(f"--plot {spec!r}: expected [VAR:]FILE.png")
    return (var or None), Path(path)


def _plot(comps, spec: tuple[str | None, Path]) -> None:
    from orebook.drillholes.plots import plot_composites

    var, path = spec
    var = var or next(iter(comps.values))
    if var not in comps.values:
        raise ParameterError(f"--plot: {var!r} is not a composited value; values: "
                             f"{', '.join(comps.values)}")
    plot_composites(comps, var, path)
    console.print(f"Plot: {path}")


def _composite(step, data, domains: bool, domain_column, length, residual, min_coverage,
               unsampled, cap, method):
    """Composite (the last interval table holds the domains when ``domains``) and cap."""
    from orebook.drillholes import cap as apply_caps
    from orebook.drillholes import composite as make
    from orebook.drillholes import parse_cap

    rules = [parse_cap(c) for c in cap or []]
    dom = data.intervals[-1] if domains else None
    tables = data.intervals[:-1] if domains else data.intervals
    step("Desurveying and compositing")
    comps = make(data, length, tables=tables, domains=dom, domain_column=domain_column,
                 residual=residual, min_coverage=min_coverage, unsampled=unsampled,
                 method=method)
    step("Capping")
    return apply_caps(comps, rules)


def _print_composites(comps, caps: pd.DataFrame) -> None:
    from orebook.geostats import summary_statistics

    stats = summary_statistics(comps.values, comps.coverage, comps.domain)
    if (comps.domain == "").all():
        stats = stats.drop(columns=["domain"])
    _print_frame(stats.drop(columns=["variance"]),
                 "Composite statistics (after top-cuts; weighted by sampled length)")
    if len(caps):
        _print_frame(caps, "Top-cuts")
