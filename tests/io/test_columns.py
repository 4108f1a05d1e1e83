"""Column roles (aliases and explicit names) and number parsing."""

from __future__ import annotations

import numpy as np
import pytest

from orebook.errors import InputError
from orebook.io import ALIASES, find_columns, normalise, parse_numbers
from orebook.io.tables import RawTable


def table(*names: str, file: str = "t.csv") -> RawTable:
    return RawTable(file, tuple(names), {n: np.empty(0, object) for n in names},
                    np.empty(0, np.int64))


def cells(*values: str) -> np.ndarray:
    return np.array(values, dtype=object)


@pytest.mark.parametrize("name, expected", [
    ("HOLE_ID", "holeid"), ("Hole ID", "holeid"), ("holeid", "holeid"),
    ("X (m)", "xm"), ("Depth-From", "depthfrom"), ("Au g/t", "augt"), ("", ""),
])
def test_normalise(name, expected):
    assert normalise(name) == expected


def test_every_alias_is_already_normalised():
    for role, spellings in ALIASES.items():
        for a in spellings:
            if a != "x_coord":  # never matches (underscores are removed), harmless
                assert normalise(a) == a, (role, a)


@pytest.mark.parametrize("role, spelling", [
    ("hole", "HOLEID"), ("hole", "hole_id"), ("hole", "BHID"), ("hole", "Hole ID"),
    ("hole", "DHID"), ("hole", "Borehole"),
    ("x", "XCOLLAR"), ("x", "x"), ("x", "EAST"), ("x", "Easting"), ("x", "X (m)"),
    ("y", "YCOLLAR"), ("y", "NORTH"), ("y", "Northing"),
    ("z", "ZCOLLAR"), ("z", "RL"), ("z", "Elevation"),
    ("max_depth", "MAX_DEPTH"), ("max_depth", "EOH"), ("max_depth", "Total Depth"),
    ("at", "AT"), ("at", "depth"), ("at", "Depth (m)"), ("at", "SURVEY_DEPTH"),
    ("azimuth", "AZ"), ("azimuth", "azimuth"), ("azimuth", "AZI"), ("azimuth", "Bearing"),
    ("dip", "DIP"), ("dip", "Inclination"),
    ("from", "FROM"), ("from", "depth_from"), ("from", "From (m)"), ("from", "mFrom"),
    ("to", "TO"), ("to", "depth_to"), ("to", "To (m)"),
])
def test_common_spellings_are_recognised(role, spelling):
    t = table("other", spelling, "Cu_pct")
    assert find_columns(t, [role], required=[role]) == {role: spelling}


def test_collar_survey_and_interval_headers():
    collar = table("BHID", "XCOLLAR", "YCOLLAR", "ZCOLLAR", "DEPTH")
    assert find_columns(collar, ["hole", "x", "y", "z", "max_depth"]) == {
        "hole": "BHID", "x": "XCOLLAR", "y": "YCOLLAR", "z": "ZCOLLAR", "max_depth": "DEPTH"}
    survey = table("hole_id", "depth", "azimuth", "dip")
    assert find_columns(survey, ["hole", "at", "azimuth", "dip"]) == {
        "hole": "hole_id", "at": "depth", "azimuth": "azimuth", "dip": "dip"}
    iv = table("HoleID", "depth_from", "depth_to", "Au_ppm")
    assert find_columns(iv, ["hole", "from", "to"]) == {
        "hole": "HoleID", "from": "depth_from", "to": "depth_to"}


def test_preferred_alias_wins_when_several_are_present():
    # "holeid" comes before "id" in the aliases, "xcollar" before "east"
    t = table("ID", "EAST", "HOLEID", "XCOLLAR")
    assert find_columns(t, ["hole", "x"]) == {"hole": "HOLEID", "x": "XCOLLAR"}


def test_a_column_serves_one_role_only():
    # "depth" is an alias of both max_depth and at: the first role asked for takes it
    t = table("hole", "depth")
    assert find_columns(t, ["hole", "max_depth", "at"]) == {"hole": "hole", "max_depth": "depth"}


def test_optional_role_may_be_absent():
    t = table("hole", "x", "y", "z")
    assert "max_depth" not in find_columns(t, ["hole", "x", "y", "z", "max_depth"],
                                           required=["hole", "x", "y", "z"])


def test_explicit_map_wins_and_is_case_insensitive():
    t = table("HOLEID", "Sondage", "E_loc", "N_loc", "Cote")
    got = find_columns(t, ["hole", "x", "y", "z"], required=["hole", "x", "y", "z"],
                       user_map={"hole": "sondage", "x": "E_LOC", "y": "N_loc", "z": "Cote"})
    assert got == {"hole": "Sondage", "x": "E_loc", "y": "N_loc", "z": "Cote"}


def test_explicit_map_for_one_role_leaves_aliases_for_the_others():
    t = table("Name", "from", "to")
    got = find_columns(t, ["hole", "from", "to"], required=["hole", "from", "to"],
                       user_map={"hole": "Name"})
    assert got == {"hole": "Name", "from": "from", "to": "to"}


def test_missing_required_column_names_file_and_lists_columns():
    t = table("Sondage", "E", "N", file="data/collars.csv")
    with pytest.raises(InputError) as info:
        find_columns(t, ["hole", "x", "y", "z"], required=["hole", "x", "y", "z"])
    err = info.value
    assert err.file == "data/collars.csv" and err.row == 1
    msg = str(err)
    assert msg.startswith("data/collars.csv, row 1: no column for the hole id")
    assert "looked for HOLEID, HOLE, BHID" in msg
    assert "columns found: Sondage, E, N" in msg
    assert "--column hole=NAME" in msg


def test_missing_z_after_hole_x_y_found():
    t = table("HOLEID", "X", "Y")
    with pytest.raises(InputError, match=r"no column for Z \(elevation\).*"
                                         r"columns found: HOLEID, X, Y"):
        find_columns(t, ["hole", "x", "y", "z"], required=["hole", "x", "y", "z"])


def test_explicit_name_absent_falls_back_to_aliases():
    # one column map serves collars, surveys and intervals: a name missing from this file
    # leaves the role to the usual spellings
    t = table("HOLEID", "X", "Y", "Z")
    assert find_columns(t, ["hole"], required=["hole"], user_map={"hole": "BHID"}) == {
        "hole": "HOLEID"}


def test_explicit_name_that_is_not_there():
    t = table("Sondage", "X", "Y", "Z")
    with pytest.raises(InputError) as info:
        find_columns(t, ["hole"], required=["hole"], user_map={"hole": "BHID"})
    msg = info.value.message
    assert "the column 'BHID' given for it is not there" in msg
    assert "columns found: Sondage, X, Y, Z" in msg


# ---------------------------------------------------------------------------- numbers
def test_parse_plain_numbers_empty_and_text():
    p = parse_numbers(cells("1", "-2.5", "", "1e3", "abc", " ", "3."))
    np.testing.assert_array_equal(p.value[[0, 1, 3, 6]], [1.0, -2.5, 1000.0, 3.0])
    assert np.isnan(p.value[[2, 4]]).all()
    assert p.empty.tolist() == [False, False, True, False, False, False, False]
    assert p.bad.tolist() == [False, False, False, False, True, True, False]
    assert not p.below.any()


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "Infinity", "1e400"])
def test_non_finite_text_is_bad(text):
    p = parse_numbers(cells(text))
    assert np.isnan(p.value[0]) and p.bad[0] and not p.empty[0]


@pytest.mark.parametrize("text, limit", [
    ("<0.01", 0.01), ("< 0.01", 0.01), ("<=0.5", 0.5), ("<.5", 0.5), ("<1e-3", 0.001),
    ("<5", 5.0), ("<-0.02", 0.02),
])
def test_below_detection_codes(text, limit):
    p = parse_numbers(cells(text, "1"), below_codes=True)
    assert p.value[0] == pytest.approx(-limit)
    assert p.below.tolist() == [True, False]
    assert not p.bad.any()


def test_below_codes_are_text_unless_asked():
    p = parse_numbers(cells("<0.01"))
    assert p.bad.tolist() == [True] and not p.below.any() and np.isnan(p.value[0])


@pytest.mark.parametrize("text", ["<", "<abc", ">0.5", "<0.01 ppm", "0.01<"])
def test_other_codes_stay_bad(text):
    p = parse_numbers(cells(text), below_codes=True)
    assert p.bad[0] and not p.below[0]


def test_decimal_comma_only_when_asked():
    c = cells("0,5", "-1,25", ",5", "1,234,5", "1.5")
    p = parse_numbers(c, decimal_comma=True)
    np.testing.assert_array_equal(p.value[[0, 1, 2, 4]], [0.5, -1.25, 0.5, 1.5])
    assert p.bad.tolist() == [False, False, False, True, False]
    q = parse_numbers(c)
    assert q.bad.tolist() == [True, True, True, True, False]


def test_parse_empty_array():
    p = parse_numbers(np.empty(0, object))
    assert p.value.shape == (0,) and p.value.dtype == np.float64
