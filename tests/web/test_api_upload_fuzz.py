"""Fuzzing the estimate upload (``POST /api/estimates``), a reader of user files: whatever
the bytes, the file name or the JSON, the answer is 201 or a 4xx with the one error body,
never a 5xx, and a refused upload writes nothing."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api_setup import api, api_template, registry_template  # noqa: F401 (fixtures)

FUZZ = settings(deadline=None, max_examples=60, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

GOOD = {"format": "orebook-estimate-record", "version": 1, "deposit": "Golden Hill",
        "method": "blocks", "effective_date": "2021-01-01", "parameters_hash": "sha256:f",
        "lines": [{"commodity": "Au", "category": "C2", "group": "balance", "ore": 100.0,
                   "ore_unit": "t", "grade": 2.0, "grade_unit": "g/t", "metal": 0.2,
                   "metal_unit": "kg"}]}
CSV_HEAD = ("deposit,commodity,category,group,ore,ore_unit,grade,grade_unit,metal,metal_unit,"
            "method,effective_date,parameters_hash\n")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["", "Au", "Golden Hill", "C1", "P1", "t", "kg", "oz",
                                     "2021-02-30", "1e400", "'; DROP TABLE estimates; --",
                                     "<script>", "x" * 400, "\x00"]),
                    st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
mutations = st.dictionaries(st.sampled_from([*GOOD, "extra"]), values, max_size=3)
line_mutations = st.dictionaries(st.sampled_from([*GOOD["lines"][0], "x"]), values, max_size=3)
cells = st.one_of(st.sampled_from(["", "Golden Hill", "Au", "C2", "balance", "100", "t", "2",
                                   "g/t", "0.2", "kg", "b", "2021-01-01", "h", "nan", "-1",
                                   '"', "\x00", ",", "\n"]), st.text(max_size=8))


def _check(api, r, before, name):
    assert r.status_code < 500, r.text
    if r.status_code == 201:
        assert api.counts()["estimates"] == before["estimates"] + 1
        return
    assert 400 <= r.status_code < 500
    body = r.json()
    assert set(body) == {"status", "message", "field"} and body["status"] == r.status_code
    assert "/tmp" not in body["message"]
    assert api.counts() == before


@FUZZ
@given(raw=st.binary(max_size=400), suffix=st.sampled_from([".json", ".csv", ".txt", ""]))
def test_any_bytes(api, raw, suffix):
    before = api.counts()
    r = api.client.post("/api/estimates", headers=api.auth("geologist"),
                        files={"file": (f"r{suffix}", raw, "application/octet-stream")})
    _check(api, r, before, f"r{suffix}")


@FUZZ
@given(top=mutations, line=line_mutations, upload=st.booleans())
def test_mutated_json_records(api, top, line, upload):
    doc = json.loads(json.dumps(GOOD))
    doc.update(top)
    if isinstance(doc.get("lines"), list) and doc["lines"] and isinstance(doc["lines"][0], dict):
        doc["lines"][0].update(line)
    try:
        data = json.dumps(doc, allow_nan=True).encode()
    except (TypeError, ValueError):
        return
    doc_hash = doc.get("parameters_hash")
    before = api.counts()
    if upload:
        r = api.client.post("/api/estimates", headers=api.auth("geologist"),
                            files={"file": ("rec.json", data, "application/json")})
    else:
        r = api.client.post("/api/estimates", headers=api.auth("geologist") | {
            "Content-Type": "application/json"}, content=data)
    _check(api, r, before, "rec.json")
    if r.status_code == 201:
        assert r.json()["parameters_hash"] == doc_hash


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=13, max_size=14), min_size=0, max_size=3))
def test_csv_records(api, rows):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in rows:
        w.writerow(row)
    data = (CSV_HEAD + buf.getvalue()).encode()
    before = api.counts()
    r = api.client.post("/api/estimates", headers=api.auth("geologist"),
                        files={"file": ("rec.csv", data, "text/csv")})
    _check(api, r, before, "rec.csv")
