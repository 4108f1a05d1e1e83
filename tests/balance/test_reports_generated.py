"""The reports on a small registry made by the generator used for timing (``generate``), on
SQLite and PostgreSQL: figures known in closed form."""

from __future__ import annotations

import datetime as dt

from helpers_reports import generate

from orebook.balance import Ledger
from orebook.balance.reports import totals, yearly_form

DEPOSITS, YEARS, FIRST = 12, 4, 1995


def test_generated_registry_in_closed_form(engine):
    n = generate(engine, deposits=DEPOSITS, years=YEARS, regions=2, districts_per_region=3,
                 first_year=FIRST, chunk=100)
    assert n == DEPOSITS * 3 * 4 * YEARS
    # each line: an exploration gain of 1,000,000 + k t (k = index of the category) in the
    # first year, then 1,000 t produced each later year
    end = dt.date(FIRST + YEARS, 1, 1)
    tot = totals(engine, end, by=("district", "commodity"))
    per_deposit = sum(1_000_000 + k - 1_000 * (YEARS - 1) for k in range(4))
    for code in ("Au", "Ag", "Cu"):
        row = tot[tot["total"] & (tot["commodity"] == code)].iloc[0]
        assert row["ore"] == DEPOSITS * per_deposit
        country = tot[(tot["district"] == "Country") & (tot["commodity"] == code)].iloc[0]
        assert country["ore"] == row["ore"]
    # deposit i lies in district i mod 6: districts 0.0 .. 1.2, two deposits each
    d = tot[(tot["district"] == "Country / Region 1 / District 1.2") & (tot["commodity"] == "Cu")]
    assert d["ore"].iloc[0] == 2 * per_deposit
    # the national yearly form of the last year: 4 categories x 12 deposits produce 1,000 t
    form = yearly_form(engine, FIRST + YEARS - 1, by=("district", "commodity"))
    au = form[(form["district"] == "Country") & (form["commodity"] == "Au")].iloc[0]
    assert au["production_ore"] == -1_000 * 4 * DEPOSITS
    assert au["end_ore"] == DEPOSITS * per_deposit
    # and the same with every year but the last closed (the reports start from year_balances)
    led = Ledger(engine)
    for y in range(FIRST, FIRST + YEARS - 1):
        led.close_year(y)
    again = yearly_form(engine, FIRST + YEARS - 1, by=("district", "commodity"))
    assert again.equals(form)
    assert totals(engine, end, by=("district", "commodity")).equals(tot)
