"""Experimental variograms as GSLIB ``gamv`` computes them; downhole variograms; variogram maps.

The rules (GSLIB 2.905 ``gamv``, reimplemented):

**Pairs.** Every pair (i, j) with i ≤ j in input order, a point with itself included, is
considered once; pairs farther apart than (n + ½)·width are dropped at once.

**Lag classes** (``Lags(mode="gamv")``): n + 2 classes, numbered 1 … n + 2 as gamv writes them.
Class 1 holds the pairs at zero distance (a point with itself, duplicates). Class k + 2
(k = 0 … n) is centred on k·width and holds the pairs with
k·width − tolerance ≤ h ≤ k·width + tolerance, bounds included: with a tolerance above half
the width the classes overlap and a pair counts in every class that holds it.

**Directions** (:class:`Direction`, gamv's azm, atol, bandh, dip, dtol, bandv). With
dxy the horizontal length of the separation vector and u the unit vector of the azimuth:

- azimuth: |cos| of the angle between the horizontal separation and u must be at least
  cos(azimuth_tol) (a pair and its reverse are both "along" the direction); a vertical pair
  (dxy = 0) passes;
- horizontal bandwidth: the horizontal offset of the separation from the line of u is at most
  bandwidth_h;
- dip: in the vertical plane of the separation, the angle to the dip direction is at most
  dip_tol (|cos| ≥ cos(dip_tol)); zero-distance pairs pass;
- vertical bandwidth: the offset perpendicular to the dip direction in that plane is at most
  bandwidth_v.

A tolerance ≤ 0 means 45° and one ≥ 90° accepts every pair, as in gamv. Boundaries are
included up to a rounding slack (1e-9 lag widths on distances, 1e-12 on cosines), so that a
pair exactly at a tolerance counts whatever the last bit of its arithmetic.

**Tail and head.** When the separation from i to j points along the direction (positive
cosines of both the azimuth and the dip tests) the tail is i and the head j, else the reverse:
the tail value is the tail variable at the tail point, the head value the head variable at the
head point. When the azimuth tolerance is ≥ 90°, gamv also counts the reversed pair (tail
variable at the head point, head variable at the tail point) as a second pair: the number of
pairs of an omnidirectional variogram is twice the number of point pairs, and class 1 holds
each point twice.

**Values** (N pairs in the class, t and h the tail and head values, m their means):

- ``semivariogram``: Σ (t − h)² / 2N; divided by the variance of the variable when
  ``standardize`` (single variable only, as gamv's isill);
- ``cross`` (two variables at both points, GSLIB type 2): Σ (t' − t)(h − h') / 2N where t' is
  the tail variable at the head point and h' the head variable at the tail point; each pair
  counts once, and the tail (head) mean is the mean of (t + t')/2 ((h + h')/2);
- ``covariance``: Σ t·h / N − m_t·m_h; with ``as_variogram`` (gamv type −3)
  √var_t·√var_h minus that;
- ``correlogram``: (Σ t·h / N − m_t·m_h) / (σ_t·σ_h), σ the standard deviations of the tail
  and head values of the class (0 when σ_t·σ_h < 1e-20); with ``as_variogram`` (type −4)
  1 minus that;
- ``pairwise_relative``: Σ (2 (t − h) / (t + h))² / 2N over the pairs with |t + h| > 1e-20.

The variances var_t, var_h are those of all the non-missing values of each variable
(population variance, as gamv). Missing values (NaN) are skipped pair by pair. A class with
no pair has NaN distance, value and means (gamv writes zeros).

One departure: for the reversed pair of a pairwise relative variogram between two different
variables, gamv reuses the forward pair's values (a slip in its code); here the reversed pair's
own values are used. With one variable both are the same.

``Lags(mode="gstat")`` bins as R's gstat does instead: n classes numbered 1 … n, class k holds
(k − 1)·width < h ≤ k·width, each pair once (no reversed pairs, no zero-distance class).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from orebook.errors import InputError, ParameterError

from . import _kernels as K
from .models import rotation_matrix

__all__ = [
    "LAG_MODES",
    "OMNI",
    "read_variograms",
    "variograms_from_frame",
    "variograms_to_frame",
    "VARIOGRAM_TYPES",
    "Direction",
    "ExperimentalVariogram",
    "Lags",
    "downhole_variogram",
    "experimental_variogram",
    "gstat_default_lags",
    "variogram_map",
]

VARIOGRAM_TYPES = ("semivariogram", "cross", "covariance", "correlogram", "pairwise_relative")
LAG_MODES = ("gamv", "gstat")

_EPS_D = 1e-9  # distance slack, in lag widths
_EPS_C = 1e-12  # cosine slack


def _cosd(deg: float) -> float:
    """cos of an angle in degrees, exact at multiples of 90°."""
    r = deg % 360.0
    exact = {0.0: 1.0, 90.0: 0.0, 180.0: -1.0, 270.0: 0.0}
    return exact[r] if r in exact else math.cos(math.radians(deg))


def _sind(deg: float) -> float:
    return _cosd(90.0 - deg)


def _finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    return v


@dataclass(frozen=True)
class Direction:
    """A direction and its tolerances, as a line of a gamv parameter file.

    Parameters
    ----------
    azimuth : degrees clockwise from north.
    azimuth_tol : half-angle tolerance on the azimuth, degrees (≤ 0 means 45; ≥ 90 accepts
        every pair and counts each pair in both orders, as gamv).
    bandwidth_h : largest horizontal offset from the direction's line, metres (≥ 0; inf: none).
    dip : degrees, negative downwards.
    dip_tol : half-angle tolerance on the dip, degrees (≤ 0 means 45; ≥ 90 accepts all).
    bandwidth_v : largest offset perpendicular to the dip in the vertical plane, metres.

    ``Direction(*row)`` takes a row ``azm atol bandh dip dtol bandv`` of gamv.par as it is.

    >>> Direction().omnidirectional
    True
    >>> Direction(90.0, 22.5, 25.0).label
    'azimuth 90°, dip 0°'
    """

    azimuth: float = 0.0
    azimuth_tol: float = 90.0
    bandwidth_h: float = math.inf
    dip: float = 0.0
    dip_tol: float = 90.0
    bandwidth_v: float = math.inf

    def __post_init__(self) -> None:
        for name in ("azimuth", "azimuth_tol", "dip", "dip_tol"):
            object.__setattr__(self, name, _finite(name, getattr(self, name)))
        for name in ("bandwidth_h", "bandwidth_v"):
            v = getattr(self, name)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise ParameterError(f"{name} must be a number of metres, got {v!r}") from None
            if math.isnan(v) or v < 0:
                raise ParameterError(f"{name} must be ≥ 0 m (inf for no limit), got {v!r}")
            object.__setattr__(self, name, v)

    @property
    def omnidirectional(self) -> bool:
        """Both tolerances ≥ 90°: every pair is accepted (bandwidths aside)."""
        return self.azimuth_tol >= 90.0 and self.dip_tol >= 90.0

    @property
    def both_orders(self) -> bool:
        """gamv's ``omni``: an azimuth tolerance ≥ 90° counts every pair in both orders."""
        return self.azimuth_tol >= 90.0

    @property
    def label(self) -> str:
        if self.omnidirectional:
            return "omnidirectional"
        return f"azimuth {self.azimuth:g}°, dip {self.dip:g}°"

    def unit_vector(self) -> np.ndarray:
        """(3,) x east, y north, z up, pointing along the azimuth and dip."""
        cd = _cosd(self.dip)
        return np.array([cd * _sind(self.azimuth), cd * _cosd(self.azimuth), _sind(self.dip)])

    def _row(self) -> list[float]:
        def cos_tol(t: float) -> float:
            if t >= 90.0:
                return -1.0
            return math.cos(math.radians(45.0 if t <= 0.0 else t))

        return [_cosd(90.0 - self.azimuth), _sind(90.0 - self.azimuth),
                _sind(90.0 - self.dip), _cosd(90.0 - self.dip),
                cos_tol(self.azimuth_tol), cos_tol(self.dip_tol),
                self.bandwidth_h, self.bandwidth_v, 1.0 if self.both_orders else 0.0]


OMNI = Direction()
"""The omnidirectional direction (both tolerances 90°, no bandwidth)."""


@dataclass(frozen=True)
class Lags:
    """Lag classes: ``n`` lags of ``width`` metres with ``tolerance`` (default width / 2; a
    tolerance ≤ 0 also means width / 2, as gamv). ``mode``: "gamv" (classes centred on
    k·width, see the module docstring) or "gstat" (bins ((k − 1)·width, k·width]).

    >>> Lags(10, 5.0, 3.0).n_classes
    12
    >>> Lags(4, 2.0).tolerance
    1.0
    """

    n: int
    width: float
    tolerance: float | None = None
    mode: str = "gamv"

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ParameterError(f"the number of lags must be an integer ≥ 1, got {self.n!r}")
        object.__setattr__(self, "n", int(self.n))
        w = _finite("lag width", self.width)
        if w <= 0:
            raise ParameterError(f"lag width must be > 0 m, got {self.width!r}")
        object.__setattr__(self, "width", w)
        tol = self.tolerance
        tol = w / 2 if tol is None else _finite("lag tolerance", tol)
        object.__setattr__(self, "tolerance", w / 2 if tol <= 0 else tol)
        if self.mode not in LAG_MODES:
            raise ParameterError(f"lag mode must be one of {', '.join(LAG_MODES)}, "
                                 f"got {self.mode!r}")

    @property
    def n_classes(self) -> int:
        return self.n + 2 if self.mode == "gamv" else self.n

    @property
    def max_distance(self) -> float:
        """Largest separation that can fall in a class (m)."""
        if self.mode == "gstat":
            return self.n * self.width
        return min((self.n + 0.5) * self.width, self.n * self.width + self.tolerance)

    @property
    def centres(self) -> np.ndarray:
        """Nominal distance of each class (m): 0, 0, w, 2w … (gamv); w/2, 3w/2 … (gstat)."""
        if self.mode == "gstat":
            return (np.arange(self.n) + 0.5) * self.width
        return np.r_[0.0, np.arange(self.n + 1) * self.width]


def gstat_default_lags(coords: np.ndarray, n: int = 15) -> Lags:
    """gstat's defaults: cutoff one third of the diagonal of the bounding box, ``n`` bins."""
    c = _as_coords(coords)
    cutoff = float(np.linalg.norm(c.max(axis=0) - c.min(axis=0))) / 3.0
    return Lags(n, cutoff / n, mode="gstat")


@dataclass(frozen=True, eq=False)
class ExperimentalVariogram:
    """One experimental variogram (one direction, one kind), class by class.

    lag : GSLIB lag class numbers (1 … n + 2 for gamv classes; 1 is zero distance).
    pairs : number of pairs (int). distance : mean separation (m). value : the variogram value.
    tail_mean, head_mean : means of the tail and head values. tail_variance, head_variance :
    their variances in the class (written by gamv for correlograms; NaN for cross variograms).
    Empty classes have NaN everywhere but ``lag`` and ``pairs``.
    sill : the reference level: the variance of the variable (semivariogram; 1 when
    ``standardized``), the collocated covariance of the two variables (cross), √var_t·√var_h
    (covariance), 1 (correlogram), NaN (pairwise relative).
    """

    direction: Direction
    kind: str
    lags: Lags
    lag: np.ndarray
    pairs: np.ndarray
    distance: np.ndarray
    value: np.ndarray
    tail_mean: np.ndarray
    head_mean: np.ndarray
    tail_variance: np.ndarray
    head_variance: np.ndarray
    sill: float = math.nan
    standardized: bool = False
    as_variogram: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.direction.label

    def to_frame(self) -> pd.DataFrame:
        """``lag, distance, value, pairs, tail_mean, head_mean`` (and the tail and head
        variances for a correlogram), one row per lag class."""
        cols = {"lag": self.lag, "distance": self.distance, "value": self.value,
                "pairs": self.pairs, "tail_mean": self.tail_mean, "head_mean": self.head_mean}
        if self.kind == "correlogram":
            cols |= {"tail_variance": self.tail_variance, "head_variance": self.head_variance}
        return pd.DataFrame(cols)


# ------------------------------------------------------------------------------------------
# checking helpers


def _as_coords(coords: np.ndarray, n: int | None = None) -> np.ndarray:
    c = np.asarray(coords, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim != 2 or c.shape[1] not in (1, 2, 3):
        raise InputError(f"coordinates must be an (n, 3) array of x, y, z in metres (or (n, 2),"
                         f" (n,)), got shape {np.shape(coords)}")
    if c.shape[1] < 3:
        c = np.hstack([c, np.zeros((len(c), 3 - c.shape[1]))])
    if n is not None and len(c) != n:
        raise InputError(f"{len(c)} coordinates for {n} values")
    bad = ~np.isfinite(c).all(axis=1)
    if bad.any():
        raise InputError(f"coordinates must be finite: point {int(np.flatnonzero(bad)[0])} is "
                         f"{c[bad][0].tolist()}")
    return np.ascontiguousarray(c)


def _as_values(name: str, v: np.ndarray, n: int | None = None) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1:
        raise InputError(f"{name} values must be a 1-D array, got shape {a.shape}")
    if n is not None and len(a) != n:
        raise InputError(f"{len(a)} {name} values for {n} points")
    if np.isinf(a).any():
        raise InputError(f"{name} values must be finite or NaN (missing), found ±inf")
    return a


def _check_kind(kind: str, as_variogram: bool) -> None:
    if kind not in VARIOGRAM_TYPES:
        raise ParameterError(f"variogram kind must be one of {', '.join(VARIOGRAM_TYPES)}, "
                             f"got {kind!r}")
    if as_variogram and kind not in ("covariance", "correlogram"):
        raise ParameterError(f"as_variogram applies to covariances and correlograms (gamv types "
                             f"-3, -4), not to a {kind}")


def _variance(v: np.ndarray) -> float:
    ok = ~np.isnan(v)
    return float(np.var(v[ok])) if ok.any() else math.nan


# ------------------------------------------------------------------------------------------
# experimental variograms


def experimental_variogram(
    coords: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray | None = None,
    *,
    lags: Lags,
    directions: Sequence[Direction] | Direction = (OMNI,),
    kind: str = "semivariogram",
    standardize: bool = False,
    as_variogram: bool = False,
    engine: str = "numba",
    subdivide: int = 2,
) -> list[ExperimentalVariogram]:
    """Experimental variograms in several directions, in one pass over the pairs.

    Parameters
    ----------
    coords : (n, 3) float, x east, y north, z elevation in metres ((n, 2) or (n,) for 2-D or
        1-D data).
    tail : (n,) values of the tail variable; NaN for missing.
    head : (n,) values of the head variable (default: the tail variable). Needed for a
        ``cross`` variogram.
    lags : the lag classes.
    directions : one :class:`Direction` or several.
    kind : one of :data:`VARIOGRAM_TYPES`.
    standardize : divide semivariograms of one variable by its variance (gamv's isill);
        ignored for other kinds, as in gamv (``standardized`` says whether it was done).
    as_variogram : report √var_t·√var_h − C for a covariance and 1 − ρ for a correlogram
        (gamv types −3 and −4).
    engine : "numba" (the default; pairs found through a grid of cells, in parallel, never
        held in memory) or "numpy" (every pair at once: for checking, small n only).
    subdivide : cells are ``lags.max_distance / subdivide`` wide (a tuning knob).

    Returns
    -------
    One :class:`ExperimentalVariogram` per direction, in the order given.

    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> [ev] = experimental_variogram(x, np.array([1.0, 2.0, 4.0, 7.0]), lags=Lags(2, 1.0),
    ...                               directions=Direction(90.0, 22.5))
    >>> ev.pairs.tolist(), float(ev.value[2])   # class 3 holds h = 1: (1 + 4 + 9) / 6
    ([4, 0, 3, 2], 2.3333333333333335)
    """
    if isinstance(directions, Direction):
        directions = [directions]
    directions = list(directions)
    if not directions or not all(isinstance(d, Direction) for d in directions):
        raise ParameterError("directions must be one or more Direction objects")
    if not isinstance(lags, Lags):
        raise ParameterError(f"lags must be a Lags object, got {type(lags).__name__}")
    _check_kind(kind, as_variogram)
    if engine not in ("numba", "numpy"):
        raise ParameterError(f"engine must be 'numba' or 'numpy', got {engine!r}")
    t = _as_values("tail", tail)
    c = _as_coords(coords, len(t))
    same = head is None or head is tail
    h = t if head is None else _as_values("head", head, len(t))
    if not same:
        same = bool(np.array_equal(t, h, equal_nan=True))
    acc = _accumulate(c, t, h, lags, directions, kind, engine, subdivide)
    var_t = _variance(t)
    var_h = var_t if same else _variance(h)
    out = []
    for d, a in zip(directions, acc):
        out.append(_finish(a, d, lags, kind, t, h, var_t, var_h, same, standardize,
                           as_variogram))
    return out


def _accumulate(c, t, h, lags, directions, kind, engine, subdivide) -> np.ndarray:
    dirs = np.array([d._row() for d in directions], dtype=np.float64)
    eps_d = _EPS_D * lags.width
    mode = LAG_MODES.index(lags.mode)
    if lags.mode == "gstat":
        dirs[:, K.DIR_FIELDS.index("omni")] = 0.0  # each pair once
    dmax = lags.max_distance + (eps_d if mode == 0 else 0.0)
    args = (c, t, h, dirs, lags.n, lags.width, float(lags.tolerance), dmax, eps_d, _EPS_C,
            K.KIND_CODES[kind], mode)
    if engine == "numpy":
        return K.gamv_accumulate_numpy(*args)
    return K.gamv_accumulate(*args, subdivide=subdivide)


def _finish(a, d, lags, kind, t, h, var_t, var_h, same, standardize, as_variogram):
    n = a[:, K.ACC_N]
    has = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        nn = np.where(has, n, np.nan)
        dist = a[:, K.ACC_DIST] / nn
        s = a[:, K.ACC_VALUE] / nn
        mt = a[:, K.ACC_TAIL] / nn
        mh = a[:, K.ACC_HEAD] / nn
        vt = np.maximum(a[:, K.ACC_TAIL2] / nn - mt * mt, 0.0)
        vh = np.maximum(a[:, K.ACC_HEAD2] / nn - mh * mh, 0.0)
    standardized = False
    sill = math.nan
    if kind == "semivariogram":
        value = 0.5 * s
        sill = var_t if same else math.sqrt(var_t * var_h)
        if standardize and same and var_t > 0:
            value = value / var_t
            standardized = True
            sill = 1.0
    elif kind == "cross":
        value = 0.5 * s
        vt = vh = np.full_like(s, np.nan)
        ok = ~np.isnan(t) & ~np.isnan(h)
        sill = float(np.mean((t[ok] - t[ok].mean()) * (h[ok] - h[ok].mean()))) if ok.any() \
            else math.nan
    elif kind == "covariance":
        value = s - mt * mh
        sill = math.sqrt(var_t) * math.sqrt(var_h)
        if as_variogram:
            value = sill - value
    elif kind == "correlogram":
        sd = np.sqrt(vt) * np.sqrt(vh)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(sd < K.EPSLON, 0.0, (s - mt * mh) / sd)
        value = np.where(has, value, np.nan)
        if as_variogram:
            value = 1.0 - value
        sill = 1.0
    else:  # pairwise relative
        value = 0.5 * s
    return ExperimentalVariogram(
        direction=d, kind=kind, lags=lags, lag=np.arange(1, lags.n_classes + 1),
        pairs=np.rint(n).astype(np.int64), distance=dist, value=value, tail_mean=mt,
        head_mean=mh, tail_variance=vt, head_variance=vh, sill=float(sill),
        standardized=standardized, as_variogram=bool(as_variogram and kind in
                                                     ("covariance", "correlogram")))


# ------------------------------------------------------------------------------------------
# downhole


DOWNHOLE = Direction(azimuth=0.0, azimuth_tol=45.0, dip=-90.0, dip_tol=45.0)
"""The nominal direction recorded on downhole variograms (down the hole)."""


def downhole_variogram(
    comps,
    variable: str,
    *,
    lags: Lags,
    kind: str = "semivariogram",
    head: str | None = None,
    standardize: bool = False,
    as_variogram: bool = False,
    domain: str | None = None,
    engine: str = "numba",
) -> ExperimentalVariogram:
    """Variogram along the holes: pairs within the same hole, h = |difference of mid-depths|.

    Parameters
    ----------
    comps : :class:`~orebook.drillholes.composite.Composites`.
    variable : name of the (tail) variable in ``comps.values``.
    lags, kind, standardize, as_variogram : as for :func:`experimental_variogram`.
    head : name of the head variable (cross variograms); default ``variable``.
    domain : keep only the composites of this domain.

    The tail of a pair is the shallower composite, the head the deeper one; each pair counts
    once (no reversed pairs), and class 1 holds each composite with itself. The result's
    direction is the nominal :data:`DOWNHOLE` (its label says "downhole").
    """
    names = list(comps.values)
    for name in (variable, head):
        if name is not None and name not in comps.values:
            raise ParameterError(f"variable {name!r} is not in the composites; variables: "
                                 f"{', '.join(names) or '(none)'}")
    keep = np.ones(len(comps), dtype=bool)
    if domain is not None:
        keep = np.asarray(comps.domain == domain, dtype=bool)
        if not keep.any():
            raise ParameterError(f"no composite in domain {domain!r}; domains: "
                                 f"{', '.join(sorted(map(str, set(comps.domain))))}")
    mid = ((np.asarray(comps.from_m, float) + np.asarray(comps.to_m, float)) / 2)[keep]
    code = pd.factorize(pd.Series(np.asarray(comps.hole)[keep], dtype=object))[0]
    spacing = 2.0 * lags.max_distance + 1.0  # holes on parallel lines, out of each other's reach
    coords = np.column_stack([mid, code * spacing, np.zeros(len(mid))])
    t = np.asarray(comps.values[variable], float)[keep]
    h = None if head is None or head == variable else np.asarray(comps.values[head], float)[keep]
    along = Direction(azimuth=90.0, azimuth_tol=45.0, dip=0.0, dip_tol=45.0)
    [ev] = experimental_variogram(coords, t, h, lags=lags, directions=[along], kind=kind,
                                  standardize=standardize, as_variogram=as_variogram,
                                  engine=engine)
    label = f"downhole, {variable}" + (f" × {head}" if h is not None else "")
    return replace(ev, direction=DOWNHOLE, label=label)


# ------------------------------------------------------------------------------------------
# variogram map


def variogram_map(
    coords: np.ndarray,
    values: np.ndarray,
    *,
    nx: int,
    ny: int,
    cell: float | tuple[float, float],
    plane: tuple[float, float, float] | None = None,
    thickness: float = math.inf,
    standardize: bool = False,
    engine: str = "numba",
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D map of the semivariogram by separation vector (GSLIB ``varmap`` for scattered data).

    Parameters
    ----------
    coords : (n, 3) or (n, 2) metres. values : (n,), NaN missing.
    nx, ny : cells on each side of the origin along u and v: the map has (2·ny + 1) rows and
        (2·nx + 1) columns.
    cell : cell size along u and v (m), one number or (du, dv).
    plane : ``None`` (horizontal: u east, v north) or GSLIB angles (ang1, ang2, ang3) of a plane:
        v along its major axis, u along its semi-major axis (east for zero angles), w across.
    thickness : largest separation across the plane (|dw|, m) of a pair; default no limit.
    standardize : divide by the variance of the values.

    Returns
    -------
    gamma, pairs : (2·ny + 1, 2·nx + 1) arrays; ``gamma[r, c]`` is the semivariogram at the
        separation u = (c − nx)·du, v = (r − ny)·dv (row 0 is the most negative v), NaN where
        there is no pair. A cell holds the separations within half a cell of its centre; each
        pair counts at +h and at −h, so the map is symmetric through its centre.
    """
    v = _as_values("map", values)
    c = _as_coords(coords, len(v))
    for name, k in (("nx", nx), ("ny", ny)):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ParameterError(f"{name} must be an integer ≥ 0 (cells on each side), got {k!r}")
    du, dv = (cell, cell) if np.ndim(cell) == 0 else tuple(cell)
    du, dv = _finite("cell size", du), _finite("cell size", dv)
    if du <= 0 or dv <= 0:
        raise ParameterError(f"cell sizes must be > 0 m, got {cell!r}")
    th = float(thickness)
    if math.isnan(th) or th < 0:
        raise ParameterError(f"thickness must be ≥ 0 m (inf for no limit), got {thickness!r}")
    if plane is None:
        uvw = c
    else:
        r = rotation_matrix(*plane)
        frame = np.stack([-r[1], r[0], r[2]])
        uvw = c @ frame.T
    if not math.isfinite(th):
        uvw = np.column_stack([uvw[:, 0], uvw[:, 1], np.zeros(len(uvw))])
    if engine == "numpy":
        acc = K.varmap_accumulate_numpy(uvw, v, int(nx), int(ny), du, dv, th)
    elif engine == "numba":
        acc = K.varmap_accumulate(uvw, v, int(nx), int(ny), du, dv, th)
    else:
        raise ParameterError(f"engine must be 'numba' or 'numpy', got {engine!r}")
    pairs = np.rint(acc[:, :, 0]).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(pairs > 0, 0.5 * acc[:, :, 1] / acc[:, :, 0], np.nan)
    if standardize:
        var = _variance(v)
        if var > 0:
            gamma = gamma / var
    return gamma, pairs


# ------------------------------------------------------------------------------------------
# tables: several experimental variograms in one CSV, and back


_DIRECTION_COLUMNS = ("azimuth", "azimuth_tol", "bandwidth_h", "dip", "dip_tol", "bandwidth_v")


def variograms_to_frame(variograms: Sequence[ExperimentalVariogram]) -> pd.DataFrame:
    """One table for several experimental variograms: ``direction`` (1, 2, … in order), the
    direction's six parameters, ``label``, ``kind``, the lag definition (``n_lags``,
    ``lag_width``, ``lag_tolerance``, ``lag_mode``), ``sill``, then :meth:`to_frame`'s
    columns. :func:`variograms_from_frame` reads it back."""
    parts = []
    for i, ev in enumerate(variograms, start=1):
        df = ev.to_frame()
        head = {"direction": i, **{c: getattr(ev.direction, c) for c in _DIRECTION_COLUMNS},
                "label": ev.title, "kind": ev.kind, "n_lags": ev.lags.n,
                "lag_width": ev.lags.width, "lag_tolerance": ev.lags.tolerance,
                "lag_mode": ev.lags.mode, "sill": ev.sill, "standardized": ev.standardized}
        parts.append(pd.concat([pd.DataFrame(head, index=df.index), df], axis=1))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def variograms_from_frame(df: pd.DataFrame, *, file: str | None = None
                          ) -> list[ExperimentalVariogram]:
    """The experimental variograms of a table written by :func:`variograms_to_frame`."""
    from orebook.errors import InputError

    need = {"direction", *_DIRECTION_COLUMNS, "kind", "n_lags", "lag_width", "lag", "distance",
            "value", "pairs"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise InputError(f"not an experimental variogram table: no column "
                         f"{', '.join(missing)} (write one with `orebook variogram "
                         "experimental`)", file=file, row=1)
    bad = pd.to_numeric(df["direction"], errors="coerce").isna()
    if bad.any():
        raise InputError("the direction number is missing or not a number", file=file,
                         row=int(df.index[np.flatnonzero(bad.to_numpy())[0]]) + 2,
                         column="direction")
    out = []
    for _, g in df.groupby("direction", sort=True):
        first = g.iloc[0]
        try:
            direction = Direction(*(float(first[c]) for c in _DIRECTION_COLUMNS))
            tol = first.get("lag_tolerance", None)
            lags = Lags(int(first["n_lags"]), float(first["lag_width"]),
                        None if tol is None or pd.isna(tol) else float(tol),
                        str(first.get("lag_mode", "gamv")))
            arr = {c: pd.to_numeric(g[c], errors="raise").to_numpy(float)
                   for c in ("lag", "distance", "value", "pairs")}
        except (ValueError, TypeError, ParameterError) as exc:
            raise InputError(f"bad experimental variogram row: {exc}", file=file,
                             row=int(g.index[0]) + 2) from None
        bad_lag = ~np.isfinite(arr["lag"])
        if bad_lag.any():
            raise InputError("the lag class number is missing or not a number", file=file,
                             row=int(g.index[np.flatnonzero(bad_lag)[0]]) + 2, column="lag")
        nan = np.full(len(g), np.nan)
        col = lambda c: g[c].to_numpy(float) if c in g else nan  # noqa: E731
        out.append(ExperimentalVariogram(
            direction=direction, kind=str(first["kind"]), lags=lags,
            lag=arr["lag"].astype(int), pairs=np.nan_to_num(arr["pairs"]).astype(np.int64),
            distance=arr["distance"], value=arr["value"], tail_mean=col("tail_mean"),
            head_mean=col("head_mean"), tail_variance=col("tail_variance"),
            head_variance=col("head_variance"),
            sill=float(first["sill"]) if "sill" in g and pd.notna(first["sill"]) else math.nan,
            standardized=bool(first.get("standardized", False)),
            label=str(first["label"]) if "label" in g and pd.notna(first["label"]) else ""))
    return out


def read_variograms(path) -> list[ExperimentalVariogram]:
    """Read a CSV written from :func:`variograms_to_frame` (``orebook variogram experimental``'s
    ``experimental.csv``); any problem is an :class:`~orebook.errors.InputError` naming the file
    and row."""
    from orebook.io.tables import read_table

    raw = read_table(path)
    text = ("label", "kind", "lag_mode", "standardized")
    df = pd.DataFrame({c: v if c in text else pd.to_numeric(pd.Series(v).replace("", np.nan),
                                                             errors="coerce")
                       for c, v in raw.data.items()})
    if "standardized" in df:
        df["standardized"] = df["standardized"] == "True"
    df.index = raw.line - 2  # so that errors name the file's lines
    return variograms_from_frame(df, file=raw.file)
