"""Estimation plans: read with named errors, fuzzed, and run to the same numbers as the
library called directly."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orebook.cli import app
from orebook.errors import InputError
from orebook.estimate import BlockGrid, BlockModel, SearchParams, estimate_blocks
from orebook.estimate.plan import read_plan, run_plan
from orebook.geostats import Structure, VariogramModel, save_model

MODEL = VariogramModel(0.1, (Structure("spherical", 0.9, (80.0, 80.0, 30.0)),))
PLAN = '''[samples]
file = "comp.csv"

[grid]
origin = [0.0, 0.0, -50.0]
size = [10.0, 10.0, 5.0]
count = [8, 8, 10]

[[estimate]]
variable = "cu"
method = "ok"
model = "cu.toml"
discretisation = [2, 2, 1]

[[estimate.pass]]
radii = [40.0, 40.0, 15.0]
min_samples = 4
max_samples = 16
max_per_hole = 4

[[estimate.pass]]
radii = [100.0, 100.0, 40.0]
min_samples = 2
max_samples = 24

[output]
file = "model.parquet"
'''


@pytest.fixture
def folder(tmp_path) -> Path:
    rng = np.random.default_rng(2)
    holes = np.repeat([f"H{i}" for i in range(20)], 10)
    df = pd.DataFrame({"hole": holes, "x": np.repeat(rng.uniform(0, 80, 20), 10),
                       "y": np.repeat(rng.uniform(0, 80, 20), 10),
                       "z": -np.tile(np.arange(10) * 5.0, 20)})
    df["cu"] = np.exp(np.sin(df.x / 40) + rng.normal(0, 0.3, len(df)))
    df.to_csv(tmp_path / "comp.csv", index=False)
    save_model(MODEL, tmp_path / "cu.toml")
    (tmp_path / "plan.toml").write_text(PLAN)
    return tmp_path


def test_plan_runs_as_the_library(folder):
    plan = read_plan(folder / "plan.toml")
    out, summaries = run_plan(plan)
    got = BlockModel.load_parquet(out)
    df = pd.read_csv(folder / "comp.csv")
    grid = BlockGrid((0.0, 0.0, -50.0), (10.0, 10.0, 5.0), (8, 8, 10))
    direct = estimate_blocks(
        BlockModel.from_grid(grid), df[["x", "y", "z"]].to_numpy(), df["cu"].to_numpy(),
        [SearchParams((40.0, 40.0, 15.0), min_samples=4, max_samples=16, max_per_hole=4),
         SearchParams((100.0, 100.0, 40.0), min_samples=2, max_samples=24)],
        model=MODEL, discretisation=(2, 2, 1), hole=df["hole"].to_numpy(object)).model
    np.testing.assert_array_equal(got["cu_estimate"], direct["estimate"])
    np.testing.assert_array_equal(got["cu_pass"], direct["pass"])
    assert summaries[0]["estimated"].sum() == int(np.isfinite(direct["estimate"]).sum())
    assert got.runs[-1]["parameters"]["passes"][0]["max_per_hole"] == 4


def test_cli_estimate(folder):
    res = CliRunner().invoke(app, ["estimate", str(folder / "plan.toml")])
    assert res.exit_code == 0, res.output
    assert (folder / "model.parquet").exists() and (folder / "model.run.toml").exists()


@pytest.mark.parametrize("old, new, row, key, message", [
    ("count = [8, 8, 10]", "count = [8, 8.5, 10]", 7, "count", "whole numbers"),
    ('method = "ok"', 'method = "kriging"', 11, "method", "method must be one of"),
    ('model = "cu.toml"\n', "", 10, "variable", "kriging needs model"),
    ("radii = [100.0, 100.0, 40.0]", "radii = [100.0, 40.0]", 22, "radii", "list of 3"),
    ('file = "model.parquet"', 'file = "model.csv"', 27, "file", ".parquet"),
    ("min_samples = 2", "min_samples = -2", 23, "min_samples", "≥ 0"),
    ("[grid]", "[grids]", None, "grid", "needs a [grid] table"),
])
def test_errors_name_line_and_key(folder, old, new, row, key, message):
    p = folder / "plan.toml"
    assert old in PLAN
    p.write_text(PLAN.replace(old, new, 1))
    with pytest.raises(InputError) as e:
        read_plan(p)
    assert message in str(e.value) and e.value.column == key and e.value.file == str(p)
    if row is not None:
        assert e.value.row == row


def test_toml_syntax_error_has_its_line(folder):
    p = folder / "plan.toml"
    p.write_text(PLAN.replace("size = [10.0, 10.0, 5.0]", "size = [10.0, 10.0, 5.0"))
    with pytest.raises(InputError) as e:
        read_plan(p)
    assert "not valid TOML" in str(e.value) and e.value.row is not None


@settings(deadline=None, max_examples=200, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_plans_end_in_input_errors(data):
    lines = PLAN.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        choice = data.draw(st.integers(0, 2))
        if choice == 0:
            del lines[i]
        elif choice == 1 and "=" in lines[i]:
            key = lines[i].split("=")[0]
            lines[i] = key + "= " + data.draw(st.sampled_from(
                ['"x"', "1", "-1", "0", "1.5", "[]", "[1, 2, 3]", "true", "inf", "nan",
                 '["a", "b", "c"]', "[1, 2]", "{a = 1}"]))
        else:
            lines.insert(i, data.draw(st.sampled_from(["[[estimate]]", "[[estimate.pass]]",
                                                       "[grid]", "x = 1", "[", "=", ""])))
    fd, name = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        read_plan(name)
    except InputError as exc:
        assert exc.file == name
    finally:
        os.unlink(name)
