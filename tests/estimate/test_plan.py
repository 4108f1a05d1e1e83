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


# ------------------------------------------------------------------------------------------
# other tools' tables


def test_classification_and_executor_tables_are_ignored(folder):
    p = folder / "plan.toml"
    p.write_text(PLAN + '\n[classification]\nmethod = "distance"\nmeasured = [25.0, 3]\n\n'
                 '[executor]\nworkers = 2\nkind = "dask"\n\n[executor.options]\nchunk = 5\n')
    plan = read_plan(p)
    assert [s.variable for s in plan.steps] == ["cu"] and plan.output.name == "model.parquet"
    assert plan.raw["executor"]["workers"] == 2


# ------------------------------------------------------------------------------------------
# block domains: hard and soft boundaries, checked against kriging solved by hand

DOM_MODEL = VariogramModel(0.1, (Structure("spherical", 1.0, (30.0, 30.0, 30.0)),))
# four 10 m blocks along x: 0 and 1 are "ox", 2 and 3 "fr"
DOM_GRID = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (4, 1, 1))
DOM_SAMPLES = pd.DataFrame({
    "x": [2.0, 9.0, 16.0, 12.0, 24.0, 31.0, 38.0, 27.0],
    "y": [3.0, 8.0, 2.0, 9.0, 4.0, 7.0, 1.0, 9.0],
    "z": [5.0] * 8,
    "cu": [1.0, 2.0, 1.5, 3.0, 10.0, 12.0, 11.0, 14.0],
    "domain": ["ox"] * 4 + ["fr"] * 4})


def _dom_plan(steps: str, domains: str = 'domains = {file = "blocks.parquet", '
                                          'column = "zone"}') -> str:
    return f'''[samples]
file = "comp.csv"

[grid]
origin = [0.0, 0.0, 0.0]
size = [10.0, 10.0, 10.0]
count = [4, 1, 1]
{domains}
{steps}
[output]
file = "model.parquet"
'''


def _dom_step(domain: str, extra: str = "") -> str:
    return f'''
[[estimate]]
variable = "cu"
model = "cu.toml"
domain = {domain}
{extra}
[[estimate.pass]]
radii = [100.0, 100.0, 100.0]
min_samples = 1
'''


def _ok_point(xyz: np.ndarray, v: np.ndarray, target: np.ndarray) -> float:
    """Ordinary point kriging with the full bordered system, every sample."""
    n = len(v)
    a = np.ones((n + 1, n + 1))
    a[:n, :n] = DOM_MODEL.covariance_of(xyz[:, None, :] - xyz[None, :, :])
    a[n, n] = 0.0
    b = np.ones(n + 1)
    b[:n] = DOM_MODEL.covariance_of(xyz - target)
    return float(np.linalg.solve(a, b)[:n] @ v)


@pytest.fixture
def dom_folder(tmp_path) -> Path:
    DOM_SAMPLES.to_csv(tmp_path / "comp.csv", index=False)
    save_model(DOM_MODEL, tmp_path / "cu.toml")
    zone = np.array(["ox", "ox", "fr", "fr"], dtype=object)
    BlockModel.from_grid(DOM_GRID, {"zone": zone}).save_parquet(tmp_path / "blocks.parquet")
    return tmp_path


def _by_hand(domains: list[str]) -> np.ndarray:
    keep = DOM_SAMPLES["domain"].isin(domains).to_numpy()
    xyz = DOM_SAMPLES[["x", "y", "z"]].to_numpy()[keep]
    v = DOM_SAMPLES["cu"].to_numpy()[keep]
    return np.array([_ok_point(xyz, v, c) for c in DOM_GRID.centroids()])


def test_hard_domains_fill_their_own_blocks(dom_folder):
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step('"ox"') + _dom_step('"fr"')))
    m = BlockModel.load_parquet(run_plan(read_plan(p))[0])
    ox, fr = _by_hand(["ox"]), _by_hand(["fr"])
    np.testing.assert_allclose(m["cu_estimate"], [ox[0], ox[1], fr[2], fr[3]], rtol=1e-9)
    assert m["zone"].tolist() == ["ox", "ox", "fr", "fr"]
    assert m["cu_pass"].tolist() == [1, 1, 1, 1]
    assert m["cu_nsamples"].tolist() == [4, 4, 4, 4]
    assert [r["parameters"].get("domain") for r in m.runs[-2:]] == ["ox", "fr"]


def test_a_soft_boundary_uses_the_listed_domains(dom_folder):
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step('"ox"', 'soft = ["ox", "fr"]')))
    m = BlockModel.load_parquet(run_plan(read_plan(p))[0])
    soft, hard = _by_hand(["ox", "fr"]), _by_hand(["ox"])
    got = m["cu_estimate"]
    np.testing.assert_allclose(got[:2], soft[:2], rtol=1e-9)
    assert np.isnan(got[2:]).all() and m["cu_pass"].tolist() == [1, 1, 0, 0]
    assert m["cu_nsamples"].tolist() == [8, 8, 0, 0]
    assert abs(got[1] - hard[1]) > 0.5  # the fr samples pull block 1 up


def test_domain_codes_are_compared_as_text_from_a_csv_block_model(dom_folder):
    df = DOM_SAMPLES.assign(domain=np.where(DOM_SAMPLES["domain"] == "ox", "1", "2"))
    df.to_csv(dom_folder / "comp.csv", index=False)
    BlockModel.from_grid(DOM_GRID, {"zone": np.array([1, 1, 2, 2])}).save_csv(
        dom_folder / "blocks.csv")
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step("2"), 'domains = {file = "blocks.csv", column = "zone"}'))
    m = BlockModel.load_parquet(run_plan(read_plan(p))[0])
    fr = _by_hand(["fr"])
    np.testing.assert_allclose(m["cu_estimate"][2:], fr[2:], rtol=1e-9)
    assert np.isnan(m["cu_estimate"][:2]).all()


def test_without_block_domains_a_domain_selects_samples_only(dom_folder):
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step('"fr"'), domains=""))
    m = BlockModel.load_parquet(run_plan(read_plan(p))[0])
    np.testing.assert_allclose(m["cu_estimate"], _by_hand(["fr"]), rtol=1e-9)


@pytest.mark.parametrize("steps, domains, key, message", [
    (_dom_step('"xx"', 'soft = ["ox"]'), None, "domain", "no block of domain 'xx'"),
    (_dom_step('"xx"'), None, "domain", "no sample of domain 'xx'"),
    (_dom_step('"ox"'), 'domains = {file = "blocks.parquet", column = "rock"}', "domains",
     "no column 'rock'"),
    (_dom_step('"ox"'), 'domains = {file = "other.parquet"}', "domains", "another grid"),
])
def test_domain_errors_at_run_name_the_line(dom_folder, steps, domains, key, message):
    BlockModel.from_grid(BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 2, 1)),
                         {"domain": np.array(["ox"] * 4, dtype=object)}).save_parquet(
        dom_folder / "other.parquet")
    text = _dom_plan(steps, domains) if domains else _dom_plan(steps)
    p = dom_folder / "plan.toml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        run_plan(read_plan(p))
    assert message in str(e.value) and e.value.column == key and e.value.file == str(p)
    line = text.splitlines()[e.value.row - 1]
    assert line.startswith(f"{key} =")


@pytest.mark.parametrize("steps, key, message", [
    (_dom_step('"ox"') + _dom_step('"ox"'), "prefix", "would write the columns cu_"),
    (_dom_step('"ox"', 'soft = []'), "soft", "list of domain codes"),
    (_dom_step('"ox"', 'soft = [1.5]'), "soft", "domain code"),
    (_dom_step("true"), "domain", "domain code"),
    (_dom_step('"ox"').replace('domain = "ox"', 'soft = ["ox"]'), "soft", "needs domain"),
])
def test_domain_errors_at_read_name_the_line(dom_folder, steps, key, message):
    text = _dom_plan(steps)
    p = dom_folder / "plan.toml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_plan(p)
    assert message in str(e.value) and e.value.column == key
    if key != "prefix":  # no prefix key: the step's header
        assert text.splitlines()[e.value.row - 1].startswith(f"{key} =")
    else:
        assert text.splitlines()[e.value.row - 1] == "[[estimate]]"
        headers = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == "[[estimate]]"]
        assert e.value.row == headers[1]  # the second step's


def test_same_prefix_needs_block_domains(dom_folder):
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step('"ox"') + _dom_step('"fr"'), domains=""))
    with pytest.raises(InputError, match="would write the columns"):
        read_plan(p)


@settings(deadline=None, max_examples=60, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_domain_plans_end_in_input_errors(data):
    lines = _dom_plan(_dom_step('"ox"', 'soft = ["ox", "fr"]') + _dom_step('"fr"')
                      ).splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        if "=" in lines[i] and data.draw(st.booleans()):
            lines[i] = lines[i].split("=")[0] + "= " + data.draw(st.sampled_from(
                ['"x"', "1", "-1", "[]", "true", '["a", 2]', "{file = 1}", '{column = "z"}',
                 '{file = "b.txt"}', "[1.5]", '""']))
        else:
            del lines[i]
    fd, name = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        read_plan(name)
    except InputError as exc:
        assert exc.file == name
    finally:
        os.unlink(name)


def test_block_domains_as_a_table_of_its_own(dom_folder):
    text = _dom_plan(_dom_step('"fr"'), '\n[grid.domains]\nfile = "blocks.parquet"\n'
                                        'column = "zone"\n')
    p = dom_folder / "plan.toml"
    p.write_text(text)
    plan = read_plan(p)
    assert plan.domains.column == "zone" and plan.domains.file == dom_folder / "blocks.parquet"
    m = BlockModel.load_parquet(run_plan(plan)[0])
    np.testing.assert_allclose(m["cu_estimate"][2:], _by_hand(["fr"])[2:], rtol=1e-9)
    p.write_text(text.replace('file = "blocks.parquet"', 'file = "blocks.json"'))
    with pytest.raises(InputError, match="a block model file") as e:
        read_plan(p)
    assert e.value.row == text.splitlines().index('file = "blocks.parquet"') + 1


@settings(deadline=None, max_examples=40, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_block_domain_files_end_in_input_errors(dom_folder, data):
    """A damaged domain CSV: a model, or an InputError naming that file; never a
    half-written model."""
    BlockModel.from_grid(DOM_GRID, {"zone": np.array(["ox", "ox", "fr", "fr"], dtype=object)}
                         ).save_csv(dom_folder / "blocks.csv")
    lines = (dom_folder / "blocks.csv").read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(",")
        j = data.draw(st.integers(0, len(cells) - 1))
        cells[j] = data.draw(st.sampled_from(["", "x", "-1", "1e30", "nan", "15", "ox",
                                              "5.0001", '"', "2.5"]))
        lines[i] = ",".join(cells)
        if data.draw(st.booleans()):
            lines.insert(data.draw(st.integers(0, len(lines))), lines[i])
    (dom_folder / "blocks.csv").write_text("\n".join(lines) + "\n")
    (dom_folder / "model.parquet").unlink(missing_ok=True)
    p = dom_folder / "plan.toml"
    p.write_text(_dom_plan(_dom_step('"ox"'), 'domains = {file = "blocks.csv", '
                                              'column = "zone"}'))
    try:
        out, _ = run_plan(read_plan(p))
        assert len(BlockModel.load_parquet(out)) == 4
    except InputError as exc:
        assert exc.file in (str(dom_folder / "blocks.csv"), str(p))
        assert not (dom_folder / "model.parquet").exists()
    assert not list(dom_folder.glob("*.part"))
