"""Read composites (or any point samples) back from CSV, XLSX, Parquet or GeoEAS files.

The layout written by ``orebook drillholes composite`` (``hole,from,to,length,x,y,z,domain`` and
one column per value) is read as it is; any other table needs x and y columns, and z unless the
data are 2-D (then z = 0), recognised by their usual names (``ALIASES``: X, EAST, XLOCATION…);
every other numeric column is a value. Without a
``length`` column every sample weighs the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.drillholes.composite import Composites
from orebook.errors import InputError

from .columns import find_columns, normalise, parse_numbers
from .tables import RawTable, read_table

__all__ = ["read_composites", "is_geoeas"]

_GEOEAS_SUFFIXES = {".dat", ".gslib", ".geoeas", ".gam", ".prn"}


def is_geoeas(path: Path) -> bool:
    """True when ``path`` looks like a GeoEAS file: a title, then a line with one integer."""
    if path.suffix.lower() in _GEOEAS_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8-sig", errors="replace").splitlines()
    except OSError:
        return False
    return len(head) > 1 and head[1].strip().isdigit() and "," not in head[0]


def _from_frame(df: pd.DataFrame, file: str) -> RawTable:
    """A DataFrame (Parquet, GeoEAS) as a table of strings, so one code path checks it."""
    data = {str(c): np.array(["" if pd.isna(v) else repr(float(v)) if isinstance(v, float)
                              else str(v) for v in df[c]], dtype=object) for c in df.columns}
    return RawTable(file, tuple(data), data, np.arange(2, len(df) + 2, dtype=np.int64))


def read_composites(path: str | Path, *, column_map: Mapping[str, str] | None = None,
                    domain_column: str | None = None) -> Composites:
    """Read samples with coordinates into :class:`Composites`.

    Parameters
    ----------
    path : CSV, XLSX, Parquet or GeoEAS file.
    column_map : role → column name for ``x``, ``y``, ``z``, ``hole``, ``from``, ``to``.
    domain_column : the column of domain codes (default: a column named ``domain``, if any).

    Rows without coordinates raise :class:`InputError` naming the row: samples with no
    location cannot enter a statistic weighted by space.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError("file not found", file=name)
    if path.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds on damaged files
            raise InputError(f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                             file=name) from None
        raw = _from_frame(df, name)
    elif is_geoeas(path):
        from .geoeas import read_geoeas

        g = read_geoeas(path)
        raw = _from_frame(g.data, name)
        raw = RawTable(raw.file, raw.columns, raw.data, np.asarray(g.line, dtype=np.int64))
    else:
        raw = read_table(path)
    cols = find_columns(raw, ["hole", "x", "y", "z", "from", "to"], required=["x", "y"],
                        user_map=column_map)
    coords = {"z": np.zeros(len(raw))}  # 2-D data: every sample at z = 0
    for axis in [a for a in ("x", "y", "z") if a in cols]:
        p = parse_numbers(raw.data[cols[axis]], decimal_comma=raw.decimal_comma)
        bad = p.empty | p.bad
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{axis} is {raw.data[cols[axis]][i]!r}, not a number "
                             f"({int(bad.sum())} rows like this)",
                             file=name, row=int(raw.line[i]), column=cols[axis])
        coords[axis] = p.value
    n = len(raw)
    by_norm = {normalise(c): c for c in raw.columns}
    dom_col = domain_column or by_norm.get("domain")
    if domain_column is not None and domain_column not in raw.data:
        raise InputError(f"no domain column {domain_column!r}; columns: "
                         f"{', '.join(raw.columns)}", file=name, row=1)
    length_col = by_norm.get("length") or by_norm.get("lengthm")
    used = set(cols.values()) | {dom_col, length_col}
    values, skipped = {}, []
    for c in raw.columns:
        if c in used:
            continue
        p = parse_numbers(raw.data[c], decimal_comma=raw.decimal_comma)
        ok = ~(p.empty | p.bad)
        if ok.sum() and ok.sum() >= p.bad.sum():
            values[c] = p.value
        else:
            skipped.append(c)
    if not values:
        raise InputError("no numeric value column besides the coordinates", file=name, row=1)
    hole = raw.data[cols["hole"]] if "hole" in cols else np.full(n, "", dtype=object)
    frm = (parse_numbers(raw.data[cols["from"]]).value if "from" in cols
           else np.full(n, np.nan))
    to = parse_numbers(raw.data[cols["to"]]).value if "to" in cols else np.full(n, np.nan)
    if length_col is not None:
        length = parse_numbers(raw.data[length_col]).value
    elif "from" in cols and "to" in cols:
        length = to - frm
    else:
        length = np.ones(n)
    length = np.where(np.isfinite(length) & (length > 0), length, 0.0)
    domain = (np.asarray(raw.data[dom_col], dtype=object) if dom_col is not None
              else np.full(n, "", dtype=object))
    coverage = {k: np.where(np.isnan(v), 0.0, length) for k, v in values.items()}
    return Composites(hole, frm, to, coords["x"], coords["y"], coords["z"], domain, values,
                      coverage)
