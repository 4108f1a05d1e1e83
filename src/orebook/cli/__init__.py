"""The ``orebook`` command line: thin commands over the stages (``docs/cli.md``)."""

from . import demo, drillholes, estimate, geostats, gslib  # noqa: F401  (the commands register themselves)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    app()
