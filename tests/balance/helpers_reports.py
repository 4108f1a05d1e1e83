"""Registry set-ups for the report tests: a hand-checked district tree, and a generator of large
movement tables (Core ``executemany`` inserts, no ledger checks) for timing the reports."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import insert
from sqlalchemy.orm import Session

from orebook.balance.schema import (
    CATEGORIES,
    AdminUnit,
    Commodity,
    Deposit,
    Licence,
    Movement,
    Organisation,
)

#: commodities of the generated registries: (code, name, ore unit, component unit, grade unit)
COMMODITIES = (("Au", "gold", "t", "kg", "g/t"), ("Ag", "silver", "t", "t", "g/t"),
               ("Cu", "copper", "t", "t", "%"))


def add_tree(engine) -> dict[str, int]:
    """Testland > East > {Hill district, River district}, Testland > West (no districts),
    gold (t, kg, g/t) and copper (t, t, %), two holders. Returns the unit ids by name."""
    with Session(engine) as s, s.begin():
        country = AdminUnit(name="Testland", level="country")
        east = AdminUnit(name="East", level="region", parent=country)
        west = AdminUnit(name="West", level="region", parent=country)
        hill = AdminUnit(name="Hill district", level="district", parent=east)
        river = AdminUnit(name="River district", level="district", parent=east)
        s.add(country)
        s.add(Commodity(code="Au", name="gold", ore_unit="t", component_unit="kg",
                        grade_unit="g/t"))
        s.add(Commodity(code="Cu", name="copper", ore_unit="t", component_unit="t",
                        grade_unit="%"))
        s.add(Organisation(name="Gold Mining Co", kind="holder"))
        s.add(Organisation(name="River Resources", kind="holder"))
        s.flush()
        return {u.name: u.id for u in (country, east, west, hill, river)}


def add_deposit(engine, name: str, unit: str | None, *, status: str = "being explored",
                fund: str = "undistributed", holder: str | None = None,
                issued: dt.date | None = None) -> None:
    """A deposit in the unit named ``unit`` (None: attached to no unit), with an optional
    licence held by ``holder``."""
    from sqlalchemy import select

    with Session(engine) as s, s.begin():
        au = s.scalar(select(AdminUnit).where(AdminUnit.name == unit)) if unit else None
        dep = Deposit(name=name, admin_unit=au, status=status, fund=fund)
        s.add(dep)
        s.flush()
        if holder is not None:
            org = s.scalar(select(Organisation).where(Organisation.name == holder))
            s.add(Licence(number=f"L-{name}", deposit_id=dep.id, holder_id=org.id,
                          issued=issued))


def generate(engine, *, deposits: int = 10_000, years: int = 30, regions: int = 10,
             districts_per_region: int = 10, first_year: int = 1995, chunk: int = 50_000,
             verbose: bool = False) -> int:
    """A national registry of ``deposits`` × 3 commodities × 4 categories with one movement
    per line per year (an exploration gain the first year, then production), inserted with
    Core ``executemany`` in chunks. Returns the number of movement rows."""
    t0 = time.perf_counter()
    with Session(engine) as s, s.begin():
        country = AdminUnit(name="Country", level="country")
        s.add(country)
        units = []
        for r in range(regions):
            region = AdminUnit(name=f"Region {r}", level="region", parent=country)
            units += [AdminUnit(name=f"District {r}.{d}", level="district", parent=region)
                      for d in range(districts_per_region)]
        s.add_all(units)
        for code, name, ore_u, com_u, grade_u in COMMODITIES:
            s.add(Commodity(code=code, name=name, ore_unit=ore_u, component_unit=com_u,
                            grade_unit=grade_u))
        s.flush()
        unit_ids = [u.id for u in units]
    with engine.begin() as conn:
        conn.execute(insert(Deposit.__table__), [
            {"name": f"Deposit {i}", "admin_unit_id": unit_ids[i % len(unit_ids)],
             "status": "developed" if i % 3 else "reserve",
             "fund": "distributed" if i % 2 else "undistributed"} for i in range(deposits)])
        dep_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM deposits ORDER BY id")]
        com_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM commodities ORDER BY id")]
    rows = []
    n = 0

    def flush() -> None:
        nonlocal n
        with engine.begin() as conn:
            conn.execute(insert(Movement.__table__), rows)
        n += len(rows)
        rows.clear()
        if verbose:
            print(f"{n:,} rows, {time.perf_counter() - t0:.1f} s", flush=True)

    for dep in dep_ids:
        for com in com_ids:
            for k, cat in enumerate(CATEGORIES):
                for y in range(years):
                    if y == 0:
                        kind, ore, metal = "exploration", 1_000_000.0 + k, 1_000.0 + dep % 7
                    else:
                        kind, ore, metal = "production", -1_000.0, -1.0
                    rows.append({"deposit_id": dep, "commodity_id": com, "category": cat,
                                 "grp": "balance", "kind": kind, "ore": ore, "metal": metal,
                                 "effective_date": dt.date(first_year + y, 1 + (dep + y) % 12,
                                                           1 + k * 7),
                                 "document": "generated"})
                    if len(rows) >= chunk:
                        flush()
    if rows:
        flush()
    return n
