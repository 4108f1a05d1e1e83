"""``orebook estimate PLAN.toml``: estimate a block model as a plan says."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps


@app.command()
def estimate(
    plan: Annotated[Path, typer.Argument(help="An estimation plan (TOML); see docs/estimate.md.")],
) -> None:
    """Estimate the variables of a plan into one block model (Parquet) and record the run."""
    from orebook.estimate.plan import read_plan, run_plan
    from orebook.io.runlog import write_run_record

    try:
        p = read_plan(plan)
        with steps(len(p.steps) + 1) as step:
            step("Reading samples")
            out, summaries = run_plan(p, progress=step)
        for s, summary in zip(p.steps, summaries):
            print_frame(summary, f"{s.variable} ({s.method}): blocks per pass")
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
