"""The report cache: answers kept while the balance is unchanged or changed less than the lag
ago, refreshed in the background, exact on request; and the service's answers following every
change (a movement through the API or behind its back, a deposit edit)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from test_api_setup import api, api_template, registry_template  # noqa: F401

from orebook.balance import Ledger
from orebook.web.report_cache import ReportCache


class Balance:
    """A stand-in generation (counts its reads) and computations (record what ran, where)."""

    def __init__(self) -> None:
        self.generation, self.reads, self.ran = 1, 0, []

    def read(self):
        self.reads += 1
        return self.generation

    def compute(self, value: bytes):
        def f() -> bytes:
            self.ran.append((value, threading.current_thread().name))
            return value
        return f


def _wait_for(predicate, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_within_the_lag_the_kept_answer_is_served_without_asking_the_balance():
    b = Balance()
    cache = ReportCache(max_lag_s=5.0)
    assert cache.get("k", b.read, b.compute(b"v1")) == b"v1"
    reads = b.reads
    b.generation = 2                                  # a movement
    assert cache.get("k", b.read, b.compute(b"v2")) == b"v1"   # at most the lag behind
    assert cache.peek("k", b.read, b.compute(b"v2")) == b"v1"
    assert b.reads == reads                           # no database read for either
    # exact on request: reads the generation, computes, keeps
    assert cache.get("k", b.read, b.compute(b"v2"), exact=True) == b"v2"
    assert cache.get("k", b.read, b.compute(b"v3")) == b"v2"
    assert [v for v, _ in b.ran] == [b"v1", b"v2"]


def test_beyond_the_lag_a_change_is_always_seen():
    b = Balance()
    cache = ReportCache(max_lag_s=1.0)
    cache.get("k", b.read, b.compute(b"v1"))
    time.sleep(1.05)
    assert cache.peek("k", b.read, b.compute(b"x")) is None    # too old to serve unchecked
    assert cache.get("k", b.read, b.compute(b"x")) == b"v1"    # checked: unchanged, kept
    assert cache.peek("k", b.read, b.compute(b"x")) == b"v1"   # and checked now
    b.generation = 2
    time.sleep(1.05)
    assert cache.get("k", b.read, b.compute(b"v2")) == b"v2"
    assert [v for v, _ in b.ran] == [b"v1", b"v2"]


def test_a_refresh_runs_in_the_background_once_half_the_lag_has_passed():
    b = Balance()
    cache = ReportCache(max_lag_s=2.0)
    cache.get("k", b.read, b.compute(b"v1"))
    b.generation = 2
    time.sleep(1.05)                                   # past half the lag, within the lag
    assert cache.get("k", b.read, b.compute(b"v2")) == b"v1"   # served at once ...
    _wait_for(lambda: cache.stats()["refreshed"] == 1)          # ... and refreshed behind
    assert b.ran[-1] == (b"v2", "orebook-report-refresh")
    assert cache.get("k", b.read, b.compute(b"v3")) == b"v2"
    # unchanged: the refresher only checks (no computation)
    time.sleep(1.05)
    checks = cache.stats()["checks"]
    assert cache.get("k", b.read, b.compute(b"v3")) == b"v2"
    _wait_for(lambda: cache.stats()["checks"] == checks + 1)
    assert [v for v, _ in b.ran] == [b"v1", b"v2"]


def test_a_failed_refresh_is_computed_by_the_next_request_beyond_the_lag(caplog):
    b = Balance()
    cache = ReportCache(max_lag_s=2.0)
    start = time.monotonic()
    cache.get("k", b.read, b.compute(b"v1"))
    b.generation = 2

    def broken() -> bytes:
        raise RuntimeError("the database went away")

    time.sleep(1.05)                                   # past half the lag, within the lag
    assert cache.get("k", b.read, broken) == b"v1"
    _wait_for(lambda: "refreshing a report failed" in caplog.text)
    time.sleep(max(0.0, start + 2.1 - time.monotonic()))       # beyond the lag
    with pytest.raises(RuntimeError, match="went away"):      # the caller sees the error
        cache.get("k", b.read, broken)
    assert cache.get("k", b.read, b.compute(b"v2")) == b"v2"  # and nothing is left held


def test_edits_expiry_and_limits():
    b = Balance()
    cache = ReportCache(max_lag_s=0.0, ttl_s=2.0, max_entries=2, max_bytes=10)
    cache.get("a", b.read, b.compute(b"a1"))
    assert cache.get("a", b.read, b.compute(b"a2")) == b"a1"   # lag 0: checked, unchanged
    cache.edited()                                             # a deposit edit
    assert cache.get("a", b.read, b.compute(b"a3")) == b"a3"
    cache.get("b", b.read, b.compute(b"b1"))
    cache.get("c", b.read, b.compute(b"c1"))                   # "a" is the least recently used
    assert cache.get("a", b.read, b.compute(b"a4")) == b"a4"
    cache.get("d", b.read, b.compute(b"d123456789"))           # 10 bytes: the others go
    assert cache.stats()["entries"] == 1 and cache.stats()["bytes"] == 10
    time.sleep(2.05)
    assert cache.get("d", b.read, b.compute(b"d2")) == b"d2"   # expired
    with pytest.raises(ValueError):
        ReportCache(max_lag_s=40.0, ttl_s=30.0)


def test_one_computation_per_key_at_a_time():
    cache = ReportCache(max_lag_s=0.0)
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(v: bytes):
        def f() -> bytes:
            calls.append(v)
            started.set()
            release.wait(5)
            return v
        return f

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("z", lambda: 1,
                                                                       slow(b"z1"))))
               for _ in range(4)]
    for th in threads:
        th.start()
    assert started.wait(5)
    time.sleep(0.05)
    release.set()
    for th in threads:
        th.join(5)
    # the generation did not move: the waiters take the one answer, exact even at lag 0
    assert results == [b"z1"] * 4 and calls == [b"z1"]


def _gold_c1(api, exact: bool, **params):
    r = api.client.get("/api/reports/totals", params={"as_of": "2030-01-01",
                                                      "by": "commodity,category", **params},
                       headers=api.auth("viewer") | ({"Cache-Control": "no-cache"}
                                                      if exact else {}))
    assert r.status_code == 200, r.text
    return {(i["commodity"], i["category"]): i["metal"] for i in r.json()["items"]
            if not i.get("total")}


def test_answers_follow_every_change(api):
    before = _gold_c1(api, exact=False)[("Au", "C1")]
    assert before == _gold_c1(api, exact=False)[("Au", "C1")]  # a second, kept answer
    cache = api.client.app.state.report_cache
    assert cache.stats()["hits"] >= 1
    # a movement through the API: within the lag the kept answer may still be served, an
    # exact request sees it at once
    r = api.client.post("/api/movements", headers=api.auth("registrar"), json={
        "deposit": "Golden Hill", "commodity": "Au", "kind": "production", "category": "C1",
        "group": "balance", "ore": 10.0, "metal": 0.05, "effective_date": "2029-01-01",
        "document": "f9"})
    assert r.status_code == 201, r.text
    assert _gold_c1(api, exact=False)[("Au", "C1")] == before
    assert _gold_c1(api, exact=True)[("Au", "C1")] == before - 0.05
    # a movement behind the service's back (another process, the command line)
    Ledger(api.engine).record("Golden Hill", "Au", "C1", "balance", "production", ore=10.0,
                              metal=0.05, document="f10", effective_date=dt.date(2029, 2, 1))
    assert _gold_c1(api, exact=True)[("Au", "C1")] == before - 0.10
    # a deposit edit changes the grouping by status
    gh = api.ids["gh"]
    tag = api.client.get(f"/api/deposits/{gh}", headers=api.auth("viewer")).headers["etag"]
    r = api.client.patch(f"/api/deposits/{gh}", json={"status": "conserved"},
                         headers=api.auth("registrar") | {"If-Match": tag})
    assert r.status_code == 200, r.text
    by_status = api.client.get("/api/reports/totals", params={
        "as_of": "2030-01-01", "by": "status,commodity"},
        headers=api.auth("viewer") | {"Cache-Control": "no-cache"}).json()["items"]
    gold = {i["status"] for i in by_status if not i.get("total") and i["commodity"] == "Au"}
    assert gold == {"conserved"}
    # the downloads go through the same cache, and agree with the JSON
    csv = api.client.get("/api/reports/totals", params={
        "as_of": "2030-01-01", "by": "commodity,category", "format": "csv"},
        headers=api.auth("viewer") | {"Cache-Control": "no-cache"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f"{before - 0.10:g}"[:6] in csv.text


def test_the_lag_bounds_how_old_an_answer_is(api):
    cache = api.client.app.state.report_cache
    cache.max_lag_s = 0.3
    before = _gold_c1(api, exact=False)[("Au", "C1")]
    Ledger(api.engine).record("Golden Hill", "Au", "C1", "balance", "production", ore=10.0,
                              metal=0.05, document="f11", effective_date=dt.date(2029, 2, 1))
    time.sleep(0.35)
    assert _gold_c1(api, exact=False)[("Au", "C1")] == before - 0.05
