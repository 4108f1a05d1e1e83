"""``orebook run PROJECT.toml``: the whole chain of a project file (docs/project.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps


def print_stages(results, title: str) -> None:
    """The table of a project run: each stage, ran / up to date / skipped, time, note."""
    print_frame(pd.DataFrame([{"stage": r.stage, "status": r.status,
                               "time_s": round(r.seconds, 2), "note": escape(r.note)}
                              for r in results]), title)


@app.command("run")
def run_command(
    project: Annotated[Path, typer.Argument(help="The project file (TOML); see "
                                                 "docs/project.md.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Run every stage again, even those that are up to date.")] = False,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only this stage (repeat for several); the stages before it must "
                       "have run.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="The run folder (default: the project file's out key, else run/ "
                      "beside the project file).")] = None,
) -> None:
    """Run a project's stages in order, from drill holes to the balance, skipping those whose
    inputs and parameters have not changed; write the HTML report."""
    from orebook.project import STAGES, read_project, run_project

    try:
        p = read_project(project)
        total = len(only) if only else len(STAGES)
        with steps(total) as step:
            results = run_project(p, out=out, only=only, force=force,
                                  progress=lambda name: step(f"Stage: {name}"))
    except OrebookError as exc:
        raise fail(exc) from None
    folder = out if out is not None else p.out
    print_stages(results, f"{p.name}: stages ({folder})")
    report = Path(folder) / "report" / "report.html"
    if report.is_file():
        console.print(f"Report: {report}", highlight=False)
