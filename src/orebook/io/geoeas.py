"""Read and write GeoEAS files, the plain-text layout of GSLIB.

A GeoEAS file is a title line, a line whose first field is the number of variables ``nvar``,
``nvar`` lines each holding one variable name, then data rows of ``nvar`` numbers separated by
whitespace::

    Clustered 140 primary and secondary data
    3
    Xlocation
    Ylocation
    Primary
    39.5 18.5   .06

GSLIB marks missing values with a code (usually −999) or with values outside its *trimming
limits* (a value is kept when ``tmin <= v < tmax``). Inside orebook a missing value is NaN
(CONVENTIONS), so the reader turns both into NaN on request; the GSLIB runners ask for the
numbers as written and trim as the Fortran does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import InputError, ParameterError

from .tables import read_bytes
from .writing import write_text_atomic

__all__ = ["GeoEASFile", "read_geoeas", "write_geoeas", "parse_fortran_real", "raw_lines",
           "fortran_f", "fortran_i", "MISSING"]

MISSING = -999.0
"""The customary GSLIB code for a missing value."""

# A real number as Fortran list-directed input reads it: optional sign, digits with an optional
# decimal point (".5", "5.", "5"), optional exponent with E or D. No "nan", "inf", "1_0"…
_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eEdD][+-]?[0-9]+)?")


@dataclass(frozen=True)
class GeoEASFile:
    """A GeoEAS file as read.

    Attributes
    ----------
    file : the path as given.
    title : the first line, without its line break (trailing blanks removed).
    data : one float64 column per variable, in file order. Names are the name lines stripped of
        blanks; an empty name becomes ``column_<i>`` and a repeated one gets ``_2``, ``_3``…
    line : int64 array, the 1-based line each row of ``data`` came from (title = line 1).
    names : the name lines as written (stripped), before empty or repeated names were changed.
    encoding : ``"utf-8"`` or, for files that are not UTF-8, ``"latin-1"``.
    """

    file: str
    title: str
    data: pd.DataFrame
    line: np.ndarray
    names: tuple[str, ...]
    encoding: str = "utf-8"

    def __len__(self) -> int:
        return len(self.data)


def parse_fortran_real(text: str) -> float | None:
    """The value of ``text`` read as a Fortran real (``1.0e21``, ``.5``, ``90.``, ``1.5D-3``),
    or None when it is not one or does not fit a float64.

    >>> parse_fortran_real(".06"), parse_fortran_real("1.0D2"), parse_fortran_real("nan")
    (0.06, 100.0, None)
    """
    if not _REAL.fullmatch(text):
        return None
    v = float(text.replace("d", "e").replace("D", "e"))
    return v if np.isfinite(v) else None


def _decode(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # GSLIB files predate UTF-8; every byte is a latin-1 character, and numbers are ASCII.
        return raw.decode("latin-1"), "latin-1"


def _lines(text: str) -> list[str]:
    """Lines split at LF only (CR LF and lone CR line ends are accepted)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def raw_lines(path: str | Path) -> tuple[list[str], str]:
    """The lines of a text file as GSLIB sees them (line ends removed, nothing else changed)
    and the encoding used to read them (``"utf-8"`` or ``"latin-1"``)."""
    text, encoding = _decode(read_bytes(path))
    return _lines(text), encoding


def fortran_f(x: float, w: int, d: int, *, leading_zero: bool = False) -> str:
    """``x`` as Fortran's ``Fw.d`` edit descriptor writes it: right-aligned in ``w`` characters
    with ``d`` decimals, ``w`` asterisks when it does not fit.

    The zero before the decimal point of a number below 1 is optional in Fortran: the GSLIB
    executables (Compaq/Intel Fortran) leave it out (``.500``, ``-.500``), gfortran writes it
    (``0.500``); ``leading_zero`` chooses. NaN and infinities are written as gfortran does.

    >>> fortran_f(2.5239, 15, 3), fortran_f(-999.0, 10, 5), fortran_f(1e9, 8, 3)
    ('          2.524', '-999.00000', '********')
    >>> fortran_f(0.25, 8, 3), fortran_f(-0.25, 8, 3, leading_zero=True)
    ('    .250', '  -0.250')
    """
    x = float(x)
    if np.isnan(x):
        s = "NaN"
    elif np.isinf(x):
        s = "Infinity" if x > 0 else "-Infinity"
        if len(s) > w:
            s = "Inf" if x > 0 else "-Inf"
    else:
        s = f"{x:.{d}f}"
        if not leading_zero and d > 0:
            if s.startswith("0."):
                s = s[1:]
            elif s.startswith("-0."):
                s = "-" + s[2:]
    return s.rjust(w) if len(s) <= w else "*" * w


def fortran_i(n: int, w: int) -> str:
    """``n`` as Fortran's ``Iw`` writes it (asterisks when it does not fit).

    >>> fortran_i(6, 3), fortran_i(12345, 3)
    ('  6', '***')
    """
    s = str(int(n))
    return s.rjust(w) if len(s) <= w else "*" * w


def _unique_names(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, n in enumerate(names):
        base = n or f"column_{i + 1}"
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name)
        out.append(name)
    return out


def read_geoeas(path: str | Path, *, missing: float | Iterable[float] | None = MISSING,
                tmin: float | None = None, tmax: float | None = None,
                trim: Iterable[str | int] | None = None) -> GeoEASFile:
    """Read a GeoEAS (GSLIB) file.

    Parameters
    ----------
    path : the file.
    missing : value code(s) read as NaN (default −999); None keeps every number as written.
    tmin, tmax : GSLIB trimming limits: values below ``tmin`` or at or above ``tmax`` are read
        as NaN (either may be None). Default: no trimming.
    trim : the columns (names or 0-based positions) to which ``missing``, ``tmin`` and ``tmax``
        apply; default every column. GSLIB trims variables, not coordinates.

    Returns
    -------
    GeoEASFile : title, data (float64 DataFrame) and the line of each row.

    Raises
    ------
    InputError : naming the file, the line and (for data) the column of the first problem: a
        missing header, a count that is not a whole number, a row with too few or too many
        fields, a field that is not a number.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.dat")
    >>> _ = open(p, "w").write("demo\\n2\\nx\\nv\\n1.5 -999\\n2 .25\\n")
    >>> g = read_geoeas(p)
    >>> g.title, list(g.data.columns), g.data["v"].tolist(), g.line.tolist()
    ('demo', ['x', 'v'], [nan, 0.25], [5, 6])
    """
    path = Path(path)
    name = str(path)
    text, encoding = _decode(read_bytes(path))
    lines = _lines(text)
    if not lines:
        raise InputError("file is empty: expected a title line, the number of variables, "
                         "their names and the data", file=name)
    title = lines[0].rstrip()
    if len(lines) < 2 or not lines[1].split():
        raise InputError("expected the number of variables on line 2, found "
                         f"{'nothing' if len(lines) < 2 else 'an empty line'}", file=name, row=2)
    first = lines[1].split()[0]
    if not re.fullmatch(r"[+]?[0-9]{1,9}", first) or int(first) < 1:
        raise InputError(f"expected the number of variables (a whole number ≥ 1) on line 2, "
                         f"found {first!r}", file=name, row=2)
    nvar = int(first)
    if len(lines) < 2 + nvar:
        raise InputError(f"line 2 announces {nvar} variables but the file ends after "
                         f"{len(lines) - 2} name lines", file=name, row=len(lines) + 1)
    written = tuple(ln.strip() for ln in lines[2:2 + nvar])
    names = _unique_names(written)

    start = 2 + nvar  # 0-based index of the first data line
    body = lines[start:]
    keep = [i for i, ln in enumerate(body) if ln.strip()]
    rows = [body[i].split() for i in keep]
    line_no = np.asarray([start + i + 1 for i in keep], dtype=np.int64)
    values = np.empty((len(rows), nvar), dtype=np.float64)
    for r, fields in enumerate(rows):
        if len(fields) != nvar:
            col = names[min(len(fields), nvar - 1)] if len(fields) < nvar else None
            raise InputError(f"expected {nvar} numbers, found {len(fields)}",
                             file=name, row=int(line_no[r]), column=col)
        for c, tok in enumerate(fields):
            v = parse_fortran_real(tok)
            if v is None:
                shown = tok if len(tok) <= 30 else tok[:27] + "..."
                raise InputError(f"{shown!r} is not a number", file=name, row=int(line_no[r]),
                                 column=names[c])
            values[r, c] = v

    cols = _trim_columns(trim, names, name)
    codes = [] if missing is None else (
        [float(missing)] if np.isscalar(missing) else [float(m) for m in missing])
    for c in cols:
        v = values[:, c]
        bad = np.zeros(len(v), dtype=bool)
        for m in codes:
            bad |= v == m
        if tmin is not None:
            bad |= v < tmin
        if tmax is not None:
            bad |= v >= tmax
        v[bad] = np.nan
    data = pd.DataFrame({n: values[:, j] for j, n in enumerate(names)}, columns=names)
    return GeoEASFile(name, title, data, line_no, written, encoding)


def _trim_columns(trim: Iterable[str | int] | None, names: list[str], file: str) -> list[int]:
    if trim is None:
        return list(range(len(names)))
    out = []
    for t in trim:
        if isinstance(t, (int, np.integer)):
            if not 0 <= int(t) < len(names):
                raise ParameterError(f"trim: column position {t} is outside 0..{len(names) - 1}"
                                     f" for {file}")
            out.append(int(t))
        elif t in names:
            out.append(names.index(t))
        else:
            raise ParameterError(f"trim: no column {t!r} in {file}; columns: {', '.join(names)}")
    return out


def write_geoeas(path: str | Path, data: pd.DataFrame | Mapping[str, np.ndarray], *,
                 title: str = "orebook", missing: float = MISSING,
                 float_format: str | None = None) -> Path:
    """Write numeric columns as a GeoEAS file (atomically: temporary file, then rename).

    Parameters
    ----------
    path : the file to write.
    data : a DataFrame or a mapping name → 1-D array, all of one length; every column numeric.
    title : the title line.
    missing : the code written for NaN (default −999).
    float_format : a format spec for every number, e.g. ``"12.5f"``; default the shortest text
        that reads back to the same float64, columns right-aligned.

    Raises
    ------
    ParameterError : a non-numeric or infinite column, a line break in the title or a name,
        columns of different lengths, or an output that cannot be written.
    """
    cols = dict(data.items()) if isinstance(data, pd.DataFrame) else dict(data)
    if not cols:
        raise ParameterError("write_geoeas: no columns to write")
    if "\n" in title or "\r" in title:
        raise ParameterError("write_geoeas: the title must be one line")
    names, arrays = [], []
    n = None
    for k, v in cols.items():
        nm = str(k)
        if "\n" in nm or "\r" in nm:
            raise ParameterError(f"write_geoeas: column name {nm!r} must be one line")
        try:
            a = np.asarray(v, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ParameterError(f"write_geoeas: column {nm!r} is not numeric; GeoEAS files "
                                 "hold numbers only") from None
        if np.isinf(a).any():
            raise ParameterError(f"write_geoeas: column {nm!r} holds an infinite value")
        if n is not None and len(a) != n:
            raise ParameterError(f"write_geoeas: column {nm!r} has {len(a)} values, "
                                 f"the first column {n}")
        n = len(a)
        names.append(nm)
        arrays.append(np.where(np.isnan(a), missing, a))
    if float_format is None:
        texts = [[repr(float(x)) for x in a] for a in arrays]
        widths = [max((len(t) for t in col), default=0) for col in texts]
        rows = [" ".join(col[i].rjust(w) for col, w in zip(texts, widths))
                for i in range(n or 0)]
    else:
        try:
            format(1.0, float_format)
        except ValueError:
            raise ParameterError(f"write_geoeas: {float_format!r} is not a float format"
                                 ) from None
        rows = [" ".join(format(float(a[i]), float_format) for a in arrays)
                for i in range(n or 0)]
    text = "\n".join([title, str(len(names)), *names, *rows]) + "\n"
    return write_text_atomic(path, text)
