"""Engines for the registry: SQLite (WAL, foreign keys on) by default, PostgreSQL by URL.

On SQLite, orebook issues ``BEGIN`` itself (the driver's own transaction handling is off), so a
writer can ask for ``BEGIN IMMEDIATE`` through the execution option ``sqlite_begin`` (see
:func:`write_engine`): two writers then queue on the database lock instead of both reading a
balance and both spending it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from orebook.errors import ParameterError

__all__ = ["DEFAULT_URL", "AuditHook", "audited", "engine_from_url", "sqlite_url",
           "write_engine"]

#: The registry file used when no URL is given.
DEFAULT_URL = "sqlite:///orebook-balance.sqlite"

_SQLITE_BUSY_TIMEOUT_MS = 60_000

#: the audit hook of a write: ``hook(session, result)``, called inside the write's transaction
#: before it commits (the service records who wrote there: the write and its audit entry commit
#: together or not at all)
AuditHook = Callable[[Any, Any], None]


def audited(session, audit: AuditHook | None, result):
    """``result``, after ``audit(session, result)`` when a hook is given."""
    if audit is not None:
        audit(session, result)
    return result


def sqlite_url(path: str | Path) -> str:
    """The URL of the SQLite registry at ``path``.

    >>> sqlite_url("/tmp/reg.sqlite")
    'sqlite:////tmp/reg.sqlite'
    """
    return f"sqlite:///{Path(path)}"


def engine_from_url(url: str | None = None, **kwargs) -> Engine:
    """Create the engine for ``url`` (default :data:`DEFAULT_URL`).

    ``postgresql://…`` URLs use the psycopg 3 driver. SQLite connections switch on WAL mode,
    foreign keys and a busy timeout, and leave transaction control to SQLAlchemy's ``begin``
    event (``BEGIN`` or, for writers, ``BEGIN IMMEDIATE``).
    """
    url = url or DEFAULT_URL
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ParameterError(f"database URL {url!r}: not a database URL ({exc})") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ParameterError(f"database URL {url!r}: expected sqlite:/// or postgresql://, "
                             f"found {backend!r}")
    if backend == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", _SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine whose transactions start with ``BEGIN IMMEDIATE`` on SQLite."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def _configure_sqlite(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
