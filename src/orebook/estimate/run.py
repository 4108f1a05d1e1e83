"""Estimate the blocks of a model from samples, pass after pass of growing neighbourhoods.

Each pass searches only the blocks the passes before it left unestimated; each estimated block
records its pass. Blocks no pass could estimate stay missing (NaN), and the run summary counts
them by reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.geostats.models import VariogramModel

from .blockmodel import BlockModel
from .kriging import inverse_distance, nearest_neighbour, ordinary_kriging, simple_kriging
from .search import REASONS as SEARCH_REASONS
from .search import Neighbourhood, SearchParams

__all__ = ["METHODS", "EstimationRun", "estimate_blocks"]

METHODS = ("ok", "sk", "idw", "nn")
OUTPUTS = ("estimate", "variance", "slope", "efficiency", "negative_weights", "nsamples",
           "nholes", "mean_distance_m", "pass")


@dataclass(frozen=True)
class EstimationRun:
    """The estimated model and the run summary: blocks per pass, unestimated blocks by
    reason."""

    model: BlockModel
    summary: pd.DataFrame
    parameters: dict = field(default_factory=dict)


def estimate_blocks(
    blocks: BlockModel,
    sample_xyz: np.ndarray,
    values: np.ndarray,
    passes: Sequence[SearchParams],
    *,
    method: str = "ok",
    model: VariogramModel | None = None,
    mean: float | None = None,
    discretisation: Sequence[int] = (1, 1, 1),
    power: float = 2.0,
    hole: np.ndarray | None = None,
    prefix: str = "",
) -> EstimationRun:
    """Estimate ``values`` into the blocks of ``blocks``.

    Parameters
    ----------
    blocks : the block model (its grid and the blocks present) to estimate.
    sample_xyz, values : (n, 3) sample coordinates (m) and values; NaN values are left out.
    passes : search neighbourhoods, tried in order on the blocks still unestimated.
    method : "ok" (ordinary kriging), "sk" (simple kriging, needs ``mean``), "idw" (inverse
        distance to ``power``, anisotropic through each pass's ellipsoid), "nn" (nearest).
    model : the variogram model (kriging).
    discretisation : points per block along x, y, z for block kriging ((1, 1, 1): point).
    hole : (n,) hole ids, for the per-hole limit and the number of holes per block.
    prefix : prepended to the output column names (e.g. "cu_").

    Returns
    -------
    EstimationRun : the model with the columns ``estimate, variance, slope, efficiency,
    negative_weights, nsamples, nholes, mean_distance_m, pass`` (with ``prefix``), and the
    summary.
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method in ("ok", "sk") and model is None:
        raise ParameterError("kriging needs a variogram model")
    if method == "sk" and mean is None:
        raise ParameterError("simple kriging needs the mean")
    if not passes:
        raise ParameterError("give at least one search pass")
    xyz = np.asarray(sample_xyz, dtype=float).reshape(-1, 3)
    v = np.asarray(values, dtype=float).reshape(-1)
    if len(v) != len(xyz):
        raise ParameterError(f"{len(xyz)} sample positions but {len(v)} values")
    ok = np.isfinite(v) & np.isfinite(xyz).all(axis=1)
    xyz, v = xyz[ok], v[ok]
    h = None if hole is None else np.asarray(hole, dtype=object)[ok]
    nb = Neighbourhood.build(xyz, hole=h)
    targets = blocks.centroids()
    offsets = blocks.grid.discretisation_offsets(discretisation)
    n = len(targets)
    out = {k: np.full(n, np.nan) for k in OUTPUTS}
    out["nsamples"] = np.zeros(n, dtype=np.int64)
    out["nholes"] = np.zeros(n, dtype=np.int64)
    out["pass"] = np.zeros(n, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int64)
    left = np.arange(n)
    rows = []
    for p, params in enumerate(passes, start=1):
        if not len(left):
            break
        found = nb.query(targets[left], params)
        use = found.count > 0
        reason[left] = np.where(use, 0, found.reason)
        sel = left[use]
        idx, cnt = found.index[use], found.count[use]
        if len(sel):
            res = _estimate(method, xyz, v, targets[sel], model, idx, cnt, mean, offsets,
                            power, params)
            got = res.reason == 0
            for k in ("estimate", "variance", "slope", "efficiency", "negative_weights",
                      "mean_distance_m"):
                if hasattr(res, k):
                    out[k][sel[got]] = getattr(res, k)[got]
            out["nsamples"][sel[got]] = res.nsamples[got]
            out["nholes"][sel[got]] = found.holes[use][got]
            out["pass"][sel[got]] = p
            reason[sel[~got]] = 100 + res.reason[~got]  # a kernel's reason, kept apart
            done = sel[got]
        else:
            done = sel
        rows.append({"pass": p, "radii_m": tuple(params.radii), "searched": len(left),
                     "estimated": len(done)})
        left = np.setdiff1d(left, done, assume_unique=True)
    names = {**{k: f"search: {v}" for k, v in SEARCH_REASONS.items() if k},
             101: "kriging: no samples", 102: "kriging: singular system"}
    summary = pd.DataFrame(rows)
    missing = pd.Series(reason[left]).map(lambda r: names.get(int(r), f"reason {r}"))
    summary.attrs["unestimated"] = missing.value_counts().to_dict()
    params_record = {"method": method, "discretisation": list(discretisation),
                     "passes": [{"radii": list(q.radii), "angles": list(q.angles),
                                 "min_samples": q.min_samples, "max_samples": q.max_samples,
                                 "max_per_octant": q.max_per_octant,
                                 "max_per_hole": q.max_per_hole} for q in passes],
                     "samples": int(len(v))}
    if method == "idw":
        params_record["power"] = power
    if method == "sk":
        params_record["mean"] = mean
    columns = {prefix + k: out[k] for k in OUTPUTS}
    if method in ("idw", "nn"):
        for k in ("variance", "slope", "efficiency", "negative_weights"):
            columns.pop(prefix + k)
    estimated = blocks.add_columns(columns, params_record)
    return EstimationRun(estimated, summary, params_record)


def _estimate(method, xyz, v, targets, model, idx, cnt, mean, offsets, power, params):
    if method == "ok":
        return ordinary_kriging(xyz, v, targets, model, idx, cnt, disc_offsets=offsets)
    if method == "sk":
        return simple_kriging(xyz, v, targets, model, idx, cnt, mean=mean,
                              disc_offsets=offsets)
    from orebook.geostats.models import rotation_matrix

    scaled = rotation_matrix(*params.angles) / np.asarray(params.radii)[:, None]
    if method == "idw":
        return inverse_distance(xyz, v, targets, idx, cnt, power=power, scaled_rotation=scaled)
    return nearest_neighbour(xyz, v, targets, idx, cnt, scaled_rotation=scaled)
