"""The migrations build exactly the schema of the models, on both databases."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from orebook.balance import current_revision, engine_from_url, upgrade
from orebook.balance.migrations import SCRIPT_LOCATION
from orebook.balance.schema import Base


def test_migrated_schema_matches_the_models(engine):
    assert current_revision(engine) == "0001"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_sqlite_runs_in_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    upgrade(url)
    eng = engine_from_url(url)
    assert current_revision(eng) == "0001"
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    eng.dispose()
    mode = sqlite3.connect(tmp_path / "r.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_migration_scripts_ship_with_the_package():
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert (SCRIPT_LOCATION / "script.py.mako").is_file()
    assert list((SCRIPT_LOCATION / "versions").glob("v*.py"))
