"""Cross-validation: estimate each sample from the others (leave-one-out) or from the other
holes (leave-one-hole-out), with the same search passes, domains and model as the block
estimate, and the usual error statistics.

>>> import numpy as np
>>> s = crossval_statistics(np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.5]))
>>> s["count"], s["mean_error"], round(s["mse"], 6), s["slope_true_on_estimate"]
(3, 0.0, 0.166667, 2.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.geostats.models import VariogramModel

from .kriging import inverse_distance, nearest_neighbour, ordinary_kriging, simple_kriging
from .search import REASONS as SEARCH_REASONS
from .search import Neighbourhood, SearchParams

__all__ = ["KINDS", "STATISTICS", "CrossValidation", "cross_validate", "crossval_statistics"]

KINDS = ("ok", "sk", "idw", "nn")

STATISTICS = ("count", "not_estimated", "mean_true", "mean_estimate", "mean_error", "mse",
              "rmse", "mean_standardized_error", "variance_standardized_error", "correlation",
              "slope_true_on_estimate")
"""The keys of :func:`crossval_statistics`, in the order tables show them."""

_KERNEL_REASONS = {1: "kriging: no samples", 2: "kriging: singular system"}


@dataclass(frozen=True)
class CrossValidation:
    """The result of :func:`cross_validate`.

    table : one row per sample cross-validated, in input order: ``sample`` (its row in the
        arrays given, 0-based), ``hole`` (when hole ids were given), ``x, y, z`` (m),
        ``true``, ``estimate`` (NaN where it could not be estimated), ``error`` = estimate −
        true, ``variance`` (kriging variance; NaN for idw and nn), ``standardized`` = error /
        √variance, ``nsamples`` (samples used), ``pass`` (1-based search pass that estimated
        it, 0 for none) and ``reason`` ("estimated", or why not).
    statistics : :func:`crossval_statistics` of the table.
    """

    table: pd.DataFrame
    statistics: dict


def crossval_statistics(true: np.ndarray, estimate: np.ndarray,
                        variance: np.ndarray | None = None) -> dict:
    """Error statistics of a cross-validation, over the samples with a finite estimate.

    Parameters
    ----------
    true, estimate : (n,) true values and their estimates (NaN: not estimated).
    variance : (n,) kriging variances, or None (the standardized statistics are then NaN).

    Returns
    -------
    dict with the keys of :data:`STATISTICS`: ``count`` (estimated samples),
    ``not_estimated``, ``mean_true`` and ``mean_estimate`` (of the estimated samples),
    ``mean_error`` (mean of estimate − true), ``mse`` (mean squared error), ``rmse``,
    ``mean_standardized_error`` and ``variance_standardized_error`` (mean and population
    variance of (estimate − true) / √variance over the samples with a variance > 0; ideally
    0 and 1), ``correlation`` (Pearson, true and estimate), ``slope_true_on_estimate`` (the
    least-squares slope of true regressed on estimate, cov(true, estimate) / var(estimate);
    1 means no conditional bias). A statistic that is not defined (too few samples, no spread)
    is NaN.
    """
    t = np.asarray(true, dtype=float).reshape(-1)
    e = np.asarray(estimate, dtype=float).reshape(-1)
    if t.shape != e.shape:
        raise ParameterError(f"true and estimate differ in length: {t.size} and {e.size}")
    var = (np.full_like(t, np.nan) if variance is None
           else np.asarray(variance, dtype=float).reshape(-1))
    if var.shape != t.shape:
        raise ParameterError(f"variance has {var.size} values for {t.size} samples")
    est = np.isfinite(e) & np.isfinite(t)
    t, e, var = t[est], e[est], var[est]
    nan = float("nan")
    out = dict.fromkeys(STATISTICS, nan)
    out["count"] = int(est.sum())
    out["not_estimated"] = int((~est).sum())
    if not len(t):
        return out
    err = e - t
    mse = float(np.mean(err**2))
    out |= {"mean_true": float(np.mean(t)), "mean_estimate": float(np.mean(e)),
            "mean_error": float(np.mean(err)), "mse": mse, "rmse": mse**0.5}
    pos = np.isfinite(var) & (var > 0)
    if pos.any():
        z = err[pos] / np.sqrt(var[pos])
        out["mean_standardized_error"] = float(np.mean(z))
        out["variance_standardized_error"] = float(np.var(z))
    if len(t) >= 2:
        dt, de = t - t.mean(), e - e.mean()
        se, st = float(de @ de), float(dt @ dt)
        if se > 0:
            out["slope_true_on_estimate"] = float(dt @ de) / se
            if st > 0:
                out["correlation"] = float(dt @ de) / np.sqrt(se * st)
    return out


def cross_validate(sample_xyz: np.ndarray, values: np.ndarray, model: VariogramModel | None,
                   search: SearchParams | Sequence[SearchParams], *, kind: str = "ok",
                   mean: float | None = None, power: float = 2.0,
                   hole: np.ndarray | None = None, by_hole: bool = False,
                   domain: np.ndarray | None = None,
                   allowed: Mapping[str, Sequence[str]] | None = None,
                   targets: np.ndarray | None = None) -> CrossValidation:
    """Leave-one-out (default) or leave-one-hole-out (``by_hole``) point estimation of every
    sample with a value, as the block estimate would do it.

    Parameters
    ----------
    sample_xyz, values : (n, 3) sample coordinates (m) and values; samples with a NaN value or
        coordinate are neither estimated nor used.
    model : the variogram model (kriging; None for idw and nn).
    search : one search neighbourhood, or the passes: a sample the first pass leaves
        unestimated is tried with the next, as :func:`orebook.estimate.estimate_blocks` does.
    kind : "ok", "sk" (needs ``mean``), "idw" (inverse distance to ``power``, anisotropic
        through each pass's ellipsoid) or "nn".
    hole : (n,) drill-hole ids: for ``by_hole``, the per-hole limit and the hole column.
    by_hole : leave out every sample of the sample's hole, not only the sample.
    domain, allowed : (n,) sample domain codes and soft boundaries, as in
        :meth:`orebook.estimate.search.Neighbourhood.query`: a sample of domain d is estimated
        from samples of d (hard) or of ``allowed[d]`` (soft).
    targets : (n,) booleans, the samples to cross-validate (default: all); the others are
        data only.
    """
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind in ("ok", "sk") and model is None:
        raise ParameterError("kriging needs a variogram model")
    if kind == "sk" and mean is None:
        raise ParameterError("simple kriging needs the mean")
    if by_hole and hole is None:
        raise ParameterError("leave-one-hole-out needs the hole ids")
    passes = [search] if isinstance(search, SearchParams) else list(search)
    if not passes or not all(isinstance(p, SearchParams) for p in passes):
        raise ParameterError("search must be a SearchParams or a list of them")
    xyz = np.asarray(sample_xyz, dtype=float).reshape(-1, 3)
    v = np.asarray(values, dtype=float).reshape(-1)
    if len(v) != len(xyz):
        raise ParameterError(f"{len(xyz)} sample positions but {len(v)} values")
    ok = np.isfinite(v) & np.isfinite(xyz).all(axis=1)
    want = ok.copy()
    if targets is not None:
        tmask = np.asarray(targets)
        if tmask.dtype != bool or tmask.shape != v.shape:
            raise ParameterError(f"targets must be {len(v)} booleans, got {tmask.dtype} of "
                                 f"shape {tmask.shape}")
        want &= tmask
    rows = np.flatnonzero(ok)  # input row of each sample used
    xyz, v = xyz[ok], v[ok]
    h = None if hole is None else np.asarray(hole, dtype=object).reshape(-1)[ok]
    d = None if domain is None else np.asarray(domain, dtype=object).reshape(-1)[ok]
    tgt = np.flatnonzero(want[ok])  # targets, as indices of the samples used
    n = len(tgt)
    estimate = np.full(n, np.nan)
    variance = np.full(n, np.nan)
    nsamples = np.zeros(n, dtype=np.int64)
    pass_no = np.zeros(n, dtype=np.int64)
    reason = np.full(n, "no sample with a value", dtype=object)
    if len(v) and n:
        nb = Neighbourhood.build(xyz, hole=h, domain=d)
        left = np.arange(n)
        for p, params in enumerate(passes, start=1):
            if not len(left):
                break
            s = tgt[left]
            found = nb.query(xyz[s], params, target_domain=None if d is None else d[s],
                             allowed=allowed if d is not None else None,
                             exclude_hole=h[s] if by_hole else None,
                             exclude=None if by_hole else s)
            reason[left] = [f"search: {SEARCH_REASONS[int(r)]}" for r in found.reason]
            use = found.count > 0
            sel = left[use]
            if len(sel):
                res = _estimate(kind, xyz, v, xyz[tgt[sel]], model, found.index[use],
                                found.count[use], mean, power, params)
                got = res.reason == 0
                done = sel[got]
                estimate[done] = res.estimate[got]
                if hasattr(res, "variance"):
                    variance[done] = res.variance[got]
                nsamples[done] = res.nsamples[got]
                pass_no[done] = p
                reason[done] = "estimated"
                reason[sel[~got]] = [_KERNEL_REASONS.get(int(r), f"kernel reason {r}")
                                     for r in res.reason[~got]]
                left = np.setdiff1d(left, done, assume_unique=True)
    true = v[tgt]
    err = estimate - true
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.where(variance > 0, err / np.sqrt(np.where(variance > 0, variance, 1.0)),
                       np.nan)
    table = pd.DataFrame({"sample": rows[tgt], "x": xyz[tgt, 0], "y": xyz[tgt, 1],
                          "z": xyz[tgt, 2], "true": true, "estimate": estimate, "error": err,
                          "variance": variance, "standardized": std, "nsamples": nsamples,
                          "pass": pass_no, "reason": reason})
    if h is not None:
        table.insert(1, "hole", h[tgt])
    return CrossValidation(table, crossval_statistics(true, estimate,
                                                      variance if kind in ("ok", "sk")
                                                      else None))


def _estimate(kind, xyz, v, targets, model, idx, cnt, mean, power, params):
    if kind == "ok":
        return ordinary_kriging(xyz, v, targets, model, idx, cnt)
    if kind == "sk":
        return simple_kriging(xyz, v, targets, model, idx, cnt, mean=mean)
    from orebook.geostats.models import rotation_matrix

    scaled = rotation_matrix(*params.angles) / np.asarray(params.radii)[:, None]
    if kind == "idw":
        return inverse_distance(xyz, v, targets, idx, cnt, power=power, scaled_rotation=scaled)
    return nearest_neighbour(xyz, v, targets, idx, cnt, scaled_rotation=scaled)
