"""Benchmark: estimation on a Dask LocalCluster of 2 worker processes against the local run.

Issue 9's case (``--size full``): 10,000,000 blocks (10 × 10 × 5 m, 400 × 250 × 100) from
200,000 samples (4,000 vertical holes on a 50 × 50 m pattern, a 10 m composite every 10 m down
to 500 m), ordinary kriging of points with at most 16 samples in an ellipsoid of 120 × 80 × 40 m
(azimuth 30°), a second pass of 250 × 160 × 80 m. Smaller sizes keep the shape of the case:
``medium`` 1,000,000 blocks from 54,450 samples (holes every 30 m), ``small`` 125,000 blocks
from 3,600 (holes every 40 m).

Timed (after a warm-up that loads the compiled kernels in every process):

- **local**: ``estimate_blocks`` on the whole model and ``BlockModel.save_parquet`` (what
  ``run_plan`` does), in a child process on all cores (numba threads = cores);
- **dask**: ``estimate_blocks_distributed`` on a ``LocalCluster(n_workers=2,
  threads_per_worker=1)`` (numba threads = cores / 2 in each worker) into a tile folder, then
  ``merge_tiles`` into one Parquet file (reported apart).

Reported: blocks per second of each, the overhead of the cluster ((dask − local) / local, the
issue's target is < 15 %), peak memory (RSS) of the local process and of each worker, and the
per-tile figures the cost model of ``docs/distributed.md`` uses (compute seconds per block,
samples per tile, bytes written per block). The two models are compared block for block
(up to 2,000,000 blocks: the comparison loads both).

Run: ``.venv/bin/python benchmarks/distributed.py [--size small|medium|full] [--tile X Y Z]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# this file is named distributed.py: keep its folder off the path, or it hides the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

SIZES = {  # grid counts, hole pattern (m), block size (m)
    "small": ((50, 50, 50), 40.0, (10.0, 10.0, 5.0)),
    "medium": ((100, 100, 100), 30.0, (10.0, 10.0, 5.0)),
    "full": ((400, 250, 100), 50.0, (10.0, 10.0, 5.0)),
}


def case(size: str):
    """Samples, values, hole ids, grid, passes and variogram model of one size."""
    from orebook.estimate import BlockGrid, SearchParams
    from orebook.geostats.models import Structure, VariogramModel

    count, spacing, block = SIZES[size]
    extent = np.asarray(count) * np.asarray(block)
    rng = np.random.default_rng(9)
    gx, gy = np.meshgrid(np.arange(spacing / 2, extent[0], spacing),
                         np.arange(spacing / 2, extent[1], spacing))
    collars = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-5, 5, (gx.size, 2))
    depth = np.arange(5.0, extent[2], 10.0)
    xyz = np.column_stack([np.repeat(collars[:, 0], depth.size),
                           np.repeat(collars[:, 1], depth.size),
                           extent[2] - np.tile(depth, len(collars))])
    xyz += (500_000.0, 7_000_000.0, 0.0)
    hole = np.repeat(np.arange(len(collars)), depth.size).astype(str).astype(object)
    v = np.exp(np.sin(xyz[:, 0] / 300) + np.cos(xyz[:, 1] / 200) + rng.normal(0, 0.4, len(xyz)))
    grid = BlockGrid((500_000.0, 7_000_000.0, 0.0), block, count)
    model = VariogramModel(0.2, (Structure("spherical", 0.8, (200.0, 120.0, 60.0),
                                           (30.0, 0.0, 0.0)),))
    passes = [SearchParams((120.0, 80.0, 40.0), (30.0, 0.0, 0.0), 4, 16),
              SearchParams((250.0, 160.0, 80.0), (30.0, 0.0, 0.0), 1, 16)]
    return xyz, v, hole, grid, passes, model


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU time of this process so far (user + system, every thread), s."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def local_child(size: str, out: str) -> None:
    """The local run, in its own process (its peak memory is its own)."""
    from orebook.estimate import BlockModel, estimate_blocks

    xyz, v, _, grid, passes, model = case(size)
    warm = BlockModel(grid, np.arange(2000, dtype=np.int64))
    estimate_blocks(warm, xyz, v, passes, model=model)  # loads the compiled kernels
    rss_ready = peak_rss_mb()
    t, c = time.perf_counter(), cpu_s()
    run = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, model=model)
    t_est, c_est = time.perf_counter() - t, cpu_s() - c
    run.model.save_parquet(out)
    t_all, c_all = time.perf_counter() - t, cpu_s() - c
    print(json.dumps({"estimate_s": t_est, "total_s": t_all, "estimate_cpu_s": c_est,
                      "total_cpu_s": c_all, "peak_rss_mb": peak_rss_mb(),
                      "rss_ready_mb": rss_ready}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=tuple(SIZES), default="small")
    ap.add_argument("--tile", type=int, nargs=3, default=None,
                    help="blocks per tile along x, y, z (default: about 262,144 blocks, "
                         "at least 4 tiles per worker)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-local", action="store_true", help="skip the local run")
    ap.add_argument("--local-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.local_child:
        local_child(args.size, args.local_child)
        return

    import logging

    import dask
    from distributed import Client, LocalCluster

    from orebook.estimate import BlockModel
    from orebook.estimate.distributed import estimate_blocks_distributed, merge_tiles
    from orebook.estimate.tiles import default_tile_shape

    xyz, v, _, grid, passes, model = case(args.size)
    cores = os.cpu_count() or 1
    # default: about 262,144 blocks a tile, at least 4 tiles per worker
    tile = tuple(args.tile) if args.tile else default_tile_shape(
        grid, min(262_144, grid.n_blocks // (4 * args.workers)))
    print(f"{grid.n_blocks:,} blocks from {len(xyz):,} samples ({args.size}); tiles of "
          f"{tile[0]} × {tile[1]} × {tile[2]}; {cores} cores")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        local = None
        if not args.no_local:
            out = subprocess.run([sys.executable, __file__, "--size", args.size,
                                  "--local-child", f"{tmp}/local.parquet"],
                                 check=True, capture_output=True, text=True)
            local = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
        threads = max(1, cores // args.workers)
        with dask.config.set({"distributed.worker.profile.enabled": False}), \
                LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                             dashboard_address=":0", silence_logs=logging.ERROR,
                             env={"NUMBA_NUM_THREADS": str(threads)}) as cluster, \
                Client(cluster) as client:
            warm = BlockModel(grid, np.arange(8000, dtype=np.int64))  # every worker a tile
            estimate_blocks_distributed(warm, xyz, v, passes, f"{tmp}/warm", model=model,
                                        client=client, tile=(10, 10, 1))
            rss_ready = client.run(peak_rss_mb)
            c0, cd = sum(client.run(cpu_s).values()), cpu_s()
            t = time.perf_counter()
            run = estimate_blocks_distributed(grid, xyz, v, passes, f"{tmp}/tiles",
                                              model=model, client=client, tile=tile)
            t_dist = time.perf_counter() - t
            c_workers = sum(client.run(cpu_s).values()) - c0
            c_driver = cpu_s() - cd
            rss = client.run(peak_rss_mb)
        t = time.perf_counter()
        merge_tiles(f"{tmp}/tiles", f"{tmp}/dask.parquet")
        t_merge = time.perf_counter() - t
        driver_rss = peak_rss_mb()
        same = None
        if local is not None and grid.n_blocks <= 2_000_000:
            a = BlockModel.load_parquet(f"{tmp}/local.parquet")
            b = BlockModel.load_parquet(f"{tmp}/dask.parquet")
            same = all(np.array_equal(a[c], b[c], equal_nan=True) for c in a.columns)
    tiles = run.tiles
    n = grid.n_blocks
    print(f"\n{'':<44}{'time':>10}{'blocks/s':>14}{'peak RSS':>22}")
    if local is not None:
        print(f"{'local (estimate_blocks, all cores)':<44}{local['estimate_s']:>8.1f} s"
              f"{n / local['estimate_s']:>14,.0f}{local['peak_rss_mb']:>19,.0f} MB")
        print(f"{'  + save_parquet':<44}{local['total_s']:>8.1f} s"
              f"{n / local['total_s']:>14,.0f}")
    per_worker = ", ".join(f"{m:,.0f}" for m in rss.values())
    print(f"{f'dask, {args.workers} workers × 1 thread (tile files)':<44}{t_dist:>8.1f} s"
          f"{n / t_dist:>14,.0f}{per_worker:>19} MB")
    print(f"{'  + merge_tiles into one file (driver)':<44}{t_dist + t_merge:>8.1f} s"
          f"{n / (t_dist + t_merge):>14,.0f}{driver_rss:>19,.0f} MB")
    ready = ", ".join(f"{m:,.0f}" for m in rss_ready.values())
    print(f"workers after warm-up (imports, kernels, samples): {ready} MB")
    print(f"CPU time: dask workers {c_workers:.1f} s (in the tiles' estimation "
          f"{tiles['cpu_seconds'].sum():.1f} s), driver {c_driver:.1f} s"
          + ("" if local is None else f"; local estimate {local['estimate_cpu_s']:.1f} s, "
             f"+ save {local['total_cpu_s']:.1f} s"))
    if local is not None:
        print(f"overhead in CPU time (workers + driver vs local estimate + save): "
              f"{100 * ((c_workers + c_driver) / local['total_cpu_s'] - 1):+.1f} %")
        over = t_dist / local["estimate_s"] - 1
        over_file = (t_dist + t_merge) / local["total_s"] - 1
        print(f"overhead in wall time: {100 * over_file:+.1f} % to one Parquet file (dask "
              f"tiles + merge vs local estimate + save_parquet; target < 15 %: "
              f"{'met' if over_file < 0.15 else 'NOT met'}), "
              f"{100 * (t_dist / local['total_s'] - 1):+.1f} % to the tile folder, "
              f"{100 * over:+.1f} % estimate only (the dask time includes writing the tiles)")
    if same is not None:
        print(f"same model block for block: {same}")
    compute = tiles["seconds"].sum()
    print(f"\nper tile ({len(tiles)} tiles): compute {tiles['seconds'].mean():.2f} s "
          f"(max {tiles['seconds'].max():.2f}, CPU {tiles['cpu_seconds'].mean():.2f}), "
          f"{tiles['samples'].mean():,.0f} samples, {tiles['bytes'].mean() / 2**20:.1f} MB "
          f"written in {tiles['write_seconds'].mean():.2f} s")
    print(f"per block: estimation {1e6 * tiles['cpu_seconds'].sum() / n:.2f} µs of CPU "
          f"({1e6 * compute / n:.2f} µs wall, one thread), workers' other CPU (writing, "
          f"tasks) {1e6 * (c_workers - tiles['cpu_seconds'].sum()) / n:.2f} µs, driver and "
          f"scheduler {1e6 * c_driver / n:.2f} µs; written {tiles['bytes'].sum() / n:.1f} "
          f"bytes; samples scattered {(xyz.nbytes * 2 + v.nbytes) / 2**20:.1f} MB to each "
          f"worker; wall / (compute / workers) = {t_dist / (compute / args.workers):.2f}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"(benchmark ran {time.perf_counter() - t0:.0f} s)")
