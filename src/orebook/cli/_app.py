"""The ``orebook`` application and its command groups."""

from __future__ import annotations

import typer

from orebook import __version__

from ._shared import console

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="orebook: from drill holes to the state balance of mineral reserves.")
drillholes_app = typer.Typer(no_args_is_help=True, add_completion=False,
                             help="Read, validate, desurvey, composite and cap drill holes.")
variogram_app = typer.Typer(no_args_is_help=True, add_completion=False,
                            help="Experimental variograms and variogram models.")
gslib_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Run unchanged GSLIB parameter files; write GSLIB's output files.")
app.add_typer(drillholes_app, name="drillholes")
app.add_typer(variogram_app, name="variogram")
app.add_typer(gslib_app, name="gslib")


@app.command()
def version() -> None:
    """Print the orebook version."""
    console.print(__version__)
