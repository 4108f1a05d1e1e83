"""Alembic environment of the registry (online mode; the engine comes from orebook)."""

from __future__ import annotations

from alembic import context

from orebook.balance.schema import Base


def _run() -> None:
    from orebook.balance.db import engine_from_url

    config = context.config
    engine = config.attributes.get("engine")
    own = engine is None
    if own:
        engine = engine_from_url(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata,
                              render_as_batch=connection.dialect.name == "sqlite")
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if own:
            engine.dispose()


if hasattr(context, "config"):  # only when Alembic runs this file, not on a plain import
    _run()
