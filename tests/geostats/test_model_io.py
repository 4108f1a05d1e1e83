"""Model files: TOML round trips, hand-written files, every bad file an InputError.

Fuzzed files are written with ``tempfile`` inside each example (not ``tmp_path``, which
hypothesis would share between examples).
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, ParameterError
from orebook.geostats.model_io import load_model, model_from_toml, save_model
from orebook.geostats.models import Structure, VariogramModel

_DEEP = int(os.environ.get("OREBOOK_FUZZ", "0"))
FUZZ = settings(deadline=None, max_examples=_DEEP or 200, derandomize=not _DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NESTED = VariogramModel(0.1, (
    Structure("spherical", 0.9, (120.0, 80.0, 20.0), (30.0, -10.0, 0.0)),
    Structure("exponential", 0.35, (400.0, 400.0, 55.5), (112.5, 0.0, 7.25)),
    Structure("power", 1e-5, (1.0, 1.0, 0.1), exponent=1.75),
))

HAND_WRITTEN = """\
# orebook variogram model — GSLIB conventions: partial sills, practical ranges (m)
nugget = 0.1
[[structure]]
kind = "spherical"
sill = 0.9          # partial sill
ranges = [120.0, 80.0, 20.0]   # major, semi-major, minor (m)
angles = [30.0, -10.0, 0.0]    # ang1 azimuth, ang2 dip (negative down), ang3
"""


def test_round_trip_is_exact(tmp_path):
    odd = VariogramModel(0.1 + 0.2, (Structure("gaussian", 1 / 3, (1e-3, 7e5, 2 ** 0.5),
                                               (359.999, -89.5, -179.0)),))
    for m in (NESTED, odd, VariogramModel(0.4)):
        path = save_model(m, tmp_path / "m.toml")
        assert load_model(path) == m


def test_written_file_states_the_conventions(tmp_path):
    path = save_model(NESTED, tmp_path / "deep" / "model.toml", description="Au, domain 2")
    text = path.read_text(encoding="utf-8")
    for phrase in ("PARTIAL sill", "PRACTICAL ranges in metres", "clockwise from north",
                   "NEGATIVE DOWNWARDS", "rotation of the semi-major and minor axes",
                   "# major, semi-major, minor (m)", "exponent = 1.75"):
        assert phrase in text
    doc = tomllib.loads(text)  # plain TOML for any reader
    assert doc["version"] == 1 and doc["description"] == "Au, domain 2"
    assert doc["structure"][0] == {"kind": "spherical", "sill": 0.9,
                                   "ranges": [120.0, 80.0, 20.0],
                                   "angles": [30.0, -10.0, 0.0]}
    assert [s["kind"] for s in doc["structure"]] == ["spherical", "exponential", "power"]


def test_hand_written_file(tmp_path):
    p = tmp_path / "hand.toml"
    p.write_text(HAND_WRITTEN, encoding="utf-8")
    assert load_model(p) == VariogramModel(0.1, (
        Structure("spherical", 0.9, (120.0, 80.0, 20.0), (30.0, -10.0, 0.0)),))


def test_short_forms():
    m = model_from_toml('[[structure]]\nkind = "exponential"\nsill = 2\nranges = 50\n')
    assert m == VariogramModel(0.0, (Structure("exponential", 2.0, (50.0, 50.0, 50.0)),))
    assert model_from_toml("nugget = 3") == VariogramModel(3.0)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = save_model(NESTED, tmp_path / "m.toml")
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    import orebook.io.writing as writing  # every orebook writer goes through atomic_output

    monkeypatch.setattr(writing.os, "replace", broken_replace)
    with pytest.raises(ParameterError, match="cannot write"):
        save_model(VariogramModel(0.5), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.toml"]  # no temporary left


def test_save_into_an_unusable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ParameterError, match="cannot write"):
        save_model(NESTED, blocker / "m.toml")
    with pytest.raises(ParameterError, match="VariogramModel"):
        save_model({"nugget": 1}, tmp_path / "m.toml")


GOOD = """nugget = 0.1

[[structure]]
kind = "spherical"
sill = 0.9
ranges = [120.0, 80.0, 20.0]
angles = [30.0, -10.0, 0.0]

[[structure]]
kind = "power"
sill = 0.01
ranges = [1.0, 1.0, 1.0]
exponent = 1.5
"""


@pytest.mark.parametrize("old, new, row, fragment", [
    ("nugget = 0.1", "nugget = -0.1", 1, "'nugget': must be ≥ 0"),
    ("nugget = 0.1", 'nugget = "0.1"', 1, "'nugget': expected a number, found a string"),
    ("nugget = 0.1", "nugget = true", 1, "expected a number, found a boolean"),
    ("nugget = 0.1", "nugget = nan", 1, "finite"),
    ("nugget = 0.1", "nugget = 1" + "0" * 400, 1, "too large"),
    ("nugget = 0.1", "nuget = 0.1", 1, "'nuget': unknown key"),
    ('kind = "spherical"', 'kind = "sph"', 4, "structure 1, key 'kind'"),
    ("sill = 0.9", "sill = -0.9", 5, "structure 1, key 'sill': partial sill must be ≥ 0"),
    ("sill = 0.9\n", "", 3, "structure 1, key 'sill': missing"),
    ("ranges = [120.0, 80.0, 20.0]", "ranges = [120.0, 80.0]", 6, "found 2 values"),
    ("ranges = [120.0, 80.0, 20.0]", "ranges = [120.0, 0, 20.0]", 6, "must be > 0"),
    ("ranges = [120.0, 80.0, 20.0]", "range = 120.0", 6, "did you mean 'ranges'"),
    ("ranges = [120.0, 80.0, 20.0]", 'ranges = ["a", 1, 2]', 6, "'ranges': expected a number"),
    ("angles = [30.0, -10.0, 0.0]", "angles = 30.0", 7, "'angles': expected three numbers"),
    ("exponent = 1.5", "exponent = 2.0", 13, "structure 2, key 'exponent': must be in (0, 2)"),
    ("exponent = 1.5\n", "", 9, "structure 2, key 'exponent': missing"),
    ("sill = 0.01", "sill = 0.01\nexponent = 1.5", None, None),  # duplicate key: TOML error
    # a [structure] table, then an array of them: tomllib stops at the second header
    ("[[structure]]\nkind = \"spherical\"", "[structure]\nkind = \"spherical\"", 9,
     "not valid TOML"),
    ("nugget = 0.1", "version = 2\nnugget = 0.1", 1, "format version 1, found int 2"),
    ("nugget = 0.1", "nugget = 0.1\ndescription = 5", 2, "'description': expected a string"),
])
def test_bad_files_name_file_line_and_key(tmp_path, old, new, row, fragment):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    p = tmp_path / "model.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_model(p)
    err = info.value
    assert err.file == str(p)
    message = str(err)
    assert message.startswith(str(p))
    if fragment is None:  # a TOML syntax error: the line comes from tomllib
        assert "not valid TOML" in message and err.row is not None
        return
    assert fragment in message
    assert err.row == row, message


def test_structure_must_be_an_array_of_tables():
    with pytest.raises(InputError, match="expected \\[\\[structure\\]\\] tables") as info:
        model_from_toml("nugget = 0.1\nstructure = 3\n", file="f.toml")
    assert info.value.row == 2
    with pytest.raises(InputError, match="expected \\[\\[structure\\]\\] tables"):
        model_from_toml("nugget = 0.1\n[structure]\nkind = 'spherical'\n", file="f.toml")


def test_exponent_on_a_bounded_structure():
    with pytest.raises(InputError, match="only power structures have an exponent"):
        model_from_toml(GOOD.replace('ranges = [120.0, 80.0, 20.0]',
                                     'ranges = [120.0, 80.0, 20.0]\nexponent = 1.0'), file="f")


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_model(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="folder"):
        load_model(tmp_path)
    p = tmp_path / "latin1.toml"
    p.write_bytes(b"nugget = 0.1\n# caf\xe9\n")
    with pytest.raises(InputError, match="UTF-8") as info:
        load_model(p)
    assert info.value.row == 2
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(InputError, match="no model"):
        load_model(empty)


def test_syntax_error_line_from_tomllib(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("nugget = 0.1\n\n[[structure]]\nkind = spherical\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_model(p)
    assert info.value.row == 4
    assert re.search(r"not valid TOML: .*\(column \d+\)", str(info.value))


# --------------------------------------------------------------------------- fuzzing


def _load_text(data: bytes):
    fd, name = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return load_model(name)
    finally:
        os.unlink(name)


@FUZZ
@given(st.data())
def test_mutated_files_load_or_raise_input_error(data):
    base = GOOD.encode()
    pos = data.draw(st.integers(0, len(base)))
    cut = data.draw(st.integers(0, 12))
    insert = data.draw(st.one_of(
        st.binary(max_size=8),
        st.sampled_from([b"-", b"0", b"e9", b"[", b"]", b'"', b"\n", b"=", b"inf", b"true",
                         b"[[structure]]\n", b"1e400", b"-1", b", 3", b"#", b"\x00", b"\xff"]),
    ))
    mutated = base[:pos] + insert + base[pos + cut:]
    try:
        model = _load_text(mutated)
    except InputError as exc:
        assert str(exc)
        return
    assert isinstance(model, VariogramModel)


values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10 ** 30),
                   st.booleans(), st.text(max_size=5), st.lists(st.floats(-1e3, 1e3),
                                                                 max_size=4))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(x) for x in v) + "]"


@FUZZ
@given(nugget=values, kind=st.sampled_from(["spherical", "exponential", "gaussian", "power",
                                            "Spherical", ""]),
       sill=values, ranges=values, angles=values, exponent=st.one_of(st.none(), values))
def test_structured_values_load_or_raise_input_error(nugget, kind, sill, ranges, angles,
                                                     exponent):
    lines = [f"nugget = {_toml_value(nugget)}", "[[structure]]", f'kind = "{kind}"',
             f"sill = {_toml_value(sill)}", f"ranges = {_toml_value(ranges)}",
             f"angles = {_toml_value(angles)}"]
    if exponent is not None:
        lines.append(f"exponent = {_toml_value(exponent)}")
    try:
        model = _load_text(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    except InputError:
        return
    s = model.structures[0]
    assert s.kind == kind and s.sill >= 0 and min(s.ranges) > 0
