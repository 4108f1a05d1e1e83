"""Benchmark: the neighbourhood search of issue 4's kriging case, against scipy's cKDTree.

5,000 samples uniformly in a 1000 × 1000 × 200 m box (seeded, as ``benchmarks/krige3d.py``),
100 × 100 × 10 targets at the centres of 10 × 10 × 20 m blocks, at most 32 samples within
150 m. Timed: ``Neighbourhood.build`` + ``query`` (best of ``--repeat``, after a first call that
compiles or loads the numba cache), then the same with an anisotropic rotated ellipsoid, with
4 per octant (every sample of the ellipsoid is scanned, as GSLIB does) and with leave-one-out
at the samples. The reference is ``cKDTree(samples).query(targets, k=32,
distance_upper_bound=150, workers=-1)`` (isotropic only; no octants), whose neighbours the
plain case must equal.

Run: ``.venv/bin/python benchmarks/search.py [--repeat 5] [--threads N]``.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from scipy.spatial import cKDTree

from orebook.estimate.search import Neighbourhood, SearchParams


def data(n: int = 5000, seed: int = 20240611) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform([0, 0, 0], [1000, 1000, 200], (n, 3))


def grid(nx: int = 100, ny: int = 100, nz: int = 10, size=(10.0, 10.0, 20.0)) -> np.ndarray:
    x = (np.arange(nx) + 0.5) * size[0]
    y = (np.arange(ny) + 0.5) * size[1]
    z = (np.arange(nz) + 0.5) * size[2]
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")  # x fastest (GSLIB order)
    return np.c_[xx.ravel(), yy.ravel(), zz.ravel()]


def best(f, repeat: int) -> tuple[float, float, object]:
    """Best wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = f()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        numba.set_num_threads(args.threads)
    xyz, targets = data(), grid()
    print(f"{len(xyz)} samples, {len(targets)} targets, {numba.get_num_threads()} threads")

    cases = {
        "isotropic 150 m, 32 max": (SearchParams((150, 150, 150)), {}),
        "anisotropic 150/100/50 m, 60/-20/10°": (SearchParams((150, 100, 50), (60, -20, 10)),
                                                 {}),
        "isotropic, 4 per octant": (SearchParams((150, 150, 150), max_per_octant=4), {}),
    }
    t = time.perf_counter()
    Neighbourhood.build(xyz).query(targets[:10], cases["isotropic 150 m, 32 max"][0])
    print(f"first call (compiles or loads the numba cache): {time.perf_counter() - t:.2f} s")
    plain = None
    for name, (params, kw) in cases.items():
        wall, cpu, res = best(lambda p=params: Neighbourhood.build(xyz).query(targets, p),
                              args.repeat)
        plain = res if plain is None else plain
        print(f"  {name:40s} {wall:6.3f} s wall  {cpu:6.3f} s CPU  "
              f"mean count {res.count.mean():.1f}")
    nb = Neighbourhood.build(xyz)
    wall, cpu, _ = best(lambda: nb.query(xyz, SearchParams((150, 150, 150)),
                                         exclude=np.arange(len(xyz))), args.repeat)
    print(f"  {'leave-one-out at the 5,000 samples':40s} {wall:6.3f} s wall  {cpu:6.3f} s CPU")

    tree_wall, tree_cpu, (d, i) = best(
        lambda: cKDTree(xyz).query(targets, k=32, distance_upper_bound=150, workers=-1),
        args.repeat)
    i = np.where(np.isinf(d), -1, i)
    same = bool((np.sort(i, axis=1) == np.sort(plain.index, axis=1)).all())
    print(f"  {'scipy cKDTree (isotropic, 32 max)':40s} {tree_wall:6.3f} s wall  "
          f"{tree_cpu:6.3f} s CPU  same neighbours: {same}")


if __name__ == "__main__":
    main()
