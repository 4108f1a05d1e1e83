"""The estimate record: how a resource statement travels to the state balance.

The resources stage writes it (``orebook report statement … --record``); the balance registry
imports exactly this record (``orebook balance estimate RECORD``). One record is one estimate of
one deposit: a method, an effective date, the hash of the parameters that produced it, and one
line per commodity × category × group.

JSON (``.json``)::

    {
      "format": "orebook-estimate-record", "version": 1,
      "deposit": "Copper Creek", "method": "ordinary kriging",
      "effective_date": "2026-01-01", "parameters_hash": "sha256:…",
      "author": "…", "document": "…",          (optional)
      "lines": [
        {"commodity": "Au", "category": "C1", "group": "balance",
         "ore": 1250000.0, "ore_unit": "t", "grade": 2.1, "grade_unit": "g/t",
         "metal": 2625.0, "metal_unit": "kg"}
      ]
    }

CSV (``.csv``): one row per line with the columns ``deposit, commodity, category, group, ore,
ore_unit, grade, grade_unit, metal, metal_unit, method, effective_date, parameters_hash`` (and
optionally ``author``, ``document``); the estimate-wide columns must be equal on every row.

Checks on reading (each error names the file, the row — or the JSON line number — and the
column): categories A, B, C1, C2 (prognostic P1–P3 never enter the balance); group ``balance``
or ``off-balance``; ore, grade and metal finite and ≥ 0; ore unit ``t`` (``m3`` for commodities
measured by volume, where grade and metal are not checked against each other); known grade and
metal units (``orebook.units``); metal = ore × grade within 0.5 % (statements round); a line
given twice; an ISO date.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orebook.errors import InputError, ParameterError
from orebook.units import GRADE_UNITS, METAL_UNITS, metal_factor

__all__ = [
    "CSV_COLUMNS",
    "EstimateRecord",
    "RecordLine",
    "read_estimate_record",
    "write_estimate_record",
]

FORMAT = "orebook-estimate-record"
VERSION = 1
CATEGORIES = ("A", "B", "C1", "C2")
GROUPS = ("balance", "off-balance")
ORE_UNITS = ("t", "m3")
METAL_TOLERANCE = 0.005
CSV_COLUMNS = ("deposit", "commodity", "category", "group", "ore", "ore_unit", "grade",
               "grade_unit", "metal", "metal_unit", "method", "effective_date",
               "parameters_hash", "author", "document")
_REQUIRED_CSV = CSV_COLUMNS[:13]
_LINE_KEYS = ("commodity", "category", "group", "ore", "ore_unit", "grade", "grade_unit",
              "metal", "metal_unit")


@dataclass(frozen=True)
class RecordLine:
    """One commodity × category × group figure: ore (t or m³), grade, contained metal."""

    commodity: str
    category: str
    group: str
    ore: float
    grade: float
    metal: float
    ore_unit: str = "t"
    grade_unit: str = "g/t"
    metal_unit: str = "kg"


@dataclass(frozen=True)
class EstimateRecord:
    """An estimate of one deposit, as the balance registry imports it."""

    deposit: str
    method: str
    effective_date: dt.date
    parameters_hash: str
    lines: tuple[RecordLine, ...]
    author: str | None = None
    document: str | None = None
    source: str | None = field(default=None, compare=False)


def write_estimate_record(record: EstimateRecord, path: str | Path) -> Path:
    """Write ``record`` as JSON or CSV (by suffix), atomically. The record is checked first,
    so a record that could not be read back is never written."""
    from orebook.io.writing import write_text_atomic

    path = Path(path)
    _check(record, str(path), {})
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = {"format": FORMAT, "version": VERSION, "deposit": record.deposit,
               "method": record.method, "effective_date": record.effective_date.isoformat(),
               "parameters_hash": record.parameters_hash}
        for key in ("author", "document"):
            if getattr(record, key) is not None:
                doc[key] = getattr(record, key)
        doc["lines"] = [asdict(line) for line in record.lines]
        return write_text_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if suffix == ".csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for line in record.lines:
            w.writerow([record.deposit, line.commodity, line.category, line.group,
                        repr(line.ore), line.ore_unit, repr(line.grade), line.grade_unit,
                        repr(line.metal), line.metal_unit, record.method,
                        record.effective_date.isoformat(), record.parameters_hash,
                        record.author or "", record.document or ""])
        return write_text_atomic(path, buf.getvalue())
    raise ParameterError(f"output {path}: an estimate record is a .json or .csv file")


def read_estimate_record(path: str | Path) -> EstimateRecord:
    """Read and check an estimate record (JSON or CSV, by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path)
    if suffix in (".csv", ".txt", ".xlsx"):
        return _read_table(path)
    raise InputError("an estimate record is a .json or .csv file", file=path)


def _read_json(path: Path) -> EstimateRecord:
    from orebook.io.tables import read_bytes

    raw = read_bytes(path, "estimate record")
    name = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=name) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=name,
                         row=exc.lineno) from exc
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", file=name) from exc
    lines_text = text.splitlines()

    def where(key: str, after: int = 0) -> int | None:
        needle = f'"{key}"'
        for i in range(after, len(lines_text)):
            if needle in lines_text[i]:
                return i + 1
        return None

    if not isinstance(doc, dict):
        raise InputError("expected a JSON object at the top", file=name, row=1)
    if doc.get("format") != FORMAT:
        raise InputError(f"expected \"format\": \"{FORMAT}\", found {doc.get('format')!r}",
                         file=name, row=where("format"), column="format")
    if doc.get("version") != VERSION:
        raise InputError(f"expected \"version\": {VERSION}, found {doc.get('version')!r}",
                         file=name, row=where("version"), column="version")
    head = {}
    for key in ("deposit", "method", "effective_date", "parameters_hash"):
        head[key] = _text(doc.get(key), name, where(key), key, required=True)
    for key in ("author", "document"):
        head[key] = _text(doc.get(key), name, where(key), key, required=False)
    date = _date(head["effective_date"], name, where("effective_date"), "effective_date")
    items = doc.get("lines")
    if not isinstance(items, list) or not items:
        raise InputError("expected \"lines\": a non-empty list of lines", file=name,
                         row=where("lines"), column="lines")
    lines, rows = [], {}
    cursor = (where("lines") or 1) - 1
    for i, item in enumerate(items):
        row = where("commodity", cursor) if isinstance(item, dict) else None
        if row is not None:
            cursor = row
        if not isinstance(item, dict):
            raise InputError(f"line {i + 1} of \"lines\" is not an object", file=name,
                             row=where("lines"), column="lines")
        unknown = sorted(set(item) - set(_LINE_KEYS))
        if unknown:
            raise InputError(f"unknown keys {unknown} in line {i + 1}; expected {list(_LINE_KEYS)}",
                             file=name, row=row, column=unknown[0])
        lines.append(_line({k: item.get(k) for k in _LINE_KEYS}, name, row))
        rows[len(lines) - 1] = row
    record = EstimateRecord(head["deposit"], head["method"], date, head["parameters_hash"],
                            tuple(lines), head["author"], head["document"], source=name)
    _check(record, name, rows)
    return record


def _read_table(path: Path) -> EstimateRecord:
    from orebook.io.tables import read_table

    table = read_table(path)
    name = table.file
    lower = {c.strip().lower(): c for c in table.columns}
    missing = [c for c in _REQUIRED_CSV if c not in lower]
    if missing:
        raise InputError(f"an estimate record needs the columns {list(_REQUIRED_CSV)}; "
                         f"missing {missing}", file=name, row=1)
    if len(table) == 0:
        raise InputError("the estimate record has no lines", file=name, row=2)
    head: dict = {}
    lines, rows = [], {}
    for i, line_no in enumerate(table.line):
        row = int(line_no)

        def cell(key: str, i: int = i) -> str | None:
            if key not in lower:
                return None
            return str(table.data[lower[key]][i]).strip()

        for key in ("deposit", "method", "effective_date", "parameters_hash", "author",
                    "document"):
            value = _text(cell(key) or None, name, row, lower.get(key, key),
                          required=key not in ("author", "document"))
            if i == 0:
                head[key] = value
            elif value != head[key]:
                raise InputError(f"{key} must be the same on every row: row "
                                 f"{int(table.line[0])} has {head[key]!r}, this row {value!r}",
                                 file=name, row=row, column=lower.get(key, key))
        values = {k: cell(k) for k in _LINE_KEYS}
        for k in ("ore", "grade", "metal"):
            values[k] = _number_text(values[k], name, row, lower[k])
        lines.append(_line(values, name, row, columns=lower))
        rows[len(lines) - 1] = row
    date = _date(head["effective_date"], name, int(table.line[0]), lower["effective_date"])
    record = EstimateRecord(head["deposit"], head["method"], date, head["parameters_hash"],
                            tuple(lines), head["author"], head["document"], source=name)
    _check(record, name, rows, columns=lower)
    return record


def _text(value, name, row, column, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"{column} is required", file=name, row=row, column=column)
        return None
    if not isinstance(value, str):
        raise InputError(f"expected text, found {value!r}", file=name, row=row, column=column)
    if len(value) > 300:
        raise InputError(f"at most 300 characters, found {len(value)}", file=name, row=row,
                         column=column)
    return value.strip()


def _number_text(text: str | None, name, row, column) -> float:
    if text is None or text == "":
        raise InputError("a number is required", file=name, row=row, column=column)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"expected a number, found {text!r}", file=name, row=row,
                         column=column)
    return value


def _date(text: str, name, row, column) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"expected an ISO date (YYYY-MM-DD), found {text!r}", file=name,
                         row=row, column=column) from exc


def _line(values: dict, name, row, columns: dict | None = None) -> RecordLine:
    col = (lambda k: columns.get(k, k)) if columns else (lambda k: k)
    out = {}
    for k in ("commodity", "category", "group"):
        out[k] = _text(values[k], name, row, col(k), required=True)
    for k in ("ore", "grade", "metal"):
        v = values[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InputError(f"expected a finite number, found {v!r}", file=name, row=row,
                             column=col(k))
        out[k] = float(v)
    defaults = {"ore_unit": "t", "grade_unit": "g/t", "metal_unit": "kg"}
    for k, default in defaults.items():
        out[k] = _text(values[k], name, row, col(k), required=False) or default
    return RecordLine(**out)


def _check(record: EstimateRecord, name: str, rows: dict[int, int | None],
           columns: dict | None = None) -> None:
    col = (lambda k: columns.get(k, k)) if columns else (lambda k: k)
    seen: dict[tuple, int] = {}
    if not record.lines:
        raise InputError("the estimate record has no lines", file=name)
    for i, line in enumerate(record.lines):
        row = rows.get(i)

        def bad(message: str, key: str, row: int | None = row) -> InputError:
            return InputError(message, file=name, row=row, column=col(key))

        if line.category not in CATEGORIES:
            raise bad(f"expected a balance category {list(CATEGORIES)}, found "
                      f"{line.category!r} (P1–P3 never enter the balance)", "category")
        if line.group not in GROUPS:
            raise bad(f"expected a group {list(GROUPS)}, found {line.group!r}", "group")
        for k in ("ore", "grade", "metal"):
            v = getattr(line, k)
            if not math.isfinite(v) or v < 0:
                raise bad(f"expected a finite number ≥ 0, found {v!r}", k)
        if line.ore_unit not in ORE_UNITS:
            raise bad(f"expected an ore unit {list(ORE_UNITS)}, found {line.ore_unit!r}",
                      "ore_unit")
        if line.grade_unit not in GRADE_UNITS:
            raise bad(f"expected a grade unit {sorted(GRADE_UNITS)}, found "
                      f"{line.grade_unit!r}", "grade_unit")
        if line.metal_unit not in METAL_UNITS:
            raise bad(f"expected a metal unit {sorted(METAL_UNITS)}, found "
                      f"{line.metal_unit!r}", "metal_unit")
        if line.ore_unit == "t":
            expected = line.ore * line.grade * metal_factor(line.grade_unit, line.metal_unit)
            if abs(line.metal - expected) > METAL_TOLERANCE * max(abs(expected), 1e-9) + 1e-9:
                raise bad(f"metal {line.metal!r} {line.metal_unit} is not ore × grade = "
                          f"{expected:.6g} {line.metal_unit} (within 0.5 %)", "metal")
        key = (line.commodity, line.category, line.group)
        if key in seen:
            raise bad(f"{'/'.join(key)} is given twice (also on row {seen[key]})", "category")
        seen[key] = row
