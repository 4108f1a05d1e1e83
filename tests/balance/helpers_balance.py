"""Registry set-up shared by the balance tests (plain ORM inserts)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from orebook.balance.schema import (
    AdminUnit,
    Commodity,
    Deposit,
    Estimate,
    EstimateLine,
    Organisation,
)


def add_basics(engine) -> None:
    """A country > region > district, gold (t ore, kg metal, g/t), and a commission."""
    with Session(engine) as s, s.begin():
        country = AdminUnit(name="Testland", level="country")
        region = AdminUnit(name="East", level="region", parent=country)
        AdminUnit(name="Hill district", level="district", parent=region)
        s.add(country)
        s.add(Commodity(code="Au", name="gold", ore_unit="t", component_unit="kg",
                        grade_unit="g/t"))
        s.add(Organisation(name="State Reserves Commission", kind="commission"))


def add_deposit(engine, name: str, status: str = "being explored") -> None:
    with Session(engine) as s, s.begin():
        district = s.scalar(select(AdminUnit).where(AdminUnit.name == "Hill district"))
        s.add(Deposit(name=name, admin_unit=district, status=status, fund="distributed"))


def add_estimate(engine, deposit: str, effective_date: dt.date,
                 lines: list[tuple[str, str, str, float, float]]) -> int:
    """An estimate with ``lines`` = (commodity, category, group, ore, metal); returns its id."""
    with Session(engine) as s, s.begin():
        dep = s.scalar(select(Deposit).where(Deposit.name == deposit))
        est = Estimate(deposit_id=dep.id, method="geological blocks",
                       effective_date=effective_date, document="report 1")
        for code, cat, grp, ore, metal in lines:
            com = s.scalar(select(Commodity).where(Commodity.code == code))
            est.lines.append(EstimateLine(commodity=com, category=cat, group=grp, ore=ore,
                                          metal=metal))
        s.add(est)
        s.flush()
        return est.id


def table_counts(engine) -> dict[str, int]:
    """Rows in every table of the registry (to show that a refused write changed nothing)."""
    from sqlalchemy import func, inspect

    from orebook.balance.schema import Base

    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items() if name in present}
