"""Alembic migrations of the registry, run programmatically with :func:`upgrade`.

The scripts ship with the package (``env.py``, ``versions/``); no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

__all__ = ["SCRIPT_LOCATION", "alembic_config", "current_revision", "upgrade"]

#: The folder holding ``env.py`` and ``versions/``.
SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, engine: Engine | None = None) -> Config:
    """An Alembic configuration for the registry at ``url`` (or on ``engine``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(url: str | Engine | None = None, revision: str = "head") -> None:
    """Bring the registry at ``url`` (a database URL or an engine) to ``revision``."""
    from orebook.balance.db import engine_from_url

    engine = url if isinstance(url, Engine) else engine_from_url(url)
    try:
        command.upgrade(alembic_config(engine=engine), revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the registry on ``engine`` is at (None: not initialised)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
