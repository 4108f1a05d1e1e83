"""The classical reserve methods: geological blocks, parallel sections, polygons, triangles.

Every method follows the same chain (``docs/classical.md``): volume ``V = S × m`` (area on the
plane of projection, m², × mean true thickness, m), ore ``Q = V × d`` (density, t/m³), metal
``P = Q × c × metal_factor(grade unit, metal unit)``; grades are weighted by thickness
(``Σ c·m / Σ m``). The "conditions" (cut-off grade, minimum mineable thickness, maximum internal
waste) turn sample intervals along a hole into the ore intercept that enters the estimate.

Geometry is plane (u, v on the plane of projection, metres); polygons are arrays of vertices in
order, (n, 2), either orientation, not closed (the last vertex is not the first repeated).

Inputs are the frozen dataclasses below; ``orebook.resources.classical_io`` reads them from
CSV/XLSX files and keeps the file name and line of every row, so that an error found here (a
block without holes, two holes at one place) still names the row.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from orebook.errors import InputError, ParameterError
from orebook.units import metal_factor

__all__ = [
    "FRUSTUM_THRESHOLD",
    "Block",
    "ClassicalResult",
    "Conditions",
    "Intercepts",
    "Samples",
    "SectionAreas",
    "Triangles",
    "apply_conditions",
    "assign_blocks",
    "clip_halfplane",
    "geological_blocks",
    "influence_polygons",
    "is_simple",
    "ore_intercepts",
    "parallel_sections",
    "points_in_polygon",
    "polygon_area",
    "polygons_method",
    "section_volume",
    "summary_table",
    "triangles_method",
]

FRUSTUM_THRESHOLD = 0.40
"""Two section areas "differ by more than 40 %" when ``(S_max − S_min) / S_max > 0.40``."""

_EMPTY_SHAPE = np.empty((0, 2))


# ---------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Intercepts:
    """One ore intercept per hole on the plane of projection.

    Attributes
    ----------
    hole : (n,) object, hole ids (unique).
    u, v : (n,) float64, position on the plane of projection, m.
    thickness_m : (n,) float64, true thickness, m (0 for a barren hole).
    grade : (n,) float64, mean grade of the intercept (unit in ``grade_unit``).
    category : (n,) object, category (A, B, C1, C2, P1…), ``""`` where not given.
    block : (n,) object, block id, ``""`` where not given (then found from the outlines).
    line : (n,) int64, the 1-based line of each row in ``file`` (0 when built in code).
    file : the file read, if any.
    grade_unit : the unit read from the grade column's name (``%``, ``g/t``, ``ppm``, ``ppb``),
        or None.
    """

    hole: np.ndarray
    u: np.ndarray
    v: np.ndarray
    thickness_m: np.ndarray
    grade: np.ndarray
    category: np.ndarray
    block: np.ndarray
    line: np.ndarray
    file: str | None = None
    grade_unit: str | None = None

    def __len__(self) -> int:
        return len(self.hole)

    @classmethod
    def build(cls, hole, u, v, thickness_m, grade, category=None, block=None,
              **kw) -> Intercepts:
        """Intercepts from plain sequences (category and block default to ``""``)."""
        n = len(hole)

        def obj(values) -> np.ndarray:
            values = [""] * n if values is None else values
            return np.array(["" if v is None else str(v) for v in values], dtype=object)

        return cls(obj(hole), np.asarray(u, float), np.asarray(v, float),
                   np.asarray(thickness_m, float), np.asarray(grade, float),
                   obj(category), obj(block),
                   np.asarray(kw.pop("line", np.zeros(n)), dtype=np.int64), **kw)


@dataclass(frozen=True)
class Block:
    """A block outline on the plane of projection.

    Attributes
    ----------
    id, category : block id and its category (A, B, C1, C2, P1…).
    vertices : (k, 2) float64, the outline's vertices in order (u, v), m; k ≥ 3.
    density_tpm3 : the block's density, t/m³, or NaN to use the default density.
    line : the line of the block's first row in ``file`` (0 when built in code).
    file : the file read, if any.
    """

    id: str
    category: str
    vertices: np.ndarray
    density_tpm3: float = math.nan
    line: int = 0
    file: str | None = None

    @property
    def area_m2(self) -> float:
        return abs(polygon_area(self.vertices))


@dataclass(frozen=True)
class Samples:
    """Sample intervals along the holes, to build the ore intercepts under the conditions.

    ``factor`` is the true thickness per metre along the hole (1 where the hole crosses the body
    at right angles); every length below is multiplied by it before the conditions apply.
    """

    hole: np.ndarray
    from_m: np.ndarray
    to_m: np.ndarray
    grade: np.ndarray
    factor: np.ndarray
    line: np.ndarray
    file: str | None = None


@dataclass(frozen=True)
class SectionAreas:
    """Ore areas per block on parallel sections.

    Attributes
    ----------
    block, category, section : (n,) object.
    position_m : (n,) float64, the section's position along the axis across the sections, m.
    area_m2 : (n,) float64, the block's ore area on the section, m².
    grade : (n,) float64, the mean grade on the section (0 where the area is 0).
    density_tpm3 : (n,) float64, NaN to use the default density.
    end : (n,) object, ``"wedge"``, ``"cone"`` or ``""``: an end piece beyond the block's first
        (or last) section, of length ``end_length_m``.
    end_length_m : (n,) float64, m (NaN where no end).
    line : (n,) int64; file : the file read, if any.
    grade_unit : the unit read from the grade column's name, or None.
    """

    block: np.ndarray
    category: np.ndarray
    section: np.ndarray
    position_m: np.ndarray
    area_m2: np.ndarray
    grade: np.ndarray
    density_tpm3: np.ndarray
    end: np.ndarray
    end_length_m: np.ndarray
    line: np.ndarray
    file: str | None = None
    grade_unit: str | None = None


@dataclass(frozen=True)
class Triangles:
    """Given triangles: (n, 3) object array of hole ids, with the line of each row."""

    holes: np.ndarray
    line: np.ndarray
    file: str | None = None


@dataclass(frozen=True)
class Conditions:
    """The conditions (кондиции): cut-off grade, minimum mineable true thickness (m) and
    maximum true thickness of internal waste (m) taken into an intercept."""

    cutoff: float = 0.0
    min_thickness_m: float = 0.0
    max_waste_m: float = 0.0

    def __post_init__(self) -> None:
        for name in ("cutoff", "min_thickness_m", "max_waste_m"):
            value = getattr(self, name)
            try:
                ok = math.isfinite(float(value)) and float(value) >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ParameterError(f"condition {name} must be a number ≥ 0, got {value!r}")


@dataclass(frozen=True)
class ClassicalResult:
    """The elements of one classical estimate.

    Attributes
    ----------
    method : ``"blocks"``, ``"sections"``, ``"polygons"`` or ``"triangles"``.
    elements : one row per element (block, polygon, triangle, pair of sections, end piece):
        ``block, category, element, rule, area_m2, thickness_m, volume_m3, density_tpm3, ore_t,
        grade, metal``; area and thickness are NaN for sections.
    shapes : one (k, 2) array of vertices per element row ((0, 2) for sections).
    grade_unit, metal_unit : units of ``grade`` and ``metal``.
    intercepts : the intercepts used (after the conditions), for plots; None for sections.
    blocks : the block outlines used.
    unused : ids of the holes that fell in no block (outside every outline, no block named),
        left out of the estimate.
    """

    method: str
    elements: pd.DataFrame
    shapes: tuple[np.ndarray, ...]
    grade_unit: str
    metal_unit: str
    intercepts: Intercepts | None = None
    blocks: tuple[Block, ...] = field(default=())
    unused: tuple[str, ...] = ()


# ---------------------------------------------------------------------------- geometry
def polygon_area(vertices: np.ndarray) -> float:
    """Signed area (m²) of a polygon by the shoelace formula; positive counter-clockwise.

    >>> polygon_area(np.array([[0, 0], [4, 0], [4, 3], [0, 3]]))
    12.0
    """
    p = np.asarray(vertices, dtype=float)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0] - p[0, 0], p[:, 1] - p[0, 1]   # shifted: no cancellation at UTM sizes
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def points_in_polygon(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """(n,) bool: which of ``points`` (n, 2) lie inside the polygon (even–odd ray casting;
    a point on the outline may fall either way)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    poly = np.asarray(vertices, dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    inside = np.zeros(len(pts), dtype=bool)
    for (xi, yi), (xj, yj) in zip(poly, np.roll(poly, -1, axis=0)):
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = xi + (xj - xi) * (y - yi) / (yj - yi)
        inside ^= crosses & (x < x_cross)
    return inside


def clip_halfplane(vertices: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
    """The part of a polygon where ``a · p ≤ b``: one Sutherland–Hodgman step.

    A concave polygon may come out as pieces joined by edges along the line ``a · p = b``; such
    edges enclose no area, so the shoelace area is still the area of the part.
    """
    out: list[np.ndarray] = []
    poly = np.asarray(vertices, dtype=float)
    n = len(poly)
    if n == 0:
        return _EMPTY_SHAPE
    d = poly @ np.asarray(a, dtype=float) - b
    for k in range(n):
        p, q, dp, dq = poly[k], poly[(k + 1) % n], d[k], d[(k + 1) % n]
        if dp <= 0:
            out.append(p)
        if (dp < 0 < dq) or (dq < 0 < dp):
            out.append(p + (dp / (dp - dq)) * (q - p))
    return np.array(out).reshape(-1, 2)


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sign of the turn a → b → c (1 left, −1 right, 0 collinear); arrays of points (…, 2)."""
    return np.sign((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
                   - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))


def _within(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """c inside the bounding box of segment ab (for collinear points: c on the segment)."""
    return ((np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
            & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
            & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
            & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1])))


def _segments_meet(p1, p2, q1, q2) -> np.ndarray:
    """Whether segment p1p2 meets each segment q1q2 (crossing or touching); q arrays (m, 2)."""
    o1, o2 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    o3, o4 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    proper = (o1 * o2 < 0) & (o3 * o4 < 0)
    touch = (((o1 == 0) & _within(p1, p2, q1)) | ((o2 == 0) & _within(p1, p2, q2))
             | ((o3 == 0) & _within(q1, q2, p1)) | ((o4 == 0) & _within(q1, q2, p2)))
    return proper | touch


def is_simple(vertices: np.ndarray) -> bool:
    """True when the outline has ≥ 3 vertices, no two edges meet except neighbours at their
    shared vertex (and those do not fold back onto each other), and it encloses an area."""
    p = np.asarray(vertices, dtype=float)
    n = len(p)
    if n < 3 or not np.isfinite(p).all() or polygon_area(p) == 0:
        return False
    p = p - p.min(axis=0)
    nxt = np.roll(p, -1, axis=0)
    prv = np.roll(p, 1, axis=0)
    # neighbouring edges prv→p and p→nxt: a fold-back puts one end on the other edge
    if ((_orient(prv, p, nxt) == 0) & (_within(prv, p, nxt) | _within(p, nxt, prv))).any():
        return False
    for i in range(n - 2):
        j = np.arange(i + 2, n - 1 if i == 0 else n)   # edges that share no vertex with edge i
        if len(j) and _segments_meet(p[i], nxt[i], p[j], nxt[j]).any():
            return False
    return True


def influence_polygons(points: np.ndarray, boundary: np.ndarray) -> list[np.ndarray]:
    """The area of influence of each point: the part of ``boundary`` nearer to it than to any
    other point (its Voronoi cell, bounded by perpendicular bisectors, clipped to the outline).

    Each cell is the outline clipped (:func:`clip_halfplane`) by the bisector between the point
    and each of its Voronoi neighbours (``scipy.spatial.Voronoi`` ridges; every other point when
    Qhull cannot build the diagram, e.g. fewer than three points or all on one line). The cells
    cover the outline without overlap, so their areas add up to the outline's area.

    Parameters
    ----------
    points : (n, 2) distinct points, m.
    boundary : (k, 2) outline, m.

    Returns
    -------
    One (j, 2) array of vertices per point (0 rows when the cell misses the outline).
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    ring = np.asarray(boundary, dtype=float)
    n = len(pts)
    if n == 0:
        return []
    if len(np.unique(pts, axis=0)) < n:
        raise ParameterError("two points share one position; their bisector is undefined")
    origin = ring.mean(axis=0)
    pts, ring = pts - origin, ring - origin
    neighbours: list[set[int]] = [set() for _ in range(n)]
    try:
        from scipy.spatial import QhullError, Voronoi
    except ImportError:  # pragma: no cover - older scipy
        from scipy.spatial.qhull import QhullError, Voronoi
    try:
        if n < 4:
            raise ValueError("too few points for Qhull")
        for i, j in Voronoi(pts).ridge_points:
            neighbours[i].add(int(j))
            neighbours[j].add(int(i))
    except (QhullError, ValueError):
        neighbours = [set(range(n)) - {i} for i in range(n)]
    cells = []
    for i in range(n):
        cell = ring
        for j in sorted(neighbours[i]):
            # nearer to i than to j:  2 (p_j − p_i) · p ≤ |p_j|² − |p_i|²
            a = 2.0 * (pts[j] - pts[i])
            b = float(pts[j] @ pts[j] - pts[i] @ pts[i])
            cell = clip_halfplane(cell, a, b)
            if len(cell) == 0:
                break
        cells.append(cell + origin if len(cell) else _EMPTY_SHAPE)
    return cells


# ---------------------------------------------------------------------------- conditions
def ore_intercepts(from_m, to_m, grade, factor, conditions: Conditions
                   ) -> list[tuple[float, float, float, float]]:
    """The ore intercepts of one hole under the conditions.

    The rules (``docs/classical.md``):

    1. Lengths along the hole become true thickness: ``t = (to − from) × factor``; unsampled
       gaps between samples are waste at zero grade (with the factor of the sample below).
    2. A sample is ore when its grade ≥ ``cutoff``; contiguous ore samples form a run.
    3. Going down the hole, the next run is joined to the current intercept when the waste
       between them is at most ``max_waste_m`` thick **and** the joined intercept still
       grades ≥ ``cutoff``; otherwise the current intercept is closed.
    4. An intercept thinner than ``min_thickness_m`` is kept only when its metre-grade
       ``c·t`` reaches ``cutoff × min_thickness_m``; it is then diluted to the minimum
       thickness at zero grade (``t → min_thickness_m``, ``c → c·t / min_thickness_m``).
       Otherwise it is dropped.

    Parameters
    ----------
    from_m, to_m, grade, factor : (n,) samples of one hole, sorted and not overlapping.

    Returns
    -------
    ``(from_m, to_m, thickness_m, grade)`` per intercept, thickness after rule 4.
    """
    f, t = np.asarray(from_m, float), np.asarray(to_m, float)
    g, k = np.asarray(grade, float), np.asarray(factor, float)
    cut, m_min, w_max = conditions.cutoff, conditions.min_thickness_m, conditions.max_waste_m
    ore = g >= cut
    runs: list[list[int]] = []  # [first, last] sample index of each run of contiguous ore
    for i in range(len(f)):
        if ore[i]:
            if runs and runs[-1][1] == i - 1 and f[i] == t[i - 1]:
                runs[-1][1] = i
            else:
                runs.append([i, i])

    def totals(first: int, last: int) -> tuple[float, float]:
        """True thickness and metre-grade from sample ``first`` to ``last``, gaps as waste."""
        thick = math.fsum((t[first:last + 1] - f[first:last + 1]) * k[first:last + 1])
        gaps = math.fsum((f[first + 1:last + 1] - t[first:last]) * k[first + 1:last + 1])
        mg = math.fsum((t[first:last + 1] - f[first:last + 1]) * k[first:last + 1]
                       * g[first:last + 1])
        return thick + gaps, mg

    merged: list[list[int]] = []
    for run in runs:
        if merged:
            cur = merged[-1]
            # waste samples and gaps between the intercept's last sample and the run's first
            waste = (totals(cur[1], run[0])[0] - totals(cur[1], cur[1])[0]
                     - totals(run[0], run[0])[0])
            thick, mg = totals(cur[0], run[1])
            if waste <= w_max and thick > 0 and mg / thick >= cut:
                cur[1] = run[1]
                continue
        merged.append(list(run))
    out = []
    for first, last in merged:
        thick, mg = totals(first, last)
        if thick <= 0:
            continue
        c = mg / thick
        if thick < m_min:
            if mg < cut * m_min:
                continue
            thick, c = m_min, mg / m_min
        out.append((float(f[first]), float(t[last]), float(thick), float(c)))
    return out


def apply_conditions(intercepts: Intercepts, conditions: Conditions,
                     samples: Samples | None = None) -> Intercepts:
    """The intercepts with thickness and grade under the conditions.

    A hole with samples gets the sum of its ore intercepts' thicknesses (:func:`ore_intercepts`)
    and their thickness-weighted grade; a hole without samples keeps its own intercept, dropped
    when its grade is below the cut-off and subject to rule 4 of :func:`ore_intercepts`.
    A hole left without ore keeps its place with thickness 0 and grade 0 (a barren hole).
    """
    if samples is None and conditions.max_waste_m > 0:
        raise ParameterError("maximum internal waste needs the sample intervals (--samples)")
    thick = intercepts.thickness_m.copy()
    grade = intercepts.grade.copy()
    by_hole: dict[str, np.ndarray] = {}
    if samples is not None and len(samples.hole):
        order = np.lexsort((samples.from_m, samples.hole))
        hs = samples.hole[order]
        starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
        for s, e in zip(starts, np.r_[starts[1:], len(hs)]):
            by_hole[str(hs[s])] = order[s:e]
    for i, hole in enumerate(intercepts.hole):
        idx = by_hole.get(str(hole))
        if idx is not None:
            parts = ore_intercepts(samples.from_m[idx], samples.to_m[idx], samples.grade[idx],
                                   samples.factor[idx], conditions)
            t = math.fsum(p[2] for p in parts)
            thick[i] = t
            grade[i] = math.fsum(p[2] * p[3] for p in parts) / t if t > 0 else 0.0
        elif grade[i] < conditions.cutoff:
            thick[i], grade[i] = 0.0, 0.0
        elif thick[i] < conditions.min_thickness_m:
            m_min, mg = conditions.min_thickness_m, thick[i] * grade[i]
            keep = thick[i] > 0 and mg >= conditions.cutoff * m_min
            thick[i], grade[i] = (m_min, mg / m_min) if keep else (0.0, 0.0)
    return replace(intercepts, thickness_m=thick, grade=grade)


# ---------------------------------------------------------------------------- helpers
def _where(obj, i: int | None = None, column: str | None = None) -> dict:
    """file/row/column keywords for an InputError about row ``i`` of ``obj`` (or a Block)."""
    if isinstance(obj, Block):
        return {"file": obj.file, "row": obj.line or None, "column": column}
    line = int(obj.line[i]) if i is not None and len(obj.line) else 0
    return {"file": obj.file, "row": line or None, "column": column}


def _density(value: float, default: float | None, what: str) -> float:
    if default is not None and not (math.isfinite(default) and default > 0):
        raise ParameterError(f"density must be a number > 0 t/m³, got {default!r}")
    if math.isfinite(value):
        return float(value)
    if default is None:
        raise ParameterError(f"{what} has no density: give a constant density (--density) or "
                             "a density_tpm3 value")
    return float(default)


def assign_blocks(intercepts: Intercepts, blocks: tuple[Block, ...]) -> np.ndarray:
    """(n,) int: the index in ``blocks`` of each intercept's block, −1 for none.

    An intercept with a block id goes to that block (an unknown id is an :class:`InputError`
    naming the row); one without goes to the first outline that contains its position.
    """
    index = {b.id: k for k, b in enumerate(blocks)}
    out = np.full(len(intercepts), -1, dtype=np.int64)
    pts = np.column_stack([intercepts.u, intercepts.v])
    free = np.array([b == "" for b in intercepts.block], dtype=bool)
    for i in np.flatnonzero(~free):
        k = index.get(str(intercepts.block[i]))
        if k is None:
            raise InputError(f"block {intercepts.block[i]!r} has no outline; outlines: "
                             f"{', '.join(index) or 'none'}", **_where(intercepts, i, "block"))
        out[i] = k
    for k, b in enumerate(blocks):
        take = free & (out < 0)
        if take.any():
            hit = points_in_polygon(pts[take], b.vertices)
            out[np.flatnonzero(take)[hit]] = k
    return out


def _result(method, rows, shapes, grade_unit, metal_unit, intercepts=None, blocks=(),
            owner=None):
    f = metal_factor(grade_unit, metal_unit)
    cols = ["block", "category", "element", "rule", "area_m2", "thickness_m", "volume_m3",
            "density_tpm3", "ore_t", "grade"]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols[4:]:
        df[c] = df[c].astype(float)
    df["ore_t"] = df["volume_m3"] * df["density_tpm3"]
    df["metal"] = df["ore_t"] * df["grade"] * f
    unused = () if owner is None else tuple(str(intercepts.hole[i])
                                            for i in np.flatnonzero(np.asarray(owner) < 0))
    return ClassicalResult(method, df, tuple(shapes), grade_unit, metal_unit, intercepts,
                           tuple(blocks), unused)


def _weighted_grade(grade: np.ndarray, thickness: np.ndarray) -> float:
    total = math.fsum(thickness)
    return math.fsum(grade * thickness) / total if total > 0 else 0.0


def _check_unique(intercepts: Intercepts, members: np.ndarray, what: str) -> None:
    pts = np.column_stack([intercepts.u[members], intercepts.v[members]])
    seen: dict[tuple[float, float], int] = {}
    for i, p in zip(members, map(tuple, pts)):
        if p in seen:
            j = seen[p]
            raise InputError(f"holes {intercepts.hole[j]!r} and {intercepts.hole[i]!r} of "
                             f"{what} share one position ({p[0]:g}, {p[1]:g}); "
                             "merge them or move one", **_where(intercepts, int(i)))
        seen[p] = int(i)


# ---------------------------------------------------------------------------- methods
def geological_blocks(intercepts: Intercepts, blocks: tuple[Block, ...] | list[Block], *,
                      density_tpm3: float | None = None, grade_unit: str = "%",
                      metal_unit: str = "t") -> ClassicalResult:
    """Geological blocks: ``V = S × m̄`` per block.

    ``S`` is the outline's area (shoelace), ``m̄`` the arithmetic mean true thickness of the
    block's intercepts (barren holes count with 0), the grade ``Σ c·m / Σ m``.
    A block without any intercept is an :class:`InputError` naming its outline's row.
    """
    blocks = tuple(blocks)
    owner = assign_blocks(intercepts, blocks)
    rows, shapes = [], []
    for b, members in _members(blocks, owner):
        m = intercepts.thickness_m[members]
        area = b.area_m2
        thick = math.fsum(m) / len(m)
        d = _density(b.density_tpm3, density_tpm3, f"block {b.id!r}")
        rows.append((b.id, b.category, b.id, f"{len(m)} holes", area, thick, area * thick, d,
                     math.nan, _weighted_grade(intercepts.grade[members], m)))
        shapes.append(np.asarray(b.vertices, float))
    return _result("blocks", rows, shapes, grade_unit, metal_unit, intercepts, blocks, owner)


def _members(blocks: tuple[Block, ...], owner: np.ndarray):
    """Each block with the indices of its intercepts (``owner``: :func:`assign_blocks`); a
    block without any is an :class:`InputError` naming its outline's row."""
    for k, b in enumerate(blocks):
        members = np.flatnonzero(owner == k)
        if len(members) == 0:
            raise InputError(f"block {b.id!r} has no intercept inside it or naming it",
                             **_where(b))
        yield b, members


def polygons_method(intercepts: Intercepts, blocks: tuple[Block, ...] | list[Block], *,
                    density_tpm3: float | None = None, grade_unit: str = "%",
                    metal_unit: str = "t") -> ClassicalResult:
    """Polygons (areas of influence): each hole's polygon within its block
    (:func:`influence_polygons`) takes the hole's thickness and grade, ``V = S_i × m_i``."""
    blocks = tuple(blocks)
    owner = assign_blocks(intercepts, blocks)
    rows, shapes = [], []
    for b, members in _members(blocks, owner):
        _check_unique(intercepts, members, f"block {b.id!r}")
        d = _density(b.density_tpm3, density_tpm3, f"block {b.id!r}")
        cells = influence_polygons(np.column_stack([intercepts.u[members],
                                                    intercepts.v[members]]), b.vertices)
        for i, cell in zip(members, cells):
            area = abs(polygon_area(cell))
            m = float(intercepts.thickness_m[i])
            rows.append((b.id, b.category, str(intercepts.hole[i]), "", area, m, area * m, d,
                         math.nan, float(intercepts.grade[i])))
            shapes.append(cell)
    return _result("polygons", rows, shapes, grade_unit, metal_unit, intercepts, blocks, owner)


def triangles_method(intercepts: Intercepts, blocks: tuple[Block, ...] | list[Block] = (), *,
                     triangles: Triangles | None = None, density_tpm3: float | None = None,
                     grade_unit: str = "%", metal_unit: str = "t") -> ClassicalResult:
    """Triangles: ``V = S × (m1 + m2 + m3) / 3``, grade ``Σ c·m / Σ m`` over the three holes.

    The holes are grouped by block (outlines given: the block containing or named by each
    hole; otherwise the intercepts' block column, else their category); each group is
    triangulated (Delaunay) unless ``triangles`` gives the triangles, whose three holes must
    belong to one group. A group's category is its outline's, or its intercepts' (which must
    then agree).
    """
    blocks = tuple(blocks)
    n = len(intercepts)
    if blocks:
        owner = assign_blocks(intercepts, blocks)
        keys = [blocks[k].id if k >= 0 else None for k in owner]
        cats = {b.id: b.category for b in blocks}
        dens = {b.id: b.density_tpm3 for b in blocks}
    else:
        keys = [str(intercepts.block[i]) or str(intercepts.category[i]) or None
                for i in range(n)]
        cats, dens = {}, {}
        for i in range(n):
            if keys[i] is None:
                raise InputError("without block outlines, every intercept needs a block or a "
                                 "category to say which triangles it belongs to",
                                 **_where(intercepts, i, "block"))
            c = str(intercepts.category[i])
            if cats.setdefault(keys[i], c) != c:
                raise InputError(f"block {keys[i]!r} has intercepts of categories "
                                 f"{cats[keys[i]]!r} and {c!r}; give outlines or split the "
                                 "block", **_where(intercepts, i, "category"))
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    tris: dict[str, list[tuple[int, int, int, int]]] = {g: [] for g in groups}
    if triangles is not None:
        pos = {str(h): i for i, h in enumerate(intercepts.hole)}
        for r, row in enumerate(triangles.holes):
            idx = []
            for c, h in enumerate(row):
                if str(h) not in pos:
                    raise InputError(f"hole {h!r} is not among the intercepts",
                                     **_where(triangles, r, f"hole{c + 1}"))
                idx.append(pos[str(h)])
            if len(set(idx)) < 3:
                raise InputError("a triangle needs three different holes",
                                 **_where(triangles, r))
            g = {keys[i] for i in idx}
            if len(g) != 1 or None in g:
                raise InputError(f"the holes of a triangle must be in one block; found "
                                 f"{', '.join(sorted(str(x) for x in g))}",
                                 **_where(triangles, r))
            tris[g.pop()].append((*idx, int(triangles.line[r]) if len(triangles.line) else 0))
    else:
        from scipy.spatial import Delaunay, QhullError

        for key, members in groups.items():
            members_a = np.asarray(members)
            _check_unique(intercepts, members_a, f"block {key!r}")
            pts = np.column_stack([intercepts.u[members_a], intercepts.v[members_a]])
            try:
                if len(pts) < 3:
                    raise ValueError
                simplices = Delaunay(pts - pts.mean(axis=0)).simplices
            except (QhullError, ValueError):
                raise InputError(f"block {key!r}: its {len(pts)} holes do not make a triangle "
                                 "(fewer than three, or all on one line)",
                                 **_where(intercepts, members[0])) from None
            tris[key] = [(*members_a[s].tolist(), 0) for s in simplices]
    rows, shapes = [], []
    for key, items in tris.items():
        d = None
        for i0, i1, i2, _ in items:
            if d is None:
                d = _density(dens.get(key, math.nan), density_tpm3, f"block {key!r}")
            idx = np.array([i0, i1, i2])
            tri = np.column_stack([intercepts.u[idx], intercepts.v[idx]])
            area = abs(polygon_area(tri))
            m = intercepts.thickness_m[idx]
            thick = math.fsum(m) / 3.0
            rows.append((key, cats.get(key, ""), "-".join(str(h) for h in intercepts.hole[idx]),
                         "", area, thick, area * thick, d, math.nan,
                         _weighted_grade(intercepts.grade[idx], m)))
            shapes.append(tri)
    owner = [0 if k is not None else -1 for k in keys]
    return _result("triangles", rows, shapes, grade_unit, metal_unit, intercepts, blocks, owner)


def section_volume(s1: float, s2: float, length_m: float,
                   threshold: float = FRUSTUM_THRESHOLD) -> tuple[float, str]:
    """Volume (m³) between two parallel sections of areas ``s1``, ``s2`` (m²) ``length_m``
    apart, and the rule used.

    ``L (S1 + S2) / 2`` (``"mean-area"``) unless the areas differ by more than ``threshold``,
    that is ``(S_max − S_min) / S_max > threshold``; then the frustum rule
    ``L (S1 + S2 + √(S1 S2)) / 3`` (``"frustum"``). At exactly 40 % the mean-area rule holds.

    >>> section_volume(100.0, 60.0, 10.0)     # differ by exactly 40 %
    (800.0, 'mean-area')
    """
    big, small = max(s1, s2), min(s1, s2)
    if big > 0 and (big - small) / big > threshold:
        return length_m * (s1 + s2 + math.sqrt(s1 * s2)) / 3.0, "frustum"
    return length_m * (s1 + s2) / 2.0, "mean-area"


def parallel_sections(sections: SectionAreas, *, density_tpm3: float | None = None,
                      grade_unit: str = "%", metal_unit: str = "t",
                      threshold: float = FRUSTUM_THRESHOLD) -> ClassicalResult:
    """Parallel sections: per block, a piece between each pair of neighbouring sections
    (:func:`section_volume`), plus end pieces beyond the first and last sections: a wedge
    ``S L / 2`` or a cone ``S L / 3``.

    A piece's grade is the area-weighted mean ``(c1 S1 + c2 S2) / (S1 + S2)`` of its sections
    (an end's is its section's grade); its density the mean of its sections' densities (or the
    default). Sections of a block are taken in order of position, which must differ.
    """
    s = sections
    order: dict[str, list[int]] = {}
    for i, b in enumerate(s.block):
        order.setdefault(str(b), []).append(i)
    rows = []
    for key, idx in order.items():
        idx = sorted(idx, key=lambda i: (s.position_m[i], i))
        for a, b in itertools.pairwise(idx):
            if s.position_m[a] == s.position_m[b]:
                raise InputError(f"block {key!r} has two sections at position "
                                 f"{s.position_m[b]:g} m", **_where(s, b, "position_m"))
        cat = str(s.category[idx[0]])
        for i in idx:
            if str(s.category[i]) != cat:
                raise InputError(f"block {key!r} is of category {cat!r} on one section and "
                                 f"{s.category[i]!r} on another", **_where(s, i, "category"))
        for i in idx[1:-1]:
            if s.end[i]:
                raise InputError(f"an end piece ({s.end[i]}) can only be beyond the first or "
                                 f"last section of block {key!r}", **_where(s, i, "end"))
        dens = [_density(s.density_tpm3[i], density_tpm3, f"block {key!r}") for i in idx]
        if len(idx) == 1 and not s.end[idx[0]]:
            raise InputError(f"block {key!r} has one section and no end piece: no volume",
                             **_where(s, idx[0], "end"))
        pieces = []
        ends = [idx[0]] + ([idx[-1]] if len(idx) > 1 else [])
        if s.end[idx[0]]:
            pieces.append(("end", idx[0]))
        pieces += [("pair", (a, b)) for a, b in itertools.pairwise(idx)]
        if len(ends) > 1 and s.end[idx[-1]]:
            pieces.append(("end", idx[-1]))
        for kind, ref in pieces:
            if kind == "pair":
                a, b = ref
                length = float(s.position_m[b] - s.position_m[a])
                vol, rule = section_volume(float(s.area_m2[a]), float(s.area_m2[b]), length,
                                           threshold)
                area_sum = s.area_m2[a] + s.area_m2[b]
                grade = ((s.grade[a] * s.area_m2[a] + s.grade[b] * s.area_m2[b]) / area_sum
                         if area_sum > 0 else 0.0)
                d = (dens[idx.index(a)] + dens[idx.index(b)]) / 2.0
                name = f"{s.section[a]}-{s.section[b]}"
            else:
                i = ref
                length, shape = float(s.end_length_m[i]), str(s.end[i])
                if not (math.isfinite(length) and length >= 0):
                    raise InputError(f"the {shape} end of block {key!r} needs a length ≥ 0 m",
                                     **_where(s, i, "end_length_m"))
                vol = s.area_m2[i] * length / (2.0 if shape == "wedge" else 3.0)
                rule, grade, d = shape, float(s.grade[i]), dens[idx.index(i)]
                name = f"{s.section[i]} end"
            rows.append((key, cat, name, rule, math.nan, math.nan, float(vol), d, math.nan,
                         float(grade)))
    return _result("sections", rows, [_EMPTY_SHAPE] * len(rows), grade_unit, metal_unit)


# ---------------------------------------------------------------------------- report
def _category_key(cat: str) -> tuple[int, str]:
    rank = {"A": 0, "B": 1, "C1": 2, "C2": 3, "P1": 5, "P2": 6, "P3": 7}
    return (rank.get(cat, 4), cat)


def summary_table(result: ClassicalResult) -> pd.DataFrame:
    """The report: one row per block (``level = "block"``), then one per category
    (``"category"``), then ``"total"`` over every category but the prognostic P1, P2, P3.

    Areas, volumes, ore and metal of a row are the exact (``math.fsum``) sums of its parts;
    thickness = volume / area, density = ore / volume, grade = metal / (ore × metal factor).
    Columns: ``level, block, category, elements, area_m2, thickness_m, volume_m3, density_tpm3,
    ore_t, grade_<unit>, metal_<unit>``.
    """
    e = result.elements
    f = metal_factor(result.grade_unit, result.metal_unit)

    def row(level, block, cat, part: pd.DataFrame) -> dict:
        area = math.fsum(part["area_m2"]) if len(part) else 0.0
        vol, ore, metal = (math.fsum(part[c]) for c in ("volume_m3", "ore_t", "metal"))
        return {"level": level, "block": block, "category": cat, "elements": len(part),
                "area_m2": area, "thickness_m": vol / area if area > 0 else
                (0.0 if area == 0 else math.nan),
                "volume_m3": vol, "density_tpm3": ore / vol if vol > 0 else math.nan,
                "ore_t": ore, "grade": metal / (ore * f) if ore > 0 else 0.0, "metal": metal}

    rows = []
    for block, part in e.groupby("block", sort=False):
        rows.append(row("block", block, str(part["category"].iloc[0]), part))
    for cat in sorted(set(e["category"]), key=_category_key):
        rows.append(row("category", "", cat, e[e["category"] == cat]))
    balance = e[~e["category"].isin(["P1", "P2", "P3"])]
    rows.append(row("total", "", "all but P1-P3", balance))
    out = pd.DataFrame(rows)
    unit = {"%": "pct", "g/t": "gpt", "ppm": "ppm", "ppb": "ppb"}[result.grade_unit]
    return out.rename(columns={"grade": f"grade_{unit}", "metal": f"metal_{result.metal_unit}"})
