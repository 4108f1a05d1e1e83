"""Declustering weights: cell declustering as GSLIB ``declus`` and nearest-neighbour (polygonal).

Cell declustering (Deutsch, Computers & Geosciences 15(3), 1989; GSLIB ``declus``): for each
cell size, a grid of cells is laid over the data; each sample weighs ``1 / (number of samples in
its cell)``, weights are normalised to sum to one, and this is repeated for several origins
shifted along the diagonal, whose weights are added. The declustered mean of every cell size is
reported, and the size that gives the smallest (or largest) mean is chosen.

Polygonal declustering: each sample weighs the volume (area in 2-D) of the region of a box that
is closer to it than to any other sample: its Voronoi cell clipped to the box.

Both return weights normalised to average 1 (they sum to the number of samples), as GSLIB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

__all__ = ["DeclusterResult", "cell_declustering", "cell_sizes_gslib", "polygonal_weights"]


@dataclass(frozen=True)
class DeclusterResult:
    """The outcome of :func:`cell_declustering`.

    Attributes
    ----------
    weights : (n,) float64, the weights of the chosen cell size, averaging 1.
    cell_size : the chosen cell size along X (m); Y and Z sizes are ``cell_size * anis_y`` and
        ``cell_size * anis_z``. 0.0 when no cell size beat equal weights (as GSLIB reports it).
    mean : the declustered mean with ``weights``.
    naive_mean : the mean with equal weights.
    table : one row per cell size tried, in order: ``cell_size`` (X, m) and
        ``declustered_mean``.
    objective : ``"min"`` or ``"max"``.
    """

    weights: np.ndarray
    cell_size: float
    mean: float
    naive_mean: float
    table: pd.DataFrame
    objective: str


def cell_sizes_gslib(ncell: int, cmin: float, cmax: float) -> np.ndarray:
    """The X cell sizes ``declus`` tries for ``ncell, cmin, cmax``: ``ncell + 1`` sizes from
    ``cmin`` to ``cmax`` in equal steps (with ``ncell = 1``, ``cmin`` twice, as GSLIB).

    >>> cell_sizes_gslib(4, 1.0, 5.0).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    if ncell < 1:
        raise ParameterError(f"ncell must be at least 1, found {ncell}")
    if ncell == 1:
        cmax = cmin
    return cmin + np.arange(ncell + 1) * ((cmax - cmin) / ncell)


def _coords3(coords: np.ndarray, n_expected: int | None = None) -> np.ndarray:
    c = np.asarray(coords, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim != 2 or not 1 <= c.shape[1] <= 3:
        raise ParameterError(f"coords: expected an (n, 3) array (or (n, 2), (n, 1)), found "
                             f"shape {np.shape(coords)}")
    if n_expected is not None and len(c) != n_expected:
        raise ParameterError(f"coords has {len(c)} rows but values has {n_expected}")
    if not np.isfinite(c).all():
        raise ParameterError("coords: every coordinate must be a finite number; drop samples "
                             "without a location first")
    if c.shape[1] < 3:
        c = np.hstack([c, np.zeros((len(c), 3 - c.shape[1]))])
    return c


def cell_declustering(coords: np.ndarray, values: np.ndarray, *,
                      cell_sizes: np.ndarray | list[float] | None = None,
                      ncell: int | None = None, cmin: float | None = None,
                      cmax: float | None = None, noff: int = 5, anis_y: float = 1.0,
                      anis_z: float = 1.0, objective: str = "min",
                      normalize_offsets: bool = True) -> DeclusterResult:
    """Cell declustering weights, exactly as GSLIB ``declus``.

    Parameters
    ----------
    coords : (n, 3) float array, sample X, Y, Z in m ((n, 2) is read as Z = 0).
    values : (n,) float array, the variable whose declustered mean is minimised or maximised.
    cell_sizes : X cell sizes to try (m), in order; or give ``ncell, cmin, cmax`` instead,
        GSLIB's parameters (``ncell + 1`` sizes from ``cmin`` to ``cmax``).
    noff : number of origin offsets (≥ 1); offset ``k`` moves the origin down by
        ``k · min(size / noff, half the data extent)`` along each axis.
    anis_y, anis_z : the cell is ``size × size·anis_y × size·anis_z``.
    objective : ``"min"`` (data clustered in high values, the usual case) or ``"max"``.
    normalize_offsets : True (GSLIB 2.905 ``declus``): each offset's weights are scaled to sum
        to one before the offsets are added. False: the inverse cell counts of the offsets are
        added as they are; this is how the weights shipped in GSLIB's ``cluster.dat`` (fifth
        column) were computed (cell size 5.5, 5 offsets: they agree to 7e-4).

    Returns
    -------
    DeclusterResult : weights (mean 1), chosen size, declustered mean, the table of means.

    Notes
    -----
    As GSLIB: a size is chosen only if its mean is strictly below (``"max"``: above) equal
    weighting's and every earlier size's, so when no size improves on equal weighting the
    weights are all 1 and ``cell_size`` is 0. With a single size (``len(cell_sizes) == 1`` or
    ``ncell == 1``) that size's weights are returned whatever its mean. The lower origin is
    0.01 below the data minimum on each axis; a sample belongs to the cell ``floor((x − origin)
    / size)``.

    Examples
    --------
    Three samples close together and one far away: the cluster shares one cell.

    >>> xy = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [10.0, 0.0]])
    >>> r = cell_declustering(xy, np.array([5.0, 5.0, 5.0, 1.0]), cell_sizes=[1.0], noff=1)
    >>> r.weights.round(3).tolist(), round(r.mean, 3), r.naive_mean
    ([0.667, 0.667, 0.667, 2.0], 3.0, 4.0)
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    c = _coords3(coords, len(v))
    n = len(v)
    if n < 2:
        raise ParameterError(f"cell declustering needs at least 2 samples, found {n}")
    if not np.isfinite(v).all():
        raise ParameterError("values: every value must be a finite number; drop missing "
                             "samples first")
    if cell_sizes is not None and ncell is not None:
        raise ParameterError("give either cell_sizes or ncell, cmin, cmax, not both")
    if cell_sizes is None:
        if ncell is None or cmin is None or cmax is None:
            raise ParameterError("give cell_sizes, or all of ncell, cmin and cmax")
        if ncell == 1:
            cmax = cmin
        if not cmin > 0 or not cmax >= cmin:
            raise ParameterError(f"cell sizes: expected 0 < cmin <= cmax, found cmin={cmin}, "
                                 f"cmax={cmax}")
        sizes = cell_sizes_gslib(int(ncell), float(cmin), float(cmax))
        force = ncell == 1
    else:
        sizes = np.asarray(cell_sizes, dtype=np.float64).reshape(-1)
        force = len(sizes) == 1
    if len(sizes) == 0 or not (np.isfinite(sizes).all() and (sizes > 0).all()):
        raise ParameterError(f"cell_sizes: expected positive sizes, found {sizes.tolist()}")
    if int(noff) != noff or noff < 1:
        raise ParameterError(f"noff: expected a whole number ≥ 1, found {noff}")
    if not (anis_y > 0 and anis_z > 0):
        raise ParameterError(f"anis_y, anis_z: expected positive values, found {anis_y}, "
                             f"{anis_z}")
    if objective not in ("min", "max"):
        raise ParameterError(f"objective: expected 'min' or 'max', found {objective!r}")

    lo = c.min(axis=0)
    half_extent = 0.5 * (c.max(axis=0) - lo)
    origin1 = lo - 0.01
    aniso = np.array([1.0, anis_y, anis_z])
    naive = float(v.mean())
    best_w = np.ones(n)
    best_size, best_mean = 0.0, naive
    means = np.empty(len(sizes))
    for k, size in enumerate(sizes):
        w = _cell_weights(c, size * aniso, origin1, half_extent, int(noff),
                          normalize_offsets)
        means[k] = float(np.dot(w, v) / w.sum())
        better = means[k] < best_mean if objective == "min" else means[k] > best_mean
        if better or force:
            best_size, best_mean, best_w = float(size), means[k], w
    weights = best_w * (n / best_w.sum())
    table = pd.DataFrame({"cell_size": sizes, "declustered_mean": means})
    return DeclusterResult(weights, best_size, float(np.dot(weights, v) / n), naive, table,
                           objective)


def _cell_weights(c: np.ndarray, size: np.ndarray, origin1: np.ndarray,
                  half_extent: np.ndarray, noff: int, normalize: bool) -> np.ndarray:
    """Sum over the origin offsets of the per-offset weights (each summing to one, or the
    inverse cell counts as they are when ``normalize`` is False)."""
    shift = np.minimum(size / noff, half_extent)
    w = np.zeros(len(c))
    for kp in range(noff):
        idx = np.floor((c - (origin1 - kp * shift)) / size).astype(np.int64)
        idx -= idx.min(axis=0)
        span = idx.max(axis=0) + 1
        if float(np.prod(span.astype(float))) < 2.0**62:  # one integer key per cell: fast
            key = idx[:, 0] + span[0] * (idx[:, 1] + span[1] * idx[:, 2])
            _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        else:
            _, inverse, counts = np.unique(idx, axis=0, return_inverse=True, return_counts=True)
        inv = 1.0 / counts[inverse.reshape(-1)]
        w += inv / inv.sum() if normalize else inv
    return w


# --------------------------------------------------------------------------- polygonal


def polygonal_weights(coords: np.ndarray, *, box: np.ndarray | None = None,
                      padding: float | np.ndarray = 0.0, spacing: float | None = None,
                      method: str = "auto", max_nodes: int = 4_000_000,
                      chunk: int = 200_000) -> np.ndarray:
    """Nearest-neighbour (polygonal) declustering weights.

    Each sample weighs the volume of its Voronoi cell clipped to ``box`` (area in 2-D):
    the part of the box closer to it than to any other sample. Coincident samples share their
    cell equally. Axes along which the box has no extent (e.g. Z of 2-D data) are ignored.

    Parameters
    ----------
    coords : (n, 3) float array of X, Y, Z in m ((n, 2) for 2-D).
    box : (2, d) array ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]``; default the data's
        bounding box, grown by ``padding`` (m, scalar or per axis) on every side.
    spacing : node spacing (m) of the discretisation used by ``method="grid"``; default the one
        that gives about 500 nodes per sample (at least a million, at most ``max_nodes``).
        A cell's volume is then right to about its surface times the spacing: refine the
        spacing for few samples, or use ``"exact"`` in 2-D.
    method : ``"exact"`` (2-D only: Voronoi polygons clipped to the box, areas by the shoelace
        formula), ``"grid"`` (box discretised into nodes, each node given to its nearest sample
        by a KD-tree, in chunks of ``chunk`` nodes), or ``"auto"`` (exact in 2-D, grid in 3-D).
    max_nodes : refuse a discretisation with more nodes than this.

    Returns
    -------
    (n,) float64 weights averaging 1 (they sum to ``n``).

    Raises
    ------
    ParameterError : samples outside the box, a box with no extent, too many nodes.

    Examples
    --------
    >>> g = np.array([[x, y] for x in range(3) for y in range(3)], float)
    >>> polygonal_weights(g, padding=0.5).round(6).tolist() == [1.0] * 9
    True
    """
    c = _coords3(coords)
    n = len(c)
    if n == 0:
        raise ParameterError("polygonal_weights: no samples")
    if method not in ("auto", "exact", "grid"):
        raise ParameterError(f"method: expected 'auto', 'exact' or 'grid', found {method!r}")
    if box is None:
        pad = np.asarray(padding, float).reshape(-1)
        if len(pad) == 1:
            pad = np.repeat(pad, 3)
        if len(pad) < 3:
            pad = np.concatenate([pad, np.zeros(3 - len(pad))])
        if len(pad) != 3 or not (np.isfinite(pad).all() and (pad >= 0).all()):
            raise ParameterError(f"padding: expected non-negative lengths (one, or one per "
                                 f"axis), found {padding}")
        # a flat data set stays flat: no padding across an axis the data do not span
        pad = np.where(c.max(axis=0) > c.min(axis=0), pad, 0.0)
        b = np.stack([c.min(axis=0) - pad, c.max(axis=0) + pad])
    else:
        b = np.asarray(box, dtype=np.float64)
        if b.ndim != 2 or b.shape[0] != 2 or not 1 <= b.shape[1] <= 3:
            raise ParameterError(f"box: expected [[xmin, ymin, zmin], [xmax, ymax, zmax]], "
                                 f"found shape {b.shape}")
        if b.shape[1] < 3:
            b = np.hstack([b, np.zeros((2, 3 - b.shape[1]))])
        if not np.isfinite(b).all() or (b[1] < b[0]).any():
            raise ParameterError(f"box: expected finite corners with min ≤ max, found "
                                 f"{b.tolist()}")
    tol = 1e-9 * max(1.0, float(np.abs(b).max()))
    if ((c < b[0] - tol) | (c > b[1] + tol)).any():
        i = int(np.flatnonzero(((c < b[0] - tol) | (c > b[1] + tol)).any(axis=1))[0])
        raise ParameterError(f"polygonal_weights: sample {i} at {c[i].tolist()} lies outside "
                             f"the box {b.tolist()}")
    axes = np.flatnonzero(b[1] - b[0] > tol)
    if len(axes) == 0:
        return np.ones(n)  # every sample at one point
    c, b = c[:, axes], b[:, axes]
    # Coincident samples share one cell: work with unique locations.
    uniq, inverse, counts = np.unique(c, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    dim = len(axes)
    if method == "exact" and dim != 2:
        raise ParameterError(f"method='exact' is for 2-D data; these have {dim} dimension(s)")
    vol = None
    if method == "exact" or (method == "auto" and dim == 2):
        vol = _voronoi_areas_2d(uniq, b)
        if vol is None and method == "exact":
            raise ParameterError("method='exact': Qhull cannot build the Voronoi diagram of "
                                 "these samples; use method='grid'")
    if vol is None:
        vol = _grid_volumes(uniq, b, spacing, max_nodes, chunk)
    w = vol[inverse] / counts[inverse]
    total = w.sum()
    if not total > 0:
        return np.ones(n)
    return w * (n / total)


def _grid_volumes(pts: np.ndarray, box: np.ndarray, spacing: float | None, max_nodes: int,
                  chunk: int) -> np.ndarray:
    from scipy.spatial import cKDTree

    ext = box[1] - box[0]
    if spacing is None:
        target = min(0.9 * max_nodes, max(1_000_000, 500 * len(pts)))
        spacing = float((np.prod(ext) / target) ** (1 / len(ext)))
    if not (spacing > 0 and np.isfinite(spacing)):
        raise ParameterError(f"spacing: expected a positive length, found {spacing}")
    counts = np.maximum(1, np.ceil(ext / spacing - 1e-9).astype(np.int64))
    total = int(np.prod(counts.astype(float)))
    if total > max_nodes:
        raise ParameterError(f"spacing {spacing:g} m gives {total:,} nodes, more than "
                             f"max_nodes={max_nodes:,}; use a larger spacing")
    step = ext / counts  # cells of equal volume tile the box exactly
    tree = cKDTree(pts)
    k = min(4, len(pts))
    hits = np.zeros(len(pts))
    for start in range(0, total, chunk):
        ids = np.arange(start, min(total, start + chunk))
        idx = np.stack(np.unravel_index(ids, counts), axis=1)
        nodes = box[0] + (idx + 0.5) * step
        dist, near = tree.query(nodes, k=k)
        if k == 1:
            hits += np.bincount(near, minlength=len(pts))
            continue
        # A node equidistant from several samples (on a bisector: common with regular data)
        # is shared equally among them, so that no sample wins every tie.
        tie = dist <= dist[:, :1] * (1 + 1e-12) + 1e-12 * float(step.max())
        share = tie / tie.sum(axis=1, keepdims=True)
        hits += np.bincount(near.ravel(), weights=share.ravel(), minlength=len(pts))
    return hits * float(np.prod(step))


def _voronoi_areas_2d(pts: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Exact areas of the Voronoi cells of ``pts`` (unique, inside ``box``) clipped to the box,
    or None when Qhull cannot build the diagram (e.g. all points on one line)."""
    from scipy.spatial import QhullError, Voronoi

    lo, hi = box
    centre = 0.5 * (lo + hi)
    span = float(max(hi - lo)) or 1.0
    # Far sentinels make every sample's cell bounded; clipping to the box removes their effect.
    r = 10.0 * span
    ring = centre + r * np.array([[np.cos(t), np.sin(t)]
                                  for t in np.linspace(0, 2 * np.pi, 8, endpoint=False)])
    try:
        vor = Voronoi(np.vstack([pts, ring]))
    except (QhullError, ValueError):
        return None
    areas = np.empty(len(pts))
    for i in range(len(pts)):
        region = vor.regions[vor.point_region[i]]
        if not region or -1 in region:
            return None
        poly = vor.vertices[region]
        # Qhull lists a 2-D region's vertices in order around the cell.
        if (poly < lo).any() or (poly > hi).any():
            poly = _clip_to_box(poly, lo, hi)
        areas[i] = _shoelace(poly)
    return areas


def _clip_to_box(poly: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sutherland–Hodgman clipping of a convex polygon to an axis-aligned rectangle."""
    for axis in (0, 1):
        for bound, keep_below in ((lo[axis], False), (hi[axis], True)):
            if len(poly) == 0:
                return poly
            d = poly[:, axis] - bound
            inside = d <= 0 if keep_below else d >= 0
            out = []
            m = len(poly)
            for j in range(m):
                p, q = poly[j], poly[(j + 1) % m]
                dp, dq = d[j], d[(j + 1) % m]
                ip, iq = inside[j], inside[(j + 1) % m]
                if ip:
                    out.append(p)
                if ip != iq:
                    t = dp / (dp - dq)
                    x = p + t * (q - p)
                    x[axis] = bound
                    out.append(x)
            poly = np.array(out) if out else np.empty((0, 2))
    return poly


def _shoelace(poly: np.ndarray) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
