"""The auth cache: a token's user kept for ``recheck_s``, read again by one request while the
others go on, forgotten at once after the service's own account changes; a token revoked
behind the service's back stops working within twice ``recheck_s``."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from helpers_web import PASSWORD, login, registry_template, service  # noqa: F401 (fixtures)

from orebook.balance.accounts import (
    UserInfo,
    create_api_token,
    list_users,
    revoke_api_token,
)
from orebook.web.auth_cache import AuthCache

ALICE = UserInfo(1, "alice", None, "viewer", True, 1)
ALICE2 = UserInfo(1, "alice", None, "registrar", True, 2)


def test_kept_for_recheck_s_then_read_again_by_one_request():
    cache = AuthCache(recheck_s=1.0)
    assert cache.get("t") is None                        # never read: read it
    cache.put("t", ALICE, time.monotonic())
    assert cache.get("t") == ALICE
    time.sleep(1.05)
    assert cache.get("t") is None                        # this request reads it again ...
    assert cache.get("t") == ALICE                       # ... the others go on meanwhile
    cache.put("t", ALICE2, time.monotonic())
    assert cache.get("t") == ALICE2
    time.sleep(1.05)
    assert cache.get("t") is None
    time.sleep(1.0)                                      # the reader never came back
    assert cache.get("t") is None                        # past twice recheck_s: nobody
    cache.forget("t")
    assert cache.get("t") is None


def test_clear_and_size():
    cache = AuthCache(recheck_s=10, max_entries=2)
    now = time.monotonic()
    for k in "abc":
        cache.put(k, ALICE, now)
    assert cache.get("a") is None and cache.get("c") == ALICE   # the oldest dropped
    cache.clear()
    assert cache.get("c") is None


def test_a_revoked_token_stops_working_within_twice_recheck(service):
    service.state.auth_cache.recheck_s = 0.2
    engine = service.state.engine
    uid = {u.username: u.id for u in list_users(engine)}["registrar"]
    token, tid = create_api_token(engine, uid, "script")
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(service) as script:
        assert script.get("/api/me", headers=h).status_code == 200
        revoke_api_token(engine, tid)                    # the command line, say
        time.sleep(0.45)
        r = script.get("/api/me", headers=h)
        assert r.status_code == 401, r.text


def test_deactivation_through_the_service_counts_at_once(service):
    service.state.auth_cache.recheck_s = 60
    engine = service.state.engine
    uid = {u.username: u.id for u in list_users(engine)}["viewer"]
    token, _ = create_api_token(engine, uid, "script")
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(service) as admin, TestClient(service) as script:
        assert script.get("/api/me", headers=h).status_code == 200     # kept for a minute
        csrf = login(admin, "admin")
        r = admin.patch(f"/api/users/{uid}", json={"active": False},
                        headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert script.get("/api/me", headers=h).status_code == 401
        assert PASSWORD  # the accounts of the template share one password
