"""A regular grid of blocks: origin, block size, block counts and a rotation about Z.

Conventions (``CONVENTIONS.md``, "Block models"):

- ``origin`` is the **minimum corner** of the first block (ix = iy = iz = 0), in world
  coordinates (m, X east, Y north, Z up). GSLIB's ``xmn, ymn, zmn`` (the centre of the first
  block) are ``origin + size / 2``.
- Blocks are numbered with X fastest, then Y, then Z (GSLIB order), from 0:
  ``index = ix + nx · (iy + ny · iz)``.
- ``rotation`` (degrees) turns the grid about the vertical line through ``origin``, clockwise
  seen from above: it is the **azimuth of the grid's Y axis** (the direction of increasing
  ``iy``), measured clockwise from north. The grid's X axis then points to azimuth
  ``rotation + 90`` and its Z axis stays vertical, so the grid stays right-handed. With
  ``rotation = 0`` the grid axes are the world axes. This is the azimuth GSLIB's ``ang1`` gives
  the major axis of a search ellipsoid; Vulcan's model *bearing* (the azimuth of the model's X
  axis, 90 for an unrotated model) is ``rotation + 90``.

  In formulas, with θ = ``rotation`` in radians, the unit vectors of the grid axes are
  ``u = (cos θ, −sin θ, 0)``, ``v = (sin θ, cos θ, 0)``, ``w = (0, 0, 1)`` and a point with grid
  (local) coordinates ``(a, b, c)`` metres from the origin lies at
  ``origin + a·u + b·v + c·w``. The centroid of block (ix, iy, iz) has local coordinates
  ``((ix + ½)·dx, (iy + ½)·dy, (iz + ½)·dz)``.

Block faces: block ``ix`` covers local ``[ix·dx, (ix + 1)·dx)`` (closed below, open above, as
GSLIB's ``getindx``), so a point on the upper face of the last block is outside the grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from orebook.errors import ParameterError

__all__ = ["MAX_BLOCKS", "BlockGrid"]

MAX_BLOCKS = 2**53
"""The largest number of blocks a grid may have: block indices stay exact as float64."""

_AXES = "xyz"


def _three_floats(name: str, value: Any, *, positive: bool) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected 3 numbers (x, y, z), got {value!r}") from None
    if a.shape != (3,):
        raise ParameterError(f"{name}: expected 3 numbers (x, y, z), got {a.size}: {value!r}")
    if not np.isfinite(a).all():
        raise ParameterError(f"{name}: expected finite numbers, got {tuple(a.tolist())}")
    if positive and not (a > 0).all():
        axis = _AXES[int(np.flatnonzero(~(a > 0))[0])]
        raise ParameterError(f"{name}: block sizes must be > 0 m, got {tuple(a.tolist())} "
                             f"({axis} is {float(a[_AXES.index(axis)])!r})")
    a.setflags(write=False)
    return a


def _three_counts(name: str, value: Any) -> np.ndarray:
    try:
        raw = np.asarray(value).reshape(-1)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected 3 whole numbers ≥ 1 (nx, ny, nz), "
                             f"got {value!r}") from None
    if raw.shape != (3,):
        raise ParameterError(f"{name}: expected 3 whole numbers ≥ 1 (nx, ny, nz), "
                             f"got {raw.size}: {value!r}")
    out = np.empty(3, dtype=np.int64)
    for k, v in enumerate(raw.tolist()):
        ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        if not ok and isinstance(v, float) and math.isfinite(v) and v == int(v):
            ok = True  # 10.0 from a JSON or TOML file
        if not ok or int(v) < 1:
            raise ParameterError(f"{name}: expected 3 whole numbers ≥ 1 (nx, ny, nz), got "
                                 f"{tuple(raw.tolist())} (n{_AXES[k]} is {v!r})")
        out[k] = int(v)
    total = math.prod(int(c) for c in out)
    if total > MAX_BLOCKS:
        raise ParameterError(f"{name}: {tuple(out.tolist())} makes {total:.3g} blocks, more "
                             f"than the {MAX_BLOCKS:.3g} a grid may hold")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class BlockGrid:
    """A regular block grid (see the module docstring for the conventions).

    Parameters
    ----------
    origin : (3,) float, m. Minimum corner of the first block, world coordinates.
    size : (3,) float, m. Block size along the grid's X, Y, Z axes; each > 0.
    count : (3,) int. Number of blocks along X, Y, Z; each ≥ 1.
    rotation : float, degrees. Azimuth of the grid's Y axis, clockwise from north, about the
        vertical through ``origin``. Default 0 (grid axes = world axes).

    Raises
    ------
    ParameterError : a size that is not > 0, a count that is not a whole number ≥ 1, a value
        that is not finite, or more than ``MAX_BLOCKS`` blocks; the message names which.

    Examples
    --------
    >>> g = BlockGrid(origin=(0, 0, 0), size=(10, 10, 5), count=(3, 2, 2))
    >>> g.n_blocks
    12
    >>> g.centroids([0, 1, 3, 6]).tolist()
    [[5.0, 5.0, 2.5], [15.0, 5.0, 2.5], [5.0, 15.0, 2.5], [5.0, 5.0, 7.5]]
    >>> g.locate([[16.0, 4.0, 1.0], [31.0, 0.0, 0.0]]).tolist()
    [1, -1]
    >>> g.gslib_xmn.tolist()
    [5.0, 5.0, 2.5]
    """

    origin: np.ndarray
    size: np.ndarray
    count: np.ndarray
    rotation: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", _three_floats("origin", self.origin, positive=False))
        object.__setattr__(self, "size", _three_floats("size", self.size, positive=True))
        object.__setattr__(self, "count", _three_counts("count", self.count))
        try:
            rot = float(self.rotation)
        except (TypeError, ValueError):
            raise ParameterError(f"rotation: expected an azimuth in degrees, got "
                                 f"{self.rotation!r}") from None
        if not math.isfinite(rot):
            raise ParameterError(f"rotation: expected a finite azimuth in degrees, got {rot!r}")
        object.__setattr__(self, "rotation", rot)

    # -- identity -----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BlockGrid):
            return NotImplemented
        return (np.array_equal(self.origin, other.origin)
                and np.array_equal(self.size, other.size)
                and np.array_equal(self.count, other.count)
                and self.rotation == other.rotation)

    def __hash__(self) -> int:
        return hash((tuple(self.origin.tolist()), tuple(self.size.tolist()),
                     tuple(self.count.tolist()), self.rotation))

    def __repr__(self) -> str:
        rot = f", rotation={self.rotation!r}" if self.rotation else ""
        return (f"BlockGrid(origin={tuple(self.origin.tolist())}, "
                f"size={tuple(self.size.tolist())}, count={tuple(self.count.tolist())}{rot})")

    def isclose(self, other: BlockGrid, *, rtol: float = 1e-9, atol: float = 1e-6) -> bool:
        """True when ``other`` has the same counts and, within tolerance (``atol`` in m and
        degrees), the same origin, sizes and rotation."""
        return (np.array_equal(self.count, other.count)
                and np.allclose(self.origin, other.origin, rtol=rtol, atol=atol)
                and np.allclose(self.size, other.size, rtol=rtol, atol=atol)
                and abs(self.rotation - other.rotation) <= atol)

    # -- conversions --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON/TOML): ``origin``, ``size``, ``count`` lists and ``rotation``."""
        return {"origin": self.origin.tolist(), "size": self.size.tolist(),
                "count": [int(c) for c in self.count], "rotation": self.rotation}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BlockGrid:
        """The inverse of :meth:`to_dict`; ``rotation`` may be left out (0)."""
        if not isinstance(d, Mapping):
            raise ParameterError(f"grid: expected a table with origin, size and count, "
                                 f"got {type(d).__name__}")
        missing = [k for k in ("origin", "size", "count") if k not in d]
        if missing:
            raise ParameterError(f"grid: missing {', '.join(missing)}; a grid needs origin "
                                 "(minimum corner, m), size (m) and count")
        extra = sorted(set(d) - {"origin", "size", "count", "rotation"})
        if extra:
            raise ParameterError(f"grid: unknown keys {', '.join(map(str, extra))}; expected "
                                 "origin, size, count and rotation")
        return cls(d["origin"], d["size"], d["count"], d.get("rotation", 0.0))

    @classmethod
    def from_gslib(cls, nx: int, xmn: float, xsiz: float, ny: int, ymn: float, ysiz: float,
                   nz: int, zmn: float, zsiz: float) -> BlockGrid:
        """The grid of a GSLIB parameter file (``nx xmn xsiz`` / ``ny ymn ysiz`` /
        ``nz zmn zsiz``; ``xmn`` is the centre of the first block). GSLIB grids are not
        rotated.

        >>> BlockGrid.from_gslib(5, 0.5, 1.0, 4, 10.0, 2.0, 1, 0.0, 1.0)
        BlockGrid(origin=(0.0, 9.0, -0.5), size=(1.0, 2.0, 1.0), count=(5, 4, 1))
        """
        size = _three_floats("size (xsiz, ysiz, zsiz)", (xsiz, ysiz, zsiz), positive=True)
        xmn3 = _three_floats("xmn, ymn, zmn", (xmn, ymn, zmn), positive=False)
        return cls(xmn3 - size / 2.0, size, (nx, ny, nz), 0.0)

    @property
    def gslib_xmn(self) -> np.ndarray:
        """(3,) GSLIB's ``xmn, ymn, zmn``: the centre of the first block, ``origin + size/2``.

        Raises :class:`ParameterError` for a rotated grid: GSLIB grids have no rotation, so
        the data must first be turned into the grid's frame (:meth:`to_local`)."""
        if self.rotation:
            raise ParameterError(f"GSLIB grids are not rotated and this grid is (rotation "
                                 f"{self.rotation!r}°); use its local frame: "
                                 "grid.to_local(points) and grid.unrotated()")
        return self.origin + self.size / 2.0

    def gslib_spec(self) -> tuple[int, float, float, int, float, float, int, float, float]:
        """``(nx, xmn, xsiz, ny, ymn, ysiz, nz, zmn, zsiz)`` as in a GSLIB parameter file
        (unrotated grids only, as :attr:`gslib_xmn`)."""
        xmn = self.gslib_xmn
        out: list[Any] = []
        for k in range(3):
            out += [int(self.count[k]), float(xmn[k]), float(self.size[k])]
        return tuple(out)  # type: ignore[return-value]

    def unrotated(self) -> BlockGrid:
        """The same grid in its own frame: origin (0, 0, 0), no rotation. Its points are
        :meth:`to_local` of this grid's points."""
        return BlockGrid((0.0, 0.0, 0.0), self.size, self.count, 0.0)

    # -- sizes --------------------------------------------------------------------------------

    @property
    def n_blocks(self) -> int:
        """Number of blocks, nx · ny · nz."""
        return int(self.count[0]) * int(self.count[1]) * int(self.count[2])

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(nz, ny, nx)``: the shape of a C-ordered array whose flat order is block order."""
        return (int(self.count[2]), int(self.count[1]), int(self.count[0]))

    @property
    def block_volume_m3(self) -> float:
        """Volume of one block, dx · dy · dz (m³)."""
        return float(self.size[0] * self.size[1] * self.size[2])

    @property
    def axes(self) -> np.ndarray:
        """(3, 3) columns: unit vectors of the grid's X, Y, Z axes in world coordinates, so that
        ``world = origin + axes @ local``."""
        t = math.radians(self.rotation)
        c, s = math.cos(t), math.sin(t)
        if self.rotation % 90.0 == 0.0:  # exact for the quarter turns
            c, s = round(c), round(s)
        return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])

    # -- indices ------------------------------------------------------------------------------

    def _indices(self, index: Any, what: str = "index") -> np.ndarray:
        try:
            raw = np.asarray(index)
        except (TypeError, ValueError):
            raise ParameterError(f"{what}: expected block indices (whole numbers)") from None
        if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or raw.size == 0):
            raise ParameterError(f"{what}: expected block indices (whole numbers), got an "
                                 f"array of {raw.dtype}")
        idx = raw.astype(np.int64, copy=False).reshape(-1)
        bad = (idx < 0) | (idx >= self.n_blocks)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"{what}: block index {int(idx[i])} (position {i}) is outside "
                                 f"0..{self.n_blocks - 1}")
        return idx

    def ijk(self, index: Any) -> np.ndarray:
        """(n, 3) int64: ``(ix, iy, iz)`` of each block index (0-based).

        >>> BlockGrid((0, 0, 0), (1, 1, 1), (3, 2, 2)).ijk([0, 5, 7]).tolist()
        [[0, 0, 0], [2, 1, 0], [1, 0, 1]]
        """
        idx = self._indices(index)
        nx, ny = int(self.count[0]), int(self.count[1])
        out = np.empty((idx.size, 3), dtype=np.int64)
        out[:, 0] = idx % nx
        rest = idx // nx
        out[:, 1] = rest % ny
        out[:, 2] = rest // ny
        return out

    def index_of(self, ijk: Any) -> np.ndarray:
        """(n,) int64 block indices of ``(ix, iy, iz)`` rows (an (n, 3) or (3,) array).

        Raises :class:`ParameterError` naming the first row outside the grid."""
        try:
            raw = np.asarray(ijk)
        except (TypeError, ValueError):
            raise ParameterError("ijk: expected (n, 3) whole numbers") from None
        if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or raw.size == 0):
            raise ParameterError(f"ijk: expected whole numbers, got an array of {raw.dtype}")
        a = raw.astype(np.int64, copy=False)
        if a.ndim == 1 and a.size == 3:
            a = a.reshape(1, 3)
        if a.ndim != 2 or a.shape[1] != 3:
            raise ParameterError(f"ijk: expected shape (n, 3), got {raw.shape}")
        bad = ((a < 0) | (a >= self.count)).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"ijk: row {i} {tuple(a[i].tolist())} is outside the grid "
                                 f"(0..{int(self.count[0]) - 1}, 0..{int(self.count[1]) - 1}, "
                                 f"0..{int(self.count[2]) - 1})")
        return a[:, 0] + self.count[0] * (a[:, 1] + self.count[1] * a[:, 2])

    # -- coordinates --------------------------------------------------------------------------

    def local_centroids(self, index: Any = None) -> np.ndarray:
        """(n, 3) centroids in the grid's frame (m from the origin along the grid axes)."""
        if index is None:
            index = np.arange(self.n_blocks, dtype=np.int64)
        return (self.ijk(index) + 0.5) * self.size

    def centroids(self, index: Any = None) -> np.ndarray:
        """(n, 3) float64 world coordinates (m) of the centroids of blocks ``index`` (all
        blocks, in block order, when None)."""
        return self.to_world(self.local_centroids(index))

    def to_world(self, local: Any) -> np.ndarray:
        """(n, 3) world coordinates of points given in the grid's frame."""
        p = self._points(local, "local")
        if not self.rotation:
            return p + self.origin
        return p @ self.axes.T + self.origin

    def to_local(self, points: Any) -> np.ndarray:
        """(n, 3) coordinates in the grid's frame (m from the origin along the grid's axes) of
        world points."""
        p = self._points(points, "points") - self.origin
        if not self.rotation:
            return p
        return p @ self.axes

    @staticmethod
    def _points(points: Any, what: str) -> np.ndarray:
        try:
            p = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(f"{what}: expected (n, 3) numbers") from None
        if p.ndim == 1 and p.size == 3:
            p = p.reshape(1, 3)
        if p.ndim != 2 or p.shape[1] != 3:
            raise ParameterError(f"{what}: expected shape (n, 3), got {p.shape}")
        return p

    def locate(self, points: Any) -> np.ndarray:
        """(n,) int64: the block holding each world point, −1 outside the grid (or NaN).

        A block holds the points of its lower faces, not of its upper faces."""
        local = self.to_local(points)
        with np.errstate(invalid="ignore"):
            f = np.floor(local / self.size)
            inside = ((f >= 0) & (f < self.count)).all(axis=1)
        out = np.full(local.shape[0], -1, dtype=np.int64)
        ijk = f[inside].astype(np.int64)
        out[inside] = ijk[:, 0] + self.count[0] * (ijk[:, 1] + self.count[1] * ijk[:, 2])
        return out

    # -- sub-sets -----------------------------------------------------------------------------

    def subset(self, mask: Any) -> np.ndarray:
        """Sorted int64 indices of the blocks where ``mask`` is True.

        ``mask`` is a boolean array of ``n_blocks`` values in block order, or of shape
        :attr:`shape` ``(nz, ny, nx)``. For a domain code: ``grid.subset(codes == 3)``."""
        m = np.asarray(mask)
        if m.dtype != bool:
            raise ParameterError(f"mask: expected booleans, got an array of {m.dtype}")
        if m.shape not in ((self.n_blocks,), self.shape):
            raise ParameterError(f"mask: expected {self.n_blocks} values (one per block) or "
                                 f"shape {self.shape}, got shape {m.shape}")
        return np.flatnonzero(m.reshape(-1)).astype(np.int64)

    # -- block discretisation -----------------------------------------------------------------

    def discretisation_offsets(self, nd: Sequence[int] = (1, 1, 1), *,
                               world: bool = True) -> np.ndarray:
        """(nx·ny·nz, 3) offsets (m) from a block's centroid of its discretisation points.

        As GSLIB ``kt3d`` places them: along each axis the block is cut into ``n`` equal
        slices and the points sit at the slices' centres, ``−size/2 + (k + ½)·size/n`` for
        k = 0…n−1 (one point, at the centroid, when n = 1). Points are listed with X
        outermost and Z innermost (the order of kt3d's loops). ``world`` rotates them with the
        grid (for ``rotation = 0`` nothing changes); False gives them along the grid's axes.

        kt3d accumulates these positions in single precision; these are exact in float64.

        >>> BlockGrid((0, 0, 0), (10, 10, 4), (1, 1, 1)).discretisation_offsets((2, 1, 2))
        array([[-2.5,  0. , -1. ],
               [-2.5,  0. ,  1. ],
               [ 2.5,  0. , -1. ],
               [ 2.5,  0. ,  1. ]])
        """
        n = _three_counts("nd (nxdis, nydis, nzdis)", nd)
        per_axis = [(np.arange(int(n[k])) + 0.5) * (self.size[k] / n[k]) - self.size[k] / 2.0
                    for k in range(3)]
        gx, gy, gz = np.meshgrid(*per_axis, indexing="ij")  # X outermost, Z innermost
        off = np.column_stack([gx.reshape(-1), gy.reshape(-1), gz.reshape(-1)])
        if world and self.rotation:
            off = off @ self.axes.T
        return off
