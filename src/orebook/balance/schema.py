"""The registry of the state balance as SQLAlchemy 2 models.

Quantities are stored as double-precision numbers in the commodity's units: ore in
``Commodity.ore_unit`` (t, m³), the component in ``Commodity.component_unit`` (t, kg).
A movement stores **signed changes** (``ore``, ``metal``): the balance of a line is the sum of
its movements, never a stored figure. Movements are append-only; a correction is a new
movement that reverses an old one and cites it (``corrects_id``).

The layout follows ``shared/CONVENTIONS.md`` (categories A, B, C1, C2; groups balance and
off-balance; P1–P3 never enter the balance sums and are refused by the ledger).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "CATEGORIES",
    "CONDITION_KINDS",
    "DEPOSIT_STATUSES",
    "FUNDS",
    "GROUPS",
    "MOVEMENT_KINDS",
    "AdminUnit",
    "Approval",
    "Base",
    "ClosedYear",
    "Commodity",
    "Condition",
    "Deposit",
    "DepositAlias",
    "Estimate",
    "EstimateLine",
    "LedgerHead",
    "Licence",
    "Movement",
    "Organisation",
    "PublishedTotal",
    "YearBalance",
]

#: Balance categories (prognostic P1–P3 are kept out of the ledger).
CATEGORIES = ("A", "B", "C1", "C2")
#: Groups by economic significance.
GROUPS = ("balance", "off-balance")
#: Kinds of movement, in the order of the yearly form.
MOVEMENT_KINDS = (
    "production",
    "loss",
    "exploration",
    "reevaluation",
    "writeoff",
    "transfer",
    "boundary",
    "approval",
    "correction",
)
DEPOSIT_STATUSES = ("developed", "being prepared", "being explored", "reserve", "conserved")
FUNDS = ("distributed", "undistributed")
#: Conditions (cut-offs, minimum thickness…) are approved for a time or for good.
CONDITION_KINDS = ("temporary", "permanent")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of the registry; ``Base.metadata`` is what Alembic migrates."""

    metadata = MetaData(naming_convention=_NAMING)


class AdminUnit(Base):
    """An administrative unit: country, region or district, in a hierarchy."""

    __tablename__ = "admin_units"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_admin_units_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(40))  # country, region, district, …
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[AdminUnit]] = relationship(back_populates="parent")


class Commodity(Base):
    """A mineral commodity with the units of ore and of the component (e.g. Au: t ore, kg)."""

    __tablename__ = "commodities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # "Au", "Ag", "Cu"
    name: Mapped[str] = mapped_column(String(200))
    ore_unit: Mapped[str] = mapped_column(String(10), default="t")  # t, m3
    component_unit: Mapped[str] = mapped_column(String(10), default="t")  # t, kg
    grade_unit: Mapped[str] = mapped_column(String(10), default="g/t")  # g/t, %, ppm


class Organisation(Base):
    """A licence holder, a survey or a reserves commission."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # holder, survey, commission


class Deposit(Base):
    """A deposit of the registry."""

    __tablename__ = "deposits"
    __table_args__ = (
        CheckConstraint(_in("status", DEPOSIT_STATUSES), name="status"),
        CheckConstraint(_in("fund", FUNDS), name="fund"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    deposit_type: Mapped[str | None] = mapped_column(String(100))
    discovery_year: Mapped[int | None] = mapped_column(Integer)
    complexity_group: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="being explored")
    fund: Mapped[str] = mapped_column(String(20), default="undistributed")
    longitude_deg: Mapped[float | None] = mapped_column(Double)
    latitude_deg: Mapped[float | None] = mapped_column(Double)
    #: the sources place the deposit in ``admin_unit`` without certainty
    district_uncertain: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    note: Mapped[str | None] = mapped_column(Text)

    admin_unit: Mapped[AdminUnit | None] = relationship()
    aliases: Mapped[list[DepositAlias]] = relationship(back_populates="deposit")


class DepositAlias(Base):
    """Another name of a deposit (other spelling, language or period)."""

    __tablename__ = "deposit_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    alias: Mapped[str] = mapped_column(String(200), unique=True)

    deposit: Mapped[Deposit] = relationship(back_populates="aliases")


class Licence(Base):
    """A subsoil licence over a deposit, held by an organisation."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    issued: Mapped[dt.date | None] = mapped_column(Date)
    expires: Mapped[dt.date | None] = mapped_column(Date)

    holder: Mapped[Organisation] = relationship()


class Estimate(Base):
    """A reserve estimate of a deposit (the interchange record of the resources stage)."""

    __tablename__ = "estimates"

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    method: Mapped[str] = mapped_column(String(100))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    author: Mapped[str | None] = mapped_column(String(300))
    document: Mapped[str | None] = mapped_column(String(300))
    #: the conditions (cut-offs…) the estimate was made under
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id"))
    #: ``parameters_hash`` of the estimate record ("sha256:…") and where the record came from
    parameters_hash: Mapped[str | None] = mapped_column(String(100), index=True)
    source: Mapped[str | None] = mapped_column(String(300))

    lines: Mapped[list[EstimateLine]] = relationship(back_populates="estimate")


class EstimateLine(Base):
    """One commodity × category × group figure of an estimate."""

    __tablename__ = "estimate_lines"
    __table_args__ = (
        UniqueConstraint("estimate_id", "commodity_id", "category", "grp", name="uq_estimate_lines_line"),
        CheckConstraint("ore >= 0 AND metal >= 0", name="nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("estimates.id"))
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"))
    category: Mapped[str] = mapped_column(String(10))
    group: Mapped[str] = mapped_column("grp", String(20))
    ore: Mapped[float] = mapped_column(Double)
    metal: Mapped[float] = mapped_column(Double)

    estimate: Mapped[Estimate] = relationship(back_populates="lines")
    commodity: Mapped[Commodity] = relationship()


class Approval(Base):
    """A reserves commission's decision on an estimate."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("estimates.id"), index=True)
    commission_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    protocol: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(20))  # approved, rejected, returned


class Condition(Base):
    """Conditions for estimating one commodity of a deposit, with the protocol approving them.

    Grades are in the commodity's ``grade_unit``; ``min_metre_grade`` is the minimum
    metre-percent (metre-gram per tonne…): thickness (m) × grade.
    """

    __tablename__ = "conditions"
    __table_args__ = (
        CheckConstraint(_in("kind", CONDITION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"))
    edge_cutoff: Mapped[float | None] = mapped_column(Double)  # cut-off of the edge sample
    contour_cutoff: Mapped[float | None] = mapped_column(Double)  # cut-off of the ore contour
    min_block_grade: Mapped[float | None] = mapped_column(Double)
    min_thickness_m: Mapped[float | None] = mapped_column(Double)  # minimum mineable thickness
    max_barren_m: Mapped[float | None] = mapped_column(Double)  # maximum barren interlayer
    min_metre_grade: Mapped[float | None] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(20), default="permanent")
    protocol: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[dt.date] = mapped_column(Date)
    #: the approval of the estimate the conditions came with (created after the tables: the
    #: estimates → conditions → approvals → estimates references form a cycle)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id", use_alter=True))
    note: Mapped[str | None] = mapped_column(Text)


class LedgerHead(Base):
    """One row per deposit × commodity: the row writers lock (``SELECT … FOR UPDATE``)."""

    __tablename__ = "ledger_heads"

    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), primary_key=True)
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"), primary_key=True)
    movements: Mapped[int] = mapped_column(Integer, default=0)


class Movement(Base):
    """A signed change of one balance line, in ore and in metal. Append-only."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint(_in("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("grp", GROUPS), name="grp"),
        # covering: a balance or report scan reads the index alone, never the table
        Index("ix_movements_line", "deposit_id", "commodity_id", "category", "grp",
              "effective_date", "kind", "ore", "metal"),
        Index("ix_movements_date", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"))
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"))
    category: Mapped[str] = mapped_column(String(10))
    group: Mapped[str] = mapped_column("grp", String(20))
    kind: Mapped[str] = mapped_column(String(20))
    ore: Mapped[float] = mapped_column(Double)
    metal: Mapped[float] = mapped_column(Double)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(300))
    cause: Mapped[str | None] = mapped_column(Text)
    #: the legs of one transfer, or of one approval, share this key
    batch: Mapped[str | None] = mapped_column(String(40), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("movements.id"), unique=True)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class ClosedYear(Base):
    """A year closed as at 1 January of the next: no movement may be dated before it."""

    __tablename__ = "closed_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class YearBalance(Base):
    """The balance of a line as at 1 January of ``year + 1``, frozen when ``year`` is closed."""

    __tablename__ = "year_balances"
    __table_args__ = (
        UniqueConstraint("year", "deposit_id", "commodity_id", "category", "grp",
                         name="uq_year_balances_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("closed_years.year"))
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"))
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"))
    category: Mapped[str] = mapped_column(String(10))
    group: Mapped[str] = mapped_column("grp", String(20))
    ore: Mapped[float] = mapped_column(Double)
    metal: Mapped[float] = mapped_column(Double)


class PublishedTotal(Base):
    """A figure quoted in a report or the press, with its source, for reconciliation."""

    __tablename__ = "published_totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"))
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodities.id"))
    category: Mapped[str | None] = mapped_column(String(40))  # None: all categories
    metal: Mapped[float | None] = mapped_column(Double)
    ore: Mapped[float | None] = mapped_column(Double)
    as_of: Mapped[str | None] = mapped_column(String(100))  # as quoted: "until 1993"
    source: Mapped[str] = mapped_column(Text)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    quoted_by: Mapped[str | None] = mapped_column(String(300))
    #: the date the figure refers to, where it can be told ("until 1993" → 1993-01-01)
    as_of_date: Mapped[dt.date | None] = mapped_column(Date)
    deposit_count: Mapped[int | None] = mapped_column(Integer)  # "for 34 deposits"
    #: the figure is approximate, of another class (a resource), or of uncertain extent
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text)
