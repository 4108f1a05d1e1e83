"""``orebook demo``: the whole chain on the bundled demo project — a synthetic gold–silver
vein whose truth is known — and a demo state balance that its estimate enters."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps
from .run import print_stages

PROJECT = ("data", "sample", "vein", "project.toml")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "demo-output"),
) -> None:
    """Run the bundled demo project end to end (drill holes of a synthetic Au-Ag vein,
    composites, statistics, variography, kriging, cross-validation, classification, resource
    statement, exports, HTML report), compare the estimate with the known truth, and enter it
    into a demo state balance: approved, then the yearly form and the district totals."""
    from orebook.demo_balance import build_demo_balance
    from orebook.project import STAGES, read_project, run_project

    t0 = time.perf_counter()
    ref = resources.files("orebook").joinpath(*PROJECT)
    with resources.as_file(ref) as path:
        console.rule("[bold]orebook demo: a synthetic gold–silver vein, drill holes to balance")
        console.print(f"Project: {path}", highlight=False)
        try:
            project = read_project(path)
            with steps(len(STAGES) + 1) as step:
                results = run_project(project, out=out / "run",
                                      progress=lambda name: step(f"Stage: {name}"))
                step("State balance")
                record = out / "run" / "resources" / "estimate_record.json"
                bal = build_demo_balance(out / "balance", record)
        except OrebookError as exc:
            raise fail(exc) from None
    print_stages(results, f"{project.name}: stages")
    cutoff = project.resources.get("cutoff")
    truth = out / "run" / "resources" / "truth.csv"
    if truth.is_file() and cutoff is not None:
        t = pd.read_csv(truth)
        row = t.iloc[(t["cutoff"] - cutoff).abs().argmin()]
        print_frame(pd.DataFrame({
            "": ["tonnes (t)", "grade (g/t)", "metal (kg)"],
            "estimate": [row.tonnes_est_t, row.grade_est, row.metal_est_kg],
            "truth": [row.tonnes_true_t, row.grade_true, row.metal_true_kg],
            "difference_%": [row.tonnes_diff_pct, 100 * (row.grade_est / row.grade_true - 1),
                             row.metal_diff_pct]}),
            f"Estimate against the generator's truth at {row.cutoff:g} g/t Au")
    statement = out / "run" / "resources" / "statement_table.csv"
    if statement.is_file():
        print_frame(pd.read_csv(statement), f"Resource statement at {cutoff:g} g/t Au")
    form = bal.yearly
    cols = [c for c in ("deposit", "category", "group", "start_metal", "production_metal",
                        "approval_metal", "end_metal", "metal_unit") if c in form.columns]
    print_frame(form[cols], "State balance, yearly form 2026 (gold, metal)")
    tcols = [c for c in ("district", "commodity", "category", "ore", "metal", "metal_unit")
             if c in bal.totals.columns]
    print_frame(bal.totals[tcols], "Totals by district, commodity and category (1 Feb 2026)")
    report = out / "run" / "report" / "report.html"
    console.print(f"Balance: {bal.url} and reports in {out / 'balance'}", highlight=False)
    console.print(f"HTML report: {report}", highlight=False)
    console.print(f"Done in {time.perf_counter() - t0:.0f} s.")
