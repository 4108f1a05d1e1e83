"""Fuzzing the geostatistics readers: samples (composites, point tables) and experimental
variogram tables. Any input ends in data or in an OrebookError, never another exception."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError
from orebook.geostats import read_variograms
from orebook.geostats.experimental import Direction, Lags, experimental_variogram
from orebook.geostats.experimental import variograms_to_frame
from orebook.io.composites import read_composites

FUZZ = settings(deadline=None, max_examples=int(os.environ.get("OREBOOK_FUZZ", "0")) or 120,
                derandomize=not os.environ.get("OREBOOK_FUZZ"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

names = st.sampled_from(["x", "y", "z", "EAST", "NORTH", "ELEV", "Xlocation", "hole", "from",
                         "to", "length", "domain", "Cu_pct", "Au", "", "x", "note"])
cells = st.one_of(st.sampled_from(["", "1", "-999", "0.5", "abc", "1e400", "nan", "<0.1",
                                   "2,5", "  3 "]),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=6))


@st.composite
def table_text(draw) -> str:
    header = draw(st.lists(names, min_size=1, max_size=8))
    delim = draw(st.sampled_from([",", ";", "\t", " "]))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 2), max_size=8))
    return "\n".join([delim.join(header)] + [delim.join(r) for r in rows]) + "\n"


def _write(suffix: str, content: bytes) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return Path(name)


@FUZZ
@given(text=table_text(), suffix=st.sampled_from([".csv", ".dat", ".txt"]))
def test_read_composites_any_table(text, suffix):
    path = _write(suffix, text.encode("utf-8"))
    try:
        comps = read_composites(path)
    except OrebookError as exc:
        assert str(path) in str(exc)  # the error names the file
    else:  # whatever was read has coordinates and at least one value for every sample
        assert np.isfinite(comps.x).all() and np.isfinite(comps.y).all()
        assert comps.values and all(len(v) == len(comps.x) for v in comps.values.values())
    finally:
        path.unlink()


@FUZZ
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".parquet", ".dat"]))
def test_read_composites_any_bytes(content, suffix):
    path = _write(suffix, content)
    try:
        read_composites(path)
    except OrebookError:
        pass
    finally:
        path.unlink()


def _good_table() -> str:
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 100, (60, 3))
    evs = experimental_variogram(xyz, rng.normal(size=60), lags=Lags(5, 10.0),
                                 directions=[Direction(0, 22.5, 20), Direction(90, 22.5, 20)])
    return variograms_to_frame(evs).to_csv(index=False)


GOOD = _good_table()


@FUZZ
@given(data=st.data())
def test_read_variograms_damaged_tables(data):
    lines = GOOD.splitlines()
    # damage: drop, duplicate or rewrite a few cells and lines
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        fields = lines[i].split(",")
        j = data.draw(st.integers(0, len(fields) - 1))
        fields[j] = data.draw(cells)
        lines[i] = ",".join(fields)
        if data.draw(st.booleans()):
            del lines[data.draw(st.integers(0, len(lines) - 1))]
    path = _write(".csv", ("\n".join(lines) + "\n").encode("utf-8", "replace"))
    try:
        evs = read_variograms(path)
    except OrebookError as exc:
        assert str(path) in str(exc)
    else:
        assert all(len(ev.value) == len(ev.pairs) for ev in evs)
    finally:
        path.unlink()


def test_read_variograms_round_trip_and_named_errors(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text(GOOD)
    evs = read_variograms(p)
    assert [ev.direction.azimuth for ev in evs] == [0.0, 90.0]
    q = tmp_path / "bad.csv"
    lines = GOOD.splitlines()
    lines[3] = "," + lines[3].split(",", 1)[1]  # no direction number on line 4
    q.write_text("\n".join(lines) + "\n")
    try:
        read_variograms(q)
    except InputError as exc:
        assert exc.row == 4 and exc.column == "direction"
    else:
        raise AssertionError("a row without its direction number was accepted")
