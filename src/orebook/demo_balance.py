"""The demo's state balance: a small registry with a few historical years, into which the
estimate of the demo run enters and is approved.

The registry (SQLite) holds one district, ``Demoland / North / Vein district``, gold (ore in t,
metal in kg, grade in g/t) and two deposits:

- **Old Hill**, with four years of history, all closed: explored in January 2022 (C1: 800,000 t
  holding 2,400 kg; C2: 300,000 t holding 750 kg, both balance), then mined: production of
  60,000 t / 180 kg (2022), 70,000 t / 210 kg with a loss of 5,000 t / 15 kg (2023),
  65,000 t / 195 kg and a transfer of 100,000 t / 250 kg from C2 to C1 (2024), 80,000 t /
  240 kg and a write-off of 20,000 t / 50 kg of C2 "not confirmed" (2025). At 1 January 2026,
  by hand: C1 620,000 t and 1,810 kg, C2 180,000 t and 450 kg.
- **Demo vein** — the deposit of the demo run — with an earlier estimate approved in 2023
  (C2, 1,000,000 t at 3 g/t, 3,000 kg). The run's estimate record (effective 1 January 2026)
  is submitted and approved on 20 January 2026 (protocol ``DEMO-2026-1``): the approval's
  movements take the deposit from its old figures to exactly the record's.

:func:`build_demo_balance` writes the registry and the reports: the yearly form of 2026 per
deposit and the totals by district, commodity and category as at 1 February 2026, as CSV and
XLSX.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["OLD_HILL_2026", "DemoBalance", "build_demo_balance"]

DISTRICT = "Demoland/North/Vein district"
APPROVED_ON = dt.date(2026, 1, 20)
PROTOCOL = "DEMO-2026-1"
REPORT_YEAR = 2026
TOTALS_AS_AT = dt.date(2026, 2, 1)

#: Old Hill's balance at 1 January 2026, computed by hand from its history (t, kg)
OLD_HILL_2026 = {("C1", "balance"): (620_000.0, 1_810.0), ("C2", "balance"): (180_000.0, 450.0)}

# (date, kind, category, ore t, metal kg, cause) — amounts as the ledger takes them
_HISTORY = [
    (dt.date(2022, 1, 10), "exploration", "C1", 800_000.0, 2_400.0, None),
    (dt.date(2022, 1, 10), "exploration", "C2", 300_000.0, 750.0, None),
    (dt.date(2022, 12, 31), "production", "C1", 60_000.0, 180.0, None),
    (dt.date(2023, 12, 31), "production", "C1", 70_000.0, 210.0, None),
    (dt.date(2023, 12, 31), "loss", "C1", 5_000.0, 15.0, None),
    (dt.date(2024, 12, 31), "production", "C1", 65_000.0, 195.0, None),
    (dt.date(2025, 12, 31), "production", "C1", 80_000.0, 240.0, None),
    (dt.date(2025, 12, 31), "writeoff", "C2", 20_000.0, 50.0, "not confirmed"),
]
_TRANSFER_2024 = (dt.date(2024, 6, 30), 100_000.0, 250.0)


@dataclass(frozen=True)
class DemoBalance:
    """What the demo's balance produced."""

    url: str
    estimate_id: int
    yearly: pd.DataFrame
    totals: pd.DataFrame
    files: list[Path]


def build_demo_balance(folder: str | Path, record_path: str | Path) -> DemoBalance:
    """Create the demo registry in ``folder`` (replacing an earlier one), enter the history,
    submit and approve the estimate record at ``record_path``; write the reports."""
    from orebook.balance import Ledger, engine_from_url, upgrade
    from orebook.balance import registry as reg
    from orebook.balance.report_files import write_report
    from orebook.balance.reports import totals, yearly_form
    from orebook.io.estimate_record import EstimateRecord, RecordLine, read_estimate_record

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "balance.sqlite"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = engine_from_url(url)
    try:
        record = read_estimate_record(record_path)
        reg.add_admin_unit(engine, DISTRICT, ["country", "region", "district"])
        reg.add_commodity(engine, "Au", "gold", ore_unit="t", component_unit="kg",
                          grade_unit="g/t")
        reg.add_organisation(engine, "Demo Mining Ltd", "holder")
        reg.add_organisation(engine, "State Reserves Commission", "commission")
        reg.add_deposit(engine, "Old Hill", district=DISTRICT, status="developed",
                        fund="distributed", deposit_type="vein", longitude_deg=44.10,
                        latitude_deg=40.02)
        reg.add_deposit(engine, record.deposit, district=DISTRICT, status="being explored",
                        fund="distributed", deposit_type="vein", longitude_deg=44.16,
                        latitude_deg=40.05)
        reg.add_licence(engine, "DM-0001", "Old Hill", "Demo Mining Ltd",
                        issued=dt.date(2021, 5, 1))
        ledger = Ledger(engine)
        old = EstimateRecord(record.deposit, "sections", dt.date(2023, 5, 1), "demo-2023",
                             (RecordLine("Au", "C2", "balance", 1_000_000.0, 3.0, 3_000.0),),
                             author="Demo survey", document="exploration report 2023")
        first = reg.submit_estimate(engine, old)
        for year in range(2022, 2026):
            if year == 2023:      # the demo vein's earlier estimate, approved in June
                reg.approve_estimate(engine, first, protocol="DEMO-2023-7",
                                     date=dt.date(2023, 6, 1),
                                     commission="State Reserves Commission")
            for when, kind, cat, ore, metal, cause in _HISTORY:
                if when.year == year:
                    ledger.record("Old Hill", "Au", cat, "balance", kind, ore=ore,
                                  metal=metal, document=f"form 5-GR {year}",
                                  effective_date=when, cause=cause)
            when, ore, metal = _TRANSFER_2024
            if when.year == year:
                ledger.transfer("Old Hill", "Au", source=("C2", "balance"),
                                target=("C1", "balance"), ore=ore, metal=metal,
                                document=f"form 5-GR {year}", effective_date=when)
            ledger.close_year(year)
        estimate_id = reg.submit_estimate(engine, record)
        reg.approve_estimate(engine, estimate_id, protocol=PROTOCOL, date=APPROVED_ON,
                             commission="State Reserves Commission")
        yearly = yearly_form(engine, REPORT_YEAR)
        tot = totals(engine, TOTALS_AS_AT, by=("district", "commodity", "category"))
        files = [write_report(yearly, folder / f"yearly_form_{REPORT_YEAR}.csv"),
                 write_report(yearly, folder / f"yearly_form_{REPORT_YEAR}.xlsx"),
                 write_report(tot, folder / "district_totals.csv"),
                 write_report(tot, folder / "district_totals.xlsx")]
    finally:
        engine.dispose()
    return DemoBalance(url, estimate_id, yearly, tot, files)
