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
is estimated as kt3d (GSLIB 2.907, ``kt3d.for``) does it: ``srchsupr`` finds the samples in the
search ellipsoid, nearest first, at most ``noct`` per octant; *then* every sample at the
datum's location (``|Δx| + |Δy| + |Δz| < EPSLON`` = 1e-6, in single precision) or, with a
drill-hole column, of its hole (``|dh − dh_datum| < EPSLON``) is left out, still holding its
place in its octant; the nearest ``ndmax`` of the rest are kept, and fewer than ``ndmin``
leave the datum unestimated. Without a drill-hole column kt3d gives the data ``dh = −99`` and
the datum 0, so no hole is left out.

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

__all__ = ["UNEST", "kb2d_from_params", "kt3d_cross_neighbours", "kt3d_from_params",
           "run_kb2d", "run_kt3d"]

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


_EPSLON = np.float32(1e-6)  # kt3d.inc's EPSLON


def _world_octants(sep: np.ndarray) -> np.ndarray:
    """GSLIB srchsupr's octant (0..7) of separations ``sample − target`` (..., 3), as
    :mod:`orebook.estimate.search` numbers them."""
    dx, dy, dz = sep[..., 0], sep[..., 1], sep[..., 2]
    q = np.full(dx.shape, 3, dtype=np.int64)
    q = np.where((dx < 0.0) & (dy <= 0.0), 2, q)
    q = np.where((dx > 0.0) & (dy >= 0.0), 1, q)
    q = np.where((dx <= 0.0) & (dy > 0.0), 0, q)
    return q + 4 * (dz < 0.0)


def kt3d_cross_neighbours(xyz: np.ndarray, targets: np.ndarray, params: SearchParams,
                          dh: np.ndarray | None = None, target_dh: np.ndarray | None = None
                          ) -> Neighbours:
    """The samples kt3d's cross-validation (option 1) krige each target from.

    kt3d's rule (``kt3d.for``, GSLIB 2.907): ``srchsupr`` lists the samples in the search
    ellipsoid nearest first, keeping at most ``noct`` per octant (``params.max_per_octant``,
    octants in the world frame); from that list kt3d drops every sample at the target's
    location, ``|Δx| + |Δy| + |Δz| < EPSLON`` (1e-6, in single precision as kt3d computes it),
    and, with drill-hole ids ``dh`` (the data's) and ``target_dh``, every sample with
    ``|dh − target_dh| < EPSLON``; it keeps the first ``max_samples`` of the rest. A dropped
    sample has already taken its place in its octant, which is how this differs from
    :meth:`Neighbourhood.query`'s ``exclude_hole`` (samples left out before any selection).
    Fewer than ``min_samples``: not estimated (count 0, reason ``TOO_FEW_SAMPLES``).

    xyz : (n, 3) the data (m); targets : (m, 3) the data file's locations.
    """
    from scipy.spatial import cKDTree

    from orebook.estimate.search import OK, TOO_FEW_SAMPLES

    xyz = np.asarray(xyz, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    x32, t32 = xyz.astype(np.float32), targets.astype(np.float32)
    # how many samples each target may drop, at most: those within 2·EPSLON (L1) of it, and
    # those of its hole; srchsupr's first ndmax + that many hold kt3d's first ndmax kept.
    # (The difference of two close single-precision numbers is exact, so kt3d's test in
    # single precision drops nothing farther than EPSLON · (1 + 1e-7) in exact arithmetic.)
    near = cKDTree(x32.astype(np.float64)).query_ball_point(
        t32.astype(np.float64), r=2e-6, p=1, return_length=True)
    drop_max = np.asarray(near, dtype=np.int64)
    if dh is not None:
        d32 = np.asarray(dh, dtype=np.float32)
        td32 = np.asarray(target_dh, dtype=np.float32)
        srt = np.sort(d32.astype(np.float64))
        t64 = td32.astype(np.float64)
        drop_max += (np.searchsorted(srt, t64 + 2e-6, "right")
                     - np.searchsorted(srt, t64 - 2e-6, "left"))
    ndmax, ndmin = params.max_samples, params.min_samples
    wide = SearchParams(params.radii, params.angles, min_samples=0,
                        max_samples=ndmax + int(drop_max.max(initial=0)),
                        max_per_octant=params.max_per_octant, octant_frame="world")
    found = Neighbourhood.build(xyz).query(targets, wide)
    idx = found.index
    valid = idx >= 0
    safe = np.where(valid, idx, 0)
    sep32 = x32[safe] - t32[:, None, :]
    l1 = (np.abs(sep32[..., 0]) + np.abs(sep32[..., 1])) + np.abs(sep32[..., 2])
    keep = valid & ~(l1 < _EPSLON)
    if dh is not None:
        keep &= ~(np.abs(d32[safe] - td32[:, None]) < _EPSLON)
    keep &= np.cumsum(keep, axis=1) <= ndmax
    first = np.argsort(~keep, axis=1, kind="stable")[:, :ndmax]
    n_kept = keep.sum(axis=1)
    pad = np.arange(ndmax)[None, :] >= n_kept[:, None]
    index = np.where(pad, -1, np.take_along_axis(idx, first, axis=1))
    distance = np.where(pad, np.nan, np.take_along_axis(found.distance, first, axis=1))
    few = n_kept < ndmin
    count = np.where(few, 0, n_kept)
    index[few] = -1
    distance[few] = np.nan
    used = index >= 0
    sep = xyz[np.where(used, index, 0)] - targets[:, None, :]
    hit = np.zeros((len(targets), 9), dtype=bool)
    hit[np.arange(len(targets))[:, None], np.where(used, _world_octants(sep), 8)] = True
    n_octants = hit[:, :8].sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean_d = np.where(count > 0, np.where(used, np.linalg.norm(sep, axis=2), 0.0).sum(1)
                          / np.maximum(count, 1), np.nan)
    return Neighbours(index=index, count=count, distance=distance,
                      reason=np.where(few, TOO_FEW_SAMPLES, OK).astype(np.int8),
                      found=n_kept, holes=np.full(len(targets), -1, dtype=np.int64),
                      octants=n_octants, mean_distance_m=mean_d)


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
        dh_all = arr[:, p.col_dh - 1] if p.col_dh > 0 else None
        nb = kt3d_cross_neighbours(xyz, targets, params,
                                   None if dh_all is None else dh_all[used], dh_all)
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
