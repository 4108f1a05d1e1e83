"""The demo's state balance equals the hand-computed one."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from orebook.balance import Ledger, engine_from_url
from orebook.demo_balance import OLD_HILL_2026, build_demo_balance
from orebook.io.estimate_record import EstimateRecord, RecordLine, write_estimate_record

# the estimate the demo run would submit: 2.0 Mt at 2.5 g/t (B) and 0.5 Mt at 1.2 g/t (C1)
RECORD = EstimateRecord("Demo vein", "ordinary kriging", dt.date(2026, 1, 1), "sha256:demo",
                        (RecordLine("Au", "B", "balance", 2_000_000.0, 2.5, 5_000.0),
                         RecordLine("Au", "C1", "balance", 500_000.0, 1.2, 600.0),
                         RecordLine("Au", "C1", "off-balance", 300_000.0, 0.4, 120.0)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    rec = write_estimate_record(RECORD, folder / "record.json")
    return build_demo_balance(folder / "balance", rec)


def _lines(url, deposit, as_of):
    """(category, group, "ore" | "metal") → quantity, on the balance as at ``as_of``."""
    eng = engine_from_url(url)
    try:
        return _flat({(b.category, b.group): (b.ore, b.metal)
                      for b in Ledger(eng).balance(as_of, deposit=deposit)})
    finally:
        eng.dispose()


def _flat(lines: dict) -> dict:
    return {k + (q,): v[i] for k, v in lines.items() for i, q in enumerate(("ore", "metal"))}


def test_old_hill_is_the_hand_computed_history(demo):
    assert _lines(demo.url, "Old Hill", dt.date(2026, 1, 1)) == pytest.approx(_flat(OLD_HILL_2026))
    # by hand, at the end of 2023: C1 800,000 − 60,000 − 70,000 − 5,000; C2 untouched
    assert _lines(demo.url, "Old Hill", dt.date(2024, 1, 1)) == pytest.approx(_flat(
        {("C1", "balance"): (665_000.0, 1_995.0), ("C2", "balance"): (300_000.0, 750.0)}))


def test_the_demo_vein_holds_exactly_the_approved_record(demo):
    before = _lines(demo.url, "Demo vein", dt.date(2026, 1, 20))
    assert before == pytest.approx(_flat({("C2", "balance"): (1_000_000.0, 3_000.0)}))
    after = _lines(demo.url, "Demo vein", dt.date(2026, 1, 21))
    assert after == pytest.approx(_flat({(ln.category, ln.group): (ln.ore, ln.metal)
                                         for ln in RECORD.lines}))


def test_reports_add_up(demo):
    form = demo.yearly
    vein = form[(form["deposit"] == "Demo vein") & ~form.get("total", False)]
    # start of 2026: the 2023 estimate; end: the record; the approval moved the difference
    assert vein["start_metal"].sum() == pytest.approx(3_000.0)
    assert vein["end_metal"].sum() == pytest.approx(5_720.0)
    tot = demo.totals
    district = tot[(tot["district"].astype(str).str.contains("Vein district"))
                   & (tot["commodity"] == "Au")]
    by_cat = district.groupby("category")["metal"].sum().to_dict()
    # hand: B 5,000 (vein); C1 1,810 (Old Hill) + 600 + 120 (vein); C2 450 (Old Hill)
    assert by_cat["B"] == pytest.approx(5_000.0)
    assert by_cat["C1"] == pytest.approx(2_530.0)
    assert by_cat["C2"] == pytest.approx(450.0)
    xlsx = [p for p in demo.files if p.suffix == ".xlsx"]
    assert len(xlsx) == 2 and all(openpyxl.load_workbook(p).active.max_row > 2 for p in xlsx)
