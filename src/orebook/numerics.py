"""Small numeric helpers shared by every stage (like ``units``, importable from anywhere)."""

from __future__ import annotations

import numpy as np

__all__ = ["weighted_quantile"]


def weighted_quantile(v: np.ndarray, w: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """Quantiles ``q`` (0–1) of ``v`` with weights ``w``.

    The weighted empirical CDF is taken at the mid-point of each sample's weight and
    interpolated linearly; with equal weights this is the Hazen plotting position.

    >>> float(weighted_quantile(np.array([1.0, 2.0, 3.0]), np.ones(3), 0.5))
    2.0
    """
    order = np.argsort(v, kind="stable")
    v, w = np.asarray(v, float)[order], np.asarray(w, float)[order]
    c = (np.cumsum(w) - w / 2) / w.sum()
    return np.interp(q, c, v)
