"""``orebook serve``: the balance service (API and pages) on the embedded SQLite registry or
a PostgreSQL URL."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Annotated

import typer

from orebook.errors import OrebookError, ParameterError

from ._app import app
from ._shared import console, fail


def _secret_key(db_url: str, key_file: Path | None) -> str:
    """The signing key: ``OREBOOK_SECRET_KEY``, else the key file (created, mode 600, beside
    a SQLite registry when none is named)."""
    env = os.environ.get("OREBOOK_SECRET_KEY")
    if env:
        return env
    if key_file is None:
        if not db_url.startswith("sqlite:///"):
            raise ParameterError("with a server database, give the secret key in "
                                 "OREBOOK_SECRET_KEY or --secret-key-file")
        key_file = Path(db_url.removeprefix("sqlite:///") + ".key")
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    from orebook.io.writing import write_text_atomic

    key = secrets.token_urlsafe(48)
    write_text_atomic(key_file, key + "\n")
    key_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
    console.print(f"Created the secret key file {key_file} (keep it private).")
    return key


@app.command()
def serve(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the SQLite "
                                           "registry orebook-balance.sqlite here; or "
                                           "OREBOOK_BALANCE_DB).")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    create_admin: Annotated[str | None, typer.Option(
        "--create-admin", help="Create this admin account first (password from "
        "OREBOOK_ADMIN_PASSWORD or asked).")] = None,
    public: Annotated[bool, typer.Option("--public", help="Public read-only mode: anonymous "
                                         "visitors may read.")] = False,
    secret_key_file: Annotated[Path | None, typer.Option(
        "--secret-key-file", help="File holding the cookie-signing key (created if missing).")
    ] = None,
    setup_only: Annotated[bool, typer.Option("--setup-only", help="Migrate the database and "
                                             "create the admin, then exit.")] = False,
    log_level: Annotated[str, typer.Option(
        "--log-level", help="Server log level: debug, info (every request), warning, error."
    )] = "info",
) -> None:
    """Serve the state balance in a browser and as a JSON API (docs at /api/docs)."""
    from orebook.balance import DEFAULT_URL, upgrade
    from orebook.balance.accounts import create_user
    from orebook.web.app import service_engine
    from orebook.web.settings import Settings

    url = db or os.environ.get("OREBOOK_BALANCE_DB") or DEFAULT_URL
    try:
        upgrade(url)
        key = _secret_key(url, secret_key_file)
        settings = Settings.from_env(db_url=url, secret_key=key, public_read=public or None)
        engine = service_engine(settings)
        if create_admin:
            password = os.environ.get("OREBOOK_ADMIN_PASSWORD") or typer.prompt(
                f"Password for {create_admin}", hide_input=True, confirmation_prompt=True)
            create_user(engine, create_admin, password, "admin")
            console.print(f"Created the admin account {create_admin!r}.")
    except OrebookError as exc:
        raise fail(exc) from None
    if setup_only:
        engine.dispose()
        return
    import uvicorn

    from orebook.web.app import create_app

    console.print(f"orebook serves {url} on http://{host}:{port}/ (API docs: /api/docs)")
    if log_level not in ("debug", "info", "warning", "error"):
        raise fail(ParameterError(f"--log-level: expected debug, info, warning or error, got "
                                  f"{log_level!r}"))
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level=log_level)
