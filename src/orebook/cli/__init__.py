"""The ``orebook`` command line: thin commands over the stages (``docs/cli.md``)."""

# the commands register themselves on import
from . import (  # noqa: F401
    balance,
    balance_report,
    classical,
    classify,
    demo,
    drillholes,
    estimate,
    geostats,
    gslib,
    report,
    run,
    serve,
)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    app()
