"""``orebook estimate PLAN.toml``: estimate a block model as a plan says;
``orebook crossval PLAN.toml``: cross-validate it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps


@app.command()
def estimate(
    plan: Annotated[Path, typer.Argument(help="An estimation plan (TOML); see docs/estimate.md.")],
    executor: Annotated[str | None, typer.Option(
        "--executor", help="local (threads, the default) or dask; overrides the plan's "
        "[executor] table.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Start a local Dask cluster of this many worker processes.")] = None,
    tile: Annotated[tuple[int, int, int] | None, typer.Option(
        "--tile", help="Blocks per Dask task along X, Y, Z (default 64 64 64).")] = None,
) -> None:
    """Estimate the variables of a plan into one block model (Parquet) and record the run,
    here or on a Dask cluster (docs/distributed.md)."""
    from orebook.estimate.distributed import executor_of_plan
    from orebook.estimate.plan import read_plan
    from orebook.io.runlog import write_run_record

    try:
        p = read_plan(plan)
        ex = executor_of_plan(p).with_options(kind=executor, scheduler=scheduler,
                                              workers=workers, tile=tile)
        if ex.kind == "local":
            with steps(len(p.steps) + 1) as step:
                step("Reading samples")
                out, summaries = ex.run(p, local_progress=step)
        else:
            out, summaries = _run_on_dask(ex, p)
        for s, summary in zip(p.steps, summaries):
            where = f", domain {s.domain}" if s.domain is not None else ""
            print_frame(summary, f"{s.variable} ({s.method}{where}): blocks per pass")
            missing = summary.attrs.get("unestimated", {})
            if missing:
                console.print("  unestimated: " + "; ".join(f"{n:,} ({why})"
                                                             for why, n in missing.items()))
        inputs = [plan, p.samples] + [s.model for s in p.steps if s.model is not None]
        write_run_record(out.with_suffix(".run.toml"), "orebook estimate",
                         {"plan": str(plan)}, inputs, [out.name])
    except OrebookError as exc:
        raise fail(exc) from None
    console.print(f"Block model: {out} (run record {out.with_suffix('.run.toml')})")


def _run_on_dask(ex, plan):
    """Run ``plan`` with the Dask executor ``ex`` under a progress bar over its tiles."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    from ._shared import err_console

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("Dask tiles", total=None)

        def progress(done: int, total: int, message: str | None = None) -> None:
            if done == 0 and message:
                console.print(message)
            bar.update(task, completed=done, total=total)

        return ex.run(plan, progress=progress)


def _file_name(text: str) -> str:
    """A file-name part from a variable or domain code."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "step"


def _step_names(steps) -> list[str]:
    """One distinct file-name stem per step: its column prefix (the variable by default),
    with the domain when it has one."""
    names: list[str] = []
    for i, s in enumerate(steps, start=1):
        stem = s.prefix.rstrip("_") or s.variable
        name = _file_name(stem + (f"_{s.domain}" if s.domain is not None else ""))
        names.append(name if name not in names else f"{name}_{i}")
    return names


@app.command()
def crossval(
    plan: Annotated[Path, typer.Argument(help="An estimation plan (TOML); see docs/estimate.md.")],
    holes: Annotated[bool, typer.Option(
        "--holes", help="Leave out the whole drill hole of each sample, not only the sample.")
    ] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default: PLAN_crossval beside the plan).")] = None,
    plan_map: Annotated[bool, typer.Option(
        "--map/--no-map", help="Also draw a plan map of the errors.")] = True,
) -> None:
    """Cross-validate every estimate of a plan: each sample estimated from the others with the
    step's method, model, search passes and domains; write the per-sample tables, the error
    statistics and plots."""
    import pandas as pd

    from orebook.estimate.crossval import STATISTICS
    from orebook.estimate.crossval_plots import (
        plot_crossval_errors,
        plot_crossval_map,
        plot_crossval_scatter,
    )
    from orebook.estimate.plan import crossval_plan, read_plan
    from orebook.io.runlog import write_run_record
    from orebook.io.writing import write_table

    try:
        p = read_plan(plan)
        folder = out if out is not None else plan.parent / f"{plan.stem}_crossval"
        names = _step_names(p.steps)
        mode = "leave-one-hole-out" if holes else "leave-one-out"
        with steps(2 * len(p.steps) + 1) as step:
            step("Reading samples")
            results = crossval_plan(p, by_hole=holes, progress=step)
            written, rows = [], []
            for s, name, cv in zip(p.steps, names, results):
                step(f"Writing {name}")
                written.append(write_table(cv.table, folder / f"{name}_crossval.csv"))
                label = s.variable + (f" ({s.domain})" if s.domain is not None else "")
                written.append(plot_crossval_scatter(cv, folder / f"{name}_scatter.png",
                                                     variable=label))
                written.append(plot_crossval_errors(cv, folder / f"{name}_errors.png",
                                                    variable=label))
                if plan_map:
                    written.append(plot_crossval_map(cv, folder / f"{name}_map.png",
                                                     variable=label))
                rows.append({"step": name, "variable": s.variable, "domain": s.domain or "",
                             "method": s.method, "mode": mode,
                             **{k: cv.statistics[k] for k in STATISTICS}})
            stats = pd.DataFrame(rows)
            written.append(write_table(stats, folder / "statistics.csv"))
        inputs = [plan, p.samples] + [s.model for s in p.steps if s.model is not None]
        write_run_record(folder / "crossval.run.toml", "orebook crossval",
                         {"plan": str(plan), "holes": holes, "map": plan_map}, inputs,
                         [w.name for w in written])
    except OrebookError as exc:
        raise fail(exc) from None
    shown = stats.set_index("step")[list(STATISTICS)].T
    shown.insert(0, "statistic", shown.index)
    print_frame(shown.reset_index(drop=True), f"Cross-validation ({mode})")
    console.print(f"Tables and plots: {folder}")
