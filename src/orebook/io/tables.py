"""Read a delimited text file or an XLSX sheet into a table of strings with line numbers.

This is the first step at the edge: nothing is interpreted yet, but every row read is either
kept (with the 1-based line it came from; header = line 1) or listed in ``skipped`` with the
reason, so that nothing is lost silently.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io as _io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orebook.errors import InputError

__all__ = ["RawTable", "SkippedRow", "read_bytes", "read_table", "DELIMITERS"]

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters recognised in text files, in order of preference when counts tie."""

_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class SkippedRow:
    """A row that was read but not kept, or kept only after a repair."""

    line: int
    severity: str  # "error" or "warning"
    code: str
    message: str


@dataclass(frozen=True)
class RawTable:
    """A table of strings as read from ``file``.

    ``data[name]`` is an object array of ``str`` (empty string for an empty cell), one entry per
    kept row; ``line[i]`` is the 1-based line (or sheet row) that row ``i`` came from.
    """

    file: str
    columns: tuple[str, ...]
    data: dict[str, np.ndarray]
    line: np.ndarray
    skipped: tuple[SkippedRow, ...] = ()
    decimal_comma: bool = False
    delimiter: str | None = None

    def __len__(self) -> int:
        return len(self.line)


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The bytes of ``path``; a missing file, a folder or an unreadable file is an
    :class:`InputError` naming it (``what`` says what kind of file was expected)."""
    name = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=name) from None
    except IsADirectoryError:
        raise InputError(f"{what} not found: cannot read a folder as a {what}",
                         file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror or exc})", file=name) from None


def read_table(path: str | Path, *, delimiter: str | None = None) -> RawTable:
    """Read a CSV (any of ``DELIMITERS``, UTF-8 with or without BOM) or XLSX file.

    Parameters
    ----------
    path : the file; ``.xlsx``/``.xlsm`` are read as workbooks (first sheet), anything else as text.
    delimiter : force a delimiter instead of detecting it from the header line.

    Raises
    ------
    InputError : the file cannot be read, is empty, is not UTF-8, or its header is unusable.
    """
    path = Path(path)
    name = str(path)
    raw = read_bytes(path)
    if path.suffix.lower() == ".xls":
        raise InputError("legacy .xls workbooks are not read; save the sheet as .xlsx or CSV",
                         file=name)
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        records = _xlsx_records(raw, name)
        delim = None
    else:
        text = _decode(raw, name)
        delim = delimiter or _detect_delimiter(text)
        records = _csv_records(text, delim, name)
    # A sheet row has no field count: missing trailing cells are empty cells, not a short row.
    return _build(name, records, decimal_comma=delim not in (None, ","), delimiter=delim,
                  pad_short=delim is None)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"byte {raw[exc.start]:#04x} at character {col} is not UTF-8; save the file as UTF-8",
            file=name,
            row=line,
        ) from None


def _detect_delimiter(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = [first.count(d) for d in DELIMITERS]
    best = max(range(len(DELIMITERS)), key=lambda i: (counts[i], -i))
    return DELIMITERS[best] if counts[best] > 0 else ","


def _csv_records(text: str, delim: str, name: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delim)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            records.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=name, row=start) from None
    # A quote never closed swallows the rest of the file into one field, which csv accepts
    # silently (strict=False): the last record is read again strictly to catch it.
    if records and any("\n" in c or "\r" in c for c in records[-1][1]):
        last = records[-1][0]
        tail = "".join(_io.StringIO(text, newline="").readlines()[last - 1:])
        try:
            for _ in csv.reader(_io.StringIO(tail, newline=""), delimiter=delim, strict=True):
                pass
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise InputError("a quote opened on this line is never closed, so the rest of "
                                 "the file would be read as one field; close or remove it",
                                 file=name, row=last) from None
    # csv.reader yields [] for a blank line; line numbers stay exact through line_num.
    return records


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value else ""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def _xlsx_records(raw: bytes, name: str) -> list[tuple[int, list[str]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(_io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # damaged archives also raise zlib.error, XML syntax errors…
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
                         file=name) from None
    try:
        if not wb.worksheets:
            raise InputError("workbook has no sheets", file=name)
        ws = wb.worksheets[0]
        # Stored dimensions may be stale (some writers leave "A1:A1"); read-only mode would cut
        # every row to them and lose data silently, so they are ignored.
        ws.reset_dimensions()
        records = []
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            records.append((i, [_cell_text(v) for v in row]))
        return records
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged sheets
        raise InputError(f"damaged XLSX sheet ({type(exc).__name__}: {exc})",
                         file=name) from None
    finally:
        wb.close()


def _build(name: str, records: list[tuple[int, list[str]]], *, decimal_comma: bool,
           delimiter: str | None, pad_short: bool = False) -> RawTable:
    skipped: list[SkippedRow] = []
    it = iter(records)
    header: list[str] | None = None
    header_line = 0
    for line, row in it:
        if any(c.strip() for c in row):
            header, header_line = row, line
            break
    if header is None:
        raise InputError("file is empty: expected a header line with column names", file=name)
    if header_line != 1:
        skipped.append(SkippedRow(header_line, "warning", "header_not_first",
                                  f"header found on line {header_line}, blank lines above it"))
    # Trailing empty header cells (a trailing delimiter) are dropped; inner ones get a name.
    while header and not header[-1].strip():
        header.pop()
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        key = n.lower()
        if key in seen:
            raise InputError(
                f"column name {n!r} appears twice (columns {seen[key] + 1} and {i + 1}); "
                "rename one of them",
                file=name, row=header_line, column=n)
        seen[key] = i
    ncol = len(names)
    kept_lines: list[int] = []
    cells: list[list[str]] = []
    for line, row in it:
        if not any(c.strip() for c in row):
            skipped.append(SkippedRow(line, "warning", "empty_row", "empty row ignored"))
            continue
        if len(row) > ncol:
            extra = row[ncol:]
            if any(c.strip() for c in extra):
                skipped.append(SkippedRow(
                    line, "error", "too_many_fields",
                    f"row has {len(row)} fields but the header has {ncol}; row not used"))
                continue
            row = row[:ncol]
        elif len(row) < ncol:
            if not pad_short:
                skipped.append(SkippedRow(
                    line, "warning", "too_few_fields",
                    f"row has {len(row)} fields but the header has {ncol}; "
                    "missing fields read as empty"))
            row = row + [""] * (ncol - len(row))
        kept_lines.append(line)
        cells.append([c.strip() for c in row])
    if cells:
        arr = np.array(cells, dtype=object).reshape(len(cells), ncol)
    else:
        arr = np.empty((0, ncol), dtype=object)
    data = {n: arr[:, j] for j, n in enumerate(names)}
    return RawTable(name, tuple(names), data, np.asarray(kept_lines, dtype=np.int64),
                    tuple(skipped), decimal_comma, delimiter)
