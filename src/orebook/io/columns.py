"""Recognise the roles of columns (hole id, from, to, x, y, z, …) and parse numbers.

Column names are compared after lower-casing and removing everything but letters and digits,
so ``HOLE_ID``, ``Hole ID`` and ``holeid`` are the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from orebook.errors import InputError
from orebook.io.tables import RawTable

__all__ = ["ALIASES", "normalise", "find_columns", "parse_numbers", "ParsedNumbers"]

ALIASES: dict[str, tuple[str, ...]] = {
    "hole": ("holeid", "hole", "bhid", "dhid", "holename", "holeno", "holenumber", "borehole",
             "boreholeid", "drillhole", "drillholeid", "hid", "skv", "well", "wellid", "id"),
    "x": ("xcollar", "x", "east", "easting", "eastings", "xm", "xcoord", "locx",
          "mx", "e", "xlocation", "xloc", "xcentre", "xcenter", "xc"),
    "y": ("ycollar", "y", "north", "northing", "northings", "ym", "ycoord", "locy", "my", "n",
          "ylocation", "yloc", "ycentre", "ycenter", "yc"),
    "z": ("zcollar", "z", "elev", "elevation", "rl", "zm", "zcoord", "locz", "mz", "alt",
          "altitude", "height", "collarrl", "zlocation", "zloc", "zcentre", "zcenter", "zc"),
    "max_depth": ("maxdepth", "depth", "eoh", "td", "totaldepth", "holedepth", "length",
                  "holelength", "finaldepth", "enddepth", "maxdepthm", "depthm"),
    "at": ("at", "depth", "surveydepth", "distance", "surveyat", "md", "depthm", "atm",
           "surveydepthm", "dist"),
    "azimuth": ("az", "azimuth", "azi", "azim", "brg", "bearing", "azimuthdeg", "azdeg"),
    "dip": ("dip", "inclination", "incl", "inc", "dipdeg"),
    "from": ("from", "depthfrom", "fromm", "mfrom", "start", "startdepth", "top", "fromdepth",
             "sampfrom", "samplefrom"),
    "to": ("to", "depthto", "tom", "mto", "end", "enddepth", "bottom", "base", "todepth",
           "sampto", "sampleto"),
}
"""Recognised spellings per role, after :func:`normalise`, in order of preference."""

ROLE_LABEL = {
    "hole": "the hole id", "x": "X (east)", "y": "Y (north)", "z": "Z (elevation)",
    "max_depth": "the hole depth", "at": "the survey depth", "azimuth": "the azimuth",
    "dip": "the dip", "from": "the interval's from-depth", "to": "the interval's to-depth",
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(name: str) -> str:
    """Lower-case ``name`` and drop everything but letters and digits."""
    return _NON_ALNUM.sub("", name.lower())


def find_columns(
    table: RawTable,
    roles: Iterable[str],
    *,
    required: Iterable[str] = (),
    user_map: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each role to a column of ``table``.

    A name given by the user in ``user_map`` (role → column) wins when the table has it; otherwise
    the first alias found is used. A required role with no column raises :class:`InputError`
    listing the spellings looked for and the columns found.
    """
    user_map = dict(user_map or {})
    by_norm = {normalise(c): c for c in table.columns}
    exact = {c.lower(): c for c in table.columns}
    taken: set[str] = set()
    found: dict[str, str] = {}
    for role in roles:
        wanted = user_map.get(role)
        if wanted is not None and wanted.lower() in exact:
            found[role] = exact[wanted.lower()]
            taken.add(found[role])
            continue
        for alias in ALIASES[role]:
            col = by_norm.get(alias)
            if col is not None and col not in taken:
                found[role] = col
                taken.add(col)
                break
    for role in required:
        if role not in found:
            wanted = user_map.get(role)
            hint = (f"the column {wanted!r} given for it is not there"
                    if wanted else f"looked for {', '.join(a.upper() for a in ALIASES[role][:8])}")
            raise InputError(
                f"no column for {ROLE_LABEL[role]} ({hint}); columns found: "
                f"{', '.join(table.columns)}; name it with --column {role}=NAME",
                file=table.file, row=1)
    return found


_BELOW = re.compile(r"^<\s*=?\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$")
_COMMA_DECIMAL = re.compile(r"^[-+]?\d*,\d+$")


class ParsedNumbers:
    """A column of strings parsed to float64.

    Attributes
    ----------
    value : float64 array; NaN where the cell is empty or not a number.
    empty : True where the cell was empty.
    bad : True where the cell held text that is not a number (value is NaN).
    below : True where the cell held a ``<x`` code (value is ``-x``, the GSLIB-style sign code).
    """

    __slots__ = ("value", "empty", "bad", "below")

    def __init__(self, value: np.ndarray, empty: np.ndarray, bad: np.ndarray,
                 below: np.ndarray) -> None:
        self.value, self.empty, self.bad, self.below = value, empty, bad, below


def parse_numbers(cells: np.ndarray, *, decimal_comma: bool = False,
                  below_codes: bool = False) -> ParsedNumbers:
    """Parse an object array of strings to numbers.

    ``below_codes`` reads ``<0.01`` as a below-detection code (returned as ``-0.01`` with
    ``below`` set); ``decimal_comma`` reads ``0,5`` as 0.5 (files delimited by ``;`` or tab).
    """
    s = pd.Series(cells, dtype=object)
    empty = (s == "").to_numpy()
    value = pd.to_numeric(s.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    value[~np.isfinite(value)] = np.nan  # "inf" and "nan" text are not data
    bad = np.isnan(value) & ~empty
    below = np.zeros(len(cells), dtype=bool)
    if bad.any():
        for i in np.flatnonzero(bad):
            text = cells[i]
            if below_codes:
                m = _BELOW.match(text)
                if m:
                    limit = abs(float(m.group(1)))
                    value[i], below[i], bad[i] = -limit, True, False
                    continue
            if decimal_comma and _COMMA_DECIMAL.match(text):
                value[i], bad[i] = float(text.replace(",", ".")), False
        # explicit NaN/inf text: keep flagged as bad (not a measured number)
    return ParsedNumbers(value, empty, bad, below)
