"""``orebook report grade-tonnage|statement|swath``: the figures of a block model.

Thin commands over ``orebook.resources`` (tonnage, statement, record, swath); formulas in
docs/resources.md, options in docs/cli.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from orebook.errors import OrebookError, ParameterError

from ._app import report_app
from ._shared import console, fail, print_frame, steps

Model = Annotated[Path, typer.Argument(
    help="A block model: Parquet written by orebook (or a CSV of centroids and sizes).")]
Variable = Annotated[str, typer.Option("--variable", help="The grade column of the model.")]
DensityOpt = Annotated[str, typer.Option(
    "--density", help="t/m³: a number, DOMAIN=VALUE pairs (1=2.7,2=2.6), or a column name.")]
DomainColumn = Annotated[str, typer.Option(
    "--domain-column", help="Column of domain codes.")]
ClassColumn = Annotated[str, typer.Option(
    "--class-column", help="Column of classes (e.g. class_state, class_crirsco).")]
Proportion = Annotated[str | None, typer.Option(
    "--proportion", help="Column with the part (0–1) of each block inside the model.")]
GradeUnit = Annotated[str, typer.Option("--grade-unit", help="Unit of the grade: g/t, ppm, "
                                        "ppb or %.")]


def _load(path: Path):
    from orebook.estimate.blockmodel import BlockModel

    if path.suffix.lower() in (".csv", ".txt", ".xlsx"):
        return BlockModel.load_csv(path)
    return BlockModel.load_parquet(path)


def _by(text: str) -> list[str]:
    out = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in out if p not in ("domain", "class")]
    if bad:
        raise ParameterError(f"--by: expected domain, class or domain,class; got {text!r}")
    if len(set(out)) != len(out):
        raise ParameterError(f"--by {text!r} repeats a name")
    return out


def _tonnage(model, variable: str, density: str, by: list[str], domain_column: str,
             class_column: str, proportion: str | None):
    from orebook.resources.tonnage import block_tonnage, parse_density

    dens = parse_density(density)
    need_domain = "domain" in by or dens.by_domain is not None
    return block_tonnage(model, variable, dens,
                         domain_column=domain_column if need_domain else None,
                         class_column=class_column if "class" in by else None,
                         proportion_column=proportion)


def _model_parameters(path: Path) -> dict:
    from orebook.io.runlog import file_sha256

    return {"model": str(path), "model_sha256": file_sha256(path)}


# ---------------------------------------------------------------------------- grade-tonnage
@report_app.command("grade-tonnage")
def grade_tonnage_command(
    model: Model,
    variable: Variable,
    cutoffs: Annotated[str, typer.Option(
        "--cutoffs", help="Cut-offs: 0,0.5,1 or START:STOP:STEP (grade unit).")],
    density: DensityOpt,
    by: Annotated[str, typer.Option("--by", help="Group by domain, class or domain,class.")
                  ] = "",
    domain_column: DomainColumn = "domain",
    class_column: ClassColumn = "class_state",
    proportion: Proportion = None,
    grade_unit: GradeUnit = "g/t",
    metal_unit: Annotated[str, typer.Option("--metal-unit", help="t, kg, g or oz.")] = "kg",
    out: Annotated[Path, typer.Option("--out", help="The table (CSV).")
                   ] = Path("grade_tonnage.csv"),
    plot: Annotated[Path | None, typer.Option("--plot", help="Curves (PNG).")] = None,
) -> None:
    """Tonnes, mean grade and metal above each cut-off, per domain and class."""
    from orebook.io.runlog import write_run_record
    from orebook.io.writing import write_table
    from orebook.resources.resources_plots import plot_grade_tonnage
    from orebook.resources.tonnage import grade_tonnage, parse_cutoffs

    try:
        if out.suffix.lower() != ".csv":
            raise ParameterError(f"--out {out}: the table is written as .csv")
        groups = _by(by)
        cuts = parse_cutoffs(cutoffs)
        with steps(3 + (plot is not None)) as step:
            step("Reading the block model")
            m = _load(model)
            step("Grade–tonnage")
            blocks = _tonnage(m, variable, density, groups, domain_column, class_column,
                              proportion)
            table = grade_tonnage(blocks, cuts, by=groups, grade_unit=grade_unit,
                                  metal_unit=metal_unit)
            written = []
            if plot is not None:  # first: a picture that cannot be drawn leaves no table
                step("Plotting")
                written.append(plot_grade_tonnage(table, plot, by=groups, variable=variable))
            step("Writing")
            written.insert(0, write_table(table, out))
        params = {"variable": variable, "cutoffs": cuts.tolist(), "by": groups,
                  "grade_unit": grade_unit, "metal_unit": metal_unit,
                  **dict(blocks.parameters)}
        record = write_run_record(out.with_suffix(".run.toml"), "orebook report grade-tonnage",
                                  params, [model], [p.name for p in written])
    except OrebookError as exc:
        raise fail(exc) from None
    shown = table[table[groups[0]] == "(all)"] if groups else table
    print_frame(shown, f"{variable}: grade–tonnage of every block ({len(m):,} blocks, "
                       f"{blocks.unestimated:,} unestimated)", digits=8)
    console.print("Wrote " + ", ".join(str(p) for p in [*written, record]))


# ---------------------------------------------------------------------------- statement
@report_app.command("statement")
def statement_command(
    model: Model,
    variable: Variable,
    cutoff: Annotated[float, typer.Option("--cutoff", help="Cut-off grade (grade ≥ cut-off).")],
    density: DensityOpt,
    by: Annotated[str, typer.Option("--by", help="Rows by domain, class or domain,class.")
                  ] = "domain,class",
    domain_column: DomainColumn = "domain",
    class_column: ClassColumn = "class_state",
    proportion: Proportion = None,
    grade_unit: GradeUnit = "g/t",
    metal_unit: Annotated[list[str] | None, typer.Option(
        "--metal-unit", help="Metal column unit: t, kg, g or oz; repeat for several.")] = None,
    decimals: Annotated[str, typer.Option(
        "--decimals", help="Printed decimals of tonnes, grade, metal (−3: thousands).")
    ] = "0,2,1",
    out: Annotated[list[Path] | None, typer.Option(
        "--out", help="statement.xlsx, .csv or .md; repeat for several.")] = None,
    record: Annotated[Path | None, typer.Option(
        "--record", help="Also write the estimate record for the balance (.json or .csv).")
    ] = None,
    deposit: Annotated[str | None, typer.Option("--deposit", help="Deposit (record).")
                       ] = None,
    commodity: Annotated[str | None, typer.Option(
        "--commodity", help="Commodity (record), e.g. Au.")] = None,
    effective_date: Annotated[str | None, typer.Option(
        "--effective-date", help="YYYY-MM-DD (record).")] = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="Estimation method (record); default: from the model's runs.")
    ] = None,
    lower_cutoff: Annotated[float | None, typer.Option(
        "--lower-cutoff", help="Off-balance cut-off (record): lower ≤ grade < cut-off.")
    ] = None,
    state_column: Annotated[str | None, typer.Option(
        "--state-column", help="State category column for the record (default: "
        "--class-column).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Author (record).")] = None,
    document: Annotated[str | None, typer.Option(
        "--document", help="The document behind the estimate (record).")] = None,
) -> None:
    """A resource statement at one cut-off (and the estimate record for the balance)."""
    from orebook.io.estimate_record import write_estimate_record
    from orebook.resources.record import estimate_record, estimation_method
    from orebook.resources.statement import resource_statement, write_statement

    try:
        outs = list(out or [Path("statement.xlsx")])
        units = list(metal_unit or ["kg"])
        groups = _by(by)
        try:
            dec = [int(p) for p in decimals.split(",")]
        except ValueError:
            dec = []
        if len(dec) != 3:
            raise ParameterError(f"--decimals: expected three whole numbers (tonnes, grade, "
                                 f"metal), got {decimals!r}")
        if record is not None:
            missing = [o for o, v in (("--deposit", deposit), ("--commodity", commodity),
                                      ("--effective-date", effective_date)) if not v]
            if missing:
                raise ParameterError(f"--record needs {', '.join(missing)}")
            if record.suffix.lower() not in (".json", ".csv"):
                raise ParameterError(f"--record {record}: an estimate record is a .json or "
                                     ".csv file")
        with steps(3 + (record is not None)) as step:
            step("Reading the block model")
            m = _load(model)
            step("Statement")
            params = _model_parameters(model)
            blocks = _tonnage(m, variable, density, groups, domain_column, class_column,
                              proportion)
            st = resource_statement(blocks, cutoff, grade_unit=grade_unit, metal_units=units,
                                    decimals=dict(zip(("tonnes", "grade", "metal"), dec)),
                                    parameters=params)
            rec = None
            if record is not None:  # before writing anything: a refused record writes nothing
                step("Estimate record")
                sc = state_column or class_column
                rb = _tonnage(m, variable, density, ["class"], domain_column, sc,
                              proportion)
                how = method or estimation_method(m, variable)
                if not how:
                    raise ParameterError("--method: the model's runs do not say how "
                                         f"{variable!r} was estimated; give --method")
                rec = estimate_record(rb, cutoff=cutoff, lower_cutoff=lower_cutoff,
                                      deposit=deposit, commodity=commodity,
                                      effective_date=effective_date, method=how,
                                      grade_unit=grade_unit, metal_unit=units[0],
                                      parameters=params, author=author, document=document)
            step("Writing")
            for p in outs:
                if p.suffix.lower() not in (".xlsx", ".csv", ".md"):
                    raise ParameterError(f"--out {p}: a statement is written as .xlsx, .csv "
                                         "or .md")
            written = [write_statement(st, p) for p in outs]
            if rec is not None:
                written.append(write_estimate_record(rec, record))
    except OrebookError as exc:
        raise fail(exc) from None
    shown = st.display.drop(columns="level")
    print_frame(shown, f"{variable} ≥ {cutoff:g} {grade_unit} ({blocks.unestimated:,} "
                       "unestimated blocks left out)", digits=12)
    console.print("Wrote " + ", ".join(str(p) for p in written))


# ---------------------------------------------------------------------------- swath
@report_app.command("swath")
def swath_command(
    model: Model,
    composites: Annotated[Path, typer.Option(
        "--composites", help="Composites with x, y, z (CSV, XLSX, Parquet, GeoEAS).")],
    variable: Variable,
    composite_variable: Annotated[str | None, typer.Option(
        "--composite-variable", help="The composites' column (default: --variable's name, "
        "or the only value column).")] = None,
    width: Annotated[str, typer.Option(
        "--width", help="Slice width in m: one for X, Y, Z or three (50,50,10).")] = "50",
    weights: Annotated[str | None, typer.Option(
        "--weights", help="Composites' column of declustering weights.")] = None,
    decluster_cell: Annotated[float | None, typer.Option(
        "--decluster-cell", help="Decluster by cells of this size (m) instead.")] = None,
    nn_column: Annotated[str | None, typer.Option(
        "--nn-column", help="Model column with a nearest-neighbour estimate (default: "
        "computed from the composites).")] = None,
    domain_column: DomainColumn = "domain",
    domain: Annotated[str | None, typer.Option(
        "--domain", help="Only the blocks and composites of this domain.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("swath"),
) -> None:
    """Swath plots along X, Y, Z and global means: estimate vs declustered composites and
    nearest neighbour."""
    from orebook.geostats.declustering import cell_declustering
    from orebook.io.composites import read_composites
    from orebook.io.runlog import write_run_record
    from orebook.io.writing import write_table
    from orebook.resources.resources_plots import plot_swath
    from orebook.resources.swath import swaths

    try:
        try:
            widths = [float(p) for p in width.split(",")]
        except ValueError:
            raise ParameterError(f"--width: expected one or three numbers (m), got "
                                 f"{width!r}") from None
        if weights is not None and decluster_cell is not None:
            raise ParameterError("give --weights or --decluster-cell, not both")
        with steps(4) as step:
            step("Reading the block model")
            m = _load(model)
            if variable not in m.columns:
                raise ParameterError(f"--variable: the model has no column {variable!r}; "
                                     f"columns: {', '.join(m.columns)}")
            step("Reading composites")
            comps = read_composites(composites, domain_column=None if domain is None
                                    else domain_column)
            if domain is not None:
                if domain_column not in m.columns:
                    raise ParameterError(f"--domain-column: the model has no column "
                                         f"{domain_column!r}")
                codes = np.array([str(v) for v in m.columns[domain_column].tolist()])
                m = m.subset(codes == domain)
                comps = comps.subset(np.array([str(v) for v in comps.domain]) == domain)
                if len(m) == 0 or len(comps) == 0:
                    raise ParameterError(f"--domain {domain!r}: {len(m)} blocks and "
                                         f"{len(comps)} composites in it")
            cv = composite_variable or (variable if variable in comps.values else None)
            if cv is None:
                names = [v for v in comps.values if v != weights]
                if len(names) != 1:
                    raise ParameterError(f"--composite-variable: say which of "
                                         f"{', '.join(comps.values)}")
                cv = names[0]
            if cv not in comps.values:
                raise ParameterError(f"--composite-variable {cv!r}: not a value column of "
                                     f"{composites}; values: {', '.join(comps.values)}")
            values = comps.values[cv]
            xyz = np.column_stack([comps.x, comps.y, comps.z])
            step("Swaths")
            w = None
            if weights is not None:
                if weights not in comps.values:
                    raise ParameterError(f"--weights {weights!r}: no such column in "
                                         f"{composites}")
                w = np.nan_to_num(comps.values[weights], nan=0.0)
            elif decluster_cell is not None:
                ok = np.isfinite(values)
                res = cell_declustering(xyz[ok], values[ok], cell_sizes=[decluster_cell])
                w = np.zeros(values.size)
                w[ok] = res.weights
            nn = None
            if nn_column is not None:
                if nn_column not in m.columns:
                    raise ParameterError(f"--nn-column: the model has no column {nn_column!r}")
                nn = m.columns[nn_column].astype(np.float64)
            est = m.columns[variable]
            if est.dtype.kind not in "biuf":
                raise ParameterError(f"--variable {variable!r} holds text, not numbers")
            result = swaths(m.centroids(), est.astype(np.float64), xyz, values, widths,
                            origin=m.grid.origin, sample_weights=w, nn=nn, variable=variable)
            step("Writing")
            written = [write_table(result.table, out / "swath.csv"),
                       write_table(result.global_means, out / "global_means.csv"),
                       plot_swath(result, out / "swath.png")]
        params = {"variable": variable, "composite_variable": cv, "widths_m": widths,
                  "weights": weights, "decluster_cell_m": decluster_cell,
                  "nn_column": nn_column, "domain": domain,
                  "domain_column": domain_column if domain is not None else None}
        rec = write_run_record(out / "run.toml", "orebook report swath", params,
                               [model, composites], [p.name for p in written])
    except OrebookError as exc:
        raise fail(exc) from None
    print_frame(result.global_means, f"Global means of {variable}")
    console.print("Wrote " + ", ".join(str(p) for p in [*written, rec]))
