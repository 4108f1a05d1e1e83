"""A worked example checked by hand: two gold deposits over 2019–2021, every kind of movement.

Units: ore in t, gold in kg. Every expected figure below is computed by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from helpers_balance import add_basics, add_deposit, add_estimate

from orebook.balance import Ledger
from orebook.errors import LedgerError, ParameterError

D = dt.date
NR, SV = "North Ridge", "South Vein"


def as_dict(lines):
    return {(b.deposit, b.category, b.group): (b.ore, b.metal) for b in lines}


def test_three_years_by_hand(engine):
    add_basics(engine)
    add_deposit(engine, NR, status="developed")
    add_deposit(engine, SV)
    led = Ledger(engine)

    # ---- 2019 ---------------------------------------------------------------------------
    est = add_estimate(engine, NR, D(2019, 1, 15), [
        ("Au", "C1", "balance", 1_000_000, 5_000),
        ("Au", "C2", "balance", 500_000, 2_000),
        ("Au", "C1", "off-balance", 200_000, 300),
    ])
    ids = led.approve(est, protocol="SRC 12/2019", date=D(2019, 3, 1),
                      commission="State Reserves Commission")
    assert len(ids) == 3  # from nothing to the three approved lines
    led.record(SV, "Au", "C2", "balance", "exploration", ore=300_000, metal=1_500,
               document="exploration report SV-1", effective_date=D(2019, 4, 1))
    led.record(NR, "Au", "C1", "balance", "production", ore=100_000, metal=520,
               document="form 5-GR 2019", effective_date=D(2019, 6, 30))
    led.record(NR, "Au", "C1", "balance", "loss", ore=5_000, metal=26,
               document="form 5-GR 2019", effective_date=D(2019, 6, 30))
    end_2019 = {
        (NR, "C1", "balance"): (1_000_000 - 100_000 - 5_000, 5_000 - 520 - 26),  # 895000, 4454
        (NR, "C1", "off-balance"): (200_000, 300),
        (NR, "C2", "balance"): (500_000, 2_000),
        (SV, "C2", "balance"): (300_000, 1_500),
    }
    assert as_dict(led.close_year(2019)) == end_2019
    assert as_dict(led.balance(D(2020, 1, 1))) == end_2019

    # ---- 2020 ---------------------------------------------------------------------------
    legs = led.transfer(NR, "Au", source=("C2", "balance"), target=("C1", "balance"),
                        ore=200_000, metal=800, document="SRC 3/2020",
                        effective_date=D(2020, 2, 1))
    assert len(legs) == 2
    led.record(NR, "Au", "C1", "balance", "production", ore=120_000, metal=600,
               document="form 5-GR 2020", effective_date=D(2020, 7, 1))
    led.record(NR, "Au", "C1", "balance", "loss", ore=6_000, metal=30,
               document="form 5-GR 2020", effective_date=D(2020, 7, 1))
    led.record(SV, "Au", "C2", "balance", "reevaluation", ore=-50_000, metal=100,
               document="re-estimate SV-2", effective_date=D(2020, 5, 1))
    led.record(SV, "Au", "C1", "balance", "exploration", ore=150_000, metal=900,
               document="exploration report SV-3", effective_date=D(2020, 8, 1))
    led.record(NR, "Au", "C1", "off-balance", "writeoff", ore=200_000, metal=300,
               cause="not confirmed by mining", document="SRC 9/2020",
               effective_date=D(2020, 9, 1))
    wrong = led.record(SV, "Au", "C1", "balance", "production", ore=10_000, metal=60,
                       document="form 5-GR 2020 (wrong deposit)",
                       effective_date=D(2020, 10, 1))
    (fix,) = led.correct(wrong, document="letter 44/2020")

    # mid-year, as at the start of 1 July 2020: the transfer is in, the July production not
    assert as_dict(led.balance(D(2020, 7, 1), deposit=NR))[(NR, "C1", "balance")] == (
        895_000 + 200_000, 4_454 + 800)  # 1095000, 5254
    end_2020 = {
        (NR, "C1", "balance"): (1_095_000 - 120_000 - 6_000, 5_254 - 600 - 30),  # 969000, 4624
        (NR, "C2", "balance"): (500_000 - 200_000, 2_000 - 800),  # 300000, 1200
        (SV, "C1", "balance"): (150_000, 900),  # the wrong production and its correction net 0
        (SV, "C2", "balance"): (300_000 - 50_000, 1_500 + 100),  # 250000, 1600
    }
    assert as_dict(led.close_year(2020)) == end_2020

    # the yearly form identity for 2020: start + each kind of movement = end, line by line
    start = as_dict(led.balance(D(2020, 1, 1)))
    by_kind = defaultdict(lambda: [0.0, 0.0])
    for m in led.movements(before=D(2021, 1, 1)):
        if m.effective_date >= D(2020, 1, 1):
            s = by_kind[(m.deposit, m.category, m.group)]
            s[0] += m.ore
            s[1] += m.metal
    for key in set(start) | set(by_kind) | set(end_2020):
        o0, m0 = start.get(key, (0, 0))
        do, dm = by_kind.get(key, (0, 0))
        assert (o0 + do, m0 + dm) == end_2020.get(key, (0, 0))
    corrections = [m for m in led.movements() if m.kind == "correction"]
    assert [(m.id, m.corrects_id, m.ore, m.metal) for m in corrections] == [
        (fix, wrong, 10_000, 60)]

    # ---- 2021 ---------------------------------------------------------------------------
    with pytest.raises(LedgerError, match="closed year 2020"):
        led.record(NR, "Au", "C1", "balance", "production", ore=1, metal=0,
                   document="late form", effective_date=D(2020, 12, 31))
    led.record(NR, "Au", "C2", "balance", "boundary", ore=-100_000, metal=-400,
               document="licence amendment 7", effective_date=D(2021, 3, 1))
    led.transfer(SV, "Au", source=("C2", "balance"), target=("C2", "off-balance"),
                 ore=50_000, metal=200, document="SRC 4/2021", effective_date=D(2021, 4, 1))
    led.record(SV, "Au", "C1", "balance", "production", ore=30_000, metal=180,
               document="form 5-GR 2021", effective_date=D(2021, 6, 1))
    # production beyond the reserves: 250000 t asked, 200000 t there -> refused, by 50000 t
    before = led.movements()
    with pytest.raises(LedgerError) as err:
        led.record(NR, "Au", "C2", "balance", "production", ore=250_000, metal=700,
                   document="form 5-GR 2021", effective_date=D(2021, 7, 1))
    e = err.value
    assert (e.deposit, e.commodity, e.category, e.group, e.quantity, e.by) == (
        NR, "Au", "C2", "balance", "ore", 50_000)
    assert "North Ridge" in str(e) and "short by 50000" in str(e)
    assert led.movements() == before
    # a correction cannot be corrected twice, nor a made-up movement
    with pytest.raises(ParameterError, match="already corrected"):
        led.correct(wrong, document="again")
    # a new approved estimate: the generated movements land the deposit on the figures
    est2 = add_estimate(engine, NR, D(2021, 9, 1), [
        ("Au", "C1", "balance", 950_000, 4_700),  # from 969000, 4624: -19000 t, +76 kg
        ("Au", "C2", "balance", 250_000, 1_000),  # from 200000, 800: +50000 t, +200 kg
    ])
    gen = led.approve(est2, protocol="SRC 21/2021", date=D(2021, 10, 1))
    generated = {(m.category, m.group): (m.ore, m.metal)
                 for m in led.movements(deposit=NR) if m.id in gen}
    assert generated == {("C1", "balance"): (-19_000, 76), ("C2", "balance"): (50_000, 200)}
    end_2021 = {
        (NR, "C1", "balance"): (950_000, 4_700),
        (NR, "C2", "balance"): (250_000, 1_000),
        (SV, "C1", "balance"): (150_000 - 30_000, 900 - 180),  # 120000, 720
        (SV, "C2", "balance"): (250_000 - 50_000, 1_600 - 200),  # 200000, 1400
        (SV, "C2", "off-balance"): (50_000, 200),
    }
    closed = led.close_year(2021)
    assert as_dict(closed) == end_2021
    assert led.closed_years() == [2019, 2020, 2021]
    nr_c1 = next(b for b in closed if b.key == (NR, "Au", "C1", "balance"))
    assert nr_c1.metal_per_ore * 1000 == pytest.approx(4.947368, rel=1e-6)  # g/t
    # history is untouched: the 2020 balance is still what it was
    assert as_dict(led.balance(D(2021, 1, 1))) == end_2020


def test_refusals_name_the_line(engine):
    add_basics(engine)
    add_deposit(engine, NR)
    led = Ledger(engine)
    led.record(NR, "Au", "C1", "balance", "exploration", ore=1_000, metal=5,
               document="r1", effective_date=D(2020, 1, 10))
    # metal with no ore: grade = metal / ore would be undefined
    with pytest.raises(LedgerError, match="no ore") as err:
        led.record(NR, "Au", "C1", "balance", "production", ore=1_000, metal=4,
                   document="f1", effective_date=D(2020, 2, 1))
    assert err.value.by == pytest.approx(1)
    # a back-dated production that would make a later date negative
    led.record(NR, "Au", "C1", "balance", "production", ore=800, metal=4,
               document="f2", effective_date=D(2020, 6, 1))
    with pytest.raises(LedgerError, match="below zero as at 2020-06-02") as err:
        led.record(NR, "Au", "C1", "balance", "loss", ore=300, metal=0,
                   document="f3", effective_date=D(2020, 3, 1))
    assert (err.value.quantity, err.value.by) == ("ore", 100)
    # a transfer out of an empty line
    with pytest.raises(LedgerError, match="C2"):
        led.transfer(NR, "Au", source=("C2", "balance"), target=("C1", "balance"), ore=1,
                     metal=0, document="t", effective_date=D(2020, 7, 1))
    with pytest.raises(ParameterError, match="P1"):
        led.record(NR, "Au", "P1", "balance", "exploration", ore=1, metal=0, document="x",
                   effective_date=D(2020, 7, 1))
    with pytest.raises(ParameterError, match="cause"):
        led.record(NR, "Au", "C1", "balance", "writeoff", ore=1, metal=0, document="x",
                   effective_date=D(2020, 7, 1))
    with pytest.raises(ParameterError, match="not in the registry"):
        led.balance(D(2021, 1, 1), deposit="Nowhere")
    assert len(led.movements()) == 2
