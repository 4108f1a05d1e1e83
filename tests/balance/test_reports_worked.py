"""The reports on a worked case checked by hand, on SQLite and PostgreSQL.

Testland > East > {Hill district, River district}, Testland > West (empty). Three deposits:
Gold Hill (Hill district, gold), River Bend (River district, gold) and East Copper (attached
directly to the East region, copper). Gold: ore in t, metal in kg, grade in g/t; copper: ore in
t, metal in t, grade in %. Every expected figure is worked out in the comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import BACKENDS, _drop_postgres_database, _fresh_postgres_database
from helpers_balance import add_estimate
from helpers_reports import add_deposit, add_tree

from orebook.balance import Ledger, engine_from_url, upgrade
from orebook.balance.reports import UNMAPPED, YEARLY_MOVEMENTS, totals, yearly_form
from orebook.errors import ParameterError

D = dt.date
GH, RB, EC = "Gold Hill", "River Bend", "East Copper"
EAST = "Testland / East"
HILL, RIVER = "Testland / East / Hill district", "Testland / East / River district"


def build(engine, *, close_2020: bool) -> Ledger:
    add_tree(engine)
    add_deposit(engine, GH, "Hill district", status="developed", fund="distributed",
                holder="Gold Mining Co", issued=D(2018, 1, 1))
    add_deposit(engine, RB, "River district", holder="River Resources", issued=D(2019, 5, 1))
    add_deposit(engine, EC, "East")
    led = Ledger(engine)
    rec = led.record
    # ---- 2020
    rec(GH, "Au", "C1", "balance", "exploration", ore=1_000_000, metal=5_000, document="r1",
        effective_date=D(2020, 2, 1))
    rec(GH, "Au", "C2", "balance", "exploration", ore=400_000, metal=1_200, document="r1",
        effective_date=D(2020, 2, 1))
    rec(RB, "Au", "C2", "balance", "exploration", ore=300_000, metal=900, document="r2",
        effective_date=D(2020, 3, 1))
    rec(EC, "Cu", "B", "balance", "exploration", ore=2_000_000, metal=20_000, document="r3",
        effective_date=D(2020, 4, 1))
    rec(GH, "Au", "C1", "balance", "production", ore=100_000, metal=500, document="5-GR",
        effective_date=D(2020, 10, 1))
    # ---- 2021
    rec(GH, "Au", "C1", "balance", "production", ore=120_000, metal=600, document="5-GR",
        effective_date=D(2021, 6, 30))
    rec(GH, "Au", "C1", "balance", "loss", ore=5_000, metal=25, document="5-GR",
        effective_date=D(2021, 6, 30))
    led.transfer(GH, "Au", source=("C2", "balance"), target=("C1", "balance"), ore=100_000,
                 metal=300, document="SRC 3", effective_date=D(2021, 3, 1))
    rec(RB, "Au", "C2", "balance", "reevaluation", ore=-50_000, metal=100, document="re-est",
        effective_date=D(2021, 5, 1))
    led.transfer(RB, "Au", source=("C2", "balance"), target=("C2", "off-balance"), ore=50_000,
                 metal=100, document="SRC 4", effective_date=D(2021, 7, 1))
    rec(EC, "Cu", "B", "balance", "boundary", ore=500_000, metal=4_000, document="licence",
        effective_date=D(2021, 8, 1))
    rec(GH, "Au", "C2", "balance", "writeoff", ore=10_000, metal=30, document="SRC 5",
        cause="not confirmed", effective_date=D(2021, 9, 1))
    wrong = rec(RB, "Au", "C2", "balance", "loss", ore=1_000, metal=3, document="wrong",
                effective_date=D(2021, 10, 1))
    led.correct(wrong, document="letter")
    est = add_estimate(engine, EC, D(2021, 10, 15), [("Cu", "B", "balance", 2_600_000, 24_500)])
    led.approve(est, protocol="SRC 6", date=D(2021, 11, 1))
    if close_2020:
        led.close_year(2020)  # the reports then start from the frozen balance of 2020
    return led


@pytest.fixture(scope="module", params=[(b, c) for b in BACKENDS for c in (False, True)],
                ids=[f"{b}-{c}" for b in BACKENDS for c in ("open", "closed-2020")])
def engine(request, tmp_path_factory):
    """One registry per backend and closing, built once for the module (the tests only
    read it)."""
    backend, close = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'registry.sqlite'}"
        name = None
    else:
        server = request.getfixturevalue("postgres_url")
        name, url = _fresh_postgres_database(server)
    upgrade(url)
    eng = engine_from_url(url)
    build(eng, close_2020=close)
    yield eng
    eng.dispose()
    if name is not None:
        _drop_postgres_database(server, name)


@pytest.fixture
def ledger(engine):
    return Ledger(engine)


def line(df, **keys):
    sel = df[~df["total"]]
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (keys, sel)
    return sel.iloc[0]


def movements(row, q):
    return {c: row[f"{c}_{q}"] for c in YEARLY_MOVEMENTS if row[f"{c}_{q}"] != 0}


def test_yearly_form_2021_by_hand(ledger, engine):
    df = yearly_form(engine, 2021)
    # Gold Hill C1: start 1,000,000 - 100,000 = 900,000 t and 5,000 - 500 = 4,500 kg;
    # -120,000 production, -5,000 losses, +100,000 transfer in -> 875,000 t, 4,175 kg
    r = line(df, deposit=GH, category="C1", group="balance")
    assert (r.start_ore, r.end_ore, r.start_metal, r.end_metal) == (900_000, 875_000, 4_500,
                                                                    4_175)
    assert movements(r, "ore") == {"production": -120_000, "loss": -5_000,
                                   "transfer_in": 100_000}
    assert movements(r, "metal") == {"production": -600, "loss": -25, "transfer_in": 300}
    assert r.district == HILL and r.commodity == "Au"
    assert (r.ore_unit, r.metal_unit, r.grade_unit) == ("t", "kg", "g/t")
    assert r.start_grade == pytest.approx(4_500 / 900_000 * 1000)  # 5 g/t
    assert r.end_grade == pytest.approx(4_175 / 875_000 * 1000)  # 4.7714 g/t
    # Gold Hill C2: 400,000 / 1,200; -100,000/-300 transferred out, -10,000/-30 written off
    r = line(df, deposit=GH, category="C2", group="balance")
    assert (r.start_ore, r.end_ore, r.start_metal, r.end_metal) == (400_000, 290_000, 1_200, 870)
    assert movements(r, "ore") == {"transfer_out": -100_000, "writeoff": -10_000}
    # River Bend C2 balance: 300,000/900; re-evaluation -50,000/+100; 50,000/100 moved to
    # off-balance; a loss of 1,000/3 reversed by its correction -> 200,000 t, 900 kg
    r = line(df, deposit=RB, category="C2", group="balance")
    assert (r.start_ore, r.end_ore, r.start_metal, r.end_metal) == (300_000, 200_000, 900, 900)
    assert movements(r, "ore") == {"reevaluation": -50_000, "transfer_out": -50_000,
                                   "loss": -1_000, "correction": 1_000}
    assert movements(r, "metal") == {"reevaluation": 100, "transfer_out": -100, "loss": -3,
                                     "correction": 3}
    r = line(df, deposit=RB, category="C2", group="off-balance")
    assert (r.start_ore, r.end_ore, r.start_metal, r.end_metal) == (0, 50_000, 0, 100)
    assert pd.isna(r.start_grade)  # no ore at the start: no grade
    # East Copper B: 2,000,000 t / 20,000 t; boundary +500,000/+4,000; approval to
    # 2,600,000 / 24,500 adds +100,000/+500
    r = line(df, deposit=EC, category="B", group="balance")
    assert (r.start_ore, r.end_ore, r.start_metal, r.end_metal) == (2_000_000, 2_600_000,
                                                                    20_000, 24_500)
    assert movements(r, "ore") == {"boundary": 500_000, "approval": 100_000}
    assert (r.district, r.metal_unit, r.grade_unit) == (EAST, "t", "%")
    assert r.end_grade == pytest.approx(24_500 / 2_600_000 * 100)  # 0.9423 %
    assert len(df[~df["total"]]) == 5
    # totals rows, one per commodity: gold starts at 900,000 + 400,000 + 300,000 = 1,600,000
    tot = df[df["total"]].set_index("commodity")
    assert list(tot.index) == ["Au", "Cu"]
    assert tot.loc["Au", "start_ore"] == 1_600_000
    assert tot.loc["Au", "end_ore"] == 875_000 + 290_000 + 200_000 + 50_000  # 1,415,000
    assert tot.loc["Au", "end_metal"] == 4_175 + 870 + 900 + 100  # 6,045
    assert tot.loc["Cu", "end_ore"] == 2_600_000


def test_identity_on_every_row(ledger, engine):
    for year in (2020, 2021, 2022):
        df = yearly_form(engine, year)
        assert len(df) > 0
        for q in ("ore", "metal"):
            moved = df[[f"{c}_{q}" for c in YEARLY_MOVEMENTS]].sum(axis=1)
            assert ((df[f"start_{q}"] + moved - df[f"end_{q}"]).abs() <= 1e-6).all()


def test_yearly_form_2020_and_its_end_is_the_start_of_2021(ledger, engine):
    y20, y21 = yearly_form(engine, 2020), yearly_form(engine, 2021)
    r = line(y20, deposit=GH, category="C1", group="balance")
    assert (r.start_ore, r.exploration_ore, r.production_ore, r.end_ore) == (
        0, 1_000_000, -100_000, 900_000)
    ends = {(r.deposit, r.category, r.group): (r.end_ore, r.end_metal)
            for r in y20[~y20["total"]].itertuples()}
    starts = {(r.deposit, r.category, r.group): (r.start_ore, r.start_metal)
              for r in y21[~y21["total"]].itertuples() if r.start_ore or r.start_metal}
    assert ends == starts
    assert len(yearly_form(engine, 2019)) == 0  # nothing before 2020


def test_yearly_national_report_by_district_and_commodity(ledger, engine):
    df = yearly_form(engine, 2021, by=("district", "commodity"))
    # East (all three deposits) for gold: start 1,600,000; production -120,000; losses
    # -5,000 - 1,000; re-evaluation -50,000; write-off -10,000; transfers +150,000 / -150,000;
    # correction +1,000 -> 1,415,000
    r = line(df, district=EAST, commodity="Au")
    assert movements(r, "ore") == {"production": -120_000, "loss": -6_000,
                                   "reevaluation": -50_000, "writeoff": -10_000,
                                   "transfer_in": 150_000, "transfer_out": -150_000,
                                   "correction": 1_000}
    assert (r.start_ore, r.end_ore) == (1_600_000, 1_415_000)
    assert (r.level, r.depth) == ("region", 1)
    assert line(df, district="Testland", commodity="Au").end_ore == 1_415_000
    assert line(df, district=HILL, commodity="Au").end_ore == 875_000 + 290_000
    assert line(df, district=RIVER, commodity="Au").end_ore == 250_000
    cu = line(df, district=EAST, commodity="Cu")  # East Copper sits on the region itself
    assert (cu.start_ore, cu.end_ore) == (2_000_000, 2_600_000)
    assert not any(df["district"].str.contains("West"))  # nothing there
    # rows in the order of the tree: Testland, East, Hill, River
    au = df[(df["commodity"] == "Au") & ~df["total"]]
    assert list(au["district"]) == ["Testland", EAST, HILL, RIVER]


def test_totals_by_district_commodity_category(ledger, engine):
    df = totals(engine, D(2022, 1, 1))
    # River Bend's C2 is 200,000 (balance) + 50,000 (off-balance) = 250,000 t, 1,000 kg
    got = {(r.district, r.commodity, r.category): (r.ore, r.metal)
           for r in df[~df["total"]].itertuples()}
    assert got == {
        ("Testland", "Au", "C1"): (875_000, 4_175),
        ("Testland", "Au", "C2"): (290_000 + 250_000, 870 + 1_000),
        ("Testland", "Cu", "B"): (2_600_000, 24_500),
        (EAST, "Au", "C1"): (875_000, 4_175),
        (EAST, "Au", "C2"): (540_000, 1_870),
        (EAST, "Cu", "B"): (2_600_000, 24_500),
        (HILL, "Au", "C1"): (875_000, 4_175),
        (HILL, "Au", "C2"): (290_000, 870),
        (RIVER, "Au", "C2"): (250_000, 1_000),
    }
    tot = df[df["total"]].set_index("commodity")
    assert (tot.loc["Au", "ore"], tot.loc["Au", "metal"]) == (1_415_000, 6_045)
    assert (tot.loc["Cu", "ore"], tot.loc["Cu", "metal"]) == (2_600_000, 24_500)
    assert tot.loc["Au", "grade"] == pytest.approx(6_045 / 1_415_000 * 1000)  # 4.272 g/t
    assert (tot.loc["Cu", "ore_unit"], tot.loc["Cu", "metal_unit"]) == ("t", "t")
    # as at 1 January 2021 (the end of 2020): 900,000 + 400,000 + 300,000 t of gold
    old = totals(engine, D(2021, 1, 1), by=("commodity",))
    assert line(old, commodity="Au").ore == 1_600_000
    # mid-2021 (start of 1 July): the June production and loss are in, the July transfer not
    mid = totals(engine, D(2021, 7, 1), by=("district", "commodity", "category"))
    assert line(mid, district=HILL, commodity="Au", category="C1").ore == (
        900_000 + 100_000 - 120_000 - 5_000)


def test_totals_by_holder_status_fund_group(ledger, engine):
    when = D(2022, 1, 1)
    h = totals(engine, when, by=("holder",))
    assert {(r.commodity, r.holder): r.ore for r in h[~h["total"]].itertuples()} == {
        ("Au", "Gold Mining Co"): 875_000 + 290_000, ("Au", "River Resources"): 250_000,
        ("Cu", "(no licence)"): 2_600_000}
    # River Bend's licence was issued on 1 May 2019: as at 1 January 2019 it has no holder,
    # but it has no reserves then either; Gold Mining Co holds Gold Hill since 2018
    s = totals(engine, when, by=("status", "fund"))
    assert {(r.commodity, r.status, r.fund): r.ore for r in s[~s["total"]].itertuples()} == {
        ("Au", "developed", "distributed"): 1_165_000,
        ("Au", "being explored", "undistributed"): 250_000,
        ("Cu", "being explored", "undistributed"): 2_600_000}
    g = totals(engine, when, by=("commodity", "group"))
    assert {(r.commodity, r.group): r.ore for r in g[~g["total"]].itertuples()} == {
        ("Au", "balance"): 1_365_000, ("Au", "off-balance"): 50_000, ("Cu", "balance"): 2_600_000}


def test_totals_through_the_crosswalk(ledger, engine):
    when = D(2022, 1, 1)
    unfc = totals(engine, when, by=("commodity", "category"), system="unfc")
    # C1 balance -> 112; C2 (balance and off-balance) -> 223; B balance -> 111
    assert {(r.commodity, r.category): r.ore for r in unfc[~unfc["total"]].itertuples()} == {
        ("Au", "112"): 875_000, ("Au", "223"): 540_000, ("Cu", "111"): 2_600_000}
    res = totals(engine, when, by=("commodity", "category"), system="crirsco-reserve")
    # C2 has no reserve class: shown as unmapped, never dropped
    assert {(r.commodity, r.category): r.ore for r in res[~res["total"]].itertuples()} == {
        ("Au", "Probable"): 875_000, ("Au", UNMAPPED): 540_000, ("Cu", "Proved"): 2_600_000}
    assert res[res["total"]].set_index("commodity").loc["Au", "ore"] == 1_415_000
    crirsco = totals(engine, when, by=("commodity", "category"), system="crirsco")
    assert {(r.commodity, r.category) for r in crirsco[~crirsco["total"]].itertuples()} == {
        ("Au", "Indicated"), ("Au", "Inferred"), ("Cu", "Measured")}


def test_filters(ledger, engine):
    when = D(2022, 1, 1)
    hill = totals(engine, when, by=("district", "commodity"), district="Hill district")
    assert set(hill.loc[~hill["total"], "district"]) == {"Testland", EAST, HILL}
    assert line(hill, district="Testland", commodity="Au").ore == 1_165_000
    east = totals(engine, when, by=("district", "commodity"), district=EAST)
    assert line(east, district="Testland", commodity="Au").ore == 1_415_000
    assert line(east, district="Testland", commodity="Cu").ore == 2_600_000
    one = yearly_form(engine, 2021, deposit=RB)
    assert set(one.loc[~one["total"], "deposit"]) == {RB}
    cu = yearly_form(engine, 2021, commodity="Cu")
    assert set(cu["commodity"]) == {"Cu"}
    assert len(totals(engine, when, district="West")) == 0


def test_bad_options_are_parameter_errors(ledger, engine):
    with pytest.raises(ParameterError, match="deposit 'Nowhere'"):
        yearly_form(engine, 2021, deposit="Nowhere")
    with pytest.raises(ParameterError, match="commodity 'Zn'"):
        totals(engine, D(2022, 1, 1), commodity="Zn")
    with pytest.raises(ParameterError, match="district 'Atlantis'"):
        totals(engine, D(2022, 1, 1), district="Atlantis")
    with pytest.raises(ParameterError, match="unknown field"):
        totals(engine, D(2022, 1, 1), by=("colour",))
    with pytest.raises(ParameterError, match="system"):
        totals(engine, D(2022, 1, 1), system="jorc")
    with pytest.raises(ParameterError, match="as_of"):
        totals(engine, "next year")
    with pytest.raises(ParameterError, match="year"):
        yearly_form(engine, "2021")
