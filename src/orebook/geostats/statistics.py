"""Summary statistics per variable and domain, weighted (by length or declustering weights)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from orebook.numerics import weighted_quantile

__all__ = ["summary_statistics"]


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
            ok = in_g & np.isfinite(v) & (w_all > 0)
            row = {"variable": name, "domain": g or "(none)", "count": int(ok.sum()),
                   "missing": int((in_g & ~ok).sum())}
            if ok.any():
                x, w = v[ok], w_all[ok]
                mean = float(np.average(x, weights=w))
                var = float(np.average((x - mean) ** 2, weights=w))
                q = weighted_quantile(x, w, np.array([0.25, 0.5, 0.75]))
                row.update(mean=mean, variance=var, std=var**0.5,
                           cv=var**0.5 / mean if mean != 0 else np.nan,
                           min=float(x.min()), q25=q[0], median=q[1], q75=q[2],
                           max=float(x.max()))
            rows.append(row)
    cols = ["variable", "domain", "count", "missing", "mean", "variance", "std", "cv", "min",
            "q25", "median", "q75", "max"]
    return pd.DataFrame(rows, columns=cols)
