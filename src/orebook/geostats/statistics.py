"""Summary statistics per variable and domain, weighted (by length or declustering weights)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from orebook.numerics import weighted_quantile

__all__ = ["summary_statistics", "weighted_summary"]


def weighted_summary(values: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Count, weighted mean, variance, std, CV, min, quartiles, median and max of the finite
    values with a positive weight (NaN values and zero weights are left out).

    >>> s = weighted_summary(np.array([1.0, 2.0, 3.0, np.nan]), np.array([1.0, 1.0, 2.0, 1.0]))
    >>> s["count"], s["mean"]
    (3, 2.25)
    """
    v = np.asarray(values, dtype=float).reshape(-1)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, float).reshape(-1)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    x, w = v[ok], w[ok]
    if not len(x):
        return {"count": 0}
    mean = float(np.average(x, weights=w))
    var = float(np.average((x - mean) ** 2, weights=w))
    q = weighted_quantile(x, w, np.array([0.25, 0.5, 0.75]))
    return {"count": int(len(x)), "mean": mean, "variance": var, "std": var**0.5,
            "cv": var**0.5 / mean if mean != 0 else float("nan"), "min": float(x.min()),
            "q25": float(q[0]), "median": float(q[1]), "q75": float(q[2]),
            "max": float(x.max())}


def summary_statistics(values: Mapping[str, np.ndarray], weights: Mapping[str, np.ndarray]
                       | np.ndarray | None = None,
                       groups: np.ndarray | None = None) -> pd.DataFrame:
    """One row per variable (and group): count, missing, weighted mean, variance, std, CV,
    min, 25 %, median, 75 %, max.

    ``weights`` is one array for every variable, a mapping per variable, or None (equal).
    ``groups`` (e.g. domain codes) splits each variable; the group "" is reported as "(none)".
    """
    rows = []
    n = len(next(iter(values.values()))) if values else 0
    if groups is None:
        groups = np.full(n, "", dtype=object)
    for name, v in values.items():
        v = np.asarray(v, dtype=float)
        w_all = (np.ones(n) if weights is None else
                 np.asarray(weights[name] if isinstance(weights, Mapping) else weights, float))
        for g in dict.fromkeys(groups.tolist()):
            in_g = groups == g
            stats = weighted_summary(v[in_g], w_all[in_g])
            rows.append({"variable": name, "domain": g or "(none)", **stats,
                         "missing": int(in_g.sum()) - stats["count"]})
    cols = ["variable", "domain", "count", "missing", "mean", "variance", "std", "cv", "min",
            "q25", "median", "q75", "max"]
    return pd.DataFrame(rows, columns=cols)
