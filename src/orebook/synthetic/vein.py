"""A seeded generator of a gold–silver vein deposit whose true grades are known everywhere.

The demo (and tests of the whole chain) need drill holes from a deposit whose truth is kept, so
that a report can say how close an estimate came: tonnes, grade and metal above a cut-off.

The deposit
-----------
One tabular vein, a plane through ``top_centre`` striking ``strike_deg`` (azimuth, degrees
clockwise from north) and dipping ``dip_deg`` towards ``strike + 90°``. In the vein's own
coordinates — ``u`` along strike, ``v`` down dip (both from ``top_centre``, m) and ``w`` along
the upward normal — a point is in the vein when

    |u| ≤ length/2,   0 ≤ v ≤ depth_extent,   |w − c(u, v)| ≤ t(u, v)/2,

where ``c`` is a smooth undulation of the vein's mid-surface (standard deviation
``undulation_m``) and ``t`` its true thickness: a log-normal field of mean ``thickness_m``,
tapered linearly to zero over ``taper_m`` at the edges. Gold in the vein is log-normal,
``exp(μ + σ·f(u, v))`` with mean ``au_mean_gpt`` and log standard deviation ``au_log_sd``, where
``f`` is a standard Gaussian field with an exponential covariance, longer along the plunge of the
shoots (``shoot_rake_deg`` in the vein plane, ranges ``range_along_m``/``range_across_m``,
practical ranges); silver is log-normal too, its log correlated with gold's by ``ag_au_corr``.
Outside the vein (the host rock) gold is ``host_au_gpt`` and silver ``host_ag_gpt``. Grades do
not change across the vein's thickness. Density: ``vein_density_tpm3`` and
``host_density_tpm3``.

Gaussian fields are sums of ``n_features`` random Fourier features (Rahimi & Recht 2007) whose
frequencies are drawn from the exponential covariance's spectral density (a multivariate
Student t with one degree of freedom), evaluated on a 2-m lattice in (u, v) and interpolated
bilinearly; everything derives from ``seed``.

Drilling and sampling
---------------------
Holes target pierce points on a ``spacing_m`` grid in (u, v) (jittered by ``jitter_m``), are
collared on the flat surface at ``surface_z`` on the hanging-wall side and drilled straight
(no deviation) at ``hole_dip_deg`` towards ``strike − 90°`` (so they cut the vein at a high
angle), ``past_vein_m`` beyond the vein. Samples are ``sample_m`` long from ``sampled_from_m``
before the vein to the end of the hole; a sample's grade is the mean of the true grade at 5
points along it times a log-normal sampling error (``sampling_log_sd``), rounded to 0.01 g/t.

The truth of a block model
--------------------------
:func:`true_blocks` discretises each block of a grid into n × n × n points and returns per
block the vein fraction, the true (diluted) mean grades and the mean density — the figures an
estimate on that grid should come close to.

>>> d = generate_vein(VeinSpec(length_m=200, depth_extent_m=120, spacing_m=50), seed=1)
>>> sorted(d.collars.columns)
['hole_id', 'x', 'y', 'z']
>>> len(d.collars) == 4 * 2   # pierce points every 50 m: 4 along strike, 2 down dip
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

__all__ = ["VeinDeposit", "VeinSpec", "generate_vein", "true_blocks", "write_vein"]

_LATTICE_M = 2.0


@dataclass(frozen=True)
class VeinSpec:
    """The parameters of a synthetic vein (lengths in m, angles in degrees, grades in g/t)."""

    top_centre: tuple[float, float, float] = (500_000.0, 4_400_000.0, 1_150.0)
    strike_deg: float = 45.0
    dip_deg: float = 60.0
    length_m: float = 600.0
    depth_extent_m: float = 300.0
    thickness_m: float = 4.0
    thickness_log_sd: float = 0.35
    taper_m: float = 40.0
    undulation_m: float = 2.0
    au_mean_gpt: float = 5.0
    au_log_sd: float = 0.9
    ag_mean_gpt: float = 30.0
    ag_log_sd: float = 0.7
    ag_au_corr: float = 0.7
    shoot_rake_deg: float = 40.0
    range_along_m: float = 150.0
    range_across_m: float = 60.0
    host_au_gpt: float = 0.02
    host_ag_gpt: float = 0.5
    vein_density_tpm3: float = 2.70
    host_density_tpm3: float = 2.65
    surface_z: float = 1_200.0
    spacing_m: float = 40.0
    jitter_m: float = 4.0
    hole_dip_deg: float = -60.0
    past_vein_m: float = 15.0
    sampled_from_m: float = 15.0
    sample_m: float = 1.0
    sampling_log_sd: float = 0.15
    n_features: int = 300

    def __post_init__(self) -> None:
        for name in ("length_m", "depth_extent_m", "thickness_m", "spacing_m", "sample_m",
                     "au_mean_gpt", "ag_mean_gpt", "range_along_m", "range_across_m",
                     "vein_density_tpm3", "host_density_tpm3"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ParameterError(f"VeinSpec.{name} must be a number > 0, got {v!r}")
        if not 5.0 <= self.dip_deg <= 90.0:
            raise ParameterError(f"VeinSpec.dip_deg must be within [5, 90], got {self.dip_deg}")
        if not -90.0 <= self.hole_dip_deg < -10.0:
            raise ParameterError("VeinSpec.hole_dip_deg must be within [-90, -10), got "
                                 f"{self.hole_dip_deg}")
        if not -1.0 <= self.ag_au_corr <= 1.0:
            raise ParameterError(f"VeinSpec.ag_au_corr must be within [-1, 1], got "
                                 f"{self.ag_au_corr}")
        if self.top_centre[2] >= self.surface_z:
            raise ParameterError("the vein's top must lie below the surface (top_centre z < "
                                 "surface_z)")


@dataclass(frozen=True)
class VeinDeposit:
    """Drill holes of a synthetic vein (tables as orebook reads them) and its truth."""

    spec: VeinSpec
    seed: int
    collars: pd.DataFrame   # hole_id, x, y, z
    surveys: pd.DataFrame   # hole_id, depth, azimuth, dip
    assays: pd.DataFrame    # hole_id, from, to, Au_gpt, Ag_gpt
    truth: _Truth

    def point_truth(self, xyz: np.ndarray) -> dict[str, np.ndarray]:
        """True ``in_vein``, ``Au_gpt``, ``Ag_gpt`` and ``density_tpm3`` at points (n, 3)."""
        return self.truth.at(np.asarray(xyz, dtype=np.float64).reshape(-1, 3))


class _Truth:
    """The vein's geometry and fields; evaluates the truth at any points."""

    def __init__(self, spec: VeinSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        s = math.radians(spec.strike_deg)
        dd = s + math.pi / 2
        dip = math.radians(spec.dip_deg)
        self.along = np.array([math.sin(s), math.cos(s), 0.0])
        self.down = np.array([math.sin(dd) * math.cos(dip), math.cos(dd) * math.cos(dip),
                              -math.sin(dip)])
        normal = np.cross(self.down, self.along)
        self.normal = normal if normal[2] > 0 else -normal
        self.origin = np.asarray(spec.top_centre, dtype=np.float64)
        pad = 4 * _LATTICE_M
        self.u = np.arange(-spec.length_m / 2 - pad, spec.length_m / 2 + pad + 1e-9, _LATTICE_M)
        self.v = np.arange(-pad, spec.depth_extent_m + pad + 1e-9, _LATTICE_M)
        uu, vv = np.meshgrid(self.u, self.v, indexing="ij")
        # shoots: anisotropic distance in the vein plane, long axis at the rake
        r = math.radians(spec.shoot_rake_deg)
        a = (uu * math.cos(r) + vv * math.sin(r)) / spec.range_along_m
        b = (-uu * math.sin(r) + vv * math.cos(r)) / spec.range_across_m
        shoot = np.stack([a.ravel(), b.ravel()], axis=1)
        iso = np.stack([uu.ravel(), vv.ravel()], axis=1) / spec.range_along_m
        n = spec.n_features
        f_au = _gaussian_field(shoot, n, rng)
        f_ag = spec.ag_au_corr * f_au + math.sqrt(1 - spec.ag_au_corr**2) * _gaussian_field(
            shoot, n, rng)
        f_t = _gaussian_field(iso, n, rng)
        f_c = _gaussian_field(iso, n, rng)
        shape = uu.shape
        self.au = _lognormal(f_au, spec.au_mean_gpt, spec.au_log_sd).reshape(shape)
        self.ag = _lognormal(f_ag, spec.ag_mean_gpt, spec.ag_log_sd).reshape(shape)
        edge = np.minimum.reduce([uu + spec.length_m / 2, spec.length_m / 2 - uu, vv,
                                  spec.depth_extent_m - vv])
        taper = np.clip(edge / spec.taper_m, 0.0, 1.0) if spec.taper_m > 0 else (edge >= 0) * 1.0
        self.thick = _lognormal(f_t, spec.thickness_m, spec.thickness_log_sd).reshape(shape) * taper
        self.mid = (spec.undulation_m * f_c).reshape(shape)

    def local(self, xyz: np.ndarray) -> np.ndarray:
        d = xyz - self.origin
        return np.stack([d @ self.along, d @ self.down, d @ self.normal], axis=1)

    def _interp(self, field: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        fu = np.clip((u - self.u[0]) / _LATTICE_M, 0, len(self.u) - 1 - 1e-9)
        fv = np.clip((v - self.v[0]) / _LATTICE_M, 0, len(self.v) - 1 - 1e-9)
        i, j = fu.astype(np.int64), fv.astype(np.int64)
        tu, tv = fu - i, fv - j
        return ((1 - tu) * (1 - tv) * field[i, j] + tu * (1 - tv) * field[i + 1, j]
                + (1 - tu) * tv * field[i, j + 1] + tu * tv * field[i + 1, j + 1])

    def at(self, xyz: np.ndarray) -> dict[str, np.ndarray]:
        s = self.spec
        loc = self.local(xyz)
        u, v, w = loc.T
        inside = (np.abs(u) <= s.length_m / 2) & (v >= 0) & (v <= s.depth_extent_m)
        t = self._interp(self.thick, u, v)
        c = self._interp(self.mid, u, v)
        vein = inside & (np.abs(w - c) <= t / 2) & (t > 0)
        au = np.where(vein, self._interp(self.au, u, v), s.host_au_gpt)
        ag = np.where(vein, self._interp(self.ag, u, v), s.host_ag_gpt)
        rho = np.where(vein, s.vein_density_tpm3, s.host_density_tpm3)
        return {"in_vein": vein, "Au_gpt": au, "Ag_gpt": ag, "density_tpm3": rho}

    def mid_point(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """World coordinates of the vein's mid-surface at (u, v)."""
        c = self._interp(self.mid, u, v)
        return (self.origin + u[:, None] * self.along + v[:, None] * self.down
                + c[:, None] * self.normal)


def _gaussian_field(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A standard Gaussian field with covariance exp(−3|h|) (practical range 1) at ``points``
    (m, d), by ``n`` random Fourier features."""
    d = points.shape[1]
    # spectral density of exp(-|h|/ell) is a multivariate t with 1 degree of freedom, scale 1/ell
    ell = 1.0 / 3.0
    g = rng.standard_normal((n, d))
    chi = rng.chisquare(1.0, size=(n, 1))
    omega = g / np.sqrt(chi) / ell
    phase = rng.uniform(0, 2 * np.pi, n)
    out = np.empty(len(points))
    for lo in range(0, len(points), 20_000):
        p = points[lo:lo + 20_000]
        out[lo:lo + 20_000] = np.cos(p @ omega.T + phase).sum(axis=1)
    out *= math.sqrt(2.0 / n)
    # standardise to the lattice's own mean and spread, so the stated means hold on the vein
    return (out - out.mean()) / out.std()


def _lognormal(f: np.ndarray, mean: float, log_sd: float) -> np.ndarray:
    return np.exp(math.log(mean) - log_sd**2 / 2 + log_sd * f)


def generate_vein(spec: VeinSpec = VeinSpec(), seed: int = 20261127) -> VeinDeposit:
    """Generate the vein and its drill holes (see the module's documentation)."""
    rng = np.random.default_rng(seed)
    truth = _Truth(spec, rng)
    su = np.arange(-spec.length_m / 2 + spec.spacing_m / 2, spec.length_m / 2, spec.spacing_m)
    sv = np.arange(spec.spacing_m / 2, spec.depth_extent_m, spec.spacing_m)
    pu, pv = (a.ravel() for a in np.meshgrid(su, sv, indexing="ij"))
    pu = pu + rng.uniform(-spec.jitter_m, spec.jitter_m, pu.size)
    pv = pv + rng.uniform(-spec.jitter_m, spec.jitter_m, pv.size)
    pierce = truth.mid_point(pu, pv)
    az = (spec.strike_deg - 90.0) % 360.0
    dip = math.radians(spec.hole_dip_deg)
    direction = np.array([math.sin(math.radians(az)) * math.cos(dip),
                          math.cos(math.radians(az)) * math.cos(dip), math.sin(dip)])
    to_pierce = (spec.surface_z - pierce[:, 2]) / -direction[2]
    collar = pierce - to_pierce[:, None] * direction
    depth = np.ceil(to_pierce + spec.past_vein_m + spec.thickness_m * 2)
    holes = [f"DH{i + 1:03d}" for i in range(len(pu))]
    collars = pd.DataFrame({"hole_id": holes, "x": np.round(collar[:, 0], 2),
                            "y": np.round(collar[:, 1], 2), "z": np.round(collar[:, 2], 2)})
    surveys = pd.DataFrame({"hole_id": np.repeat(holes, 2),
                            "depth": np.column_stack([np.zeros(len(holes)), depth]).ravel(),
                            "azimuth": az, "dip": spec.hole_dip_deg})
    rows = []
    start = np.maximum(0.0, np.floor(to_pierce - spec.sampled_from_m))
    for h, s0, end, c in zip(holes, start, depth, collars[["x", "y", "z"]].to_numpy()):
        frm = np.arange(s0, end - 1e-9, spec.sample_m)
        to = np.minimum(frm + spec.sample_m, end)
        fractions = (np.arange(5) + 0.5) / 5
        at = frm[:, None] + (to - frm)[:, None] * fractions[None, :]
        pts = c + at.reshape(-1, 1) * direction
        t = truth.at(pts)
        au = t["Au_gpt"].reshape(-1, 5).mean(axis=1)
        ag = t["Ag_gpt"].reshape(-1, 5).mean(axis=1)
        err = rng.lognormal(-spec.sampling_log_sd**2 / 2, spec.sampling_log_sd, (2, len(frm)))
        rows.append(pd.DataFrame({"hole_id": h, "from": frm, "to": to,
                                  "Au_gpt": np.round(au * err[0], 2),
                                  "Ag_gpt": np.round(ag * err[1], 2)}))
    assays = pd.concat(rows, ignore_index=True)
    return VeinDeposit(spec, seed, collars, surveys, assays, truth)


def true_blocks(deposit: VeinDeposit, grid, *, n: int = 4, chunk: int = 50_000) -> pd.DataFrame:
    """The truth on a block grid: per block ``vein_fraction``, ``true_Au_gpt``,
    ``true_Ag_gpt`` (mass-weighted means over the block, host rock included) and
    ``density_tpm3`` (mean), from ``n³`` points per block."""
    offsets = grid.discretisation_offsets((n, n, n))
    nb = grid.n_blocks
    out = {k: np.empty(nb) for k in ("vein_fraction", "true_Au_gpt", "true_Ag_gpt",
                                     "density_tpm3")}
    for lo in range(0, nb, chunk):
        idx = np.arange(lo, min(nb, lo + chunk))
        local = grid.local_centroids(idx)[:, None, :] + offsets[None, :, :]
        pts = grid.to_world(local.reshape(-1, 3))
        t = deposit.truth.at(pts)
        rho = t["density_tpm3"].reshape(len(idx), -1)
        mass = rho.sum(axis=1)
        out["vein_fraction"][idx] = t["in_vein"].reshape(len(idx), -1).mean(axis=1)
        out["true_Au_gpt"][idx] = (t["Au_gpt"].reshape(len(idx), -1) * rho).sum(axis=1) / mass
        out["true_Ag_gpt"][idx] = (t["Ag_gpt"].reshape(len(idx), -1) * rho).sum(axis=1) / mass
        out["density_tpm3"][idx] = rho.mean(axis=1)
    return pd.DataFrame(out)


def write_vein(deposit: VeinDeposit, folder: str | Path) -> list[Path]:
    """Write ``collar.csv``, ``survey.csv``, ``assay.csv`` and ``vein.toml`` (the spec and
    seed that regenerate the truth) into ``folder``."""
    import tomli_w

    from orebook.io.writing import write_table, write_text_atomic

    folder = Path(folder)
    paths = [write_table(deposit.collars, folder / "collar.csv"),
             write_table(deposit.surveys, folder / "survey.csv"),
             write_table(deposit.assays, folder / "assay.csv")]
    spec = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(deposit.spec).items()}
    paths.append(write_text_atomic(folder / "vein.toml",
                                   tomli_w.dumps({"seed": deposit.seed, "spec": spec})))
    return paths
