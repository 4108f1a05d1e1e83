"""Write the balance reports (:mod:`orebook.balance.reports`) as CSV or as an XLSX spreadsheet.

The CSV is the report's table as is (one header line, every column, ``total`` marking the
totals rows), for other programs. The XLSX is for people: a title, the "as at" line, the
classification system, a header row whose labels carry the units, numbers stored as numbers,
bold totals rows, districts indented by their depth in the hierarchy, sensible column widths
and the header frozen. Both are written atomically (:func:`orebook.io.writing.atomic_output`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.io.writing import atomic_output, write_table

__all__ = ["REPORT_SUFFIXES", "describe", "write_report"]

REPORT_SUFFIXES = (".csv", ".xlsx")

#: the row of the sheet holding the column labels (title, as-at and system lines above it)
HEADER_ROW = 5

_UNIT_OF = {"ore": "ore_unit", "metal": "metal_unit", "grade": "grade_unit"}
_SYSTEM_NAMES = {"crirsco": "CRIRSCO resource", "crirsco-reserve": "CRIRSCO reserve",
                 "unfc": "UNFC"}
_WORDS = {
    "start": "at start", "end": "at end", "production": "production", "loss": "losses",
    "exploration": "exploration", "reevaluation": "re-evaluation", "writeoff": "write-off",
    "transfer_in": "transfers in", "transfer_out": "transfers out", "boundary": "boundary",
    "approval": "approval", "correction": "correction",
}


def describe(df: pd.DataFrame) -> tuple[str, str]:
    """The title and the "as at" line of a report, from the attributes the report functions
    set (``df.attrs``)."""
    a = df.attrs
    system = a.get("system", "state")
    cls = {"state": "state balance categories", "crirsco": "CRIRSCO resource classes",
           "crirsco-reserve": "CRIRSCO reserve classes", "unfc": "UNFC classes"}.get(
               system, system)
    if a.get("report") == "yearly form":
        title = f"State balance of mineral reserves: yearly form, {a['year']} ({cls})"
        line = (f"Reserves as at {_day(a['start'])} and as at {_day(a['end'])}, and their "
                f"movements during {a['year']}")
    else:
        title = f"State balance of mineral reserves: totals ({cls})"
        line = f"Reserves as at {_day(a['as_of'])}" if "as_of" in a else ""
    return title, line


def write_report(df: pd.DataFrame, path: str | Path, *, title: str | None = None,
                 as_at: str | None = None) -> Path:
    """Write a report DataFrame to ``path`` (``.csv`` or ``.xlsx``, by suffix), atomically.

    ``title`` and ``as_at`` (XLSX only) default to :func:`describe`'s.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ParameterError(f"output {path}: expected a .csv or .xlsx file name")
    if suffix == ".csv":
        return write_table(df, path)
    default_title, default_line = describe(df)
    with atomic_output(path) as tmp:
        _workbook(df, title or default_title, as_at if as_at is not None else default_line,
                  ).save(tmp)
    return path


def _day(d) -> str:
    d = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _workbook(df: pd.DataFrame, title: str, as_at: str):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Report"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = as_at
    a = df.attrs
    notes = []
    if a.get("system", "state") != "state":
        notes.append(f"Classes through the crosswalk {a.get('crosswalk') or '(default)'}; "
                     "unmapped lines are shown as 'unmapped'.")
    notes.append("Movements are signed changes: start + movements = end. Totals are per "
                 "commodity; district totals include every unit below them.")
    ws["A3"] = " ".join(notes)
    ws["A3"].font = Font(italic=True)

    columns, labels = _columns(df)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    line = Side(style="thin", color="999999")
    for j, label in enumerate(labels, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j, value=label)
        cell.font = bold
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=line)
    totals = df["total"].to_numpy(dtype=bool) if "total" in df else np.zeros(len(df), bool)
    depth = df["depth"].to_numpy() if "depth" in df else None
    widths = [min(max(len(w) for w in str(lbl).split()) + 2, 40) for lbl in labels]
    for i, row in enumerate(df[columns].itertuples(index=False), start=HEADER_ROW + 1):
        k = i - HEADER_ROW - 1
        for j, (col, value) in enumerate(zip(columns, row, strict=True), start=1):
            value = _cell_value(value)
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, float):
                cell.number_format = "0.00" if col.endswith("grade") else "#,##0.00"
            if col == "district" and depth is not None and not totals[k]:
                cell.alignment = Alignment(indent=int(depth[k]))
            if totals[k]:
                cell.font = bold
                cell.fill = total_fill
                cell.border = Border(top=line)
            shown = (f"{value:,.2f}" if isinstance(value, float) else str(value or ""))
            extra = int(depth[k]) if col == "district" and depth is not None else 0
            widths[j - 1] = min(max(widths[j - 1], len(shown) + 2 + extra), 45)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(w, 8)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    return wb


def _cell_value(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return value


def _columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The columns shown in the sheet and their labels: a unit column that holds one unit
    for every row is folded into the labels of its figures; otherwise it is shown."""
    data = df[~df["total"]] if "total" in df else df
    uniform = {}
    for q, ucol in _UNIT_OF.items():
        if ucol in df:
            units = pd.unique(data[ucol].dropna()) if len(data) else pd.unique(df[ucol].dropna())
            uniform[q] = str(units[0]) if len(units) == 1 else None
    columns, labels = [], []
    for col in df.columns:
        if col in ("total", "depth"):
            continue
        quantity = next((q for q in _UNIT_OF if col == q or col.endswith("_" + q)), None)
        if col in _UNIT_OF.values():
            q = next(k for k, v in _UNIT_OF.items() if v == col)
            if uniform.get(q):
                continue
            columns.append(col)
            labels.append(f"{q.capitalize()} unit")
            continue
        columns.append(col)
        if col == "category" and df.attrs.get("system", "state") != "state":
            labels.append(f"Class ({_SYSTEM_NAMES[df.attrs['system']]})")
            continue
        if quantity is None:
            labels.append(col.replace("_", " ").capitalize())
            continue
        what = col[: -len(quantity)].rstrip("_")
        label = quantity.capitalize() if not what else (
            f"{quantity.capitalize()}, {_WORDS.get(what, what.replace('_', ' '))}")
        unit = uniform.get(quantity)
        labels.append(f"{label} ({unit})" if unit else label)
    return columns, labels
