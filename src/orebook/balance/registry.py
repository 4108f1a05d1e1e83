"""Registry services: the plain functions every interface (CLI, import, web) calls.

Each public function takes an :class:`~sqlalchemy.Engine`, runs **one transaction** and returns
plain values (ids, frozen dataclasses). Errors say what is wrong, and nothing is then written:
:class:`~orebook.errors.ParameterError` for a bad argument,
:class:`~orebook.errors.NotFoundError` for a reference to something not in the registry,
:class:`~orebook.errors.ConflictError` for a name already taken or a decision already made,
:class:`~orebook.errors.LedgerError` for a refused balance write.

Names are matched without regard to case: deposits by name or alias, commodities by code,
organisations by name, administrative units by their path (``"Azerbaijan/East
Zangezur/Kalbajar"``, levels country, region, district unless given).

Quantities are stored in the commodity's units (``Commodity.ore_unit``,
``Commodity.component_unit``); figures given in another metal unit (t, kg, g) are converted,
and a unit that cannot be converted exactly (troy ounces into kilograms, m³ into t) is refused.

>>> from orebook.balance import engine_from_url, upgrade
>>> from orebook.balance import registry as reg
>>> eng = engine_from_url("sqlite://"); upgrade(eng)
>>> _ = reg.add_admin_unit(eng, "Testland/East/Hill")
>>> _ = reg.add_commodity(eng, "Au", "gold", component_unit="kg")
>>> _ = reg.add_deposit(eng, "Golden Hill", district="Testland/East/Hill", aliases=["Zolotaya"])
>>> reg.find_deposit(eng, "zolotaya").name
'Golden Hill'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from orebook.balance.db import AuditHook, write_engine
from orebook.balance.db import audited as _audited
from orebook.balance.schema import (
    CATEGORIES,
    CONDITION_KINDS,
    DEPOSIT_STATUSES,
    FUNDS,
    AdminUnit,
    Approval,
    Commodity,
    Condition,
    Deposit,
    DepositAlias,
    Estimate,
    EstimateLine,
    Licence,
    Organisation,
    PublishedTotal,
)
from orebook.errors import ConflictError, NotFoundError, ParameterError
from orebook.units import METAL_UNITS

__all__ = [
    "DEFAULT_LEVELS",
    "ORE_UNITS",
    "ORGANISATION_KINDS",
    "DepositInfo",
    "add_admin_unit",
    "add_alias",
    "add_commodity",
    "add_condition",
    "add_deposit",
    "add_licence",
    "add_organisation",
    "add_published_total",
    "approve_estimate",
    "convert_metal",
    "find_admin_unit",
    "find_deposit",
    "reject_estimate",
    "submit_estimate",
    "unit_path",
]

#: Levels given to the parts of an administrative path, in order.
DEFAULT_LEVELS = ("country", "region", "district")
ORE_UNITS = ("t", "m3")
ORGANISATION_KINDS = ("holder", "survey", "commission", "publisher", "other")
#: Metal units converted into one another (powers of ten); ``oz`` only into ``oz``.
_EXACT_METAL = ("t", "kg", "g")


@dataclass(frozen=True)
class DepositInfo:
    """A deposit as the registry holds it; ``district`` is the unit's path ("A/B/C")."""

    id: int
    name: str
    aliases: tuple[str, ...]
    district: str | None
    district_uncertain: bool
    status: str
    fund: str
    deposit_type: str | None
    discovery_year: int | None
    longitude_deg: float | None
    latitude_deg: float | None
    note: str | None


# ------------------------------------------------------------------------ transactions
@contextmanager
def _write(engine: Engine) -> Iterator[Session]:
    with Session(write_engine(engine), expire_on_commit=False) as s, s.begin():
        yield s


@contextmanager
def _read(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s, s.begin():
        yield s


# ------------------------------------------------------------------------ checks
def _name(value, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{what}: a non-empty name is required, found {value!r}")
    value = value.strip()
    if len(value) > limit:
        raise ParameterError(f"{what} {value[:40]!r}…: at most {limit} characters, "
                             f"found {len(value)}")
    return value


def _choice(value, what: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ParameterError(f"{what} {value!r}: expected one of {', '.join(allowed)}")
    return value


def _amount(value, what: str, *, required: bool = False) -> float | None:
    if value is None:
        if required:
            raise ParameterError(f"{what}: a number is required")
        return None
    if isinstance(value, bool):
        raise ParameterError(f"{what}: expected a number, found {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{what}: expected a number, found {value!r}") from None
    if not math.isfinite(x) or x < 0:
        raise ParameterError(f"{what}: expected a finite number >= 0, found {value!r}")
    return x


def _date(value, what: str, *, required: bool = False) -> dt.date | None:
    if value is None:
        if required:
            raise ParameterError(f"{what}: a date is required")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParameterError(f"{what}: expected an ISO date (YYYY-MM-DD), found {value!r}"
                             ) from None


def split_path(path: str) -> list[str]:
    """The parts of an administrative path ``"Country/Region/District"``."""
    if not isinstance(path, str):
        raise ParameterError(f"administrative unit {path!r}: expected a path like "
                             "'Country/Region/District'")
    parts = [p.strip() for p in path.split("/")]
    if not parts or any(not p for p in parts):
        raise ParameterError(f"administrative unit {path!r}: expected a path like "
                             "'Country/Region/District' with no empty part")
    for p in parts:
        _name(p, "administrative unit")
    return parts


def convert_metal(value: float, unit: str, to: str) -> float:
    """``value`` in metal unit ``unit`` expressed in ``to`` (exact conversions only).

    >>> convert_metal(130, "t", "kg")
    130000.0
    """
    if unit == to:
        return float(value)
    if unit in _EXACT_METAL and to in _EXACT_METAL:
        ratio = METAL_UNITS[unit] / METAL_UNITS[to]
        # the ratios are powers of ten: multiply or divide by an exact integer
        return float(value) * ratio if ratio >= 1 else float(value) / round(1 / ratio)
    raise ParameterError(f"metal unit {unit!r} cannot be converted exactly into the "
                         f"commodity's unit {to!r}; give the figure in {to!r}")


# ------------------------------------------------------------------------ lookups (session)
def _unit(s: Session, path: str, *, create: bool = False,
          levels: Sequence[str] | None = None) -> AdminUnit:
    parts = split_path(path)
    levels = tuple(levels) if levels is not None else DEFAULT_LEVELS
    if create and len(levels) < len(parts):
        raise ParameterError(f"administrative unit {path!r}: {len(parts)} levels but only "
                             f"{len(levels)} level names given ({', '.join(levels)})")
    parent = None
    for depth, part in enumerate(parts):
        q = select(AdminUnit).where(func.lower(AdminUnit.name) == part.lower())
        q = q.where(AdminUnit.parent_id.is_(None) if parent is None
                    else AdminUnit.parent_id == parent.id)
        unit = s.scalar(q)
        if unit is None:
            if not create:
                raise NotFoundError(f"administrative unit {'/'.join(parts[:depth + 1])!r}: "
                                     "not in the registry")
            unit = AdminUnit(name=part, level=levels[depth], parent_id=parent.id if parent
                             else None)
            s.add(unit)
            s.flush()
        elif create and unit.level != levels[depth] and levels is not DEFAULT_LEVELS:
            raise ParameterError(f"administrative unit {'/'.join(parts[:depth + 1])!r} is a "
                                 f"{unit.level}, not a {levels[depth]}")
        parent = unit
    return parent


def unit_path(s: Session, unit_id: int | None) -> str | None:
    """The path ``"Country/Region/District"`` of the unit ``unit_id`` (None for None)."""
    if unit_id is None:
        return None
    parts = []
    unit = s.get(AdminUnit, unit_id)
    while unit is not None:
        parts.append(unit.name)
        unit = s.get(AdminUnit, unit.parent_id) if unit.parent_id is not None else None
    return "/".join(reversed(parts))


def _deposit(s: Session, name: str) -> Deposit:
    key = _name(name, "deposit").lower()
    dep = s.scalar(select(Deposit).where(func.lower(Deposit.name) == key))
    if dep is None:
        dep = s.scalar(select(Deposit).join(DepositAlias)
                       .where(func.lower(DepositAlias.alias) == key))
    if dep is None:
        raise NotFoundError(f"deposit {name!r}: not in the registry (name or alias)")
    return dep


def _commodity(s: Session, code: str) -> Commodity:
    com = s.scalar(select(Commodity).where(func.lower(Commodity.code)
                                           == _name(code, "commodity").lower()))
    if com is None:
        raise NotFoundError(f"commodity {code!r}: not in the registry")
    return com


def _organisation(s: Session, name: str) -> Organisation:
    org = s.scalar(select(Organisation).where(func.lower(Organisation.name)
                                              == _name(name, "organisation", 300).lower()))
    if org is None:
        raise NotFoundError(f"organisation {name!r}: not in the registry")
    return org


def _name_taken(s: Session, name: str) -> str | None:
    """The deposit already called ``name`` (as name or alias), if any."""
    key = name.lower()
    hit = s.scalar(select(Deposit.name).where(func.lower(Deposit.name) == key))
    if hit is None:
        hit = s.scalar(select(Deposit.name).join(DepositAlias)
                       .where(func.lower(DepositAlias.alias) == key))
    return hit


# ------------------------------------------------------------------------ writes (session)
def _add_commodity(s, code, name, ore_unit, component_unit, grade_unit) -> int:
    from orebook.units import GRADE_UNITS

    code = _name(code, "commodity code", 40)
    name = _name(name, f"commodity {code!r}: name")
    _choice(ore_unit, f"commodity {code!r}: ore unit", ORE_UNITS)
    _choice(component_unit, f"commodity {code!r}: component unit", tuple(METAL_UNITS))
    _choice(grade_unit, f"commodity {code!r}: grade unit", tuple(GRADE_UNITS))
    if s.scalar(select(Commodity.id).where(func.lower(Commodity.code) == code.lower())):
        raise ConflictError(f"commodity {code!r}: already in the registry")
    com = Commodity(code=code, name=name, ore_unit=ore_unit, component_unit=component_unit,
                    grade_unit=grade_unit)
    s.add(com)
    s.flush()
    return com.id


def _add_organisation(s, name, kind) -> int:
    name = _name(name, "organisation", 300)
    _choice(kind, f"organisation {name!r}: kind", ORGANISATION_KINDS)
    if s.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise ConflictError(f"organisation {name!r}: already in the registry")
    org = Organisation(name=name, kind=kind)
    s.add(org)
    s.flush()
    return org.id


def _add_alias(s, dep: Deposit, alias: str) -> None:
    alias = _name(alias, f"deposit {dep.name!r}: alias")
    taken = _name_taken(s, alias)
    if taken is not None:
        raise ConflictError(f"alias {alias!r}: already names deposit {taken!r}")
    s.add(DepositAlias(deposit_id=dep.id, alias=alias))
    s.flush()


def _add_deposit(s, name, *, district=None, aliases=(), status="being explored",
                 fund="undistributed", deposit_type=None, discovery_year=None,
                 complexity_group=None, longitude_deg=None, latitude_deg=None,
                 district_uncertain=False, note=None) -> int:
    name = _name(name, "deposit")
    _choice(status, f"deposit {name!r}: status", DEPOSIT_STATUSES)
    _choice(fund, f"deposit {name!r}: fund", FUNDS)
    if discovery_year is not None and (isinstance(discovery_year, bool)
                                       or not isinstance(discovery_year, int)
                                       or not 1000 <= discovery_year <= 2200):
        raise ParameterError(f"deposit {name!r}: discovery year {discovery_year!r} is not a "
                             "year")
    for what, value, bound in (("longitude", longitude_deg, 180), ("latitude", latitude_deg, 90)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)
                                      and -bound <= value <= bound):
            raise ParameterError(f"deposit {name!r}: {what} {value!r} is not in "
                                 f"[-{bound}, {bound}] degrees")
    taken = _name_taken(s, name)
    if taken is not None:
        raise ConflictError(f"deposit {name!r}: already in the registry (as {taken!r})")
    unit = _unit(s, district) if district is not None else None
    dep = Deposit(name=name, admin_unit_id=unit.id if unit else None, status=status, fund=fund,
                  deposit_type=deposit_type, discovery_year=discovery_year,
                  complexity_group=complexity_group, longitude_deg=longitude_deg,
                  latitude_deg=latitude_deg, district_uncertain=bool(district_uncertain),
                  note=note)
    s.add(dep)
    s.flush()
    for alias in aliases:
        _add_alias(s, dep, alias)
    return dep.id


def _add_licence(s, number, deposit, holder, issued=None, expires=None) -> int:
    number = _name(number, "licence number", 100)
    dep, org = _deposit(s, deposit), _organisation(s, holder)
    issued, expires = _date(issued, "issued"), _date(expires, "expires")
    if issued and expires and expires < issued:
        raise ParameterError(f"licence {number!r}: expires {expires} before it is issued "
                             f"{issued}")
    if s.scalar(select(Licence.id).where(func.lower(Licence.number) == number.lower())):
        raise ConflictError(f"licence {number!r}: already in the registry")
    lic = Licence(number=number, deposit_id=dep.id, holder_id=org.id, issued=issued,
                  expires=expires)
    s.add(lic)
    s.flush()
    return lic.id


_CONDITION_FIELDS = ("edge_cutoff", "contour_cutoff", "min_block_grade", "min_thickness_m",
                     "max_barren_m", "min_metre_grade")


def _add_condition(s, deposit, commodity, *, protocol, approved_on, kind="permanent",
                   approval_id=None, note=None, **values) -> int:
    dep, com = _deposit(s, deposit), _commodity(s, commodity)
    unknown = sorted(set(values) - set(_CONDITION_FIELDS))
    if unknown:
        raise ParameterError(f"conditions: unknown fields {unknown}; expected "
                             f"{list(_CONDITION_FIELDS)}")
    where = f"conditions of {dep.name!r} ({com.code})"
    nums = {k: _amount(values.get(k), f"{where}: {k}") for k in _CONDITION_FIELDS}
    if all(v is None for v in nums.values()):
        raise ParameterError(f"{where}: give at least one condition (cut-off, thickness…)")
    edge, block = nums["edge_cutoff"], nums["min_block_grade"]
    if edge is not None and block is not None and block < edge:
        raise ParameterError(f"{where}: minimum block grade {block:g} is below the edge "
                             f"cut-off {edge:g} {com.grade_unit}")
    _choice(kind, f"{where}: kind", CONDITION_KINDS)
    protocol = _name(protocol, f"{where}: protocol", 100)
    approved_on = _date(approved_on, f"{where}: approved_on", required=True)
    if approval_id is not None and s.get(Approval, approval_id) is None:
        raise NotFoundError(f"{where}: approval {approval_id} is not in the registry")
    cond = Condition(deposit_id=dep.id, commodity_id=com.id, kind=kind, protocol=protocol,
                     approved_on=approved_on, approval_id=approval_id, note=note, **nums)
    s.add(cond)
    s.flush()
    return cond.id


def _check_category(category) -> str | None:
    if category is None:
        return None
    if category not in CATEGORIES:
        raise ParameterError(f"category {category!r}: expected one of {', '.join(CATEGORIES)} "
                             "or none (all categories)")
    return category


def _add_published_total(s, *, commodity, source, metal=None, ore=None, unit=None,
                         deposit=None, category=None, metal_unit=None, as_of=None,
                         as_of_date=None, published_on=None, quoted_by=None,
                         deposit_count=None, uncertain=False, note=None) -> int:
    com = _commodity(s, commodity)
    source = _name(source, "published total: source", 10_000)
    if (unit is None) == (deposit is None):
        raise ParameterError("published total: give either an administrative unit or a "
                             "deposit")
    metal, ore = _amount(metal, "published total: metal"), _amount(ore, "published total: ore")
    if metal is None and ore is None:
        raise ParameterError("published total: give the metal or the ore figure")
    if metal is not None:
        metal = convert_metal(metal, metal_unit or com.component_unit, com.component_unit)
    if deposit_count is not None and (isinstance(deposit_count, bool)
                                      or not isinstance(deposit_count, int)
                                      or deposit_count < 1):
        raise ParameterError(f"published total: deposit count {deposit_count!r} is not a "
                             "whole number >= 1")
    row = PublishedTotal(
        admin_unit_id=_unit(s, unit).id if unit is not None else None,
        deposit_id=_deposit(s, deposit).id if deposit is not None else None,
        commodity_id=com.id, category=_check_category(category), metal=metal, ore=ore,
        as_of=as_of, as_of_date=_date(as_of_date, "as_of_date"),
        published_on=_date(published_on, "published_on"), source=source, quoted_by=quoted_by,
        deposit_count=deposit_count, uncertain=bool(uncertain), note=note)
    s.add(row)
    s.flush()
    return row.id


# ------------------------------------------------------------------------ public services
def add_admin_unit(engine: Engine, path: str, levels: Sequence[str] | None = None) -> int:
    """Add the administrative unit ``path`` ("Country/Region/District"), creating the missing
    units above it; returns the id of the last. ``levels`` names the level of each part
    (default country, region, district). Adding an existing path returns its id."""
    with _write(engine) as s:
        return _unit(s, path, create=True, levels=levels).id


def find_admin_unit(engine: Engine, path: str) -> int:
    """The id of the administrative unit ``path`` (case-insensitive)."""
    with _read(engine) as s:
        return _unit(s, path).id


def add_commodity(engine: Engine, code: str, name: str, *, ore_unit: str = "t",
                  component_unit: str = "t", grade_unit: str = "g/t") -> int:
    """Add a commodity: ``code`` ("Au"), its ore unit (t or m3), the unit its component is
    counted in (t, kg, g, oz) and its grade unit (g/t, %, ppm, ppb). Returns its id."""
    with _write(engine) as s:
        return _add_commodity(s, code, name, ore_unit, component_unit, grade_unit)


def add_organisation(engine: Engine, name: str, kind: str = "holder") -> int:
    """Add an organisation of ``kind`` (holder, survey, commission, publisher, other)."""
    with _write(engine) as s:
        return _add_organisation(s, name, kind)


def add_deposit(engine: Engine, name: str, *, district: str | None = None,
                aliases: Sequence[str] = (), status: str = "being explored",
                fund: str = "undistributed", deposit_type: str | None = None,
                discovery_year: int | None = None, complexity_group: str | None = None,
                longitude_deg: float | None = None, latitude_deg: float | None = None,
                district_uncertain: bool = False, note: str | None = None) -> int:
    """Add a deposit. ``district`` is an existing administrative path; ``status`` one of
    developed, being prepared, being explored, reserve, conserved; ``fund`` distributed or
    undistributed; longitude and latitude in degrees (WGS 84). A name or alias already used by
    any deposit is refused. Returns its id."""
    with _write(engine) as s:
        return _add_deposit(s, name, district=district, aliases=aliases, status=status,
                            fund=fund, deposit_type=deposit_type,
                            discovery_year=discovery_year, complexity_group=complexity_group,
                            longitude_deg=longitude_deg, latitude_deg=latitude_deg,
                            district_uncertain=district_uncertain, note=note)


def add_alias(engine: Engine, deposit: str, alias: str) -> None:
    """Give ``deposit`` (name or alias) another name."""
    with _write(engine) as s:
        _add_alias(s, _deposit(s, deposit), alias)


def find_deposit(engine: Engine, name: str) -> DepositInfo:
    """The deposit called ``name`` or with that alias (case-insensitive)."""
    with _read(engine) as s:
        dep = _deposit(s, name)
        aliases = tuple(sorted(a.alias for a in dep.aliases))
        return DepositInfo(dep.id, dep.name, aliases, unit_path(s, dep.admin_unit_id),
                           bool(dep.district_uncertain), dep.status, dep.fund,
                           dep.deposit_type, dep.discovery_year, dep.longitude_deg,
                           dep.latitude_deg, dep.note)


def add_licence(engine: Engine, number: str, deposit: str, holder: str, *,
                issued: dt.date | str | None = None,
                expires: dt.date | str | None = None) -> int:
    """Add licence ``number`` over ``deposit`` held by the organisation ``holder``."""
    with _write(engine) as s:
        return _add_licence(s, number, deposit, holder, issued, expires)


def add_condition(engine: Engine, deposit: str, commodity: str, *, protocol: str,
                  approved_on: dt.date | str, kind: str = "permanent",
                  edge_cutoff: float | None = None, contour_cutoff: float | None = None,
                  min_block_grade: float | None = None, min_thickness_m: float | None = None,
                  max_barren_m: float | None = None, min_metre_grade: float | None = None,
                  approval_id: int | None = None, note: str | None = None) -> int:
    """Add the conditions for ``commodity`` of ``deposit`` approved by ``protocol`` on
    ``approved_on`` (``kind`` temporary or permanent).

    Grades (edge cut-off, ore-contour cut-off, minimum block grade) are in the commodity's grade
    unit; thicknesses in metres; ``min_metre_grade`` in metres × grade unit (metre-percent).
    The minimum block grade may not be below the edge cut-off. Returns the id.
    """
    with _write(engine) as s:
        return _add_condition(s, deposit, commodity, protocol=protocol,
                              approved_on=approved_on, kind=kind, approval_id=approval_id,
                              note=note, edge_cutoff=edge_cutoff,
                              contour_cutoff=contour_cutoff, min_block_grade=min_block_grade,
                              min_thickness_m=min_thickness_m, max_barren_m=max_barren_m,
                              min_metre_grade=min_metre_grade)


def submit_estimate(engine: Engine, record, *, condition_id: int | None = None,
                    audit: AuditHook | None = None) -> int:
    """Enter an :class:`~orebook.io.estimate_record.EstimateRecord` as an estimate awaiting a
    decision; returns the estimate's id.

    Checks: the deposit (name or alias) and every commodity are registered; each line's ore
    unit is the commodity's; metal is converted into the commodity's component unit where the
    conversion is exact (t, kg, g), otherwise refused; the same record (deposit and parameters
    hash) is not submitted twice; the conditions, if given, are of this deposit.
    """
    with _write(engine) as s:
        return _audited(s, audit, _submit_estimate(s, record, condition_id=condition_id))


def _submit_estimate(s: Session, record, *, condition_id: int | None = None) -> int:
    dep = _deposit(s, record.deposit)
    if not record.lines:
        raise ParameterError(f"estimate of {record.deposit!r}: no lines")
    if record.parameters_hash:
        old = s.scalar(select(Estimate.id).where(Estimate.deposit_id == dep.id,
                                                 Estimate.parameters_hash
                                                 == record.parameters_hash))
        if old is not None:
            raise ConflictError(f"estimate of {dep.name!r} with parameters "
                                 f"{record.parameters_hash} is already estimate {old}")
    if condition_id is not None:
        cond = s.get(Condition, condition_id)
        if cond is None or cond.deposit_id != dep.id:
            raise ParameterError(f"conditions {condition_id}: not conditions of {dep.name!r}")
    est = Estimate(deposit_id=dep.id, method=_name(record.method, "method", 100),
                   effective_date=record.effective_date, author=record.author,
                   document=record.document, condition_id=condition_id,
                   parameters_hash=record.parameters_hash,
                   source=str(record.source)[-300:] if record.source else None)
    seen = set()
    for line in record.lines:
        com = _commodity(s, line.commodity)
        where = f"estimate of {dep.name!r}, {com.code} {line.category}/{line.group}"
        if line.category not in CATEGORIES:
            raise ParameterError(f"{where}: category {line.category!r} never enters the balance")
        if line.ore_unit != com.ore_unit:
            raise ParameterError(f"{where}: ore in {line.ore_unit!r} but {com.code} is counted "
                                 f"in {com.ore_unit!r}")
        ore = _amount(line.ore, f"{where}: ore", required=True)
        metal = _amount(line.metal, f"{where}: metal", required=True)
        try:
            metal = convert_metal(metal, line.metal_unit, com.component_unit)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
        key = (com.id, line.category, line.group)
        if key in seen:
            raise ParameterError(f"{where}: given twice")
        seen.add(key)
        est.lines.append(EstimateLine(commodity_id=com.id, category=line.category,
                                      group=line.group, ore=ore, metal=metal))
    s.add(est)
    s.flush()
    return est.id


def approve_estimate(engine: Engine, estimate_id: int, *, protocol: str,
                     date: dt.date | str, commission: str | None = None,
                     audit: AuditHook | None = None) -> list[int]:
    """Approve estimate ``estimate_id`` by ``protocol`` of ``date``: the ledger generates the
    movements taking the deposit to the approved figures (:meth:`Ledger.approve`). Returns the
    ids of those movements. An estimate already decided on is refused."""
    from orebook.balance.ledger import Ledger

    _undecided(engine, estimate_id)
    return Ledger(engine).approve(estimate_id, protocol=protocol,
                                  date=_date(date, "date", required=True),
                                  commission=commission, audit=audit)


def reject_estimate(engine: Engine, estimate_id: int, *, protocol: str,
                    date: dt.date | str, commission: str | None = None,
                    decision: str = "rejected", audit: AuditHook | None = None) -> None:
    """Record a decision not to approve (``rejected`` or ``returned`` for revision); the
    balance is unchanged."""
    from orebook.balance.ledger import Ledger

    _choice(decision, "decision", ("rejected", "returned"))
    _undecided(engine, estimate_id)
    Ledger(engine).approve(estimate_id, protocol=protocol,
                           date=_date(date, "date", required=True), commission=commission,
                           decision=decision, audit=audit)


def _undecided(engine: Engine, estimate_id: int) -> None:
    with _read(engine) as s:
        if s.get(Estimate, estimate_id) is None:
            raise NotFoundError(f"estimate {estimate_id}: no such estimate")
        done = s.scalar(select(Approval).where(Approval.estimate_id == estimate_id,
                                               Approval.decision == "approved"))
        if done is not None:
            raise ConflictError(f"estimate {estimate_id} was already approved by protocol "
                                 f"{done.protocol} of {done.date}")


def add_published_total(engine: Engine, *, commodity: str, source: str,
                        metal: float | None = None, ore: float | None = None,
                        unit: str | None = None, deposit: str | None = None,
                        category: str | None = None, metal_unit: str | None = None,
                        as_of: str | None = None, as_of_date: dt.date | str | None = None,
                        published_on: dt.date | str | None = None,
                        quoted_by: str | None = None, deposit_count: int | None = None,
                        uncertain: bool = False, note: str | None = None) -> int:
    """Record a figure quoted in a report or the press, for reconciliation.

    Give either an administrative ``unit`` (path) or a ``deposit``; ``category`` None means all
    balance categories; ``metal`` in ``metal_unit`` (default the commodity's; converted exactly)
    and/or ``ore``; ``as_of`` the period as quoted ("until 1993") and ``as_of_date`` the date
    it is taken to mean; ``uncertain`` marks an approximate figure, one of another class (a
    resource), or one whose extent is uncertain. Returns the id.
    """
    with _write(engine) as s:
        return _add_published_total(
            s, commodity=commodity, source=source, metal=metal, ore=ore, unit=unit,
            deposit=deposit, category=category, metal_unit=metal_unit, as_of=as_of,
            as_of_date=as_of_date, published_on=published_on, quoted_by=quoted_by,
            deposit_count=deposit_count, uncertain=uncertain, note=note)
