"""OMF 1.x: what orebook writes, the omf package reads back with the same values; and back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import omf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.io.omf_files import block_model_element, drillholes_element, read_omf, write_omf


@pytest.mark.parametrize("rotation", [0.0, 30.0])
def test_block_model_read_back_by_omf(tmp_path, rotation):
    grid = BlockGrid(origin=(1000.0, 2000.0, 300.0), size=(10.0, 5.0, 2.0), count=(4, 3, 2),
                     rotation=rotation)
    rng = np.random.default_rng(0)
    au = rng.random(grid.n_blocks)
    model = BlockModel.from_grid(grid, {"Au_gpt": au, "domain": np.array(["ox", "fr"] * 12,
                                                                          dtype=object)})
    part = model.subset(au > 0.3)
    path = write_omf(tmp_path / "m.omf", [block_model_element(part, "bm")])
    project = omf.OMFReader(str(path)).get_project()
    (vol,) = project.elements
    g = vol.geometry
    assert np.allclose(g.origin, grid.origin)
    assert np.allclose(g.tensor_u, 10.0) and len(g.tensor_u) == 4
    assert np.allclose(g.tensor_w, 2.0) and len(g.tensor_w) == 2
    t = np.radians(rotation)
    assert np.allclose(g.axis_u, [np.cos(t), -np.sin(t), 0])
    assert np.allclose(g.axis_v, [np.sin(t), np.cos(t), 0])
    data = {d.name: np.asarray(d.array.array if hasattr(d.array, "array") else d.array)
            for d in vol.data}
    # OMF order: w fastest; block (i, j, k) at k + nz * (j + ny * i)
    for b in range(grid.n_blocks):
        i, j, k = b % 4, (b // 4) % 3, b // 12
        cell = k + 2 * (j + 3 * i)
        if au[b] > 0.3:
            assert data["Au_gpt"][cell] == au[b]
            assert data["domain"][cell] == ["ox", "fr"][b % 2]
        else:
            assert np.isnan(data["Au_gpt"][cell]) and data["domain"][cell] == ""
    # and orebook reads its own file back: same grid, same values
    back = read_omf(path).block_models["bm"]
    assert back.grid.isclose(grid)
    got = back["Au_gpt"]
    assert np.array_equal(np.isnan(got), au <= 0.3)
    assert np.allclose(got[au > 0.3], au[au > 0.3])


def test_drillholes_read_back_by_omf(tmp_path):
    hole = np.array(["A", "A", "B"], dtype=object)
    frm, to = np.array([0.0, 1.0, 5.0]), np.array([1.0, 2.5, 6.0])
    top = np.array([[0, 0, 100], [0, 0, 99], [10, 0, 95]], dtype=float)
    bottom = np.array([[0, 0, 99], [0, 0, 97.5], [10, 0, 94]], dtype=float)
    cu = np.array([0.5, np.nan, 1.2])
    path = write_omf(tmp_path / "h.omf",
                     [drillholes_element(hole, frm, to, top, bottom, {"Cu_pct": cu})])
    (ls,) = omf.OMFReader(str(path)).get_project().elements
    v = np.asarray(ls.geometry.vertices.array)
    s = np.asarray(ls.geometry.segments.array)
    assert np.allclose(v[s[:, 0]], top) and np.allclose(v[s[:, 1]], bottom)
    data = {d.name: d.array for d in ls.data}
    assert list(data["hole"]) == ["A", "A", "B"]
    assert np.allclose(np.asarray(data["Cu_pct"].array), cu, equal_nan=True)
    frame = read_omf(path).intervals["drill holes"]
    assert frame["hole"].tolist() == ["A", "A", "B"]
    assert np.allclose(frame["to_m"], to) and np.allclose(frame["z_to"], bottom[:, 2])


def test_bad_paths(tmp_path):
    with pytest.raises(ParameterError, match=".omf"):
        write_omf(tmp_path / "x.txt", [])
    with pytest.raises(InputError) as err:
        read_omf(tmp_path / "missing.omf")
    assert "missing.omf" in str(err.value)


@settings(deadline=None, max_examples=60, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_read_omf(data):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.omf"
        p.write_bytes(data)
        try:
            read_omf(p)
        except OrebookError as exc:
            assert str(p) in str(exc)
