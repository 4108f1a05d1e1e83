"""Run an unchanged GSLIB ``kt3d`` or ``kb2d`` parameter file with orebook's search and kriging
and write the program's output file in its own GeoEAS layout.

``kt3d``, grid mode (option 0)::

    KT3D ESTIMATES WITH: <data file title, 58 characters>     <- 80 characters
        2   50   50    1                                      <- 4(1X, I4): 2, nx, ny, nz
    Estimate
    EstimationVariance
       2.345     1.234                                        <- F9.3, 1X, F9.3; x fastest

``kt3d``, cross-validation (option 1): the title, ``    7``, the names ``X``, ``Y``, ``Z``,
``True``, ``Estimate``, ``EstimationVariance``, ``Error: est-true`` and one line per data line
(every line of the data file, trimmed or not, in file order) as ``7(F12.3, 1X)``. Each datum
is estimated without the samples at its location (and, with a drill-hole column, without the
samples of its hole), as kt3d does.

``kb2d``: ``KB2D Output``, `` 2 nx ny 1`` (4(1X, I4)), `` Estimate``, ``Estimation Variance``,
then one line per node (x fastest) as ``F8.3, 1X, F8.3``.

Unestimated values (too few samples, a singular system) are −999 (GSLIB's ``UNEST``). As kt3d,
ordinary kriging from a single sample is left unestimated by ``run_kt3d`` (kt3d needs more
samples than drift terms); ``kb2d`` estimates it with the sample's value.

Not supported (refused with an :class:`InputError` naming the parameter file and line):
kt3d's jackknife mode (option 2), non-stationary simple kriging (kriging type 2), external
drift (type 3), drift terms with ordinary kriging (kt3d ignores them with simple kriging, and so
does this module) and estimating the trend (``itrend`` 1). The debugging file is not written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from orebook.errors import InputError
from orebook.estimate.grid import BlockGrid
from orebook.estimate.kriging import KrigingResult, ordinary_kriging, simple_kriging
from orebook.estimate.search import Neighbourhood, Neighbours, SearchParams
from orebook.io.geoeas import fortran_f, fortran_i, raw_lines, read_geoeas
from orebook.io.gslib_par import Kb2dParams, Kt3dParams, read_kb2d_par, read_kt3d_par, read_par
from orebook.io.writing import write_text_atomic

__all__ = ["UNEST", "kb2d_from_params", "kt3d_from_params", "run_kb2d", "run_kt3d"]

UNEST = -999.0
"""GSLIB's code for an unestimated value."""

_KT3D_TITLE = "KT3D ESTIMATES WITH: "
_CROSS_NAMES = ("X", "Y", "Z", "True", "Estimate", "EstimationVariance", "Error: est-true")


def _option_line(p: Kt3dParams) -> int:
    """The line of kt3d's ``option`` (the fourth value line after START)."""
    return read_par(p.parfile).lines[3].line


def _refuse_unsupported(p: Kt3dParams) -> None:
    def refuse(message: str, line: int, what: str) -> InputError:
        return InputError(message, file=p.parfile, row=line, column=what)

    if p.option == 2:
        raise refuse("kt3d's jackknife mode (option 2) is not supported; use 0 (grid) or "
                     "1 (cross-validation)", _option_line(p), "option")
    if p.ikrige == 2:
        raise refuse("non-stationary simple kriging (kriging type 2, a locally varying mean "
                     f"from {p.drift_file.name}) is not supported; use 0 (SK) or 1 (OK)",
                     p.lines["ikrige"], "kriging type")
    if p.ikrige == 3:
        raise refuse("kriging with an external drift (kriging type 3) is not supported; use "
                     "0 (SK) or 1 (OK)", p.lines["ikrige"], "kriging type")
    if p.ikrige == 1 and any(d != 0 for d in p.drift):
        raise refuse(f"drift terms {' '.join(map(str, p.drift))} (kriging with a trend) are not "
                     "supported; set all nine to 0", p.lines["drift"],
                     "drift: x,y,z,xx,yy,zz,xy,xz,zy")
    if p.itrend != 0:
        raise refuse(f"estimating the trend (itrend {p.itrend}) is not supported; use 0",
                     p.lines["itrend"], "0, variable; 1, estimate trend")


def _columns(arr: np.ndarray, cols: tuple[int, ...], fill: tuple[float, ...]) -> np.ndarray:
    n = len(arr)
    return np.column_stack([arr[:, c - 1] if c > 0 else np.full(n, f)
                            for c, f in zip(cols, fill)]).astype(np.float64)


def _check_columns(p, nvar: int, cols: dict[str, int]) -> None:
    for what, c in cols.items():
        if c > nvar:
            raise InputError(f"the column for {what} is {c} but {p.datafile} has {nvar} "
                             "variables", file=p.parfile, row=p.lines["columns"],
                             column="columns")


def _krige(ikrige: int, skmean: float, xyz, v, targets, model, nb: Neighbours,
           disc) -> KrigingResult:
    if ikrige == 0:
        return simple_kriging(xyz, v, targets, model, nb.index, nb.count, mean=skmean,
                              disc_offsets=disc)
    return ordinary_kriging(xyz, v, targets, model, nb.index, nb.count, disc_offsets=disc)


def _unest(a: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.where(ok & np.isfinite(a), a, UNEST)


def kt3d_from_params(p: Kt3dParams) -> dict[str, Any]:
    """Krige as ``kt3d`` with the parameters ``p``.

    Returns the output columns by name (``Estimate`` and ``EstimationVariance`` for a grid,
    x fastest; the seven cross-validation columns for option 1), −999 where unestimated, plus
    ``"_neighbours"`` (the :class:`Neighbours` used) and ``"_targets"`` (target coordinates).

    Raises
    ------
    InputError : an unsupported option (naming the parameter file and line), a bad data file.
    """
    _refuse_unsupported(p)
    g = read_geoeas(p.datafile, missing=None)
    arr = g.data.to_numpy(dtype=np.float64)
    _check_columns(p, arr.shape[1], {"DH": p.col_dh, "X": p.col_x, "Y": p.col_y,
                                     "Z": p.col_z, "the variable": p.col_var})
    gd = p.grid
    v_all = arr[:, p.col_var - 1]
    used = (v_all >= p.tmin) & (v_all < p.tmax)
    if not used.any():
        raise InputError(f"no datum inside the trimming limits [{p.tmin:g}, {p.tmax:g})",
                         file=p.datafile)
    xyz_all = _columns(arr, (p.col_x, p.col_y, p.col_z), (gd.xmn, gd.ymn, gd.zmn))
    xyz, v = xyz_all[used], v_all[used]
    grid = BlockGrid.from_gslib(gd.nx, gd.xmn, gd.xsiz, gd.ny, gd.ymn, gd.ysiz,
                                gd.nz, gd.zmn, gd.zsiz)
    disc = grid.discretisation_offsets(p.discretisation)
    disc = None if len(disc) == 1 else disc
    params = SearchParams(p.radii, p.search_angles, min_samples=p.ndmin,
                          max_samples=p.ndmax, max_per_octant=p.noct, octant_frame="world")
    if p.option == 0:
        targets = grid.centroids()
        nb = Neighbourhood.build(xyz).query(targets, params)
    else:
        targets = xyz_all
        # kt3d leaves out every sample at the target's location and, with a drill-hole
        # column, every sample of the target's hole: a "hole" id per location (or hole)
        if p.col_dh > 0:
            ids = np.array([repr(float(h)) for h in arr[:, p.col_dh - 1]], dtype=object)
        else:
            ids = np.array([repr(tuple(map(float, r))) for r in xyz_all], dtype=object)
        nb = Neighbourhood.build(xyz, hole=ids[used]).query(targets, params,
                                                           exclude_hole=ids)
    res = _krige(p.ikrige, p.skmean, xyz, v, targets, p.model, nb, disc)
    ok = nb.estimated & (nb.count >= 1)
    if p.ikrige == 1:
        ok &= nb.count >= 2  # kt3d: OK needs more samples than drift terms (1)
    est = _unest(res.estimate, ok)
    estv = _unest(res.variance, ok & np.isfinite(res.estimate))
    est = np.where(estv == UNEST, UNEST, est)
    if p.option == 0:
        out = {"Estimate": est, "EstimationVariance": estv}
    else:
        true = v_all
        err = np.where((true != UNEST) & (est != UNEST), est - true, UNEST)
        out = dict(zip(_CROSS_NAMES, (targets[:, 0], targets[:, 1], targets[:, 2], true, est,
                                      estv, err)))
    out["_neighbours"] = nb
    out["_targets"] = targets
    return out


def run_kt3d(parfile: str | Path, *, leading_zero: bool = False) -> list[Path]:
    """Run GSLIB ``kt3d`` on ``parfile`` (unchanged) and write its output file.

    ``leading_zero``: write numbers below 1 as ``0.944`` (gfortran builds of GSLIB) instead of
    ``.944`` (the GSLIB executables). Returns the files written (as the other runners).

    Raises
    ------
    InputError : a bad or unsupported parameter file (naming file, line and parameter) or a
        bad data file.
    ParameterError : an output that cannot be written.
    """
    p = read_kt3d_par(parfile)
    cols = kt3d_from_params(p)
    lines, encoding = raw_lines(p.datafile)

    def f(x: float, w: int, d: int) -> str:
        return fortran_f(x, w, d, leading_zero=leading_zero)

    title = (_KT3D_TITLE.ljust(22) + lines[0][:58]).ljust(80)
    if p.option == 0:
        gd = p.grid
        out = [title, "".join(" " + fortran_i(k, 4) for k in (2, gd.nx, gd.ny, gd.nz)),
               "Estimate", "EstimationVariance"]
        out += [f(e, 9, 3) + " " + f(s, 9, 3)
                for e, s in zip(cols["Estimate"], cols["EstimationVariance"])]
    else:
        out = [title, " " + fortran_i(7, 4), *_CROSS_NAMES]
        table = np.column_stack([cols[k] for k in _CROSS_NAMES])
        out += ["".join(f(x, 12, 3) + " " for x in row) for row in table]
    return [write_text_atomic(p.output_file, "\n".join(out) + "\n", encoding=encoding)]


def kb2d_from_params(p: Kb2dParams) -> dict[str, Any]:
    """Krige the grid as ``kb2d`` with the parameters ``p``: ``Estimate`` and
    ``Estimation Variance`` per node (x fastest), −999 where unestimated, plus
    ``"_neighbours"`` and ``"_targets"`` (node coordinates, z = 0)."""
    g = read_geoeas(p.datafile, missing=None)
    arr = g.data.to_numpy(dtype=np.float64)
    _check_columns(p, arr.shape[1], {"X": p.col_x, "Y": p.col_y, "the variable": p.col_var})
    v_all = arr[:, p.col_var - 1]
    used = (v_all >= p.tmin) & (v_all < p.tmax)
    if not used.any():
        raise InputError(f"no datum inside the trimming limits [{p.tmin:g}, {p.tmax:g})",
                         file=p.datafile)
    xyz = _columns(arr, (p.col_x, p.col_y, 0), (0.0, 0.0, 0.0))[used]
    v = v_all[used]
    gd = p.grid
    grid = BlockGrid.from_gslib(gd.nx, gd.xmn, gd.xsiz, gd.ny, gd.ymn, gd.ysiz, 1, 0.0, 1.0)
    disc = grid.discretisation_offsets((*p.discretisation, 1))
    disc = None if len(disc) == 1 else disc
    targets = grid.centroids()
    targets[:, 2] = 0.0
    r = p.radius
    params = SearchParams((r, r, r), (0.0, 0.0, 0.0), min_samples=p.ndmin,
                          max_samples=p.ndmax)
    nb = Neighbourhood.build(xyz).query(targets, params)
    res = _krige(p.isk, p.skmean, xyz, v, targets, p.model, nb, disc)
    ok = nb.estimated & (nb.count >= 1)
    est = _unest(res.estimate, ok)
    estv = _unest(res.variance, ok & np.isfinite(res.estimate))
    est = np.where(estv == UNEST, UNEST, est)
    return {"Estimate": est, "Estimation Variance": estv, "_neighbours": nb,
            "_targets": targets}


def run_kb2d(parfile: str | Path, *, leading_zero: bool = False) -> list[Path]:
    """Run GSLIB ``kb2d`` on ``parfile`` (unchanged) and write its output file.

    ``leading_zero`` as :func:`run_kt3d`. Returns the files written (as the other runners).

    Raises
    ------
    InputError : a bad parameter file (naming file, line and parameter) or data file.
    ParameterError : an output that cannot be written.
    """
    p = read_kb2d_par(parfile)
    cols = kb2d_from_params(p)
    _, encoding = raw_lines(p.datafile)
    gd = p.grid
    out = ["KB2D Output", "".join(" " + fortran_i(k, 4) for k in (2, gd.nx, gd.ny, 1)),
           " Estimate", "Estimation Variance"]
    out += [fortran_f(e, 8, 3, leading_zero=leading_zero) + " "
            + fortran_f(s, 8, 3, leading_zero=leading_zero)
            for e, s in zip(cols["Estimate"], cols["Estimation Variance"])]
    return [write_text_atomic(p.output_file, "\n".join(out) + "\n", encoding=encoding)]
