"""Cross-validation: estimate each sample from the others (leave-one-out) or from the other
holes (leave-one-hole-out), with the same search and model as the block estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.geostats.models import VariogramModel

from .kriging import ordinary_kriging, simple_kriging
from .search import Neighbourhood, SearchParams

__all__ = ["CrossValidation", "cross_validate"]


@dataclass(frozen=True)
class CrossValidation:
    """Per sample: ``true``, ``estimate``, ``variance`` (NaN where it could not be estimated),
    ``error`` = estimate − true, ``standardized`` = error / √variance; ``statistics``: the
    usual summary (count, mean error, mean squared error, RMSE, mean standardized error,
    variance of the standardized errors, correlation of true and estimate, slope of the
    regression of true on estimate)."""

    table: pd.DataFrame
    statistics: dict


def cross_validate(sample_xyz: np.ndarray, values: np.ndarray, model: VariogramModel,
                   search: SearchParams, *, kind: str = "ok", mean: float | None = None,
                   hole: np.ndarray | None = None, by_hole: bool = False) -> CrossValidation:
    """Leave-one-out (default) or leave-one-hole-out (``by_hole``, needs ``hole``) point
    kriging of every sample with a value."""
    if kind not in ("ok", "sk"):
        raise ParameterError(f"kind must be ok or sk, got {kind!r}")
    if kind == "sk" and mean is None:
        raise ParameterError("simple kriging needs the mean")
    if by_hole and hole is None:
        raise ParameterError("leave-one-hole-out needs the hole ids")
    xyz = np.asarray(sample_xyz, dtype=float).reshape(-1, 3)
    v = np.asarray(values, dtype=float).reshape(-1)
    ok = np.isfinite(v) & np.isfinite(xyz).all(axis=1)
    xyz, v = xyz[ok], v[ok]
    h = None if hole is None else np.asarray(hole, dtype=object)[ok]
    nb = Neighbourhood.build(xyz, hole=h)
    found = (nb.query(xyz, search, exclude_hole=h) if by_hole
             else nb.query(xyz, search, exclude=np.arange(len(v))))
    if kind == "ok":
        res = ordinary_kriging(xyz, v, xyz, model, found.index, found.count)
    else:
        res = simple_kriging(xyz, v, xyz, model, found.index, found.count, mean=mean)
    err = res.estimate - v
    with np.errstate(invalid="ignore", divide="ignore"):
        std = err / np.sqrt(res.variance)
    table = pd.DataFrame({"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "true": v,
                          "estimate": res.estimate, "variance": res.variance, "error": err,
                          "standardized": std, "nsamples": res.nsamples})
    if h is not None:
        table.insert(0, "hole", h)
    est = np.isfinite(res.estimate)
    e, t, z = res.estimate[est], v[est], std[est]
    stats = {"count": int(est.sum()), "not_estimated": int((~est).sum())}
    if est.sum() >= 2:
        mse = float(np.mean((e - t) ** 2))
        stats |= {"mean_error": float(np.mean(e - t)), "mse": mse, "rmse": mse**0.5,
                  "mean_standardized_error": float(np.nanmean(z)),
                  "variance_standardized_error": float(np.nanvar(z)),
                  "correlation": float(np.corrcoef(t, e)[0, 1]),
                  "slope_true_on_estimate": float(np.polyfit(e, t, 1)[0])}
    return CrossValidation(table, stats)
