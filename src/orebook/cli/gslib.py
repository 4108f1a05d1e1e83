"""``orebook gslib …``: unchanged GSLIB parameter files in, GSLIB's output files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orebook.errors import OrebookError

from ._app import gslib_app
from ._shared import console, fail

ParFile = Annotated[Path, typer.Argument(help="A GSLIB parameter file, unchanged.")]
LeadingZero = Annotated[bool, typer.Option(
    "--leading-zero", help="Write 0.5 rather than .5 (gfortran's style; GSLIB's executables "
    "leave the zero out).")]


@gslib_app.command()
def gamv(parfile: ParFile, leading_zero: LeadingZero = False) -> None:
    """Experimental variograms as GSLIB gamv: reads its parameter file, writes its output."""
    from orebook.gslib import run_gamv

    _run(run_gamv, parfile, leading_zero)


@gslib_app.command()
def declus(parfile: ParFile, leading_zero: LeadingZero = False) -> None:
    """Cell declustering as GSLIB declus: reads its parameter file, writes its two outputs."""
    from orebook.gslib import run_declus

    _run(run_declus, parfile, leading_zero)


@gslib_app.command()
def kt3d(parfile: ParFile, leading_zero: LeadingZero = False) -> None:
    """Kriging as GSLIB kt3d (grid or cross-validation, SK or OK, blocks, octants): reads its
    parameter file, writes its output file."""
    from orebook.gslib import run_kt3d

    _run(run_kt3d, parfile, leading_zero)


@gslib_app.command()
def kb2d(parfile: ParFile, leading_zero: LeadingZero = False) -> None:
    """2-D point or block kriging as GSLIB kb2d: reads its parameter file, writes its output."""
    from orebook.gslib import run_kb2d

    _run(run_kb2d, parfile, leading_zero)


def _run(runner, parfile: Path, leading_zero: bool) -> None:
    try:
        written = runner(parfile, leading_zero=leading_zero)
    except OrebookError as exc:
        raise fail(exc) from None
    for p in written:
        console.print(f"wrote {p}")
