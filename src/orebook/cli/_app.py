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
balance_app = typer.Typer(no_args_is_help=True, add_completion=False,
                          help="The state balance: registry, movements, approvals, reports.")
report_app = typer.Typer(no_args_is_help=True, add_completion=False,
                         help="Grade-tonnage tables and resource statements from a block model.")
classical_app = typer.Typer(no_args_is_help=True, add_completion=False,
                            help="Classical reserve methods: blocks, sections, polygons, triangles.")
app.add_typer(drillholes_app, name="drillholes")
app.add_typer(variogram_app, name="variogram")
app.add_typer(gslib_app, name="gslib")
app.add_typer(balance_app, name="balance")
app.add_typer(report_app, name="report")
app.add_typer(classical_app, name="classical")


@app.command()
def version() -> None:
    """Print the orebook version."""
    console.print(__version__)
