"""``orebook stats``, ``decluster``, ``variogram experimental|fit`` and ``gslib …`` end to end,
on GSLIB's cluster.dat; every number is checked against the library called directly or a
hand computation."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from orebook.cli import app
from orebook.geostats import (Direction, Lags, cell_declustering, experimental_variogram,
                              load_model)
from orebook.io.geoeas import read_geoeas
from orebook.io.runlog import file_sha256

GSLIB = Path(__file__).parent / "gslib" / "data"


def invoke(*args):
    res = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return res


@pytest.fixture
def cluster(tmp_path) -> Path:
    shutil.copy(GSLIB / "cluster.dat", tmp_path / "cluster.dat")
    return tmp_path / "cluster.dat"


def _cluster_arrays():
    df = read_geoeas(GSLIB / "cluster.dat").data
    xyz = np.column_stack([df["Xlocation"], df["Ylocation"], np.zeros(len(df))])
    return xyz, df["Primary"].to_numpy(float)


def test_stats_weights_and_outputs(tmp_path):
    comp = tmp_path / "c.csv"
    comp.write_text("hole,from,to,length,x,y,z,domain,Cu_pct\n"
                    "A,0,2,2,0,0,10,ox,1.0\nA,2,3,1,0,0,8.5,ox,4.0\nB,0,2,2,50,0,10,su,2.0\n")
    res = invoke("stats", comp, "--out", tmp_path / "s")
    assert res.exit_code == 0, res.output
    t = pd.read_csv(tmp_path / "s" / "statistics.csv").set_index("domain")
    assert t.loc["ox", "mean"] == pytest.approx((1 * 2 + 4 * 1) / 3)  # length-weighted
    assert t.loc["ox", "count"] == 2 and t.loc["su", "mean"] == 2.0
    for name in ("Cu_pct_histogram.png", "Cu_pct_probability.png"):
        assert (tmp_path / "s" / name).read_bytes()[:4] == b"\x89PNG"
    run = tomllib.loads((tmp_path / "s" / "run.toml").read_text())
    assert run["input"][0]["sha256"] == file_sha256(comp)
    assert run["parameters"]["weights"] == "length"
    res = invoke("stats", comp, "--weights", "equal", "--out", tmp_path / "e")
    t = pd.read_csv(tmp_path / "e" / "statistics.csv").set_index("domain")
    assert t.loc["ox", "mean"] == pytest.approx(2.5)


def test_decluster_cell_matches_the_library(cluster, tmp_path):
    res = invoke("decluster", cluster, "--variable", "Primary", "--cells", 24, "--min-size", 1,
                 "--max-size", 25, "--offsets", 5, "--out", tmp_path / "d")
    assert res.exit_code == 0, res.output
    xyz, v = _cluster_arrays()
    lib = cell_declustering(xyz, v, ncell=24, cmin=1, cmax=25, noff=5)
    w = pd.read_csv(tmp_path / "d" / "weights.csv")
    np.testing.assert_allclose(w["weight"], lib.weights, rtol=1e-12)
    mean = float(np.average(w["Primary"], weights=w["weight"]))
    assert mean == pytest.approx(2.52, abs=0.02)  # GSLIB: about 2.53; true mean 2.58
    table = pd.read_csv(tmp_path / "d" / "declustering.csv")
    assert len(table) == 25
    assert (tmp_path / "d" / "declustering.png").exists()


def test_decluster_polygonal(cluster, tmp_path):
    res = invoke("decluster", cluster, "--variable", "Primary", "--method", "polygonal",
                 "--out", tmp_path / "p")
    assert res.exit_code == 0, res.output
    w = pd.read_csv(tmp_path / "p" / "weights.csv")["weight"]
    assert w.mean() == pytest.approx(1.0) and (w > 0).all()


def test_variogram_experimental_and_fit(cluster, tmp_path):
    out = tmp_path / "v"
    res = invoke("variogram", "experimental", cluster, "--variable", "Primary", "--lags", 10,
                 "--lag-width", 5, "--lag-tol", 3, "--direction", "0,22.5,25,0,22.5,25",
                 "--direction", "90,22.5,25", "--map", 6, "--out", out)
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "experimental.csv")
    xyz, v = _cluster_arrays()
    lib = experimental_variogram(xyz, v, lags=Lags(10, 5.0, 3.0),
                                 directions=[Direction(0, 22.5, 25, 0, 22.5, 25),
                                             Direction(90, 22.5, 25)])
    for i, ev in enumerate(lib, start=1):
        got = df[df["direction"] == i]
        np.testing.assert_array_equal(got["pairs"], ev.pairs)
        np.testing.assert_allclose(got["value"], ev.value, equal_nan=True)
    assert {"experimental.png", "variogram_map.png", "run.toml"} <= {p.name for p in
                                                                     out.iterdir()}
    res = invoke("variogram", "fit", out / "experimental.csv", "--fix", "nugget=0.5",
                 "--out", tmp_path / "m")
    assert res.exit_code == 0, res.output
    model = load_model(tmp_path / "m" / "model.toml")
    assert model.nugget == 0.5  # held
    fit = pd.read_csv(tmp_path / "m" / "fit.csv")
    # the table's model column is the saved model evaluated at the experimental distances
    row = fit.dropna(subset=["distance"]).iloc[3]
    az = [0.0, 90.0][int(row["direction"])]
    assert row["model"] == pytest.approx(float(model.gamma_along(row["distance"], az, 0.0)))


def test_gslib_runners(tmp_path):
    # the parameter files name ../data/cluster.dat, as in the GSLIB distribution
    (tmp_path / "data").mkdir()
    (tmp_path / "run").mkdir()
    shutil.copy(GSLIB / "cluster.dat", tmp_path / "data" / "cluster.dat")
    for name in ("gamv.par", "declus.par", "kt3d.par", "kb2d.par"):
        shutil.copy(GSLIB / name, tmp_path / "run" / name)
    tmp_path = tmp_path / "run"
    res = invoke("gslib", "declus", tmp_path / "declus.par")
    assert res.exit_code == 0, res.output
    out = read_geoeas(tmp_path / "declus.out").data
    xyz, v = _cluster_arrays()
    lib = cell_declustering(xyz, v, ncell=24, cmin=1, cmax=25, noff=5)
    np.testing.assert_allclose(out.iloc[:, -1], lib.weights, atol=1e-4)  # GSLIB's f format
    res = invoke("gslib", "gamv", tmp_path / "gamv.par")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "gamv.out").read_text().count("Semivariogram") >= 3
    res = invoke("gslib", "kt3d", tmp_path / "kt3d.par")  # cross-validation of cluster.dat
    assert res.exit_code == 0, res.output
    xv = read_geoeas(tmp_path / "kt3d.out", missing=None).data
    assert list(xv.columns) == ["X", "Y", "Z", "True", "Estimate", "EstimationVariance",
                                "Error: est-true"]
    np.testing.assert_allclose(xv["True"], v, atol=5e-4)  # the data, to 3 decimals
    res = invoke("gslib", "kb2d", tmp_path / "kb2d.par")
    assert res.exit_code == 0, res.output
    assert len(read_geoeas(tmp_path / "kb2d.out").data) == 25


@pytest.mark.parametrize("args, message", [
    (["stats", "{c}", "--variable", "Gold"], "--variable 'Gold' is not a value column"),
    (["variogram", "experimental", "{c}", "--variable", "Primary", "--lags", "5",
      "--lag-width", "2", "--kind", "cross"], "--kind cross needs --head"),
    (["variogram", "experimental", "{c}", "--variable", "Primary", "--lags", "5",
      "--lag-width", "2", "--direction", "north"], "--direction 'north'"),
    (["decluster", "{c}", "--variable", "Primary", "--domain", "ox"], "no sample of domain"),
])
def test_errors_are_one_line(cluster, args, message):
    res = CliRunner().invoke(app, [a.format(c=cluster) for a in args])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert message in " ".join(res.output.split())
