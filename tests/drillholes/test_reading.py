"""Readers of collars, surveys and interval tables: units, dip sign, detection limits, checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from orebook.drillholes import BELOW_RULES, MISSING_CODES, Report, load_drillholes
from orebook.drillholes.reading import read_collars, read_intervals, read_surveys
from orebook.errors import InputError, ParameterError

FT = 0.3048


def csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems(report: Report, code: str | None = None) -> list[tuple]:
    """(row, column, hole, severity, code) of each problem, optionally of one code."""
    return [(p.row, p.column, p.hole, p.severity, p.code) for p in report.problems
            if code is None or p.code == code]


def message(report: Report, code: str) -> str:
    (m,) = [p.message for p in report.problems if p.code == code]
    return m


def kept(t, key: str) -> list:
    return t.columns[key][t.keep].tolist()


# ---------------------------------------------------------------------------- collars
def test_collars_in_metres(tmp_path):
    r = Report()
    t = read_collars(csv(tmp_path / "c.csv", "HOLEID,X,Y,Z,DEPTH\nA,100,200,50,120.5\n"
                                             "B,110,210,51,\n"), r)
    assert t.names == {"hole": "HOLEID", "x": "X", "y": "Y", "z": "Z", "max_depth": "DEPTH"}
    assert kept(t, "hole") == ["A", "B"]
    np.testing.assert_array_equal(t.columns["x"], [100, 110])
    np.testing.assert_array_equal(t.columns["z"], [50, 51])
    assert t.columns["depth_m"][0] == 120.5 and np.isnan(t.columns["depth_m"][1])
    assert r.problems == [] and r.rows_read == {t.file: 2}


def test_collars_in_feet_convert_coordinates_and_depth(tmp_path):
    r = Report()
    t = read_collars(csv(tmp_path / "c.csv", "HOLEID,X,Y,Z,DEPTH\nA,1000,2000,500,100\n"), r,
                     units="ft")
    assert t.columns["x"][0] == pytest.approx(1000 * FT)
    assert t.columns["y"][0] == pytest.approx(2000 * FT)
    assert t.columns["z"][0] == pytest.approx(500 * FT)
    assert t.columns["depth_m"][0] == pytest.approx(100 * FT)


def test_unknown_units_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="units must be 'm' or 'ft'"):
        read_collars(csv(tmp_path / "c.csv", "HOLEID,X,Y,Z\nA,1,2,3\n"), Report(), units="yd")


def test_collars_missing_coordinates_and_ids(tmp_path):
    r = Report()
    text = ("hole_id,easting,northing,elevation,eoh\n"
            "A,1,2,3,10\n"       # 2 ok
            "B,,2,3,10\n"        # 3 no X
            "C,1,abc,3,10\n"     # 4 Y not a number
            ",1,2,3,10\n"        # 5 no id
            "D,1,2,3,-5\n"       # 6 bad depth: warning, kept
            "E,1,2,3,deep\n")    # 7 bad depth: warning, kept
    t = read_collars(csv(tmp_path / "c.csv", text), r)
    assert kept(t, "hole") == ["A", "D", "E"]
    assert problems(r) == [
        (5, "hole_id", "", "error", "missing_hole_id"),
        (3, "easting", "B", "error", "missing_coordinates"),
        (4, "northing", "C", "error", "missing_coordinates"),
        (6, "eoh", "D", "warning", "bad_hole_depth"),
        (7, "eoh", "E", "warning", "bad_hole_depth"),
    ]
    msgs = [p.message for p in r.problems]
    assert msgs[1] == "collar X is empty; hole cannot be located and is not used"
    assert msgs[2] == "collar Y is 'abc', not a number; hole cannot be located and is not used"
    assert np.isnan(t.columns["depth_m"][[4, 5]]).all()


def test_missing_required_column_names_file_and_columns(tmp_path):
    path = csv(tmp_path / "collars.csv", "HOLEID,X,Y\nA,1,2\n")
    with pytest.raises(InputError) as info:
        read_collars(path, Report())
    msg = str(info.value)
    assert msg.startswith(f"{path}, row 1: no column for Z (elevation)")
    assert "columns found: HOLEID, X, Y" in msg


def test_explicit_column_map(tmp_path):
    r = Report()
    t = read_collars(csv(tmp_path / "c.csv", "Site;Est;Nord;Cote\nS1;1,5;2;3\n"), r,
                     column_map={"hole": "site", "x": "Est", "y": "Nord", "z": "Cote"})
    assert t.names == {"hole": "Site", "x": "Est", "y": "Nord", "z": "Cote"}
    assert t.columns["x"].tolist() == [1.5]   # decimal comma in a ;-delimited file


def test_rows_read_counts_a_repaired_short_row_once(tmp_path):
    r = Report()
    t = read_collars(csv(tmp_path / "c.csv", "HOLEID,X,Y,Z,DEPTH\nA,1,2,3\n\nB,1,2,3,9,9\n"),
                     r)
    # line 2: short (kept), line 3: empty, line 4: too many fields
    assert kept(t, "hole") == ["A"]
    assert r.rows_read == {t.file: 3}
    assert problems(r) == [(2, "", "", "warning", "too_few_fields"),
                           (3, "", "", "warning", "empty_row"),
                           (4, "", "", "error", "too_many_fields")]


# ---------------------------------------------------------------------------- surveys
def test_surveys_in_feet_convert_depth_not_angles(tmp_path):
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s.csv", "HOLEID,AT,AZ,DIP\nA,0,45,-60\n"
                                                       "A,100,47.5,-61\n"), r, units="ft")
    assert not positive
    np.testing.assert_allclose(t.columns["depth_m"], [0, 100 * FT])
    np.testing.assert_array_equal(t.columns["azimuth_deg"], [45, 47.5])
    np.testing.assert_array_equal(t.columns["dip_deg"], [-60, -61])


SURVEY_POS = "hole,depth,azimuth,dip\nA,0,10,60\nA,10,10,61\nB,0,20,70\nB,5,20,-89\n"
SURVEY_NEG = "hole,depth,azimuth,dip\nA,0,10,-60\nA,10,10,-61\nB,0,20,-70\nB,5,20,89\n"


def test_positive_down_dips_detected_from_the_majority(tmp_path):
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s.csv", SURVEY_POS), r)
    assert positive
    np.testing.assert_array_equal(t.columns["dip_deg"], [-60, -61, -70, 89])
    assert problems(r) == [(None, "dip", "", "warning", "dips_positive_down")]
    assert message(r, "dips_positive_down") == (
        "dips read as positive downwards (detected: 3 of 4 non-zero dips are positive); "
        "converted to negative-down")


def test_negative_down_dips_are_kept(tmp_path):
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s.csv", SURVEY_NEG), r)
    assert not positive
    np.testing.assert_array_equal(t.columns["dip_deg"], [-60, -61, -70, 89])
    assert r.problems == []


def test_tie_and_zero_dips_read_as_negative_down(tmp_path):
    r = Report()
    text = "hole,at,az,dip\nA,0,0,-60\nA,5,0,60\nA,9,0,0\nA,12,0,0\n"
    t, positive = read_surveys(csv(tmp_path / "s.csv", text), r)
    assert not positive and r.problems == []
    np.testing.assert_array_equal(t.columns["dip_deg"], [-60, 60, 0, 0])


def test_dip_sign_override(tmp_path):
    # the majority says positive-down, the user says negative: nothing is flipped
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s.csv", SURVEY_POS), r, dip_down="negative")
    assert not positive and r.problems == []
    np.testing.assert_array_equal(t.columns["dip_deg"], [60, 61, 70, -89])
    # the majority says negative-down, the user says positive: every dip is flipped
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s2.csv", SURVEY_NEG), r, dip_down="positive")
    assert positive
    np.testing.assert_array_equal(t.columns["dip_deg"], [60, 61, 70, -89])
    assert message(r, "dips_positive_down") == (
        "dips read as positive downwards (as stated); converted to negative-down")


def test_bad_dip_down_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="dip_down must be auto, negative or positive"):
        read_surveys(csv(tmp_path / "s.csv", SURVEY_NEG), Report(), dip_down="up")


def test_dip_detection_ignores_rows_not_used(tmp_path):
    # three out-of-range positive dips must not outvote two valid negative ones
    text = "hole,at,az,dip\nA,0,0,-60\nA,5,0,-61\nA,6,0,95\nA,7,0,120\nA,8,0,91\n"
    r = Report()
    t, positive = read_surveys(csv(tmp_path / "s.csv", text), r)
    assert not positive
    assert kept(t, "dip_deg") == [-60, -61]


def test_azimuth_and_dip_out_of_range(tmp_path):
    text = ("HOLEID,AT,AZ,DIP\n"
            "A,0,360,-60\n"      # 2: 360 is north, read as 0
            "A,10,361,-60\n"     # 3
            "A,20,-5,-60\n"      # 4
            "A,30,0,-91\n"       # 5
            "A,40,0,90.5\n"      # 6
            "A,50,359.9,-90\n"   # 7 ok
            "A,-1,0,-60\n"       # 8 negative depth
            "A,60,x,-60\n"       # 9 azimuth not a number
            "A,70,0,\n")         # 10 no dip
    r = Report()
    t, _ = read_surveys(csv(tmp_path / "s.csv", text), r)
    assert t.line[t.keep].tolist() == [2, 7]
    assert kept(t, "azimuth_deg") == [0.0, 359.9]
    assert problems(r) == [
        (9, "AZ", "A", "error", "not_a_number"),
        (10, "DIP", "A", "error", "missing_value"),
        (8, "AT", "A", "error", "negative_depth"),
        (3, "AZ", "A", "error", "azimuth_out_of_range"),
        (4, "AZ", "A", "error", "azimuth_out_of_range"),
        (5, "DIP", "A", "error", "dip_out_of_range"),
        (6, "DIP", "A", "error", "dip_out_of_range"),
    ]
    msgs = {p.row: p.message for p in r.problems}
    assert msgs[3] == "azimuth 361° is outside 0–360°; survey not used"
    assert msgs[5] == "dip -91° is outside −90…90°; survey not used"
    assert msgs[9] == "azimuth 'x' is not a number; row not used"


# ---------------------------------------------------------------------------- intervals
ASSAYS = ("HOLEID,FROM,TO,Cu_pct,Au_ppm,lith\n"
          "A,0,1,0.5,-0.02,ox\n"     # 2: Au below detection as a negative number
          "A,1,2,<0.02,0.3,ox\n"     # 3: Cu below detection as a code
          "A,2,3,1.5,<0.04,su\n"     # 4
          "A,3,4,,0.1,su\n")         # 5: Cu empty (missing)


@pytest.mark.parametrize("rule, cu, au", [
    ("half", [0.5, 0.01, 1.5, np.nan], [0.01, 0.3, 0.02, 0.1]),
    ("limit", [0.5, 0.02, 1.5, np.nan], [0.02, 0.3, 0.04, 0.1]),
    ("zero", [0.5, 0.0, 1.5, np.nan], [0.0, 0.3, 0.0, 0.1]),
    ("missing", [0.5, np.nan, 1.5, np.nan], [np.nan, 0.3, np.nan, 0.1]),
])
def test_below_detection_rules(tmp_path, rule, cu, au):
    t = read_intervals(csv(tmp_path / "a.csv", ASSAYS), Report(), below_rule=rule)
    np.testing.assert_allclose(t.values["Cu_pct"], cu)
    np.testing.assert_allclose(t.values["Au_ppm"], au)
    assert t.below["Cu_pct"].tolist() == [False, True, False, False]
    assert t.below["Au_ppm"].tolist() == [True, False, True, False]
    assert t.categories["lith"].tolist() == ["ox", "ox", "su", "su"]


RULE_TEXT = {"half": "half the detection limit", "limit": "the detection limit",
             "zero": "zero", "missing": "missing"}


@pytest.mark.parametrize("rule", BELOW_RULES)
def test_below_detection_counted_per_column(tmp_path, rule):
    c = csv(tmp_path / "c.csv", "HOLEID,X,Y,Z\nA,0,0,0\n")
    a = csv(tmp_path / "a.csv", ASSAYS)
    data, r = load_drillholes(c, None, [a], below_rule=rule)
    got = [(p.file, p.row, p.column, p.severity) for p in r.problems
           if p.code == "below_detection"]
    assert got == [(a, None, "Cu_pct", "warning"), (a, None, "Au_ppm", "warning")]
    msgs = [p.message for p in r.problems if p.code == "below_detection"]
    assert msgs[0].startswith("1 value ") and msgs[1].startswith("2 values ")
    assert all(m.endswith(f"replaced by {RULE_TEXT[rule]}") for m in msgs)
    assert data.intervals[0].below["Au_ppm"].tolist() == [True, False, True, False]


def test_below_detection_counts_only_rows_used(tmp_path):
    c = csv(tmp_path / "c.csv", "HOLEID,X,Y,Z\nA,0,0,0\n")
    # line 3 has no collar, line 4 inverted: neither counts
    a = csv(tmp_path / "a.csv", "HOLEID,FROM,TO,Au_ppm\nA,0,1,<0.01\nZ,0,1,<0.01\n"
                                "A,3,2,-0.01\nA,1,2,-0.01\n")
    _, r = load_drillholes(c, None, [a])
    (m,) = [p.message for p in r.problems if p.code == "below_detection"]
    assert m.startswith("2 values ")


def test_below_rules_listed():
    assert BELOW_RULES == ("half", "limit", "zero", "missing")


def test_bad_below_rule_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="below_rule must be one of half, limit, zero, "
                                             "missing, got 'third'"):
        read_intervals(csv(tmp_path / "a.csv", ASSAYS), Report(), below_rule="third")


@pytest.mark.parametrize("code", MISSING_CODES)
def test_no_value_codes_are_missing_not_below_detection(tmp_path, code):
    text = f"hole,from,to,Au_ppm\nA,0,1,{code:g}\nA,1,2,0.5\nA,2,3,{code:g}\nA,3,4,-0.5\n"
    a = csv(tmp_path / "a.csv", text)
    t = read_intervals(a, Report())
    np.testing.assert_allclose(t.values["Au_ppm"], [np.nan, 0.5, np.nan, 0.25])
    assert t.below["Au_ppm"].tolist() == [False, False, False, True]
    _, r = load_drillholes(csv(tmp_path / "c.csv", "hole,x,y,z\nA,0,0,0\n"), None, [a])
    got = [(p.row, p.column, p.code) for p in r.problems if p.file == a]
    assert got == [(None, "Au_ppm", "missing_value_code"), (None, "Au_ppm", "below_detection")]
    assert message(r, "missing_value_code").startswith("2 values ")
    assert "(-99, -999, -9999, -99999)" in message(r, "missing_value_code")
    assert message(r, "below_detection").startswith("1 value ")


def test_below_code_of_999_is_a_detection_limit(tmp_path):
    # "<999" is a detection limit of 999, not the -999 code
    t = read_intervals(csv(tmp_path / "a.csv", "hole,from,to,Au_ppb\nA,0,1,<999\n"), Report())
    assert t.values["Au_ppb"].tolist() == [499.5]
    assert t.below["Au_ppb"].tolist() == [True]


def test_intervals_in_feet(tmp_path):
    r = Report()
    t = read_intervals(csv(tmp_path / "a.csv", "hole,from,to,Cu_pct\nA,0,10,1.5\nA,10,25,2\n"),
                       r, units="ft")
    np.testing.assert_allclose(t.columns["from_m"], [0, 10 * FT])
    np.testing.assert_allclose(t.columns["to_m"], [10 * FT, 25 * FT])
    np.testing.assert_array_equal(t.values["Cu_pct"], [1.5, 2.0])   # grades are not lengths


@pytest.mark.parametrize("col, value, absurd", [
    ("Cu_pct", "150", True), ("Cu_pct", "100", False), ("Cu %", "120", True),
    ("Zn%", "100.5", True), ("Au_ppm", "150", False), ("Au g/t", "2000000", True),
    ("Ag_ppb", "2000000", False), ("Cu", "150", False),
])
def test_absurd_grades(tmp_path, col, value, absurd):
    r = Report()
    t = read_intervals(csv(tmp_path / "a.csv", f"hole,from,to,{col}\nA,0,1,1\nA,1,2,{value}\n"),
                       r)
    v = t.values[col]
    assert v[0] == 1
    if absurd:
        assert np.isnan(v[1])
        assert problems(r) == [(3, col, "A", "error", "absurd_value")]
        assert f"value {value} exceeds the largest possible" in r.problems[0].message
    else:
        assert v[1] == float(value) and r.problems == []
    assert t.keep.all()    # the interval stays; only the value goes


def test_non_numeric_grades_are_errors_but_rows_stay(tmp_path):
    r = Report()
    text = "hole,from,to,Cu_pct\nA,0,1,0.5\nA,1,2,n/a\nA,2,3,0.7\nA,3,4,1..2\n"
    t = read_intervals(csv(tmp_path / "a.csv", text), r)
    np.testing.assert_allclose(t.values["Cu_pct"], [0.5, np.nan, 0.7, np.nan])
    assert t.keep.all()
    assert problems(r) == [(3, "Cu_pct", "A", "error", "not_a_number"),
                           (5, "Cu_pct", "A", "error", "not_a_number")]
    assert r.problems[0].message == "value 'n/a' is not a number; treated as missing"


def test_mostly_text_column_is_a_category(tmp_path):
    r = Report()
    text = "hole,from,to,lith,code\nA,0,1,granite,1\nA,1,2,diorite,2\nA,2,3,3,x\n"
    t = read_intervals(csv(tmp_path / "a.csv", text), r)
    assert t.categories["lith"].tolist() == ["granite", "diorite", "3"]
    assert t.values["code"].tolist()[:2] == [1.0, 2.0]
    assert [p.code for p in r.problems] == ["not_a_number"]


def test_interval_depth_errors(tmp_path):
    r = Report()
    text = ("hole,from,to,Cu_pct\n"
            "A,0,1,1\n"      # 2 ok
            "A,2,2,1\n"      # 3 from = to
            "A,5,3,1\n"      # 4 from > to
            "A,-1,1,1\n"     # 5 negative
            "A,,6,1\n"       # 6 no from
            "A,6,x,1\n"      # 7 to not a number
            ",7,8,1\n")      # 8 no hole
    t = read_intervals(csv(tmp_path / "a.csv", text), r)
    assert t.line[t.keep].tolist() == [2]
    assert problems(r) == [
        (8, "hole", "", "error", "missing_hole_id"),
        (6, "from", "A", "error", "missing_value"),
        (7, "to", "A", "error", "not_a_number"),
        (5, "from", "A", "error", "negative_depth"),
        (3, "to", "A", "error", "from_not_above_to"),
        (4, "to", "A", "error", "from_not_above_to"),
    ]
    assert message(r, "negative_depth") == "from-depth -1 m is negative; interval not used"


def test_quoted_newline_keeps_report_rows_exact(tmp_path):
    r = Report()
    text = ('hole,from,to,Cu_pct,comment\n'
            'A,0,1,0.5,"long\ncomment\nhere"\n'   # lines 2-4
            'A,1,2,bad,\n'                         # line 5
            'A,3,2,1,\n')                          # line 6
    read_intervals(csv(tmp_path / "a.csv", text), r)
    assert problems(r) == [(6, "to", "A", "error", "from_not_above_to"),
                           (5, "Cu_pct", "A", "error", "not_a_number")]


# ---------------------------------------------------------------------------- whole sets
def test_holes_without_surveys_are_vertical_and_reported(tmp_path):
    c = csv(tmp_path / "c.csv", "HOLEID,X,Y,Z\nA,0,0,100\nB,10,0,100\n")
    s = csv(tmp_path / "s.csv", "HOLEID,AT,AZ,DIP\nA,0,90,-45\n")
    a = csv(tmp_path / "a.csv", "HOLEID,FROM,TO,Cu_pct\nA,0,1,1\nB,0,1,2\n")
    data, r = load_drillholes(c, s, [a])
    assert problems(r) == [(3, "HOLEID", "B", "warning", "no_survey")]
    assert message(r, "no_survey") == "hole has no survey; taken as vertical (dip −90°)"
    # without a survey file every hole is vertical, and each is named
    data, r = load_drillholes(c, None, [a])
    assert problems(r) == [(2, "HOLEID", "A", "warning", "no_survey"),
                           (3, "HOLEID", "B", "warning", "no_survey")]
    assert len(data.surveys) == 0


def test_load_in_feet_with_positive_dips_and_column_map(tmp_path):
    c = csv(tmp_path / "c.csv", "Name,E,N,Elev,TD\nA,1000,2000,300,100\n")
    s = csv(tmp_path / "s.csv", "Name,Dist,Brg,Incl\nA,0,90,60\nA,50,90,62\n")
    a = csv(tmp_path / "a.csv", "Name,Start,End,Cu_pct\nA,0,10,0.5\nA,10,20,<0.1\n")
    data, r = load_drillholes(c, s, [a], units="ft", column_map={"hole": "Name", "x": "E",
                                                                   "y": "N"})
    assert data.dips_positive_down and data.units == "ft"
    assert data.collars.x.tolist() == pytest.approx([1000 * FT])
    assert data.collars.z.tolist() == pytest.approx([300 * FT])
    assert data.collars.depth_m.tolist() == pytest.approx([100 * FT])
    assert data.surveys.depth_m.tolist() == pytest.approx([0, 50 * FT])
    assert data.surveys.dip_deg.tolist() == [-60, -62]
    iv = data.intervals[0]
    assert iv.to_m.tolist() == pytest.approx([10 * FT, 20 * FT])
    assert iv.values["Cu_pct"].tolist() == pytest.approx([0.5, 0.05])
    assert sorted(p.code for p in r.problems) == ["below_detection", "dips_positive_down"]
    assert r.rows_read == r.rows_used == {c: 1, s: 2, a: 2}


def test_xlsx_files_report_sheet_rows(tmp_path):
    def book(name, rows):
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        wb.save(tmp_path / name)
        return tmp_path / name

    c = book("c.xlsx", [["HOLEID", "X", "Y", "Z"], ["A", 1, 2, 3], ["B", None, 2, 3]])
    s = book("s.xlsx", [["HOLEID", "AT", "AZ", "DIP"], ["A", 0, 400, -60], ["A", 0, 10, -60]])
    a = book("a.xlsx", [["HOLEID", "FROM", "TO", "Cu_pct"], ["A", 0, 1, 0.5], [None] * 4,
                        ["A", 1, 2, "<0.01"], ["A", 3, 2, 1]])
    data, r = load_drillholes(c, s, [a])
    assert problems(r) == [
        (3, "X", "B", "error", "missing_coordinates"),
        (2, "AZ", "A", "error", "azimuth_out_of_range"),
        (3, "", "", "warning", "empty_row"),
        (5, "TO", "A", "error", "from_not_above_to"),
        (None, "Cu_pct", "", "warning", "below_detection"),
    ]
    assert data.intervals[0].line.tolist() == [2, 4]
    assert data.intervals[0].values["Cu_pct"].tolist() == [0.5, 0.005]
    assert data.surveys.line.tolist() == [3]
    assert r.rows_read == {str(c): 2, str(s): 2, str(a): 4}
    assert r.rows_used == {str(c): 1, str(s): 1, str(a): 2}
