"""Read collars, surveys and interval tables into typed tables, reporting every row not used.

Each reader works on one file: it maps columns, parses numbers, converts units and the dip
sign, and checks each row on its own. Checks across rows and tables are in ``checks.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orebook.errors import ParameterError
from orebook.io.columns import ParsedNumbers, find_columns, parse_numbers
from orebook.io.tables import RawTable, read_table
from orebook.units import GRADE_UNIT_MAX, length_factor

from .report import Report

__all__ = ["BELOW_RULES", "MISSING_CODES", "NEGATIVE_CHECK_FACTOR", "NEGATIVE_CHECK_MIN", "RowTable", "read_collars", "read_surveys",
           "read_intervals"]

BELOW_RULES = ("half", "limit", "zero", "missing")
BELOW_RULE_TEXT = {"half": "half the detection limit", "limit": "the detection limit",
                   "zero": "zero", "missing": "missing"}
"""How a below-detection value (``-0.01`` or ``<0.01``) is replaced: half the detection limit
(default), the detection limit itself, zero, or missing."""

MISSING_CODES = (-99.0, -999.0, -9999.0, -99999.0)
"""Negative values read as 'no value' codes, not as detection limits."""

NEGATIVE_CHECK_MIN = 20
"""Positive values a column needs before a negative value can be judged implausible as a
detection limit."""

NEGATIVE_CHECK_FACTOR = 10.0
"""A negative value is implausible as a detection limit when its magnitude is more than this
many times the 99th percentile of the column's positive values."""


@dataclass
class RowTable:
    """Columns of one file after parsing, with ``keep`` marking the rows still usable.

    ``names`` maps each role (hole, x, from…) to the file's column name; ``columns`` holds the
    parsed arrays by role. Interval tables also carry ``values``, ``below`` (below-detection
    flags), ``categories`` and ``codes`` (flags of no-value codes such as −999).
    """

    raw: RawTable
    names: dict[str, str]
    columns: dict[str, np.ndarray]
    keep: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    below: dict[str, np.ndarray] = field(default_factory=dict)
    categories: dict[str, np.ndarray] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.raw.file

    @property
    def line(self) -> np.ndarray:
        return self.raw.line


def _start(path: str | Path, report: Report, delimiter: str | None) -> RawTable:
    raw = read_table(path, delimiter=delimiter)
    # Rows read = rows kept by the reader + rows it left out (empty, too many fields); a kept
    # row that was repaired (too few fields) is listed in ``skipped`` too but counts once.
    kept = set(raw.line.tolist())
    report.rows_read[raw.file] = len(raw) + len({s.line for s in raw.skipped
                                                 if s.code != "header_not_first"
                                                 and s.line not in kept})
    for s in raw.skipped:
        report.add(raw.file, s.line, "", "", s.severity, s.code, s.message)
    return raw


def _holes(raw: RawTable, col: str, report: Report, keep: np.ndarray) -> np.ndarray:
    hole = raw.data[col]
    missing = hole == ""
    for i in np.flatnonzero(missing):
        report.add(raw.file, raw.line[i], col, "", "error", "missing_hole_id",
                   "no hole id; row not used")
    keep &= ~missing
    return hole


def _number(raw: RawTable, col: str, hole: np.ndarray, report: Report, keep: np.ndarray, *,
            what: str, required: bool = True) -> np.ndarray:
    """Parse a required numeric column; rows with an empty or bad cell are dropped."""
    p = parse_numbers(raw.data[col], decimal_comma=raw.decimal_comma)
    for i in np.flatnonzero(p.bad & keep):
        report.add(raw.file, raw.line[i], col, hole[i], "error", "not_a_number",
                   f"{what} {raw.data[col][i]!r} is not a number; row not used")
    if required:
        for i in np.flatnonzero(p.empty & keep):
            report.add(raw.file, raw.line[i], col, hole[i], "error", "missing_value",
                       f"no {what}; row not used")
        keep &= ~(p.empty | p.bad)
    else:
        keep &= ~p.bad
    return p.value


def read_collars(path: str | Path, report: Report, *, units: str = "m",
                 column_map: Mapping[str, str] | None = None,
                 delimiter: str | None = None) -> RowTable:
    """Read a collar file: hole id, x, y, z and an optional hole depth."""
    raw = _start(path, report, delimiter)
    cols = find_columns(raw, ["hole", "x", "y", "z", "max_depth"],
                        required=["hole", "x", "y", "z"], user_map=column_map)
    keep = np.ones(len(raw), dtype=bool)
    hole = _holes(raw, cols["hole"], report, keep)
    f = length_factor(units)
    coords = {}
    for axis in ("x", "y", "z"):
        p = parse_numbers(raw.data[cols[axis]], decimal_comma=raw.decimal_comma)
        bad = (p.empty | p.bad) & keep
        for i in np.flatnonzero(bad):
            cell = raw.data[cols[axis]][i]
            found = "empty" if cell == "" else f"{cell!r}, not a number"
            report.add(raw.file, raw.line[i], cols[axis], hole[i], "error", "missing_coordinates",
                       f"collar {axis.upper()} is {found}; hole cannot be located and is not used")
        keep &= ~bad
        coords[axis] = p.value * f
    depth = np.full(len(raw), np.nan)
    if "max_depth" in cols:
        col = cols["max_depth"]
        p = parse_numbers(raw.data[col], decimal_comma=raw.decimal_comma)
        wrong = (p.bad | (p.value <= 0)) & keep
        for i in np.flatnonzero(wrong):
            report.add(raw.file, raw.line[i], col, hole[i], "warning", "bad_hole_depth",
                       f"hole depth {raw.data[col][i]!r} is not a positive number; "
                       "depth treated as unknown")
        depth = np.where(wrong, np.nan, p.value) * f
    return RowTable(raw, cols, {"hole": hole, **coords, "depth_m": depth}, keep)


def read_surveys(path: str | Path, report: Report, *, units: str = "m", dip_down: str = "auto",
                 column_map: Mapping[str, str] | None = None,
                 delimiter: str | None = None) -> tuple[RowTable, bool]:
    """Read a survey file: hole id, depth, azimuth, dip.

    ``dip_down`` is ``"negative"`` (the orebook convention), ``"positive"`` (data recorded with
    positive-down dips, converted here), or ``"auto"``: the sign held by most non-zero dips
    means "down". Returns the table and whether the file's dips were positive-down.
    """
    if dip_down not in ("auto", "negative", "positive"):
        raise ParameterError(f"dip_down must be auto, negative or positive, got {dip_down!r}")
    raw = _start(path, report, delimiter)
    cols = find_columns(raw, ["hole", "at", "azimuth", "dip"],
                        required=["hole", "at", "azimuth", "dip"], user_map=column_map)
    keep = np.ones(len(raw), dtype=bool)
    hole = _holes(raw, cols["hole"], report, keep)
    depth = _number(raw, cols["at"], hole, report, keep, what="survey depth")
    az = _number(raw, cols["azimuth"], hole, report, keep, what="azimuth")
    dip = _number(raw, cols["dip"], hole, report, keep, what="dip")
    for i in np.flatnonzero(keep & (depth < 0)):
        report.add(raw.file, raw.line[i], cols["at"], hole[i], "error", "negative_depth",
                   f"survey depth {depth[i]:g} is negative; row not used")
    keep &= ~(depth < 0)
    bad_az = keep & ((az < 0) | (az > 360))
    for i in np.flatnonzero(bad_az):
        report.add(raw.file, raw.line[i], cols["azimuth"], hole[i], "error",
                   "azimuth_out_of_range",
                   f"azimuth {az[i]:g}° is outside 0–360°; survey not used")
    keep &= ~bad_az
    bad_dip = keep & ((dip < -90) | (dip > 90))
    for i in np.flatnonzero(bad_dip):
        report.add(raw.file, raw.line[i], cols["dip"], hole[i], "error", "dip_out_of_range",
                   f"dip {dip[i]:g}° is outside −90…90°; survey not used")
    keep &= ~bad_dip
    valid = dip[keep]
    n_pos, n_neg = int((valid > 0).sum()), int((valid < 0).sum())
    positive = dip_down == "positive" or (dip_down == "auto" and n_pos > n_neg)
    if positive:
        how = "as stated" if dip_down == "positive" else (
            f"detected: {n_pos} of {n_pos + n_neg} non-zero dips are positive")
        report.add(raw.file, None, cols["dip"], "", "warning", "dips_positive_down",
                   f"dips read as positive downwards ({how}); converted to negative-down")
        dip = -dip
    f = length_factor(units)
    az = np.where(az == 360.0, 0.0, az)
    return RowTable(raw, cols, {"hole": hole, "depth_m": depth * f, "azimuth_deg": az,
                                "dip_deg": dip}, keep), positive


def _grade_unit(name: str) -> str | None:
    """The grade unit a column name ends in (``Cu_pct``, ``Au g/t``, ``Zn%``), or None."""
    low = name.lower().replace("g/t", "gpt").strip()
    if low.endswith("%"):
        return "pct"
    for unit in GRADE_UNIT_MAX:
        if low == unit or low.endswith(("_" + unit, " " + unit, "(" + unit + ")")):
            return unit
    return None


def _value_column(raw: RawTable, col: str, hole: np.ndarray, keep: np.ndarray, report: Report,
                  below_rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Parse one value column into (value, below, no-value code) arrays; None when it is mostly
    text (then it is a category). Below-detection values are replaced by ``below_rule``."""
    p: ParsedNumbers = parse_numbers(raw.data[col], decimal_comma=raw.decimal_comma,
                                     below_codes=True)
    ok = ~(p.empty | p.bad)
    if col.startswith("column_") or ok.sum() == 0 or ok.sum() < p.bad.sum():
        return None
    value = p.value.copy()
    cells = raw.data[col]
    for i in np.flatnonzero(p.bad & keep):
        report.add(raw.file, raw.line[i], col, hole[i], "error", "not_a_number",
                   f"value {cells[i]!r} is not a number; treated as missing")
    is_code = np.isin(value, MISSING_CODES) & ~p.below
    value[is_code] = np.nan
    positive = value[keep & (value > 0)]
    if len(positive) >= NEGATIVE_CHECK_MIN:
        # a "detection limit" ten times above 99 % of the measured values is no detection limit
        ceiling = NEGATIVE_CHECK_FACTOR * float(np.quantile(positive, 0.99))
        implausible = keep & ~p.below & (value < -ceiling)
        for i in np.flatnonzero(implausible):
            report.add(raw.file, raw.line[i], col, hole[i], "error", "negative_value",
                       f"negative value {cells[i]} is more than {NEGATIVE_CHECK_FACTOR:g} times "
                       f"the 99th percentile of the column's positive values, so it is not read "
                       "as a detection limit; treated as missing")
        value[implausible] = np.nan
    below = (p.below | (value < 0)) & ~is_code
    limit = np.abs(value[below])
    value[below] = {"half": limit / 2, "limit": limit, "zero": 0.0 * limit,
                    "missing": np.nan * limit}[below_rule]
    unit = _grade_unit(col)
    if unit is not None:
        absurd = keep & (value > GRADE_UNIT_MAX[unit])
        for i in np.flatnonzero(absurd):
            report.add(raw.file, raw.line[i], col, hole[i], "error", "absurd_value",
                       f"value {cells[i]} exceeds the largest possible {unit} "
                       f"({GRADE_UNIT_MAX[unit]:g}); treated as missing")
        value[absurd] = np.nan
    return value, below, is_code


def read_intervals(path: str | Path, report: Report, *, units: str = "m",
                   column_map: Mapping[str, str] | None = None, below_rule: str = "half",
                   delimiter: str | None = None) -> RowTable:
    """Read an interval table: hole id, from, to and any number of value or text columns."""
    if below_rule not in BELOW_RULES:
        raise ParameterError(f"below_rule must be one of {', '.join(BELOW_RULES)}, "
                             f"got {below_rule!r}")
    raw = _start(path, report, delimiter)
    cols = find_columns(raw, ["hole", "from", "to"], required=["hole", "from", "to"],
                        user_map=column_map)
    keep = np.ones(len(raw), dtype=bool)
    hole = _holes(raw, cols["hole"], report, keep)
    f = length_factor(units)
    frm = _number(raw, cols["from"], hole, report, keep, what="from-depth") * f
    to = _number(raw, cols["to"], hole, report, keep, what="to-depth") * f
    neg = keep & (frm < 0)
    for i in np.flatnonzero(neg):
        report.add(raw.file, raw.line[i], cols["from"], hole[i], "error", "negative_depth",
                   f"from-depth {frm[i]:g} m is negative; interval not used")
    keep &= ~neg
    inverted = keep & (frm >= to)
    for i in np.flatnonzero(inverted):
        report.add(raw.file, raw.line[i], cols["to"], hole[i], "error", "from_not_above_to",
                   f"from {frm[i]:g} m is not above to {to[i]:g} m; interval not used")
    keep &= ~inverted
    values: dict[str, np.ndarray] = {}
    below: dict[str, np.ndarray] = {}
    cats: dict[str, np.ndarray] = {}
    codes: dict[str, np.ndarray] = {}
    for col in raw.columns:
        if col in (cols["hole"], cols["from"], cols["to"]):
            continue
        parsed = _value_column(raw, col, hole, keep, report, below_rule)
        if parsed is None:
            cats[col] = raw.data[col]
        else:
            values[col], below[col], codes[col] = parsed
    return RowTable(raw, cols, {"hole": hole, "from_m": frm, "to_m": to}, keep, values, below,
                    cats, codes)
