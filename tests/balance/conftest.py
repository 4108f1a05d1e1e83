"""Fixtures of the balance tests: every ledger test runs on SQLite and on a real PostgreSQL.

The PostgreSQL server is started once per session in a temporary folder with the ``initdb`` and
``pg_ctl`` found on PATH (as the ``postgres`` user when the tests run as root, since the server
refuses to run as root), listening on a free port of 127.0.0.1 and on a private unix socket.
Without ``initdb`` the PostgreSQL cases are skipped, with the reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from orebook.balance import engine_from_url, upgrade

BACKENDS = ["sqlite", "postgresql"]
_db_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """URL of the ``postgres`` database of a throwaway PostgreSQL server (session-wide)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL not available: initdb/pg_ctl not on PATH")
    base = Path(tempfile.mkdtemp(prefix="orebook-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("PostgreSQL not available: running as root and no runuser to drop to "
                        "the postgres user")
        prefix = [runuser, "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
        opts = (f"-k {sock} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60",
                        "-o", opts, "start"], check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL could not be started: {exc}\n{detail.decode(errors='replace')}"
                    f"\n{text}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def _fresh_postgres_database(server_url: str) -> tuple[str, str]:
    import psycopg

    name = f"orebook_test_{os.getpid()}_{next(_db_counter)}"
    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, server_url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(server_url: str, name: str) -> None:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """URL of a fresh, migrated registry on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
        upgrade(url)
        yield url
    else:
        server = request.getfixturevalue("postgres_url")
        name, url = _fresh_postgres_database(server)
        upgrade(url)
        yield url
        _drop_postgres_database(server, name)


@pytest.fixture
def engine(db_url):
    eng = engine_from_url(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def engine_with_gold(engine):
    """A migrated registry with the basics (district hierarchy, gold, a commission)."""
    from helpers_balance import add_basics

    add_basics(engine)
    return engine
