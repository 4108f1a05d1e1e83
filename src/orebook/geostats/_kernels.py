"""Pair search and accumulation for experimental variograms (numba), with NumPy twins.

The rules are those of GSLIB ``gamv`` and are documented in :mod:`orebook.geostats.experimental`;
this module only does the arithmetic. Two implementations of each accumulation exist:

- ``gamv_accumulate`` / ``varmap_accumulate``: points sorted into a grid of cells, each point
  paired with the points of its own and the neighbouring cells (half of them, so that each pair
  is met once), in fixed blocks of points run in parallel, each block with its own
  accumulators (the result does not depend on the number of threads). Memory is O(n) plus the
  accumulators: pairs are never stored.
- ``gamv_accumulate_numpy`` / ``varmap_accumulate_numpy``: every pair at once with NumPy, for
  small n; the tests check that both agree.

Accumulators, per direction and lag class (last axis, see ``ACC_*``): number of pairs, Σ h,
Σ of the measure (squared difference, product, ...), Σ tail value, Σ head value, Σ tail²,
Σ head². "Tail" and "head" follow gamv: for a pair whose separation vector points along the
direction (tail at x, head at x + h) the tail value is the tail variable at x.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "ACC_DIST",
    "ACC_HEAD",
    "ACC_HEAD2",
    "ACC_N",
    "ACC_TAIL",
    "ACC_TAIL2",
    "ACC_VALUE",
    "DIR_FIELDS",
    "EPSLON",
    "KIND_CODES",
    "N_ACC",
    "gamv_accumulate",
    "gamv_accumulate_numpy",
    "varmap_accumulate",
    "varmap_accumulate_numpy",
]

KIND_CODES = {"semivariogram": 1, "cross": 2, "covariance": 3, "correlogram": 4,
              "pairwise_relative": 6}
"""GSLIB ``ivtype`` of each kind."""

ACC_N, ACC_DIST, ACC_VALUE, ACC_TAIL, ACC_HEAD, ACC_TAIL2, ACC_HEAD2 = range(7)
N_ACC = 7

DIR_FIELDS = ("ux", "uy", "uhdec", "uzdec", "csatol", "csdtol", "bandh", "bandv", "omni")
"""Columns of the direction table: horizontal unit vector of the azimuth (x east, y north),
horizontal and vertical components of the dip, cosines of the tolerances, bandwidths (m) and 1.0
where gamv counts each pair in both orders (azimuth tolerance ≥ 90°)."""

EPSLON = 1.0e-20
"""gamv's EPSLON: smallest pair sum of a pairwise relative variogram, smallest σ·σ of a
correlogram."""

_MAX_CELLS_PER_AXIS = 1 << 20
_N_BLOCKS = 128  # fixed, so that sums do not depend on the number of threads


# ------------------------------------------------------------------------------------------
# cells

def _grid(coords: np.ndarray, cell: np.ndarray):
    """Sort points into cells of size ``cell`` (3,). Returns the order of the points, the cell
    of each sorted point, and per occupied cell (sorted by key): key, first and end point,
    integer cell coordinates; plus the number of cells per axis and the grid origin."""
    lo = coords.min(axis=0)
    span = coords.max(axis=0) - lo
    cell = np.asarray(cell, float).copy()
    # an infinite or huge cell on an axis: one cell there; too many cells: bigger cells
    for a in range(3):
        if not np.isfinite(cell[a]) or cell[a] <= 0 or cell[a] > span[a]:
            cell[a] = max(span[a], 1.0) * 2.0
        cell[a] = max(cell[a], span[a] / (_MAX_CELLS_PER_AXIS - 2))
    ijk = np.floor((coords - lo) / cell).astype(np.int64)
    dims = ijk.max(axis=0) + 1
    key = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
    order = np.argsort(key, kind="stable")
    skey = key[order]
    first = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
    end = np.r_[first[1:], len(skey)]
    cell_of = np.repeat(np.arange(len(first)), end - first)
    cijk = ijk[order][first]
    return (order, cell_of.astype(np.int64), skey[first], first.astype(np.int64),
            end.astype(np.int64), np.ascontiguousarray(cijk), dims.astype(np.int64), lo, cell)


def _half_offsets(k: np.ndarray) -> np.ndarray:
    """Neighbour cell offsets within ±k per axis, lexicographically ≥ (0, 0, 0): each pair of
    cells is visited once."""
    r = [np.arange(-kk, kk + 1) for kk in k]
    o = np.stack(np.meshgrid(*r, indexing="ij"), axis=-1).reshape(-1, 3)
    keep = (o[:, 0] > 0) | ((o[:, 0] == 0) & ((o[:, 1] > 0) | ((o[:, 1] == 0) & (o[:, 2] >= 0))))
    o = o[keep]
    # (0, 0, 0) first
    o = o[np.argsort(np.abs(o).sum(axis=1), kind="stable")]
    return np.ascontiguousarray(o.astype(np.int64))


def _blocks(n: int) -> np.ndarray:
    nb = max(1, min(n, _N_BLOCKS))
    return np.linspace(0, n, nb + 1).round().astype(np.int64)


# ------------------------------------------------------------------------------------------
# gamv


def gamv_accumulate(coords: np.ndarray, tail: np.ndarray, head: np.ndarray, dirs: np.ndarray,
                    nlag: int, width: float, tol: float, dmax: float, eps_d: float,
                    eps_c: float, kind: int, mode: int, subdivide: int = 2) -> np.ndarray:
    """Accumulators (ndir, nclass, N_ACC) over every pair of points closer than ``dmax``.

    coords : (n, 3) float64. tail, head : (n,) values of the tail and head variables (NaN
    missing). dirs : (ndir, len(DIR_FIELDS)). mode 0: gamv lag classes (nlag + 2: class 0 holds
    h ≤ eps_d, class k + 1 holds |h − k·width| ≤ tol), self-pairs included; mode 1: gstat
    classes (nlag: class k holds k·width < h ≤ (k + 1)·width), each pair once, no self-pairs.
    subdivide : cells are dmax / subdivide wide.
    """
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    nclass = nlag + 2 if mode == 0 else nlag
    out_shape = (dirs.shape[0], nclass, N_ACC)
    n = len(coords)
    if n == 0:
        return np.zeros(out_shape)
    sub = max(1, int(subdivide))
    order, cell_of, keys, first, end, cijk, dims, lo, cell = _grid(
        coords, np.full(3, dmax / sub))
    kk = np.minimum(np.ceil(dmax / cell).astype(np.int64), dims - 1)
    offsets = _half_offsets(kk)
    c = coords[order]
    blocks = _blocks(n)
    out = np.zeros((len(blocks) - 1, *out_shape))
    _gamv_kernel(np.ascontiguousarray(c[:, 0]), np.ascontiguousarray(c[:, 1]),
                 np.ascontiguousarray(c[:, 2]), order.astype(np.int64),
                 np.ascontiguousarray(tail[order], dtype=np.float64),
                 np.ascontiguousarray(head[order], dtype=np.float64),
                 cell_of, keys, first, end, cijk, dims, lo, cell, offsets, blocks,
                 np.ascontiguousarray(dirs, dtype=np.float64), nlag, width, tol, dmax * dmax,
                 eps_d, eps_c, kind, mode, out)
    return out.sum(axis=0)


def gamv_accumulate_numpy(coords: np.ndarray, tail: np.ndarray, head: np.ndarray,
                          dirs: np.ndarray, nlag: int, width: float, tol: float, dmax: float,
                          eps_d: float, eps_c: float, kind: int, mode: int) -> np.ndarray:
    """Same as :func:`gamv_accumulate`, every pair at once (small n only: O(n²) memory)."""
    coords = np.asarray(coords, float)
    tail = np.asarray(tail, float)
    head = np.asarray(head, float)
    n = len(coords)
    nclass = nlag + 2 if mode == 0 else nlag
    out = np.zeros((dirs.shape[0], nclass, N_ACC))
    i, j = np.triu_indices(n, 0 if mode == 0 else 1)  # i ≤ j: gamv's loop order
    d = coords[j] - coords[i]
    hs = (d * d).sum(axis=1)
    keep = hs <= dmax * dmax
    i, j, d, hs = i[keep], j[keep], d[keep], hs[keep]
    h = np.sqrt(hs)
    # lag classes of each pair: a (pairs, nclass) membership table
    if mode == 0:
        centre = np.arange(nlag + 1) * width
        member = np.zeros((len(h), nclass), dtype=bool)
        zero = h <= eps_d
        member[:, 0] = zero
        member[:, 1:] = (~zero[:, None] & (h[:, None] >= centre - tol - eps_d)
                         & (h[:, None] <= centre + tol + eps_d))
    else:
        zero = np.zeros(len(h), dtype=bool)
        lower, upper = np.arange(nlag) * width, np.arange(1, nlag + 1) * width
        member = (h[:, None] > lower) & (h[:, None] <= upper)
    dx, dy, dz = d[:, 0], d[:, 1], d[:, 2]
    dxy = np.sqrt(dx * dx + dy * dy)
    for k, (ux, uy, uhdec, uzdec, csatol, csdtol, bandh, bandv, omni) in enumerate(dirs):
        with np.errstate(divide="ignore", invalid="ignore"):
            dcazm = np.where(dxy < eps_d, 1.0, (dx * ux + dy * uy) / dxy)
            ok = np.abs(dcazm) >= csatol - eps_c
            ok &= np.abs(ux * dy - uy * dx) <= bandh + eps_d
            sdxy = np.where(dcazm < 0, -dxy, dxy)
            dcdec = np.where(zero, 0.0, (sdxy * uhdec + dz * uzdec) / np.where(zero, 1.0, h))
            ok &= zero | (np.abs(dcdec) >= csdtol - eps_c)
            ok &= np.abs(uhdec * dz - uzdec * sdxy) <= bandv + eps_d
        fwd = (dcazm >= 0) & (dcdec >= 0)
        tp = np.where(fwd, i, j)  # the tail point of each pair
        hp = np.where(fwd, j, i)
        t, hd = tail[tp], head[hp]  # tail value, head value
        t2, h2 = tail[hp], head[tp]  # the reversed pair (omnidirectional, cross)
        ok &= ~np.isnan(t) & ~np.isnan(hd)
        if kind == 2:
            ok &= ~np.isnan(t2) & ~np.isnan(h2)
        contributions = []
        if kind == 2:
            contributions.append((ok, 0.5 * (t + t2), 0.5 * (hd + h2), (t2 - t) * (hd - h2)))
        else:
            second = ok & (omni > 0) & ~np.isnan(t2) & ~np.isnan(h2)
            for sel, a, b in ((ok, t, hd), (second, t2, h2)):
                if kind == 1:
                    g = (a - b) ** 2
                elif kind in (3, 4):
                    g = a * b
                else:  # 6: pairwise relative
                    with np.errstate(divide="ignore", invalid="ignore"):
                        g = (2.0 * (b - a) / (b + a)) ** 2
                    sel = sel & (np.abs(a + b) > EPSLON)
                contributions.append((sel, a, b, g))
        for sel, a, b, g in contributions:
            m = member & sel[:, None]  # (pairs, nclass)
            w = m.astype(float)
            out[k, :, ACC_N] += w.sum(axis=0)
            out[k, :, ACC_DIST] += h @ w
            out[k, :, ACC_VALUE] += np.where(sel, g, 0.0) @ w
            out[k, :, ACC_TAIL] += np.where(sel, a, 0.0) @ w
            out[k, :, ACC_HEAD] += np.where(sel, b, 0.0) @ w
            out[k, :, ACC_TAIL2] += np.where(sel, a * a, 0.0) @ w
            out[k, :, ACC_HEAD2] += np.where(sel, b * b, 0.0) @ w
    return out


# ------------------------------------------------------------------------------------------
# variogram map


def varmap_accumulate(uvw: np.ndarray, values: np.ndarray, nx: int, ny: int, dx: float,
                      dy: float, thickness: float) -> np.ndarray:
    """(2·ny + 1, 2·nx + 1, 2): number of pairs and Σ (difference)² per map cell.

    uvw : (n, 3) coordinates in the map's frame (u, v in the plane, w across it). A pair with
    separation (du, dv, dw), |dw| ≤ thickness, goes to cell (round(dv/dy), round(du/dx)) and,
    reversed, to (−round(dv/dy), −round(du/dx)); cells are [(i − ½)·dx, (i + ½)·dx).
    """
    uvw = np.ascontiguousarray(uvw, dtype=np.float64)
    n = len(uvw)
    out_shape = (2 * ny + 1, 2 * nx + 1, 2)
    if n < 2:
        return np.zeros(out_shape)
    rx, ry = (nx + 0.5) * dx, (ny + 0.5) * dy
    rw = thickness if np.isfinite(thickness) else np.inf
    order, cell_of, keys, first, end, cijk, dims, lo, cell = _grid(
        uvw, np.array([rx, ry, rw]))
    kk = np.minimum(np.ceil(np.array([rx, ry, rw if np.isfinite(rw) else 0.0]) / cell)
                    .astype(np.int64), dims - 1)
    offsets = _half_offsets(kk)
    c = uvw[order]
    blocks = _blocks(n)
    out = np.zeros((len(blocks) - 1, *out_shape))
    _varmap_kernel(np.ascontiguousarray(c[:, 0]), np.ascontiguousarray(c[:, 1]),
                   np.ascontiguousarray(c[:, 2]),
                   np.ascontiguousarray(values[order], dtype=np.float64), cell_of, keys, first,
                   end, cijk, dims, lo, cell, offsets, blocks, nx, ny, dx, dy, rx, ry, rw, out)
    return out.sum(axis=0)


def varmap_accumulate_numpy(uvw: np.ndarray, values: np.ndarray, nx: int, ny: int, dx: float,
                            dy: float, thickness: float) -> np.ndarray:
    """Same as :func:`varmap_accumulate`, every pair at once (small n only)."""
    uvw = np.asarray(uvw, float)
    values = np.asarray(values, float)
    out = np.zeros((2 * ny + 1, 2 * nx + 1, 2))
    i, j = np.triu_indices(len(uvw), 1)
    d = uvw[j] - uvw[i]
    g = (values[j] - values[i]) ** 2
    ok = ~np.isnan(g) & (np.abs(d[:, 2]) <= thickness)
    ok &= (np.abs(d[:, 0]) < (nx + 0.5) * dx) & (np.abs(d[:, 1]) < (ny + 0.5) * dy)
    ix = np.floor(d[:, 0] / dx + 0.5).astype(np.int64)
    iy = np.floor(d[:, 1] / dy + 0.5).astype(np.int64)
    ok &= (np.abs(ix) <= nx) & (np.abs(iy) <= ny)
    for sign in (1, -1):
        r, c = ny + sign * iy[ok], nx + sign * ix[ok]
        np.add.at(out[:, :, 0], (r, c), 1.0)
        np.add.at(out[:, :, 1], (r, c), g[ok])
    return out


# ------------------------------------------------------------------------------------------
# numba kernels (flat arrays in, preallocated output)


@njit(cache=True, nogil=True, error_model="numpy")
def _gap2(p, lo, b, size):
    """Squared distance from coordinate p to the cell interval [lo + b·size, lo + (b+1)·size]."""
    c0 = lo + b * size
    if p < c0:
        return (c0 - p) * (c0 - p)
    c1 = c0 + size
    if p > c1:
        return (p - c1) * (p - c1)
    return 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _cell_range(a, o, cell_of, keys, first, end, cijk, dims, offsets, x, y, z, lo, cell,
                dmax2):
    """First and end (sorted) point of the neighbour cell ``o`` of point ``a``'s cell, or
    (0, 0) when that cell is empty, outside the grid or farther than dmax from the point."""
    ca = cell_of[a]
    bx = cijk[ca, 0] + offsets[o, 0]
    by = cijk[ca, 1] + offsets[o, 1]
    bz = cijk[ca, 2] + offsets[o, 2]
    if bx < 0 or by < 0 or bz < 0 or bx >= dims[0] or by >= dims[1] or bz >= dims[2]:
        return 0, 0
    # nearest distance from the point to the cell box
    dd = _gap2(x[a], lo[0], bx, cell[0]) + _gap2(y[a], lo[1], by, cell[1]) + _gap2(
        z[a], lo[2], bz, cell[2])
    if dd > dmax2 * (1.0 + 1e-9):  # a margin: cell bounds and point cells may differ by an ulp
        return 0, 0
    key = (bx * dims[1] + by) * dims[2] + bz
    cb = np.searchsorted(keys, key)
    if cb >= keys.shape[0] or keys[cb] != key:
        return 0, 0
    return first[cb], end[cb]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _add(acc, d, k0, k1, h, g, a, b):
    for k in range(k0, k1 + 1):
        acc[d, k, 0] += 1.0
        acc[d, k, 1] += h
        acc[d, k, 2] += g
        acc[d, k, 3] += a
        acc[d, k, 4] += b
        acc[d, k, 5] += a * a
        acc[d, k, 6] += b * b


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _gamv_pair(i, j, dx, dy, dz, hs, vt, vh, dirs, nlag, width, tol, eps_d, eps_c, kind, mode,
               acc):
    """Every direction's contribution of the pair (i, j), i before j in the input order,
    separation (dx, dy, dz) from i to j, hs its squared length (≤ dmax²)."""
    h = np.sqrt(hs)
    inv_w = 1.0 / width
    zero = False
    if mode == 0:
        if h <= eps_d:
            zero = True
            k0 = 0
            k1 = 0
        else:
            lo = np.ceil((h - tol - eps_d) * inv_w)
            hi = np.floor((h + tol + eps_d) * inv_w)
            lo = max(lo, 0.0)
            if hi > nlag:
                hi = float(nlag)
            if lo > hi:
                return
            k0 = int(lo) + 1
            k1 = int(hi) + 1
    else:
        if h <= 0.0:
            return
        # bin k holds (k − 1)·width < h ≤ k·width, bounds as the products (exact ties)
        k = int(np.ceil(h * inv_w))
        if k > 1 and h <= (k - 1) * width:
            k -= 1
        elif h > k * width:
            k += 1
        k = max(k, 1)
        if k > nlag:
            return
        k0 = k - 1
        k1 = k - 1
    dxy = np.sqrt(dx * dx + dy * dy)
    inv_dxy = 1.0 / dxy
    inv_h = 1.0 / h
    for d in range(dirs.shape[0]):
        ux = dirs[d, 0]
        uy = dirs[d, 1]
        uhdec = dirs[d, 2]
        uzdec = dirs[d, 3]
        if dxy < eps_d:
            dcazm = 1.0
        else:
            dcazm = (dx * ux + dy * uy) * inv_dxy
        if abs(dcazm) < dirs[d, 4] - eps_c:
            continue
        if abs(ux * dy - uy * dx) > dirs[d, 6] + eps_d:
            continue
        sdxy = dxy if dcazm >= 0.0 else -dxy
        if zero:
            dcdec = 0.0
        else:
            dcdec = (sdxy * uhdec + dz * uzdec) * inv_h
            if abs(dcdec) < dirs[d, 5] - eps_c:
                continue
        if abs(uhdec * dz - uzdec * sdxy) > dirs[d, 7] + eps_d:
            continue
        if dcazm >= 0.0 and dcdec >= 0.0:
            tp = i
            hp = j
        else:
            tp = j
            hp = i
        t = vt[tp]
        hd = vh[hp]
        if np.isnan(t) or np.isnan(hd):
            continue
        t2 = vt[hp]
        h2 = vh[tp]
        second = not (np.isnan(t2) or np.isnan(h2))
        if kind == 2:
            if not second:
                continue
            _add(acc, d, k0, k1, h, (t2 - t) * (hd - h2), 0.5 * (t + t2), 0.5 * (hd + h2))
            continue
        omni = dirs[d, 8] > 0.0
        if kind == 1:
            _add(acc, d, k0, k1, h, (t - hd) * (t - hd), t, hd)
            if omni and second:
                _add(acc, d, k0, k1, h, (t2 - h2) * (t2 - h2), t2, h2)
        elif kind == 3 or kind == 4:
            _add(acc, d, k0, k1, h, t * hd, t, hd)
            if omni and second:
                _add(acc, d, k0, k1, h, t2 * h2, t2, h2)
        else:  # 6: pairwise relative
            if abs(t + hd) > EPSLON:
                r = 2.0 * (hd - t) / (hd + t)
                _add(acc, d, k0, k1, h, r * r, t, hd)
            if omni and second and abs(t2 + h2) > EPSLON:
                r = 2.0 * (h2 - t2) / (h2 + t2)
                _add(acc, d, k0, k1, h, r * r, t2, h2)


@njit(cache=True, parallel=True, error_model="numpy")
def _gamv_kernel(x, y, z, idx, vt, vh, cell_of, keys, first, end, cijk, dims, lo, cell,
                 offsets, blocks, dirs, nlag, width, tol, dmax2, eps_d, eps_c, kind, mode, out):
    nblock = blocks.shape[0] - 1
    for blk in prange(nblock):
        acc = out[blk]
        for a in range(blocks[blk], blocks[blk + 1]):
            xa = x[a]
            ya = y[a]
            za = z[a]
            ia = idx[a]
            for o in range(offsets.shape[0]):
                if o == 0:  # own cell: the points after a (and a itself for gamv)
                    b0 = a if mode == 0 else a + 1
                    b1 = end[cell_of[a]]
                else:
                    b0, b1 = _cell_range(a, o, cell_of, keys, first, end, cijk, dims, offsets,
                                         x, y, z, lo, cell, dmax2)
                for b in range(b0, b1):
                    dx = x[b] - xa
                    dy = y[b] - ya
                    dz = z[b] - za
                    hs = dx * dx + dy * dy + dz * dz
                    if hs > dmax2:
                        continue
                    # gamv's order: i is the point that comes first in the input
                    i = a
                    j = b
                    if ia > idx[b]:
                        i = b
                        j = a
                        dx = -dx
                        dy = -dy
                        dz = -dz
                    _gamv_pair(i, j, dx, dy, dz, hs, vt, vh, dirs, nlag, width, tol, eps_d,
                               eps_c, kind, mode, acc)


@njit(cache=True, parallel=True, error_model="numpy")
def _varmap_kernel(u, v, w, val, cell_of, keys, first, end, cijk, dims, lo, cell, offsets,
                   blocks, nx, ny, dx, dy, rx, ry, rw, out):
    nblock = blocks.shape[0] - 1
    for blk in prange(nblock):
        acc = out[blk]
        for a in range(blocks[blk], blocks[blk + 1]):
            if np.isnan(val[a]):
                continue
            for o in range(offsets.shape[0]):
                if o == 0:
                    b0 = a + 1
                    b1 = end[cell_of[a]]
                else:
                    b0, b1 = _cell_range(a, o, cell_of, keys, first, end, cijk, dims, offsets,
                                         u, v, w, lo, cell, np.inf)  # no pruning
                for b in range(b0, b1):
                    if np.isnan(val[b]):
                        continue
                    du = u[b] - u[a]
                    dv = v[b] - v[a]
                    dw = w[b] - w[a]
                    if abs(du) >= rx or abs(dv) >= ry or abs(dw) > rw:
                        continue
                    ix = int(np.floor(du / dx + 0.5))
                    iy = int(np.floor(dv / dy + 0.5))
                    if ix < -nx or ix > nx or iy < -ny or iy > ny:
                        continue
                    g = (val[b] - val[a]) * (val[b] - val[a])
                    acc[ny + iy, nx + ix, 0] += 1.0
                    acc[ny + iy, nx + ix, 1] += g
                    acc[ny - iy, nx - ix, 0] += 1.0
                    acc[ny - iy, nx - ix, 1] += g
