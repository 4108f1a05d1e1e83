"""Shared by the web tests: a service on a fresh, migrated SQLite registry with one account
per role (user name = role), and signing in. Test modules import the fixtures by name."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from orebook.balance import engine_from_url, upgrade
from orebook.balance.accounts import ROLES, create_user
from orebook.web.app import create_app
from orebook.web.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def registry_template(tmp_path_factory):
    """A migrated registry with the accounts, made once per module (Argon2 is slow on
    purpose) and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "registry.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = engine_from_url(url)
    for role in ROLES:
        create_user(engine, role, PASSWORD, role)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def service(tmp_path, registry_template):
    path = tmp_path / "registry.sqlite"
    shutil.copy(registry_template, path)
    url = f"sqlite:///{path}"
    engine = engine_from_url(url)
    app = create_app(Settings(db_url=url, secret_key="s" * 40), engine=engine)
    yield app
    engine.dispose()


@pytest.fixture
def client(service):
    with TestClient(service) as c:
        yield c


def login(client, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in; returns the CSRF token for its writes."""
    r = client.post("/api/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf"]
