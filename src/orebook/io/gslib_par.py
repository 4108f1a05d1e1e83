"""Read GSLIB parameter files (``declus.par``, ``gamv.par`` …) as the Fortran programs do.

A parameter file is free text until a line starting with ``STAR`` (``START OF PARAMETERS:``);
each following line holds one parameter (or a group) before an optional comment that starts at
a backslash::

    START OF PARAMETERS:
    ../data/cluster.dat         \\file with data
    1   2   0   3               \\  columns for X, Y, Z, and variable

Like GSLIB, a numeric line is read for as many values as the parameter needs and the rest of
the line is ignored; a file name ends at the first two consecutive blanks (so ``my data.dat``
is one name), or at ``-fi``/``\\fi`` as GSLIB's ``chknam`` allows. Unlike GSLIB, relative file
names are resolved against the parameter file's folder (not the working directory), blank lines
after ``START`` are skipped, and a line with too few values is an error instead of being
continued on the next line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orebook.errors import InputError

from .geoeas import parse_fortran_real
from .tables import read_bytes

__all__ = ["ParLine", "ParFile", "read_par", "ParReader", "DeclusParams", "read_declus_par",
           "GamvDirection", "GamvVariogram", "GamvParams", "read_gamv_par", "GSLIB_STRUCTURES",
           "GridDef", "Kt3dParams", "read_kt3d_par", "Kb2dParams", "read_kb2d_par"]


@dataclass(frozen=True)
class ParLine:
    """One value line of a parameter file: its 1-based line number and the text before ``\\``."""

    line: int
    text: str

    @property
    def tokens(self) -> list[str]:
        return self.text.replace(",", " ").split()


@dataclass(frozen=True)
class ParFile:
    """The value lines of a parameter file, in order (blank lines left out)."""

    path: Path
    lines: tuple[ParLine, ...]
    start_line: int


def read_par(path: str | Path) -> ParFile:
    """The value lines that follow ``START OF PARAMETERS:`` in ``path``.

    Raises
    ------
    InputError : the file cannot be read or has no line starting with ``STAR``.
    """
    path = Path(path)
    name = str(path)
    raw = read_bytes(path, "parameter file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, ln in enumerate(lines) if ln[:4] == "STAR"), None)
    if start is None:
        raise InputError("no line starts with 'START OF PARAMETERS:'; GSLIB reads the "
                         "parameters from the lines after it", file=name)
    values = []
    for i in range(start + 1, len(lines)):
        if not lines[i].strip():
            continue
        values.append(ParLine(i + 1, lines[i].split("\\", 1)[0].rstrip()))
    return ParFile(path, tuple(values), start + 1)


class ParReader:
    """Reads a :class:`ParFile` one parameter line at a time, with errors that name the file,
    the line and the parameter."""

    def __init__(self, par: ParFile, program: str) -> None:
        self.par = par
        self.program = program
        self._i = 0
        self.last_line = par.start_line

    @property
    def folder(self) -> Path:
        return self.par.path.parent

    def error(self, message: str, what: str, line: int | None = None) -> InputError:
        return InputError(message, file=self.par.path, row=line or self.last_line, column=what)

    def next(self, what: str) -> ParLine:
        if self._i >= len(self.par.lines):
            raise InputError(f"the {self.program} parameter file ends before the {what}",
                             file=self.par.path, row=self.last_line + 1, column=what)
        ln = self.par.lines[self._i]
        self._i += 1
        self.last_line = ln.line
        return ln

    def filename(self, what: str) -> Path:
        """A file name, resolved against the parameter file's folder."""
        ln = self.next(what)
        text = ln.text.strip().replace("\t", "  ")
        text = text.split("  ", 1)[0]
        text = re.split(r"\s-fi", text, maxsplit=1)[0].strip()
        if not text:
            raise self.error(f"expected the {what}, found an empty line", what)
        p = Path(text)
        return p if p.is_absolute() else self.folder / p

    def _tokens(self, k: int, what: str) -> tuple[ParLine, list[str]]:
        ln = self.next(what)
        tok = ln.tokens
        if len(tok) < k:
            raise self.error(f"expected {k} value{'s' if k > 1 else ''} ({what}), found "
                             f"{len(tok)}: {ln.text.strip()!r}", what)
        return ln, tok[:k]

    def ints(self, k: int, what: str) -> list[int]:
        _, tok = self._tokens(k, what)
        out = []
        for t in tok:
            if not re.fullmatch(r"[+-]?[0-9]{1,9}", t):
                raise self.error(f"expected a whole number ({what}), found {t!r}", what)
            out.append(int(t))
        return out

    def floats(self, k: int, what: str) -> list[float]:
        _, tok = self._tokens(k, what)
        return [self._real(t, what) for t in tok]

    def _real(self, t: str, what: str) -> float:
        v = parse_fortran_real(t)
        if v is None:
            raise self.error(f"expected a number ({what}), found {t!r}", what)
        return v

    def int_and_floats(self, n: int, what: str, whole: str) -> tuple[int, list[float]]:
        """A whole number (``whole`` names it) then ``n`` real numbers on one line."""
        ln, tok = self._tokens(n + 1, what)
        if not re.fullmatch(r"[+-]?[0-9]{1,9}", tok[0]):
            raise self.error(f"expected a whole {whole}, found {tok[0]!r}", whole)
        return int(tok[0]), [self._real(t, what) for t in tok[1:]]

    def int_then_ints(self, what: str) -> tuple[int, list[int]]:
        """A count ``n`` followed on the same line by ``n`` whole numbers."""
        ln = self.next(what)
        tok = ln.tokens
        if not tok or not re.fullmatch(r"[+-]?[0-9]{1,9}", tok[0]):
            raise self.error(f"expected the number of {what} first, found "
                             f"{ln.text.strip()!r}", what)
        n = int(tok[0])
        if n < 1:
            raise self.error(f"the number of {what} must be at least 1, found {n}", what)
        rest = tok[1:1 + n]
        if len(rest) < n:
            raise self.error(f"announces {n} {what} but lists {len(rest)}", what)
        for t in rest:
            if not re.fullmatch(r"[+-]?[0-9]{1,9}", t):
                raise self.error(f"expected a column number ({what}), found {t!r}", what)
        return n, [int(t) for t in rest]

    def check(self, ok: bool, message: str, what: str) -> None:
        if not ok:
            raise self.error(message, what)


# --------------------------------------------------------------------------- declus


@dataclass(frozen=True)
class DeclusParams:
    """The parameters of GSLIB ``declus`` (columns are 1-based; 0 means "no such column")."""

    parfile: Path
    datafile: Path
    col_x: int
    col_y: int
    col_z: int
    col_var: int
    tmin: float
    tmax: float
    summary_file: Path
    output_file: Path
    anis_y: float
    anis_z: float
    objective: str  # "min" or "max"
    ncell: int
    cmin: float
    cmax: float
    noff: int
    lines: dict[str, int]  # parameter → line in the parameter file, for later messages


def read_declus_par(path: str | Path) -> DeclusParams:
    """Read a ``declus`` parameter file.

    Raises
    ------
    InputError : naming the parameter file, the line and the parameter that is missing or bad.
    """
    r = ParReader(read_par(path), "declus")
    lines: dict[str, int] = {}

    def at(key: str) -> None:
        lines[key] = r.last_line

    datafile = r.filename("file with data")
    at("datafile")
    ix, iy, iz, ivr = r.ints(4, "columns for X, Y, Z and variable")
    at("columns")
    for c, nm in ((ix, "X"), (iy, "Y"), (iz, "Z")):
        r.check(c >= 0, f"the column for {nm} is {c}; use 0 for none", "columns")
    r.check(ivr >= 1, f"the column for the variable is {ivr}; it must be at least 1", "columns")
    tmin, tmax = r.floats(2, "trimming limits")
    at("trimming")
    sumfl = r.filename("file for summary output")
    outfl = r.filename("file for output with data & weights")
    anis_y, anis_z = r.floats(2, "Y and Z cell anisotropy")
    at("anisotropy")
    r.check(anis_y > 0 and anis_z > 0,
            f"cell anisotropy must be positive, found {anis_y:g} and {anis_z:g}",
            "Y and Z cell anisotropy")
    (iminmax,) = r.ints(1, "0=look for minimum declustered mean (1=max)")
    r.check(iminmax in (0, 1), f"expected 0 (minimum) or 1 (maximum), found {iminmax}",
            "0=look for minimum declustered mean (1=max)")
    ncell, (cmin, cmax) = r.int_and_floats(2, "number of cell sizes, min size, max size",
                                           "number of cell sizes")
    at("cells")
    r.check(ncell >= 1, f"the number of cell sizes must be at least 1, found {ncell}",
            "number of cell sizes")
    if ncell == 1:
        cmax = cmin  # as GSLIB
    r.check(cmin > 0, f"the minimum cell size must be positive, found {cmin:g}", "min size")
    r.check(cmax >= cmin, f"the maximum cell size {cmax:g} is below the minimum {cmin:g}",
            "max size")
    (noff,) = r.ints(1, "number of origin offsets")
    at("noff")
    r.check(noff >= 1, f"the number of origin offsets must be at least 1, found {noff}",
            "number of origin offsets")
    return DeclusParams(Path(path), datafile, ix, iy, iz, ivr, tmin, tmax, sumfl, outfl,
                        anis_y, anis_z, "max" if iminmax == 1 else "min", ncell, cmin, cmax,
                        noff, lines)


# --------------------------------------------------------------------------- gamv


@dataclass(frozen=True)
class GamvDirection:
    """One direction of ``gamv``: angles in degrees (azimuth clockwise from north, dip negative
    downwards), half-window tolerances and bandwidths in metres."""

    azimuth: float
    azimuth_tol: float
    bandwidth_h: float
    dip: float
    dip_tol: float
    bandwidth_v: float


@dataclass(frozen=True)
class GamvVariogram:
    """One requested variogram: tail and head variable (1-based among the listed variables),
    GSLIB type code, and the threshold for indicator types 9 and 10."""

    tail: int
    head: int
    type: int
    cutoff: float | None = None
    line: int = 0


@dataclass(frozen=True)
class GamvParams:
    """The parameters of GSLIB ``gamv``."""

    parfile: Path
    datafile: Path
    col_x: int
    col_y: int
    col_z: int
    var_columns: tuple[int, ...]
    tmin: float
    tmax: float
    output_file: Path
    nlag: int
    xlag: float
    xltol: float
    directions: tuple[GamvDirection, ...]
    standardize: bool
    variograms: tuple[GamvVariogram, ...]
    lines: dict[str, int]


def read_gamv_par(path: str | Path) -> GamvParams:
    """Read a ``gamv`` parameter file.

    A lag tolerance ≤ 0 becomes half the lag distance, as in GSLIB.

    Raises
    ------
    InputError : naming the parameter file, the line and the parameter that is missing or bad.
    """
    r = ParReader(read_par(path), "gamv")
    lines: dict[str, int] = {}

    def at(key: str) -> None:
        lines[key] = r.last_line

    datafile = r.filename("file with data")
    at("datafile")
    ix, iy, iz = r.ints(3, "columns for X, Y, Z coordinates")
    at("columns")
    for c, nm in ((ix, "X"), (iy, "Y"), (iz, "Z")):
        r.check(c >= 0, f"the column for {nm} is {c}; use 0 for none",
                "columns for X, Y, Z coordinates")
    nvar, cols = r.int_then_ints("variables")
    at("variables")
    for c in cols:
        r.check(c >= 1, f"a variable column must be at least 1, found {c}", "variables")
    tmin, tmax = r.floats(2, "trimming limits")
    at("trimming")
    outfl = r.filename("file for variogram output")
    (nlag,) = r.ints(1, "number of lags")
    r.check(nlag >= 1, f"the number of lags must be at least 1, found {nlag}", "number of lags")
    (xlag,) = r.floats(1, "lag separation distance")
    r.check(xlag > 0, f"the lag separation distance must be positive, found {xlag:g}",
            "lag separation distance")
    (xltol,) = r.floats(1, "lag tolerance")
    if xltol <= 0:
        xltol = 0.5 * xlag  # as GSLIB
    (ndir,) = r.ints(1, "number of directions")
    r.check(ndir >= 1, f"the number of directions must be at least 1, found {ndir}",
            "number of directions")
    dirs = []
    for k in range(ndir):
        what = f"direction {k + 1}: azm, atol, bandh, dip, dtol, bandv"
        azm, atol, bandh, dip, dtol, bandv = r.floats(6, what)
        r.check(bandh >= 0, f"the horizontal bandwidth is negative ({bandh:g})", what)
        r.check(bandv >= 0, f"the vertical bandwidth is negative ({bandv:g})", what)
        dirs.append(GamvDirection(azm, atol, bandh, dip, dtol, bandv))
    (isill,) = r.ints(1, "standardize sills? (0=no, 1=yes)")
    (nvarg,) = r.ints(1, "number of variograms")
    r.check(nvarg >= 1, f"the number of variograms must be at least 1, found {nvarg}",
            "number of variograms")
    vgs = []
    for k in range(nvarg):
        what = f"variogram {k + 1}: tail var., head var., variogram type"
        ln = r.next(what)
        tok = ln.tokens
        if len(tok) < 3 or not all(re.fullmatch(r"[+-]?[0-9]{1,9}", t) for t in tok[:3]):
            raise r.error(f"expected three whole numbers, found {ln.text.strip()!r}", what)
        tail, head, typ = (int(t) for t in tok[:3])
        cut = None
        if typ in (9, 10):
            if len(tok) < 4:
                raise r.error("an indicator variogram (type 9 or 10) needs a threshold as a "
                              "fourth value", what)
            cut = r._real(tok[3], what)
        for v, nm in ((tail, "tail"), (head, "head")):
            r.check(1 <= v <= nvar, f"the {nm} variable is {v}; it must be between 1 and "
                    f"{nvar} (the number of variables listed)", what)
        vgs.append(GamvVariogram(tail, head, typ, cut, ln.line))
    return GamvParams(Path(path), datafile, ix, iy, iz, tuple(cols), tmin, tmax, outfl, nlag,
                      xlag, xltol, tuple(dirs), isill == 1, tuple(vgs), lines)


# --------------------------------------------------------------------------- kt3d, kb2d

GSLIB_STRUCTURES = {1: "spherical", 2: "exponential", 3: "gaussian", 4: "power"}
"""GSLIB's variogram structure codes ``it`` that orebook models (5, the hole effect, is not)."""


def _structure(r: ParReader, it: int, cc: float, angles: tuple[float, float, float],
               ranges: tuple[float, float, float], what: str):
    """A GSLIB structure line as an orebook Structure (a power model's ``a_hmax`` is its
    exponent; its other two ranges give the anisotropy ratios, as in GSLIB)."""
    from orebook.errors import ParameterError
    from orebook.geostats.models import Structure

    if it not in GSLIB_STRUCTURES:
        raise r.error(f"structure type {it} is not supported (1 spherical, 2 exponential, "
                      f"3 gaussian, 4 power)", what)
    kind = GSLIB_STRUCTURES[it]
    try:
        if kind == "power":
            a = ranges[0]
            ratios = (1.0, ranges[1] / a, ranges[2] / a) if a > 0 else ranges
            return Structure(kind, cc, ratios, angles, exponent=a)
        return Structure(kind, cc, ranges, angles)
    except (ParameterError, ZeroDivisionError) as exc:
        raise r.error(f"structure not valid: {exc}", what) from None


@dataclass(frozen=True)
class GridDef:
    """A GSLIB grid: ``n`` cells per axis, ``mn`` the centre of the first cell, ``siz`` the
    cell size (m)."""

    nx: int
    xmn: float
    xsiz: float
    ny: int
    ymn: float
    ysiz: float
    nz: int = 1
    zmn: float = 0.0
    zsiz: float = 1.0


@dataclass(frozen=True)
class Kt3dParams:
    """The parameters of GSLIB ``kt3d`` (columns 1-based, 0 = none). ``option``: 0 grid,
    1 cross-validation, 2 jackknife; ``ikrige``: 0 SK, 1 OK, 2 non-stationary SK, 3 external
    drift; ``drift``: the nine drift flags (x, y, z, xx, yy, zz, xy, xz, zy)."""

    parfile: Path
    datafile: Path
    col_dh: int
    col_x: int
    col_y: int
    col_z: int
    col_var: int
    col_sec: int
    tmin: float
    tmax: float
    option: int
    jackknife_file: Path
    jack_columns: tuple[int, int, int, int, int]
    debug_level: int
    debug_file: Path
    output_file: Path
    grid: GridDef
    discretisation: tuple[int, int, int]
    ndmin: int
    ndmax: int
    noct: int
    radii: tuple[float, float, float]
    search_angles: tuple[float, float, float]
    ikrige: int
    skmean: float
    drift: tuple[int, ...]
    itrend: int
    drift_file: Path
    drift_column: int
    model: object  # orebook.geostats.models.VariogramModel
    lines: dict[str, int]


def _grid_line(r: ParReader, axis: str) -> tuple[int, float, float]:
    what = f"n{axis},{axis}mn,{axis}siz"
    n, (mn, siz) = r.int_and_floats(2, what, f"number of cells n{axis}")
    r.check(n >= 1 and siz > 0, f"n{axis} must be ≥ 1 and {axis}siz > 0, found {n}, {siz:g}",
            what)
    return n, mn, siz


def _model(r: ParReader, lines: dict[str, int], *, three_d: bool):
    from orebook.errors import ParameterError
    from orebook.geostats.models import VariogramModel

    nst, (c0,) = r.int_and_floats(1, "nst, nugget effect", "number of structures nst")
    lines["model"] = r.last_line
    r.check(nst >= 0, f"nst must be ≥ 0, found {nst}", "nst")
    structures = []
    for i in range(nst):
        what = f"structure {i + 1}"
        if three_d:
            it, cc, a1, a2, a3 = r.floats(5, f"{what}: it,cc,ang1,ang2,ang3")
            first = r.last_line
            hmax, hmin, vert = r.floats(3, f"{what}: a_hmax, a_hmin, a_vert")
            angles, ranges = (a1, a2, a3), (hmax, hmin, vert)
        else:
            it, cc, azm, amax, amin = r.floats(5, f"{what}: it,cc,azm,a_max,a_min")
            first = r.last_line
            angles, ranges = (azm, 0.0, 0.0), (amax, amin, amin)
        r.last_line = first  # errors name the structure's first line
        r.check(float(it).is_integer(), f"structure type must be whole, found {it:g}", what)
        structures.append(_structure(r, int(it), cc, angles, ranges, what))
    try:
        return VariogramModel(c0, tuple(structures))
    except ParameterError as exc:
        raise r.error(f"variogram model not valid: {exc}", "nst, nugget effect",
                      lines["model"]) from None


def read_kt3d_par(path: str | Path) -> Kt3dParams:
    """Read a ``kt3d`` parameter file (GSLIB 2.905 layout, with the drill-hole column).

    Raises
    ------
    InputError : naming the parameter file, the line and the parameter that is missing or bad.
    """
    r = ParReader(read_par(path), "kt3d")
    lines: dict[str, int] = {}
    datafile = r.filename("file with data")
    dh, ix, iy, iz, ivr, isec = r.ints(6, "columns for DH,X,Y,Z,var,sec var")
    lines["columns"] = r.last_line
    r.check(ivr >= 1, f"the column for the variable is {ivr}; it must be at least 1",
            "columns")
    tmin, tmax = r.floats(2, "trimming limits")
    (option,) = r.ints(1, "option: 0=grid, 1=cross, 2=jackknife")
    r.check(option in (0, 1, 2), f"option must be 0, 1 or 2, found {option}", "option")
    jackfile = r.filename("file with jackknife data")
    jack = tuple(r.ints(5, "columns for X,Y,Z,vr and sec var"))
    (idbg,) = r.ints(1, "debugging level")
    dbgfile = r.filename("file for debugging output")
    outfile = r.filename("file for kriged output")
    gx, gy, gz = (_grid_line(r, a) for a in "xyz")
    disc = tuple(r.ints(3, "x,y and z block discretization"))
    r.check(all(d >= 1 for d in disc), f"block discretization must be ≥ 1, found {disc}",
            "block discretization")
    ndmin, ndmax = r.ints(2, "min, max data for kriging")
    r.check(0 <= ndmin <= ndmax and ndmax >= 1,
            f"expected 0 ≤ min ≤ max and max ≥ 1, found {ndmin}, {ndmax}", "min, max data")
    (noct,) = r.ints(1, "max per octant")
    radii = tuple(r.floats(3, "maximum search radii"))
    r.check(all(x > 0 for x in radii), f"search radii must be positive, found {radii}",
            "maximum search radii")
    sang = tuple(r.floats(3, "angles for search ellipsoid"))
    ikrige, (skmean,) = r.int_and_floats(1, "0=SK,1=OK,2=non-st SK,3=exdrift",
                                         "kriging type")
    lines["ikrige"] = r.last_line
    r.check(ikrige in (0, 1, 2, 3), f"kriging type must be 0–3, found {ikrige}", "kriging type")
    drift = tuple(r.ints(9, "drift: x,y,z,xx,yy,zz,xy,xz,zy"))
    lines["drift"] = r.last_line
    (itrend,) = r.ints(1, "0, variable; 1, estimate trend")
    lines["itrend"] = r.last_line
    driftfile = r.filename("gridded file with drift/mean")
    (dcol,) = r.ints(1, "column number in gridded file")
    model = _model(r, lines, three_d=True)
    return Kt3dParams(Path(path), datafile, dh, ix, iy, iz, ivr, isec, tmin, tmax, option,
                      jackfile, jack, idbg, dbgfile, outfile, GridDef(*gx, *gy, *gz), disc,
                      ndmin, ndmax, noct, radii, sang, ikrige, skmean, drift, itrend,
                      driftfile, dcol, model, lines)


@dataclass(frozen=True)
class Kb2dParams:
    """The parameters of GSLIB ``kb2d`` (2-D point or block kriging on a grid)."""

    parfile: Path
    datafile: Path
    col_x: int
    col_y: int
    col_var: int
    tmin: float
    tmax: float
    debug_level: int
    debug_file: Path
    output_file: Path
    grid: GridDef
    discretisation: tuple[int, int]
    ndmin: int
    ndmax: int
    radius: float
    isk: int
    skmean: float
    model: object  # orebook.geostats.models.VariogramModel
    lines: dict[str, int]


def read_kb2d_par(path: str | Path) -> Kb2dParams:
    """Read a ``kb2d`` parameter file; structures are 2-D (azimuth, a_max, a_min).

    Raises
    ------
    InputError : naming the parameter file, the line and the parameter that is missing or bad.
    """
    r = ParReader(read_par(path), "kb2d")
    lines: dict[str, int] = {}
    datafile = r.filename("file with data")
    ix, iy, ivr = r.ints(3, "columns for X, Y, and variable")
    r.check(ivr >= 1 and ix >= 1 and iy >= 1, "kb2d needs X, Y and variable columns ≥ 1",
            "columns")
    tmin, tmax = r.floats(2, "trimming limits")
    (idbg,) = r.ints(1, "debugging level")
    dbgfile = r.filename("file for debugging output")
    outfile = r.filename("file for kriged output")
    gx, gy = (_grid_line(r, a) for a in "xy")
    disc = tuple(r.ints(2, "x and y block discretization"))
    r.check(all(d >= 1 for d in disc), f"block discretization must be ≥ 1, found {disc}",
            "block discretization")
    ndmin, ndmax = r.ints(2, "min and max data for kriging")
    r.check(0 <= ndmin <= ndmax and ndmax >= 1,
            f"expected 0 ≤ min ≤ max and max ≥ 1, found {ndmin}, {ndmax}", "min, max data")
    (radius,) = r.floats(1, "maximum search radius")
    r.check(radius > 0, f"the search radius must be positive, found {radius:g}", "radius")
    isk, (skmean,) = r.int_and_floats(1, "0=SK, 1=OK, (mean if SK)", "kriging type")
    r.check(isk in (0, 1), f"expected 0 (SK) or 1 (OK), found {isk}", "kriging type")
    model = _model(r, lines, three_d=False)
    return Kb2dParams(Path(path), datafile, ix, iy, ivr, tmin, tmax, idbg, dbgfile, outfile,
                      GridDef(*gx, *gy), disc, ndmin, ndmax, radius, isk, skmean, model, lines)
