"""A short load test of the balance service on both databases (the full one, 50 readers and
5 writers for 60 s, is ``benchmarks/web_load.py``): readers of district reports and writers of
movements against one server process — no error, no lost movement, the invariants hold."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from web_load import run_load  # noqa: E402


def test_readers_and_writers_at_once_lose_nothing(db_url):
    r = run_load(db_url, seconds=4.0, readers=8, writers=3, districts=3, deposits=8)
    assert r["n_errors"] == 0, r["errors"]
    assert r["reads"] > 0 and r["writes"] > 0
    assert r["movements_found"] == r["movements_expected"]     # no lost (or extra) movement
    assert r["lines_mismatched"] == [] and r["lines_negative"] == []
