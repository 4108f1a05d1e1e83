"""Read-only queries of the registry for the web service and its pages: deposits (search and
filter), one deposit in full, its reserves over the years, districts and estimates.

Each function takes an :class:`~sqlalchemy.Engine`, reads in one transaction and returns plain
values: dicts (dates as :class:`datetime.date`), lists of dicts, or a DataFrame. Quantities are
in the commodity's units (ore in ``ore_unit``, metal in ``metal_unit``). Names are compared
without regard to case (``str.casefold``, so non-ASCII names match too).

A deposit's **commodities** are those it has movements of (its ledger heads), estimate lines of
or conditions for. A deposit's **version** is a short hash of its own row, its aliases and its
licences: it changes whenever one of them does, and is the ``ETag`` of the web API.
:func:`update_deposit`, the one write here, changes a deposit only at the version the caller
read.

>>> from orebook.balance import engine_from_url, upgrade
>>> from orebook.balance import registry as reg
>>> eng = engine_from_url("sqlite://"); upgrade(eng)
>>> _ = reg.add_admin_unit(eng, "Testland/East/Hill")
>>> _ = reg.add_deposit(eng, "Golden Hill", district="Testland/East/Hill", aliases=["Zolotaya"])
>>> items, total = list_deposits(eng, q="zolot")
>>> total, items[0]["name"], items[0]["district"]
(1, 'Golden Hill', 'Testland/East/Hill')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, union
from sqlalchemy.orm import Session

from orebook.balance.ledger import TOLERANCE
from orebook.balance.schema import (
    CATEGORIES,
    DEPOSIT_STATUSES,
    GROUPS,
    AdminUnit,
    Approval,
    Commodity,
    Condition,
    Deposit,
    DepositAlias,
    Estimate,
    EstimateLine,
    LedgerHead,
    Licence,
    Movement,
    Organisation,
)
from orebook.errors import ConflictError, NotFoundError, ParameterError

__all__ = [
    "DECISIONS",
    "EDITABLE",
    "HISTORY_COLUMNS",
    "StaleVersion",
    "deposit_detail",
    "deposit_history",
    "deposit_version",
    "find_commodity",
    "get_estimate",
    "list_commodities",
    "list_deposits",
    "list_districts",
    "list_estimates",
    "update_deposit",
]

#: The decision on an estimate as the queries report it (the latest, or ``pending``).
DECISIONS = ("pending", "approved", "rejected", "returned")
#: The columns of :func:`deposit_history`.
HISTORY_COLUMNS = ["as_of", "commodity", "category", "group", "ore", "metal", "ore_unit",
                   "metal_unit"]
_DEPOSIT_FIELDS = ("id", "name", "admin_unit_id", "deposit_type", "discovery_year",
                   "complexity_group", "status", "fund", "longitude_deg", "latitude_deg",
                   "district_uncertain", "note")


@contextmanager
def _read(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        yield s


# ---------------------------------------------------------------------------- checks
def _page(offset, limit) -> tuple[int, int]:
    for name, value, low in (("offset", offset, 0), ("limit", limit, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ParameterError(f"{name}: expected a whole number >= {low}, found {value!r}")
    return int(offset), int(limit)


def _text(value, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParameterError(f"{name}: expected text, found {value!r}")
    value = value.strip()
    return value or None


def _deposit_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"deposit id: expected a whole number, found {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- districts
def _units(s: Session) -> dict:
    """Unit id → its row (``id``, ``name``, ``level``, ``parent_id``)."""
    rows = s.execute(select(AdminUnit.id, AdminUnit.name, AdminUnit.level, AdminUnit.parent_id))
    return {u.id: u for u in rows}


def _paths(units: dict) -> dict[int, str]:
    out: dict[int, str] = {}

    def path(i: int) -> str:
        if i not in out:
            u = units[i]
            out[i] = u.name if u.parent_id is None else f"{path(u.parent_id)}/{u.name}"
        return out[i]

    for i in units:
        path(i)
    return out


def _below(units: dict) -> dict[int, set[int]]:
    """Each unit → itself and every unit below it."""
    children = defaultdict(list)
    for u in units.values():
        children[u.parent_id].append(u.id)
    out: dict[int, set[int]] = {}
    for root in units:
        seen, stack = set(), [root]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(children.get(i, ()))
        out[root] = seen
    return out


def _match_units(units: dict, paths: dict[int, str], district) -> set[int]:
    """The units ``district`` names (an id, a path "A/B/C" or a unit's name) and those below."""
    below = _below(units)
    if isinstance(district, (int, np.integer)) and not isinstance(district, bool):
        hits = [int(district)] if int(district) in units else []
    else:
        text = _text(district, "district")
        if text is None:
            raise ParameterError("district: expected a path 'Country/Region/District', a "
                                 "unit's name or its id")
        if text.isdigit() and int(text) in units:
            hits = [int(text)]
        else:
            key = "/".join(p.strip() for p in text.split("/")).casefold()
            hits = [i for i, p in paths.items() if p.casefold() == key]
            if not hits:
                hits = [i for i, u in units.items() if u.name.casefold() == key]
    if not hits:
        raise NotFoundError(f"district {district!r}: not in the registry")
    return set().union(*(below[i] for i in hits))


def list_districts(engine: Engine) -> list[dict]:
    """Every administrative unit, sorted by path: ``id``, ``name``, ``level``, ``path``
    ("Country/Region/District"), ``parent_id``, ``deposits`` (the number of deposits in it and
    in every unit below it) and ``deposits_here`` (attached to it directly)."""
    with _read(engine) as s:
        units = _units(s)
        counts = dict(s.execute(select(Deposit.admin_unit_id, func.count())
                                .where(Deposit.admin_unit_id.is_not(None))
                                .group_by(Deposit.admin_unit_id)).all())
    paths, below = _paths(units), _below(units)
    out = [{"id": i, "name": u.name, "level": u.level, "path": paths[i],
            "parent_id": u.parent_id,
            "deposits": sum(counts.get(j, 0) for j in below[i]),
            "deposits_here": counts.get(i, 0)} for i, u in units.items()]
    return sorted(out, key=lambda d: (d["path"].casefold(), d["id"]))


# ---------------------------------------------------------------------------- deposits
def _pairs(deposit_ids=None, commodity_id: int | None = None):
    """(deposit id, commodity id) of ledger heads, estimate lines and conditions."""
    parts = [select(LedgerHead.deposit_id, LedgerHead.commodity_id),
             select(Estimate.deposit_id, EstimateLine.commodity_id)
             .join(EstimateLine, EstimateLine.estimate_id == Estimate.id),
             select(Condition.deposit_id, Condition.commodity_id)]
    if deposit_ids is not None:
        parts = [q.where(q.selected_columns[0].in_(list(deposit_ids))) for q in parts]
    if commodity_id is not None:
        parts = [q.where(q.selected_columns[1] == commodity_id) for q in parts]
    return union(*parts).subquery()


def _commodities_by_deposit(s: Session, deposit_ids) -> dict[int, list[str]]:
    """Deposit id → the codes of its commodities, for the deposits ``deposit_ids``."""
    if not deposit_ids:
        return {}
    pairs = _pairs(deposit_ids)
    rows = s.execute(select(pairs.c[0], Commodity.code)
                     .join(Commodity, Commodity.id == pairs.c[1]))
    out: dict[int, list[str]] = defaultdict(list)
    for dep_id, code in rows:
        out[dep_id].append(code)
    return {k: sorted(set(v), key=str.casefold) for k, v in out.items()}


def list_deposits(engine: Engine, *, q: str | None = None, district=None,
                  commodity: str | None = None, status: str | None = None, offset: int = 0,
                  limit: int = 50) -> tuple[list[dict], int]:
    """Search and filter the deposits; returns one page of them (sorted by name) and the
    number of all that match.

    Parameters
    ----------
    q : text found in the name or in an alias (substring, case-insensitive).
    district : a unit (path "Country/Region/District", name, or id): deposits in it or in any
        unit below it. An unknown unit is a :class:`~orebook.errors.NotFoundError`.
    commodity : a commodity code (case-insensitive): deposits with that commodity.
    status : one of :data:`~orebook.balance.schema.DEPOSIT_STATUSES`.
    offset, limit : the page (``offset`` ≥ 0, ``limit`` ≥ 1).

    Each item: ``id``, ``name``, ``district`` (path or None), ``status``, ``fund``,
    ``deposit_type``, ``longitude_deg``, ``latitude_deg`` (degrees, WGS 84),
    ``commodities`` (codes).
    """
    offset, limit = _page(offset, limit)
    q = _text(q, "q")
    commodity = _text(commodity, "commodity")
    status = _text(status, "status")
    if status is not None and status not in DEPOSIT_STATUSES:
        raise ParameterError(f"status {status!r}: expected one of {', '.join(DEPOSIT_STATUSES)}")
    with _read(engine) as s:
        units = _units(s)
        paths = _paths(units)
        in_units = _match_units(units, paths, district) if district is not None else None
        query = select(Deposit.id, Deposit.name, Deposit.admin_unit_id, Deposit.status,
                       Deposit.fund, Deposit.deposit_type, Deposit.longitude_deg,
                       Deposit.latitude_deg)
        if status is not None:
            query = query.where(Deposit.status == status)
        if commodity is not None:
            com_id = next((c.id for c in s.scalars(select(Commodity))
                           if c.code.casefold() == commodity.casefold()), None)
            if com_id is None:
                raise NotFoundError(f"commodity {commodity!r}: not in the registry")
            query = query.where(Deposit.id.in_(select(_pairs(commodity_id=com_id).c[0])))
        deposits = s.execute(query).all()
        aliases: dict[int, list[str]] = defaultdict(list)
        if q is not None:
            for dep_id, alias in s.execute(select(DepositAlias.deposit_id,
                                                  DepositAlias.alias)):
                aliases[dep_id].append(alias)
        key = q.casefold() if q is not None else None
        hits = []
        for d in deposits:
            if in_units is not None and d.admin_unit_id not in in_units:
                continue
            if key is not None and not any(key in n.casefold()
                                           for n in (d.name, *aliases.get(d.id, ()))):
                continue
            hits.append(d)
        hits.sort(key=lambda d: (d.name.casefold(), d.id))
        page = hits[offset:offset + limit]
        coms = _commodities_by_deposit(s, [d.id for d in page])
    items = [{"id": d.id, "name": d.name,
              "district": paths.get(d.admin_unit_id) if d.admin_unit_id else None,
              "status": d.status, "fund": d.fund, "deposit_type": d.deposit_type,
              "longitude_deg": d.longitude_deg, "latitude_deg": d.latitude_deg,
              "commodities": coms.get(d.id, [])}
             for d in page]
    return items, len(hits)


def _get_deposit(s: Session, deposit_id) -> Deposit:
    dep = s.get(Deposit, _deposit_id(deposit_id))
    if dep is None:
        raise NotFoundError(f"deposit {deposit_id}: no such deposit")
    return dep


def _version(dep: Deposit, aliases: list[str], licences: list[dict]) -> str:
    doc = {"deposit": {f: getattr(dep, f) for f in _DEPOSIT_FIELDS},
           "aliases": sorted(aliases),
           "licences": sorted(([lic["id"], lic["number"], lic["holder"], lic["issued"],
                                lic["expires"]] for lic in licences), key=lambda r: r[0])}
    text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _licences(s: Session, deposit_id: int) -> list[dict]:
    rows = s.execute(select(Licence, Organisation.name)
                     .join(Organisation, Organisation.id == Licence.holder_id)
                     .where(Licence.deposit_id == deposit_id).order_by(Licence.id))
    return [{"id": lic.id, "number": lic.number, "holder": holder, "issued": lic.issued,
             "expires": lic.expires} for lic, holder in rows]


def deposit_version(engine: Engine, deposit_id: int) -> str:
    """The deposit's current version (see the module's description)."""
    with _read(engine) as s:
        dep = _get_deposit(s, deposit_id)
        aliases = list(s.scalars(select(DepositAlias.alias)
                                 .where(DepositAlias.deposit_id == dep.id)))
        return _version(dep, aliases, _licences(s, dep.id))


def _estimates(s: Session, where) -> list[dict]:
    """Estimates (newest first) with their lines and the decision on each."""
    rows = list(s.execute(select(Estimate, Deposit.name)
                          .join(Deposit, Deposit.id == Estimate.deposit_id)
                          .where(*where).order_by(Estimate.id.desc())))
    ids = [e.id for e, _ in rows]
    if not ids:
        return []
    lines: dict[int, list[dict]] = defaultdict(list)
    for line, com in s.execute(select(EstimateLine, Commodity)
                               .join(Commodity, Commodity.id == EstimateLine.commodity_id)
                               .where(EstimateLine.estimate_id.in_(ids))
                               .order_by(EstimateLine.id)):
        lines[line.estimate_id].append({
            "commodity": com.code, "category": line.category, "group": line.group,
            "ore": line.ore, "metal": line.metal, "ore_unit": com.ore_unit,
            "metal_unit": com.component_unit})
    decisions: dict[int, list[Approval]] = defaultdict(list)
    for a in s.scalars(select(Approval).where(Approval.estimate_id.in_(ids))
                       .order_by(Approval.date, Approval.id)):
        decisions[a.estimate_id].append(a)
    out = []
    for e, dep_name in rows:
        made = decisions.get(e.id, [])
        final = next((a for a in made if a.decision == "approved"), made[-1] if made else None)
        ordered = sorted(lines[e.id], key=lambda li: (li["commodity"].casefold(),
                                                      _rank(li["category"], CATEGORIES),
                                                      _rank(li["group"], GROUPS)))
        out.append({"id": e.id, "deposit_id": e.deposit_id, "deposit": dep_name,
                    "method": e.method, "effective_date": e.effective_date,
                    "author": e.author, "document": e.document,
                    "parameters_hash": e.parameters_hash, "condition_id": e.condition_id,
                    "lines": ordered,
                    "decision": final.decision if final else "pending",
                    "protocol": final.protocol if final else None,
                    "decision_date": final.date if final else None})
    return out


def deposit_detail(engine: Engine, deposit_id: int) -> dict:
    """Everything the registry holds on one deposit.

    Keys: the deposit's fields (``id``, ``name``, ``district`` path, ``district_id``,
    ``district_uncertain``, ``status``, ``fund``, ``deposit_type``, ``discovery_year``,
    ``complexity_group``, ``longitude_deg``, ``latitude_deg``, ``note``), ``aliases``,
    ``licences`` (``number``, ``holder``, ``issued``, ``expires``), ``conditions``,
    ``estimates`` (newest first; each with ``lines`` and ``decision`` pending, approved,
    rejected or returned, with its ``protocol`` and ``decision_date``), ``commodities`` and
    ``version``. An unknown id is a :class:`~orebook.errors.NotFoundError`.
    """
    with _read(engine) as s:
        dep = _get_deposit(s, deposit_id)
        units = _units(s)
        paths = _paths(units)
        aliases = sorted(s.scalars(select(DepositAlias.alias)
                                   .where(DepositAlias.deposit_id == dep.id)), key=str.casefold)
        licences = _licences(s, dep.id)
        conditions = [
            {"id": c.id, "commodity": code, "kind": c.kind, "protocol": c.protocol,
             "approved_on": c.approved_on, "edge_cutoff": c.edge_cutoff,
             "contour_cutoff": c.contour_cutoff, "min_block_grade": c.min_block_grade,
             "min_thickness_m": c.min_thickness_m, "max_barren_m": c.max_barren_m,
             "min_metre_grade": c.min_metre_grade, "grade_unit": grade_unit,
             "approval_id": c.approval_id, "note": c.note}
            for c, code, grade_unit in s.execute(
                select(Condition, Commodity.code, Commodity.grade_unit)
                .join(Commodity, Commodity.id == Condition.commodity_id)
                .where(Condition.deposit_id == dep.id)
                .order_by(Condition.approved_on, Condition.id))]
        estimates = _estimates(s, [Estimate.deposit_id == dep.id])
        coms = _commodities_by_deposit(s, [dep.id]).get(dep.id, [])
        return {"id": dep.id, "name": dep.name,
                "district": paths.get(dep.admin_unit_id) if dep.admin_unit_id else None,
                "district_id": dep.admin_unit_id,
                "district_uncertain": bool(dep.district_uncertain), "status": dep.status,
                "fund": dep.fund, "deposit_type": dep.deposit_type,
                "discovery_year": dep.discovery_year, "complexity_group": dep.complexity_group,
                "longitude_deg": dep.longitude_deg, "latitude_deg": dep.latitude_deg,
                "note": dep.note, "aliases": aliases, "licences": licences,
                "conditions": conditions, "estimates": estimates, "commodities": coms,
                "version": _version(dep, aliases, licences)}


def deposit_history(engine: Engine, deposit_id: int, *, commodity: str | None = None,
                    until: dt.date | None = None) -> pd.DataFrame:
    """The deposit's balance as at every 1 January, from the year of its first movement to
    the next 1 January after ``until`` (default: today, or the last movement if later), per
    commodity × category × group: the data of the "reserves over the years" chart.

    Returns a DataFrame with :data:`HISTORY_COLUMNS`: ``as_of`` (a date, 1 January), the line,
    ``ore`` and ``metal`` (the balance as at the start of that day, in ``ore_unit`` and
    ``metal_unit``). Every line that ever held reserves has a row at every date (zero once
    emptied); lines are sorted by commodity, category and group. No movements: no rows.
    """
    commodity = _text(commodity, "commodity")
    with _read(engine) as s:
        dep = _get_deposit(s, deposit_id)
        q = (select(Commodity.code, Commodity.ore_unit, Commodity.component_unit,
                    Movement.category, Movement.group, Movement.effective_date,
                    func.sum(Movement.ore), func.sum(Movement.metal))
             .join(Commodity, Commodity.id == Movement.commodity_id)
             .where(Movement.deposit_id == dep.id)
             .group_by(Commodity.code, Commodity.ore_unit, Commodity.component_unit,
                       Movement.category, Movement.group, Movement.effective_date))
        if commodity is not None:
            code = s.scalar(select(Commodity.code)
                            .where(func.lower(Commodity.code) == commodity.lower()))
            if code is None:
                raise NotFoundError(f"commodity {commodity!r}: not in the registry")
            q = q.where(Commodity.code == code)
        rows = s.execute(q).all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object if c not in ("ore", "metal")
                                          else float) for c in HISTORY_COLUMNS})
    first = min(r[5] for r in rows)
    last = max(max(r[5] for r in rows), until or dt.date.today())
    dates = [dt.date(y, 1, 1) for y in range(first.year, last.year + 2)]
    stamps = np.array([d.toordinal() for d in dates])
    by_line: dict[tuple, list] = defaultdict(list)
    units = {}
    for code, ore_unit, metal_unit, cat, grp, day, ore, metal in rows:
        by_line[(code, cat, grp)].append((day.toordinal(), ore, metal))
        units[code] = (ore_unit, metal_unit)
    out = []
    for key in sorted(by_line, key=lambda k: (k[0].casefold(), _rank(k[1], CATEGORIES),
                                              _rank(k[2], GROUPS))):
        days, ore, metal = (np.array(v) for v in zip(*by_line[key]))
        # the balance as at the start of each date: the movements dated strictly before it
        before = np.searchsorted(np.sort(days), stamps, side="left")
        order = np.argsort(days, kind="stable")
        cum_ore = np.concatenate([[0.0], np.cumsum(ore[order])])[before]
        cum_metal = np.concatenate([[0.0], np.cumsum(metal[order])])[before]
        cum_ore[np.abs(cum_ore) <= TOLERANCE] = 0.0
        cum_metal[np.abs(cum_metal) <= TOLERANCE] = 0.0
        for d, o, m in zip(dates, cum_ore, cum_metal):
            out.append((d, *key, float(o), float(m), *units[key[0]]))
    df = pd.DataFrame(out, columns=HISTORY_COLUMNS)
    return df.sort_values(["as_of"], kind="stable").reset_index(drop=True)


def _rank(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


# ---------------------------------------------------------------------------- commodities
def _commodity_dict(c: Commodity) -> dict:
    return {"id": c.id, "code": c.code, "name": c.name, "ore_unit": c.ore_unit,
            "metal_unit": c.component_unit, "grade_unit": c.grade_unit}


def list_commodities(engine: Engine) -> list[dict]:
    """Every commodity (``id``, ``code``, ``name``, ``ore_unit``, ``metal_unit``,
    ``grade_unit``), sorted by code."""
    with _read(engine) as s:
        rows = [_commodity_dict(c) for c in s.scalars(select(Commodity))]
    return sorted(rows, key=lambda c: c["code"].casefold())


def find_commodity(engine: Engine, code: str) -> dict:
    """The commodity with ``code`` (case-insensitive), as in :func:`list_commodities`;
    unknown: :class:`~orebook.errors.NotFoundError`."""
    key = _text(code, "commodity")
    for c in list_commodities(engine):
        if key is not None and c["code"].casefold() == key.casefold():
            return c
    raise NotFoundError(f"commodity {code!r}: not in the registry")


# ---------------------------------------------------------------------------- estimates
def list_estimates(engine: Engine, *, decision: str | None = None, deposit_id: int | None = None,
                   offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """Estimates, newest first, optionally with one ``decision`` (:data:`DECISIONS`) or of one
    deposit; returns one page and the number of all that match. Each item as in
    :func:`deposit_detail`'s ``estimates``, with ``deposit_id`` and ``deposit`` (its name)."""
    offset, limit = _page(offset, limit)
    decision = _text(decision, "decision")
    if decision is not None and decision not in DECISIONS:
        raise ParameterError(f"decision {decision!r}: expected one of {', '.join(DECISIONS)}")
    with _read(engine) as s:
        where = []
        if deposit_id is not None:
            where.append(Estimate.deposit_id == _get_deposit(s, deposit_id).id)
        items = _estimates(s, where)
    if decision is not None:
        items = [e for e in items if e["decision"] == decision]
    return items[offset:offset + limit], len(items)


def get_estimate(engine: Engine, estimate_id: int) -> dict:
    """One estimate, as in :func:`list_estimates`; unknown: ``NotFoundError``."""
    if isinstance(estimate_id, bool) or not isinstance(estimate_id, (int, np.integer)):
        raise ParameterError(f"estimate id: expected a whole number, found {estimate_id!r}")
    with _read(engine) as s:
        found = _estimates(s, [Estimate.id == int(estimate_id)])
    if not found:
        raise NotFoundError(f"estimate {estimate_id}: no such estimate")
    return found[0]


# ---------------------------------------------------------------------------- the one write
#: The fields of a deposit :func:`update_deposit` may change.
EDITABLE = ("status", "fund", "deposit_type", "longitude_deg", "latitude_deg", "note")


class StaleVersion(ConflictError):
    """The deposit changed since the caller read it (their version is not the current one)."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current


def update_deposit(engine: Engine, deposit_id: int, *, if_version: str, by=None,
                   **changes) -> str:
    """Change the :data:`EDITABLE` fields of a deposit, only if its version is still
    ``if_version`` (optimistic locking: two people editing the same deposit cannot overwrite
    each other silently). Returns the new version.

    The check and the change are one transaction that locks the deposit's row (``SELECT … FOR
    UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), and the change is written to the
    audit log in the same transaction (``by``: the :class:`~orebook.balance.accounts.UserInfo`
    making it). Raises :class:`StaleVersion` (a stale version), ``NotFoundError``,
    ``ParameterError`` (a field not editable or a bad value).
    """
    from orebook.balance.accounts import record_audit
    from orebook.balance.db import write_engine

    bad = sorted(set(changes) - set(EDITABLE))
    if bad:
        raise ParameterError(f"deposit: cannot change {', '.join(bad)}; editable: "
                             f"{', '.join(EDITABLE)}")
    _check_changes(changes)
    with Session(write_engine(engine), expire_on_commit=False) as s, s.begin():
        dep = s.scalar(select(Deposit).where(Deposit.id == _deposit_id(deposit_id))
                       .with_for_update())
        if dep is None:
            raise NotFoundError(f"deposit {deposit_id}: no such deposit")

        def version() -> str:
            aliases = list(s.scalars(select(DepositAlias.alias)
                                     .where(DepositAlias.deposit_id == dep.id)))
            return _version(dep, aliases, _licences(s, dep.id))

        current = version()
        if if_version != current:
            raise StaleVersion(f"deposit {dep.name!r} was changed since version {if_version!r} "
                               f"was read (now {current!r}); read it again", current)
        before = {k: getattr(dep, k) for k in changes}
        for k, v in changes.items():
            setattr(dep, k, v)
        s.flush()
        detail = "; ".join(f"{k}: {before[k]!r} -> {v!r}" for k, v in changes.items())
        record_audit(s, by, "update_deposit", f"deposit {dep.id} {dep.name}"[:200], detail)
        return version()


def _check_changes(changes: dict) -> None:
    import math

    for key, choices in (("status", DEPOSIT_STATUSES), ("fund", ("distributed",
                                                                 "undistributed"))):
        if key in changes and changes[key] not in choices:
            raise ParameterError(f"{key} {changes[key]!r}: expected one of {', '.join(choices)}")
    for key, bound in (("longitude_deg", 180), ("latitude_deg", 90)):
        v = changes.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v) or not -bound <= v <= bound):
            raise ParameterError(f"{key} {v!r}: expected degrees in [-{bound}, {bound}]")
    for key, limit in (("deposit_type", 100), ("note", 10_000)):
        v = changes.get(key)
        if v is not None and (not isinstance(v, str) or len(v) > limit):
            raise ParameterError(f"{key}: expected text of at most {limit} characters")


def balance_generation(engine: Engine) -> tuple:
    """A value that changes whenever a report could: a new movement (the ledger is append-only,
    corrections included), a new deposit, administrative unit or closed year. Edits of a
    deposit's attributes do not change it (the service counts those itself). One round trip of
    primary-key maxima: cheap enough to ask on every report request."""
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT coalesce(max(id), 0) FROM movements), "
            "(SELECT coalesce(max(id), 0) FROM deposits), "
            "(SELECT coalesce(max(id), 0) FROM admin_units), "
            "(SELECT coalesce(max(year), 0) FROM closed_years), "
            "(SELECT coalesce(max(id), 0) FROM licences)")).one()
    return tuple(int(v) for v in row)
