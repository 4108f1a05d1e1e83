"""A resource statement at one cut-off: tonnes, grade and metal by domain and class, with
subtotals and totals that add up, written as CSV, XLSX or Markdown with its parameters.

Rows (``level``)
----------------
- ``part``: one domain × class (only combinations that hold estimated blocks);
- ``subtotal``: every class of one domain (class ``(all)``), after the domain's parts;
- ``class total``: one class over every domain (domain ``(all)``);
- ``total``: every block (domain and class ``(all)``).

With only one of domain and class, the parts and the total; with neither, the total.

Exact values and what is shown
------------------------------
``Statement.table`` holds exact values: each part's tonnes and metal are sums over its blocks
(grade ≥ cut-off), and every subtotal and total is ``math.fsum`` of its parts (the correctly
rounded sum), so totals are the sums of their parts. The grade of any row is its metal over its
tonnes (Σt·g / Σt).

``Statement.display`` holds what is printed, rounded to ``decimals`` (tonnes, grade, metal) so
that the printed table adds up too (largest-remainder rounding, applied top down):

1. the grand total of tonnes (and of each metal) is rounded to the nearest unit of display;
2. it is shared out among the domain subtotals: each gets its exact value rounded down, and the
   units left over go to the subtotals with the largest remainders; each domain's printed
   subtotal is then shared out among its parts in the same way;
3. a class total is the sum of that class's printed parts.

So every printed total is the sum of the printed rows under it, every printed part or subtotal
is within one unit of display of its exact value, and the grand total is its exact value
rounded. Grades are not additive: each printed grade is its row's exact grade, rounded.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.units import metal_factor

from .tonnage import ALL, BlockTonnage, check_grades, unit_slug

__all__ = ["LEVELS", "STATEMENT_SUFFIXES", "Statement", "apportion", "resource_statement",
           "write_statement"]

LEVELS = ("part", "subtotal", "class total", "total")
STATEMENT_SUFFIXES = (".csv", ".xlsx", ".md")
_DEFAULT_DECIMALS = {"tonnes": 0, "grade": 2, "metal": 1}


@dataclass(frozen=True)
class Statement:
    """A resource statement (see the module docstring).

    Attributes
    ----------
    table : exact values: ``domain, class, level, blocks, tonnes_t, grade_<unit>`` and one
        ``metal_<unit>`` column per metal unit.
    display : the same rows rounded for printing (adds up; see the module docstring).
    cutoff : the cut-off grade (``grade_unit``); variable, grade_unit, metal_units: as named.
    parameters : everything that produced it (cut-off, density, model file and SHA-256, …).
    """

    table: pd.DataFrame
    display: pd.DataFrame
    cutoff: float
    variable: str
    grade_unit: str
    metal_units: tuple[str, ...]
    parameters: Mapping = field(default_factory=dict)

    @property
    def grade_column(self) -> str:
        return f"grade_{unit_slug(self.grade_unit)}"

    @property
    def metal_columns(self) -> list[str]:
        return [f"metal_{unit_slug(u)}" for u in self.metal_units]


def apportion(exact: Sequence[float], target: float) -> np.ndarray:
    """Whole numbers (as floats), each ``floor`` or ``floor + 1`` of ``exact``, summing to ``target``
    (largest remainders first; ties to the earlier row).

    ``target`` must lie within ``sum(floor(exact))`` … ``sum(floor(exact)) + len(exact)``,
    as it does when it is the rounded sum of ``exact`` or within one of it.

    >>> apportion([1.4, 1.4, 1.2], 4).tolist()
    [2.0, 1.0, 1.0]
    """
    x = np.asarray(exact, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0)
    if not (np.isfinite(x).all() and math.isfinite(target)):
        return np.round(x)
    base = np.floor(x)
    rest = x - base
    # k is in 0…n in exact arithmetic; divmod keeps the sum right should rounding of the
    # inputs push it one step outside (whole numbers as floats: exact up to 2⁵³)
    q, k = divmod(round(target - math.fsum(base)), x.size)
    order = np.argsort(-rest, kind="stable")
    out = base + q
    out[order[:k]] += 1
    return out


def _fsum(values) -> float:
    return math.fsum(float(v) for v in values)


def resource_statement(blocks: BlockTonnage, cutoff: float, *, grade_unit: str = "g/t",
                       metal_units: Sequence[str] = ("kg",),
                       decimals: Mapping[str, int] | None = None,
                       parameters: Mapping | None = None) -> Statement:
    """The statement of ``blocks`` above ``cutoff`` (grade ≥ cut-off).

    Parameters
    ----------
    blocks : from :func:`orebook.resources.tonnage.block_tonnage`; its ``domain`` and
        ``class`` groups, when present, make the rows.
    cutoff : cut-off grade in ``grade_unit``.
    metal_units : the metal columns (``t``, ``kg``, ``g``, ``oz``), each its own sums.
    decimals : display decimals for ``tonnes``, ``grade`` and ``metal`` (default 0, 2, 1;
        negative rounds to tens, hundreds…: −3 is thousands of tonnes).
    parameters : added to the statement's parameters (model file and hash, prices …).
    """
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.floating)) \
            or not math.isfinite(cutoff):
        raise ParameterError(f"cut-off: expected a finite number, got {cutoff!r}")
    metal_units = tuple(metal_units)
    if not metal_units:
        raise ParameterError("metal units: give at least one (t, kg, g, oz)")
    if len(set(metal_units)) != len(metal_units):
        raise ParameterError(f"metal units {list(metal_units)} repeat a unit")
    factors = [metal_factor(grade_unit, u) for u in metal_units]
    dec = dict(_DEFAULT_DECIMALS)
    for k, v in (decimals or {}).items():
        if k not in dec or isinstance(v, bool) or not isinstance(v, (int, np.integer)) \
                or not -9 <= v <= 9:
            raise ParameterError(f"decimals: expected tonnes, grade and metal as whole numbers "
                                 f"in −9…9, got {k}={v!r}")
        dec[k] = int(v)
    check_grades(blocks.grade, grade_unit)
    by = [b for b in ("domain", "class") if b in blocks.groups]
    ok = np.isfinite(blocks.grade)
    above = ok & (blocks.grade >= cutoff)
    sizes = [len(blocks.labels[b]) for b in by]
    combined = np.zeros(blocks.grade.size, dtype=np.int64)
    for b, s in zip(by, sizes):
        combined = combined * s + blocks.groups[b].astype(np.int64)
    ncomb = int(np.prod(sizes)) if by else 1
    present = np.flatnonzero(np.bincount(combined[ok], minlength=ncomb))
    nb = np.bincount(combined[above], minlength=ncomb)
    st = np.bincount(combined[above], weights=blocks.tonnes[above], minlength=ncomb)
    stg = np.bincount(combined[above], weights=blocks.tonnes[above] * blocks.grade[above],
                      minlength=ncomb)

    def label_of(code: int) -> dict:
        out, rest = {}, int(code)
        for b, s in zip(reversed(by), reversed(sizes)):
            out[b] = blocks.labels[b][rest % s]
            rest //= s
        return out

    parts = [{**label_of(c), "blocks": int(nb[c]), "t": float(st[c]), "tg": float(stg[c])}
             for c in present]
    rows: list[dict] = []

    def add(domain: str, cls: str, level: str, items: list[dict]) -> dict:
        row = {"domain": domain, "class": cls, "level": level,
               "blocks": int(sum(p["blocks"] for p in items)),
               "t": _fsum(p["t"] for p in items), "tg": _fsum(p["tg"] for p in items),
               "_items": items}
        rows.append(row)
        return row

    if len(by) == 2:
        domains = [d for d in blocks.labels["domain"] if any(p["domain"] == d for p in parts)]
        classes = [c for c in blocks.labels["class"] if any(p["class"] == c for p in parts)]
        for d in domains:
            mine = [p for p in parts if p["domain"] == d]
            for p in mine:
                add(d, p["class"], "part", [p])
            add(d, ALL, "subtotal", mine)
        for c in classes:
            add(ALL, c, "class total", [p for p in parts if p["class"] == c])
    elif by:
        for p in parts:
            add(p.get("domain", ALL), p.get("class", ALL), "part", [p])
    add(ALL, ALL, "total", parts)
    # the total is fsum of the parts (not of the subtotals): the parts are what adds up
    gcol = f"grade_{unit_slug(grade_unit)}"
    mcols = [f"metal_{unit_slug(u)}" for u in metal_units]
    data = []
    for r in rows:
        with np.errstate(invalid="ignore", divide="ignore"):
            grade = r["tg"] / r["t"] if r["t"] > 0 else math.nan
        d = {"domain": r["domain"], "class": r["class"], "level": r["level"],
             "blocks": r["blocks"], "tonnes_t": r["t"], gcol: grade}
        for c, f in zip(mcols, factors):
            d[c] = _fsum(p["tg"] * f for p in r["_items"])
        data.append(d)
    table = pd.DataFrame(data)
    if "domain" not in by:
        table = table.drop(columns="domain")
    if "class" not in by:
        table = table.drop(columns="class")
    display = _display(table, gcol, mcols, dec)
    params = {"cutoff": float(cutoff), "grade_unit": grade_unit,
              "metal_units": list(metal_units), "decimals": dec,
              "above_cutoff": "grade >= cutoff", **dict(blocks.parameters),
              "unestimated_blocks": blocks.unestimated, **dict(parameters or {})}
    return Statement(table, display, float(cutoff), str(blocks.parameters.get("variable", "")),
                     grade_unit, metal_units, params)


def _display(table: pd.DataFrame, gcol: str, mcols: list[str], dec: dict) -> pd.DataFrame:
    """Rounded copy of ``table`` whose printed totals add up (module docstring)."""
    out = table.copy()
    level = table["level"].to_numpy()
    for col, d in [("tonnes_t", dec["tonnes"])] + [(c, dec["metal"]) for c in mcols]:
        scale = 10.0 ** d
        exact = table[col].to_numpy() * scale
        shown = np.full(len(table), np.nan)
        total = int(np.flatnonzero(level == "total")[0])
        shown[total] = np.round(exact[total])
        subs = np.flatnonzero(level == "subtotal")
        parts = np.flatnonzero(level == "part")
        if subs.size:
            shown[subs] = apportion(exact[subs], shown[total])
            doms = table["domain"].to_numpy()
            for s in subs:
                mine = parts[doms[parts] == doms[s]]
                shown[mine] = apportion(exact[mine], shown[s])
            cls = table["class"].to_numpy()
            for c in np.flatnonzero(level == "class total"):
                shown[c] = shown[parts[cls[parts] == cls[c]]].sum()
        elif parts.size:
            shown[parts] = apportion(exact[parts], shown[total])
        out[col] = np.round(shown / scale, max(d, 0))
    out[gcol] = table[gcol].round(dec["grade"])
    return out


# -- writing ----------------------------------------------------------------------------------

_UNITS_TEXT = {"g/t": "g/t", "ppm": "ppm", "ppb": "ppb", "%": "%", "t": "t", "kg": "kg",
               "g": "g", "oz": "troy oz"}


def _headers(st: Statement) -> dict[str, str]:
    h = {"domain": "Domain", "class": "Class", "level": "Row", "blocks": "Blocks",
         "tonnes_t": "Tonnes (t)", st.grade_column: f"Grade ({_UNITS_TEXT[st.grade_unit]})"}
    for c, u in zip(st.metal_columns, st.metal_units):
        h[c] = f"Metal ({_UNITS_TEXT[u]})"
    return h


def _param_lines(st: Statement) -> list[tuple[str, str]]:
    """(name, value) pairs of the parameters, values as text."""
    import json

    out = []
    for k, v in st.parameters.items():
        if v is None:
            continue
        text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
        out.append((str(k), text))
    return out


def _fmt(value: float, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{max(decimals, 0)}f}"


def write_statement(st: Statement, path: str | Path) -> Path:
    """Write the statement as ``.csv``, ``.xlsx`` or ``.md`` (by suffix), atomically.

    - CSV: ``#`` lines with the title and the parameters, then the printed (rounded) columns
      and the exact ones (suffix ``_exact``); read it with ``pandas.read_csv(f, comment="#")``.
    - XLSX: sheet ``Statement`` (units in the header, subtotal and total rows bold, number
      formats at the display decimals) and sheet ``Parameters``.
    - Markdown: a title, the table (printed values) and the parameters as a list.
    """
    from orebook.io.writing import atomic_output, write_text_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in STATEMENT_SUFFIXES:
        raise ParameterError(f"output {path}: a statement is written as "
                             f"{', '.join(STATEMENT_SUFFIXES)}")
    title = (f"Resource statement: {st.variable} ≥ {st.cutoff:g} {st.grade_unit} "
             f"(orebook, {dt.date.today().isoformat()})")
    if suffix == ".csv":
        buf = io.StringIO()
        buf.write(f"# {title}\n")
        for k, v in _param_lines(st):
            buf.write(f"# {k}: {v}\n".replace("\r", " ").replace("\n", " ").rstrip() + "\n")
        df = st.display.copy()
        for c in ["tonnes_t", st.grade_column, *st.metal_columns]:
            df[f"{c}_exact"] = st.table[c]
        df.to_csv(buf, index=False, lineterminator="\n", float_format=None)
        return write_text_atomic(path, buf.getvalue())
    if suffix == ".md":
        return write_text_atomic(path, _markdown(st, title))
    with atomic_output(path) as tmp:
        _xlsx(st, title).save(tmp)
    return path


def _markdown(st: Statement, title: str) -> str:
    dec = st.parameters.get("decimals", _DEFAULT_DECIMALS)
    h = _headers(st)
    cols = [c for c in st.display.columns if c != "level"]
    lines = [f"# {title}", "", "| " + " | ".join(h[c] for c in cols) + " |",
             "|" + "|".join("---" if c in ("domain", "class") else "---:" for c in cols) + "|"]
    for _, row in st.display.iterrows():
        bold = row["level"] != "part"
        cells = []
        for c in cols:
            v = row[c]
            if c in ("domain", "class"):
                text = str(v)
            elif c == "blocks":
                text = f"{int(v):,}"
            elif c == "tonnes_t":
                text = _fmt(v, dec["tonnes"])
            elif c == st.grade_column:
                text = _fmt(v, dec["grade"])
            else:
                text = _fmt(v, dec["metal"])
            cells.append(f"**{text}**" if bold and text else text)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", ("Totals are the sums of the rows above them as printed (largest-remainder "
                   "rounding; see docs/resources.md). Grade = metal / tonnes of each row."),
              "", "## Parameters", ""]
    lines += [f"- {k}: `{v}`" for k, v in _param_lines(st)]
    return "\n".join(lines) + "\n"


def _xlsx(st: Statement, title: str):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    dec = st.parameters.get("decimals", _DEFAULT_DECIMALS)
    wb = Workbook()
    ws = wb.active
    ws.title = "Statement"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    h = _headers(st)
    cols = list(st.display.columns)
    ws.append([h[c] for c in cols])
    for cell in ws[2]:
        cell.font = Font(bold=True)

    def number_format(d: int) -> str:
        return "#,##0" + ("." + "0" * d if d > 0 else "")

    fmts = {"blocks": "#,##0", "tonnes_t": number_format(dec["tonnes"]),
            st.grade_column: number_format(dec["grade"])}
    fmts |= {c: number_format(dec["metal"]) for c in st.metal_columns}
    for _, row in st.display.iterrows():
        values = []
        for c in cols:
            v = row[c]
            if isinstance(v, (float, np.floating)) and math.isnan(v):
                v = None
            elif isinstance(v, np.generic):
                v = v.item()
            values.append(v)
        ws.append(values)
        r = ws.max_row
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=r, column=j)
            if c in fmts:
                cell.number_format = fmts[c]
            if row["level"] != "part":
                cell.font = Font(bold=True)
    for j, c in enumerate(cols, start=1):
        ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = max(
            12, len(h[c]) + 2)
    ps = wb.create_sheet("Parameters")
    ps.append(["parameter", "value"])
    for cell in ps[1]:
        cell.font = Font(bold=True)
    for k, v in _param_lines(st):
        ps.append([k, v])
    ps.column_dimensions["A"].width = 24
    ps.column_dimensions["B"].width = 80
    return wb
