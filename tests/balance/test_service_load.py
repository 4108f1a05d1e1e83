"""A short load test of the balance service on both databases (the full one, 50 readers and
5 writers for 60 s, is ``benchmarks/web_load.py``): readers of district reports and writers of
movements against one server process — no error, no lost movement, the invariants hold, and
the reports agree with the ledger (at once when asked with ``Cache-Control: no-cache``, and
after the service's report lag without it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# the driver lives with the benchmarks; loaded by path (benchmarks/ must not go on sys.path:
# its distributed.py and balance.py would shadow the packages of those names)
_SPEC = importlib.util.spec_from_file_location(
    "orebook_bench_web_load", Path(__file__).resolve().parents[2] / "benchmarks" / "web_load.py")
_MODULE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MODULE)
run_load = _MODULE.run_load


def test_readers_and_writers_at_once_lose_nothing(db_url):
    r = run_load(db_url, seconds=4.0, warmup=1.0, readers=8, writers=3, districts=3,
                 deposits=8, lag_s=1.0)
    assert r["n_errors"] == 0, r["errors"]
    assert r["reads"] > 0 and r["writes"] > 0
    assert r["movements_found"] == r["movements_expected"]     # no lost (or extra) movement
    assert r["lines_mismatched"] == [] and r["lines_negative"] == []
    assert r["reports_stale"] == []
