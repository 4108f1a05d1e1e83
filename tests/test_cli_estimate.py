"""``orebook crossval`` (and ``orebook estimate`` with block domains) end to end on a tiny
plan; the numbers written are checked against the library called directly."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from orebook.cli import app
from orebook.estimate import BlockGrid, BlockModel, SearchParams
from orebook.estimate.crossval import STATISTICS, cross_validate, crossval_statistics
from orebook.geostats import Structure, VariogramModel, save_model

MODEL = VariogramModel(0.1, (Structure("spherical", 0.9, (60.0, 60.0, 30.0)),))
PASSES = [SearchParams((25.0, 25.0, 12.0), min_samples=4, max_samples=12),
          SearchParams((200.0, 200.0, 100.0), min_samples=2, max_samples=16)]
PLAN = '''[samples]
file = "comp.csv"

[grid]
origin = [0.0, 0.0, -40.0]
size = [20.0, 20.0, 10.0]
count = [4, 4, 4]
domains = {file = "blocks.parquet"}

[[estimate]]
variable = "cu"
model = "cu.toml"

[[estimate.pass]]
radii = [25.0, 25.0, 12.0]
min_samples = 4
max_samples = 12

[[estimate.pass]]
radii = [200.0, 200.0, 100.0]
min_samples = 2
max_samples = 16

[[estimate]]
variable = "cu"
method = "idw"
domain = "ox"
prefix = "cu_idw_"

[[estimate.pass]]
radii = [200.0, 200.0, 100.0]
max_samples = 8

[output]
file = "model.parquet"

[classification]
method = "distance"
'''
PNG = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    tops = rng.uniform(0, 80, (12, 2))
    df = pd.DataFrame({"hole": np.repeat([f"D{i:02d}" for i in range(12)], 6),
                       "x": np.repeat(tops[:, 0], 6), "y": np.repeat(tops[:, 1], 6),
                       "z": -np.tile(np.arange(6) * 6.0, 12) - 2.0})
    df["cu"] = np.exp(np.cos(df.x / 30) + 0.2 * np.sin(df.y / 20) + rng.normal(0, 0.2, 72))
    df["domain"] = np.where(df.z > -15, "ox", "fr")
    df.to_csv(tmp_path / "comp.csv", index=False)
    save_model(MODEL, tmp_path / "cu.toml")
    grid = BlockGrid((0.0, 0.0, -40.0), (20.0, 20.0, 10.0), (4, 4, 4))
    zone = np.where(grid.centroids()[:, 2] > -15, "ox", "fr").astype(object)
    BlockModel.from_grid(grid, {"domain": zone}).save_parquet(tmp_path / "blocks.parquet")
    (tmp_path / "plan.toml").write_text(PLAN)
    return tmp_path


def _direct(folder: Path, by_hole: bool):
    df = pd.read_csv(folder / "comp.csv")
    xyz, v, hole = df[["x", "y", "z"]].to_numpy(), df["cu"].to_numpy(), df["hole"].to_numpy(
        object)
    ok = cross_validate(xyz, v, MODEL, PASSES, hole=hole, by_hole=by_hole)
    ox = df["domain"].to_numpy() == "ox"
    idw = cross_validate(xyz, np.where(ox, v, np.nan), None,
                         SearchParams((200.0, 200.0, 100.0), max_samples=8), kind="idw",
                         hole=hole, by_hole=by_hole, targets=ox)
    return ok, idw


@pytest.mark.parametrize("by_hole", [False, True])
def test_crossval_writes_what_the_library_computes(folder, by_hole):
    args = ["crossval", folder / "plan.toml"] + (["--holes"] if by_hole else [])
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    out = folder / "plan_crossval"
    for (name, cv) in zip(("cu", "cu_idw_ox"), _direct(folder, by_hole)):
        got = pd.read_csv(out / f"{name}_crossval.csv")
        want = cv.table
        assert list(got.columns) == list(want.columns)
        assert got["sample"].tolist() == want["sample"].tolist()
        assert got["hole"].tolist() == want["hole"].tolist()
        for col in ("x", "y", "z", "true", "estimate", "error", "variance", "standardized"):
            np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=0,
                                       equal_nan=True, err_msg=col)
        assert got["nsamples"].tolist() == want["nsamples"].tolist()
        assert got["pass"].tolist() == want["pass"].tolist()
        for kind in ("scatter", "errors", "map"):
            png = (out / f"{name}_{kind}.png").read_bytes()
            assert png.startswith(PNG) and len(png) > 1000
    # the estimate column holds error + true, and the statistics are those of the table
    stats = pd.read_csv(out / "statistics.csv")
    assert stats["step"].tolist() == ["cu", "cu_idw_ox"]
    assert stats["mode"].tolist() == ["leave-one-hole-out" if by_hole else "leave-one-out"] * 2
    cu = pd.read_csv(out / "cu_crossval.csv")
    again = crossval_statistics(cu["true"].to_numpy(), cu["estimate"].to_numpy(),
                                cu["variance"].to_numpy())
    for k in STATISTICS:
        assert stats[k][0] == pytest.approx(again[k], rel=1e-12, nan_ok=True), k
    idw = pd.read_csv(out / "cu_idw_ox_crossval.csv")
    assert (idw["z"] > -15).all() and len(idw) == 36  # the ox samples only
    assert np.isnan(stats["mean_standardized_error"][1])  # idw: no variance
    record = tomllib.loads((out / "crossval.run.toml").read_text())
    assert record["parameters"]["holes"] is by_hole
    assert "Cross-validation" in res.output and "slope_true_on_estimate" in res.output


def test_crossval_out_folder_and_no_map(folder, tmp_path):
    res = invoke("crossval", folder / "plan.toml", "--out", tmp_path / "cv", "--no-map")
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "cv").iterdir())
    assert "cu_map.png" not in names and "cu_scatter.png" in names
    assert not any(n.endswith(".part") for n in names)


def test_crossval_keeps_unestimated_samples_with_the_reason(folder):
    tops = pd.read_csv(folder / "comp.csv").groupby("hole")[["x", "y"]].first().to_numpy()
    gaps = np.linalg.norm(tops[:, None] - tops[None], axis=2)[np.triu_indices(12, 1)]
    assert gaps.min() > 2.0  # no two holes of this draw within 2 m
    # leave-one-hole-out: no sample has another hole's sample within 2 m, so the first pass
    # estimates none and the second every one
    text = PLAN.replace("radii = [25.0, 25.0, 12.0]\nmin_samples = 4",
                        "radii = [2.0, 2.0, 2.0]\nmin_samples = 1")
    (folder / "plan.toml").write_text(text)
    res = invoke("crossval", folder / "plan.toml", "--holes", "--no-map")
    assert res.exit_code == 0, res.output
    got = pd.read_csv(folder / "plan_crossval" / "cu_crossval.csv")
    assert (got["pass"] == 2).all() and (got["nsamples"] == 16).all()
    # one sample per hole from the 11 other holes: never the 16 wanted
    text = text.replace("min_samples = 2\nmax_samples = 16",
                        "min_samples = 16\nmax_samples = 16\nmax_per_hole = 1")
    (folder / "plan.toml").write_text(text)
    res = invoke("crossval", folder / "plan.toml", "--holes", "--no-map")
    assert res.exit_code == 0, res.output
    got = pd.read_csv(folder / "plan_crossval" / "cu_crossval.csv")
    assert got["estimate"].isna().all() and (got["pass"] == 0).all() and len(got) == 72
    assert got["reason"].str.startswith("search: fewer samples than min_samples").all()
    stats = pd.read_csv(folder / "plan_crossval" / "statistics.csv")
    assert stats["count"][0] == 0 and stats["not_estimated"][0] == 72
    assert (folder / "plan_crossval" / "cu_scatter.png").read_bytes().startswith(PNG)


def test_crossval_errors_are_one_line(folder):
    df = pd.read_csv(folder / "comp.csv").drop(columns="hole")
    df.to_csv(folder / "comp.csv", index=False)
    res = invoke("crossval", folder / "plan.toml", "--holes")
    assert res.exit_code == 1 and "error:" in res.output and "hole" in res.output
    text = PLAN.replace('domain = "ox"', 'domain = "zz"')
    (folder / "plan.toml").write_text(text)
    res = invoke("crossval", folder / "plan.toml")
    assert res.exit_code == 1 and "no sample of domain 'zz'" in res.output
    line = text.splitlines().index('domain = "zz"') + 1
    assert f"row {line}, column 'domain'" in res.output


def test_estimate_with_block_domains(folder):
    res = invoke("estimate", folder / "plan.toml")
    assert res.exit_code == 0, res.output
    m = BlockModel.load_parquet(folder / "model.parquet")
    ox = m["domain"] == "ox"
    assert np.isfinite(m["cu_idw_estimate"][ox]).all()
    assert np.isnan(m["cu_idw_estimate"][~ox]).all()
    assert np.isfinite(m["cu_estimate"]).all()
    assert "domain ox" in res.output


def test_estimate_on_a_local_dask_cluster_gives_the_same_model(folder):
    res = invoke("estimate", folder / "plan.toml")
    assert res.exit_code == 0, res.output
    local = BlockModel.load_parquet(folder / "model.parquet")
    (folder / "model.parquet").rename(folder / "local.parquet")
    res = invoke("estimate", folder / "plan.toml", "--workers", 2, "--tile", 2, 2, 2)
    assert res.exit_code == 0, res.output
    assert "tiles" in res.output                 # the scheduler line names the tiles
    dask = BlockModel.load_parquet(folder / "model.parquet")
    assert np.array_equal(local.index, dask.index)
    for col in ("cu_estimate", "cu_variance", "cu_nsamples", "cu_idw_estimate", "domain"):
        a, b = local[col], dask[col]
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), col
        else:
            assert np.array_equal(a, b), col


def test_estimate_executor_errors_are_one_line(folder):
    res = invoke("estimate", folder / "plan.toml", "--executor", "spark")
    assert res.exit_code == 1 and "error:" in res.output and "spark" in res.output
