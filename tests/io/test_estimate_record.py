"""The estimate record (resources → balance): round trips, every check, and fuzzing."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.io.estimate_record import (
    EstimateRecord,
    RecordLine,
    read_estimate_record,
    write_estimate_record,
)

FUZZ = settings(deadline=None, max_examples=120, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _record(**changes) -> EstimateRecord:
    lines = (
        # 1.25 Mt at 2.1 g/t = 2.625 t = 2625 kg of gold
        RecordLine("Au", "C1", "balance", 1_250_000.0, 2.1, 2625.0),
        # 0.4 Mt at 0.8 % = 3200 t of copper
        RecordLine("Cu", "C2", "off-balance", 400_000.0, 0.8, 3200.0, grade_unit="%",
                   metal_unit="t"),
    )
    base = dict(deposit="Hill", method="ordinary kriging", effective_date=dt.date(2026, 1, 1),
                parameters_hash="sha256:" + "0" * 64, lines=lines, author="A. Geologist")
    base.update(changes)
    return EstimateRecord(**base)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_round_trip(tmp_path, suffix):
    record = _record()
    path = write_estimate_record(record, tmp_path / f"record{suffix}")
    back = read_estimate_record(path)
    assert back == record
    assert back.source == str(path)


def test_metal_must_be_ore_times_grade(tmp_path):
    bad = _record(lines=(RecordLine("Au", "C1", "balance", 1_000_000.0, 2.0, 2100.0),))
    with pytest.raises(InputError, match="not ore × grade = 2000 kg"):
        write_estimate_record(bad, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()
    # within 0.5 % (rounded statements) is accepted: 2009 kg against 2000 kg
    ok = _record(lines=(RecordLine("Au", "C1", "balance", 1_000_000.0, 2.0, 2009.0),))
    assert read_estimate_record(write_estimate_record(ok, tmp_path / "r.json")) == ok


def test_csv_errors_name_row_and_column(tmp_path):
    path = write_estimate_record(_record(), tmp_path / "r.csv")
    text = path.read_text()
    (tmp_path / "p.csv").write_text(text.replace(",C2,", ",P1,"))
    with pytest.raises(InputError) as err:
        read_estimate_record(tmp_path / "p.csv")
    assert (err.value.row, err.value.column) == (3, "category")
    assert "P1–P3 never enter the balance" in err.value.message
    (tmp_path / "d.csv").write_text(text.replace("Hill", "Dale", 1).replace("Hill", "Hill"))
    lines = text.splitlines()
    lines[2] = lines[2].replace("Hill", "Dale")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_estimate_record(tmp_path / "d.csv")
    assert (err.value.row, err.value.column) == (3, "deposit")
    (tmp_path / "n.csv").write_text(text.replace("400000.0", "lots"))
    with pytest.raises(InputError) as err:
        read_estimate_record(tmp_path / "n.csv")
    assert (err.value.row, err.value.column) == (3, "ore")


def test_json_errors_name_line_and_key(tmp_path):
    path = write_estimate_record(_record(), tmp_path / "r.json")
    doc = json.loads(path.read_text())
    doc["lines"][1]["group"] = "reserve"
    bad = tmp_path / "g.json"
    bad.write_text(json.dumps(doc, indent=2))
    with pytest.raises(InputError) as err:
        read_estimate_record(bad)
    assert err.value.column == "group"
    text_lines = bad.read_text().splitlines()
    # the reported line is the second line object's first line ("commodity": "Cu")
    assert '"Cu"' in text_lines[err.value.row - 1]
    doc = json.loads(path.read_text())
    doc["lines"].append(dict(doc["lines"][0]))
    bad.write_text(json.dumps(doc, indent=2))
    with pytest.raises(InputError, match="given twice"):
        read_estimate_record(bad)
    bad.write_text(path.read_text().replace("2026-01-01", "1 Jan 2026"))
    with pytest.raises(InputError) as err:
        read_estimate_record(bad)
    assert err.value.column == "effective_date"
    assert "1 Jan 2026" in bad.read_text().splitlines()[err.value.row - 1]


def test_unknown_suffix_and_units(tmp_path):
    with pytest.raises(ParameterError):
        write_estimate_record(_record(), tmp_path / "r.txt2")
    bad = _record(lines=(RecordLine("Au", "C1", "balance", 1.0, 1.0, 1.0, metal_unit="lb"),))
    with pytest.raises(InputError, match="metal unit"):
        write_estimate_record(bad, tmp_path / "r.json")


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode()))
def test_fuzz_json_and_csv(data):
    with tempfile.TemporaryDirectory() as d:
        for name in ("r.json", "r.csv"):
            p = Path(d) / name
            p.write_bytes(data)
            try:
                rec = read_estimate_record(p)
            except OrebookError as exc:
                assert str(p) in str(exc)
            else:
                assert rec.lines


@FUZZ
@given(st.dictionaries(st.sampled_from(["commodity", "category", "group", "ore", "grade",
                                        "metal", "ore_unit", "grade_unit", "metal_unit", "x"]),
                       st.none() | st.booleans() | st.integers() | st.floats()
                       | st.text(max_size=8) | st.lists(st.integers(), max_size=2)))
def test_fuzz_json_line_values(line):
    doc = {"format": "orebook-estimate-record", "version": 1, "deposit": "Hill",
           "method": "m", "effective_date": "2026-01-01", "parameters_hash": "h",
           "lines": [line]}
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.json"
        p.write_text(json.dumps(doc))
        try:
            read_estimate_record(p)
        except OrebookError as exc:
            assert str(p) in str(exc)
