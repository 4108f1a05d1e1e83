"""Reconciliation of published totals against the deposit records of the registry.

A published total (``PublishedTotal`` with an administrative unit) is a figure quoted in a
report or the press: "reserves of the district until 1993: 130 t of gold". It is set against
the **records** of the deposits of that unit (and of every unit below it), one record per
deposit:

1. the deposit's balance in the ledger as at the date the total refers to (``as_of_date``;
   else the day it was published; else all movements), summed over the balance group of the
   total's category (all of A, B, C1, C2 when the total gives none), when the ledger holds
   movements of that commodity for the deposit before that date;
2. otherwise a figure published for the deposit itself (``PublishedTotal`` with a deposit) of
   the same commodity and category; where several are published, the one referring to the
   same date as the total, else the latest; the others are listed, not counted.

A record is **comparable** when it is a ledger balance, or a published figure for the same date
that is not marked uncertain, of a deposit whose district is certain. The report gives, per
total: the quoted figure, the sum of the records, the part accounted for (%), the remainder,
the comparable part, the deposits contributing, and the other figures published for the same
total (unit, commodity, category) that disagree with it by more than ``tolerance``.

It never splits a remainder among deposits: what no source gives stays a remainder.
Figures are in the commodity's component unit (metal) or ore unit (ore).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from orebook.balance.ledger import TOLERANCE
from orebook.balance.schema import (
    AdminUnit,
    Commodity,
    Deposit,
    Movement,
    PublishedTotal,
)
from orebook.errors import NotFoundError, ParameterError

__all__ = ["Reconciliation", "reconcile", "write_reconciliation", "xlsx_safe"]

#: Relative difference above which two figures of the same total disagree (statements round).
DEFAULT_TOLERANCE = 0.005


@dataclass(frozen=True)
class Reconciliation:
    """The three tables of a reconciliation.

    ``totals``: one row per published total of an administrative unit; ``contributions``: one
    row per total × deposit record (``counted`` says whether it enters the sum);
    ``disagreements``: one row per pair of different figures published for the same total.
    """

    totals: pd.DataFrame
    contributions: pd.DataFrame
    disagreements: pd.DataFrame


TOTAL_COLUMNS = ["total_id", "unit", "commodity", "category", "quantity", "measure", "quoted",
                 "as_of", "as_of_date", "published_on", "source", "quoted_by",
                 "deposit_count_quoted", "records_as_at", "records", "accounted_pct",
                 "remainder", "comparable", "comparable_pct", "deposits", "contributors",
                 "other_figures"]
CONTRIBUTION_COLUMNS = ["total_id", "unit", "commodity", "deposit", "basis", "figure",
                        "as_of", "source", "counted", "comparable", "flags"]
DISAGREEMENT_COLUMNS = ["scope", "commodity", "category", "quantity", "figure_a", "sources_a",
                        "figure_b", "sources_b", "difference", "difference_pct"]


def reconcile(engine: Engine, *, unit: str | None = None, commodity: str | None = None,
              tolerance: float = DEFAULT_TOLERANCE) -> Reconciliation:
    """Reconcile every published total (optionally of one unit path and its units below,
    and/or one commodity code) with the deposit records; see the module's description."""
    if not 0 <= tolerance < 1:
        raise ParameterError(f"tolerance {tolerance!r}: expected a fraction in [0, 1)")
    with Session(engine) as s, s.begin():
        units = {u.id: u for u in s.scalars(select(AdminUnit))}
        path = _paths(units)
        children = defaultdict(list)
        for u in units.values():
            children[u.parent_id].append(u.id)
        coms = {c.id: c for c in s.scalars(select(Commodity))}
        deposits = {d.id: d for d in s.scalars(select(Deposit))}
        published = list(s.scalars(select(PublishedTotal).order_by(PublishedTotal.id)))
        scope_units = None
        if unit is not None:
            wanted = "/".join(p.strip() for p in unit.split("/")).lower()
            hits = [i for i, p in path.items() if p.lower() == wanted]
            if not hits:
                raise NotFoundError(f"administrative unit {unit!r}: not in the registry")
            scope_units = _subtree(hits[0], children)
        com_id = None
        if commodity is not None:
            com_id = next((i for i, c in coms.items() if c.code.lower() == commodity.lower()),
                          None)
            if com_id is None:
                raise NotFoundError(f"commodity {commodity!r}: not in the registry")
        by_deposit = defaultdict(list)  # (deposit, commodity, category) -> figures
        for p in published:
            if p.deposit_id is not None:
                by_deposit[(p.deposit_id, p.commodity_id, p.category)].append(p)
        totals_rows, contrib_rows = [], []
        for t in published:
            if t.admin_unit_id is None:
                continue
            if scope_units is not None and t.admin_unit_id not in scope_units:
                continue
            if com_id is not None and t.commodity_id != com_id:
                continue
            com = coms[t.commodity_id]
            quantity = "metal" if t.metal is not None else "ore"
            measure = com.component_unit if quantity == "metal" else com.ore_unit
            quoted = t.metal if quantity == "metal" else t.ore
            as_at = t.as_of_date or t.published_on
            members = _subtree(t.admin_unit_id, children)
            deps = sorted((d for d in deposits.values() if d.admin_unit_id in members),
                          key=lambda d: d.name)
            ledger = _ledger_figures(s, [d.id for d in deps], t.commodity_id, t.category,
                                     as_at, quantity)
            rows = []
            for d in deps:
                if d.id in ledger:
                    rows.append({"deposit": d.name, "basis": "ledger", "figure": ledger[d.id],
                                     "as_of": f"as at {as_at}" if as_at else "all movements",
                                     "source": "the registry's ledger", "counted": True,
                                     "comparable": True,
                                     "flags": "district uncertain" if d.district_uncertain
                                     else ""})
                    if d.district_uncertain:
                        rows[-1]["comparable"] = False
                    continue
                figures = [p for p in by_deposit.get((d.id, t.commodity_id, t.category), [])
                           if getattr(p, quantity) is not None]
                chosen = _choose(figures, t.as_of_date)
                for p in figures:
                    flags = ["published for the deposit"]
                    if p.uncertain:
                        flags.append("figure uncertain")
                    if d.district_uncertain:
                        flags.append("district uncertain")
                    same_date = t.as_of_date is not None and p.as_of_date == t.as_of_date
                    if not same_date:
                        flags.append("refers to another or no stated date")
                    if p is not chosen:
                        flags.append("not counted: another figure of the deposit is")
                    rows.append({"deposit": d.name, "basis": "published",
                                     "figure": getattr(p, quantity),
                                     "as_of": p.as_of or (str(p.as_of_date) if p.as_of_date
                                                       else ""),
                                     "source": p.source, "counted": p is chosen,
                                     "comparable": (p is chosen and same_date and not p.uncertain
                                                 and not d.district_uncertain),
                                     "flags": "; ".join(flags)})
            records = sum(r["figure"] for r in rows if r["counted"])
            comparable = sum(r["figure"] for r in rows if r["counted"] and r["comparable"])
            counted = [r for r in rows if r["counted"] and abs(r["figure"]) > TOLERANCE]
            totals_rows.append({
                "total_id": t.id, "unit": path[t.admin_unit_id], "commodity": com.code,
                "category": t.category or "all", "quantity": quantity, "measure": measure,
                "quoted": quoted, "as_of": t.as_of or "", "as_of_date": t.as_of_date,
                "published_on": t.published_on, "source": t.source, "quoted_by": t.quoted_by or "",
                "deposit_count_quoted": t.deposit_count,
                "records_as_at": str(as_at) if as_at else "all movements",
                "records": records, "accounted_pct": _pct(records, quoted),
                "remainder": quoted - records, "comparable": comparable,
                "comparable_pct": _pct(comparable, quoted), "deposits": len(counted),
                "contributors": "; ".join(f"{r['deposit']} {r['figure']:g} ({r['basis']}"
                                       f"{', ' + r['flags'] if r['flags'] else ''})"
                                       for r in counted),
                "other_figures": ""})
            for r in rows:
                contrib_rows.append(dict(total_id=t.id, unit=path[t.admin_unit_id],
                                         commodity=com.code, **r))
        disagreements = _disagreements(published, path, deposits, coms, tolerance,
                                       scope_units, com_id)
    totals = pd.DataFrame(totals_rows, columns=TOTAL_COLUMNS)
    _other_figures(totals, tolerance)
    return Reconciliation(totals, pd.DataFrame(contrib_rows, columns=CONTRIBUTION_COLUMNS),
                          pd.DataFrame(disagreements, columns=DISAGREEMENT_COLUMNS))


def write_reconciliation(rec: Reconciliation, path: str | Path) -> list[Path]:
    """Write the reconciliation: ``.xlsx`` as one workbook with the sheets totals,
    contributions and disagreements; ``.csv`` as three files (``NAME.csv``,
    ``NAME-contributions.csv``, ``NAME-disagreements.csv``). Atomic; returns the paths."""
    from orebook.io.writing import atomic_output, write_table

    path = Path(path)
    suffix = path.suffix.lower()
    sheets = {"totals": rec.totals, "contributions": rec.contributions,
              "disagreements": rec.disagreements}
    if suffix == ".xlsx":
        with atomic_output(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, df in sheets.items():
                xlsx_safe(df).to_excel(xl, sheet_name=name, index=False)
        return [path]
    if suffix == ".csv":
        out = []
        for name, df in sheets.items():
            target = path if name == "totals" else path.with_name(f"{path.stem}-{name}.csv")
            out.append(write_table(df, target))
        return out
    raise ParameterError(f"output {path}: expected a .csv or .xlsx file name")


def xlsx_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the control characters a worksheet cannot hold removed from its text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v)
                                if isinstance(v, str) else v)
    return out


# ---------------------------------------------------------------------------- helpers
def _paths(units: dict) -> dict[int, str]:
    out = {}
    for i in units:
        parts, j = [], i
        while j is not None:
            parts.append(units[j].name)
            j = units[j].parent_id
        out[i] = "/".join(reversed(parts))
    return out


def _subtree(root: int, children: dict) -> set[int]:
    out, todo = set(), [root]
    while todo:
        u = todo.pop()
        if u not in out:
            out.add(u)
            todo.extend(children.get(u, []))
    return out


def _ledger_figures(s: Session, deposit_ids: list[int], commodity_id: int,
                    category: str | None, as_at: dt.date | None,
                    quantity: str) -> dict[int, float]:
    """Balance-group figures of the deposits whose ledger holds movements of the commodity
    before ``as_at`` (all movements when None)."""
    if not deposit_ids:
        return {}
    column = Movement.metal if quantity == "metal" else Movement.ore
    q = (select(Movement.deposit_id, func.sum(column))
         .where(Movement.deposit_id.in_(deposit_ids), Movement.commodity_id == commodity_id,
                Movement.group == "balance")
         .group_by(Movement.deposit_id))
    if category is not None:
        q = q.where(Movement.category == category)
    if as_at is not None:
        q = q.where(Movement.effective_date < as_at)
    return {d: (0.0 if abs(v) <= TOLERANCE else float(v)) for d, v in s.execute(q)}


def _choose(figures: list, as_of_date: dt.date | None):
    if not figures:
        return None
    same = [p for p in figures if as_of_date is not None and p.as_of_date == as_of_date]
    if same:
        return same[-1]
    return max(figures, key=lambda p: (p.as_of_date or p.published_on or dt.date.min, p.id))


def _pct(part: float, whole: float | None) -> float:
    if whole is None or abs(whole) <= TOLERANCE:
        return float("nan")
    return 100.0 * part / whole


def _differ(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) > tolerance * max(abs(a), abs(b)) + TOLERANCE


def _describe(p) -> str:
    when = p.as_of or (str(p.as_of_date) if p.as_of_date else "")
    return f"{p.source}{' (' + when + ')' if when else ''}"


def _disagreements(published, path, deposits, coms, tolerance, scope_units, com_id) -> list:
    groups = defaultdict(list)
    for p in published:
        if com_id is not None and p.commodity_id != com_id:
            continue
        if p.admin_unit_id is not None:
            if scope_units is not None and p.admin_unit_id not in scope_units:
                continue
            scope = path[p.admin_unit_id]
        else:
            dep = deposits[p.deposit_id]
            if scope_units is not None and dep.admin_unit_id not in scope_units:
                continue
            scope = dep.name
        for quantity in ("metal", "ore"):
            value = getattr(p, quantity)
            if value is not None:
                groups[(scope, coms[p.commodity_id].code, p.category or "all",
                        quantity)].append((value, p))
    out = []
    for (scope, code, cat, quantity), items in groups.items():
        figures: list[tuple[float, list]] = []  # distinct figures, with their sources
        for value, p in items:
            for f in figures:
                if not _differ(f[0], value, tolerance):
                    f[1].append(p)
                    break
            else:
                figures.append((value, [p]))
        for i in range(len(figures)):
            for j in range(i + 1, len(figures)):
                (a, pa), (b, pb) = figures[i], figures[j]
                out.append({"scope": scope, "commodity": code, "category": cat, "quantity": quantity,
                                "figure_a": a, "sources_a": "; ".join(_describe(p) for p in pa),
                                "figure_b": b, "sources_b": "; ".join(_describe(p) for p in pb),
                                "difference": b - a, "difference_pct": _pct(b - a, a)})
    return out


def _other_figures(totals: pd.DataFrame, tolerance: float) -> None:
    """Fill ``other_figures``: the figures of the same total that disagree with this one."""
    if not len(totals):
        return
    keys = ["unit", "commodity", "category", "quantity"]
    for _, group in totals.groupby(keys, sort=False):
        for i, row in group.iterrows():
            others = [f"{o.quoted:g} {o.measure} ({o.source}"
                      f"{', ' + o.as_of if o.as_of else ''})"
                      for o in group.itertuples() if _differ(o.quoted, row.quoted, tolerance)]
            totals.at[i, "other_figures"] = "; ".join(others)
