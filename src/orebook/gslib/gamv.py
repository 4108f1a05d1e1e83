"""Run an unchanged GSLIB ``gamv`` parameter file with orebook's experimental variograms and
write ``gamv``'s output file in its own layout.

The output holds one block per variogram and direction (directions cycle fastest): a 74-character
title line, then one line per lag class 1 … nlag + 2 (``1X, I3, 1X, F12.3, 1X, F12.5, 1X, I8,
2(1X, F14.5)``: class, mean distance, value, pairs, tail mean, head mean; a correlogram adds the
tail and head variances). Classes without pairs are written as zeros, as gamv does.

Variogram types (GSLIB 2.905 ``gamv``):

==== ========================================  ===================================
code meaning                                   orebook
==== ========================================  ===================================
1    semivariogram                             ``kind="semivariogram"``
2    cross semivariogram                       ``kind="cross"``
3    covariance                                ``kind="covariance"``
−3   √σ²_tail·√σ²_head − covariance            ``kind="covariance", as_variogram``
4    correlogram                               ``kind="correlogram"``
−4   1 − correlogram                           ``kind="correlogram", as_variogram``
5    general relative semivariogram            not supported: error
6    pairwise relative semivariogram           ``kind="pairwise_relative"``
7, 8 semivariogram of logarithms, semimadogram not supported: error
9,10 indicator semivariograms (threshold)      not supported: error
==== ========================================  ===================================

A negative code is **not** an indicator flag in gamv: only −3 and −4 have a meaning (the
covariance or correlogram turned into a variogram-like measure, titled like the positive code);
gamv computes nothing for other negative codes, so they are refused here.

Data: rows where no listed variable lies inside the trimming limits are dropped, as gamv; a
value outside ``[tmin, tmax)`` is missing and its pairs are skipped. (gamv keeps a value equal
to ``tmax`` in pairs; orebook trims it, as every other GSLIB program does.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orebook.errors import InputError
from orebook.geostats.experimental import (Direction, ExperimentalVariogram, Lags,
                                           experimental_variogram)
from orebook.io.geoeas import fortran_f, fortran_i, raw_lines, read_geoeas
from orebook.io.writing import write_text_atomic
from orebook.io.gslib_par import GamvParams, GamvVariogram, read_gamv_par

__all__ = ["run_gamv", "gamv_from_params", "GAMV_TYPES"]

GAMV_TYPES: dict[int, tuple[str, bool]] = {
    1: ("semivariogram", False),
    2: ("cross", False),
    3: ("covariance", False),
    -3: ("covariance", True),
    4: ("correlogram", False),
    -4: ("correlogram", True),
    6: ("pairwise_relative", False),
}
"""gamv type code → (orebook kind, as_variogram)."""

_TITLES = {1: "Semivariogram", 2: "Cross Semivariogram", 3: "Covariance", 4: "Correlogram",
           5: "General Relative", 6: "Pairwise Relative", 7: "Variogram of Logarithms",
           8: "Semimadogram", 9: "Indicator 1/2 Variogram", 10: "Indicator 1/2 Variogram"}

_UNSUPPORTED = {5: "general relative semivariogram", 7: "semivariogram of logarithms",
                8: "semimadogram", 9: "indicator semivariogram (continuous)",
                10: "indicator semivariogram (categorical)"}


def _kind(p: GamvParams, vg: GamvVariogram) -> tuple[str, bool]:
    what = "variogram type"
    if vg.type in GAMV_TYPES:
        return GAMV_TYPES[vg.type]
    if vg.type in (9, 10):
        raise InputError(f"type {vg.type} is an {_UNSUPPORTED[vg.type]}: indicator variograms "
                         "are not supported by orebook; code the indicator as a variable in "
                         "the data file and ask for type 1", file=p.parfile, row=vg.line,
                         column=what)
    if vg.type in _UNSUPPORTED:
        raise InputError(f"type {vg.type} ({_UNSUPPORTED[vg.type]}) is not supported by "
                         "orebook; supported: 1, 2, 3, -3, 4, -4, 6", file=p.parfile,
                         row=vg.line, column=what)
    if vg.type < 0 and -vg.type in _TITLES:
        raise InputError(f"type {vg.type}: gamv gives a meaning only to -3 (sill minus "
                         "covariance) and -4 (1 minus correlogram); for other negative types "
                         "it computes nothing. Use the positive type", file=p.parfile,
                         row=vg.line, column=what)
    raise InputError(f"type {vg.type} is not a gamv variogram type (1 to 10, -3, -4)",
                     file=p.parfile, row=vg.line, column=what)


def gamv_from_params(p: GamvParams) -> list[list[ExperimentalVariogram]]:
    """Compute the variograms ``p`` asks for: one list per variogram (in parameter-file order)
    of one :class:`ExperimentalVariogram` per direction."""
    kinds = [_kind(p, vg) for vg in p.variograms]  # refuse before any work
    g = read_geoeas(p.datafile, missing=None)
    arr = g.data.to_numpy()
    nvari = arr.shape[1]
    for c, what in ((p.col_x, "X"), (p.col_y, "Y"), (p.col_z, "Z")):
        if c > nvari:
            raise InputError(f"the column for {what} is {c} but {p.datafile} has {nvari} "
                             "variables", file=p.parfile, row=p.lines["columns"],
                             column="columns for X, Y, Z coordinates")
    for c in p.var_columns:
        if c > nvari:
            raise InputError(f"variable column {c} but {p.datafile} has {nvari} variables",
                             file=p.parfile, row=p.lines["variables"], column="variables")
    vals = arr[:, [c - 1 for c in p.var_columns]]
    inside = (vals >= p.tmin) & (vals < p.tmax)
    keep = inside.any(axis=1)
    vals = np.where(inside, vals, np.nan)[keep]
    n = int(keep.sum())
    coords = np.column_stack([arr[keep, c - 1] if c > 0 else np.zeros(n)
                              for c in (p.col_x, p.col_y, p.col_z)])
    lags = Lags(p.nlag, p.xlag, p.xltol, mode="gamv")
    dirs = [Direction(d.azimuth, d.azimuth_tol, d.bandwidth_h, d.dip, d.dip_tol, d.bandwidth_v)
            for d in p.directions]
    out = []
    for vg, (kind, as_vario) in zip(p.variograms, kinds):
        out.append(experimental_variogram(
            coords, vals[:, vg.tail - 1], vals[:, vg.head - 1], lags=lags, directions=dirs,
            kind=kind, standardize=p.standardize, as_variogram=as_vario))
    return out


def _title(code: int, tail: str, head: str, direction: int) -> str:
    t = _TITLES[abs(code)].ljust(24)[:24]
    t += f"tail:{tail:<12.12} head:{head:<12.12}".ljust(37)
    return (t + f"direction {fortran_i(direction, 2)}").ljust(74)


def run_gamv(parfile: str | Path, *, leading_zero: bool = False) -> list[Path]:
    """Run GSLIB ``gamv`` on ``parfile`` (unchanged) and write its output file.

    ``leading_zero``: write numbers below 1 as ``0.500`` (gfortran builds of GSLIB) instead of
    ``.500`` (the GSLIB executables). Returns ``[output file]``.

    Raises
    ------
    InputError : a bad parameter file (naming file, line and parameter), a variogram type
        orebook does not compute, or a bad data file.
    ParameterError : an output that cannot be written.
    """
    p = read_gamv_par(parfile)
    results = gamv_from_params(p)
    lines, encoding = raw_lines(p.datafile)
    names = [lines[1 + c][:12] for c in p.var_columns]
    def f(x: float, w: int, d: int) -> str:
        return fortran_f(x, w, d, leading_zero=leading_zero)

    out = []
    for vg, evs in zip(p.variograms, results):
        for k, ev in enumerate(evs, start=1):
            out.append(_title(vg.type, names[vg.tail - 1], names[vg.head - 1], k))
            corr = abs(vg.type) == 4
            for i in range(len(ev.lag)):
                has = ev.pairs[i] > 0
                cols = [ev.distance[i], ev.value[i], ev.tail_mean[i], ev.head_mean[i]]
                if corr:
                    cols += [ev.tail_variance[i], ev.head_variance[i]]
                d, v, *rest = (float(x) if has else 0.0 for x in cols)
                out.append(" " + fortran_i(ev.lag[i], 3) + " " + f(d, 12, 3) + " "
                           + f(v, 12, 5) + " " + fortran_i(ev.pairs[i], 8)
                           + "".join(" " + f(x, 14, 5) for x in rest))
    return [write_text_atomic(p.output_file, "\n".join(out) + "\n", encoding=encoding)]
