"""Sessions, CSRF, tokens, roles and the audit log through the HTTP API."""

from __future__ import annotations

import pytest
from helpers_web import (  # noqa: F401 (fixtures)
    PASSWORD,
    client,
    login,
    registry_template,
    service,
)
from fastapi.testclient import TestClient

from orebook.balance.accounts import ROLES


def test_health_and_openapi(client):
    assert client.get("/api/health").json()["status"] == "ok"
    spec = client.get("/api/openapi.json").json()
    assert "/api/session" in spec["paths"] and "/api/users" in spec["paths"]


def test_login_sets_an_httponly_cookie_and_me_answers(client):
    r = client.post("/api/session", json={"username": "geologist", "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "orebook_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = client.get("/api/me").json()
    assert me["username"] == "geologist" and me["role"] == "geologist"
    assert me["csrf"] == r.json()["csrf"]


@pytest.mark.parametrize("body", [
    {"username": "geologist", "password": "wrong password!"},
    {"username": "nobody", "password": PASSWORD},
])
def test_wrong_credentials_are_401_with_the_error_body(client, body):
    r = client.post("/api/session", json=body)
    assert r.status_code == 401
    assert r.json() == {"status": 401, "message": "wrong user name or password",
                        "field": "password"}
    assert client.get("/api/me").status_code == 401


def test_bad_bodies_are_422_naming_the_field(client):
    r = client.post("/api/session", json={"username": "x" * 101, "password": "p"})
    assert r.status_code == 422 and r.json()["field"] == "username"
    r = client.post("/api/session", json={"username": 12})
    assert r.status_code == 422 and r.json()["status"] == 422


def test_writes_by_cookie_need_the_csrf_header(client):
    csrf = login(client, "admin")
    body = {"username": "newbie", "password": PASSWORD, "role": "viewer"}
    r = client.post("/api/users", json=body)
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["message"]
    r = client.post("/api/users", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = client.post("/api/users", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json()["username"] == "newbie"
    names = [u["username"] for u in client.get("/api/users").json()["items"]]
    assert "newbie" in names


@pytest.mark.parametrize("role", ROLES)
def test_only_admin_manages_users(client, role):
    csrf = login(client, role)
    h = {"X-CSRF-Token": csrf}
    expected_read = 200 if role == "admin" else 403
    assert client.get("/api/users").status_code == expected_read
    r = client.post("/api/users", headers=h,
                    json={"username": f"u-{role}", "password": PASSWORD, "role": "viewer"})
    assert r.status_code == (201 if role == "admin" else 403)


def test_anonymous_is_401(client):
    assert client.get("/api/users").status_code == 401
    assert client.post("/api/tokens", json={"name": "x"}).status_code == 401


def test_api_tokens_authenticate_scripts_without_csrf(service):
    with TestClient(service) as browser:
        csrf = login(browser, "registrar")
        r = browser.post("/api/tokens", json={"name": "import"},
                         headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201
        token = r.json()["token"]
    with TestClient(service) as script:
        me = script.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "registrar"
        bad = script.get("/api/me", headers={"Authorization": "Bearer nope-nope-nope"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"


def test_role_change_ends_the_session_and_writes_are_audited(service):
    with TestClient(service) as admin, TestClient(service) as viewer:
        csrf = login(admin, "admin")
        login(viewer, "viewer")
        assert viewer.get("/api/me").status_code == 200
        users = {u["username"]: u["id"] for u in admin.get("/api/users").json()["items"]}
        r = admin.patch(f"/api/users/{users['viewer']}", json={"role": "geologist"},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["role"] == "geologist"
        assert viewer.get("/api/me").status_code == 401     # the old cookie is dead
        audit = admin.get("/api/audit").json()["items"]
        assert (audit[0]["username"], audit[0]["action"], audit[0]["target"]) == (
            "admin", "update_user", "user viewer")
        assert admin.get("/api/audit?limit=0").status_code == 422
        r = admin.patch("/api/users/99999", json={"role": "viewer"},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 404 and r.json()["status"] == 404


def test_injection_attempts_are_refused_and_nothing_written(client):
    csrf = login(client, "admin")
    before = client.get("/api/users").json()["total"]
    for name in ["'; DROP TABLE users; --", "<script>alert(1)</script>", "a" * 101, "a\x00b"]:
        r = client.post("/api/users", headers={"X-CSRF-Token": csrf},
                        json={"username": name, "password": PASSWORD, "role": "viewer"})
        assert r.status_code == 422, name
    r = client.post("/api/users", headers={"X-CSRF-Token": csrf},
                    json={"username": "ok.user", "password": PASSWORD, "role": "root"})
    assert r.status_code == 422 and "role" in r.json()["message"]
    assert client.get("/api/users").json()["total"] == before
