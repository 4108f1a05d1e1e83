"""A statement's figures as the estimate record the balance imports: the group rule by hand,
the parameters hash, and the round trip through write_estimate_record/read_estimate_record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.io.estimate_record import read_estimate_record, write_estimate_record
from orebook.resources.record import estimate_record, estimation_method, parameters_hash
from orebook.resources.tonnage import Density, block_tonnage

GRID = BlockGrid((0, 0, 0), (10, 10, 5), (6, 1, 1))  # 500 m³ blocks


def model(classes=("B", "B", "C1", "C1", "P1", "")) -> BlockModel:
    return BlockModel.from_grid(GRID, {
        "au": np.array([3.0, 0.7, 1.5, 0.2, 9.0, 5.0]),
        "class_state": np.array(list(classes), dtype=object),
    }, {"method": "ok"})


def blocks(m=None):
    return block_tonnage(m or model(), "au", Density(value=2.0), class_column="class_state")


def record(**kw):
    args = {"cutoff": 1.0, "lower_cutoff": 0.5, "deposit": "Kyzyl", "commodity": "Au",
            "effective_date": "2026-01-01", "method": "ordinary kriging"}
    return estimate_record(blocks(), **(args | kw))


def test_group_rule_by_hand():
    r = record()
    got = [(x.category, x.group, x.ore, x.grade, x.metal) for x in r.lines]
    # every block 500 m³ × 2 t/m³ = 1000 t
    # B: 3.0 ≥ 1 → balance 1000 t, 3 g/t, 3 kg; 0.7 in [0.5, 1) → off-balance 1000 t, 0.7 kg
    # C1: 1.5 → balance 1.5 kg; 0.2 < 0.5 → nowhere (no off-balance line: no ore)
    # P1 and the unclassified block never enter the record
    assert got == [("B", "balance", 1000.0, 3.0, 3.0), ("B", "off-balance", 1000.0, 0.7,
                                                       pytest.approx(0.7, rel=1e-15)),
                   ("C1", "balance", 1000.0, 1.5, 1.5)]
    assert r.deposit == "Kyzyl" and r.effective_date == dt.date(2026, 1, 1)
    assert all(x.ore_unit == "t" and x.grade_unit == "g/t" and x.metal_unit == "kg"
               for x in r.lines)
    # without a lower cut-off: balance lines only
    assert [x.group for x in record(lower_cutoff=None).lines] == ["balance", "balance"]


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_round_trip(tmp_path, suffix):
    r = record(author="A. Geologist", document="Report 12/2026")
    path = write_estimate_record(r, tmp_path / f"rec{suffix}")
    back = read_estimate_record(path)
    assert back == r
    assert back.lines[1].metal == r.lines[1].metal  # exact, not rounded


def test_parameters_hash():
    # canonical JSON: keys sorted, no spaces, UTF-8
    text = '{"a":[1,"é"],"b":0.5}'
    assert parameters_hash({"b": 0.5, "a": [1, "é"]}) == \
        "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    h = record().parameters_hash
    assert h == record().parameters_hash
    assert h != record(cutoff=1.1).parameters_hash
    assert h != record(parameters={"model_sha256": "0" * 64}).parameters_hash
    assert h != record(lower_cutoff=None).parameters_hash
    with pytest.raises(ParameterError):
        parameters_hash({"x": float("nan")})
    json.dumps({"ok": True})


def test_refusals():
    with pytest.raises(ParameterError, match="CRIRSCO"):
        estimate_record(blocks(model(("Measured",) * 6)), cutoff=1.0, deposit="d",
                        commodity="Au", effective_date="2026-01-01", method="m")
    with pytest.raises(ParameterError, match="state category"):
        estimate_record(block_tonnage(model(), "au", Density(value=2.0)), cutoff=1.0,
                        deposit="d", commodity="Au", effective_date="2026-01-01", method="m")
    with pytest.raises(ParameterError, match="below the balance cut-off"):
        record(lower_cutoff=1.0)
    with pytest.raises(ParameterError, match="no ore"):
        record(cutoff=100.0, lower_cutoff=None)
    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        record(effective_date="01.01.2026")
    with pytest.raises(ParameterError, match="deposit"):
        record(deposit=" ")


def test_method_from_the_model_runs():
    m = model()
    assert estimation_method(m, "au") == "ordinary kriging"
    assert estimation_method(m, "cu") is None
