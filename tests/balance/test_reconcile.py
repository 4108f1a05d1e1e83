"""Reconciliation of published totals, checked by hand: the Kalbajar sample and a registry
whose deposits have ledger balances; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from orebook.balance import Ledger, import_tables, reconcile, write_reconciliation
from orebook.balance import registry as reg
from orebook.errors import NotFoundError, ParameterError

D = dt.date
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "orebook" / "data" / "sample" / "kalbajar"


def test_kalbajar_by_hand(engine):
    import_tables(engine, [SAMPLE])
    rec = reconcile(engine)
    t = rec.totals.set_index("total_id")
    # 9 totals of the district (ids 1–9 in file order); the two deposit figures are not totals
    assert list(t.index) == list(range(1, 10))
    au = t[t.commodity == "Au"]
    assert list(au.quoted) == [130.0, 130.0, 143.0]
    # records: Soyudlu 112.5 t + Gizilbulag 13.7 t = 126.2 t, both published for the deposit
    assert au.records.tolist() == pytest.approx([126.2] * 3)
    assert au.accounted_pct.tolist() == pytest.approx([100 * 126.2 / 130] * 2
                                                      + [100 * 126.2 / 143])
    assert au.accounted_pct.round(2).tolist() == [97.08, 97.08, 88.25]
    assert au.remainder.tolist() == pytest.approx([3.8, 3.8, 16.8])
    # neither is comparable: Soyudlu's is a 2023 resource (uncertain), Gizilbulag's district
    # is uncertain, and neither refers to 1 January 1993
    assert au.comparable.tolist() == [0.0, 0.0, 0.0]
    assert au.deposits.tolist() == [2, 2, 2]
    assert (au.measure == "t").all()
    for code, quoted in (("Ag", [190.33, 190.33, 248.0]), ("Te", [45.82]), ("Se", [248.89]),
                         ("Hg", [939.0])):
        rows = t[t.commodity == code]
        assert rows.quoted.tolist() == quoted
        assert rows.records.tolist() == [0.0] * len(quoted)  # no record: never invented
        assert rows.remainder.tolist() == quoted
    assert t.loc[8, "deposit_count_quoted"] == 34
    assert t.loc[1, "records_as_at"] == "1993-01-01"
    assert t.loc[8, "records_as_at"] == "all movements"
    assert "143 t" in t.loc[1, "other_figures"] and "130 t" in t.loc[8, "other_figures"]
    assert t.loc[5, "other_figures"] == ""
    # the contributions are exactly the deposit figures the sources give
    c = rec.contributions[rec.contributions.total_id == 1].set_index("deposit")
    assert c.figure.to_dict() == {"Gizilbulag": 13.7, "Soyudlu": 112.5}
    assert "district uncertain" in c.loc["Gizilbulag", "flags"]
    assert "figure uncertain" in c.loc["Soyudlu", "flags"]
    assert set(rec.contributions.total_id) == {1, 3, 8}
    # disagreements: 130 (two sources) against 143 t; 190.33 (two) against 248 t
    d = rec.disagreements.set_index("commodity")
    assert d.loc["Au", ["figure_a", "figure_b", "difference"]].tolist() == pytest.approx(
        [130, 143, 13])
    assert d.loc["Au", "difference_pct"] == pytest.approx(10.0)
    assert d.loc["Ag", "difference"] == pytest.approx(248 - 190.33)
    assert d.loc["Au", "sources_a"].count("(until 1993)") == 2
    assert len(rec.disagreements) == 2


@pytest.fixture
def hierarchy(engine):
    """Testland/East with districts Hill and Vale, and Testland/West; gold in kg."""
    for path in ("Testland/East/Hill", "Testland/East/Vale", "Testland/West/Plain"):
        reg.add_admin_unit(engine, path)
    reg.add_commodity(engine, "Au", "gold", component_unit="kg")
    reg.add_deposit(engine, "H1", district="Testland/East/Hill")
    reg.add_deposit(engine, "H2", district="Testland/East/Hill")
    reg.add_deposit(engine, "V1", district="Testland/East/Vale")
    reg.add_deposit(engine, "V2", district="Testland/East/Vale", district_uncertain=True)
    reg.add_deposit(engine, "W1", district="Testland/West/Plain")
    led = Ledger(engine)

    def put(dep, cat, grp, ore, metal, day):
        led.record(dep, "Au", cat, grp, "exploration", ore=ore, metal=metal, document="r",
                   effective_date=day)

    put("H1", "C1", "balance", 1000, 1000, D(1990, 5, 1))
    put("H1", "C2", "balance", 500, 400, D(1991, 5, 1))
    put("H1", "C1", "off-balance", 300, 300, D(1991, 5, 1))  # off-balance: not a reserve
    put("H1", "C1", "balance", 50, 50, D(1993, 6, 1))  # after the date of the total
    put("V1", "C1", "balance", 2000, 2500, D(1992, 1, 1))
    put("V2", "C1", "balance", 100, 100, D(1992, 1, 1))
    put("W1", "C1", "balance", 9000, 9000, D(1992, 1, 1))  # another region
    led.record("V1", "Au", "C1", "balance", "production", ore=200, metal=250, document="f",
               effective_date=D(1992, 12, 31))
    return engine


def test_ledger_records_by_hand(hierarchy):
    engine = hierarchy
    reg.add_published_total(engine, unit="Testland/East", commodity="Au", metal=5000,
                            as_of="1993", as_of_date="1993-01-01", source="yearbook 1993")
    reg.add_published_total(engine, unit="Testland/East", commodity="Au", metal=2000,
                            category="C1", as_of_date="1993-01-01", source="C1 only")
    # a deposit figure for H2, which has no ledger record: used, as published
    reg.add_published_total(engine, deposit="H2", commodity="Au", metal=300,
                            as_of_date="1993-01-01", source="H2 report")
    reg.add_published_total(engine, deposit="H2", commodity="Au", metal=280,
                            as_of_date="1989-01-01", source="older H2 report")
    # a figure for H1, which has ledger records: the ledger is used, not this
    reg.add_published_total(engine, deposit="H1", commodity="Au", metal=99,
                            as_of_date="1993-01-01", source="H1 press")
    rec = reconcile(engine, unit="testland/east")
    t = rec.totals.set_index("source")
    # as at 1993-01-01, balance group, all categories:
    #   H1 = 1000 (C1) + 400 (C2) = 1400 kg (off-balance and the 1993-06 gain excluded)
    #   H2 = 300 kg (its 1993 figure; the 1989 one is listed, not counted)
    #   V1 = 2500 − 250 = 2250 kg;  V2 = 100 kg (district uncertain: not comparable)
    #   W1 is in another region.   Sum 4050 of 5000 → 81 %, remainder 950; comparable 3950.
    row = t.loc["yearbook 1993"]
    assert (row.records, row.remainder, row.comparable, row.deposits) == (4050, 950, 3950, 4)
    assert row.accounted_pct == pytest.approx(81.0)
    assert row.comparable_pct == pytest.approx(79.0)
    # C1 only: H1 1000 + V1 2250 + V2 100 = 3350 (H2's figures are for all categories)
    c1 = t.loc["C1 only"]
    assert (c1.records, c1.remainder) == (3350, -1350)
    assert c1.accounted_pct == pytest.approx(167.5)
    contrib = rec.contributions[rec.contributions.total_id == row.total_id].set_index(
        ["deposit", "source"])
    assert contrib.loc[("H2", "older H2 report"), "counted"] == False
    assert contrib.loc[("H1", "the registry's ledger"), "figure"] == 1400
    assert "H1 press" not in set(rec.contributions.source)
    assert set(rec.contributions.deposit) == {"H1", "H2", "V1", "V2"}
    # H2's two figures disagree: a disagreement of the deposit's sources
    d = rec.disagreements
    assert d[["scope", "figure_a", "figure_b"]].values.tolist() == [["H2", 300.0, 280.0]]


def test_scope_and_errors(hierarchy):
    engine = hierarchy
    reg.add_published_total(engine, unit="Testland/West", commodity="Au", metal=9000,
                            as_of_date="1993-01-01", source="west")
    assert reconcile(engine, unit="Testland/East").totals.empty
    west = reconcile(engine, unit="Testland").totals
    assert west[["records", "accounted_pct", "remainder"]].values.tolist() == [[9000, 100, 0]]
    with pytest.raises(NotFoundError):
        reconcile(engine, unit="Atlantis")
    with pytest.raises(NotFoundError):
        reconcile(engine, commodity="Pt")
    with pytest.raises(ParameterError):
        reconcile(engine, tolerance=2)


def test_written_as_csv_and_xlsx(engine, tmp_path):
    import_tables(engine, [SAMPLE])
    rec = reconcile(engine, commodity="au")
    csvs = write_reconciliation(rec, tmp_path / "rec.csv")
    assert [p.name for p in csvs] == ["rec.csv", "rec-contributions.csv",
                                      "rec-disagreements.csv"]
    back = pd.read_csv(tmp_path / "rec.csv")
    assert back.records.tolist() == pytest.approx([126.2] * 3)
    write_reconciliation(rec, tmp_path / "rec.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "rec.xlsx")
    assert wb.sheetnames == ["totals", "contributions", "disagreements"]
    header = [c.value for c in wb["totals"][1]]
    quoted = [r[header.index("quoted")] for r in wb["totals"].iter_rows(min_row=2,
                                                                          values_only=True)]
    assert quoted == [130, 130, 143]
    with pytest.raises(ParameterError):
        write_reconciliation(rec, tmp_path / "rec.txt")
    assert not math.isnan(back.accounted_pct[0])
