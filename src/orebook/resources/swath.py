"""Swath plots and global means: the estimate against the data it came from.

Slices (swaths) of a given width are cut along the world X, Y and Z axes, their edges at the
grid's origin + k · width (a block or composite on an edge belongs to the slice above it). In
each slice:

- ``block_mean``: the mean of the estimate over the estimated blocks whose centroid is in the
  slice, weighted by ``block_weights`` (default: equal, as the blocks have one volume; give
  tonnes or proportions for partial blocks);
- ``nn_mean``: the mean, over the same blocks with the same weights, of the nearest-neighbour
  estimate (the value of the composite nearest to the block centroid, Euclidean, unless a
  nearest-neighbour column of the model is given);
- ``composite_mean``: the declustered mean of the composites in the slice,
  Σ wᵢ·vᵢ / Σ wᵢ with the declustering weights (equal weights without them).

The global comparison gives the same three means over the whole model and every composite.
A well-behaved estimate follows the nearest-neighbour and declustered trends, smoother.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

__all__ = ["AXES", "SwathResult", "nearest_neighbour_values", "swaths"]

AXES = ("x", "y", "z")


@dataclass(frozen=True)
class SwathResult:
    """``table``: one row per axis and slice (``axis, slice, from_m, to_m, centre_m, blocks,
    block_mean, nn_mean, composites, composite_weight, composite_mean``); ``global_means``:
    one row per source (``declustered composites``, ``blocks``, ``nearest neighbour``) with
    ``count``, ``mean`` and ``difference_pct`` (relative to the declustered composites)."""

    table: pd.DataFrame
    global_means: pd.DataFrame
    variable: str


def nearest_neighbour_values(targets_xyz: np.ndarray, sample_xyz: np.ndarray,
                             values: np.ndarray) -> np.ndarray:
    """The value of the sample nearest to each target (Euclidean; the first in sample order
    when tied). Samples with a missing value are left out.

    >>> nearest_neighbour_values(np.array([[0., 0, 0], [9, 0, 0]]),
    ...                          np.array([[1., 0, 0], [10, 0, 0]]), np.array([1., 2.]))
    array([1., 2.])
    """
    from scipy.spatial import cKDTree

    ok = np.isfinite(values)
    if not ok.any():
        raise ParameterError("no composite with a value: nothing to take the nearest of")
    tree = cKDTree(np.asarray(sample_xyz, dtype=np.float64)[ok])
    _, idx = tree.query(np.asarray(targets_xyz, dtype=np.float64), k=1)
    return np.asarray(values, dtype=np.float64)[ok][idx]


def _widths(widths) -> np.ndarray:
    w = np.asarray(widths, dtype=np.float64).reshape(-1)
    if w.size == 1:
        w = np.repeat(w, 3)
    if w.size != 3 or not (np.isfinite(w).all() and (w > 0).all()):
        raise ParameterError(f"swath widths: expected one or three numbers > 0 (m), got "
                             f"{np.asarray(widths).tolist()}")
    return w


def _weighted(codes: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int):
    sw = np.bincount(codes, weights=weights, minlength=n)
    swv = np.bincount(codes, weights=weights * values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sw > 0, swv / np.where(sw > 0, sw, 1.0), np.nan), sw


def swaths(block_xyz: np.ndarray, estimate: np.ndarray, sample_xyz: np.ndarray,
           sample_values: np.ndarray, widths: Sequence[float] | float, *,
           origin: Sequence[float] = (0.0, 0.0, 0.0), sample_weights: np.ndarray | None = None,
           nn: np.ndarray | None = None, block_weights: np.ndarray | None = None,
           variable: str = "value") -> SwathResult:
    """Swath table and global means (see the module docstring).

    Parameters
    ----------
    block_xyz : (n, 3) block centroids (m); estimate : (n,) the estimate (NaN: unestimated,
        left out).
    sample_xyz, sample_values : (m, 3) composite positions (m) and values (NaN left out).
    widths : slice width along X, Y, Z (m), one for all or three.
    origin : (3,) where the slices start (the grid's minimum corner).
    sample_weights : (m,) declustering weights (≥ 0); default equal.
    nn : (n,) nearest-neighbour estimate of each block; default computed from the composites.
    block_weights : (n,) weights of the blocks (≥ 0); default equal.
    """
    bxyz = np.asarray(block_xyz, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    sxyz = np.asarray(sample_xyz, dtype=np.float64)
    sv = np.asarray(sample_values, dtype=np.float64)
    if bxyz.ndim != 2 or bxyz.shape[1] != 3 or est.shape != (bxyz.shape[0],):
        raise ParameterError("blocks: expected (n, 3) centroids and n estimates")
    if sxyz.ndim != 2 or sxyz.shape[1] != 3 or sv.shape != (sxyz.shape[0],):
        raise ParameterError("composites: expected (m, 3) positions and m values")
    w = _widths(widths)
    org = np.asarray(origin, dtype=np.float64).reshape(3)
    sw = np.ones(sv.size) if sample_weights is None else np.asarray(sample_weights, float)
    if sw.shape != sv.shape or not (np.isfinite(sw).all() and (sw >= 0).all()):
        raise ParameterError("composite weights: expected one finite weight ≥ 0 per composite")
    bw = np.ones(est.size) if block_weights is None else np.asarray(block_weights, float)
    if bw.shape != est.shape or not (np.isfinite(bw).all() and (bw >= 0).all()):
        raise ParameterError("block weights: expected one finite weight ≥ 0 per block")
    bok = np.isfinite(est)
    sok = np.isfinite(sv) & np.isfinite(sxyz).all(axis=1)
    if not bok.any():
        raise ParameterError(f"{variable}: no estimated block")
    if not sok.any():
        raise ParameterError("no composite with a value and a position")
    if nn is None:
        nn = nearest_neighbour_values(bxyz[bok], sxyz[sok], sv[sok])
    else:
        nn = np.asarray(nn, dtype=np.float64)
        if nn.shape != est.shape:
            raise ParameterError("nearest-neighbour estimate: expected one value per block")
        nn = nn[bok]
    bxyz, est, bw = bxyz[bok], est[bok], bw[bok]
    nn_ok = np.isfinite(nn)
    sxyz, sv, sw = sxyz[sok], sv[sok], sw[sok]
    rows = []
    for k, axis in enumerate(AXES):
        bi = np.floor((bxyz[:, k] - org[k]) / w[k]).astype(np.int64)
        si = np.floor((sxyz[:, k] - org[k]) / w[k]).astype(np.int64)
        lo = min(bi.min(), si.min())
        hi = max(bi.max(), si.max())
        n = int(hi - lo + 1)
        if n > 100_000:
            raise ParameterError(f"swath width along {axis.upper()} ({w[k]:g} m) makes {n:,} "
                                 "slices; give a wider one")
        bc, sc = bi - lo, si - lo
        bmean, _ = _weighted(bc, est, bw, n)
        nmean, _ = _weighted(bc[nn_ok], nn[nn_ok], bw[nn_ok], n)
        cmean, csum = _weighted(sc, sv, sw, n)
        nblocks = np.bincount(bc, minlength=n)
        ncomp = np.bincount(sc, minlength=n)
        start = org[k] + (np.arange(n) + lo) * w[k]
        keep = (nblocks > 0) | (ncomp > 0)
        rows.append(pd.DataFrame({
            "axis": axis, "slice": (np.arange(n) + lo)[keep], "from_m": start[keep],
            "to_m": start[keep] + w[k], "centre_m": start[keep] + w[k] / 2,
            "blocks": nblocks[keep], "block_mean": bmean[keep], "nn_mean": nmean[keep],
            "composites": ncomp[keep], "composite_weight": csum[keep],
            "composite_mean": cmean[keep]}))
    table = pd.concat(rows, ignore_index=True)

    def mean(v, wt):
        s = float(wt.sum())
        return float((wt * v).sum() / s) if s > 0 else float("nan")

    global_means = pd.DataFrame({
        "source": ["declustered composites", "blocks", "nearest neighbour"],
        "count": [int(sv.size), int(est.size), int(nn_ok.sum())],
        "mean": [mean(sv, sw), mean(est, bw), mean(nn[nn_ok], bw[nn_ok])]})
    ref = global_means["mean"].iloc[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        global_means["difference_pct"] = (global_means["mean"] / ref - 1.0) * 100.0 \
            if ref != 0 else np.nan
    return SwathResult(table, global_means, variable)
