"""read_project: every problem is an InputError naming the project file, the line and the key;
any text ends in a Project or an OrebookError naming the file (fuzzed)."""

from __future__ import annotations

import re

import pytest
from helpers_project import SMALL, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError
from orebook.project import read_project


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle`` (typed here, not by the code)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _replace(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


def test_the_small_project_reads(tmp_path):
    p = read_project(write_project(tmp_path))
    assert p.name == "Small vein" and p.variable == "Au_gpt"
    assert p.out == tmp_path / "run"
    assert p.synthetic == {"seed": 1, "spec": {"length_m": 400.0, "depth_extent_m": 240.0,
                                               "spacing_m": 40.0, "n_features": 200}}
    assert p.estimate["grid"]["count"] == [28, 42, 45]
    assert [q["radii"] for q in p.estimate["passes"]] == [[60.0, 60.0, 8.0],
                                                          [120.0, 120.0, 12.0]]
    assert p.resources["cutoffs"] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert p.balance["effective_date"] == "2026-01-01" and p.balance["url"] is None
    assert p.rules == p.path


@pytest.mark.parametrize("old,new,key,needle", [
    ("length_m = 1.0", "length_m = -1.0", "length_m", "length_m = -1.0"),
    ("length_m = 1.0", "length_m = \"one\"", "length_m", "length_m = \"one\""),
    ('residual = "merge"', 'residual = "glue"', "residual", 'residual = "glue"'),
    ('caps = ["Au_gpt=p99.9"]', 'caps = ["Au_gpt=lots"]', "caps", "caps = "),
    ("count = [28, 42, 45]", "count = [28, 42]", "count", "count = [28, 42]"),
    ("count = [28, 42, 45]", "count = [28, 0, 45]", "count", "count = [28, 0, 45]"),
    ("min_samples = 2\n", "min_samples = 2\nmax_per_holes = 3\n", "max_per_holes",
     "max_per_holes"),
    ("radii = [120.0, 120.0, 12.0]", "radii = [120.0, 120.0]", "radii",
     "radii = [120.0, 120.0]"),
    ("cutoff = 0.5", "cutoff = true", "cutoff", "cutoff = true"),
    ("lower_cutoff = 0.3", "lower_cutoff = 0.7", "lower_cutoff", "lower_cutoff = 0.7"),
    ("density = 2.68", "density = 0", "density", "density = 0"),
    ("density = 2.68", 'density = "1=2.7"', "density", "density = "),
    ("effective_date = 2026-01-01", "effective_date = \"2026-13-01\"", "effective_date",
     "effective_date"),
    ("omf = true", "omf = 1", "omf", "omf = 1"),
    ("lags = 10", "lags = 2.5", "lags", "lags = 2.5"),
    ('kinds = ["spherical"]', 'kinds = ["round"]', "kinds", "kinds = "),
    ("n_features = 200}", "n_features = 200, colour = 3}", "synthetic", "synthetic = "),
    ("spacing_m = 40.0", "spacing_m = -40.0", "synthetic", "synthetic = "),
    ('variable = "Au_gpt"\ndecluster', 'variable = ""\ndecluster', "variable",
     'variable = ""'),
    ("[export]", "[exports]", "exports", "[exports]"),
    ('category = "C2"', 'category = "Z9"', None, 'category = "Z9"'),   # read_rules' own key
])
def test_errors_name_the_line_and_the_key(tmp_path, old, new, key, needle):
    text = _replace(old, new)
    path = write_project(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_project(path)
    exc = info.value
    assert exc.file == str(path)
    assert exc.row == _line_of(text, needle), str(exc)
    if key is not None:
        assert exc.column == key, str(exc)


def test_missing_tables_and_files_are_named(tmp_path):
    text = re.sub(r"\[statistics\]\nvariable = \"Au_gpt\"\n", "", SMALL)
    with pytest.raises(InputError, match=r"\[statistics\]"):
        read_project(write_project(tmp_path, text))
    files = _replace("synthetic = {seed = 1, length_m = 400.0, depth_extent_m = 240.0, "
                     "spacing_m = 40.0, n_features = 200}",
                     'collars = "collar.csv"\nintervals = ["assay.csv"]')
    path = write_project(tmp_path, files)
    with pytest.raises(InputError, match="no such file") as info:
        read_project(path)
    assert info.value.row == _line_of(files, "collars =") and info.value.column == "collars"


def test_a_toml_syntax_error_names_its_line(tmp_path):
    text = _replace("lags = 10", "lags = = 10")
    with pytest.raises(InputError) as info:
        read_project(write_project(tmp_path, text))
    assert info.value.row == _line_of(text, "lags = = 10")


_LINES = SMALL.splitlines()
_VALUES = st.one_of(st.integers(-5, 10**6).map(str), st.floats(allow_nan=True).map(repr),
                    st.text(max_size=12).map(lambda s: '"' + s.replace('"', "").replace(
                        "\\", "") + '"'),
                    st.sampled_from(["true", "[]", "[1, 2]", "{}", "[[1]]", "nan", "inf",
                                     "2026-02-30", '"p"', "{a = 1}"]))


@st.composite
def _mutated(draw):
    lines = list(_LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "drop", "junk"]))
        if action == "drop":
            lines.pop(i)
        elif action == "junk":
            lines[i] = draw(st.text(max_size=30))
        elif "=" in lines[i]:
            lines[i] = lines[i].split("=", 1)[0] + "= " + draw(_VALUES)
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_mutated(), st.text(max_size=200)))
def test_fuzz_any_text_ends_in_a_project_or_an_error_naming_the_file(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        read_project(path)
    except OrebookError as exc:
        assert "fuzz.toml" in str(exc)
