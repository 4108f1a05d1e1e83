"""What every command shares: consoles, progress steps, error exit, table printing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from orebook.errors import OrebookError

__all__ = ["console", "err_console", "steps", "fail", "print_frame"]

# Wide tables stay readable when the output is a file or a CI log rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 150)
err_console = Console(stderr=True)


@contextlib.contextmanager
def steps(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar over the named steps of a command."""
    with Progress(SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("starting", total=total)
        started = [False]

        def step(name: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=name)

        yield step
        progress.update(task, completed=total)


def fail(exc: OrebookError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def print_frame(df: pd.DataFrame, title: str, digits: int = 4) -> None:
    console.print(f"[italic]{title}[/]", highlight=False)  # a title never wraps to the table
    t = Table()
    for c in df.columns:
        t.add_column(str(c), justify="right" if df[c].dtype.kind in "fiu" else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[(f"{v:,.{digits}g}" if isinstance(v, float) and np.isfinite(v)
                     else ("" if isinstance(v, float) else f"{v:,}" if isinstance(v, int)
                           else str(v))) for v in row])
    console.print(t)
