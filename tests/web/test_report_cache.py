"""The report cache: answers kept while the balance is unchanged, recomputed after any change
(a movement through the API or behind its back, a deposit edit), expired after its TTL."""

from __future__ import annotations

import datetime as dt
import time

from test_api_setup import api, api_template, registry_template  # noqa: F401

from orebook.balance import Ledger
from orebook.web.report_cache import ReportCache


def test_cache_hits_generation_ttl_and_size():
    calls = []
    cache = ReportCache(max_entries=2, ttl_s=0.5)

    def compute(v):
        return lambda: calls.append(v) or v

    assert cache.get("a", 1, compute("a1")) == "a1"
    assert cache.get("a", 1, compute("a2")) == "a1"          # kept
    assert cache.get("a", 2, compute("a3")) == "a3"          # the balance changed
    cache.edited()
    assert cache.get("a", 2, compute("a4")) == "a4"          # a deposit edit
    cache.get("b", 2, compute("b1"))
    cache.get("c", 2, compute("c1"))                          # "a" is the least recently used
    assert cache.get("a", 2, compute("a5")) == "a5"
    time.sleep(0.6)
    assert cache.get("a", 2, compute("a6")) == "a6"          # expired
    assert calls == ["a1", "a3", "a4", "b1", "c1", "a5", "a6"]


def _gold_c1(api, **params):
    r = api.client.get("/api/reports/totals", params={"as_of": "2030-01-01",
                                                      "by": "commodity,category", **params},
                       headers=api.auth("viewer"))
    assert r.status_code == 200, r.text
    return {(i["commodity"], i["category"]): i["metal"] for i in r.json()["items"]
            if not i.get("total")}


def test_answers_follow_every_change(api):
    before = _gold_c1(api)[("Au", "C1")]
    assert before == _gold_c1(api)[("Au", "C1")]               # a second, cached answer
    cache = api.client.app.state.report_cache
    assert cache.hits >= 1
    # a movement through the API
    r = api.client.post("/api/movements", headers=api.auth("registrar"), json={
        "deposit": "Golden Hill", "commodity": "Au", "kind": "production", "category": "C1",
        "group": "balance", "ore": 10.0, "metal": 0.05, "effective_date": "2029-01-01",
        "document": "f9"})
    assert r.status_code == 201, r.text
    assert _gold_c1(api)[("Au", "C1")] == before - 0.05
    # a movement behind the service's back (another process, the command line)
    Ledger(api.engine).record("Golden Hill", "Au", "C1", "balance", "production", ore=10.0,
                              metal=0.05, document="f10", effective_date=dt.date(2029, 2, 1))
    assert _gold_c1(api)[("Au", "C1")] == before - 0.10
    # a deposit edit changes the grouping by status
    by_status = api.client.get("/api/reports/totals", headers=api.auth("viewer"), params={
        "as_of": "2030-01-01", "by": "status,commodity"}).json()["items"]
    assert {i["status"] for i in by_status if not i.get("total")} >= {"developed"}
    gh = api.ids["gh"]
    tag = api.client.get(f"/api/deposits/{gh}", headers=api.auth("viewer")).headers["etag"]
    r = api.client.patch(f"/api/deposits/{gh}", json={"status": "conserved"},
                         headers=api.auth("registrar") | {"If-Match": tag})
    assert r.status_code == 200, r.text
    by_status = api.client.get("/api/reports/totals", headers=api.auth("viewer"), params={
        "as_of": "2030-01-01", "by": "status,commodity"}).json()["items"]
    gold = {i["status"] for i in by_status if not i.get("total") and i["commodity"] == "Au"}
    assert gold == {"conserved"}


def test_one_computation_per_key_at_a_time():
    import threading

    cache = ReportCache()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(v):
        def f():
            calls.append(v)
            started.set()
            release.wait(5)
            return v
        return f

    cache.get("k", 1, lambda: "old")                 # an answer kept at generation 1
    out = {}
    first = threading.Thread(target=lambda: out.setdefault("first", cache.get("k", 2, slow("new"))))
    first.start()
    assert started.wait(5)
    # while "new" is being computed, a second reader gets the answer it replaces, at once
    assert cache.get("k", 2, slow("other")) == "old"
    release.set()
    first.join(5)
    assert out["first"] == "new" and calls == ["new"]
    assert cache.get("k", 2, slow("again")) == "new"  # kept now
    # with no answer yet, a concurrent reader waits for the one computation
    started.clear()
    release.clear()
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("z", 1, slow("z1"))))
               for _ in range(4)]
    for th in threads:
        th.start()
    assert started.wait(5)
    release.set()
    for th in threads:
        th.join(5)
    assert results == ["z1"] * 4 and calls.count("z1") == 1
