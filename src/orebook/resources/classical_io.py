"""Read the tables of the classical methods (CSV or XLSX) and write their reports.

Layouts (``docs/classical.md``); column names are compared after lower-casing and dropping
everything but letters and digits, so ``Thickness (m)`` and ``thickness_m`` are one name:

- intercepts: ``hole, u, v, thickness_m, grade[, category][, block]`` — one row per hole;
  ``u, v`` may be called ``x, y`` (or ``x, z`` on a vertical projection).
- outlines: ``block, category, u, v[, density_tpm3]`` — one row per vertex, in order around
  the outline; a block's category (and density) on its first row, repeated or left empty after.
- samples: ``hole, from, to, grade[, factor]`` — intervals along the hole, m; ``factor`` is the
  true thickness per metre of hole (default 1).
- sections: ``block, category, section, position_m, area_m2, grade[, density_tpm3][, end,
  end_length_m]``.
- triangles: ``hole1, hole2, hole3``.

Every error is an :class:`InputError` naming the file, the line (header = line 1) and the column.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import InputError, ParameterError
from orebook.io.columns import ALIASES, normalise, parse_numbers
from orebook.io.tables import RawTable, read_table
from orebook.io.writing import atomic_output, write_table
from orebook.units import GRADE_UNIT_MAX

from .classical import Block, Intercepts, Samples, SectionAreas, Triangles, is_simple

__all__ = ["grade_unit_of", "read_intercepts", "read_outlines", "read_samples", "read_sections",
           "read_triangles", "write_report"]

NAMES: dict[str, tuple[str, ...]] = {
    "hole": ALIASES["hole"],
    "u": ("u", "um", "x", "xm", "east", "easting"),
    "v": ("v", "vm", "y", "ym", "north", "northing", "z", "zm", "elevation", "rl"),
    "thickness": ("thicknessm", "thickness", "truethicknessm", "truethickness", "ttm", "tt",
                  "m"),
    "grade": ("grade",),
    "category": ("category", "cat", "class", "categ"),
    "block": ("block", "blockid", "blk", "blockno"),
    "density": ("densitytpm3", "density", "densitytm3", "sg", "d"),
    "from": ALIASES["from"],
    "to": ALIASES["to"],
    "factor": ("factor", "ttfactor", "truethicknessfactor", "ttratio"),
    "section": ("section", "sectionid", "line", "profile", "sec"),
    "position": ("positionm", "position", "distancem", "distance", "chainage", "station"),
    "area": ("aream2", "area", "s", "sm2"),
    "end": ("end", "endshape", "endtype"),
    "end_length": ("endlengthm", "endlength", "endl", "endlm"),
    "hole1": ("hole1", "h1", "a"),
    "hole2": ("hole2", "h2", "b"),
    "hole3": ("hole3", "h3", "c"),
}
"""Recognised spellings per column role, after ``normalise``, in order of preference."""

MAX_COORD_M = 1.0e8
"""Largest coordinate or section position accepted, in absolute value, m."""
MAX_LENGTH_M = 1.0e5
"""Largest thickness, depth or end length accepted, m."""
MAX_AREA_M2 = 1.0e12
"""Largest section area accepted, m²."""

_UNIT_SUFFIX = (("pct", "%"), ("percent", "%"), ("gpt", "g/t"), ("gt", "g/t"), ("ppm", "ppm"),
                ("ppb", "ppb"))


def grade_unit_of(column: str) -> str | None:
    """The grade unit a column name states (``cu_pct``, ``Au g/t``, ``grade %``), or None.

    >>> grade_unit_of("grade_gpt"), grade_unit_of("Cu %"), grade_unit_of("grade")
    ('g/t', '%', None)
    """
    if "%" in column:
        return "%"
    if "g/t" in column.lower():
        return "g/t"
    norm = normalise(column)
    for suffix, unit in _UNIT_SUFFIX:
        if norm.endswith(suffix) and norm != suffix:
            return unit
    return None


def _columns(raw: RawTable, roles: list[str], required: list[str],
             column_map: Mapping[str, str] | None) -> dict[str, str]:
    user = dict(column_map or {})
    by_norm = {normalise(c): c for c in raw.columns}
    exact = {c.lower(): c for c in raw.columns}
    found: dict[str, str] = {}
    taken: set[str] = set()
    for role in roles:
        if role in user:
            col = exact.get(user[role].lower())
            if col is None:
                raise InputError(f"no column {user[role]!r} (given for {role}); columns: "
                                 f"{', '.join(raw.columns)}", file=raw.file, row=1)
            found[role] = col
            taken.add(col)
            continue
        for alias in NAMES[role]:
            col = by_norm.get(alias)
            if col is not None and col not in taken:
                found[role] = col
                taken.add(col)
                break
        if role == "grade" and role not in found:  # grade_pct, au_gpt, cu %: a grade column
            for c in raw.columns:
                n = normalise(c)
                if c not in taken and (n.startswith("grade") or grade_unit_of(c)):
                    found[role] = c
                    taken.add(c)
                    break
    for role in required:
        if role not in found:
            raise InputError(f"no column for {role} (looked for "
                             f"{', '.join(NAMES[role][:6])}); columns found: "
                             f"{', '.join(raw.columns)}", file=raw.file, row=1)
    return found


def _read(path: str | Path) -> RawTable:
    raw = read_table(path)
    for s in raw.skipped:
        if s.severity == "error":
            raise InputError(s.message, file=raw.file, row=s.line)
    if len(raw) == 0:
        raise InputError("no data rows below the header", file=raw.file, row=1)
    return raw


def _numbers(raw: RawTable, col: str | None, *, required: bool = True, minimum: float | None
             = None, positive: bool = False, maximum: float | None = None) -> np.ndarray:
    """Column ``col`` as float64: empty cells NaN (an error when ``required``), text an error,
    values below ``minimum`` (or ≤ 0 with ``positive``) or above ``maximum`` an error."""
    if col is None:
        return np.full(len(raw), np.nan)
    p = parse_numbers(raw.data[col], decimal_comma=raw.decimal_comma)
    bad = p.bad | (p.empty & required)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        found = repr(raw.data[col][i]) if raw.data[col][i] else "empty"
        raise InputError(f"expected a number, found {found}", file=raw.file,
                         row=int(raw.line[i]), column=col)
    v = p.value
    checks = []
    with np.errstate(invalid="ignore"):
        if positive:
            checks.append((v <= 0, "> 0"))
        elif minimum is not None:
            checks.append((v < minimum, f"≥ {minimum:g}"))
        if maximum is not None:
            checks.append((v > maximum, f"≤ {maximum:g}"))
    for mask, what in checks:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise InputError(f"expected a number {what}, found {raw.data[col][i]!r}",
                             file=raw.file, row=int(raw.line[i]), column=col)
    return v


def _coord(raw: RawTable, col: str) -> np.ndarray:
    return _numbers(raw, col, minimum=-MAX_COORD_M, maximum=MAX_COORD_M)


def _text(raw: RawTable, col: str | None, *, required: bool = False) -> np.ndarray:
    if col is None:
        return np.full(len(raw), "", dtype=object)
    cells = np.asarray(raw.data[col], dtype=object)
    if required:
        empty = np.array([c == "" for c in cells], dtype=bool)
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise InputError("empty cell: a value is needed here", file=raw.file,
                             row=int(raw.line[i]), column=col)
    return cells


def _grade_max(unit: str | None) -> float | None:
    return {"%": GRADE_UNIT_MAX["pct"], "g/t": GRADE_UNIT_MAX["gpt"], "ppm": GRADE_UNIT_MAX["ppm"],
            "ppb": GRADE_UNIT_MAX["ppb"]}.get(unit) if unit else None


# ---------------------------------------------------------------------------- readers
def read_intercepts(path: str | Path, *,
                    column_map: Mapping[str, str] | None = None) -> Intercepts:
    """Read intercepts: one row per hole (``hole, u, v, thickness_m, grade[, category]
    [, block]``); thickness ≥ 0 m, grade ≥ 0, hole ids unique."""
    raw = _read(path)
    cols = _columns(raw, ["hole", "u", "v", "thickness", "grade", "category", "block"],
                    ["hole", "u", "v", "thickness", "grade"], column_map)
    hole = _text(raw, cols["hole"], required=True)
    seen: dict[str, int] = {}
    for i, h in enumerate(hole):
        if h in seen:
            raise InputError(f"hole {h!r} has a second intercept (first on line {seen[h]}); "
                             "one intercept per hole", file=raw.file, row=int(raw.line[i]),
                             column=cols["hole"])
        seen[h] = int(raw.line[i])
    unit = grade_unit_of(cols["grade"])
    return Intercepts(hole, _coord(raw, cols["u"]), _coord(raw, cols["v"]),
                      _numbers(raw, cols["thickness"], minimum=0.0, maximum=MAX_LENGTH_M),
                      _numbers(raw, cols["grade"], minimum=0.0, maximum=_grade_max(unit)),
                      _text(raw, cols.get("category")), _text(raw, cols.get("block")),
                      raw.line.copy(), raw.file, unit)


def _clean_ring(pts: np.ndarray) -> np.ndarray:
    """Drop repeated consecutive vertices and a closing vertex equal to the first."""
    keep = [0] + [i for i in range(1, len(pts)) if not np.array_equal(pts[i], pts[i - 1])]
    pts = pts[keep]
    while len(pts) > 1 and np.array_equal(pts[-1], pts[0]):
        pts = pts[:-1]
    return pts


def read_outlines(path: str | Path, *,
                  column_map: Mapping[str, str] | None = None) -> tuple[Block, ...]:
    """Read block outlines: one row per vertex, in order (``block, category, u, v
    [, density_tpm3]``); a closing vertex equal to the first may be given or not. Each outline
    must be a simple polygon (no crossing edges) with at least three vertices."""
    raw = _read(path)
    cols = _columns(raw, ["block", "category", "u", "v", "density"],
                    ["block", "category", "u", "v"], column_map)
    ids = _text(raw, cols["block"], required=True)
    cat = _text(raw, cols["category"])
    u, v = _coord(raw, cols["u"]), _coord(raw, cols["v"])
    dens = _numbers(raw, cols.get("density"), required=False, positive=True)
    rows: dict[str, list[int]] = {}
    for i, b in enumerate(ids):
        rows.setdefault(str(b), []).append(i)
    blocks = []
    for b, idx in rows.items():
        first = int(raw.line[idx[0]])
        for name, values, col in (("category", cat, cols["category"]),
                                  ("density", dens, cols.get("density"))):
            given = [i for i in idx if (values[i] != "" if values.dtype == object
                                        else not math.isnan(values[i]))]
            if name == "category" and not given:
                raise InputError(f"block {b!r} has no category", file=raw.file, row=first,
                                 column=col)
            for i in given:
                if values[i] != values[given[0]]:
                    raise InputError(f"block {b!r} has {name} {values[given[0]]!r} on line "
                                     f"{int(raw.line[given[0]])} and {values[i]!r} here; one "
                                     f"{name} per block", file=raw.file, row=int(raw.line[i]),
                                     column=col)
        ring = _clean_ring(np.column_stack([u[idx], v[idx]]))
        if len(ring) < 3:
            raise InputError(f"block {b!r} has {len(ring)} distinct vertices; an outline needs "
                             "at least 3", file=raw.file, row=first, column=cols["block"])
        if not is_simple(ring):
            raise InputError(f"the outline of block {b!r} crosses itself or encloses no area; "
                             "list its vertices in order around it", file=raw.file, row=first,
                             column=cols["block"])
        d = next((float(dens[i]) for i in idx if not math.isnan(dens[i])), math.nan)
        c = next(str(cat[i]) for i in idx if cat[i] != "")
        blocks.append(Block(str(b), c, ring, d, first, raw.file))
    return tuple(blocks)


def read_samples(path: str | Path, *,
                 column_map: Mapping[str, str] | None = None) -> Samples:
    """Read sample intervals along the holes (``hole, from, to, grade[, factor]``, m): from <
    to, from ≥ 0, grade ≥ 0, factor in (0, 1] (default 1), no two intervals of a hole
    overlapping."""
    raw = _read(path)
    cols = _columns(raw, ["hole", "from", "to", "grade", "factor"],
                    ["hole", "from", "to", "grade"], column_map)
    hole = _text(raw, cols["hole"], required=True)
    frm = _numbers(raw, cols["from"], minimum=0.0, maximum=MAX_LENGTH_M)
    to = _numbers(raw, cols["to"], minimum=0.0, maximum=MAX_LENGTH_M)
    unit = grade_unit_of(cols["grade"])
    grade = _numbers(raw, cols["grade"], minimum=0.0, maximum=_grade_max(unit))
    factor = _numbers(raw, cols.get("factor"), required=False, positive=True, maximum=1.0)
    factor = np.where(np.isnan(factor), 1.0, factor)
    short = to <= frm
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise InputError(f"to ({to[i]:g}) must be greater than from ({frm[i]:g})",
                         file=raw.file, row=int(raw.line[i]), column=cols["to"])
    order = np.lexsort((frm, hole))
    for a, b in itertools.pairwise(order):
        if hole[a] == hole[b] and frm[b] < to[a]:
            late = max(a, b)
            raise InputError(f"intervals of hole {hole[b]!r} overlap ({frm[a]:g}–{to[a]:g} and "
                             f"{frm[b]:g}–{to[b]:g} m)", file=raw.file,
                             row=int(raw.line[late]), column=cols["from"])
    return Samples(hole, frm, to, grade, factor, raw.line.copy(), raw.file)


def read_sections(path: str | Path, *,
                  column_map: Mapping[str, str] | None = None) -> SectionAreas:
    """Read ore areas per block on parallel sections (``block, category, section, position_m,
    area_m2, grade[, density_tpm3][, end, end_length_m]``); ``end`` is ``wedge``, ``cone`` or
    empty, and a wedge or cone needs ``end_length_m``."""
    raw = _read(path)
    cols = _columns(raw, ["block", "category", "section", "position", "area", "grade", "density",
                          "end", "end_length"],
                    ["block", "category", "section", "position", "area", "grade"], column_map)
    unit = grade_unit_of(cols["grade"])
    end = np.array([c.strip().lower() for c in _text(raw, cols.get("end"))], dtype=object)
    wrong = np.array([e not in ("", "wedge", "cone") for e in end], dtype=bool)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise InputError(f"end must be wedge, cone or empty, found {raw.data[cols['end']][i]!r}",
                         file=raw.file, row=int(raw.line[i]), column=cols["end"])
    length = _numbers(raw, cols.get("end_length"), required=False, minimum=0.0,
                      maximum=MAX_LENGTH_M)
    missing = np.array([e != "" for e in end]) & np.isnan(length)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"a {end[i]} end needs its length (end_length_m)", file=raw.file,
                         row=int(raw.line[i]), column=cols.get("end_length", cols["end"]))
    return SectionAreas(
        _text(raw, cols["block"], required=True), _text(raw, cols["category"], required=True),
        _text(raw, cols["section"], required=True), _coord(raw, cols["position"]),
        _numbers(raw, cols["area"], minimum=0.0, maximum=MAX_AREA_M2),
        _numbers(raw, cols["grade"], minimum=0.0, maximum=_grade_max(unit)),
        _numbers(raw, cols.get("density"), required=False, positive=True), end, length,
        raw.line.copy(), raw.file, unit)


def read_triangles(path: str | Path, *,
                   column_map: Mapping[str, str] | None = None) -> Triangles:
    """Read given triangles: ``hole1, hole2, hole3`` per row (hole ids of the intercepts)."""
    raw = _read(path)
    cols = _columns(raw, ["hole1", "hole2", "hole3"], ["hole1", "hole2", "hole3"], column_map)
    holes = np.column_stack([_text(raw, cols[r], required=True)
                             for r in ("hole1", "hole2", "hole3")])
    return Triangles(holes, raw.line.copy(), raw.file)


# ---------------------------------------------------------------------------- writing
def write_report(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a report table as CSV or XLSX (by suffix), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_table(df, path)
    if suffix != ".xlsx":
        raise ParameterError(f"output {path}: expected a .csv or .xlsx file name")
    with atomic_output(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        df.to_excel(xw, index=False, sheet_name="report")
    return path
