"""Neighbourhood search: the samples each target may use, in an anisotropic search ellipsoid.

The rules (GSLIB ``kt3d`` / ``srchsupr`` where GSLIB has one):

- **Ellipsoid.** A sample is in the neighbourhood of a target when its anisotropic distance
  ``‖diag(1/r_major, 1/r_semi, 1/r_minor) · R · (sample − target)‖ ≤ 1``, with R the rotation of
  the GSLIB angles (:func:`orebook.geostats.models.rotation_matrix`: ang1 azimuth of the major
  axis clockwise from north, ang2 its dip, negative downwards, ang3 the rotation about it). The
  distances reported are these anisotropic distances (1 = on the ellipsoid).
- **Order.** Nearest first by anisotropic distance; exact ties are broken by the samples'
  coordinates (x, then y, then z, then the input order for samples at the same place), so that a
  permutation of the samples changes nothing. A tie is an exact equality of the computed
  distances: two distances equal in theory (the two neighbours of a sample on an evenly spaced
  hole) may differ in their last bit, and then the rounding decides, always the same way.
- **Selection.** The samples are taken in that order, each kept when it breaks no limit, until
  ``max_samples`` are kept: at most ``max_per_octant`` per octant (GSLIB ``noct``: 8 · noct at
  most in all) and at most ``max_per_hole`` per drill hole; a sample skipped by a limit does not
  count towards the others. With only an octant limit this is exactly GSLIB's choice (the
  nearest ``noct`` of each octant, then the nearest ``ndmax`` of those).
- **Octants.** Split by the signs of the separation ``sample − target`` as in GSLIB
  ``srchsupr``, with its ties: upper octants for Δz ≥ 0, then quadrants 1 (Δx ≤ 0, Δy > 0),
  2 (Δx > 0, Δy ≥ 0), 3 (Δx < 0, Δy ≤ 0), 4 (the rest: Δx ≥ 0, Δy < 0, and Δx = Δy = 0).
  GSLIB takes Δx, Δy, Δz along east, north and up whatever the search angles
  (``octant_frame="world"``); by default orebook takes them in the ellipsoid's own frame
  (``octant_frame="ellipsoid"``: Δy along the major axis, Δx along minus the semi-major axis,
  Δz along the minor axis), which is the world frame when every angle is 0.
- **Minimum.** A target with fewer than ``min_samples`` samples is not estimated: its count is 0
  and its reason :data:`TOO_FEW_SAMPLES` (``found`` keeps how many there were).
- **Domains.** Hard boundaries: with ``target_domain``, a target uses only the samples of its own
  domain code. Soft boundaries: ``allowed[d]`` lists every sample domain that a target of domain
  d may use (its own included when wanted); a domain that is not a key of ``allowed`` keeps a
  hard boundary. Codes are compared as text (1, 1.0 and "1" are one code); a missing code (None,
  NaN, "") is a domain of its own that no target may use. A target whose domain offers no sample
  at all has the reason :data:`NO_SAMPLES`.
- **Cross-validation.** ``exclude[i]`` (a sample index, −1 for none) leaves one sample out of the
  neighbourhood of target i (leave-one-out: targets = the samples, ``exclude = arange(n)``).
  ``exclude_hole[i]`` (a hole id of the kind given to :meth:`Neighbourhood.build`) leaves out every
  sample of that hole (leave-one-hole-out: ``exclude_hole = hole``). GSLIB ``kt3d`` instead drops
  samples at the target's location, and does it after its octant selection; orebook leaves the
  samples out before any selection.

Search passes with growing ellipsoids are queries with several :class:`SearchParams` on the same
:class:`Neighbourhood`: the search structures of one ellipsoid are cached, so querying again only
the targets a pass left unestimated costs only those targets::

    nb = Neighbourhood.build(xyz, hole=hole_id)
    first = nb.query(blocks, SearchParams((50, 50, 20), min_samples=4))
    left = np.flatnonzero(first.reason != OK)
    second = nb.query(blocks[left], SearchParams((100, 100, 40), min_samples=4))

How it works: the samples are rotated and scaled once per ellipsoid into its frame (where it is
a sphere of radius ``r_major``) and sorted into cubic cells. The targets are sorted into cubic
tiles of about 32; a numba kernel, on numba's number of threads, takes a tile at a time: it
finds the k nearest samples of the tile's centre (k = ``max_samples``, + 1 with ``exclude``),
which bound the k-th distance of every target of the tile, gathers the samples within that
bound once, and for each target counting-sorts the samples within its own bound and selects
from them in order. With an octant or hole limit or ``exclude_hole`` a sample may be skipped, so
the k nearest do not suffice: a target whose selection is not full from the samples within its
bound (for 2 k) is selected again from every sample of the ellipsoid, as GSLIB does, which makes
such a search two to three times slower. The answer is exactly that of the rules above either
way. Targets are processed in chunks, so the working memory is bounded by the chunk; the result
holds (m, max_samples) arrays, so query a model of millions of blocks in chunks
(:meth:`Neighbourhood.iter_query`). The search structures (a few arrays of n) are cached for the
last 16 ellipsoids and sample-domain sets; a Neighbourhood is not meant to be queried from
several threads at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit

from orebook.errors import ParameterError
from orebook.geostats.models import rotation_matrix

__all__ = [
    "NO_SAMPLES",
    "OCTANT_FRAMES",
    "OK",
    "REASONS",
    "TOO_FEW_SAMPLES",
    "Neighbourhood",
    "Neighbours",
    "SearchParams",
]

OK = 0
TOO_FEW_SAMPLES = 1
NO_SAMPLES = 2
REASONS = {
    OK: "estimated",
    TOO_FEW_SAMPLES: "fewer samples than min_samples in the search ellipsoid",
    NO_SAMPLES: "no sample of a domain the target may use",
}
"""Reason codes of :attr:`Neighbours.reason`."""

OCTANT_FRAMES = ("ellipsoid", "world")

_CHUNK = 131072  # targets per kernel call
_TARGETS_PER_TILE = 32  # targets are searched in cubic tiles of about this many
_MAX_TILE = 0.5  # tile edge, at most, as a fraction of the major radius
_POINTS_PER_CELL = 2.0
_MAX_OFFSET = 12  # cells along the search radius, at most
_SHELLS = 64  # distance classes of a tile's samples
_BUCKETS = 64  # distance² classes of a target's candidates
_MARGIN = 1e-9  # relative margin of the cell pruning (cell bounds are rounded)
_MAX_CACHE = 16


# ------------------------------------------------------------------------------------------
# parameters


def _numbers(name: str, value: object, n: int) -> tuple[float, ...]:
    try:
        items = tuple(float(v) for v in value)  # type: ignore[union-attr]
        if len(items) != n:
            raise TypeError
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be {n} numbers, got {value!r}") from None
    if not all(np.isfinite(items)):
        raise ParameterError(f"{name} must be finite, got {value!r}")
    return items


def _count(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be an integer ≥ {low}, got {value!r}")
    if value < low:
        raise ParameterError(f"{name} must be an integer ≥ {low}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SearchParams:
    """One search ellipsoid and its limits.

    Parameters
    ----------
    radii : (major, semi-major, minor) radii of the ellipsoid, m, > 0.
    angles : GSLIB ang1, ang2, ang3 of the ellipsoid, degrees (as for variogram structures).
    min_samples : fewer samples than this: not estimated (GSLIB ``ndmin``), ≥ 0. Default 1.
    max_samples : nearest samples kept, at most (GSLIB ``ndmax``), ≥ 1. Default 32.
    max_per_octant : samples kept per octant, at most; 0 = no limit (GSLIB ``noct``).
    max_per_hole : samples kept per drill hole, at most; 0 = no limit.
    octant_frame : ``"ellipsoid"`` (octants of the ellipsoid's axes, default) or ``"world"``
        (octants of east, north, up, whatever the angles: GSLIB ``kt3d``).

    >>> SearchParams((150, 100, 20), (45, 0, 0), max_samples=16).max_samples
    16
    """

    radii: tuple[float, float, float]
    angles: tuple[float, float, float] = (0.0, 0.0, 0.0)
    min_samples: int = 1
    max_samples: int = 32
    max_per_octant: int = 0
    max_per_hole: int = 0
    octant_frame: str = "ellipsoid"

    def __post_init__(self) -> None:
        radii = _numbers("search radii", self.radii, 3)
        if min(radii) <= 0:
            raise ParameterError(f"search radii must be > 0 m, got {self.radii!r}")
        object.__setattr__(self, "radii", radii)
        object.__setattr__(self, "angles", _numbers("search angles", self.angles, 3))
        object.__setattr__(self, "min_samples", _count("min_samples", self.min_samples, 0))
        object.__setattr__(self, "max_samples", _count("max_samples", self.max_samples, 1))
        object.__setattr__(self, "max_per_octant",
                           _count("max_per_octant", self.max_per_octant, 0))
        object.__setattr__(self, "max_per_hole", _count("max_per_hole", self.max_per_hole, 0))
        if self.min_samples > self.max_samples:
            raise ParameterError(f"min_samples ({self.min_samples}) must not exceed "
                                 f"max_samples ({self.max_samples})")
        if self.octant_frame not in OCTANT_FRAMES:
            raise ParameterError(f"octant_frame must be one of {', '.join(OCTANT_FRAMES)}, "
                                 f"got {self.octant_frame!r}")

    @property
    def transform(self) -> np.ndarray:
        """(3, 3) matrix taking a separation (x, y, z, m) into the ellipsoid's frame scaled to
        a sphere of radius ``radii[0]``: rows R_major, R_semi · r_major / r_semi,
        R_minor · r_major / r_minor. Entries below 1e-15 (sines and cosines of multiples of
        90°) are set to 0, so that axis-aligned ellipsoids are exact."""
        r = rotation_matrix(*self.angles)
        r[np.abs(r) < 1e-15] = 0.0
        return r * (self.radii[0] / np.asarray(self.radii))[:, None]


# ------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Neighbours:
    """The neighbourhood of each of m targets.

    index : (m, max_samples) int64 sample indices (rows of the coordinates given to
        :meth:`Neighbourhood.build`), nearest first, padded with −1.
    count : (m,) int64 number of samples used; 0 when fewer than ``min_samples`` were found.
    distance : (m, max_samples) anisotropic distances (1 = on the ellipsoid), NaN padded.
    reason : (m,) int8, :data:`OK`, :data:`TOO_FEW_SAMPLES` or :data:`NO_SAMPLES`.
    found : (m,) int64 samples selected before the ``min_samples`` rule.
    holes : (m,) int64 distinct drill holes among the samples used; −1 when the neighbourhood
        has no hole ids.
    octants : (m,) int64 octants (of ``octant_frame``) holding at least one sample used.
    mean_distance_m : (m,) mean Euclidean distance of the samples used, m; NaN when none.
    """

    index: np.ndarray
    count: np.ndarray
    distance: np.ndarray
    reason: np.ndarray
    found: np.ndarray
    holes: np.ndarray
    octants: np.ndarray
    mean_distance_m: np.ndarray

    def __len__(self) -> int:
        return len(self.count)

    @property
    def estimated(self) -> np.ndarray:
        """(m,) bool: the targets with enough samples."""
        return self.reason == OK

    def subset(self, rows: np.ndarray | slice) -> Neighbours:
        """The neighbourhoods of some targets (rows: indices, a boolean mask or a slice)."""
        return Neighbours(**{f: getattr(self, f)[rows] for f in self.__dataclass_fields__})


# ------------------------------------------------------------------------------------------
# the neighbourhood


def _labels(values: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """Codes 0.. of the distinct values and the text of each (None for a missing value)."""
    values = np.asarray(values)
    if values.dtype == object:
        text = np.array(["" if _missing(v) else _text(v) for v in values.tolist()])
        uniq, inv = np.unique(text, return_inverse=True)
        names = [None if u == "" else str(u) for u in uniq.tolist()]
        return inv.astype(np.int64), names
    uniq, inv = np.unique(values, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), [None if _missing(u) else _text(u)
                                              for u in uniq.tolist()]


def _missing(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return isinstance(v, (str, np.str_)) and v == ""


def _text(v: object) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode()
    return str(v)


def _coords(name: str, value: object) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ParameterError(f"{name} must be an (n, 3) array of x, y, z (m), got shape "
                             f"{a.shape}")
    if not np.isfinite(a).all():
        row = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise ParameterError(f"{name} must be finite; row {row} is {a[row].tolist()}")
    return a


def _per_row(name: str, value: object, n: int) -> np.ndarray:
    a = np.asarray(value)
    if a.shape != (n,):
        raise ParameterError(f"{name} must have one value per row ({n},), got shape {a.shape}")
    return a


class _Grid:
    """Samples (a subset) in the frame of one ellipsoid, sorted into cubic cells."""

    def __init__(self, pos: np.ndarray, members: np.ndarray, r0: float) -> None:
        self.all_pos = pos  # every sample, by internal index
        p = pos[members]
        n = len(members)
        lo = p.min(axis=0)
        ext = p.max(axis=0) - lo
        # cubic cells: about _POINTS_PER_CELL samples per cell, at most _MAX_OFFSET cells
        # across the radius, at most 4 n + 4096 cells in all
        floor = r0 / _MAX_OFFSET
        vol = np.prod(np.maximum(ext, floor))
        cell = max(float(np.cbrt(vol * _POINTS_PER_CELL / n)), floor)
        while True:
            dims = np.floor(ext / cell).astype(np.int64) + 1
            if np.prod(dims.astype(float)) <= 4 * n + 4096:
                break
            cell *= 1.25
        ijk = np.floor((p - lo) / cell).astype(np.int64)
        ijk = np.minimum(ijk, dims - 1)
        key = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
        order = np.argsort(key, kind="stable")
        self.sub = np.ascontiguousarray(members[order])  # grid position -> sample (internal)
        self.pos = np.ascontiguousarray(p[order])
        counts = np.bincount(key, minlength=int(np.prod(dims)))
        self.start = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.start[1:])
        self.lo = lo
        self.cell = cell
        self.dims = dims
        self.hi = lo + dims * cell
        # cell offsets whose nearest point can be within r0 of a tile, nearest first
        reach = r0 * (1.0 + _MAX_TILE * np.sqrt(3.0))
        k = int(np.floor(reach / cell)) + 1
        r = np.arange(-k, k + 1)
        off = np.stack(np.meshgrid(r, r, r, indexing="ij"), axis=-1).reshape(-1, 3)
        gap = np.maximum(np.abs(off) - 1, 0) * cell
        lb = (gap * gap).sum(axis=1)
        keep = lb <= reach * reach * (1 + 4 * _MARGIN)
        off, lb = off[keep], lb[keep]
        o = np.argsort(lb, kind="stable")
        self.offsets = np.ascontiguousarray(off[o])
        self.offset_lb = np.ascontiguousarray(lb[o])


class Neighbourhood:
    """Samples ready to be searched; build with :meth:`Neighbourhood.build`.

    >>> nb = Neighbourhood.build([[0, 0, 0], [10, 0, 0], [0, 30, 0]])
    >>> res = nb.query([[1, 0, 0]], SearchParams((20, 20, 20), max_samples=4))
    >>> res.index[0].tolist(), res.count.tolist()
    ([0, 1, -1, -1], [2])
    """

    def __init__(self, coords: np.ndarray, order: np.ndarray, hole_codes: np.ndarray,
                 hole_names: list | None, domain_codes: np.ndarray | None,
                 domain_names: list | None) -> None:
        # internal order: samples sorted by x, y, z, then input order (the tie-break)
        self.coords = coords
        self.n = len(coords)
        self._order = order  # internal -> input row
        self._rank = np.empty_like(order)
        self._rank[order] = np.arange(self.n)  # input row -> internal
        self._centre = 0.5 * (coords.min(axis=0) + coords.max(axis=0))
        self._world = np.ascontiguousarray(coords[order] - self._centre)
        self._hole = np.ascontiguousarray(hole_codes[order])
        self._hole_names = hole_names
        self._domain = None if domain_codes is None else domain_codes[order]
        self._domain_names = domain_names
        # search structures of the ellipsoids queried last (passes query again)
        self._positions: dict = {}
        self._grids: dict = {}

    @classmethod
    def build(cls, coords: object, hole: object | None = None,
              domain: object | None = None) -> Neighbourhood:
        """Prepare samples for searching.

        Parameters
        ----------
        coords : (n, 3) x, y, z of the samples, m.
        hole : (n,) drill-hole id of each sample (any type), or None. Needed for
            ``max_per_hole``, ``exclude_hole`` and the ``holes`` output.
        domain : (n,) domain code of each sample (any type; compared as text), or None.
            Needed for ``target_domain``.
        """
        xyz = _coords("sample coordinates", coords)
        n = len(xyz)
        if n == 0:
            raise ParameterError("a neighbourhood needs at least one sample, got 0")
        order = np.lexsort((np.arange(n), xyz[:, 2], xyz[:, 1], xyz[:, 0])).astype(np.int64)
        if hole is None:
            hcodes = np.full(n, -1, dtype=np.int64)
            hnames = None
        else:
            h = _per_row("hole", hole, n)
            hcodes, hnames = _labels(h)
            if any(name is None for name in hnames):
                raise ParameterError("hole ids must not be missing (None, NaN or '')")
        if domain is None:
            dcodes = dnames = None
        else:
            dcodes, dnames = _labels(_per_row("domain", domain, n))
        return cls(xyz, order, hcodes, hnames, dcodes, dnames)

    # -- the search structures of one ellipsoid and one set of sample domains, cached
    def _grid(self, params: SearchParams, domains: tuple[int, ...] | None) -> _Grid | None:
        pos_key = (params.radii, params.angles)
        key = (pos_key, domains)
        if key in self._grids:
            return self._grids[key]
        pos = self._positions.get(pos_key)
        if pos is None:
            pos = _transform(self._world, params.transform)
            _remember(self._positions, pos_key, pos)
        if domains is None:
            members = np.arange(self.n, dtype=np.int64)
        else:
            members = np.flatnonzero(np.isin(self._domain, domains)).astype(np.int64)
        grid = _Grid(pos, members, params.radii[0]) if len(members) else None
        _remember(self._grids, key, grid)
        return grid

    def query(self, targets: object, params: SearchParams, *,
              target_domain: object | None = None,
              allowed: Mapping[str, Sequence[str]] | None = None,
              exclude: object | None = None, exclude_hole: object | None = None,
              chunk_size: int = _CHUNK) -> Neighbours:
        """The neighbourhood of each target; see the module docstring for the rules.

        Parameters
        ----------
        targets : (m, 3) x, y, z of the targets, m.
        params : the search ellipsoid and its limits.
        target_domain : (m,) domain code of each target, or None (every sample may be used).
        allowed : soft boundaries: target domain -> the sample domains it may use. Needs
            ``target_domain``; a domain that is not a key keeps a hard boundary.
        exclude : (m,) sample index left out per target, −1 for none (leave-one-out).
        exclude_hole : (m,) hole id whose samples are left out per target (leave-one-hole-out);
            an id no sample has leaves nothing out.
        chunk_size : targets per kernel call (bounds the working memory).
        """
        if not isinstance(params, SearchParams):
            raise ParameterError(f"params must be a SearchParams, got {type(params).__name__}")
        xyz = _coords("target coordinates", targets)
        m = len(xyz)
        excl = np.full(m, -1, dtype=np.int64)
        if exclude is not None:
            e = _per_row("exclude", exclude, m)
            if not np.issubdtype(e.dtype, np.integer):
                raise ParameterError(f"exclude must hold sample indices (integers), got "
                                     f"{e.dtype}")
            if len(e) and (e.min() < -1 or e.max() >= self.n):
                raise ParameterError(f"exclude must hold sample indices in [0, {self.n}) or "
                                     f"−1, got values in [{e.min()}, {e.max()}]")
            excl = np.where(e >= 0, self._rank[np.maximum(e, 0)], -1).astype(np.int64)
        excl_hole = np.full(m, -1, dtype=np.int64)
        if exclude_hole is not None:
            excl_hole = self._hole_codes_of(_per_row("exclude_hole", exclude_hole, m))
        if params.max_per_hole > 0 and self._hole_names is None:
            raise ParameterError("max_per_hole needs hole ids: give hole= to "
                                 "Neighbourhood.build")
        chunk = _count("chunk_size", chunk_size, 1)

        out = Neighbours(index=np.empty((m, params.max_samples), dtype=np.int64),
                         count=np.empty(m, dtype=np.int64),
                         distance=np.empty((m, params.max_samples)),
                         reason=np.empty(m, dtype=np.int8),
                         found=np.empty(m, dtype=np.int64),
                         holes=np.empty(m, dtype=np.int64),
                         octants=np.empty(m, dtype=np.int64),
                         mean_distance_m=np.empty(m))  # every row is written once
        for rows, domains in self._groups(m, target_domain, allowed):
            grid = self._grid(params, domains)
            if grid is None:
                self._unsearched(out, rows, NO_SAMPLES)
                continue
            for a in range(0, len(rows), chunk):
                self._search(grid, params, xyz, rows[a:a + chunk], excl, excl_hole, out)
        return out

    def iter_query(self, targets: object, params: SearchParams, *, chunk_size: int = 100_000,
                   target_domain: object | None = None,
                   allowed: Mapping[str, Sequence[str]] | None = None,
                   exclude: object | None = None, exclude_hole: object | None = None,
                   ) -> Iterator[tuple[slice, Neighbours]]:
        """:meth:`query` of ``chunk_size`` targets at a time: yields (rows, neighbours), so
        that a model of millions of blocks needs the memory of one chunk."""
        xyz = _coords("target coordinates", targets)
        m = len(xyz)
        per_row = {"target_domain": target_domain, "exclude": exclude,
                   "exclude_hole": exclude_hole}
        per_row = {k: None if v is None else _per_row(k, v, m) for k, v in per_row.items()}
        step = _count("chunk_size", chunk_size, 1)
        for a in range(0, m, step):
            rows = slice(a, min(a + step, m))
            yield rows, self.query(xyz[rows], params, allowed=allowed,
                                   **{k: None if v is None else v[rows]
                                      for k, v in per_row.items()})

    # -- helpers
    def _hole_codes_of(self, ids: np.ndarray) -> np.ndarray:
        if self._hole_names is None:
            raise ParameterError("exclude_hole needs hole ids: give hole= to "
                                 "Neighbourhood.build")
        codes, names = _labels(ids)
        lookup = {name: i for i, name in enumerate(self._hole_names)}
        table = np.array([lookup.get(name, -1) if name is not None else -1 for name in names],
                         dtype=np.int64)
        return table[codes]

    def _groups(self, m: int, target_domain: object | None,
                allowed: Mapping[str, Sequence[str]] | None):
        """(target rows, sample domain codes or None) for each group of targets that may use
        the same samples."""
        if target_domain is None:
            if allowed is not None:
                raise ParameterError("allowed (soft domain boundaries) needs target_domain")
            yield np.arange(m, dtype=np.int64), None
            return
        if self._domain_names is None:
            raise ParameterError("target_domain needs sample domains: give domain= to "
                                 "Neighbourhood.build")
        tcodes, tnames = _labels(_per_row("target_domain", target_domain, m))
        lookup = {name: i for i, name in enumerate(self._domain_names) if name is not None}
        soft = {}
        if allowed is not None:
            if not isinstance(allowed, Mapping):
                raise ParameterError(f"allowed must map a target domain to a list of sample "
                                     f"domains, got {type(allowed).__name__}")
            for key, values in allowed.items():
                if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                    raise ParameterError(f"allowed[{key!r}] must be a list of sample domains, "
                                         f"got {values!r}")
                soft[_text(key)] = [_text(v) for v in values]
        order = np.argsort(tcodes, kind="stable")
        bounds = np.searchsorted(tcodes[order], np.arange(len(tnames) + 1))
        for c, name in enumerate(tnames):
            rows = order[bounds[c]:bounds[c + 1]].astype(np.int64)
            if len(rows) == 0:
                continue
            if name is None:
                yield rows, ()
                continue
            names = soft.get(name, [name])
            yield rows, tuple(sorted({lookup[d] for d in names if d in lookup}))

    def _unsearched(self, out: Neighbours, rows: np.ndarray, reason: int) -> None:
        """Rows with no sample: what the kernel writes when it finds none."""
        out.index[rows] = -1
        out.distance[rows] = np.nan
        out.count[rows] = 0
        out.found[rows] = 0
        out.reason[rows] = reason
        out.holes[rows] = 0 if self._hole_names is not None else -1
        out.octants[rows] = 0
        out.mean_distance_m[rows] = np.nan

    def _search(self, grid: _Grid, params: SearchParams, xyz: np.ndarray, rows: np.ndarray,
                excl: np.ndarray, excl_hole: np.ndarray, out: Neighbours) -> None:
        tw = np.ascontiguousarray(xyz[rows] - self._centre)
        tp = _transform(tw, params.transform)
        r0 = params.radii[0]
        # targets farther than the radius from the samples' box find nothing
        gap = np.maximum(np.maximum(grid.lo - tp, tp - grid.hi), 0.0)
        is_near = (gap * gap).sum(axis=1) <= r0 * r0 * (1 + _MARGIN)
        self._unsearched(out, rows[~is_near], TOO_FEW_SAMPLES if params.min_samples else OK)
        near = np.flatnonzero(is_near)
        if len(near) == 0:
            return
        # the k nearest suffice, unless limits may skip samples
        scan_all = (params.max_per_octant > 0 or params.max_per_hole > 0
                    or bool((excl_hole[rows] >= 0).any()))
        k = params.max_samples + int(bool((excl[rows] >= 0).any()))
        k = min(2 * k if scan_all else k, len(grid.sub))
        # targets sorted into cubic tiles of about _TARGETS_PER_TILE
        p = tp[near]
        lo = p.min(axis=0)
        ext = p.max(axis=0) - lo
        floor = r0 / 16
        vol = np.prod(np.maximum(ext, floor))
        tile = float(np.clip(np.cbrt(vol * _TARGETS_PER_TILE / len(p)), floor, _MAX_TILE * r0))
        ijk = np.floor((p - lo) / tile).astype(np.int64)
        span = ijk.max(axis=0) + 1
        if np.prod(span.astype(float)) < 2.0**62:
            key = (ijk[:, 0] * span[1] + ijk[:, 1]) * span[2] + ijk[:, 2]
            perm = np.argsort(key, kind="stable")
            skey = key[perm]
            first = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
        else:  # too many tiles for one integer key
            perm = np.lexsort((ijk[:, 2], ijk[:, 1], ijk[:, 0]))
            sk = ijk[perm]
            first = np.flatnonzero(np.r_[True, (sk[1:] != sk[:-1]).any(axis=1)])
        tile_start = np.r_[first, len(perm)].astype(np.int64)
        sel = near[perm]
        _run_tiles(
            tile_start, rows[sel], np.ascontiguousarray(tp[sel]), np.ascontiguousarray(tw[sel]),
            grid.pos, grid.all_pos, self._world, grid.sub, self._order, grid.start, grid.lo,
            grid.cell, grid.dims, grid.offsets, grid.offset_lb, self._hole,
            self._hole_names is not None, excl, excl_hole, r0, k, scan_all, params.min_samples,
            params.max_samples, params.max_per_octant, params.max_per_hole,
            params.octant_frame == "world", out.index, out.distance, out.count, out.reason,
            out.found, out.holes, out.octants, out.mean_distance_m)


def _run_tiles(tile_start: np.ndarray, *args) -> None:
    """:func:`_search_tiles` over blocks of tiles, on numba's number of threads (the kernel
    releases the GIL; each block writes its own targets' rows)."""
    ntile = len(tile_start) - 1
    threads = numba.get_num_threads()
    nblock = min(ntile, 4 * threads) if threads > 1 else 1
    cuts = [ntile * j // nblock for j in range(nblock + 1)]
    if nblock <= 1:
        _search_tiles(0, ntile, tile_start, *args)
        return
    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(_search_tiles, cuts[j], cuts[j + 1], tile_start, *args)
                  for j in range(nblock)]:
            f.result()


def _remember(cache: dict, key: object, value: object) -> None:
    if len(cache) >= _MAX_CACHE:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _transform(xyz: np.ndarray, t: np.ndarray) -> np.ndarray:
    """xyz (n, 3) @ t.T, element by element (the same bits whatever the chunking)."""
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    out = np.empty_like(xyz)
    for a in range(3):
        out[:, a] = t[a, 0] * x + t[a, 1] * y + t[a, 2] * z
    return out


# ------------------------------------------------------------------------------------------
# numba kernel (flat arrays in, preallocated output)


@njit(cache=True, nogil=True)
def _octant(dx, dy, dz):
    """GSLIB srchsupr's octant of a separation, 0..7 (0..3 upper, dz ≥ 0)."""
    q = 3
    if dx <= 0.0 and dy > 0.0:
        q = 0
    elif dx > 0.0 and dy >= 0.0:
        q = 1
    elif dx < 0.0 and dy <= 0.0:
        q = 2
    if dz < 0.0:
        q += 4
    return q


@njit(cache=True, nogil=True)
def _gap(p, lo, b, size):
    """Distance from coordinate p to the cell interval [lo + b·size, lo + (b+1)·size]."""
    c0 = lo + b * size
    if p < c0:
        return c0 - p
    c1 = c0 + size
    if p > c1:
        return p - c1
    return 0.0


@njit(cache=True, nogil=True)
def _sift_down(hd, hi, start, size):
    """Max-heap by (distance², sample) from position start."""
    i = start
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        big = left
        right = left + 1
        if right < size and (hd[right] > hd[left]
                             or (hd[right] == hd[left] and hi[right] > hi[left])):
            big = right
        if hd[big] > hd[i] or (hd[big] == hd[i] and hi[big] > hi[i]):
            d = hd[i]
            s = hi[i]
            hd[i] = hd[big]
            hi[i] = hi[big]
            hd[big] = d
            hi[big] = s
            i = big
        else:
            return


@njit(cache=True, nogil=True)
def _heap_push(hd, hi, size, k, d2, s):
    """Offer (d2, s) to a max-heap of at most k; returns the new size."""
    if size < k:
        i = size
        hd[i] = d2
        hi[i] = s
        while i > 0:
            parent = (i - 1) // 2
            if hd[parent] < hd[i] or (hd[parent] == hd[i] and hi[parent] < hi[i]):
                d = hd[i]
                t = hi[i]
                hd[i] = hd[parent]
                hi[i] = hi[parent]
                hd[parent] = d
                hi[parent] = t
                i = parent
            else:
                break
        return size + 1
    if d2 < hd[0] or (d2 == hd[0] and s < hi[0]):
        hd[0] = d2
        hi[0] = s
        _sift_down(hd, hi, 0, size)
    return size




@njit(cache=True, nogil=True, error_model="numpy")
def _knn(x, y, z, bound, spos, sub, start, lo, cell, dims, offsets, offset_lb, k, hd, hs):
    """The k nearest grid samples within sqrt(bound) of (x, y, z) into the max-heap (hd, hs)
    of (distance², sample); returns the heap's size. Cells nearest first, pruned by their
    distance to the point."""
    slack = 1.0 + _MARGIN
    cx = int(np.floor((x - lo[0]) / cell))
    cy = int(np.floor((y - lo[1]) / cell))
    cz = int(np.floor((z - lo[2]) / cell))
    size = 0
    for o in range(offsets.shape[0]):
        if offset_lb[o] > bound * slack:
            break
        bx = cx + offsets[o, 0]
        by = cy + offsets[o, 1]
        bz = cz + offsets[o, 2]
        if bx < 0 or by < 0 or bz < 0 or bx >= dims[0] or by >= dims[1] or bz >= dims[2]:
            continue
        ex = _gap(x, lo[0], bx, cell)
        ey = _gap(y, lo[1], by, cell)
        ez = _gap(z, lo[2], bz, cell)
        if ex * ex + ey * ey + ez * ez > bound * slack:
            continue
        key = (bx * dims[1] + by) * dims[2] + bz
        for g in range(start[key], start[key + 1]):
            dx = spos[g, 0] - x
            dy = spos[g, 1] - y
            dz = spos[g, 2] - z
            d2 = dx * dx + dy * dy + dz * dz
            if d2 > bound:
                continue
            s = sub[g]
            if size == k and d2 == hd[0] and s > hs[0]:
                continue
            size = _heap_push(hd, hs, size, k, d2, s)
            if size == k:
                bound = hd[0]
    return size


@njit(cache=True, nogil=True, error_model="numpy")
def _search_tiles(t_first, t_last, tile_start, rows, tp, tw, spos, pos, sworld, sub, order,
                  start, lo, cell, dims, offsets, offset_lb, hole, has_holes, excl, excl_hole,
                  r0, k, scan_all, min_samples, max_samples, noct, max_hole, octant_world,
                  out_index, out_dist, out_count, out_reason, out_found, out_holes, out_octants,
                  out_mean):
    """Search the tiles t_first … t_last − 1, of targets ``tile_start[t]:tile_start[t+1]``.

    ``rows``: the targets' rows in the output; ``tp``: their coordinates in the ellipsoid's
    frame (a sphere of radius r0); ``tw``: in the world frame (centred). Grid position g holds
    sample ``sub[g]`` (internal index: the tie-break) at ``spos[g]``; ``pos`` and ``sworld``
    hold every sample by internal index; ``order`` maps internal indices to input rows.

    The k nearest samples of the tile's centre c bound the k-th distance of each target t by
    d_k(c) + |t − c| (and by the previous target's k-th distance + the step from it), capped
    at r0. Without ``scan_all``, only the k nearest samples can be selected (k = max_samples,
    + 1 with an exclusion): the samples within the largest bound + the tile's radius of c are
    gathered once into distance shells from c; each target scans the shells until
    |p − c| − |t − c| exceeds its bound, sorts the samples within its bound (a counting sort on
    distance², then an insertion sort that only orders each bucket) and selects in that order.
    With ``scan_all`` (limits that may skip samples) every sample within r0 + the tile's radius
    is gathered; a target whose selection is not full with the samples within its bound (a
    guess: k is then 2 · max_samples) is selected again from every sample within r0.
    """
    r2 = r0 * r0
    inv_r0 = 1.0 / r0
    slack = 1.0 + _MARGIN
    cd = np.empty(k, dtype=np.float64)
    cs = np.empty(k, dtype=np.int64)
    cap = 256
    gx = np.empty(cap, dtype=np.float64)
    gy = np.empty(cap, dtype=np.float64)
    gz = np.empty(cap, dtype=np.float64)
    gd = np.empty(cap, dtype=np.float64)
    gs = np.empty(cap, dtype=np.int64)
    gsh = np.empty(cap, dtype=np.int64)
    gbk = np.empty(cap, dtype=np.int64)
    bx = np.empty(cap, dtype=np.float64)
    by = np.empty(cap, dtype=np.float64)
    bz = np.empty(cap, dtype=np.float64)
    bs = np.empty(cap, dtype=np.int64)
    shell = np.empty(_SHELLS + 1, dtype=np.int64)
    bucket = np.empty(_BUCKETS + 1, dtype=np.int64)
    hole_id = np.empty(max_samples, dtype=np.int64)
    hole_n = np.empty(max_samples, dtype=np.int64)
    octs = np.zeros(8, dtype=np.int64)
    for tl in range(t_first, t_last):
        a = tile_start[tl]
        b = tile_start[tl + 1]
        # the tile's centre and radius
        cx = 0.0
        cy = 0.0
        cz = 0.0
        for i in range(a, b):
            cx += tp[i, 0]
            cy += tp[i, 1]
            cz += tp[i, 2]
        cx /= b - a
        cy /= b - a
        cz /= b - a
        rho = 0.0
        for i in range(a, b):
            rho = max(rho, (tp[i, 0] - cx) ** 2 + (tp[i, 1] - cy) ** 2 + (tp[i, 2] - cz) ** 2)
        rho = np.sqrt(rho) * slack
        # the centre's k-th distance (infinite when fewer than k within r0 + rho)
        ck = np.inf
        csize = _knn(cx, cy, cz, (r0 + rho) ** 2, spos, sub, start, lo, cell, dims,
                     offsets, offset_lb, k, cd, cs)
        if csize == k:
            ck = np.sqrt(cd[0])
        reach = r0 + rho if scan_all else min(r0, ck + rho) + rho
        reach *= slack
        reach2 = reach * reach
        # gather the samples within reach of the centre
        ng = 0
        ix = int(np.floor((cx - lo[0]) / cell))
        iy = int(np.floor((cy - lo[1]) / cell))
        iz = int(np.floor((cz - lo[2]) / cell))
        for o in range(offsets.shape[0]):
            if offset_lb[o] > reach2:
                break
            qx = ix + offsets[o, 0]
            qy = iy + offsets[o, 1]
            qz = iz + offsets[o, 2]
            if qx < 0 or qy < 0 or qz < 0 or qx >= dims[0] or qy >= dims[1] or qz >= dims[2]:
                continue
            ex = _gap(cx, lo[0], qx, cell)
            ey = _gap(cy, lo[1], qy, cell)
            ez = _gap(cz, lo[2], qz, cell)
            if ex * ex + ey * ey + ez * ez > reach2:
                continue
            key = (qx * dims[1] + qy) * dims[2] + qz
            for g in range(start[key], start[key + 1]):
                dx = spos[g, 0] - cx
                dy = spos[g, 1] - cy
                dz = spos[g, 2] - cz
                d2 = dx * dx + dy * dy + dz * dz
                if d2 > reach2:
                    continue
                if ng == cap:
                    cap *= 2
                    gx2 = np.empty(cap, dtype=np.float64)
                    gy2 = np.empty(cap, dtype=np.float64)
                    gz2 = np.empty(cap, dtype=np.float64)
                    gd2 = np.empty(cap, dtype=np.float64)
                    gs2 = np.empty(cap, dtype=np.int64)
                    gx2[:ng] = gx[:ng]
                    gy2[:ng] = gy[:ng]
                    gz2[:ng] = gz[:ng]
                    gd2[:ng] = gd[:ng]
                    gs2[:ng] = gs[:ng]
                    gx = gx2
                    gy = gy2
                    gz = gz2
                    gd = gd2
                    gs = gs2
                    gsh = np.empty(cap, dtype=np.int64)
                    gbk = np.empty(cap, dtype=np.int64)
                    bx = np.empty(cap, dtype=np.float64)
                    by = np.empty(cap, dtype=np.float64)
                    bz = np.empty(cap, dtype=np.float64)
                    bs = np.empty(cap, dtype=np.int64)
                gx[ng] = spos[g, 0]
                gy[ng] = spos[g, 1]
                gz[ng] = spos[g, 2]
                gd[ng] = d2
                gs[ng] = sub[g]
                ng += 1
        # into distance shells from the centre (a counting sort) in (bx, by, bz, bs)
        width = reach / _SHELLS
        inv_width = 1.0 / width if width > 0.0 else 0.0  # reach 0: all at the centre
        for h in range(_SHELLS + 1):
            shell[h] = 0
        for q in range(ng):
            h = min(int(np.sqrt(gd[q]) * inv_width), _SHELLS - 1)
            gsh[q] = h
            shell[h + 1] += 1
        for h in range(_SHELLS):
            shell[h + 1] += shell[h]
        for q in range(ng):
            h = gsh[q]
            j = shell[h]
            bx[j] = gx[q]
            by[j] = gy[q]
            bz[j] = gz[q]
            bs[j] = gs[q]
            shell[h] = j + 1
        for h in range(_SHELLS, 0, -1):
            shell[h] = shell[h - 1]
        shell[0] = 0
        # each target (gx, gy, gz, gd, gs, gsh, gbk are now scratch)
        prev_k = -1.0
        px = 0.0
        py = 0.0
        pz = 0.0
        for i in range(a, b):
            row = rows[i]
            x = tp[i, 0]
            y = tp[i, 1]
            z = tp[i, 2]
            e = np.sqrt((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2)
            bound = r2
            if ck < r0:
                ub = ck + e
                if prev_k >= 0.0:
                    ub = min(ub, prev_k + np.sqrt((x - px) ** 2 + (y - py) ** 2
                                                  + (z - pz) ** 2))
                ub *= slack
                bound = min(bound, ub * ub)
            sb = np.sqrt(bound) * slack
            while True:
                # every gathered sample within the bound, in (gd, gs)
                cnt = 0
                for h in range(_SHELLS):
                    if h * width - e > sb:
                        break
                    for q in range(shell[h], shell[h + 1]):
                        dx = bx[q] - x
                        dy = by[q] - y
                        dz = bz[q] - z
                        d2 = dx * dx + dy * dy + dz * dz
                        gd[cnt] = d2  # written always, kept when within the bound
                        gs[cnt] = bs[q]
                        cnt += d2 <= bound
                # a counting sort on distance² into (gx, gsh); bucket[h] ends bucket h
                inv = _BUCKETS / bound if bound > 0.0 else 0.0
                for h in range(_BUCKETS + 1):
                    bucket[h] = 0
                for q in range(cnt):
                    h = min(int(gd[q] * inv), _BUCKETS - 1)
                    gbk[q] = h
                    bucket[h + 1] += 1
                for h in range(_BUCKETS):
                    bucket[h + 1] += bucket[h]
                for q in range(cnt):
                    h = gbk[q]
                    j = bucket[h]
                    gx[j] = gd[q]
                    gsh[j] = gs[q]
                    bucket[h] = j + 1
                # sorted on (distance², sample) up to the bucket of the k-th (all of them
                # with scan_all): an insertion sort, short as only the samples of one bucket
                # can be out of order
                lim = cnt
                if not scan_all:
                    for h in range(_BUCKETS):
                        if bucket[h] >= k:
                            lim = bucket[h]
                            break
                for j in range(1, lim):
                    d = gx[j]
                    t = gsh[j]
                    jj = j
                    while jj > 0 and (gx[jj - 1] > d or (gx[jj - 1] == d and gsh[jj - 1] > t)):
                        gx[jj] = gx[jj - 1]
                        gsh[jj] = gsh[jj - 1]
                        jj -= 1
                    gx[jj] = d
                    gsh[jj] = t
                # the selection, nearest first
                for q in range(8):
                    octs[q] = 0
                nh = 0
                n = 0
                sum_dist = 0.0
                for j in range(lim):
                    s = gsh[j]
                    if s == excl[row]:
                        continue
                    hh = hole[s]
                    if hh >= 0 and hh == excl_hole[row]:
                        continue
                    wx = sworld[s, 0] - tw[i, 0]
                    wy = sworld[s, 1] - tw[i, 1]
                    wz = sworld[s, 2] - tw[i, 2]
                    if octant_world:
                        q = _octant(wx, wy, wz)
                    else:
                        # x along minus the semi-major axis, y the major axis, z the minor
                        q = _octant(y - pos[s, 1], pos[s, 0] - x, pos[s, 2] - z)
                    if noct > 0 and octs[q] >= noct:
                        continue
                    hpos = -1
                    if hh >= 0:
                        for jh in range(nh):
                            if hole_id[jh] == hh:
                                hpos = jh
                                break
                        if max_hole > 0 and hpos >= 0 and hole_n[hpos] >= max_hole:
                            continue
                    out_index[row, n] = order[s]
                    out_dist[row, n] = np.sqrt(gx[j]) * inv_r0
                    n += 1
                    octs[q] += 1
                    if hh >= 0:
                        if hpos < 0:
                            hole_id[nh] = hh
                            hole_n[nh] = 1
                            nh += 1
                        else:
                            hole_n[hpos] += 1
                    sum_dist += np.sqrt(wx * wx + wy * wy + wz * wz)
                    if n == max_samples or (noct > 0 and n == 8 * noct):
                        break
                # with limits, the samples within the bound may not suffice: then all
                full = n == max_samples or (noct > 0 and n == 8 * noct)
                if not scan_all or full or bound >= r2:
                    break
                bound = r2
                sb = np.sqrt(bound) * slack
            if cnt >= k:
                prev_k = np.sqrt(gx[k - 1])
                px = x
                py = y
                pz = z
            # the outputs
            out_found[row] = n
            few = n < min_samples
            if few or n == 0:
                n = 0
                out_count[row] = 0
                out_reason[row] = 1 if few else 0
                out_holes[row] = 0 if has_holes else -1
                out_octants[row] = 0
                out_mean[row] = np.nan
            else:
                out_count[row] = n
                out_reason[row] = 0
                out_holes[row] = nh if has_holes else -1
                no = 0
                for q in range(8):
                    if octs[q] > 0:
                        no += 1
                out_octants[row] = no
                out_mean[row] = sum_dist / n
            for c in range(n, max_samples):
                out_index[row, c] = -1
                out_dist[row, c] = np.nan
