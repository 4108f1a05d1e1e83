"""``orebook report grade-tonnage|statement|swath`` end to end on a tiny model whose figures
are computed by hand; errors exit 1 with a message, never a traceback, never a half-written
file."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orebook.cli import app
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.io.estimate_record import read_estimate_record
from orebook.io.runlog import file_sha256


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def tiny(tmp_path) -> Path:
    """Six blocks of 10 × 10 × 5 m = 500 m³ along X: grades 3.0, 0.7, 1.5, 0.2, NaN, 2.0;
    domains 1, 1, 1, 2, 2, 2; state classes B, B, C1, C1, C1, C2."""
    grid = BlockGrid((0, 0, 0), (10, 10, 5), (6, 1, 1))
    m = BlockModel.from_grid(grid, {
        "au": np.array([3.0, 0.7, 1.5, 0.2, np.nan, 2.0]),
        "domain": np.array([1, 1, 1, 2, 2, 2]),
        "class_state": np.array(["B", "B", "C1", "C1", "C1", "C2"], dtype=object),
    }, {"method": "ok"})
    m.save_parquet(tmp_path / "model.parquet")
    return tmp_path / "model.parquet"


def test_grade_tonnage(tiny, tmp_path):
    out, png = tmp_path / "gt.csv", tmp_path / "gt.png"
    r = invoke("report", "grade-tonnage", tiny, "--variable", "au", "--cutoffs", "0,1,2.5",
               "--density", "1=2.0,2=3.0", "--by", "domain", "--out", out, "--plot", png)
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out, dtype={"domain": str})
    # domain 1: 1000 t blocks at 3.0, 0.7, 1.5; domain 2: 1500 t at 0.2, 2.0 (NaN left out)
    d1 = t[t["domain"] == "1"]
    assert d1["tonnes_t"].tolist() == [3000.0, 2000.0, 1000.0]
    assert d1["metal_kg"].tolist() == pytest.approx([5.2, 4.5, 3.0], rel=1e-14)
    d2 = t[t["domain"] == "2"]
    assert d2["tonnes_t"].tolist() == [3000.0, 1500.0, 0.0]
    assert d2["mean_grade_gpt"].iloc[0] == pytest.approx(1.1, rel=1e-14)  # (0.2 + 2) / 2
    tot = t[t["domain"] == "(all)"]
    assert tot["tonnes_t"].tolist() == [6000.0, 3500.0, 1000.0]
    assert png.read_bytes()[:4] == b"\x89PNG"
    rec = tomllib.loads((tmp_path / "gt.run.toml").read_text())
    assert rec["input"][0]["sha256"] == file_sha256(tiny)
    assert rec["parameters"]["cutoffs"] == [0.0, 1.0, 2.5]


def test_statement_and_record(tiny, tmp_path):
    outs = [tmp_path / "s.xlsx", tmp_path / "s.csv", tmp_path / "s.md"]
    r = invoke("report", "statement", tiny, "--variable", "au", "--cutoff", "1",
               "--density", "2.0", *[a for o in outs for a in ("--out", o)],
               "--record", tmp_path / "rec.json", "--deposit", "Kyzyl", "--commodity", "Au",
               "--effective-date", "2026-01-01", "--lower-cutoff", "0.5",
               "--metal-unit", "kg", "--metal-unit", "oz", "--decimals", "0,3,2")
    assert r.exit_code == 0, r.output
    for o in outs:
        assert o.is_file()
    df = pd.read_csv(outs[1], comment="#", dtype={"domain": str, "class": str})
    total = df[df["level"] == "total"].iloc[0]
    # above 1 g/t: 3.0, 1.5 (domain 1) and 2.0 (domain 2), 1000 t each: 3000 t, 6.5 kg
    assert total["tonnes_t_exact"] == 3000.0
    assert total["metal_kg_exact"] == pytest.approx(6.5, rel=1e-15)
    assert total["metal_oz_exact"] == pytest.approx(6500 / 31.1034768, rel=1e-14)
    assert total["grade_gpt"] == pytest.approx(2.167)  # 6.5 / 3, printed to 3 decimals
    text = outs[1].read_text()
    assert f"# model_sha256: {file_sha256(tiny)}" in text
    rec = read_estimate_record(tmp_path / "rec.json")
    assert rec.method == "ordinary kriging"  # from the model's run record
    got = [(x.category, x.group, x.ore, x.metal) for x in rec.lines]
    assert got == [("B", "balance", 1000.0, 3.0),
                   ("B", "off-balance", 1000.0, pytest.approx(0.7, rel=1e-15)),
                   ("C1", "balance", 1000.0, 1.5), ("C2", "balance", 1000.0, 2.0)]


def test_swath(tiny, tmp_path):
    comps = tmp_path / "comps.csv"
    pd.DataFrame({"x": [1.0, 8.0, 31.0], "y": 5.0, "z": 2.5, "au": [10.0, 20.0, 5.0],
                  "w": [1.0, 3.0, 2.0]}).to_csv(comps, index=False)
    out = tmp_path / "sw"
    r = invoke("report", "swath", tiny, "--composites", comps, "--variable", "au",
               "--width", "20", "--weights", "w", "--out", out)
    assert r.exit_code == 0, r.output
    g = pd.read_csv(out / "global_means.csv").set_index("source")
    # (10·1 + 20·3 + 5·2) / 6; blocks (3 + 0.7 + 1.5 + 0.2 + 2) / 5
    assert g.loc["declustered composites", "mean"] == pytest.approx(80 / 6, rel=1e-14)
    assert g.loc["blocks", "mean"] == pytest.approx(7.4 / 5, rel=1e-14)
    # nearest composites of centroids 5, 15, 25, 35, (45 unestimated), 55: 20, 20, 5, 5, 5
    assert g.loc["nearest neighbour", "mean"] == pytest.approx(55 / 5, rel=1e-14)
    sw = pd.read_csv(out / "swath.csv")
    x = sw[sw["axis"] == "x"]
    assert x["block_mean"].tolist() == pytest.approx([3.7 / 2, 1.7 / 2, 2.0])
    assert (out / "swath.png").is_file() and (out / "run.toml").is_file()


@pytest.mark.parametrize("args,message", [
    (["--cutoffs", "x"], "not a number"),
    (["--cutoffs", "0,1", "--by", "lith"], "--by"),
    (["--cutoffs", "0,1", "--variable", "cu"], "no column 'cu'"),
    (["--cutoffs", "0,1", "--density", "1=2.7"], "no density for domain '2'"),
    (["--cutoffs", "0,1", "--out", "gt.xlsx"], ".csv"),
])
def test_grade_tonnage_errors(tiny, tmp_path, args, message):
    base = {"--variable": "au", "--density": "2.7", "--out": str(tmp_path / "gt.csv")}
    it = iter(args)
    for k in it:
        base[k] = next(it)
    r = invoke("report", "grade-tonnage", tiny, *[a for kv in base.items() for a in kv])
    assert r.exit_code == 1
    assert message in r.output
    assert not (tmp_path / "gt.csv").exists()


def test_statement_errors(tiny, tmp_path):
    r = invoke("report", "statement", tiny, "--variable", "au", "--cutoff", "1", "--density",
               "2", "--record", tmp_path / "r.json", "--out", tmp_path / "s.md")
    assert r.exit_code == 1 and "--deposit" in r.output
    r = invoke("report", "statement", tiny, "--variable", "au", "--cutoff", "1", "--density",
               "2", "--decimals", "1,2", "--out", tmp_path / "s.md")
    assert r.exit_code == 1 and "--decimals" in r.output
    assert not list(tmp_path.glob("s.md*"))
    # a refused record (no state category: the class column holds domains) writes nothing
    r = invoke("report", "statement", tiny, "--variable", "au", "--cutoff", "1", "--density",
               "2", "--out", tmp_path / "s.md", "--record", tmp_path / "r.json", "--deposit",
               "D", "--commodity", "Au", "--effective-date", "2026-01-01", "--state-column",
               "domain")
    assert r.exit_code == 1 and "no ore in a balance category" in r.output
    assert not (tmp_path / "s.md").exists() and not (tmp_path / "r.json").exists()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".parquet", ".csv"]))
def test_a_damaged_model_file_is_an_error_naming_it(tmp_path, data, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(data)
    out = tmp_path / "st.md"
    r = invoke("report", "statement", path, "--variable", "au", "--cutoff", "1", "--density",
               "2.7", "--by", "", "--out", out)
    # a CSV of garbage may still read as a model; without an au column it is refused too
    assert r.exit_code == 1, r.output
    assert "error:" in r.output
    assert str(path.name) in r.output or "au" in r.output
    assert not out.exists()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=False),
                                 st.just(-1.0)), min_size=1, max_size=6),
       density=st.sampled_from(["2.7", "dens", "1=2.7", "0", "x=1"]),
       cutoff=st.floats(-5, 5))
def test_any_model_content_ends_in_a_result_or_an_error(tmp_path, values, density, cutoff):
    n = len(values)
    grid = BlockGrid((0, 0, 0), (1, 1, 1), (n, 1, 1))
    m = BlockModel.from_grid(grid, {"au": np.array(values), "domain": np.ones(n, dtype=int),
                                    "class_state": np.array(["A"] * n, dtype=object),
                                    "dens": np.array(values)})
    m.save_parquet(tmp_path / "m.parquet")
    out = tmp_path / "s.csv"
    out.unlink(missing_ok=True)
    r = invoke("report", "statement", tmp_path / "m.parquet", "--variable", "au", "--cutoff",
               cutoff, "--density", density, "--out", out)
    assert r.exit_code in (0, 1), r.output
    if r.exit_code == 1:
        assert "error:" in r.output and not out.exists()
    else:
        df = pd.read_csv(out, comment="#")
        total = df[df["level"] == "total"].iloc[0]
        parts = df[df["level"] == "part"]
        assert total["tonnes_t_exact"] == math.fsum(parts["tonnes_t_exact"])
