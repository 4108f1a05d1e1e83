"""Weighted least-squares fitting of a nested variogram model to directional experimental
variograms, and an automatic first fit.

All directions are fitted at once: the model (one nugget, structures with three ranges each)
is evaluated along each experimental variogram's direction (azimuth, dip) at its lag distances,
and ``scipy.optimize.least_squares`` (trust region, bounds) minimises

    Σ_k Σ_j w_kj · (γ̂_kj − γ(h_kj · u_k))²

where u_k is the unit vector of direction k. Weights (``weights=``):

- ``"pairs/h"`` (default): N_j / h_j — many pairs and short distances count most
- ``"pairs/h2"``: N_j / h_j² (gstat's default, ``fit.method = 7``)
- ``"pairs"``: N_j (``fit.method = 1``)
- ``"equal"``: 1 (ordinary least squares, ``fit.method = 6``)
- ``"cressie"``: N_j / γ(h_j)², i.e. Σ N_j (γ̂_j / γ(h_j) − 1)² (Cressie 1985,
  ``fit.method = 2``)

or one array of weights per experimental variogram. Lags without pairs, with a non-finite value
or at zero distance are left out (and marked in the result's table).

Parameters are named ``nugget`` and, for structure *i* (from 1), ``s{i}.sill``,
``s{i}.range_major``, ``s{i}.range_semi``, ``s{i}.range_minor``, ``s{i}.ang1``, ``s{i}.ang2``,
``s{i}.ang3`` and ``s{i}.exponent`` (power); ``s{i}.ranges`` and ``s{i}.angles`` stand for
three at once. The nugget, sills, ranges and exponents are fitted and angles are held unless
freed (``free=``); ``fixed=`` holds any of them at a given value, ``bounds=`` limits them.

Ranges that the data cannot tell apart are tied (they keep the ratio they have in the start
model): with one direction, or ``isotropic=True``, the three ranges of each structure move
together; with several, a model axis that no direction looks along (no direction within 60°)
takes the range of the seen axis closest to it in dip (horizontal with horizontal; between
equally close ones, the shorter, then the semi-major rather than the major).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from orebook.drillholes.desurvey import direction
from orebook.errors import ParameterError

from .conversions import angles_from_axes
from .models import KINDS, Structure, VariogramModel, rotation_matrix

__all__ = ["WEIGHTS", "FitTarget", "FitResult", "fit_model", "auto_start"]

WEIGHTS = ("pairs/h", "pairs/h2", "pairs", "equal", "cressie")
_AXES = ("range_major", "range_semi", "range_minor")
_SEEN_COS = 0.5  # an axis is "seen" by a direction within 60° of it


@dataclass(frozen=True)
class _Direction:
    azimuth: float
    dip: float


@dataclass(frozen=True)
class FitTarget:
    """One experimental variogram to fit, as plain arrays.

    distance : (n,) mean lag distances (m). value : (n,) semivariogram values.
    pairs : (n,) number of pairs per lag. azimuth, dip : direction in degrees (azimuth clockwise
    from north, dip negative downwards). Any object with ``distance``, ``value``, ``pairs`` and
    ``direction.azimuth``/``direction.dip`` (or ``azimuth``/``dip``) is accepted as well.
    """

    distance: np.ndarray
    value: np.ndarray
    pairs: np.ndarray
    azimuth: float = 0.0
    dip: float = 0.0

    @property
    def direction(self) -> _Direction:
        return _Direction(self.azimuth, self.dip)


@dataclass(frozen=True)
class FitResult:
    """The fitted model and how it fits.

    model : the fitted :class:`VariogramModel`.
    residual : Σ w (γ̂ − γ)² over the lags used, with the weights as defined in the module
        docstring (for ``"cressie"``: Σ N (γ̂/γ − 1)²).
    table : one row per lag of every direction: ``direction`` (index in the input order),
        ``azimuth``, ``dip``, ``distance``, ``pairs``, ``experimental``, ``model``, ``weight``,
        ``used``.
    parameters : one row per parameter: ``name``, ``value``, ``start``, ``status`` ("fitted",
        "fixed", "tied to …"), ``low``, ``high``, ``at_bound``.
    candidates : for an automatic fit, the structures tried with their residual and BIC
        (``chosen`` marks the one returned); None otherwise.
    success, message : from ``scipy.optimize.least_squares``.
    """

    model: VariogramModel
    residual: float
    table: pd.DataFrame
    parameters: pd.DataFrame = field(repr=False, default=None)
    candidates: pd.DataFrame | None = field(repr=False, default=None)
    success: bool = True
    message: str = ""


# --------------------------------------------------------------------------- inputs


@dataclass
class _Target:
    h: np.ndarray       # all lags
    g: np.ndarray
    n: np.ndarray
    used: np.ndarray    # bool mask
    azimuth: float
    dip: float
    u: np.ndarray       # unit vector (3,)


def _as_targets(experimental: Any) -> list[_Target]:
    if hasattr(experimental, "distance") or isinstance(experimental, Mapping):
        experimental = [experimental]
    try:
        items = list(experimental)
    except TypeError:
        raise ParameterError(f"expected experimental variograms (objects with distance, value, "
                             f"pairs and direction), got {type(experimental).__name__}") from None
    if not items:
        raise ParameterError("no experimental variogram to fit")
    out = []
    for k, e in enumerate(items):
        what = f"experimental variogram {k}"
        try:
            h = np.asarray(e.distance, float).ravel()
            g = np.asarray(e.value, float).ravel()
            n = np.asarray(e.pairs, float).ravel()
        except AttributeError as exc:
            raise ParameterError(f"{what}: expected attributes distance, value and pairs "
                                 f"({exc})") from None
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{what}: distance, value and pairs must be numbers ({exc})"
                                 ) from None
        if not (len(h) == len(g) == len(n)):
            raise ParameterError(f"{what}: distance, value and pairs differ in length "
                                 f"({len(h)}, {len(g)}, {len(n)})")
        kind = getattr(e, "kind", "semivariogram")
        if (isinstance(kind, str) and kind != "semivariogram"
                and not getattr(e, "as_variogram", False)):
            raise ParameterError(f"{what} is a {kind}; models are fitted to semivariograms")
        d = getattr(e, "direction", e)
        try:
            az, dip = float(d.azimuth), float(d.dip)
        except AttributeError:
            raise ParameterError(f"{what}: expected direction.azimuth and direction.dip "
                                 f"(degrees)") from None
        if not (math.isfinite(az) and math.isfinite(dip)):
            raise ParameterError(f"{what}: azimuth and dip must be finite, got {az}, {dip}")
        used = np.isfinite(h) & np.isfinite(g) & np.isfinite(n) & (n > 0) & (h > 0)
        out.append(_Target(h, g, n, used, az, dip, direction(np.array([az]), np.array([dip]))[0]))
    if sum(int(t.used.sum()) for t in out) < 2:
        raise ParameterError("fewer than two usable lags (pairs > 0, distance > 0, finite "
                             "value) in all the experimental variograms")
    return out


def _raw_weights(targets: list[_Target], weights: Any) -> list[np.ndarray]:
    """Weights per lag (all lags; the model-dependent Cressie weights are N here)."""
    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise ParameterError(f"weights must be one of {', '.join(WEIGHTS)} or one array "
                                 f"per experimental variogram, got {weights!r}")
        out = []
        for t in targets:
            with np.errstate(divide="ignore", invalid="ignore"):
                w = {"pairs/h": t.n / t.h, "pairs/h2": t.n / t.h**2, "pairs": t.n,
                     "equal": np.ones_like(t.h), "cressie": t.n}[weights]
            out.append(np.where(t.used, w, 0.0))
        return out
    try:
        arrays = [np.asarray(w, float).ravel() for w in weights]
    except (TypeError, ValueError):
        raise ParameterError("weights must be a name or one array of numbers per "
                             "experimental variogram") from None
    if len(arrays) != len(targets) or any(len(w) != len(t.h) for w, t in zip(arrays, targets)):
        raise ParameterError("custom weights need one array per experimental variogram, as "
                             "long as its lags")
    if any(np.any(~np.isfinite(w[t.used]) | (w[t.used] < 0)) for w, t in zip(arrays, targets)):
        raise ParameterError("custom weights must be finite and ≥ 0")
    return [np.where(t.used, w, 0.0) for w, t in zip(arrays, targets)]


# --------------------------------------------------------------------------- parameters


@dataclass
class _Par:
    name: str
    start: float
    low: float
    high: float
    status: str = "fitted"   # fitted | fixed | tied to <name>
    value: float = float("nan")


def _names(model_or_kinds: Sequence[str]) -> list[str]:
    names = ["nugget"]
    for i, kind in enumerate(model_or_kinds, 1):
        names += [f"s{i}.sill"] + [f"s{i}.{a}" for a in _AXES] + [f"s{i}.ang{j}" for j in
                                                                  (1, 2, 3)]
        if kind == "power":
            names.append(f"s{i}.exponent")
    return names


def _expand(names: Iterable[str], kinds: Sequence[str]) -> dict[str, str]:
    """Map each given name (``s1.ranges`` → three) to its parameter names; check them."""
    valid = _names(kinds)
    out: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise ParameterError(f"parameter names must be strings, got {name!r}")
        if name.endswith(".ranges"):
            parts = [name[:-len("ranges")] + a for a in _AXES]
        elif name.endswith(".angles"):
            parts = [name[:-len("angles")] + f"ang{j}" for j in (1, 2, 3)]
        else:
            parts = [name]
        for p in parts:
            if p not in valid:
                raise ParameterError(f"unknown parameter {name!r} for a model with "
                                     f"{len(kinds)} structure(s) ({', '.join(kinds) or 'none'}); "
                                     f"parameters: {', '.join(valid)} (and s<i>.ranges, "
                                     f"s<i>.angles)")
            out[p] = name
    return out


def _values(model: VariogramModel) -> dict[str, float]:
    v = {"nugget": float(model.nugget)}
    for i, s in enumerate(model.structures, 1):
        v[f"s{i}.sill"] = float(s.sill)
        for a, r in zip(_AXES, s.ranges):
            v[f"s{i}.{a}"] = float(r)
        for j, a in enumerate(s.angles, 1):
            v[f"s{i}.ang{j}"] = float(a)
        if s.kind == "power":
            v[f"s{i}.exponent"] = float(s.exponent)
    return v


def _check_number(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ParameterError(f"{name}: expected a finite number, got {value!r}")
    return x


class _Problem:
    """The parameter vector of one model shape and its residuals."""

    def __init__(self, start: VariogramModel, targets: list[_Target], raw_w: list[np.ndarray],
                 weights: Any, fixed: Mapping[str, float] | Iterable[str] | None,
                 free: Iterable[str], bounds: Mapping[str, tuple[float, float]] | None,
                 isotropic: bool | None) -> None:
        self.kinds = [s.kind for s in start.structures]
        self.targets = targets
        self.cressie = isinstance(weights, str) and weights == "cressie"
        used = [t.used for t in targets]
        h_all = np.concatenate([t.h[m] for t, m in zip(targets, used)])
        g_all = np.concatenate([t.g[m] for t, m in zip(targets, used)])
        self.obs = g_all
        self.sep = np.concatenate([t.h[m, None] * t.u[None, :] for t, m in zip(targets, used)])
        self.w = np.concatenate([w[m] for w, m in zip(raw_w, used)])
        mean_w = self.w[self.w > 0].mean() if np.any(self.w > 0) else 1.0
        self.sqrt_w = np.sqrt(self.w / mean_w)
        self.gscale = float(np.max(np.abs(g_all))) or 1.0
        self.dscale = float(h_all.max())
        self.dmin = float(h_all.min())

        values = _values(start)
        fixed = {} if fixed is None else fixed
        fixed_map = _expand(fixed if not isinstance(fixed, Mapping) else fixed.keys(),
                            self.kinds)
        for p, given in fixed_map.items():
            if isinstance(fixed, Mapping):
                values[p] = _check_number(given, fixed[given])
        free_map = _expand(free, self.kinds)
        bounds = {} if bounds is None else dict(bounds)
        bound_map = _expand(bounds.keys(), self.kinds)

        self.pars: dict[str, _Par] = {}
        for name in _names(self.kinds):
            lo, hi = self._default_bounds(name, values)
            if name in bound_map:
                b = bounds[bound_map[name]]
                try:
                    lo_b, hi_b = (float(x) for x in b)
                except (TypeError, ValueError):
                    raise ParameterError(f"bounds[{bound_map[name]!r}] must be (low, high), "
                                         f"got {b!r}") from None
                if not lo_b < hi_b:
                    raise ParameterError(f"bounds[{bound_map[name]!r}]: low must be < high, "
                                         f"got {b!r}")
                lo, hi = max(lo, lo_b), min(hi, hi_b)
                if not lo < hi:
                    raise ParameterError(f"bounds[{bound_map[name]!r}] = {b!r} leave no "
                                         f"allowed value for {name}")
            par = _Par(name, values[name], lo, hi)
            is_angle = ".ang" in name
            if name in fixed_map or (is_angle and name not in free_map):
                par.status = "fixed"
            self.pars[name] = par
        self._tie_ranges(start, isotropic)
        self.free = [n for n, p in self.pars.items() if p.status == "fitted"]
        if not self.free:
            raise ParameterError("every parameter is fixed: nothing to fit")

    def _default_bounds(self, name: str, values: Mapping[str, float]) -> tuple[float, float]:
        if name == "nugget" or name.endswith(".sill"):
            return 0.0, math.inf
        if name.endswith(_AXES):
            return 1e-3 * self.dmin, 100.0 * self.dscale
        if name.endswith(".ang2"):
            return -90.0, 90.0
        if ".ang" in name:
            return values[name] - 180.0, values[name] + 180.0
        return 1e-6, 2.0 - 1e-6  # exponent

    def _tie_ranges(self, start: VariogramModel, isotropic: bool | None) -> None:
        """Tie the ranges the directions cannot separate (see the module docstring)."""
        us = [t.u for t in self.targets if t.used.any()]
        distinct: list[np.ndarray] = []
        for u in us:
            if all(abs(u @ v) < 0.999 for v in distinct):
                distinct.append(u)
        self.ties: dict[str, tuple[str, float]] = {}  # axis name -> (anchor name, ratio)
        for i, s in enumerate(start.structures, 1):
            names = [f"s{i}.{a}" for a in _AXES]
            if isotropic or len(distinct) == 1:
                anchors = [0]
                link = {1: 0, 2: 0}
            else:
                rot = s.rotation
                seen = [max(abs(rot[a] @ u) for u in distinct) >= _SEEN_COS for a in range(3)]
                anchors = [a for a in range(3) if seen[a]] or [0]
                link = {}
                for a in range(3):
                    if a in anchors:
                        continue
                    dz = [abs(abs(rot[a][2]) - abs(rot[b][2])) for b in anchors]
                    best = min(range(len(anchors)),  # closest in dip, then the shorter,
                               key=lambda j: (round(dz[j], 6), s.ranges[anchors[j]],
                                              -anchors[j]))  # then the later axis
                    link[a] = anchors[best]
            if s.kind == "power":  # only ratios matter: the major axis group is held
                root = link.get(0, 0)
                if self.pars[names[root]].status == "fitted":
                    self.pars[names[root]].status = "fixed"
            for a, b in link.items():
                pa, pb = self.pars[names[a]], self.pars[names[b]]
                if pa.status == "fixed":
                    continue  # fixed by the user: detached from the group
                ratio = s.ranges[a] / s.ranges[b]
                self.ties[pa.name] = (pb.name, ratio)
                pa.status = "fixed" if pb.status == "fixed" else f"tied to {pb.name}"
                if pb.status == "fixed":
                    pa.start = self.pars[pb.name].start * ratio
                # the anchor's bounds shrink so that the tied range keeps inside its own
                pb.low = max(pb.low, pa.low / ratio)
                pb.high = min(pb.high, pa.high / ratio)
                if not pb.low < pb.high:
                    raise ParameterError(f"the bounds of {pa.name} and {pb.name} (tied) leave "
                                         f"no allowed value")

    # -- vector <-> model

    def _to_x(self, name: str, value: float) -> float:
        if name.endswith(_AXES):
            return math.log(value / self.dscale)
        if name == "nugget" or name.endswith(".sill"):
            return value / self.gscale
        if ".ang" in name:
            return value / 90.0
        return value

    def _from_x(self, name: str, x: float) -> float:
        if name.endswith(_AXES):
            return self.dscale * math.exp(x)
        if name == "nugget" or name.endswith(".sill"):
            return x * self.gscale
        if ".ang" in name:
            return x * 90.0
        return x

    def x0_and_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi, x0 = [], [], []
        for n in self.free:
            p = self.pars[n]
            lo.append(self._to_x(n, p.low) if not (n.endswith(_AXES) and p.low <= 0)
                      else -math.inf)
            hi.append(self._to_x(n, p.high) if math.isfinite(p.high) else math.inf)
            x0.append(self._to_x(n, p.start))
        lo, hi, x0 = np.array(lo), np.array(hi), np.array(x0)
        span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        inner_lo, inner_hi = lo + 1e-9 * span, hi - 1e-9 * span
        x0 = np.minimum(np.maximum(x0, np.where(np.isfinite(lo), inner_lo, x0)),
                        np.where(np.isfinite(hi), inner_hi, x0))
        return x0, lo, hi

    def values(self, x: np.ndarray) -> dict[str, float]:
        v = {n: p.start for n, p in self.pars.items()}
        for n, xi in zip(self.free, x):
            v[n] = self._from_x(n, float(xi))
        for n, (anchor, ratio) in self.ties.items():
            v[n] = v[anchor] * ratio
        return v

    def model(self, v: Mapping[str, float]) -> VariogramModel:
        structures = []
        for i, kind in enumerate(self.kinds, 1):
            structures.append(Structure(
                kind, max(0.0, v[f"s{i}.sill"]), tuple(v[f"s{i}.{a}"] for a in _AXES),
                tuple(v[f"s{i}.ang{j}"] for j in (1, 2, 3)),
                v.get(f"s{i}.exponent", 1.0)))
        return VariogramModel(max(0.0, v["nugget"]), tuple(structures))

    def predict(self, model: VariogramModel) -> np.ndarray:
        return model.gamma(self.sep)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        gm = self.predict(self.model(self.values(x)))
        if self.cressie:
            return self.sqrt_w * (self.obs / np.maximum(gm, 1e-12 * self.gscale) - 1.0)
        return self.sqrt_w * (gm - self.obs) / self.gscale

    def solve(self, max_nfev: int | None) -> tuple[dict[str, float], Any]:
        x0, lo, hi = self.x0_and_bounds()
        res = least_squares(self.residuals, x0, bounds=(lo, hi), method="trf",
                            x_scale=1.0, ftol=1e-12, xtol=1e-12, gtol=1e-12,
                            max_nfev=max_nfev or 400 * (len(x0) + 1))
        return self.values(res.x), res


# --------------------------------------------------------------------------- automatic start


def _inverse_shape(kind: str, f: float) -> float:
    """Reduced distance at which ``kind`` reaches the fraction ``f`` of its sill."""
    s = Structure(kind, 1.0, (1.0, 1.0, 1.0))
    lo, hi = 0.0, 1.0
    while float(s.shape(np.array(hi))) < f:
        hi *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(s.shape(np.array(mid))) < f:
            lo = mid
        else:
            hi = mid
    return hi


def _first_guess(targets: list[_Target]) -> tuple[float, float, list[float]]:
    """(nugget, total sill, distance at which each direction reaches 95 % of the sill)."""
    h = np.concatenate([t.h[t.used] for t in targets])
    g = np.concatenate([t.g[t.used] for t in targets])
    n = np.concatenate([t.n[t.used] for t in targets])
    outer = h >= 0.5 * h.max()
    sill = float(np.average(g[outer], weights=n[outer])) if outer.any() else float(g.max())
    if not sill > 0:
        sill = float(np.max(g))
    if not sill > 0:
        raise ParameterError("the experimental variograms are zero everywhere: no model to fit")
    intercepts, iw = [], []
    for t in targets:
        m = np.flatnonzero(t.used)
        m = m[np.argsort(t.h[m])][:3]
        if len(m) >= 2 and np.ptp(t.h[m]) > 0:
            slope, icpt = np.polyfit(t.h[m], t.g[m], 1, w=np.sqrt(t.n[m]))
            intercepts.append(icpt)
            iw.append(t.n[m].sum())
    nugget = float(np.average(intercepts, weights=iw)) if intercepts else 0.0
    nugget = min(max(nugget, 0.0), 0.9 * sill)
    reach = []
    for t in targets:
        m = np.flatnonzero(t.used)
        if len(m) == 0:
            reach.append(float("nan"))
            continue
        m = m[np.argsort(t.h[m])]
        hh, gg, nn = t.h[m], t.g[m], t.n[m]
        if len(m) >= 3:  # pairs-weighted running mean of three lags
            num = np.convolve(gg * nn, np.ones(3), "same")
            den = np.convolve(nn, np.ones(3), "same")
            gg = num / den
        above = np.flatnonzero(gg >= 0.95 * sill)
        if len(above) == 0:
            reach.append(float(hh[-1]))
        elif above[0] == 0:
            reach.append(float(hh[0]))
        else:
            j = above[0]
            f = (0.95 * sill - gg[j - 1]) / (gg[j] - gg[j - 1])
            reach.append(float(hh[j - 1] + f * (hh[j] - hh[j - 1])))
    return nugget, sill, reach


def _frame(targets: list[_Target], reach: list[float]) -> tuple[tuple[float, float, float],
                                                                  list[float | None]]:
    """Angles of a frame whose axes follow the directions with the longest reach, and the reach
    along each axis (None where no direction looks along it)."""
    order = sorted((i for i in range(len(targets)) if math.isfinite(reach[i])),
                   key=lambda i: -reach[i])
    distinct: list[int] = []
    for i in order:
        if all(abs(targets[i].u @ targets[j].u) < 0.999 for j in distinct):
            distinct.append(i)
    if len(distinct) <= 1:
        r = reach[distinct[0]] if distinct else None
        return (0.0, 0.0, 0.0), [r, r, r]
    u0 = targets[distinct[0]].u
    v = targets[distinct[1]].u - (targets[distinct[1]].u @ u0) * u0
    v /= np.linalg.norm(v)
    axes = np.array([u0, v, np.cross(u0, v)])
    angles = angles_from_axes(axes)
    rot = rotation_matrix(*angles)
    along: list[float | None] = [None, None, None]
    for a in range(3):
        best = max(distinct, key=lambda i: abs(rot[a] @ targets[i].u))
        if abs(rot[a] @ targets[best].u) >= _SEEN_COS:
            along[a] = reach[best]
    return angles, along


def auto_start(experimental: Any, kinds: Sequence[str] = ("spherical",),
               ) -> VariogramModel:
    """A first model read off the experimental variograms, before any least squares.

    The nugget is the intercept of a line through the first three lags (pairs-weighted, mean
    over the directions, within [0, 0.9 sill]); the total sill the pairs-weighted mean of the
    values beyond half the largest distance; along each direction, the distance where a
    three-lag running mean first reaches 95 % of that sill gives the range (the distance at
    which the structure's shape reaches the same share of the sill above the nugget). With
    several directions the major axis follows the direction that reaches furthest and the
    semi-major the next one; an axis no direction looks along takes the range of the closest
    axis in dip. Two structures (``kinds`` of length 2) share the sill equally, the first with
    0.3 times the ranges of the second.
    """
    targets = _as_targets(experimental)
    return _start_from(targets, tuple(kinds))


def _start_from(targets: list[_Target], kinds: tuple[str, ...]) -> VariogramModel:
    for k in kinds:
        if k not in KINDS or k == "power":
            raise ParameterError(f"automatic start models take spherical, exponential or "
                                 f"gaussian structures, got {k!r} (give a start model for "
                                 f"power structures)")
    if len(kinds) not in (1, 2):
        raise ParameterError(f"automatic start models have 1 or 2 structures, got {len(kinds)}")
    nugget, sill, reach = _first_guess(targets)
    angles, along = _frame(targets, reach)
    seen = [r for r in along if r is not None]
    frac = min(max((0.95 * sill - nugget) / max(sill - nugget, 1e-300), 0.5), 0.99)
    dz = np.abs(rotation_matrix(*angles)[:, 2])
    base = []
    for a in range(3):
        if along[a] is not None:
            base.append(along[a])
        else:  # the seen axis closest in dip, the shorter on ties
            cands = [(abs(dz[a] - dz[b]), along[b]) for b in range(3) if along[b] is not None]
            base.append(min(cands)[1] if cands else max(seen))
    floor = 1e-6 * max(seen)
    structures = []
    cc = (sill - nugget) / len(kinds)
    for j, kind in enumerate(kinds):
        scale = 0.3 if (len(kinds) == 2 and j == 0) else 1.0
        red = _inverse_shape(kind, frac)
        ranges = tuple(max(scale * b / red, floor) for b in base)
        structures.append(Structure(kind, cc, ranges, angles))
    return VariogramModel(nugget, tuple(structures))


# --------------------------------------------------------------------------- fitting


def fit_model(experimental: Any, start: VariogramModel | None = None, *,
              weights: str | Sequence[np.ndarray] = "pairs/h",
              fixed: Mapping[str, float] | Iterable[str] | None = None,
              free: Iterable[str] = (),
              bounds: Mapping[str, tuple[float, float]] | None = None,
              isotropic: bool | None = None,
              kinds: Sequence[str] = ("spherical", "exponential", "gaussian"),
              structures: Sequence[int] = (1, 2),
              max_nfev: int | None = None) -> FitResult:
    """Fit a nested variogram model to one or several directional experimental variograms.

    Parameters
    ----------
    experimental : one experimental variogram or a sequence of them: :class:`FitTarget` or any
        object with ``distance``, ``value``, ``pairs`` (arrays, m / γ / count) and
        ``direction.azimuth``, ``direction.dip`` (degrees).
    start : the model to start from; its kinds and number of structures are kept. None: an
        automatic fit, which tries 1 structure of each of ``kinds`` and 2 structures of the same
        kind (spherical and exponential among ``kinds``) from :func:`auto_start`, and returns
        the one with the least BIC, n · ln(RSS / n) + p · ln(n) (n lags, p fitted parameters,
        RSS the weighted residual sum of squares, weights scaled to a mean of 1).
    weights : ``"pairs/h"`` (default), ``"pairs/h2"``, ``"pairs"``, ``"equal"``, ``"cressie"``
        or one array per experimental variogram (see the module docstring).
    fixed : parameters held: a mapping name → value, or names (held at the start model's
        values; a start model is then required). Names as in the module docstring.
    free : angles to fit (``"s1.ang1"``, ``"s1.angles"``, …); angles are held otherwise.
    bounds : name → (low, high). Defaults: nugget and sills ≥ 0; ranges in
        [0.001 × the shortest lag, 100 × the longest lag]; ang2 in [−90, 90], ang1 and ang3
        within 180° of their start; exponents in (0, 2).
    isotropic : True ties the three ranges of each structure (keeping the start's ratios);
        None (default) does so with a single direction only.
    kinds, structures : what the automatic fit tries (ignored with a start model).
    max_nfev : most residual evaluations per least-squares run (default 400 × (p + 1)).

    Returns
    -------
    FitResult

    Raises
    ------
    ParameterError : unusable inputs (no lags, unknown parameter names, contradictory bounds,
        weights of the wrong shape, everything fixed).

    Examples
    --------
    >>> truth = VariogramModel(0.1, (Structure("spherical", 0.9, (100.0, 100.0, 100.0)),))
    >>> h = np.arange(10.0, 200.0, 10.0)
    >>> exp = FitTarget(h, truth.gamma_along(h), np.full(h.size, 100.0))
    >>> fit = fit_model(exp, VariogramModel(0.2, (Structure("spherical", 0.5, (50,) * 3),)))
    >>> round(fit.model.nugget, 6), round(fit.model.structures[0].ranges[0], 4)
    (0.1, 100.0)
    """
    targets = _as_targets(experimental)
    raw_w = _raw_weights(targets, weights)
    free = [free] if isinstance(free, str) else list(free)
    fixed = [fixed] if isinstance(fixed, str) else fixed
    if start is not None:
        if not isinstance(start, VariogramModel):
            raise ParameterError(f"start must be a VariogramModel, got {type(start).__name__}")
        return _fit_one(start, targets, raw_w, weights, fixed, free, bounds, isotropic,
                        max_nfev)[0]
    if fixed is not None and not isinstance(fixed, Mapping):
        raise ParameterError("without a start model, fixed parameters need values: pass a "
                             "mapping such as {'nugget': 0.0}")
    kinds = tuple(kinds)
    try:
        counts = sorted({int(c) for c in structures})
    except (TypeError, ValueError):
        raise ParameterError(f"structures must be counts (1 and/or 2), got {structures!r}"
                             ) from None
    if not kinds or any(c not in (1, 2) for c in counts) or not counts:
        raise ParameterError(f"the automatic fit tries 1 or 2 structures of spherical, "
                             f"exponential or gaussian kinds; got kinds={kinds!r}, "
                             f"structures={structures!r}")
    shapes: list[tuple[str, ...]] = []
    if 1 in counts:
        shapes += [(k,) for k in kinds]
    if 2 in counts:
        shapes += [(k, k) for k in kinds if k in ("spherical", "exponential")]
    if not shapes:
        raise ParameterError(f"nothing to try: kinds={kinds!r}, structures={structures!r}")
    referenced = {n.split(".")[0] for n in (fixed or {})} | {n.split(".")[0] for n in free} | {
        n.split(".")[0] for n in (bounds or {})}
    rows, best = [], None
    for shape in shapes:
        if any(r.startswith("s") and r[1:].isdigit() and int(r[1:]) > len(shape)
               for r in referenced):
            continue
        start_model = _start_from(targets, shape)
        result, n_obs, n_par, rss = _fit_one(start_model, targets, raw_w, weights, fixed, free,
                                             bounds, isotropic, max_nfev)
        bic = n_obs * math.log(max(rss, 1e-300) / n_obs) + n_par * math.log(n_obs)
        rows.append({"structures": "+".join(shape), "residual": result.residual, "bic": bic,
                     "parameters": n_par, "chosen": False})
        if best is None or bic < best[0] - 1e-9:
            best = (bic, len(rows) - 1, result)
    if best is None:
        raise ParameterError("no candidate model has the structures named in fixed/free/bounds")
    rows[best[1]]["chosen"] = True
    result = best[2]
    return FitResult(result.model, result.residual, result.table, result.parameters,
                     pd.DataFrame(rows), result.success, result.message)


def _fit_one(start: VariogramModel, targets: list[_Target], raw_w: list[np.ndarray],
             weights: Any, fixed: Any, free: list[str], bounds: Any, isotropic: bool | None,
             max_nfev: int | None) -> tuple[FitResult, int, int, float]:
    prob = _Problem(start, targets, raw_w, weights, fixed, free, bounds, isotropic)
    values, res = prob.solve(max_nfev)
    at_bound = set()
    for name in prob.free:  # snap values that sit on a bound (least squares stops just inside)
        p, v = prob.pars[name], values[name]
        tol = 1e-9 * (prob.gscale if name == "nugget" or name.endswith(".sill") else
                      max(abs(v), 1.0))
        for b in (p.low, p.high):
            if math.isfinite(b) and abs(v - b) <= tol:
                values[name] = b
                at_bound.add(name)
    for n, (anchor, ratio) in prob.ties.items():
        values[n] = values[anchor] * ratio
    model = prob.model(values)
    gm_used = prob.predict(model)
    if prob.cressie:
        residual = float(np.sum(prob.w * (prob.obs / np.maximum(gm_used, 1e-300) - 1.0) ** 2))
    else:
        residual = float(np.sum(prob.w * (prob.obs - gm_used) ** 2))
    rows = []
    for k, (t, w) in enumerate(zip(targets, raw_w)):
        gm = model.gamma(t.h[:, None] * t.u[None, :]) if len(t.h) else np.zeros(0)
        if prob.cressie:
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(t.used, t.n / gm**2, 0.0)
        rows.append(pd.DataFrame({"direction": k, "azimuth": t.azimuth, "dip": t.dip,
                                  "distance": t.h, "pairs": t.n, "experimental": t.g,
                                  "model": gm, "weight": w, "used": t.used}))
    table = pd.concat(rows, ignore_index=True)
    prows = []
    for name, p in prob.pars.items():
        prows.append({"name": name, "value": values[name], "start": p.start,
                      "status": p.status, "low": p.low, "high": p.high,
                      "at_bound": name in at_bound})
    result = FitResult(model, residual, table, pd.DataFrame(prows), None, bool(res.success),
                       str(res.message))
    rss = float(np.sum(res.fun ** 2))
    return result, len(prob.obs), len(prob.free), rss
