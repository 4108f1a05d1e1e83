"""Several processes record on the same deposit at once: nothing is lost, nothing goes below 0."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp

from helpers_balance import add_deposit

from orebook.balance import Ledger, engine_from_url
from orebook.errors import LedgerError

WORKERS = 4
TRIES = 15
STOCK_T = 40  # 4 × 15 = 60 tries of 1 t each against 40 t: exactly 40 must succeed


def _worker(url: str, worker: int, out) -> None:
    engine = engine_from_url(url)
    led = Ledger(engine)
    ok = refused = 0
    for i in range(TRIES):
        day = dt.date(2021, 1, 2) + dt.timedelta(days=(worker * TRIES + i) % 300)
        try:
            led.record("Shared", "Au", "C1", "balance", "production", ore=1, metal=0.01,
                       document=f"w{worker}-{i}", effective_date=day)
            ok += 1
        except LedgerError:
            refused += 1
        # an exploration gain on another line, never refused: nothing may be lost
        led.record("Shared", "Au", "C2", "balance", "exploration", ore=2, metal=0.02,
                   document=f"g{worker}-{i}", effective_date=day)
    engine.dispose()
    out.put((ok, refused))


def test_concurrent_writers_lose_nothing_and_never_overdraw(engine_with_gold, db_url):
    add_deposit(engine_with_gold, "Shared")
    led = Ledger(engine_with_gold)
    led.record("Shared", "Au", "C1", "balance", "exploration", ore=STOCK_T, metal=STOCK_T / 100,
               document="start", effective_date=dt.date(2021, 1, 1))
    engine_with_gold.dispose()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(db_url, w, out)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    ok = sum(r[0] for r in results)
    assert ok == STOCK_T
    assert sum(r[1] for r in results) == WORKERS * TRIES - STOCK_T
    end = {b.key: (b.ore, b.metal) for b in led.balance(dt.date(2022, 1, 1))}
    assert ("Shared", "Au", "C1", "balance") not in end  # spent to exactly zero
    ore, metal = end[("Shared", "Au", "C2", "balance")]
    assert ore == 2 * WORKERS * TRIES
    assert abs(metal - 0.02 * WORKERS * TRIES) < 1e-9
    assert len(led.movements(deposit="Shared")) == 1 + STOCK_T + WORKERS * TRIES
