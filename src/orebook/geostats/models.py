"""Variogram models: a nugget plus nested anisotropic structures, in GSLIB's conventions.

γ(h) = nugget + Σ cc_i · g_i(h_i), where cc_i is the partial sill of structure i and h_i the
distance reduced by that structure's anisotropy: h_i = |diag(1/a_hmax, 1/a_hmin, 1/a_vert) · R_i · h|
with R_i the rotation of the structure's angles (ang1 azimuth of the major axis clockwise from
north, ang2 its dip, negative downwards, ang3 the rotation about it). Ranges are practical
ranges: every bounded shape reaches (or, for the exponential and Gaussian, comes within 5 % of)
its sill at h_i = 1.

Shapes of h = h_i:
- ``spherical``: 1.5 h − 0.5 h³ for h < 1, else 1
- ``exponential``: 1 − exp(−3 h)
- ``gaussian``: 1 − exp(−3 h²) (GSLIB ``cova3``: 95 % of the sill at the practical range)
- ``power``: (a_hmax · h)^ω, 0 < ω < 2. Only the ratios of the ranges matter (the distance along
  the major axis is in metres), as in GSLIB, and cc is γ at 1 m along the major axis.

The covariance is C(h) = C(0) − γ(h) with C(0) = the total sill; a model with a power structure
has no sill, and as in GSLIB its covariance uses C(0) = nugget + Σ cc of bounded structures
+ ``POWER_CMAX``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orebook.errors import ParameterError

__all__ = ["KINDS", "POWER_CMAX", "Structure", "VariogramModel", "rotation_matrix"]

KINDS = ("spherical", "exponential", "gaussian", "power")
POWER_CMAX = 999.0
"""C(0) added for power structures when a covariance is needed (GSLIB's PMX)."""

_EPS = 1e-10  # distances below this (m) are "the same point": γ = 0, no nugget


def rotation_matrix(ang1: float, ang2: float, ang3: float) -> np.ndarray:
    """Rows: unit vectors (x east, y north, z up) of the major, semi-major and minor axes.

    ``ang1`` azimuth of the major axis (degrees clockwise from north), ``ang2`` its dip (degrees,
    negative downwards), ``ang3`` the rotation about the major axis (GSLIB ``setrot``).
    """
    alpha = np.radians(90.0 - ang1)
    beta = np.radians(-ang2)
    theta = np.radians(ang3)
    sa, ca, sb, cb, st, ct = (np.sin(alpha), np.cos(alpha), np.sin(beta), np.cos(beta),
                              np.sin(theta), np.cos(theta))
    return np.array([
        [cb * ca, cb * sa, -sb],
        [-ct * sa + st * sb * ca, ct * ca + st * sb * sa, st * cb],
        [st * sa + ct * sb * ca, -st * ca + ct * sb * sa, ct * cb],
    ])


def _check(name: str, value: float, low: float, high: float, *, low_open: bool = False,
           high_open: bool = False) -> None:
    ok = (value > low if low_open else value >= low) and (value < high if high_open
                                                          else value <= high)
    if not (np.isfinite(value) and ok):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ParameterError(f"{name} must be in {lo}{low:g}, {high:g}{hi}, got {value!r}")


def _numbers(name: str, value: object, n: int) -> tuple[float, ...]:
    """``value`` as a tuple of ``n`` floats, or a ParameterError saying what came."""
    items = value if (n > 1 and isinstance(value, (list, tuple, np.ndarray))) else (
        [value] if n == 1 else None)
    try:
        if items is None or len(items) != n:
            raise TypeError
        return tuple(float(v) for v in items)
    except (TypeError, ValueError):
        what = f"{n} numbers" if n > 1 else "a number"
        raise ParameterError(f"{name} must be {what}, got {value!r}") from None


@dataclass(frozen=True)
class Structure:
    """One nested structure.

    kind : one of :data:`KINDS`. sill : partial sill cc (≥ 0). ranges : practical ranges along
    the major, semi-major and minor axes (m, > 0). angles : ang1, ang2, ang3 in degrees.
    exponent : ω of a power structure (0 < ω < 2); ignored otherwise.
    """

    kind: str
    sill: float
    ranges: tuple[float, float, float]
    angles: tuple[float, float, float] = (0.0, 0.0, 0.0)
    exponent: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"structure kind must be one of {', '.join(KINDS)}, "
                                 f"got {self.kind!r}")
        object.__setattr__(self, "ranges", _numbers(f"{self.kind} ranges", self.ranges, 3))
        object.__setattr__(self, "angles", _numbers(f"{self.kind} angles", self.angles, 3))
        object.__setattr__(self, "sill", _numbers(f"{self.kind} sill", self.sill, 1)[0])
        object.__setattr__(self, "exponent",
                           _numbers("power exponent", self.exponent, 1)[0])
        _check(f"{self.kind} sill", float(self.sill), 0.0, np.inf, high_open=True)
        for name, r in zip(("major", "semi-major", "minor"), self.ranges):
            _check(f"{self.kind} {name} range", r, 0.0, np.inf, low_open=True, high_open=True)
        if self.kind == "power":
            _check("power exponent", float(self.exponent), 0.0, 2.0, low_open=True,
                   high_open=True)

    @property
    def rotation(self) -> np.ndarray:
        return rotation_matrix(*self.angles)

    @property
    def scaled_rotation(self) -> np.ndarray:
        """R with each row divided by its range: ``scaled_rotation @ h`` has norm h_i."""
        return self.rotation / np.asarray(self.ranges)[:, None]

    def reduced_distance(self, d: np.ndarray) -> np.ndarray:
        """h_i for separation vectors ``d`` (..., 3) in metres."""
        return np.linalg.norm(np.asarray(d, float) @ self.scaled_rotation.T, axis=-1)

    def shape(self, h: np.ndarray) -> np.ndarray:
        """g(h) for reduced distances ``h``."""
        h = np.asarray(h, float)
        if self.kind == "spherical":
            return np.where(h < 1.0, 1.5 * h - 0.5 * h**3, 1.0)
        if self.kind == "exponential":
            return 1.0 - np.exp(-3.0 * h)
        if self.kind == "gaussian":
            return 1.0 - np.exp(-3.0 * h**2)
        return (self.ranges[0] * h) ** self.exponent

    def gamma(self, d: np.ndarray) -> np.ndarray:
        """cc · g(h_i) for separation vectors ``d`` (..., 3)."""
        return self.sill * self.shape(self.reduced_distance(d))


@dataclass(frozen=True)
class VariogramModel:
    """A nugget and nested structures; see the module docstring for the conventions."""

    nugget: float = 0.0
    structures: tuple[Structure, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nugget", _numbers("nugget", self.nugget, 1)[0])
        _check("nugget", self.nugget, 0.0, np.inf, high_open=True)
        object.__setattr__(self, "structures", tuple(self.structures))
        for s in self.structures:
            if not isinstance(s, Structure):
                raise ParameterError(f"a model's structures are Structure objects, got {s!r}")
        if not self.structures and self.nugget == 0:
            raise ParameterError("a variogram model needs a nugget or at least one structure")

    @property
    def bounded(self) -> bool:
        return all(s.kind != "power" for s in self.structures)

    @property
    def sill(self) -> float:
        """Total sill (nugget + Σ cc); infinite with a power structure."""
        return (self.nugget + sum(s.sill for s in self.structures)) if self.bounded else np.inf

    @property
    def cmax(self) -> float:
        """C(0) used for covariances (see the module docstring for power structures)."""
        bounded = self.nugget + sum(s.sill for s in self.structures if s.kind != "power")
        return bounded if self.bounded else bounded + POWER_CMAX

    def gamma(self, d: np.ndarray) -> np.ndarray:
        """γ for separation vectors ``d`` (..., 3) in metres; 0 at zero separation."""
        d = np.asarray(d, float)
        total = np.full(d.shape[:-1], float(self.nugget))
        for s in self.structures:
            total = total + s.gamma(d)
        same = np.linalg.norm(d, axis=-1) < _EPS
        return np.where(same, 0.0, total)

    def gamma_along(self, h: np.ndarray, azimuth: float = 0.0, dip: float = 0.0) -> np.ndarray:
        """γ at distances ``h`` (m) along the direction (azimuth, dip) in degrees."""
        from orebook.drillholes.desurvey import direction

        u = direction(np.array([azimuth]), np.array([dip]))[0]
        return self.gamma(np.asarray(h, float)[..., None] * u)

    def covariance(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """C between every point of ``a`` (n, 3) and of ``b`` (m, 3) (default ``a``): (n, m)."""
        a = np.asarray(a, float).reshape(-1, 3)
        b = a if b is None else np.asarray(b, float).reshape(-1, 3)
        return self.cmax - self.gamma(a[:, None, :] - b[None, :, :])

    def covariance_of(self, d: np.ndarray) -> np.ndarray:
        """C for separation vectors ``d`` (..., 3)."""
        return self.cmax - self.gamma(d)
