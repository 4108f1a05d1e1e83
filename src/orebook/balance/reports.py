"""The reports of the state balance: the yearly form and totals, summed in the database.

Both reports are a single ``GROUP BY`` scan of the movements (``SUM(CASE WHEN …)``), joined to
the deposits only when grouped by their district, status or fund. The scan starts from the
last closed year on or before the date asked: the frozen balance of that year
(``year_balances``) stands for every movement before it, so a report on a long ledger reads
only the movements since. Names, the district hierarchy, licence holders and the crosswalk are
then applied with NumPy to the (small) grouped result.

Conventions (``docs/balance-reports.md``):

- balances are as at the **start** of a date: the yearly form of ``year`` runs from the
  balance as at 1 January ``year`` to the balance as at 1 January ``year + 1``;
- every movement column is a **signed** change (production, losses and write-off are
  negative), so ``start + Σ movements = end`` on every row; transfers are split into the legs
  that add to a line (``transfer_in``, ≥ 0) and those that take from it (``transfer_out``, ≤ 0);
- ore is in the commodity's ore unit, metal in its component unit, grade = metal / ore in its
  grade unit; figures of different commodities are never summed (every total is per
  commodity);
- a district total is the sum of its child units and of the deposits attached to it directly,
  at every depth of the hierarchy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, literal, literal_column, select, union_all

from orebook.balance.ledger import TOLERANCE
from orebook.balance.schema import (
    CATEGORIES,
    GROUPS,
    AdminUnit,
    ClosedYear,
    Commodity,
    Deposit,
    DepositAlias,
    Licence,
    Movement,
    Organisation,
    YearBalance,
)
from orebook.crosswalk import SYSTEMS, Crosswalk, read_crosswalk
from orebook.errors import ParameterError

__all__ = [
    "BY_FIELDS",
    "NO_DISTRICT",
    "NO_LICENCE",
    "TOTAL",
    "UNMAPPED",
    "YEARLY_MOVEMENTS",
    "grade_factor",
    "totals",
    "yearly_form",
]

#: Fields a report may be grouped by.
BY_FIELDS = ("district", "commodity", "category", "group", "status", "fund", "holder",
             "deposit")
#: The movement columns of the yearly form, in its order (signed changes).
YEARLY_MOVEMENTS = ("production", "loss", "exploration", "reevaluation", "writeoff",
                    "transfer_in", "transfer_out", "boundary", "approval", "correction")
#: The class shown for a line the crosswalk does not map in the chosen system.
UNMAPPED = "unmapped"
#: The district shown for deposits attached to no administrative unit.
NO_DISTRICT = "(no district)"
#: The holder shown for deposits with no licence in force.
NO_LICENCE = "(no licence)"
#: The label of a totals row.
TOTAL = "Total"

_PATH_SEP = " / "
#: grams per unit of mass, and grade units per unit mass fraction
_MASS_G = {"t": 1.0e6, "kg": 1.0e3, "g": 1.0, "mg": 1.0e-3}
_PER_UNIT = {"%": 1.0e2, "ppm": 1.0e6, "ppb": 1.0e9}


# ---------------------------------------------------------------------------- public API
def yearly_form(
    engine: Engine,
    year: int,
    *,
    deposit: str | None = None,
    commodity: str | None = None,
    district: str | None = None,
    by: Sequence[str] | None = None,
    system: str = "state",
    crosswalk: Crosswalk | str | None = None,
    with_totals: bool = True,
) -> pd.DataFrame:
    """The yearly form of the state balance for ``year``.

    Parameters
    ----------
    engine : the registry.
    year : the year; reserves at the start are as at 1 January ``year``, at the end as at
        1 January ``year + 1``.
    deposit, commodity, district : restrict to one deposit (name or alias), one commodity (code)
        or one administrative unit (name, or path ``"Region / District"``) with every unit
        below it.
    by : ``None`` for the form itself, one row per deposit × commodity × category × group
        (with the deposit's district); or fields of :data:`BY_FIELDS` to roll the form up,
        e.g. ``("district", "commodity")`` for the national report (commodity is always added).
    system, crosswalk : the classification of the ``category`` column (see :func:`totals`).
    with_totals : add one totals row per commodity (``total`` = True).

    Returns
    -------
    DataFrame with the key columns, ``ore_unit``, ``metal_unit``, ``grade_unit``, then for
    ``ore`` and for ``metal``: ``start_<q>``, one column ``<movement>_<q>`` per
    :data:`YEARLY_MOVEMENTS` (signed changes), ``end_<q>``; then ``start_grade``,
    ``end_grade`` and ``total``. ``start + Σ movements = end`` on every row.
    """
    year = _check_year(year)
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    dims = _check_by(("deposit", "commodity", "category", "group") if by is None else by)
    cw = _crosswalk(system, crosswalk)
    with _snapshot(engine) as conn:
        reg = _Registry.load(conn, end)
        flt = reg.filters(deposit=deposit, commodity=commodity, district=district)
        raw = _scan_year(conn, flt, start, end, _keys(conn, dims, by is None, start))
    values = [f"{w}_{q}" for q in ("ore", "metal") for w in ("start", *YEARLY_MOVEMENTS, "end")]
    out = _report(raw, dims, reg, system, cw, values, with_totals=with_totals,
                  info_district=by is None, grades=[("start_grade", "start_ore", "start_metal"),
                                                    ("end_grade", "end_ore", "end_metal")])
    out.attrs.update(report="yearly form", year=year, start=start, end=end, system=system,
                     crosswalk=cw.source if cw else None)
    return out


def totals(
    engine: Engine,
    as_of: dt.date,
    *,
    by: Sequence[str] = ("district", "commodity", "category"),
    system: str = "state",
    crosswalk: Crosswalk | str | None = None,
    deposit: str | None = None,
    commodity: str | None = None,
    district: str | None = None,
    with_totals: bool = True,
) -> pd.DataFrame:
    """Reserves as at the start of ``as_of``, totalled by the fields ``by``.

    Parameters
    ----------
    engine : the registry.
    as_of : the date (balances as at its start: 1 January 2021 is the end of 2020).
    by : fields of :data:`BY_FIELDS`. ``district`` gives one row per administrative unit at
        every level (country, region, district, … of any depth), each the sum of its child
        units and of the deposits attached to it directly; ``category`` is the class in
        ``system``; ``holder`` the holder of the licence in force; ``status`` and ``fund``
        the deposit's (current) ones. ``commodity`` is always added: units are never mixed.
    system : ``"state"`` (A, B, C1, C2), ``"crirsco"``, ``"crirsco-reserve"`` or ``"unfc"``;
        lines the crosswalk does not map are shown as ``"unmapped"``, never dropped.
    crosswalk : a :class:`~orebook.crosswalk.Crosswalk`, the path of a crosswalk file, or
        ``None`` for the default table.
    deposit, commodity, district : restrict as in :func:`yearly_form`.
    with_totals : add one totals row per commodity (``total`` = True).

    Returns
    -------
    DataFrame with the ``by`` columns (``district`` is the unit's path, with ``level`` and
    ``depth`` beside it), ``ore_unit``, ``ore``, ``metal_unit``, ``metal``, ``grade_unit``,
    ``grade`` and ``total``. Rows at zero are left out.
    """
    as_of = _check_date(as_of)
    dims = _check_by(by)
    cw = _crosswalk(system, crosswalk)
    with _snapshot(engine) as conn:
        reg = _Registry.load(conn, as_of)
        flt = reg.filters(deposit=deposit, commodity=commodity, district=district)
        raw = _scan_balance(conn, flt, as_of, _keys(conn, dims, False, as_of))
    out = _report(raw, dims, reg, system, cw, ["ore", "metal"], with_totals=with_totals,
                  info_district=False, grades=[("grade", "ore", "metal")])
    out.attrs.update(report="totals", as_of=as_of, system=system,
                     crosswalk=cw.source if cw else None)
    return out


def grade_factor(ore_unit: str, metal_unit: str, grade_unit: str) -> tuple[float, str]:
    """The factor that turns metal / ore (component units per ore unit) into ``grade_unit``,
    and the unit the grade is then in.

    ``"%"``, ``"ppm"``, ``"ppb"`` are mass fractions (ore in t); ``"X/Y"`` is mass ``X`` per
    ore unit ``Y`` (``g/t``, ``kg/t``, ``g/m3``). A grade unit that does not fit the ore and
    component units gives the plain ratio in ``"<metal unit>/<ore unit>"``.

    >>> grade_factor("t", "kg", "g/t")
    (1000.0, 'g/t')
    >>> grade_factor("t", "t", "%")
    (100.0, '%')
    >>> grade_factor("m3", "kg", "%")
    (1.0, 'kg/m3')
    """
    metal_g = _MASS_G.get(metal_unit)
    if metal_g is not None:
        if grade_unit in _PER_UNIT and ore_unit == "t":
            return metal_g / 1.0e6 * _PER_UNIT[grade_unit], grade_unit
        num, sep, den = (p.strip() for p in grade_unit.partition("/"))
        if sep and den == ore_unit and num in _MASS_G:
            return metal_g / _MASS_G[num], grade_unit
    if grade_unit == f"{metal_unit}/{ore_unit}":
        return 1.0, grade_unit
    return 1.0, f"{metal_unit}/{ore_unit}"


@contextmanager
def _snapshot(engine: Engine) -> Iterator:
    """A connection whose reads all see one state of the registry (a report runs several
    queries): one SQLite transaction; REPEATABLE READ on PostgreSQL."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


# ---------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class _Filters:
    deposit_id: int | None
    commodity_id: int | None
    unit_ids: tuple[int, ...] | None  # the district asked for and every unit below it


@dataclass(frozen=True)
class _Registry:
    """Names and hierarchy read once per report (a few thousand rows at most)."""

    deposits: pd.DataFrame  # index id: name, admin_unit_id, status, fund, holder
    commodities: pd.DataFrame  # index id: code, ore_unit, component_unit, grade_unit
    units: dict[int, tuple[str, str, int | None]]  # id -> (name, level, parent_id)
    aliases: dict[str, int]  # alias -> deposit id

    @classmethod
    def load(cls, conn, when: dt.date) -> _Registry:
        deposits = pd.DataFrame.from_records(
            _tuples(conn.execute(select(Deposit.id, Deposit.name, Deposit.admin_unit_id,
                                        Deposit.status, Deposit.fund))),
            columns=["id", "name", "admin_unit_id", "status", "fund"]).set_index("id")
        holders: dict[int, set[str]] = {}
        lic = conn.execute(
            select(Licence.deposit_id, Organisation.name)
            .join(Organisation, Organisation.id == Licence.holder_id)
            .where((Licence.issued.is_(None)) | (Licence.issued < when),
                   (Licence.expires.is_(None)) | (Licence.expires >= when)))
        for dep_id, holder in lic:
            holders.setdefault(dep_id, set()).add(holder)
        deposits["holder"] = [("; ".join(sorted(holders[i])) if i in holders else NO_LICENCE)
                              for i in deposits.index]
        commodities = pd.DataFrame(
            conn.execute(select(Commodity.id, Commodity.code, Commodity.ore_unit,
                                Commodity.component_unit, Commodity.grade_unit)).all(),
            columns=["id", "code", "ore_unit", "component_unit", "grade_unit"]).set_index("id")
        units = {i: (n, lv, p) for i, n, lv, p in conn.execute(
            select(AdminUnit.id, AdminUnit.name, AdminUnit.level, AdminUnit.parent_id))}
        aliases = dict(conn.execute(select(DepositAlias.alias, DepositAlias.deposit_id)).all())
        return cls(deposits, commodities, units, aliases)

    # ------------------------------------------------------------ hierarchy
    def chain(self, unit_id: int) -> list[int]:
        """``unit_id`` and its ancestors up to the root (a cycle is an error)."""
        out, seen = [], set()
        cur: int | None = unit_id
        while cur is not None:
            if cur in seen:
                raise ParameterError(f"administrative unit {self.units[cur][0]!r}: its parents "
                                     "form a cycle; fix parent_id in the registry")
            seen.add(cur)
            out.append(cur)
            cur = self.units[cur][2]
        return out

    def path(self, unit_id: int) -> str:
        return _PATH_SEP.join(self.units[u][0] for u in reversed(self.chain(unit_id)))

    def subtree(self, unit_id: int) -> tuple[int, ...]:
        children: dict[int | None, list[int]] = {}
        for uid, (_, _, parent) in self.units.items():
            children.setdefault(parent, []).append(uid)
        out: set[int] = set()
        todo = [unit_id]
        while todo:
            u = todo.pop()
            if u not in out:
                out.add(u)
                todo.extend(children.get(u, []))
        return tuple(sorted(out))

    def find_unit(self, name: str) -> int:
        want = name.strip()
        hits = [u for u in self.units if self.units[u][0] == want or self.path(u) == want]
        if not hits:
            raise ParameterError(f"district {name!r}: no administrative unit of that name or "
                                 f"path (path form: 'Country{_PATH_SEP}Region{_PATH_SEP}"
                                 "District')")
        if len(hits) > 1:
            raise ParameterError(f"district {name!r} is ambiguous; give its path, one of "
                                 f"{sorted(self.path(u) for u in hits)}")
        return hits[0]

    def filters(self, *, deposit: str | None, commodity: str | None,
                district: str | None) -> _Filters:
        dep_id = com_id = None
        if deposit is not None:
            hits = self.deposits.index[self.deposits["name"] == deposit]
            dep_id = int(hits[0]) if len(hits) else self.aliases.get(deposit)
            if dep_id is None:
                raise ParameterError(f"deposit {deposit!r}: not in the registry (name or alias)")
        if commodity is not None:
            hits = self.commodities.index[self.commodities["code"] == commodity]
            if not len(hits):
                raise ParameterError(f"commodity {commodity!r}: not in the registry; known: "
                                     f"{sorted(self.commodities['code'])}")
            com_id = int(hits[0])
        units = self.subtree(self.find_unit(district)) if district is not None else None
        return _Filters(dep_id, com_id, units)


# ---------------------------------------------------------------------------- the scans
_M = Movement.__table__
_D = Deposit.__table__
_YB = YearBalance.__table__
#: the keys of a balance line, the grouping of every scan
_LINE = ("deposit_id", "commodity_id", "category", "grp")


def _last_closed(conn, upto: dt.date) -> int | None:
    """The last closed year that ends on or before ``upto``."""
    return conn.scalar(select(func.max(ClosedYear.year))
                       .where(ClosedYear.year < upto.year))


def _source(conn, flt: _Filters, upto: dt.date):
    """Movements dated before ``upto``, as a subquery of the line keys, ``kind``, ``ore``,
    ``metal`` and ``effective_date``.

    Where a closed year ends on or before ``upto``, the last such year's frozen balance
    stands for every movement before it (one row per line, kind ``"opening"``, dated
    31 December) and only the movements since are read.
    """
    last = _last_closed(conn, upto)
    cols = [*_LINE, "kind", "ore", "metal", "effective_date"]
    date = _M.c.effective_date
    if last is None and conn.dialect.name == "sqlite":
        # over most of the table, walking the date index costs a random read per row: the
        # unary + (a no-op on the value) keeps SQLite off it, so that it reads the movements
        # in the order of the line index and aggregates them without sorting
        date = literal_column(f"+{_M.name}.effective_date", _M.c.effective_date.type)
    moves = select(*(_M.c[c] for c in cols)).where(date < upto)
    parts = [(moves, _M)]
    if last is not None:
        moves = moves.where(_M.c.effective_date >= dt.date(last + 1, 1, 1))
        opening = select(_YB.c.deposit_id, _YB.c.commodity_id, _YB.c.category, _YB.c.grp,
                         literal("opening").label("kind"), _YB.c.ore, _YB.c.metal,
                         literal(dt.date(last, 12, 31), _M.c.effective_date.type)
                         .label("effective_date")).where(_YB.c.year == last)
        # the frozen balance alone where it is the balance asked for (a year's start)
        parts = [(opening, _YB)] if upto == dt.date(last + 1, 1, 1) else [
            (moves, _M), (opening, _YB)]
    out = []
    for part, table in parts:
        if flt.deposit_id is not None:
            part = part.where(table.c.deposit_id == flt.deposit_id)
        if flt.commodity_id is not None:
            part = part.where(table.c.commodity_id == flt.commodity_id)
        if flt.unit_ids is not None:
            part = part.where(table.c.deposit_id.in_(
                select(_D.c.id).where(_D.c.admin_unit_id.in_(flt.unit_ids))))
        out.append(part)
    return (out[0] if len(out) == 1 else union_all(*out)).subquery("src")


def _keys(conn, dims: Sequence[str], info_district: bool, when: dt.date) -> tuple[str, ...]:
    """What the database groups by: the balance line where deposits are reported one by one,
    and on SQLite when it must read the whole ledger (its ``GROUP BY`` is then cheapest in the
    order of the line index); otherwise (PostgreSQL's hash aggregation, or a scan from a
    closed year) directly the deposits' fields the report needs."""
    full_scan = _last_closed(conn, when) is None
    if (conn.dialect.name == "sqlite" and full_scan or info_district
            or any(d in dims for d in ("deposit", "holder"))):
        return _LINE
    extra = [k for d, k in (("district", "admin_unit_id"), ("status", "status"),
                            ("fund", "fund")) if d in dims]
    return ("commodity_id", "category", "grp", *extra)


def _key_columns(src, keys: Sequence[str]):
    """The key columns over ``src`` (movements or the source subquery), and the FROM clause:
    joined to the deposits for their fields."""
    cols = [(_D.c[k] if k in _DEPOSIT_FIELDS else src.c[k]).label(k) for k in keys]
    joined = any(k in _DEPOSIT_FIELDS for k in keys)
    return cols, (src.join(_D, _D.c.id == src.c.deposit_id) if joined else src)


_DEPOSIT_FIELDS = ("admin_unit_id", "status", "fund")


def _scan_balance(conn, flt: _Filters, as_of: dt.date,
                  keys: Sequence[str] = _LINE) -> pd.DataFrame:
    """Ore and metal per ``keys`` as at the start of ``as_of``: one ``GROUP BY`` scan."""
    src = _source(conn, flt, as_of)
    cols, frm = _key_columns(src, keys)
    q = (select(*cols, func.sum(src.c.ore).label("ore"), func.sum(src.c.metal).label("metal"))
         .select_from(frm).group_by(*cols))
    return _frame(conn.execute(q), [*keys, "ore", "metal"], len(keys))


def _scan_year(conn, flt: _Filters, start: dt.date, end: dt.date,
               keys: Sequence[str] = _LINE) -> pd.DataFrame:
    """Per ``keys``: the balance at ``start`` (:func:`_scan_balance`), then the movements over
    [start, end) summed by kind in one ``GROUP BY`` of ``SUM(CASE WHEN …)`` that reads only
    that year (date index), and ``end = start + Σ movements``. Transfers are split per leg
    (row), so the split is the same at any level of grouping."""
    keys = list(keys)
    opening = _scan_balance(conn, flt, start, keys).set_index(keys)
    m = _M.c
    cols, frm = _key_columns(_M, keys)
    q = select(*cols, m.kind,
               *(func.sum(case((m[v] > 0, m[v]), else_=0.0)).label(f"in_{v}")
                 for v in ("ore", "metal")),
               *(func.sum(case((m[v] < 0, m[v]), else_=0.0)).label(f"out_{v}")
                 for v in ("ore", "metal"))).select_from(frm)
    q = q.where(m.effective_date >= start, m.effective_date < end)
    if flt.deposit_id is not None:
        q = q.where(m.deposit_id == flt.deposit_id)
    if flt.commodity_id is not None:
        q = q.where(m.commodity_id == flt.commodity_id)
    if flt.unit_ids is not None:
        q = q.where(m.deposit_id.in_(select(_D.c.id).where(_D.c.admin_unit_id.in_(
            flt.unit_ids))))
    q = q.group_by(*cols, m.kind)
    moves = _frame(conn.execute(q), [*keys, "kind", "in_ore", "in_metal", "out_ore",
                                     "out_metal"], len(keys) + 1)
    # long form: one row per line × movement column, then one column per movement
    legs = [moves.assign(col=moves["kind"], ore=moves["in_ore"] + moves["out_ore"],
                         metal=moves["in_metal"] + moves["out_metal"])]
    transfers = moves[moves["kind"] == "transfer"]
    legs[0] = legs[0][legs[0]["kind"] != "transfer"]
    legs.append(transfers.assign(col="transfer_in", ore=transfers["in_ore"],
                                 metal=transfers["in_metal"]))
    legs.append(transfers.assign(col="transfer_out", ore=transfers["out_ore"],
                                 metal=transfers["out_metal"]))
    long = pd.concat(legs, ignore_index=True)
    wide = long.groupby([*keys, "col"])[["ore", "metal"]].sum().unstack("col", fill_value=0.0)
    index = opening.index.union(wide.index) if len(wide) else opening.index
    out = pd.DataFrame(index=index)
    for q_ in ("ore", "metal"):
        out[f"start_{q_}"] = opening[q_].reindex(index, fill_value=0.0)
        for col in YEARLY_MOVEMENTS:
            out[f"{col}_{q_}"] = (wide[(q_, col)].reindex(index, fill_value=0.0)
                                  if (q_, col) in wide else 0.0)
        out[f"end_{q_}"] = out[f"start_{q_}"] + out[[f"{c}_{q_}" for c in YEARLY_MOVEMENTS]
                                                    ].sum(axis=1)
    order = [f"{w}_{q_}" for q_ in ("ore", "metal") for w in ("start", *YEARLY_MOVEMENTS, "end")]
    return out[order].reset_index()


def _tuples(result) -> list[tuple]:
    """The rows of ``result`` as the driver's plain tuples (for columns that need no
    conversion: ids, names, codes, doubles)."""
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _frame(result, columns: list[str], n_keys: int = len(_LINE)) -> pd.DataFrame:
    """A DataFrame from a result; the first ``n_keys`` columns are keys (ids as int64, a
    missing unit as -1), the others float64.

    The rows are fetched as the driver's plain tuples (no value needs converting here: ids,
    codes and doubles), far faster than through row objects on 10⁵ rows."""
    df = pd.DataFrame.from_records(_tuples(result), columns=columns)
    for i, c in enumerate(columns):
        if c == "admin_unit_id":
            df[c] = df[c].fillna(_NO_UNIT_KEY).astype("int64")
        elif c.endswith("_id"):
            df[c] = df[c].astype("int64")
        elif i >= n_keys:
            df[c] = df[c].astype("float64")
    return df


# ---------------------------------------------------------------------------- assembling
# The grouped scan is small next to the ledger, but a report is assembled on every request of
# the service: the steps below work on NumPy arrays of integer codes (a few dozen array
# operations whatever the size) and build one DataFrame at the end.
def _report(raw: pd.DataFrame, dims: tuple[str, ...], reg: _Registry, system: str,
            cw: Crosswalk | None, values: list[str], *, with_totals: bool,
            info_district: bool, grades: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Name, classify, roll up the hierarchy, sort and total the per-line sums ``raw``, and add
    the ``grades`` (name, ore column, metal column)."""
    vals = raw[values].to_numpy(dtype=float).reshape(len(raw), len(values))
    dep = raw["deposit_id"].to_numpy(np.int64) if "deposit_id" in raw else None
    # 1. reduce the lines to the fields asked for
    keys: dict[str, np.ndarray] = {"commodity_id": raw["commodity_id"].to_numpy(np.int64),
                                   "category": raw["category"].to_numpy(object),
                                   "grp": raw["grp"].to_numpy(object)}
    if "deposit" in dims:
        keys["deposit_id"] = dep
    for field in ("holder", "status", "fund"):
        if field in dims:
            keys[field] = (reg.deposits[field].reindex(dep).to_numpy(object) if dep is not None
                           else raw[field].to_numpy(object))
    units = _unit_table(reg) if "district" in dims or info_district else None
    if units is not None:
        unit = (reg.deposits["admin_unit_id"].reindex(dep) if dep is not None
                else raw["admin_unit_id"])
        unit = pd.Series(unit).fillna(_NO_UNIT_KEY).to_numpy(np.int64)
        keys["unit"] = np.searchsorted(units.key, unit)      # position in the unit table
    first, vals = _group_sum(list(keys.values()), vals)
    keys = {k: v[first] for k, v in keys.items()}
    # 2. classes
    classes = {(c, g): _classify(c, g, system, cw) for c in CATEGORIES for g in GROUPS}
    keys["class"] = np.array([classes.get((c, g), UNMAPPED)
                              for c, g in zip(keys["category"], keys["grp"], strict=True)],
                             dtype=object)
    # 3. the hierarchy: every row counts in its unit and in every unit above it
    if "district" in dims:
        reps = units.n_above[keys["unit"]]
        rows = np.repeat(np.arange(len(vals)), reps)
        step = np.arange(len(rows)) - np.repeat(np.cumsum(reps) - reps, reps)
        above = units.above[np.repeat(units.above_start[keys["unit"]], reps) + step]
        keys = {k: v[rows] for k, v in keys.items()}
        keys["unit"], vals = above, vals[rows]
    field_key = {"district": "unit", "deposit": "deposit_id", "commodity": "commodity_id",
                 "category": "class", "group": "grp", "holder": "holder", "status": "status",
                 "fund": "fund"}
    group_by = [field_key[d] for d in dims]
    if info_district and "district" not in dims:
        group_by.append("unit")
    first, vals = _group_sum([keys[k] for k in group_by], vals)
    keys = {k: keys[k][first] for k in group_by}
    keep = (np.abs(vals) > TOLERANCE).any(axis=1)
    keys, vals = {k: v[keep] for k, v in keys.items()}, vals[keep]
    # 4. names, then sort by the fields in their order
    codes = reg.commodities["code"].reindex(keys["commodity_id"]).to_numpy(object)
    cols: dict[str, np.ndarray] = {}
    order_by = []
    cat_rank = {c: i for i, c in enumerate(_class_order(system, cw))}
    grp_rank = {g: i for i, g in enumerate(GROUPS)}
    for d in dims:
        if d == "district":
            u = keys["unit"]
            cols.update(district=units.path[u], level=units.level[u], depth=units.depth[u])
            order_by.append(units.rank[u])
            continue
        if d == "deposit":
            cols[d] = reg.deposits["name"].reindex(keys["deposit_id"]).to_numpy(object)
            if info_district and "district" not in dims:
                cols["district"] = units.path[keys["unit"]]
        elif d == "commodity":
            cols[d] = codes
        else:
            cols[d] = keys[field_key[d]]
        if d == "category":
            order_by.append(np.array([cat_rank.get(c, len(cat_rank)) for c in cols[d]]))
        elif d == "group":
            order_by.append(np.array([grp_rank.get(g, len(grp_rank)) for g in cols[d]]))
        else:
            order_by.append(np.unique(cols[d].astype(str), return_inverse=True)[1])
    order = np.lexsort(order_by[::-1]) if len(vals) else np.arange(0)
    cols = {k: v[order] for k, v in cols.items()}
    vals, codes = vals[order], codes[order]
    total = np.zeros(len(vals), dtype=bool)
    if with_totals and len(vals):
        cols, vals, codes, total = _with_totals(cols, vals, codes, total, dims)
    # 5. units and grades of each row's commodity (totals rows last)
    com = reg.commodities.set_index("code")
    per_code = {c: (com.at[c, "ore_unit"], com.at[c, "component_unit"],
                    *grade_factor(com.at[c, "ore_unit"], com.at[c, "component_unit"],
                                  com.at[c, "grade_unit"])) for c in set(codes)}
    info = [per_code[c] for c in codes]
    cols["ore_unit"] = np.array([i[0] for i in info], dtype=object)
    cols["metal_unit"] = np.array([i[1] for i in info], dtype=object)
    cols["grade_unit"] = np.array([i[3] for i in info], dtype=object)
    factor = np.array([i[2] for i in info], dtype=float)
    for j, name in enumerate(values):
        cols[name] = vals[:, j]
    for name, ore, metal in grades:
        o, m = cols[ore], cols[metal]
        with np.errstate(divide="ignore", invalid="ignore"):
            cols[name] = np.where(o > TOLERANCE, m / np.where(o > TOLERANCE, o, 1.0) * factor,
                                  np.nan)
    cols["total"] = total
    out = pd.DataFrame(cols)
    if "depth" in out:
        out["depth"] = out["depth"].astype(int)
    return out


def _with_totals(cols: dict[str, np.ndarray], vals: np.ndarray, codes: np.ndarray,
                 total: np.ndarray, dims) -> tuple:
    """The rows followed by one totals row per commodity (in code order): the sum over the
    roots of the hierarchy, or over every row; labelled ``Total`` in the first field that is
    not the commodity (``"<code> total"`` when there is none)."""
    base = cols["depth"] == 0 if "district" in dims else np.ones(len(vals), dtype=bool)
    names, which = np.unique(codes[base].astype(str), return_inverse=True)
    sums = np.stack([np.bincount(which, weights=vals[base, j], minlength=len(names))
                     for j in range(vals.shape[1])], axis=1)
    first_other = next((d for d in dims if d != "commodity"), None)
    extra = {col: np.full(len(names), TOTAL if col == first_other else "", dtype=object)
             for col in cols}
    extra["commodity"] = (names.astype(object) if first_other is not None else
                          np.array([f"{n} {TOTAL.lower()}" for n in names], dtype=object))
    if "depth" in extra:
        extra["depth"] = np.zeros(len(names), dtype=np.int64)
    return ({k: np.concatenate([v, extra[k]]) for k, v in cols.items()},
            np.concatenate([vals, sums]), np.concatenate([codes, names.astype(object)]),
            np.concatenate([total, np.ones(len(names), dtype=bool)]))


def _group_sum(keys: list[np.ndarray], vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal ``keys`` summed: the index of each group's first row (groups in the
    order they first appear) and the sums (groups × values)."""
    code = np.zeros(len(vals), dtype=np.int64)
    for k in keys:
        c, uniques = pd.factorize(k, use_na_sentinel=False)
        code, _ = pd.factorize(code * (len(uniques) + 1) + c)
    group, first = np.unique(code, return_index=True)
    sums = np.stack([np.bincount(code, weights=vals[:, j], minlength=len(group))
                     for j in range(vals.shape[1])], axis=1) if vals.shape[1] else vals[first]
    return first, sums.reshape(len(first), vals.shape[1])


_NO_UNIT_KEY = -1


def _classify(category: str, group: str, system: str, cw: Crosswalk | None) -> str:
    if system == "state":
        return category
    return cw.map(category, group, system) or UNMAPPED


@dataclass(frozen=True)
class _Units:
    """The administrative units (and "no district") as arrays by position: ``key`` (unit id,
    sorted), ``path``, ``level``, ``depth``, ``rank`` (depth-first order), and each unit's
    chain up to the root (itself first): ``above[above_start[i]:][:n_above[i]]``."""

    key: np.ndarray
    path: np.ndarray
    level: np.ndarray
    depth: np.ndarray
    rank: np.ndarray
    above: np.ndarray
    above_start: np.ndarray
    n_above: np.ndarray


def _unit_table(reg: _Registry) -> _Units:
    key = np.array(sorted([*reg.units, _NO_UNIT_KEY]), dtype=np.int64)
    pos = {int(u): i for i, u in enumerate(key)}
    chains = [reg.chain(int(u)) if u != _NO_UNIT_KEY else [_NO_UNIT_KEY] for u in key]
    path = [reg.path(int(u)) if u != _NO_UNIT_KEY else NO_DISTRICT for u in key]
    level = [(reg.units[int(u)][1] or "") if u != _NO_UNIT_KEY else "" for u in key]
    sort_key = [tuple(reg.units[a][0] for a in reversed(ch)) if ch[0] != _NO_UNIT_KEY
                else ("\uffff",) for ch in chains]                    # "no district" last
    rank = np.empty(len(key), dtype=np.int64)
    rank[sorted(range(len(key)), key=lambda i: sort_key[i])] = np.arange(len(key))
    n_above = np.array([len(ch) for ch in chains], dtype=np.int64)
    return _Units(key, np.array(path, dtype=object), np.array(level, dtype=object),
                  np.array([0 if ch[0] == _NO_UNIT_KEY else len(ch) - 1 for ch in chains],
                           dtype=np.int64), rank,
                  np.array([pos[a] for ch in chains for a in ch], dtype=np.int64),
                  np.cumsum(n_above) - n_above, n_above)


def _class_order(system: str, cw: Crosswalk | None) -> list[str]:
    if system == "state":
        return list(CATEGORIES)
    seen: list[str] = []
    for cat in CATEGORIES:
        for g in GROUPS:
            c = _classify(cat, g, system, cw)
            if c not in seen and c != UNMAPPED:
                seen.append(c)
    if system == "unfc":
        seen.sort()
    return [*seen, UNMAPPED]


# ---------------------------------------------------------------------------- checks
def _check_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or not (
            1 <= int(year) <= 9998):
        raise ParameterError(f"year must be a whole year between 1 and 9998, got {year!r}")
    return int(year)


def _check_date(as_of) -> dt.date:
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of.strip())
        except ValueError:
            pass
    raise ParameterError(f"as_of must be a date (ISO 8601, e.g. 2021-01-01), got {as_of!r}")


def _check_by(by) -> tuple[str, ...]:
    if isinstance(by, str):
        by = [b for b in by.replace(";", ",").split(",") if b.strip()]
    dims = [str(b).strip().lower() for b in by]
    bad = [b for b in dims if b not in BY_FIELDS]
    if bad:
        raise ParameterError(f"by: unknown field(s) {bad}; expected some of {list(BY_FIELDS)}")
    if len(set(dims)) != len(dims):
        raise ParameterError(f"by: a field is given twice in {dims}")
    if "commodity" not in dims:  # figures of different commodities are never summed
        dims.insert(0, "commodity")
    return tuple(dims)


def _crosswalk(system: str, crosswalk) -> Crosswalk | None:
    if system not in SYSTEMS:
        raise ParameterError(f"system must be one of {list(SYSTEMS)}, got {system!r}")
    if isinstance(crosswalk, Crosswalk):
        return crosswalk
    if system == "state" and crosswalk is None:
        return None
    return read_crosswalk(crosswalk)
