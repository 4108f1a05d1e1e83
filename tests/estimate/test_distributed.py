"""Estimation on Dask: tiles see every sample their blocks may use, and a LocalCluster of two
worker processes gives, block for block, the numbers of the local run, even when a worker is
killed in the middle of the run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError
from orebook.estimate import BlockGrid, BlockModel, Neighbourhood, SearchParams, estimate_blocks
from orebook.estimate.distributed import (
    MANIFEST,
    Executor,
    check_tiles,
    estimate_blocks_distributed,
    executor_of_plan,
    load_tiles,
    merge_tiles,
    run_plan_distributed,
)
from orebook.estimate.plan import read_plan, run_plan
from orebook.estimate.tiles import (
    Tile,
    default_tile_shape,
    make_tiles,
    search_half_widths,
    tile_samples,
)
from orebook.geostats import Structure, VariogramModel, save_model
from orebook.geostats.models import rotation_matrix

MODEL = VariogramModel(0.1, (Structure("spherical", 0.9, (120.0, 80.0, 40.0), (30.0, 0.0, 0.0)),))
ORIGIN = (548_000.0, 3_622_000.0, 100.0)


def drill_holes(seed: int = 0, jitter: float = 0.0):
    """Vertical holes on a regular 20 m pattern, a sample every 4 m (many distances equal in
    theory, so ties must break the same way everywhere); optional jitter of the collars."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(0.0, 300.0, 20.0), np.arange(0.0, 240.0, 20.0))
    collars = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-jitter, jitter,
                                                                      (gx.size, 2))
    depth = np.arange(2.0, 80.0, 4.0)
    xyz = np.column_stack([np.repeat(collars[:, 0], depth.size),
                           np.repeat(collars[:, 1], depth.size),
                           180.0 - np.tile(depth, len(collars))]) + [ORIGIN[0], ORIGIN[1], 0.0]
    hole = np.repeat(np.array([f"H{i:03d}" for i in range(len(collars))], dtype=object),
                     depth.size)
    v = np.exp(np.sin(xyz[:, 0] / 50.0) + 0.5 * np.cos(xyz[:, 1] / 30.0)
               + rng.normal(0.0, 0.3, len(xyz)))
    v[rng.random(len(v)) < 0.02] = np.nan  # missing assays are left out, as locally
    return xyz, v, hole


def assert_same(local: BlockModel, got: BlockModel) -> None:
    assert got.grid == local.grid
    np.testing.assert_array_equal(got.index, local.index)
    assert list(got.columns) == list(local.columns)
    for name in local.columns:  # bit for bit, NaN where NaN
        np.testing.assert_array_equal(got[name], local[name], err_msg=name)
    assert [r["parameters"] for r in got.runs] == [r["parameters"] for r in local.runs]
    assert [r["columns"] for r in got.runs] == [r["columns"] for r in local.runs]


def assert_same_summary(local: pd.DataFrame, got: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), local.reset_index(drop=True),
                                  check_dtype=False)
    assert got.attrs["unestimated"] == local.attrs["unestimated"]


# -- tiles, without a cluster -----------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.tuples(*[st.integers(1, 9)] * 3), st.tuples(*[st.integers(1, 5)] * 3))
def test_tiles_hold_every_block_once(count, shape):
    grid = BlockGrid((0, 0, 0), (1, 1, 1), count)
    tiles = make_tiles(grid, shape)
    every = np.concatenate([t.index(grid) for t in tiles])
    np.testing.assert_array_equal(np.sort(every), np.arange(grid.n_blocks))
    for t in tiles:
        idx = t.index(grid)
        assert np.all(np.diff(idx) > 0) and idx.size == t.n_blocks
        ijk = grid.ijk(idx)
        assert (ijk >= t.lo).all() and (ijk < t.hi).all()


def test_default_tile_shape_is_about_the_size_asked():
    assert default_tile_shape(BlockGrid((0, 0, 0), (1, 1, 1), (1000, 1000, 1000)),
                              262_144) == (64, 64, 64)
    flat = default_tile_shape(BlockGrid((0, 0, 0), (1, 1, 1), (1000, 800, 2)), 100_000)
    assert flat[2] == 2 and 0.5 * 100_000 <= np.prod(flat) <= 100_000
    assert default_tile_shape(BlockGrid((0, 0, 0), (1, 1, 1), (3, 4, 5))) == (3, 4, 5)


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.floats(5, 200), st.floats(5, 200), st.floats(5, 200)),
       st.tuples(st.floats(0, 360), st.floats(-90, 90), st.floats(-90, 90)),
       st.floats(-180, 180))
def test_half_widths_are_the_ellipsoid_extent_in_the_grid_frame(radii, angles, rotation):
    # points of the ellipsoid's surface, built from its own axes, seen along the grid axes:
    # the largest coordinate is the half-width (the bound is attained, never exceeded)
    grid = BlockGrid((0, 0, 0), (1, 1, 1), (1, 1, 1), rotation)
    h = search_half_widths([SearchParams(radii, angles)], grid)
    u = np.random.default_rng(0).normal(size=(20_000, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    world = (u * radii) @ rotation_matrix(*angles)  # rows: points of the surface
    local = world @ grid.axes
    ext = np.abs(local).max(axis=0)
    assert (ext <= h * (1 + 1e-12)).all()
    np.testing.assert_allclose(ext, h, rtol=2e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.floats(0, 90), st.floats(0, 360), st.floats(-60, 60))
def test_a_tile_sees_every_sample_its_blocks_may_use(seed, rotation, azimuth, dip):
    rng = np.random.default_rng(seed)
    grid = BlockGrid(ORIGIN, (10, 8, 5), (30, 25, 12), rotation)
    xyz = grid.to_world(rng.uniform([-80, -80, -40], [380, 280, 100], (1500, 3)))
    passes = [SearchParams((40, 25, 10), (azimuth, dip, 20), max_samples=8),
              SearchParams((90, 60, 30), (azimuth, dip, 20), max_samples=8)]
    half = search_half_widths(passes, grid)
    tile = make_tiles(grid, (12, 10, 5))[int(rng.integers(0, 18))]
    sel = tile_samples(grid.to_local(xyz), tile, grid, half)
    # brute force: every sample inside some pass's ellipsoid of some block of the tile
    cent = grid.centroids(tile.index(grid))
    need = np.zeros(len(xyz), dtype=bool)
    for p in passes:
        m = rotation_matrix(*p.angles) / np.asarray(p.radii)[:, None]
        for c in np.array_split(cent, 20):
            d = np.linalg.norm((xyz[None, :, :] - c[:, None, :]) @ m.T, axis=2)
            need |= (d <= 1.0).any(axis=0)
    assert set(np.flatnonzero(need)) <= set(sel.tolist())
    # and the search over the tile's samples finds what the search over all samples finds
    allnb = Neighbourhood.build(xyz)
    tilenb = Neighbourhood.build(xyz[sel])
    for p in passes:
        a, b = allnb.query(cent, p), tilenb.query(cent, p)
        np.testing.assert_array_equal(a.count, b.count)
        mapped = np.where(b.index >= 0, sel[np.maximum(b.index, 0)], -1)
        np.testing.assert_array_equal(np.sort(a.index, axis=1), np.sort(mapped, axis=1))


def test_the_box_is_tight_at_the_tile_edge():
    # one sample just inside the reach of the tile's last block along x, one just outside
    grid = BlockGrid((0, 0, 0), (10, 10, 10), (10, 10, 10))
    tile = make_tiles(grid, (5, 10, 10))[0]  # ix 0..4: last centroid x = 45
    half = search_half_widths([SearchParams((30, 20, 20), (90, 0, 0))], grid)  # major: east
    np.testing.assert_allclose(half, [30, 20, 20])
    local = np.array([[74.99, 50.0, 50.0], [75.01, 50.0, 50.0], [-25.01, 5.0, 5.0]])
    assert tile_samples(local, tile, grid, half).tolist() == [0]


def lattice(seed: int = 0):
    """Half the nodes of a regular 5 m lattice: very many distances equal in theory."""
    rng = np.random.default_rng(seed)
    g = np.stack(np.meshgrid(np.arange(0, 200, 5.0), np.arange(0, 150, 5.0),
                             np.arange(0, 40, 5.0), indexing="ij"), -1).reshape(-1, 3)
    g = g[rng.random(len(g)) < 0.5]
    return g + ORIGIN, rng.normal(size=len(g))


def test_the_extreme_samples_make_every_tie_break_as_in_the_whole_run():
    # the search works from the centre of its samples' box: a tile's own samples round the
    # distances otherwise, and ties on a lattice then break otherwise; with the six extreme
    # samples the tile's search has the whole run's centre, and every block comes out the same
    from orebook.estimate.distributed import _extremes

    xyz, v = lattice()
    grid = BlockGrid(ORIGIN, (5, 5, 5), (40, 30, 8))
    passes = [SearchParams((12, 9, 6), (15, 10, 0), 1, 5)]
    whole = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, method="idw").model
    half, local = search_half_widths(passes, grid), grid.to_local(xyz)
    extremes = _extremes(xyz, v[:, None])
    assert len(extremes) <= 6
    differ = {False: 0, True: 0}
    for with_extremes in (False, True):
        for t in make_tiles(grid, (10, 10, 8))[:6]:
            sel = tile_samples(local, t, grid, half)
            if with_extremes:
                sel = np.union1d(sel, extremes)
            idx = t.index(grid)
            got = estimate_blocks(BlockModel(grid, idx), xyz[sel], v[sel], passes,
                                  method="idw").model
            differ[with_extremes] += int((got["estimate"] != whole["estimate"][idx]).sum())
    assert differ[False] > 100 and differ[True] == 0


# -- on a LocalCluster of two worker processes ------------------------------------------------

@pytest.fixture(scope="module")
def client():
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.CRITICAL,
                      env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster) as c:
        yield c


def test_ok_with_passes_is_identical(client, tmp_path):
    xyz, v, hole = drill_holes()
    grid = BlockGrid((ORIGIN[0], ORIGIN[1], 90.0), (10, 10, 5), (40, 32, 24))
    passes = [SearchParams((60, 40, 15), (30, 0, 0), 6, 16, max_per_hole=4),
              SearchParams((150, 100, 40), (30, 0, 0), 2, 24, max_per_octant=4)]
    kw = {"method": "ok", "model": MODEL, "discretisation": (2, 2, 1), "hole": hole,
          "prefix": "cu_"}
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, **kw)
    assert (local.model["cu_pass"] == 2).sum() > 100 and np.isnan(local.model["cu_estimate"]).any()
    seen = []
    run = estimate_blocks_distributed(grid, xyz, v, passes, tmp_path / "t", client=client,
                                      tile=(10, 11, 8), progress=lambda d, n, m: seen.append(d),
                                      **kw)
    assert_same(local.model, load_tiles(tmp_path / "t"))
    assert_same_summary(local.summary, run.summaries[0])
    assert seen == list(range(len(run.manifest["tiles"]) + 1))
    assert run.tiles["worker"].nunique() == 2  # both workers took tiles
    assert run.tiles["rows"].sum() == grid.n_blocks
    # every partition is a block model of its own; the merged file is the local model
    part = BlockModel.load_parquet(tmp_path / "t" / "tile-000005.parquet")
    t5 = Tile(5, *[tuple(x) for x in (run.manifest["tiles"][5]["lo"],
                                      run.manifest["tiles"][5]["hi"])])
    np.testing.assert_array_equal(part.index, t5.index(grid))
    merged = BlockModel.load_parquet(merge_tiles(tmp_path / "t", tmp_path / "m.parquet"))
    assert_same(local.model, merged)


def test_idw_on_a_rotated_grid_is_identical(client, tmp_path):
    xyz, v, _ = drill_holes(seed=1, jitter=3.0)
    grid = BlockGrid((ORIGIN[0] + 100, ORIGIN[1] - 60, ORIGIN[2]), (8, 12, 5), (30, 22, 14),
                     rotation=35.0)
    passes = [SearchParams((50, 30, 12), (65, -10, 5), 3, 12),
              SearchParams((120, 80, 30), (65, -10, 5), 1, 20)]
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, method="idw",
                            power=2.5)
    assert np.isnan(local.model["estimate"]).sum() > 0  # part of the grid is beyond reach
    run = estimate_blocks_distributed(BlockModel.from_grid(grid), xyz, v, passes,
                                      tmp_path / "t", method="idw", power=2.5, client=client,
                                      tile=(9, 9, 14))
    assert_same(local.model, load_tiles(run.out_dir))
    assert_same_summary(local.summary, run.summaries[0])
    # and on a lattice, where ties abound
    xyz, v = lattice(1)
    grid = BlockGrid(ORIGIN, (5, 5, 5), (40, 30, 8), rotation=30.0)
    passes = [SearchParams((12, 9, 6), (45, 10, 0), 1, 5)]
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, method="idw")
    run = estimate_blocks_distributed(grid, xyz, v, passes, tmp_path / "l", method="idw",
                                      client=client, tile=(10, 10, 8))
    assert_same(local.model, load_tiles(run.out_dir))


def test_ok_on_a_subset_of_a_rotated_grid_is_identical(client, tmp_path):
    xyz, v, hole = drill_holes(seed=2)
    grid = BlockGrid(ORIGIN, (10, 10, 5), (28, 22, 14), rotation=-20.0)
    c = grid.local_centroids()
    inside = (c[:, 0] - 140) ** 2 / 120**2 + (c[:, 1] - 110) ** 2 / 80**2 < 1  # a domain
    blocks = BlockModel.from_grid(grid).subset(inside)
    passes = [SearchParams((80, 60, 20), (-20, 0, 0), 4, 20)]
    local = estimate_blocks(blocks, xyz, v, passes, model=MODEL, hole=hole)
    run = estimate_blocks_distributed(blocks, xyz, v, passes, tmp_path / "t", model=MODEL,
                                      hole=hole, client=client, tile=(10, 10, 7))
    got = load_tiles(run.out_dir)
    assert len(got) == inside.sum() < grid.n_blocks
    assert_same(local.model, got)
    assert sum(t["rows"] for t in run.manifest["tiles"]) == inside.sum()


def test_a_rerun_replaces_the_tiles_and_checks_catch_damage(client, tmp_path):
    xyz, v, _ = drill_holes(seed=3)
    grid = BlockGrid(ORIGIN, (20, 20, 10), (15, 12, 8))
    passes = [SearchParams((80, 80, 30), max_samples=12)]
    out = tmp_path / "t"
    estimate_blocks_distributed(grid, xyz, v, passes, out, method="nn", client=client,
                                tile=(4, 4, 4))
    run = estimate_blocks_distributed(grid, xyz, v, passes, out, method="nn", client=client,
                                      tile=(8, 6, 8))
    files = sorted(p.name for p in out.glob("tile-*.parquet"))
    assert files == [t["file"] for t in run.manifest["tiles"]] and len(files) == 4
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, method="nn")
    assert_same(local.model, load_tiles(out))
    # a lost tile, a short tile: named
    victim = out / files[1]
    saved = victim.read_bytes()
    victim.unlink()
    with pytest.raises(InputError, match="tiles missing") as err:
        check_tiles(out)
    assert err.value.file == str(out)
    BlockModel.load_parquet(out / files[0]).subset(
        np.arange(run.manifest["tiles"][0]["rows"]) < 5).save_parquet(victim)
    with pytest.raises(InputError, match="rows, expected") as err:
        load_tiles(out)
    assert err.value.file == str(victim)
    victim.write_bytes(saved[: len(saved) // 2])  # cut short: not a Parquet file
    with pytest.raises(InputError, match="not a readable Parquet file") as err:
        check_tiles(out)
    assert err.value.file == str(victim)
    victim.write_bytes(saved)
    check_tiles(out)


def test_a_scheduler_address_or_a_cluster_of_its_own(client, tmp_path):
    xyz, v, _ = drill_holes(seed=7)
    grid = BlockGrid(ORIGIN, (20, 20, 10), (15, 12, 8))
    passes = [SearchParams((80, 80, 30), max_samples=12)]
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, method="idw")
    seen = []
    estimate_blocks_distributed(grid, xyz, v, passes, tmp_path / "a", method="idw",
                                scheduler=client.scheduler.address, tile=(8, 6, 8),
                                progress=lambda d, n, m: seen.append(m))
    assert_same(local.model, load_tiles(tmp_path / "a"))
    assert client.scheduler.address in seen[0]
    estimate_blocks_distributed(grid, xyz, v, passes, tmp_path / "b", method="idw", workers=1,
                                tile=(8, 6, 8))
    assert_same(local.model, load_tiles(tmp_path / "b"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300),
                 st.recursive(st.none() | st.integers() | st.text(max_size=8),
                              lambda c: st.lists(c, max_size=3)
                              | st.dictionaries(st.sampled_from(
                                  ["format", "grid", "tiles", "columns", "runs", "file",
                                   "rows", "lo", "hi"]), c, max_size=4),
                              max_leaves=12).map(lambda d: json.dumps(d).encode())))
def test_a_damaged_manifest_is_named(tmp_path_factory, content):
    out = tmp_path_factory.mktemp("fuzz")
    (out / MANIFEST).write_bytes(content)
    with pytest.raises(InputError) as err:
        load_tiles(out)
    assert err.value.file is not None and str(out) in err.value.file
    with pytest.raises(InputError):
        merge_tiles(out, out / "m.parquet")
    assert not (out / "m.parquet").exists()


PLAN = """[samples]
file = "comp.csv"

[grid]
origin = [548000.0, 3622000.0, 100.0]
size = [10.0, 10.0, 5.0]
count = [30, 24, 16]
rotation = 15.0

[[estimate]]
variable = "cu"
method = "ok"
model = "cu.toml"
discretisation = [2, 2, 1]

[[estimate.pass]]
radii = [60.0, 40.0, 15.0]
angles = [30.0, 0.0, 0.0]
min_samples = 4
max_samples = 16
max_per_hole = 4

[[estimate.pass]]
radii = [150.0, 100.0, 40.0]
angles = [30.0, 0.0, 0.0]
min_samples = 2
max_samples = 24

[[estimate]]
variable = "au"
method = "idw"
prefix = "au_"

[[estimate.pass]]
radii = [50.0, 50.0, 20.0]
max_samples = 8

[output]
file = "model.parquet"
"""


def test_a_plan_gives_the_file_run_plan_gives(client, tmp_path):
    xyz, v, hole = drill_holes(seed=4)
    pd.DataFrame({"hole": hole, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "cu": v,
                  "au": np.sqrt(np.nan_to_num(v, nan=1.0))}).to_csv(tmp_path / "comp.csv",
                                                                     index=False)
    save_model(MODEL, tmp_path / "cu.toml")
    (tmp_path / "plan.toml").write_text(PLAN)
    plan = read_plan(tmp_path / "plan.toml")
    out, summaries = run_plan(plan)
    local = BlockModel.load_parquet(out)
    out.rename(tmp_path / "local.parquet")
    messages = []
    got_out, got_summaries = run_plan_distributed(
        plan, client=client, tile=(11, 9, 8), progress=lambda d, n, m: messages.append(m))
    assert got_out == out and not (tmp_path / "model.tiles").exists()
    assert_same(local, BlockModel.load_parquet(got_out))
    for a, b in zip(summaries, got_summaries):
        assert_same_summary(a, b)
    assert "tiles on tcp://" in messages[0] and "dashboard" in messages[0]


DOMAIN_PLAN = """[samples]
file = "comp.csv"
domain_column = "rock"

[grid]
origin = [548000.0, 3622000.0, 100.0]
size = [10.0, 10.0, 5.0]
count = [30, 24, 16]
domains = {file = "blocks.parquet", column = "zone"}

[[estimate]]
variable = "cu"
method = "ok"
model = "cu.toml"
domain = "ox"
soft = ["ox", "fr"]
prefix = "cu_"

[[estimate.pass]]
radii = [80.0, 60.0, 20.0]
max_samples = 12

[[estimate]]
variable = "cu"
method = "idw"
domain = "fr"
prefix = "cu_"

[[estimate.pass]]
radii = [80.0, 60.0, 20.0]
max_samples = 12

[output]
file = "model.parquet"
"""


def test_a_plan_with_block_domains_gives_the_file_run_plan_gives(client, tmp_path):
    # two steps fill the same columns, each in its own blocks (ox with a soft boundary)
    xyz, v, hole = drill_holes(seed=6)
    rock = np.where(xyz[:, 2] > 150.0, "ox", "fr")
    pd.DataFrame({"hole": hole, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "cu": v,
                  "rock": rock}).to_csv(tmp_path / "comp.csv", index=False)
    save_model(MODEL, tmp_path / "cu.toml")
    grid = BlockGrid(ORIGIN, (10, 10, 5), (30, 24, 16))
    zone = np.where(grid.centroids()[:, 2] > 150.0, "ox", "fr").astype(object)
    zone[::97] = ""  # a few blocks of no domain: never estimated
    BlockModel.from_grid(grid, {"zone": zone}, {"source": "test"}).save_parquet(
        tmp_path / "blocks.parquet")
    (tmp_path / "plan.toml").write_text(DOMAIN_PLAN)
    plan = read_plan(tmp_path / "plan.toml")
    out, summaries = run_plan(plan)
    local = BlockModel.load_parquet(out)
    assert next(iter(local.columns)) == "zone" and np.isnan(local["cu_estimate"][::97]).all()
    out.unlink()
    got_out, got_summaries = run_plan_distributed(plan, client=client, tile=(7, 24, 6),
                                                  keep_tiles=True)
    assert_same(local, BlockModel.load_parquet(got_out))
    assert_same(local, load_tiles(tmp_path / "model.tiles"))
    for a, b in zip(summaries, got_summaries):
        assert_same_summary(a, b)
        assert a.attrs["domain"] == b.attrs["domain"]


@pytest.mark.parametrize("table, expected", [
    ("", Executor()),
    ('[executor]\nkind = "local"\n', Executor()),
    ('[executor]\nworkers = 3\n', Executor("dask", workers=3)),
    ('[executor]\nkind = "dask"\nscheduler = "tcp://h:8786"\ntile = [8, 8, 4]\n',
     Executor("dask", "tcp://h:8786", None, (8, 8, 4))),
])
def test_the_executor_table_of_a_plan(tmp_path, table, expected):
    (tmp_path / "plan.toml").write_text(PLAN + "\n" + table)
    (tmp_path / "cu.toml").write_text("")
    got = executor_of_plan(read_plan(tmp_path / "plan.toml"))
    assert got == expected
    # the command line's options win
    assert got.with_options(kind="local") == Executor(tile=expected.tile)
    assert got.with_options(scheduler="tcp://x:1") == Executor("dask", "tcp://x:1", None,
                                                                expected.tile)
    assert got.with_options(workers=2, tile=(4, 4, 4)) == Executor("dask", None, 2, (4, 4, 4))


@pytest.mark.parametrize("table, key, message", [
    ('[executor]\nkind = "spark"\n', "executor.kind", "must be one of local, dask"),
    ('[executor]\nworkers = 0\n', "executor.workers", "whole number ≥ 1"),
    ('[executor]\nkind = "local"\nworkers = 2\n', "executor.workers", "need the dask"),
    ('[executor]\ntile = [8, 8]\n', "executor.tile", "3 whole numbers"),
    ('[executor]\nnodes = 8\n', "executor.nodes", "unknown key"),
    ('[executor]\nworkers = 2\nscheduler = "tcp://h:1"\n', "executor", "not both"),
])
def test_a_bad_executor_table_names_its_line(tmp_path, table, key, message):
    text = PLAN + "\n" + table
    (tmp_path / "plan.toml").write_text(text)
    with pytest.raises(InputError, match=message) as err:
        executor_of_plan(read_plan(tmp_path / "plan.toml"))
    lines = text.splitlines()
    assert err.value.column == key and err.value.file == str(tmp_path / "plan.toml")
    want = key.split(".")[-1] if "." in key else "[executor]"
    assert lines[err.value.row - 1].startswith(want)


def test_an_executor_runs_a_plan_here_or_on_the_cluster(client, tmp_path):
    xyz, v, hole = drill_holes(seed=8)
    pd.DataFrame({"hole": hole, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "cu": v,
                  "au": v}).to_csv(tmp_path / "comp.csv", index=False)
    save_model(MODEL, tmp_path / "cu.toml")
    (tmp_path / "plan.toml").write_text(PLAN)
    plan = read_plan(tmp_path / "plan.toml")
    out, _ = Executor().run(plan)
    local = BlockModel.load_parquet(out)
    out.unlink()
    Executor("dask", scheduler=client.scheduler.address, tile=(16, 16, 16)).run(plan)
    assert_same(local, BlockModel.load_parquet(out))


def test_a_worker_killed_mid_run_loses_nothing(client, tmp_path):
    xyz, v, hole = drill_holes(seed=5)
    grid = BlockGrid(ORIGIN, (10, 10, 5), (30, 24, 16))
    passes = [SearchParams((80, 60, 20), (30, 0, 0), 4, 24, max_per_hole=5)]
    kw = {"model": MODEL, "discretisation": (2, 2, 2), "hole": hole}
    local = estimate_blocks(BlockModel.from_grid(grid), xyz, v, passes, **kw)
    out = tmp_path / "t"
    pids = client.run(os.getpid)
    victim = min(pids.values())
    box: dict = {}

    def run():
        try:
            box["run"] = estimate_blocks_distributed(grid, xyz, v, passes, out, client=client,
                                                     tile=(6, 6, 4), retries=2, **kw)
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["error"] = exc

    th = threading.Thread(target=run)
    th.start()
    t0 = time.monotonic()
    while len(list(out.glob("tile-*.parquet"))) < 3 and time.monotonic() - t0 < 60:
        time.sleep(0.005)
    done_at_kill = len(list(out.glob("tile-*.parquet")))
    os.kill(victim, signal.SIGKILL)
    th.join(timeout=120)
    assert not th.is_alive() and "error" not in box, box.get("error")
    total = len(box["run"].manifest["tiles"])
    assert 3 <= done_at_kill < total  # killed in the middle of the run
    assert victim not in client.run(os.getpid).values()  # the nanny started another process
    assert_same(local.model, load_tiles(out))
    assert not list(out.glob(".tile-*"))  # no temporary file left by the killed write
    client.wait_for_workers(2, timeout=60)


def test_bad_options_are_named_before_any_work(client, tmp_path):
    xyz, v, _ = drill_holes()
    grid = BlockGrid(ORIGIN, (10, 10, 5), (4, 4, 4))
    p = [SearchParams((50, 50, 20))]
    with pytest.raises(OrebookError, match="method"):
        estimate_blocks_distributed(grid, xyz, v, p, tmp_path / "a", method="ik", client=client)
    with pytest.raises(OrebookError, match="variogram"):
        estimate_blocks_distributed(grid, xyz, v, p, tmp_path / "a", client=client)
    with pytest.raises(OrebookError, match="max_per_hole"):
        estimate_blocks_distributed(grid, xyz, v, [SearchParams((50, 50, 20), max_per_hole=2)],
                                    tmp_path / "a", method="nn", client=client)
    with pytest.raises(OrebookError, match="tile"):
        estimate_blocks_distributed(grid, xyz, v, p, tmp_path / "a", method="nn",
                                    client=client, tile=(0, 1, 1))
    (tmp_path / "f").write_text("x")
    with pytest.raises(OrebookError, match="folder"):
        estimate_blocks_distributed(grid, xyz, v, p, tmp_path / "f", method="nn", client=client)
