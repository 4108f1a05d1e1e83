"""The migrations build exactly the schema of the models, on both databases."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from orebook.balance import current_revision, engine_from_url, upgrade
from orebook.balance.migrations import SCRIPT_LOCATION
from orebook.balance.schema import Base


def _head() -> str:
    from alembic.script import ScriptDirectory

    from orebook.balance.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


HEAD = _head()


def test_migrated_schema_matches_the_models(engine):
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_conditions_revision_follows_the_initial_one():
    from alembic.script import ScriptDirectory

    from orebook.balance.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision("0002").down_revision == "0001"


def test_upgrade_is_idempotent_and_sqlite_runs_in_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(url)
    upgrade(url)
    eng = engine_from_url(url)
    assert current_revision(eng) == HEAD
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    eng.dispose()
    mode = sqlite3.connect(tmp_path / "r.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_migration_scripts_ship_with_the_package():
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert (SCRIPT_LOCATION / "script.py.mako").is_file()
    assert list((SCRIPT_LOCATION / "versions").glob("v*.py"))


def _diff(engine):
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_upgrade_from_0001_with_data_gives_the_models_schema(db_url):
    """A registry left at 0001 with rows in it upgrades to the models' schema, rows kept."""
    from sqlalchemy import text

    from orebook.balance.migrations import alembic_config

    eng = engine_from_url(db_url)
    try:
        from alembic import command

        command.downgrade(alembic_config(engine=eng), "0001")
        assert current_revision(eng) == "0001"
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO deposits (name, status, fund) "
                              "VALUES ('Old', 'reserve', 'undistributed')"))
            conn.execute(text("INSERT INTO commodities (code, name, ore_unit, component_unit, "
                              "grade_unit) VALUES ('Au', 'gold', 't', 'kg', 'g/t')"))
            conn.execute(text("INSERT INTO published_totals (commodity_id, metal, source) "
                              "VALUES (1, 5.0, 'a report')"))
        upgrade(eng)
        assert current_revision(eng) == HEAD
        assert _diff(eng) == []
        with eng.connect() as conn:
            row = conn.execute(text("SELECT name, district_uncertain, note FROM deposits")).one()
            assert (row[0], bool(row[1]), row[2]) == ("Old", False, None)
            row = conn.execute(text("SELECT metal, uncertain FROM published_totals")).one()
            assert (row[0], bool(row[1])) == (5.0, False)
    finally:
        eng.dispose()


def test_upgrade_from_empty_in_two_steps_equals_one_step(tmp_path):
    one, two = (f"sqlite:///{tmp_path / n}" for n in ("one.sqlite", "two.sqlite"))
    upgrade(one)
    upgrade(two, "0001")
    upgrade(two)
    engines = [engine_from_url(u) for u in (one, two)]
    try:
        assert [_diff(e) for e in engines] == [[], []]
    finally:
        for e in engines:
            e.dispose()
