"""Kriging, inverse distance and nearest neighbour over given neighbour lists (numba), with
NumPy twins.

Every estimator here works on flat arrays: sample coordinates (n, 3) and values (n,), target
coordinates (m, 3), and for each target the indices of its samples, ``nb_index`` (m, k) padded
with −1, and their number ``nb_count`` (m,) (the first ``nb_count[t]`` entries of row t are
used). The neighbourhood search that makes those lists lives elsewhere; the user-facing
functions and their checks are in :mod:`orebook.estimate.kriging`.

**Covariance** (GSLIB ``cova3``): C(h) = cmax − γ(h), γ(0) = 0, so that C at zero separation
(a distance below :data:`SAME_POINT_M`) is cmax and includes the nugget; at any other
separation the nugget is gone. ``cmax`` is the total sill, or for a model with power
structures the bounded sills plus :data:`~orebook.geostats.models.POWER_CMAX` (GSLIB's PMX).
As in cova3, the kernels sum each structure's covariance, cc · (1 − g) (cc · exp(−3h) for the
exponential; exactly 0 beyond a spherical range) and PMX − cc · (a·h)^ω for a power
structure, rather than subtracting γ from cmax.
:func:`pack_model` turns a :class:`~orebook.geostats.models.VariogramModel` into the arrays the
kernels take.

**Kriging** (one system per target, its samples only). Ordinary kriging solves

    Σ_j λ_j C_ij + μ = C̄_iV,   Σ_j λ_j = 1,

simple kriging the same without μ and the constraint, on the residuals from a known mean.
Point support: C̄_iV = C(x_i − x₀) and C̄(V, V) = cmax. Block support, as GSLIB ``kt3d`` does
it: the block is represented by discretisation points x₀ + o_q with weights w_q (Σ w_q = 1,
GSLIB: equal weights), C̄_iV = Σ_q w_q C'(x_i − x₀ − o_q) and C̄(V, V) = Σ_q Σ_r w_q w_r C'(o_q −
o_r), where C' is the covariance **without the nugget** even at zero separation (kt3d
subtracts c0 from a point-to-point term whose points coincide, and from the i = j terms of the
block covariance; gstat's block kriging does the same, which ``tests/estimate`` checks against
its transcript). Point support is a single discretisation point.

Per target the outputs are (``FIELDS``):

- ``estimate``: Σ λ_i z_i (OK), m + Σ λ_i (z_i − m) (SK);
- ``variance``: the kriging variance σ²_K = C̄(V, V) − Σ λ_i C̄_iV − μ (μ = 0 for SK);
- ``slope``: slope of the regression of the true block value on the estimate,
  cov(Z_V, Z*)/var(Z*) = Σ λ_i C̄_iV / (Σ λ_i C̄_iV − μ) (1 for SK; NaN when var(Z*) is 0
  to rounding, 1e-24 · cmax, e.g. SK with every sample beyond the range);
- ``efficiency``: kriging efficiency (C̄(V, V) − σ²_K) / C̄(V, V) (NaN when C̄(V, V) ≤ 0,
  e.g. block kriging with a pure nugget model);
- ``negative_weights``: sum of the negative weights (≤ 0);
- ``lagrange``: μ in the convention above (kt3d's debug output prints the same number);
  NaN for SK;
- ``nsamples``: number of samples used; ``mean_distance``: their mean Euclidean distance to
  the target (m);
- ``reason``: :data:`REASON_OK`, :data:`REASON_NO_SAMPLES` (no neighbours: every output NaN)
  or :data:`REASON_SINGULAR` (the covariance matrix is singular, e.g. duplicated samples:
  every output NaN). Never an exception.

**Solution method** (numba). The covariance block C is factorised C = RᵀR (Cholesky, R
upper); the Lagrange row is eliminated: with y = R⁻ᵀ c and w = R⁻ᵀ 1,
μ = (wᵀy − 1)/(wᵀw) and λ = R⁻¹(y − μ w). A pivot at or below :data:`SINGULAR_RTOL` · cmax
marks the system singular. Targets are solved :data:`_LANES` at a time: every array of a
group has the target as its last, contiguous axis, so that each step of the assembly, the
factorisation and the solves is one loop over targets that the compiler turns into SIMD
instructions (a loop over the samples of one 32 × 32 system does not vectorise: too short,
and numba cannot tell the compiler that the arrays do not overlap). A target with fewer
samples than the largest of its group is padded with unit rows and zero right-hand sides,
which leaves its own numbers unchanged to the last bit. The NumPy twins solve the full
bordered system with ``np.linalg.solve`` instead, with covariances from
:meth:`VariogramModel.covariance`, and serve as the test reference.

**Inverse distance**: weights 1 / d_i^p with d_i = |S (x_i − x₀)| for a scaled rotation S
(rows: the ellipsoid's axes divided by their radii; the identity gives the Euclidean
distance); samples within :data:`SAME_POINT_M` of the target take all the weight (their mean).
**Nearest neighbour**: the value of the sample with the smallest d_i (the first in list order
when tied).

**Threads.** The kernels are compiled ``nogil`` functions over a range of targets; the wrappers
run them on ``numba.get_num_threads()`` Python threads, in work items of :data:`_WORK`
targets, each with its own scratch arrays (memory: the outputs plus, per thread,
k² · :data:`_LANES` doubles: 0.5 MB for k = 32, 20 MB for k = 200). Each target's numbers do
not depend on the work items nor on the number of threads. (A numba ``prange`` wrapper runs
as fast but doubles the cold compilation time, 20 s instead of 8 s, by optimising the kernel
again inside the parallel function.)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np
from numba import njit

from orebook.geostats.models import _EPS, POWER_CMAX, VariogramModel

__all__ = [
    "FIELDS",
    "KIND_CODES",
    "REASONS",
    "REASON_NO_SAMPLES",
    "REASON_OK",
    "REASON_SINGULAR",
    "SAME_POINT_M",
    "SINGULAR_RTOL",
    "ModelArrays",
    "block_covariance",
    "covariance",
    "inverse_distance",
    "inverse_distance_numpy",
    "krige",
    "krige_numpy",
    "nearest",
    "nearest_numpy",
    "pack_model",
]

KIND_CODES = {"spherical": 0, "exponential": 1, "gaussian": 2, "power": 3}
"""Integer code of each structure shape in :class:`ModelArrays`."""

REASON_OK, REASON_NO_SAMPLES, REASON_SINGULAR = 0, 1, 2
REASONS = {REASON_OK: "estimated", REASON_NO_SAMPLES: "no samples",
           REASON_SINGULAR: "singular kriging system"}
"""Meaning of each ``reason`` code."""

FIELDS = ("estimate", "variance", "slope", "efficiency", "negative_weights", "lagrange",
          "nsamples", "reason", "mean_distance")
"""Outputs of :func:`krige`, in order."""

SAME_POINT_M = _EPS
"""Distances below this (m) are zero separation: C = cmax, nugget included (as
:mod:`orebook.geostats.models`)."""

SINGULAR_RTOL = 1e-12
"""A Cholesky pivot at or below this times cmax makes the system singular. Duplicated samples
give pivots of order 1e-16 · cmax."""

_SAME2 = SAME_POINT_M * SAME_POINT_M
_TINY = 1e-24  # var(Z*) at or below this times cmax: the weights are rounding noise
_LANES = 64  # targets solved together in SIMD lanes
_WORK = 1024  # targets per work item of the thread pool (a multiple of _LANES)


class ModelArrays(NamedTuple):
    """A variogram model as flat arrays (see :func:`pack_model`).

    nugget, cmax : floats (cmax = C(0), nugget included). kind : (nst,) int64 codes of
    :data:`KIND_CODES`. sill : (nst,) partial sills. rotation : (nst, 3, 3) scaled rotations
    (rows: the structure's axes divided by their ranges, so that |rotation · d| is the reduced
    distance). exponent : (nst,) power exponents (1 for other shapes). major : (nst,) major
    range (m), which turns the reduced distance of a power structure back into metres.
    """

    nugget: float
    cmax: float
    kind: np.ndarray
    sill: np.ndarray
    rotation: np.ndarray
    exponent: np.ndarray
    major: np.ndarray


def pack_model(model: VariogramModel) -> ModelArrays:
    """The arrays of ``model`` that the kernels take."""
    s = model.structures
    return ModelArrays(
        float(model.nugget), float(model.cmax),
        np.array([KIND_CODES[x.kind] for x in s], dtype=np.int64),
        np.array([x.sill for x in s], dtype=np.float64),
        np.ascontiguousarray(np.array([x.scaled_rotation for x in s], dtype=np.float64)
                             .reshape(len(s), 3, 3)),
        np.array([x.exponent if x.kind == "power" else 1.0 for x in s], dtype=np.float64),
        np.array([x.ranges[0] for x in s], dtype=np.float64))


# ------------------------------------------------------------------------------------------
# wrappers


def _run(kernel, m: int, *args) -> None:
    """kernel(first, end, *args) over targets 0 … m − 1 in work items of _WORK targets, on
    ``numba.get_num_threads()`` threads (the kernels release the GIL). Each target's numbers
    do not depend on the work items nor on the number of threads."""
    items = [(s, min(s + _WORK, m)) for s in range(0, m, _WORK)]
    threads = min(numba.get_num_threads(), len(items))
    if threads <= 1:
        for s, e in items:
            kernel(s, e, *args)
        return
    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(kernel, s, e, *args) for s, e in items]:
            f.result()


def _xyz(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    return (np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1]),
            np.ascontiguousarray(a[:, 2]))


def _disc(disc_offsets, disc_weights) -> tuple[np.ndarray, np.ndarray]:
    offs = (np.zeros((1, 3)) if disc_offsets is None
            else np.ascontiguousarray(disc_offsets, dtype=np.float64).reshape(-1, 3))
    w = (np.full(len(offs), 1.0 / len(offs)) if disc_weights is None
         else np.asarray(disc_weights, dtype=np.float64).reshape(-1))
    return offs, np.ascontiguousarray(w / w.sum())


def covariance(d: np.ndarray, m: ModelArrays, *, nugget: bool = True) -> np.ndarray:
    """C for separation vectors ``d`` (..., 3), from the packed model (numba ``_cov``).
    ``nugget=False``: the covariance without the nugget, even at zero separation (C')."""
    d = np.asarray(d, dtype=np.float64)
    flat = np.ascontiguousarray(d.reshape(-1, 3))
    out = np.empty(len(flat))
    _cov_many(flat, m.nugget, m.cmax, m.kind, m.sill, m.rotation, m.exponent, m.major,
              nugget, out)
    return out.reshape(d.shape[:-1])


def block_covariance(m: ModelArrays, disc_offsets=None, disc_weights=None) -> float:
    """C̄(V, V): cmax for a single discretisation point, else Σ w_q w_r C'(o_q − o_r)."""
    offs, w = _disc(disc_offsets, disc_weights)
    if len(offs) == 1:
        return float(m.cmax)
    c = covariance(offs[:, None, :] - offs[None, :, :], m, nugget=False)
    return float(w @ c @ w)


def krige(sample_xyz: np.ndarray, values: np.ndarray, nb_index: np.ndarray,
          nb_count: np.ndarray, target_xyz: np.ndarray, m: ModelArrays, *, kind: str = "ok",
          mean: float | np.ndarray = 0.0, disc_offsets: np.ndarray | None = None,
          disc_weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Ordinary (``kind="ok"``) or simple (``"sk"``, residuals from ``mean``: a number or one
    per target) kriging of every target; a dict of the arrays named in :data:`FIELDS`.

    disc_offsets : (d, 3) discretisation points relative to the target (m); None or a
        single row is point kriging. disc_weights : (d,) their weights (default equal;
        normalised to sum 1).
    Inputs are taken as given (no checks: see :mod:`orebook.estimate.kriging`).
    """
    if kind not in ("ok", "sk"):
        raise ValueError(f"kind must be 'ok' or 'sk', got {kind!r}")
    sx, sy, sz = _xyz(sample_xyz)
    tx, ty, tz = _xyz(target_xyz)
    nt = len(tx)
    offs, w = _disc(disc_offsets, disc_weights)
    disc_t = np.ascontiguousarray(np.einsum("sij,dj->dsi", m.rotation, offs))
    cbb = block_covariance(m, offs, w)
    means = np.ascontiguousarray(np.broadcast_to(np.asarray(mean, dtype=np.float64), (nt,)))
    out = {f: np.empty(nt, dtype=np.int64 if f in ("nsamples", "reason") else np.float64)
           for f in FIELDS}
    _run(_krige_block, nt, sx, sy, sz, np.ascontiguousarray(values, dtype=np.float64),
         np.ascontiguousarray(nb_index, dtype=np.int64),
         np.ascontiguousarray(nb_count, dtype=np.int64), tx, ty, tz, means,
         float(m.nugget), float(m.cmax), m.kind, m.sill, m.rotation, m.exponent, m.major,
         offs, w, disc_t, float(cbb), kind == "sk", *out.values())
    return out


def inverse_distance(sample_xyz: np.ndarray, values: np.ndarray, nb_index: np.ndarray,
                     nb_count: np.ndarray, target_xyz: np.ndarray, power: float,
                     scaled_rotation: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Inverse distance weighting of every target: ``estimate``, ``nsamples``, ``reason``,
    ``mean_distance`` (Euclidean, m). ``scaled_rotation`` (3, 3): the anisotropic distance
    |S d| (default the identity)."""
    sx, sy, sz = _xyz(sample_xyz)
    tx, ty, tz = _xyz(target_xyz)
    nt = len(tx)
    rot = np.ascontiguousarray(np.eye(3) if scaled_rotation is None else scaled_rotation,
                               dtype=np.float64)
    est, meand = np.empty(nt), np.empty(nt)
    nsamp, reason = np.empty(nt, dtype=np.int64), np.empty(nt, dtype=np.int64)
    _run(_idw_block, nt, sx, sy, sz, np.ascontiguousarray(values, dtype=np.float64),
         np.ascontiguousarray(nb_index, dtype=np.int64),
         np.ascontiguousarray(nb_count, dtype=np.int64), tx, ty, tz, rot, float(power),
         est, nsamp, reason, meand)
    return {"estimate": est, "nsamples": nsamp, "reason": reason, "mean_distance": meand}


def nearest(sample_xyz: np.ndarray, values: np.ndarray, nb_index: np.ndarray,
            nb_count: np.ndarray, target_xyz: np.ndarray,
            scaled_rotation: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Nearest neighbour among each target's samples: ``estimate``, ``sample`` (index, −1
    when none), ``distance`` (|S d|; metres with the default identity), ``nsamples``,
    ``reason``."""
    sx, sy, sz = _xyz(sample_xyz)
    tx, ty, tz = _xyz(target_xyz)
    nt = len(tx)
    rot = np.ascontiguousarray(np.eye(3) if scaled_rotation is None else scaled_rotation,
                               dtype=np.float64)
    est, dist = np.empty(nt), np.empty(nt)
    sample, nsamp, reason = (np.empty(nt, dtype=np.int64) for _ in range(3))
    _run(_nn_block, nt, sx, sy, sz, np.ascontiguousarray(values, dtype=np.float64),
         np.ascontiguousarray(nb_index, dtype=np.int64),
         np.ascontiguousarray(nb_count, dtype=np.int64), tx, ty, tz, rot, est, sample, dist,
         nsamp, reason)
    return {"estimate": est, "sample": sample, "distance": dist, "nsamples": nsamp,
            "reason": reason}


# ------------------------------------------------------------------------------------------
# NumPy twins (test reference: one target at a time, the full system, np.linalg.solve)


def _nan_row(out: dict, t: int, reason: int, n: int) -> None:
    for arr in out.values():
        if arr.dtype.kind == "f":
            arr[t] = np.nan
    out["reason"][t] = reason
    out["nsamples"][t] = n


def krige_numpy(sample_xyz: np.ndarray, values: np.ndarray, nb_index: np.ndarray,
                nb_count: np.ndarray, target_xyz: np.ndarray, model: VariogramModel, *,
                kind: str = "ok", mean: float | np.ndarray = 0.0,
                disc_offsets: np.ndarray | None = None,
                disc_weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Same as :func:`krige`, from ``model`` itself (``VariogramModel.covariance``), one
    target at a time with the full (bordered) system and ``np.linalg.solve``. A system whose
    covariance matrix has its smallest eigenvalue at or below SINGULAR_RTOL · cmax is
    singular."""
    xyz = np.asarray(sample_xyz, float)
    z = np.asarray(values, float)
    tgt = np.asarray(target_xyz, float)
    nt = len(tgt)
    offs, w = _disc(disc_offsets, disc_weights)
    means = np.broadcast_to(np.asarray(mean, float), (nt,))
    cmax, nug = model.cmax, model.nugget

    def c_nonug(d):  # C' : the covariance without the nugget, even at zero separation
        same = np.linalg.norm(d, axis=-1) < SAME_POINT_M
        return model.covariance_of(d) - nug * same

    point = len(offs) == 1
    cbb = cmax if point else float(w @ c_nonug(offs[:, None, :] - offs[None, :, :]) @ w)
    out = {f: np.zeros(nt, dtype=np.int64 if f in ("nsamples", "reason") else float)
           for f in FIELDS}
    for t in range(nt):
        n = int(nb_count[t])
        if n <= 0:
            _nan_row(out, t, REASON_NO_SAMPLES, 0)
            continue
        idx = np.asarray(nb_index[t, :n])
        p = xyz[idx]
        c_mat = model.covariance(p)
        if point:
            c = model.covariance(p, tgt[t] + offs)[:, 0]
        else:
            c = c_nonug(p[:, None, :] - (tgt[t] + offs)[None, :, :]) @ w
        if np.linalg.eigvalsh(c_mat)[0] <= SINGULAR_RTOL * cmax:
            _nan_row(out, t, REASON_SINGULAR, n)
            out["mean_distance"][t] = np.linalg.norm(p - tgt[t], axis=1).mean()
            continue
        if kind == "ok":
            a = np.ones((n + 1, n + 1))
            a[:n, :n] = c_mat
            a[n, n] = 0.0
            sol = np.linalg.solve(a, np.r_[c, 1.0])
            lam, mu = sol[:n], sol[n]
            est = lam @ z[idx]
        else:
            lam, mu = np.linalg.solve(c_mat, c), 0.0
            est = means[t] + lam @ (z[idx] - means[t])
        lc = lam @ c
        var = cbb - lc - mu
        var_est = lam @ c_mat @ lam
        out["estimate"][t] = est
        out["variance"][t] = var
        out["slope"][t] = lc / var_est if var_est > _TINY * cmax else np.nan
        out["efficiency"][t] = (cbb - var) / cbb if cbb > 0 else np.nan
        out["negative_weights"][t] = lam[lam < 0].sum()
        out["lagrange"][t] = mu if kind == "ok" else np.nan
        out["nsamples"][t] = n
        out["reason"][t] = REASON_OK
        out["mean_distance"][t] = np.linalg.norm(p - tgt[t], axis=1).mean()
    return out


def inverse_distance_numpy(sample_xyz, values, nb_index, nb_count, target_xyz, power,
                           scaled_rotation=None) -> dict[str, np.ndarray]:
    """Same as :func:`inverse_distance`, one target at a time."""
    xyz, z, tgt = (np.asarray(a, float) for a in (sample_xyz, values, target_xyz))
    rot = np.eye(3) if scaled_rotation is None else np.asarray(scaled_rotation, float)
    nt = len(tgt)
    out = {"estimate": np.full(nt, np.nan), "nsamples": np.zeros(nt, dtype=np.int64),
           "reason": np.full(nt, REASON_NO_SAMPLES, dtype=np.int64),
           "mean_distance": np.full(nt, np.nan)}
    for t in range(nt):
        n = int(nb_count[t])
        out["nsamples"][t] = max(n, 0)
        if n <= 0:
            continue
        idx = np.asarray(nb_index[t, :n])
        d = xyz[idx] - tgt[t]
        e = np.linalg.norm(d, axis=1)
        same = e < SAME_POINT_M
        if same.any():
            est = z[idx][same].mean()
        else:
            wt = np.linalg.norm(d @ rot.T, axis=1) ** -float(power)
            est = wt @ z[idx] / wt.sum()
        out["estimate"][t] = est
        out["reason"][t] = REASON_OK
        out["mean_distance"][t] = e.mean()
    return out


def nearest_numpy(sample_xyz, values, nb_index, nb_count, target_xyz,
                  scaled_rotation=None) -> dict[str, np.ndarray]:
    """Same as :func:`nearest`, one target at a time."""
    xyz, z, tgt = (np.asarray(a, float) for a in (sample_xyz, values, target_xyz))
    rot = np.eye(3) if scaled_rotation is None else np.asarray(scaled_rotation, float)
    nt = len(tgt)
    out = {"estimate": np.full(nt, np.nan), "sample": np.full(nt, -1, dtype=np.int64),
           "distance": np.full(nt, np.nan), "nsamples": np.zeros(nt, dtype=np.int64),
           "reason": np.full(nt, REASON_NO_SAMPLES, dtype=np.int64)}
    for t in range(nt):
        n = int(nb_count[t])
        out["nsamples"][t] = max(n, 0)
        if n <= 0:
            continue
        idx = np.asarray(nb_index[t, :n])
        d = np.linalg.norm((xyz[idx] - tgt[t]) @ rot.T, axis=1)
        k = int(np.argmin(d))  # the first of equal minima
        out["estimate"][t] = z[idx[k]]
        out["sample"][t] = idx[k]
        out["distance"][t] = d[k]
        out["reason"][t] = REASON_OK
    return out


# ------------------------------------------------------------------------------------------
# numba kernels (flat arrays in, preallocated output)


@njit(cache=True, nogil=True, error_model="numpy")
def _rho(kind, h, expo, major):
    """The covariance of one structure over its sill at reduced distance h, as GSLIB's cova3
    writes it: 1 − g(h) for bounded shapes (exactly 0 beyond a spherical range), −(a·h)^ω for
    a power structure (whose constant POWER_CMAX is added once per model)."""
    if kind == 0:
        if h < 1.0:
            return 1.0 - h * (1.5 - 0.5 * h * h)
        return 0.0
    if kind == 1:
        return np.exp(-3.0 * h)
    if kind == 2:
        return np.exp(-3.0 * h * h)
    if h <= 0.0:
        return 0.0
    return -((major * h) ** expo)


@njit(cache=True, nogil=True, error_model="numpy")
def _base(kind):
    """POWER_CMAX for a model with a power structure, else 0."""
    for s in range(kind.shape[0]):
        if kind[s] == 3:
            return POWER_CMAX
    return 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _cprime(dx, dy, dz, kind, sill, rot, expo, major):
    """C'(d): the covariance without the nugget, also at zero separation."""
    c = _base(kind)
    for s in range(kind.shape[0]):
        u = rot[s, 0, 0] * dx + rot[s, 0, 1] * dy + rot[s, 0, 2] * dz
        v = rot[s, 1, 0] * dx + rot[s, 1, 1] * dy + rot[s, 1, 2] * dz
        w = rot[s, 2, 0] * dx + rot[s, 2, 1] * dy + rot[s, 2, 2] * dz
        c += sill[s] * _rho(kind[s], np.sqrt(u * u + v * v + w * w), expo[s], major[s])
    return c


@njit(cache=True, nogil=True, error_model="numpy")
def _cov(dx, dy, dz, nugget, cmax, kind, sill, rot, expo, major):
    """C(d) = cmax − γ(d), GSLIB cova3: cmax (nugget included) at zero separation, C'(d)
    elsewhere."""
    if dx * dx + dy * dy + dz * dz < _SAME2:
        return cmax
    return _cprime(dx, dy, dz, kind, sill, rot, expo, major)


@njit(cache=True, nogil=True, error_model="numpy")
def _cov_many(d, nugget, cmax, kind, sill, rot, expo, major, with_nugget, out):
    for i in range(d.shape[0]):
        if with_nugget:
            out[i] = _cov(d[i, 0], d[i, 1], d[i, 2], nugget, cmax, kind, sill, rot, expo,
                          major)
        else:
            out[i] = _cprime(d[i, 0], d[i, 1], d[i, 2], kind, sill, rot, expo, major)


@njit(cache=True, nogil=True, error_model="numpy")
def _krige_block(first, end, sx, sy, sz, val, nb_index, nb_count, tx, ty, tz, means, nugget,
                 cmax, kind, sill, rot, expo, major, offs, dw, disc_t, cbb, simple,
                 o_est, o_var, o_slope, o_eff, o_neg, o_lag, o_n, o_reason, o_meand):
    """Kriging of targets first … end − 1 in groups of _LANES at once: every array of a group
    has the target (lane) as its last, contiguous axis, so that each step of the assembly,
    the factorisation and the solves is one loop over lanes that the compiler vectorises. A
    lane with fewer samples than the group's largest count is padded with unit rows
    (covariance block [C 0; 0 I], zero right-hand side, zero in the unbiasedness row): its
    padded weights are 0 and its other numbers those of its own system."""
    L = _LANES
    nst = kind.shape[0]
    kmax = nb_index.shape[1]
    nd = offs.shape[0]
    point = nd == 1
    base = _base(kind)
    tol = SINGULAR_RTOL * cmax
    a = np.empty((kmax, kmax, L))  # covariances (upper triangle), then R
    rel = np.zeros((kmax, 3, L))  # sample − target (m)
    tr = np.zeros((kmax, nst, 3, L))  # the same, rotated and scaled per structure
    c = np.empty((kmax, L))
    y = np.empty((kmax, L))
    w = np.empty((kmax, L))
    lam = np.empty((kmax, L))
    zz = np.zeros((kmax, L))
    g = np.empty(L)
    e2 = np.empty(L)
    mu = np.empty(L)
    mv = np.empty(L)
    dneg = np.empty(L)
    dsum = np.empty(L)
    cnt = np.zeros(L, dtype=np.int64)
    bad = np.zeros(L, dtype=np.bool_)
    for t0 in range(first, end, L):
        nmax = 0
        for l in range(L):
            t = t0 + l
            cnt[l] = min(max(nb_count[t], 0), kmax) if t < end else 0
            nmax = max(nmax, cnt[l])
            bad[l] = False
            dsum[l] = 0.0
        # gather: offsets of the samples from the target, per lane
        for l in range(L):
            t = t0 + l
            for i in range(cnt[l]):
                j = nb_index[t, i]
                ex = sx[j] - tx[t]
                ey = sy[j] - ty[t]
                ez = sz[j] - tz[t]
                rel[i, 0, l] = ex
                rel[i, 1, l] = ey
                rel[i, 2, l] = ez
                dsum[l] += np.sqrt(ex * ex + ey * ey + ez * ez)
                zz[i, l] = val[j]
            for i in range(cnt[l], nmax):
                rel[i, 0, l] = 0.0
                rel[i, 1, l] = 0.0
                rel[i, 2, l] = 0.0
                zz[i, l] = 0.0
        for i in range(nmax):
            for s in range(nst):
                for r in range(3):
                    for l in range(L):
                        tr[i, s, r, l] = (rot[s, r, 0] * rel[i, 0, l]
                                          + rot[s, r, 1] * rel[i, 1, l]
                                          + rot[s, r, 2] * rel[i, 2, l])
        # covariance matrix, upper triangle
        for i in range(nmax):
            for l in range(L):
                a[i, i, l] = cmax
            for j in range(i + 1, nmax):
                for l in range(L):
                    ex = rel[j, 0, l] - rel[i, 0, l]
                    ey = rel[j, 1, l] - rel[i, 1, l]
                    ez = rel[j, 2, l] - rel[i, 2, l]
                    e2[l] = ex * ex + ey * ey + ez * ez
                    g[l] = 0.0
                for s in range(nst):
                    _csum_lanes(tr, j, s, tr[i, s], kind[s], sill[s], expo[s], major[s], g)
                for l in range(L):
                    a[i, j, l] = cmax if e2[l] < _SAME2 else base + g[l]
        # right-hand side
        for i in range(nmax):
            if point:
                for l in range(L):
                    ex = rel[i, 0, l] - offs[0, 0]
                    ey = rel[i, 1, l] - offs[0, 1]
                    ez = rel[i, 2, l] - offs[0, 2]
                    e2[l] = ex * ex + ey * ey + ez * ez
                    g[l] = 0.0
                for s in range(nst):
                    _csum_point(tr, i, s, disc_t[0, s], kind[s], sill[s], expo[s], major[s],
                                1.0, g)
                for l in range(L):
                    c[i, l] = cmax if e2[l] < _SAME2 else base + g[l]
            else:
                for l in range(L):
                    g[l] = 0.0
                for q in range(nd):
                    for s in range(nst):
                        _csum_point(tr, i, s, disc_t[q, s], kind[s], sill[s], expo[s],
                                    major[s], dw[q], g)
                for l in range(L):
                    c[i, l] = base + g[l]
        # padding: unit rows and columns, zero right-hand side
        for l in range(L):
            for i in range(cnt[l], nmax):
                for j in range(i):
                    a[j, i, l] = 0.0
                for j in range(i, nmax):
                    a[i, j, l] = 0.0
                a[i, i, l] = 1.0
                c[i, l] = 0.0
        # Cholesky C = RᵀR, R upper, in place (row k of R in a[k, k:])
        for k in range(nmax):
            for l in range(L):
                piv = a[k, k, l]
                if not piv > tol:
                    bad[l] = True
                    piv = cmax  # carry on; the lane's results are dropped
                a[k, k, l] = np.sqrt(piv)
            for j in range(k + 1, nmax):
                for l in range(L):
                    a[k, j, l] /= a[k, k, l]
            for i in range(k + 1, nmax):
                for j in range(i, nmax):
                    for l in range(L):
                        a[i, j, l] -= a[k, i, l] * a[k, j, l]
        # y = R⁻ᵀ c, w = R⁻ᵀ 1 (column-oriented forward substitution)
        for i in range(nmax):
            for l in range(L):
                y[i, l] = c[i, l]
                w[i, l] = 1.0 if i < cnt[l] else 0.0
        for k in range(nmax):
            for l in range(L):
                y[k, l] /= a[k, k, l]
                w[k, l] /= a[k, k, l]
            for i in range(k + 1, nmax):
                for l in range(L):
                    y[i, l] -= a[k, i, l] * y[k, l]
                    w[i, l] -= a[k, i, l] * w[k, l]
        for l in range(L):
            mu[l] = 0.0
        if not simple:
            for l in range(L):
                g[l] = 0.0  # wᵀy
                e2[l] = 0.0  # wᵀw
            for i in range(nmax):
                for l in range(L):
                    g[l] += w[i, l] * y[i, l]
                    e2[l] += w[i, l] * w[i, l]
            for l in range(L):
                mu[l] = (g[l] - 1.0) / e2[l] if cnt[l] > 0 else 0.0
            for i in range(nmax):
                for l in range(L):
                    y[i, l] -= mu[l] * w[i, l]
        # λ = R⁻¹ (y − μ w)
        for k in range(nmax - 1, -1, -1):
            for l in range(L):
                lam[k, l] = y[k, l]
            for j in range(k + 1, nmax):
                for l in range(L):
                    lam[k, l] -= a[k, j, l] * lam[j, l]
            for l in range(L):
                lam[k, l] /= a[k, k, l]
        # outputs (padded weights are 0 and add nothing)
        for l in range(L):
            t = t0 + l
            mv[l] = means[t] if simple and t < end else 0.0
            g[l] = 0.0  # Σ λ (z − m)
            e2[l] = 0.0  # Σ λ c
            dneg[l] = 0.0  # Σ min(λ, 0)
        for i in range(nmax):
            for l in range(L):
                li = lam[i, l]
                g[l] += li * (zz[i, l] - mv[l])
                e2[l] += li * c[i, l]
                dneg[l] += min(li, 0.0)
        for l in range(L):
            t = t0 + l
            if t >= end:
                break
            n = cnt[l]
            o_n[t] = n
            if n == 0 or bad[l]:
                o_reason[t] = REASON_NO_SAMPLES if n == 0 else REASON_SINGULAR
                o_est[t] = np.nan
                o_var[t] = np.nan
                o_slope[t] = np.nan
                o_eff[t] = np.nan
                o_neg[t] = np.nan
                o_lag[t] = np.nan
                o_meand[t] = np.nan if n == 0 else dsum[l] / n
                continue
            lc = e2[l]
            var = cbb - lc - mu[l]
            var_est = lc - mu[l]
            o_reason[t] = REASON_OK
            o_est[t] = mv[l] + g[l]
            o_var[t] = var
            o_slope[t] = lc / var_est if var_est > _TINY * cmax else np.nan
            o_eff[t] = (cbb - var) / cbb if cbb > 0.0 else np.nan
            o_neg[t] = dneg[l]
            o_lag[t] = np.nan if simple else mu[l]
            o_meand[t] = dsum[l] / n


@njit(cache=True, nogil=True, error_model="numpy")
def _csum_lanes(tr, j, s, ti, kind, sill, expo, major, g):
    """g[l] += cc · ρ(|tr[j, s, :, l] − ti[:, l]|) for every lane l (ρ: :func:`_rho`)."""
    if kind == 0:  # spherical, branch-free so that the loop vectorises
        for l in range(_LANES):
            u = tr[j, s, 0, l] - ti[0, l]
            v = tr[j, s, 1, l] - ti[1, l]
            w = tr[j, s, 2, l] - ti[2, l]
            hh = min(np.sqrt(u * u + v * v + w * w), 1.0)
            g[l] += sill * (1.0 - hh * (1.5 - 0.5 * hh * hh))
    else:
        for l in range(_LANES):
            u = tr[j, s, 0, l] - ti[0, l]
            v = tr[j, s, 1, l] - ti[1, l]
            w = tr[j, s, 2, l] - ti[2, l]
            g[l] += sill * _rho(kind, np.sqrt(u * u + v * v + w * w), expo, major)


@njit(cache=True, nogil=True, error_model="numpy")
def _csum_point(tr, i, s, p, kind, sill, expo, major, weight, g):
    """g[l] += weight · cc · ρ(|tr[i, s, :, l] − p|) for every lane l (p: one point's
    rotated, scaled coordinates)."""
    f = weight * sill
    p0 = p[0]
    p1 = p[1]
    p2 = p[2]
    if kind == 0:
        for l in range(_LANES):
            u = tr[i, s, 0, l] - p0
            v = tr[i, s, 1, l] - p1
            w = tr[i, s, 2, l] - p2
            hh = min(np.sqrt(u * u + v * v + w * w), 1.0)
            g[l] += f * (1.0 - hh * (1.5 - 0.5 * hh * hh))
    else:
        for l in range(_LANES):
            u = tr[i, s, 0, l] - p0
            v = tr[i, s, 1, l] - p1
            w = tr[i, s, 2, l] - p2
            g[l] += f * _rho(kind, np.sqrt(u * u + v * v + w * w), expo, major)


@njit(cache=True, nogil=True, error_model="numpy")
def _idw_block(first, end, sx, sy, sz, val, nb_index, nb_count, tx, ty, tz, rot, power,
               o_est, o_n, o_reason, o_meand):
    for t in range(first, end):
        n = min(nb_count[t], nb_index.shape[1])
        if n <= 0:
            o_n[t] = 0
            o_reason[t] = REASON_NO_SAMPLES
            o_est[t] = np.nan
            o_meand[t] = np.nan
            continue
        dsum = 0.0
        num = 0.0
        den = 0.0
        same_sum = 0.0
        nsame = 0
        for i in range(n):
            j = nb_index[t, i]
            ex = sx[j] - tx[t]
            ey = sy[j] - ty[t]
            ez = sz[j] - tz[t]
            e2 = ex * ex + ey * ey + ez * ez
            dsum += np.sqrt(e2)
            if e2 < _SAME2:
                same_sum += val[j]
                nsame += 1
                continue
            u = rot[0, 0] * ex + rot[0, 1] * ey + rot[0, 2] * ez
            v = rot[1, 0] * ex + rot[1, 1] * ey + rot[1, 2] * ez
            w = rot[2, 0] * ex + rot[2, 1] * ey + rot[2, 2] * ez
            wt = (u * u + v * v + w * w) ** (-0.5 * power)
            num += wt * val[j]
            den += wt
        o_n[t] = n
        o_reason[t] = REASON_OK
        o_est[t] = same_sum / nsame if nsame > 0 else num / den
        o_meand[t] = dsum / n


@njit(cache=True, nogil=True, error_model="numpy")
def _nn_block(first, end, sx, sy, sz, val, nb_index, nb_count, tx, ty, tz, rot,
              o_est, o_sample, o_dist, o_n, o_reason):
    for t in range(first, end):
        n = min(nb_count[t], nb_index.shape[1])
        if n <= 0:
            o_n[t] = 0
            o_reason[t] = REASON_NO_SAMPLES
            o_est[t] = np.nan
            o_sample[t] = -1
            o_dist[t] = np.nan
            continue
        best = np.inf
        bj = -1
        for i in range(n):
            j = nb_index[t, i]
            ex = sx[j] - tx[t]
            ey = sy[j] - ty[t]
            ez = sz[j] - tz[t]
            u = rot[0, 0] * ex + rot[0, 1] * ey + rot[0, 2] * ez
            v = rot[1, 0] * ex + rot[1, 1] * ey + rot[1, 2] * ez
            w = rot[2, 0] * ex + rot[2, 1] * ey + rot[2, 2] * ez
            d2 = u * u + v * v + w * w
            if d2 < best:
                best = d2
                bj = j
        o_n[t] = n
        o_reason[t] = REASON_OK
        o_est[t] = val[bj]
        o_sample[t] = bj
        o_dist[t] = np.sqrt(best)
