"""Variogram models to and from the parameterisations of PyKrige, GSTools and gstat.

orebook (GSLIB) writes a structure as a partial sill ``cc``, three **practical** ranges
(a1 major, a2 semi-major, a3 minor, metres) and three angles (ang1 azimuth of the major axis
clockwise from north, ang2 its dip, negative downwards, ang3 the rotation about it), with

    γ(d) = nugget + Σ cc · g(h),   h = |diag(1/a1, 1/a2, 1/a3) · R(ang1, ang2, ang3) · d|

and the shapes g of :mod:`orebook.geostats.models`: spherical 1.5h − 0.5h³ (h < 1), exponential
1 − exp(−3h), Gaussian 1 − exp(−k h²) and power (a1·h)^ω. ``k`` is read from
:mod:`~orebook.geostats.models` (:data:`GAUSSIAN_K`); GSLIB's ``cova3`` uses k = 3, so that the
Gaussian reaches 95 % of its sill at the practical range.

The peers differ (formulas in each function's docstring):

============  ==================  ===========================  =============================
shape         PyKrige ``range``   GSTools ``len_scale`` ℓ      gstat ``range``
============  ==================  ===========================  =============================
spherical     a                   a                            a
exponential   a                   a / 3                        a / 3
Gaussian      a · 7 / (4 √k)      a · √(π / (4k))              a / √k
power         ``exponent`` = ω    none (no unbounded model)    ``range`` = ω
============  ==================  ===========================  =============================

A 2-D peer sees the model's **horizontal section** (separations with dz = 0): its ellipse is
computed from the structure's ellipsoid, so any ang2/ang3 is converted exactly. The peers'
imports happen inside the functions that build peer objects; the others return plain dicts and
strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from orebook.errors import ParameterError

from .models import Structure, VariogramModel, rotation_matrix

__all__ = ["GAUSSIAN_K", "PyKrigeModel", "to_pykrige", "from_pykrige", "to_gstools",
           "to_gstools_model", "from_gstools", "to_gstat", "from_gstat",
           "angles_from_axes"]


def _gaussian_k() -> float:
    """k of orebook's Gaussian g(h) = 1 − exp(−k h²), read from the model's own shape."""
    g = float(Structure("gaussian", 1.0, (1.0, 1.0, 1.0)).shape(np.array(0.5)))
    k = -math.log1p(-g) / 0.25
    return float(round(k)) if abs(k - round(k)) < 1e-9 else k


GAUSSIAN_K = _gaussian_k()
"""k in orebook's Gaussian shape g(h) = 1 − exp(−k h²) (h = distance / practical range)."""

_REL = 1e-12  # relative tolerance under which two ranges are "equal" (isotropy)


# --------------------------------------------------------------------------- geometry


def angles_from_axes(axes: np.ndarray) -> tuple[float, float, float]:
    """GSLIB angles (ang1, ang2, ang3) of a frame whose rows are the major, semi-major and minor
    axes (unit vectors, x east, y north, z up); signs of the rows do not matter.

    ``rotation_matrix(*angles_from_axes(R))`` has the rows of ``R`` up to their signs. The major
    axis is taken pointing down or horizontal (ang2 ≤ 0), ang1 in [0, 360), ang3 in (−180, 180].

    >>> angles_from_axes(rotation_matrix(30.0, -10.0, 20.0))
    (30.0, -10.0, 20.0)
    """
    r = np.asarray(axes, float)
    u = r[0] / np.linalg.norm(r[0])
    if u[2] > 0 or (u[2] == 0 and math.atan2(u[0], u[1]) < 0):
        u = -u
    ang2 = math.degrees(math.asin(max(-1.0, min(1.0, u[2]))))
    ang1 = math.degrees(math.atan2(u[0], u[1])) % 360.0
    base = rotation_matrix(ang1, ang2, 0.0)
    v = r[1] - (r[1] @ u) * u
    ang3 = math.degrees(math.atan2(v @ base[2], v @ base[1]))
    ang3 = _tidy(ang3, 180.0, centred=True)  # the semi-major axis's sign does not matter
    return _tidy(ang1, 360.0), _tidy(ang2), ang3


def _tidy(a: float, period: float | None = None, centred: bool = False) -> float:
    """Round away float noise (1e-10 degrees) and fold into [0, period) or (−period/2, period/2]."""
    a = round(float(a), 10) + 0.0
    if period is not None:
        a = a % period
        if centred and a > period / 2:
            a -= period
        if not centred and a >= period - 1e-10:
            a = 0.0
    return a + 0.0


def _quadratic(s: Structure) -> np.ndarray:
    """Q with h² = dᵀ Q d (3 × 3, 1/m²)."""
    m = s.scaled_rotation
    return m.T @ m


def _is_isotropic(ranges: Sequence[float]) -> bool:
    return max(ranges) - min(ranges) <= _REL * max(ranges)


def _section(s: Structure) -> tuple[float, float, float]:
    """Horizontal section of a structure: (major range, minor range, azimuth of the major axis
    clockwise from north in [0, 180)), ranges in metres."""
    lam, vec = np.linalg.eigh(_quadratic(s)[:2, :2])
    b1, b2 = 1.0 / math.sqrt(lam[0]), 1.0 / math.sqrt(lam[1])
    if b1 - b2 <= _REL * b1:
        return b1, b1, 0.0
    vx, vy = vec[:, 0]
    return b1, b2, _tidy(math.degrees(math.atan2(vx, vy)), 180.0)


def _principal(s: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Axes (rows, a proper rotation) and ranges sorted so that the first range is the largest."""
    order = np.argsort(-np.asarray(s.ranges), kind="stable")
    axes = s.rotation[order]
    if np.linalg.det(axes) < 0:
        axes[2] = -axes[2]
    return axes, np.asarray(s.ranges)[order]


def _xyz_angles(m: np.ndarray) -> tuple[float, float, float]:
    """(α, β, γ) in radians with m = Rx(α) · Ry(β) · Rz(γ) (right-handed rotations about x, y,
    z; m a proper rotation)."""
    sb = max(-1.0, min(1.0, m[0, 2]))
    beta = math.asin(sb)
    if math.sqrt(max(0.0, 1.0 - sb * sb)) > 1e-9:
        gamma = math.atan2(-m[0, 1], m[0, 0])
        alpha = math.atan2(-m[1, 2], m[2, 2])
    else:  # gimbal lock: α = 0, m = Ry(±90°) Rz(γ)
        alpha = 0.0
        gamma = math.atan2(m[1, 0], m[1, 1])
    return alpha, beta, gamma


def _rx(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _structure_from_frame(kind: str, cc: float, ranges: Sequence[float], axes: np.ndarray,
                          exponent: float = 1.0) -> Structure:
    """A Structure whose axes (rows of ``axes``) carry ``ranges``; isotropic ones get angles 0."""
    if _is_isotropic(ranges):
        return Structure(kind, cc, tuple(ranges), (0.0, 0.0, 0.0), exponent)
    return Structure(kind, cc, tuple(ranges), angles_from_axes(axes), exponent)


def _check_dim(dim: int) -> int:
    if dim not in (2, 3):
        raise ParameterError(f"dim must be 2 or 3, got {dim!r}")
    return dim


def _number(value: Any, what: str) -> float:
    """A finite float from a peer's parameter, or ParameterError naming it."""
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ParameterError(f"{what} must be finite, got {value!r}")
    return x


def _make(build, what: str):
    """Run a model constructor, naming the peer parameter when orebook refuses a value."""
    try:
        return build()
    except ParameterError as exc:
        raise ParameterError(f"{what}: {exc}") from None


# --------------------------------------------------------------------------- PyKrige

_PK_NAMES = {"spherical": "spherical", "exponential": "exponential", "gaussian": "gaussian",
             "power": "power"}


class PyKrigeModel(NamedTuple):
    """What PyKrige's kriging classes take: ``variogram_model``, ``variogram_parameters`` (a
    dict) and the anisotropy keywords (``anisotropy_scaling``/``anisotropy_angle`` in 2-D; the
    ``_y``/``_z`` scalings and ``_x``/``_y``/``_z`` angles in 3-D). ``kwargs`` merges all three:
    ``OrdinaryKriging(x, y, v, **to_pykrige(model).kwargs)``."""

    variogram_model: str
    variogram_parameters: dict
    anisotropy: dict

    @property
    def kwargs(self) -> dict:
        return {"variogram_model": self.variogram_model,
                "variogram_parameters": dict(self.variogram_parameters), **self.anisotropy}


def to_pykrige(model: VariogramModel, dim: int = 2) -> PyKrigeModel:
    """PyKrige's name, parameters and anisotropy for a model of at most one structure.

    PyKrige (``pykrige.variogram_models``) evaluates, at the distance r of coordinates rotated
    and stretched for anisotropy:

    - ``spherical``: psill · (1.5 r/range − 0.5 (r/range)³) + nugget, r < range → range = a
    - ``exponential``: psill · (1 − exp(−3r/range)) + nugget → range = a
    - ``gaussian``: psill · (1 − exp(−r² / (4 range/7)²)) + nugget → range = 7a / (4√k)
    - ``power``: scale · r^exponent + nugget → scale = cc (r in metres along the major axis)
    - a pure nugget is ``linear`` with slope 0.

    Anisotropy (``pykrige.core._adjust_for_anisotropy``): coordinates X become
    S · Rz(−θz) Ry(−θy) Rx(−θx) · X with S = diag(1, scaling_y, scaling_z) (2-D: diag(1, s) and
    one rotation by −θ), and ``range`` applies to the result. Hence the rotated x axis is the
    major axis, scaling = a_major / a_other, and Rx(θx) Ry(θy) Rz(θz) = Rᵀ (orebook's R has the
    axes as rows). In 2-D θ = 90° − azimuth of the major axis of the horizontal section (PyKrige
    angles are counter-clockwise from east, in degrees).

    Parameters
    ----------
    model : one nugget and at most one structure (PyKrige has no nested structures).
    dim : 2 (``OrdinaryKriging``, horizontal section) or 3 (``OrdinaryKriging3D``).

    Raises
    ------
    ParameterError : nested structures.

    >>> m = VariogramModel(0.1, (Structure("spherical", 0.9, (120.0, 60.0, 60.0), (30.0, 0, 0)),))
    >>> pk = to_pykrige(m)
    >>> pk.variogram_model, pk.variogram_parameters
    ('spherical', {'psill': 0.9, 'range': 120.0, 'nugget': 0.1})
    >>> {k: round(v, 9) for k, v in pk.anisotropy.items()}
    {'anisotropy_scaling': 2.0, 'anisotropy_angle': 60.0}
    """
    _check_dim(dim)
    if len(model.structures) > 1:
        raise ParameterError(f"PyKrige takes one structure; this model has "
                             f"{len(model.structures)} nested structures (fit a single "
                             f"structure, or use GSTools or gstat)")
    nugget = float(model.nugget)
    iso2 = {"anisotropy_scaling": 1.0, "anisotropy_angle": 0.0}
    iso3 = {"anisotropy_scaling_y": 1.0, "anisotropy_scaling_z": 1.0, "anisotropy_angle_x": 0.0,
            "anisotropy_angle_y": 0.0, "anisotropy_angle_z": 0.0}
    if not model.structures:
        return PyKrigeModel("linear", {"slope": 0.0, "nugget": nugget}, iso2 if dim == 2 else iso3)
    s = model.structures[0]
    if dim == 2:
        b1, b2, az = _section(s)
        major = b1
        theta = 0.0 if b1 - b2 <= _REL * b1 else _tidy(90.0 - az, 180.0)
        aniso = {"anisotropy_scaling": b1 / b2, "anisotropy_angle": theta}
    else:
        axes, ranges = _principal(s)
        major = float(ranges[0])
        ax, ay, az_ = _xyz_angles(axes.T)
        aniso = {"anisotropy_scaling_y": major / ranges[1],
                 "anisotropy_scaling_z": major / ranges[2],
                 "anisotropy_angle_x": _tidy(math.degrees(ax)),
                 "anisotropy_angle_y": _tidy(math.degrees(ay)),
                 "anisotropy_angle_z": _tidy(math.degrees(az_))}
    if s.kind == "power":
        scale = float(s.sill) * (s.ranges[0] / major) ** s.exponent
        params = {"scale": scale, "exponent": float(s.exponent), "nugget": nugget}
    elif s.kind == "gaussian":
        params = {"psill": float(s.sill), "range": major * 7.0 / (4.0 * math.sqrt(GAUSSIAN_K)),
                  "nugget": nugget}
    else:
        params = {"psill": float(s.sill), "range": major, "nugget": nugget}
    return PyKrigeModel(_PK_NAMES[s.kind], params, aniso)


def from_pykrige(variogram_model: str, variogram_parameters: Mapping[str, float] | Sequence,
                 *, anisotropy_scaling: float | None = None,
                 anisotropy_angle: float | None = None,
                 anisotropy_scaling_y: float | None = None,
                 anisotropy_scaling_z: float | None = None,
                 anisotropy_angle_x: float | None = None,
                 anisotropy_angle_y: float | None = None,
                 anisotropy_angle_z: float | None = None) -> VariogramModel:
    """The orebook model of PyKrige's ``variogram_model`` and ``variogram_parameters`` (the
    inverse of :func:`to_pykrige`; formulas there).

    ``variogram_parameters`` as PyKrige takes them: a dict (``psill`` or total ``sill``,
    ``range``, ``nugget``; ``slope``/``nugget`` for ``linear``; ``scale``/``exponent``/
    ``nugget`` for ``power``) or a list ([total sill, range, nugget]; [slope, nugget];
    [scale, exponent, nugget]). The 2-D keywords (``anisotropy_scaling``/``_angle``) give a
    model whose vertical range equals the major range (the section is what PyKrige sees); the
    3-D keywords give the full ellipsoid. ``linear`` becomes a power structure with ω = 1.
    """
    name = str(variogram_model).lower()
    kinds = {"spherical", "exponential", "gaussian", "power", "linear"}
    if name not in kinds:
        raise ParameterError(f"PyKrige variogram_model {variogram_model!r} has no orebook "
                             f"equivalent; expected one of {', '.join(sorted(kinds))}")
    p = variogram_parameters
    if isinstance(p, Mapping):
        def get(key: str) -> float:
            if key not in p:
                raise ParameterError(f"PyKrige {name} parameters need {key!r}; got keys "
                                     f"{', '.join(map(repr, p)) or 'none'}")
            return _number(p[key], f"PyKrige {key}")
        if name == "linear":
            slope, nugget = get("slope"), get("nugget")
        elif name == "power":
            scale, exponent, nugget = get("scale"), get("exponent"), get("nugget")
        else:
            nugget, rng = get("nugget"), get("range")
            psill = get("psill") if "psill" in p else get("sill") - nugget
    elif isinstance(p, Sequence) and not isinstance(p, str):
        want = {"linear": 2, "power": 3}.get(name, 3)
        if len(p) != want:
            raise ParameterError(f"PyKrige {name} parameter list needs {want} numbers, "
                                 f"got {len(p)}")
        vals = [_number(v, f"PyKrige {name} parameter") for v in p]
        if name == "linear":
            slope, nugget = vals
        elif name == "power":
            scale, exponent, nugget = vals
        else:
            psill, rng, nugget = vals[0] - vals[2], vals[1], vals[2]
    else:
        raise ParameterError(f"PyKrige variogram_parameters must be a dict or a list, got "
                             f"{type(p).__name__}")

    two = (anisotropy_scaling, anisotropy_angle)
    three = (anisotropy_scaling_y, anisotropy_scaling_z, anisotropy_angle_x, anisotropy_angle_y,
             anisotropy_angle_z)
    if any(v is not None for v in two) and any(v is not None for v in three):
        raise ParameterError("give either the 2-D (anisotropy_scaling, anisotropy_angle) or the "
                             "3-D PyKrige anisotropy keywords, not both")
    if any(v is not None for v in three):
        sy, sz, tx, ty, tz = (_number(1.0 if v is None else v, f"PyKrige {n}") for v, n in zip(
            three, ("anisotropy_scaling_y", "anisotropy_scaling_z", "anisotropy_angle_x",
                    "anisotropy_angle_y", "anisotropy_angle_z")))
        if sy <= 0 or sz <= 0:
            raise ParameterError(f"PyKrige anisotropy scalings must be > 0, got {sy}, {sz}")
        m = _rx(math.radians(tx)) @ _ry(math.radians(ty)) @ _rz(math.radians(tz))
        axes, stretch = m.T, (1.0, sy, sz)
    else:
        s = _number(1.0 if anisotropy_scaling is None else anisotropy_scaling,
                    "PyKrige anisotropy_scaling")
        theta = _number(0.0 if anisotropy_angle is None else anisotropy_angle,
                        "PyKrige anisotropy_angle")
        if s <= 0:
            raise ParameterError(f"PyKrige anisotropy_scaling must be > 0, got {s}")
        az = 90.0 - theta
        axes = rotation_matrix(az, 0.0, 0.0)  # major, horizontal minor, vertical
        stretch = (1.0, s, 1.0)

    def build() -> VariogramModel:
        if name == "linear":
            if slope == 0:
                return VariogramModel(nugget, ())
            kind, cc, major, omega = "power", slope, 1.0, 1.0
        elif name == "power":
            kind, cc, major, omega = "power", scale, 1.0, exponent
        else:
            kind, cc, omega = name, psill, 1.0
            major = rng * 4.0 * math.sqrt(GAUSSIAN_K) / 7.0 if name == "gaussian" else rng
        ranges = tuple(major / f for f in stretch)
        return VariogramModel(nugget, (_structure_from_frame(kind, cc, ranges, axes, omega),))

    return _make(build, f"PyKrige {name} model")


# --------------------------------------------------------------------------- GSTools

_GS_NAMES = {"spherical": "Spherical", "exponential": "Exponential", "gaussian": "Gaussian"}
_GS_KINDS = {v: k for k, v in _GS_NAMES.items()}
_GS_RESCALE = {"spherical": 1.0, "exponential": 1.0, "gaussian": math.sqrt(math.pi) / 2.0}


def _gs_len_scale(kind: str, a: float, rescale: float) -> float:
    """ℓ such that GSTools' cor(rescale · r / ℓ) equals orebook's 1 − g(r / a)."""
    if kind == "spherical":
        return a * rescale
    if kind == "exponential":
        return a * rescale / 3.0
    return a * rescale / math.sqrt(GAUSSIAN_K)


def _gs_practical(kind: str, len_scale: float, rescale: float) -> float:
    return len_scale / _gs_len_scale(kind, 1.0, rescale)


def to_gstools(model: VariogramModel, dim: int = 3) -> dict:
    """GSTools constructor keywords, as plain data.

    GSTools (``gstools.covmodel``) evaluates γ(r) = var · (1 − cor(s · r / ℓ)) + nugget, with
    s the model's ``rescale`` and r the distance after rotation and stretching:

    - ``Spherical``: cor(x) = 1 − 1.5x + 0.5x³ (x < 1), s = 1 → ℓ = a
    - ``Exponential``: cor(x) = exp(−x), s = 1 → ℓ = a / 3
    - ``Gaussian``: cor(x) = exp(−x²), s = √π / 2 → ℓ = a · √(π / (4k))

    Anisotropy: ``anis`` = [a2/a1, a3/a1] (lengths relative to ``len_scale`` along the first
    axis) and ``angles`` (radians) with ``gstools.tools.geometric.matrix_rotate(3, angles)`` =
    Rx(θ3) · Ry(θ2) · Rz(θ1), whose columns are the main axes; orebook's R has them as rows, so
    Rx(θ3) Ry(θ2) Rz(θ1) = Rᵀ. In 2-D: the horizontal section, ``angles`` = [θ] counter-clockwise
    from east, θ = 90° − azimuth of its major axis, ``anis`` = [minor/major].

    Returns
    -------
    dict : ``{"nugget": n, "structures": [{"model": "Spherical", "dim": 3, "var": cc,
        "len_scale": ℓ, "rescale": s, "anis": [...], "angles": [...]}, ...]}``;
        ``getattr(gstools, d.pop("model"))(**d)`` builds each structure (see
        :func:`to_gstools_model` for the summed model).

    Raises
    ------
    ParameterError : a power structure (GSTools has no unbounded power model).
    """
    _check_dim(dim)
    out = []
    for i, s in enumerate(model.structures, 1):
        if s.kind not in _GS_NAMES:
            raise ParameterError(f"structure {i}: GSTools has no {s.kind} model (its models "
                                 f"are covariances, bounded); only spherical, exponential and "
                                 f"gaussian structures convert")
        rescale = _GS_RESCALE[s.kind]
        if dim == 2:
            b1, b2, az = _section(s)
            major, anis = b1, [b2 / b1]
            angles = [0.0 if b1 - b2 <= _REL * b1 else math.radians(_tidy(90.0 - az, 180.0))]
        else:
            axes, ranges = _principal(s)
            major = float(ranges[0])
            anis = [float(ranges[1] / major), float(ranges[2] / major)]
            ax, ay, az_ = _xyz_angles(axes.T)
            angles = [az_, ay, ax]
        out.append({"model": _GS_NAMES[s.kind], "dim": dim, "var": float(s.sill),
                    "len_scale": _gs_len_scale(s.kind, major, rescale), "rescale": rescale,
                    "anis": anis, "angles": angles})
    return {"nugget": float(model.nugget), "structures": out}


def to_gstools_model(model: VariogramModel, dim: int = 3):
    """A GSTools model object: one ``CovModel`` (carrying the nugget), a ``SumModel`` for nested
    structures, or a ``Nugget`` model; imports GSTools (a test-only dependency of orebook).

    Raises
    ------
    ParameterError : power structures; nested structures whose anisotropies differ (GSTools'
        ``SumModel`` shares one ``anis`` and one set of ``angles``).
    """
    import gstools as gs

    spec = to_gstools(model, dim)
    if not spec["structures"]:
        return gs.Nugget(dim=dim, nugget=spec["nugget"])
    parts = []
    for kw in spec["structures"]:
        kw = dict(kw)
        parts.append(getattr(gs, kw.pop("model"))(**kw))
    if len(parts) == 1:
        parts[0].nugget = spec["nugget"]
        return parts[0]
    first = spec["structures"][0]
    for i, kw in enumerate(spec["structures"][1:], 2):
        if not (np.allclose(kw["anis"], first["anis"], rtol=1e-9, atol=0)
                and np.allclose(kw["angles"], first["angles"], rtol=0, atol=1e-9)):
            raise ParameterError(f"GSTools' SumModel shares one anisotropy between structures; "
                                 f"structure {i} differs from structure 1 (use to_gstools() for "
                                 f"separate models)")
    return gs.SumModel(*parts, nugget=spec["nugget"])


def from_gstools(obj: Any) -> VariogramModel:
    """The orebook model of a GSTools ``Spherical``/``Exponential``/``Gaussian`` model, a
    ``SumModel`` of them, a ``Nugget`` model, or the dict :func:`to_gstools` returns
    (formulas there). A 2-D model gives a 3-D one whose vertical range is its ``len_scale``
    range (what the 2-D model says along its first axis)."""
    if isinstance(obj, Mapping):
        nugget = _number(obj.get("nugget", 0.0), "GSTools nugget")
        parts = []
        for i, kw in enumerate(obj.get("structures", ()), 1):
            if not isinstance(kw, Mapping) or "model" not in kw:
                raise ParameterError(f"GSTools structure {i} must be a dict with a 'model' key")
            parts.append(_gs_part(kw["model"], kw, f"GSTools structure {i}"))
        return _make(lambda: VariogramModel(nugget, tuple(parts)), "GSTools model")
    name = type(obj).__name__
    if name == "SumModel":
        nugget = _number(obj.nugget, "GSTools nugget")
        subs = [m for m in obj.models if type(m).__name__ != "Nugget"]
        parts = [_gs_part(type(m).__name__, _gs_attrs(m, obj), f"GSTools {type(m).__name__}")
                 for m in subs]
        return _make(lambda: VariogramModel(nugget, tuple(parts)), "GSTools SumModel")
    if name == "Nugget":
        return _make(lambda: VariogramModel(_number(obj.nugget, "GSTools nugget"), ()),
                     "GSTools Nugget")
    if not hasattr(obj, "len_scale"):
        raise ParameterError(f"expected a GSTools model or to_gstools() dict, got {name}")
    nugget = _number(obj.nugget, "GSTools nugget")
    part = _gs_part(name, _gs_attrs(obj, obj), f"GSTools {name}")
    return _make(lambda: VariogramModel(nugget, (part,)), f"GSTools {name}")


def _gs_attrs(m: Any, frame: Any) -> dict:
    return {"dim": int(m.dim), "var": m.var, "len_scale": m.len_scale, "rescale": m.rescale,
            "anis": list(np.atleast_1d(frame.anis)), "angles": list(np.atleast_1d(frame.angles))}


def _gs_part(model_name: Any, kw: Mapping[str, Any], what: str) -> Structure:
    kind = _GS_KINDS.get(str(model_name))
    if kind is None:
        raise ParameterError(f"{what}: GSTools model {model_name!r} has no orebook equivalent; "
                             f"expected one of {', '.join(_GS_KINDS)}")
    dim = int(kw.get("dim", 3))
    _check_dim(dim)
    var = _number(kw.get("var", 1.0), f"{what} var")
    len_scale = _number(kw.get("len_scale", 1.0), f"{what} len_scale")
    rescale = _number(kw.get("rescale", _GS_RESCALE[kind]), f"{what} rescale")
    anis = [_number(v, f"{what} anis") for v in np.atleast_1d(kw.get("anis", 1.0))]
    angles = [_number(v, f"{what} angles") for v in np.atleast_1d(kw.get("angles", 0.0))]
    if len_scale <= 0 or rescale <= 0 or any(e <= 0 for e in anis):
        raise ParameterError(f"{what}: len_scale, rescale and anis must be > 0")
    major = _gs_practical(kind, len_scale, rescale)
    if dim == 2:
        theta = angles[0] if angles else 0.0
        axes = rotation_matrix(90.0 - math.degrees(theta), 0.0, 0.0)
        ranges = (major, major * anis[0], major)
    else:
        # GSTools' set_anis: one value in 3-D is e_z (e_y = 1)
        anis = anis[:2] if len(anis) >= 2 else [1.0, anis[0] if anis else 1.0]
        t1, t2, t3 = (angles + [0.0, 0.0, 0.0])[:3]
        axes = (_rx(t3) @ _ry(t2) @ _rz(t1)).T
        ranges = (major, major * anis[0], major * anis[1])
    return _make(lambda: _structure_from_frame(kind, var, ranges, axes), what)


# --------------------------------------------------------------------------- gstat

_GSTAT_NAMES = {"spherical": "Sph", "exponential": "Exp", "gaussian": "Gau", "power": "Pow"}


def _r_num(x: float) -> str:
    """A float as R reads it back exactly (shortest repr, no trailing .0)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def to_gstat(model: VariogramModel, dim: int = 2) -> str:
    """An R expression building the model with gstat's ``vgm()``.

    gstat (``src/vario_fn.c``, ``src/vario.c``) evaluates psill · f(r, range) at the distance r
    transformed with GSLIB's rotation (``get_tm``, taken from GSLIB's ``setrot``):

    - ``Sph``: 1.5 r/range − 0.5 (r/range)³ → range = a
    - ``Exp``: 1 − exp(−r/range) → range = a / 3 (the scale, not the practical range)
    - ``Gau``: 1 − exp(−(r/range)²) → range = a / √k
    - ``Pow``: r^range → range = ω, psill = cc (r in metres along the major axis)

    Anisotropy: 3-D ``anis = c(p, q, r, s1, s2)`` is exactly GSLIB's ang1, ang2, ang3, a2/a1,
    a3/a1, with every angle in [0, 360) and both ratios in (0, 1] (so axes are reordered, and
    angles recomputed, when the first range is not the largest). 2-D ``anis = c(angle, ratio)``
    describes the horizontal section: azimuth of its major axis and minor/major. Isotropic
    structures get no ``anis``. Nested structures chain with ``add.to``; the nugget is the
    ``nugget`` argument of the first structure (or ``vgm(n, "Nug", 0)`` alone).

    >>> m = VariogramModel(0.1, (Structure("exponential", 0.9, (900.0, 9.0, 9.0)),))
    >>> to_gstat(m)
    'vgm(0.9, "Exp", 300, 0.1, anis = c(0, 0.01))'
    """
    _check_dim(dim)
    if not model.structures:
        return f'vgm({_r_num(model.nugget)}, "Nug", 0)'
    expr = None
    for i, s in enumerate(model.structures):
        name = _GSTAT_NAMES[s.kind]
        if dim == 2:
            b1, b2, az = _section(s)
            major = b1
            anis = None if b1 - b2 <= _REL * b1 else [az, b2 / b1]
        else:
            axes, ranges = _principal(s)
            major = float(ranges[0])
            if _is_isotropic(ranges):
                anis = None
            else:
                p, q, r = angles_from_axes(axes)
                anis = [_tidy(p, 360.0), _tidy(q, 360.0), _tidy(r, 360.0),
                        float(ranges[1] / major), float(ranges[2] / major)]
        if s.kind == "power":
            psill, rng = float(s.sill) * (s.ranges[0] / major) ** s.exponent, float(s.exponent)
        elif s.kind == "exponential":
            psill, rng = float(s.sill), major / 3.0
        elif s.kind == "gaussian":
            psill, rng = float(s.sill), major / math.sqrt(GAUSSIAN_K)
        else:
            psill, rng = float(s.sill), major
        args = [_r_num(psill), f'"{name}"', _r_num(rng)]
        if i == 0 and model.nugget > 0:
            args.append(_r_num(model.nugget))
        if anis is not None:
            args.append("anis = c(" + ", ".join(_r_num(v) for v in anis) + ")")
        if expr is not None:
            args.append(f"add.to = {expr}")
        expr = "vgm(" + ", ".join(args) + ")"
    return expr


_VGM_FORMALS = ("psill", "model", "range", "nugget", "add.to", "anis", "kappa", "covtable",
                "Err")
_TOKEN = re.compile(r"""\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
                    |(?P<str>"[^"]*"|'[^']*')|(?P<name>[A-Za-z_.][A-Za-z0-9_.]*)
                    |(?P<op>[(),=]))""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ParameterError(f"gstat model: cannot read {text[pos:pos + 20]!r} "
                                 f"(character {pos + 1} of the expression)")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Reads the small part of R that ``vgm()`` expressions use: calls of ``vgm`` and ``c``,
    numbers, strings, ``NA``, ``TRUE``/``FALSE``, positional and named arguments."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ParameterError(f"gstat model: expected {value or 'more'}, found "
                                 f"{tok[1] if tok else 'the end of the expression'!r}")
        self.i += 1
        return tok

    def expr(self) -> Any:
        kind, val = self.take()
        if kind == "num":
            return float(val)
        if kind == "str":
            return val[1:-1]
        if kind == "name":
            if val in ("NA", "NULL"):
                return None
            if val in ("TRUE", "T", "FALSE", "F"):
                return val.startswith("T")
            if self.peek() == ("op", "("):
                return self.call(val)
            raise ParameterError(f"gstat model: unknown name {val!r} (only vgm() and c() "
                                 f"with literal values are read)")
        raise ParameterError(f"gstat model: unexpected {val!r}")

    def call(self, fn: str) -> Any:
        self.depth += 1
        if self.depth > 50:
            raise ParameterError("gstat model: calls nested more than 50 deep")
        self.take("(")
        pos, named = [], {}
        if self.peek() != ("op", ")"):
            while True:
                tok = self.peek()
                nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
                if tok and tok[0] in ("name", "str") and nxt == ("op", "="):
                    self.i += 2
                    key = tok[1].strip("\"'")
                    if key in named:
                        raise ParameterError(f"gstat model: argument {key!r} given twice")
                    named[key] = self.expr()
                else:
                    pos.append(self.expr())
                if self.peek() == ("op", ","):
                    self.take(",")
                    continue
                break
        self.take(")")
        self.depth -= 1
        if fn == "c":
            if named:
                raise ParameterError("gstat model: named elements in c() are not read")
            if not all(isinstance(v, float) for v in pos):
                raise ParameterError("gstat model: c() must hold numbers")
            return list(pos)
        if fn == "vgm":
            return _vgm_rows(pos, named)
        raise ParameterError(f"gstat model: unknown function {fn}() (expected vgm or c)")


def _vgm_rows(pos: list, named: dict) -> list[dict]:
    """gstat's ``vgm()`` (R/vgm.R) as a list of rows of its variogramModel data frame."""
    args: dict[str, Any] = {}
    for key, val in named.items():  # R's partial matching of argument names
        hits = [f for f in _VGM_FORMALS if f == key] or [f for f in _VGM_FORMALS
                                                          if f.startswith(key)]
        if len(hits) != 1:
            raise ParameterError(f"gstat vgm(): argument {key!r} matches "
                                 f"{'nothing' if not hits else ', '.join(hits)}")
        if hits[0] in args:
            raise ParameterError(f"gstat vgm(): argument {hits[0]!r} given twice")
        args[hits[0]] = val
    free = [f for f in _VGM_FORMALS if f not in args]
    if len(pos) > len(free):
        raise ParameterError(f"gstat vgm(): {len(pos)} positional arguments is too many")
    for f, val in zip(free, pos):
        args[f] = val
    if isinstance(args.get("psill"), str) and "model" not in args:  # vgm("Sph")
        raise ParameterError(f"gstat vgm({args['psill']!r}) has no sill or range (a model "
                             f"to be fitted); give psill and range")
    model = args.get("model")
    if not isinstance(model, str):
        raise ParameterError("gstat vgm(): the model name (e.g. \"Sph\") is missing")
    anis = args.get("anis")
    if anis is None:
        anis = [0.0, 0.0, 0.0, 1.0, 1.0]
    elif isinstance(anis, list) and len(anis) == 2:
        anis = [anis[0], 0.0, 0.0, anis[1], 1.0]
    elif not (isinstance(anis, list) and len(anis) == 5):
        raise ParameterError(f"gstat vgm(): anis must be c(angle, ratio) or c(p, q, r, s1, s2), "
                             f"got {anis!r}")
    rng = args.get("range")
    row = {"model": model, "psill": args.get("psill"),
           "range": 0.0 if rng is None and model == "Nug" else rng,
           "ang1": anis[0], "ang2": anis[1], "ang3": anis[2], "anis1": anis[3],
           "anis2": anis[4]}
    rows = [row]
    if args.get("nugget") is not None:
        rows.insert(0, {"model": "Nug", "psill": args["nugget"], "range": 0.0, "ang1": 0.0,
                        "ang2": 0.0, "ang3": 0.0, "anis1": 1.0, "anis2": 1.0})
    add = args.get("add.to")
    if add is not None:
        if not (isinstance(add, list) and all(isinstance(r, dict) for r in add)):
            raise ParameterError("gstat vgm(): add.to must be another vgm(...)")
        rows = list(add) + rows
    if args.get("Err"):
        raise ParameterError("gstat vgm(): a measurement-error term (Err) has no orebook "
                             "equivalent")
    return rows


def from_gstat(spec: str | Sequence[Mapping[str, Any]]) -> VariogramModel:
    """The orebook model of a gstat variogram model (the inverse of :func:`to_gstat`; formulas
    there).

    Parameters
    ----------
    spec : an R ``vgm(...)`` expression (positional or named arguments, R's partial names such
        as ``nug =``, ``add.to =`` chains, ``anis = c(...)``), or the rows of gstat's
        variogramModel data frame: mappings with ``model``, ``psill``, ``range`` and optionally
        ``ang1, ang2, ang3, anis1, anis2`` (e.g. read from ``write.csv(fit)``).

    ``Nug`` rows add to the nugget; ``Lin`` with range 0 is a power structure with ω = 1.
    A 2-D ``anis = c(angle, ratio)`` is read as gstat does: c(angle, 0, 0, ratio, 1), i.e. the
    vertical range equals the major range.

    Raises
    ------
    ParameterError : syntax outside that subset, models orebook lacks (Mat, Bes, Hol, bounded
        Lin, ...), values gstat itself refuses.

    >>> m = from_gstat('vgm(1, "Exp", 300, anis = c(0, 0.01))')
    >>> m.structures[0].ranges
    (900.0, 9.0, 900.0)
    """
    if isinstance(spec, str):
        parser = _Parser(spec)
        rows = parser.expr()
        if parser.peek() is not None:
            raise ParameterError(f"gstat model: unexpected {parser.peek()[1]!r} after the "
                                 f"vgm(...) expression")
        if not (isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)):
            raise ParameterError("gstat model: expected a vgm(...) expression")
    elif isinstance(spec, Sequence):
        rows = list(spec)
        if not all(isinstance(r, Mapping) for r in rows):
            raise ParameterError("gstat model rows must be mappings (model, psill, range, ...)")
    else:
        raise ParameterError(f"gstat model must be a vgm(...) string or rows, got "
                             f"{type(spec).__name__}")
    nugget, parts = 0.0, []
    for i, row in enumerate(rows, 1):
        what = f"gstat model row {i}"
        name = str(row.get("model", "")).strip()
        psill = _number(row.get("psill"), f"{what} psill")
        if name == "Nug":
            nugget += psill
            continue
        kind = {v: k for k, v in _GSTAT_NAMES.items()}.get(name)
        if name == "Lin":
            if _number(row.get("range", 0.0), f"{what} range") != 0:
                raise ParameterError(f"{what}: a bounded linear model (Lin with range > 0) has "
                                     f"no orebook equivalent")
            kind = "power"
        if kind is None:
            raise ParameterError(f"{what}: gstat model {name!r} has no orebook equivalent; "
                                 f"expected Nug, Sph, Exp, Gau, Pow or Lin")
        rng = 1.0 if name == "Lin" else _number(row.get("range"), f"{what} range")
        ang = [_number(row.get(k, 0.0), f"{what} {k}") for k in ("ang1", "ang2", "ang3")]
        ratios = [_number(row.get(k, 1.0), f"{what} {k}") for k in ("anis1", "anis2")]
        if not all(0 < r <= 1 for r in ratios):
            raise ParameterError(f"{what}: anis ratios must be in (0, 1], got {ratios}")
        if kind == "power":
            major, omega = 1.0, rng
        elif kind == "exponential":
            major, omega = 3.0 * rng, 1.0
        elif kind == "gaussian":
            major, omega = rng * math.sqrt(GAUSSIAN_K), 1.0
        else:
            major, omega = rng, 1.0
        ranges = (major, major * ratios[0], major * ratios[1])
        angles = (0.0, 0.0, 0.0) if _is_isotropic(ranges) else tuple(ang)
        parts.append(_make(lambda: Structure(kind, psill, ranges, angles, omega), what))
    return _make(lambda: VariogramModel(nugget, tuple(parts)), "gstat model")
