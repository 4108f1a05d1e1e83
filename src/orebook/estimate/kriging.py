"""Ordinary and simple kriging (point and block support), inverse distance and nearest
neighbour, over neighbour lists given by the caller.

Each function takes the samples (coordinates in m, values), the targets, and for every target
the indices of the samples to use: ``nb_index`` (m, k), padded with −1, and ``nb_count`` (m,)
(as :meth:`orebook.estimate.search.Neighbourhood.query` returns them, or any other search).
The rules of the arithmetic (GSLIB ``kt3d``'s, including its treatment of the nugget in block
kriging) are in :mod:`orebook.estimate._kernels`; this module checks the inputs once, runs the
compiled kernels in chunks of targets and returns frozen dataclasses of arrays.

Targets that cannot be estimated are NaN and say why in ``reason`` (codes in :data:`REASONS`):
no samples, or a singular kriging system (duplicated samples). Nothing raises for them.

>>> import numpy as np
>>> from orebook.geostats.models import Structure, VariogramModel
>>> model = VariogramModel(0.0, (Structure("spherical", 1.0, (100.0, 100.0, 100.0)),))
>>> xyz = np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
>>> r = ordinary_kriging(xyz, np.array([1.0, 3.0]), np.array([[25.0, 0.0, 0.0]]), model,
...                      np.array([[0, 1]]), np.array([2]))
>>> float(r.estimate[0])  # halfway: equal weights
2.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from orebook.errors import ParameterError
from orebook.geostats.models import VariogramModel

from . import _kernels as K

__all__ = [
    "REASONS",
    "InverseDistanceResult",
    "KrigingResult",
    "NearestNeighbourResult",
    "block_discretisation",
    "inverse_distance",
    "nearest_neighbour",
    "ordinary_kriging",
    "simple_kriging",
]

REASONS = dict(K.REASONS)
"""``reason`` code → meaning: 0 estimated, 1 no samples, 2 singular kriging system."""

DEFAULT_CHUNK = 100_000
"""Targets per call of a kernel (bounds the memory of the checks; progress is reported after
each chunk)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called after each chunk with the number of targets done."""


# ------------------------------------------------------------------------------------------
# results


class _Columns:
    def columns(self) -> dict[str, np.ndarray]:
        """The per-target arrays by name (for a block model)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}

    def summary(self) -> dict[str, int]:
        """Number of targets per outcome (:data:`REASONS`), zeros left out."""
        counts = np.bincount(self.reason, minlength=len(REASONS))
        return {REASONS[k]: int(c) for k, c in enumerate(counts) if c}


@dataclass(frozen=True)
class KrigingResult(_Columns):
    """Kriging outputs, one value per target (NaN where ``reason`` ≠ 0).

    estimate : kriged value. variance : kriging variance σ²_K. slope : slope of regression
    of the true value on the estimate. efficiency : kriging efficiency
    (C̄(V, V) − σ²_K) / C̄(V, V). negative_weights : sum of the negative weights (≤ 0).
    lagrange : the Lagrange multiplier μ of Σ λ_j C_ij + μ = C̄_iV (NaN for simple kriging).
    nsamples : samples used. reason : :data:`REASONS` code. mean_distance_m : mean distance
    of the samples used to the target (m). block_covariance : C̄(V, V) (the model's C(0) for
    point kriging). kind : ``"ok"`` or ``"sk"``.
    """

    estimate: np.ndarray
    variance: np.ndarray
    slope: np.ndarray
    efficiency: np.ndarray
    negative_weights: np.ndarray
    lagrange: np.ndarray
    nsamples: np.ndarray
    reason: np.ndarray
    mean_distance_m: np.ndarray
    block_covariance: float
    kind: str


@dataclass(frozen=True)
class InverseDistanceResult(_Columns):
    """Inverse distance outputs per target: estimate, nsamples, reason, mean_distance_m."""

    estimate: np.ndarray
    nsamples: np.ndarray
    reason: np.ndarray
    mean_distance_m: np.ndarray


@dataclass(frozen=True)
class NearestNeighbourResult(_Columns):
    """Nearest neighbour outputs per target: estimate, sample (its index, −1 when none),
    distance (anisotropic when a scaled rotation was given, else m), nsamples, reason."""

    estimate: np.ndarray
    sample: np.ndarray
    distance: np.ndarray
    nsamples: np.ndarray
    reason: np.ndarray


# ------------------------------------------------------------------------------------------
# checks (once, at the edge)


def _coords(name: str, a, n: int | None = None) -> np.ndarray:
    try:
        x = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numbers, shape (n, 3) or (n, 2)") from None
    if x.ndim != 2 or x.shape[1] not in (2, 3):
        raise ParameterError(f"{name} must have shape (n, 3) (x, y, z in m) or (n, 2), got "
                             f"shape {x.shape}")
    if n is not None and len(x) != n:
        raise ParameterError(f"{name} has {len(x)} rows, expected {n}")
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise ParameterError(f"{name} must be finite; row {bad} is {x[bad].tolist()}")
    if x.shape[1] == 2:
        x = np.column_stack([x, np.zeros(len(x))])
    return np.ascontiguousarray(x)


def _values(values, n: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1) if np.ndim(values) else None
    if v is None or len(v) != n:
        raise ParameterError(f"values must have one number per sample ({n}), got "
                             f"{'a scalar' if v is None else len(v)}")
    if not np.isfinite(v).all():
        bad = int(np.flatnonzero(~np.isfinite(v))[0])
        raise ParameterError(f"values must be finite; sample {bad} is {v[bad]!r} (drop "
                             f"missing samples before the neighbourhood search)")
    return np.ascontiguousarray(v)


def _neighbours(nb_index, nb_count, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.asarray(nb_index)
    cnt = np.asarray(nb_count)
    if idx.ndim != 2 or len(idx) != m:
        raise ParameterError(f"nb_index must have shape (targets, k) = ({m}, k), got "
                             f"{idx.shape}")
    if cnt.shape != (m,):
        raise ParameterError(f"nb_count must have shape ({m},), got {cnt.shape}")
    if not (np.issubdtype(idx.dtype, np.integer) and np.issubdtype(cnt.dtype, np.integer)):
        raise ParameterError(f"nb_index and nb_count must be integers, got {idx.dtype} and "
                             f"{cnt.dtype}")
    k = idx.shape[1]
    if m and (cnt.min() < 0 or cnt.max() > k):
        t = int(np.flatnonzero((cnt < 0) | (cnt > k))[0])
        raise ParameterError(f"nb_count must be in [0, {k}] (the columns of nb_index); "
                             f"target {t} has {cnt[t]}")
    return np.ascontiguousarray(idx, dtype=np.int64), np.ascontiguousarray(cnt, dtype=np.int64)


def _check_chunk(idx: np.ndarray, cnt: np.ndarray, n: int, start: int) -> None:
    """Every used index of the chunk points at a sample."""
    bad = idx.view(np.uint64) >= n  # negative indices are huge as unsigned
    bad &= np.arange(idx.shape[1]) < cnt[:, None]
    if bad.any():
        t, j = (int(v) for v in np.argwhere(bad)[0])
        raise ParameterError(f"nb_index[{start + t}, {j}] = {idx[t, j]} is not a sample index "
                             f"(0 … {n - 1}); the first nb_count[{start + t}] = {cnt[t]} "
                             f"entries of a row must be samples")


def _rotation(scaled_rotation) -> np.ndarray:
    if scaled_rotation is None:
        return np.eye(3)
    r = np.asarray(scaled_rotation, dtype=np.float64)
    if r.shape != (3, 3) or not np.isfinite(r).all() or abs(np.linalg.det(r)) == 0.0:
        raise ParameterError(f"scaled_rotation must be a finite invertible 3 × 3 matrix "
                             f"(e.g. Structure.scaled_rotation), got {r.tolist()}")
    return np.ascontiguousarray(r)


def _discretisation(disc_offsets, disc_weights) -> tuple[np.ndarray, np.ndarray]:
    if disc_offsets is None:
        offs = np.zeros((1, 3))
    else:
        offs = _coords("disc_offsets", disc_offsets)
        if len(offs) == 0:
            raise ParameterError("disc_offsets must have at least one point")
    if disc_weights is None:
        w = np.full(len(offs), 1.0 / len(offs))
    else:
        w = np.asarray(disc_weights, dtype=np.float64).reshape(-1)
        if len(w) != len(offs) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ParameterError(f"disc_weights must be {len(offs)} non-negative numbers with "
                                 f"a positive sum, got {w.tolist()}")
        w = w / w.sum()
    return offs, w


def _chunks(m: int, chunk: int):
    if not (isinstance(chunk, (int, np.integer)) and chunk > 0):
        raise ParameterError(f"chunk must be a positive integer, got {chunk!r}")
    return [(s, min(s + int(chunk), m)) for s in range(0, m, int(chunk))]


def _prepare(sample_xyz, values, targets_xyz, nb_index, nb_count):
    xyz = _coords("sample_xyz", sample_xyz)
    v = _values(values, len(xyz))
    tgt = _coords("targets_xyz", targets_xyz)
    idx, cnt = _neighbours(nb_index, nb_count, len(tgt), len(xyz))
    return xyz, v, tgt, idx, cnt


# ------------------------------------------------------------------------------------------
# public functions


def block_discretisation(block_size: Sequence[float], counts: Sequence[int]) -> np.ndarray:
    """Discretisation points of a block relative to its centre, as GSLIB ``kt3d`` places
    them: ``counts`` = (nxdis, nydis, nzdis) points at the centres of equal sub-blocks, x
    slowest and z fastest.

    block_size : (3,) block size (m). counts : (3,) points per axis (≥ 1).
    Returns (nx·ny·nz, 3) offsets (m).

    >>> block_discretisation((10.0, 10.0, 20.0), (2, 1, 1)).tolist()
    [[-2.5, 0.0, 0.0], [2.5, 0.0, 0.0]]
    """
    from .grid import BlockGrid

    return BlockGrid((0.0, 0.0, 0.0), block_size, (1, 1, 1)).discretisation_offsets(counts)


def _kriging(kind: str, sample_xyz, values, targets_xyz, model, nb_index, nb_count, mean,
             disc_offsets, disc_weights, chunk, progress) -> KrigingResult:
    if not isinstance(model, VariogramModel):
        raise ParameterError(f"model must be a VariogramModel, got {type(model).__name__}")
    xyz, v, tgt, idx, cnt = _prepare(sample_xyz, values, targets_xyz, nb_index, nb_count)
    m = len(tgt)
    offs, w = _discretisation(disc_offsets, disc_weights)
    if kind == "sk":
        mean = np.asarray(mean, dtype=np.float64)
        if mean.ndim > 1 or (mean.ndim == 1 and len(mean) != m) or not np.isfinite(
                mean).all():
            raise ParameterError(f"mean must be a finite number or one per target ({m}), "
                                 f"got {mean!r}")
        means = np.broadcast_to(mean, (m,))
    else:
        means = np.zeros(m)
    arrays = K.pack_model(model)
    out = {f: np.empty(m, dtype=np.int64 if f in ("nsamples", "reason") else np.float64)
           for f in K.FIELDS}
    for s, e in _chunks(m, chunk):
        _check_chunk(idx[s:e], cnt[s:e], len(xyz), s)
        part = K.krige(xyz, v, idx[s:e], cnt[s:e], tgt[s:e], arrays, kind=kind,
                       mean=means[s:e], disc_offsets=offs, disc_weights=w)
        for f in K.FIELDS:
            out[f][s:e] = part[f]
        if progress is not None:
            progress(e, m)
    out["mean_distance_m"] = out.pop("mean_distance")
    return KrigingResult(**out, block_covariance=K.block_covariance(arrays, offs, w),
                         kind=kind)


def ordinary_kriging(sample_xyz, values, targets_xyz, model: VariogramModel, nb_index,
                     nb_count, *, disc_offsets=None, disc_weights=None,
                     chunk: int = DEFAULT_CHUNK,
                     progress: Progress | None = None) -> KrigingResult:
    """Ordinary kriging of every target from its neighbours.

    Parameters
    ----------
    sample_xyz : (n, 3) sample coordinates (m); (n, 2) for 2-D data (z = 0).
    values : (n,) sample values, finite.
    targets_xyz : (m, 3) or (m, 2) target coordinates (m): points, or block centres.
    model : the variogram model (GSLIB conventions, :mod:`orebook.geostats.models`).
    nb_index : (m, k) integer indices of each target's samples, −1 padded.
    nb_count : (m,) number of samples of each target (the first nb_count[t] of row t).
    disc_offsets : (d, 3) block discretisation points relative to the target (m), e.g.
        :func:`block_discretisation`; None (default) for point kriging.
    disc_weights : (d,) weights of the discretisation points (default equal).
    chunk : targets per kernel call. progress : ``progress(done, total)`` after each chunk.

    Returns
    -------
    KrigingResult
    """
    return _kriging("ok", sample_xyz, values, targets_xyz, model, nb_index, nb_count, 0.0,
                    disc_offsets, disc_weights, chunk, progress)


def simple_kriging(sample_xyz, values, targets_xyz, model: VariogramModel, nb_index,
                   nb_count, *, mean, disc_offsets=None, disc_weights=None,
                   chunk: int = DEFAULT_CHUNK,
                   progress: Progress | None = None) -> KrigingResult:
    """Simple kriging with a known ``mean`` (a number, or one per target: GSLIB's
    non-stationary SK); other parameters as :func:`ordinary_kriging`. The Lagrange
    multiplier is NaN and the slope of regression is 1."""
    return _kriging("sk", sample_xyz, values, targets_xyz, model, nb_index, nb_count, mean,
                    disc_offsets, disc_weights, chunk, progress)


def inverse_distance(sample_xyz, values, targets_xyz, nb_index, nb_count, *,
                     power: float = 2.0, scaled_rotation=None, chunk: int = DEFAULT_CHUNK,
                     progress: Progress | None = None) -> InverseDistanceResult:
    """Inverse distance weighting: weights 1 / dᵖ with d = |S (x − x₀)|.

    power : p ≥ 0. scaled_rotation : S (3, 3), rows the search ellipsoid's axes divided by
    their radii (e.g. ``Structure.scaled_rotation``), for an anisotropic distance; None for
    the Euclidean distance. A sample at the target (closer than 1e-10 m) takes all the
    weight. Other parameters as :func:`ordinary_kriging`.
    """
    xyz, v, tgt, idx, cnt = _prepare(sample_xyz, values, targets_xyz, nb_index, nb_count)
    if not (np.isfinite(power) and power >= 0):
        raise ParameterError(f"power must be a finite number ≥ 0, got {power!r}")
    rot = _rotation(scaled_rotation)
    m = len(tgt)
    out = {"estimate": np.empty(m), "nsamples": np.empty(m, dtype=np.int64),
           "reason": np.empty(m, dtype=np.int64), "mean_distance": np.empty(m)}
    for s, e in _chunks(m, chunk):
        _check_chunk(idx[s:e], cnt[s:e], len(xyz), s)
        part = K.inverse_distance(xyz, v, idx[s:e], cnt[s:e], tgt[s:e], float(power), rot)
        for f, arr in out.items():
            arr[s:e] = part[f]
        if progress is not None:
            progress(e, m)
    out["mean_distance_m"] = out.pop("mean_distance")
    return InverseDistanceResult(**out)


def nearest_neighbour(sample_xyz, values, targets_xyz, nb_index, nb_count, *,
                      scaled_rotation=None, chunk: int = DEFAULT_CHUNK,
                      progress: Progress | None = None) -> NearestNeighbourResult:
    """The value of the nearest of each target's samples (by |S (x − x₀)| with
    ``scaled_rotation`` S, Euclidean by default; the first in list order when tied)."""
    xyz, v, tgt, idx, cnt = _prepare(sample_xyz, values, targets_xyz, nb_index, nb_count)
    rot = _rotation(scaled_rotation)
    m = len(tgt)
    out = {"estimate": np.empty(m), "sample": np.empty(m, dtype=np.int64),
           "distance": np.empty(m), "nsamples": np.empty(m, dtype=np.int64),
           "reason": np.empty(m, dtype=np.int64)}
    for s, e in _chunks(m, chunk):
        _check_chunk(idx[s:e], cnt[s:e], len(xyz), s)
        part = K.nearest(xyz, v, idx[s:e], cnt[s:e], tgt[s:e], rot)
        for f, arr in out.items():
            arr[s:e] = part[f]
        if progress is not None:
            progress(e, m)
    return NearestNeighbourResult(**out)
