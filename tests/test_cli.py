"""The command line, in the exact forms other tools rely on (issue 2), on a hand-made data set.

The main forms run the installed ``orebook`` script in a subprocess; variants use Typer's
CliRunner on the same app.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from orebook.cli import app

OREBOOK = Path(sys.executable).with_name("orebook")
R2 = math.sqrt(0.5)   # cos 45° = sin 45°
FT = 0.3048

REPORT_HEADER = ["file", "row", "column", "hole", "severity", "code", "message"]
POINTS_HEADER = ["hole", "depth", "x", "y", "z"]
COMPOSITE_HEADER = ["hole", "from", "to", "length", "x", "y", "z", "domain"]

# H1: vertical from (1000, 2000, 500), 20 m deep. H2: straight, azimuth 90°, dip −45°, from
# (1100, 2000, 500). Line 4 of collars.csv repeats H1; line 3 is short (no depth).
COLLARS = "HOLEID,X,Y,Z,DEPTH\nH1,1000,2000,500,20\nH2,1100,2000,500\nH1,1000,2000,500,20\n"
SURVEYS = "HOLEID,AT,AZ,DIP\nH1,0,0,-90\nH1,20,0,-90\nH2,0,90,-45\n"
ASSAYS = ("HOLEID,FROM,TO,Cu_pct\n"
          "H1,0,2,1.0\n"      # 2
          "H1,2,4,2.0\n"      # 3
          "H1,4,6,3.0\n"      # 4
          "H2,0,2,0.5\n"      # 5
          "H2,2,3,<0.02\n"    # 6: below detection, read as 0.01
          "H2,3,4,1.5\n"      # 7
          "H2,5,4,1\n"        # 8: from > to, not used
          "H2,6,7,abc\n")     # 9: not a number (missing); gap 4-6 above it
LITH = "HOLEID,FROM,TO,lith\nH1,0,3,OX\nH1,3,6,SU\nH2,0,4,OX\n"
GOLD = "BHID;mFrom;mTo;Au_ppm\nH1;0;6;0,2\nH2;0;4;0,4\n"

EXPECTED_REPORT = [
    ["collars.csv", "3", "", "", "warning", "too_few_fields"],
    ["collars.csv", "4", "HOLEID", "H1", "warning", "duplicate_collar"],
    ["assays.csv", "", "Cu_pct", "", "warning", "below_detection"],
    ["assays.csv", "8", "TO", "H2", "error", "from_not_above_to"],
    ["assays.csv", "9", "Cu_pct", "H2", "error", "not_a_number"],
    ["assays.csv", "9", "FROM", "H2", "warning", "gap"],
]


def h2(d: float) -> list[float]:
    return [1100 + d * R2, 2000.0, 500 - d * R2]


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    for name, text in [("collars.csv", COLLARS), ("surveys.csv", SURVEYS),
                       ("assays.csv", ASSAYS), ("lith.csv", LITH), ("gold.csv", GOLD)]:
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


INPUTS = ["--collars", "collars.csv", "--surveys", "surveys.csv", "--intervals", "assays.csv"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(OREBOOK), *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def invoke(*args: str):
    """Run the app in-process; any exception other than a clean exit fails the test."""
    res = CliRunner().invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip()]


def assert_close(got: list[list[str]], want: list[list[object]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert len(g) == len(w)
        for a, b in zip(g, w):
            if isinstance(b, float):
                assert float(a) == pytest.approx(b, abs=1e-9), (g, w)
            else:
                assert a == b, (g, w)


def test_script_is_installed():
    assert OREBOOK.is_file(), OREBOOK
    assert run("version", cwd=Path.cwd()).stdout.strip() == "0.1.0"


# ---------------------------------------------------------------------------- validate
def test_validate_writes_the_report(data):
    r = run("drillholes", "validate", *INPUTS, "--units", "m", "--dip-down", "auto",
            "--report", "report.csv", cwd=data)
    assert r.returncode == 0, r.stderr
    got = rows(data / "report.csv")
    assert got[0] == REPORT_HEADER
    assert [g[:6] for g in got[1:]] == EXPECTED_REPORT
    msgs = [g[6] for g in got[1:]]
    assert msgs[1] == "collar repeated (same as line 2); repeat ignored"
    assert msgs[3] == "from 5 m is not above to 4 m; interval not used"
    assert msgs[4] == "value 'abc' is not a number; treated as missing"
    assert "Validation: 2 errors, 4 warnings" in r.stdout
    assert "Report: report.csv (6 rows)" in r.stdout
    assert "Traceback" not in r.stderr


def test_validate_strict_exits_1_on_errors(data):
    res = invoke("drillholes", "validate", *INPUTS, "--strict", "--report", "report.csv")
    assert res.exit_code == 1
    assert len(rows(data / "report.csv")) == 1 + len(EXPECTED_REPORT)


def test_validate_strict_exits_0_with_warnings_only(data):
    (data / "clean.csv").write_text("HOLEID,FROM,TO,Cu_pct\nH1,0,2,1\nH2,0,2,-0.1\n")
    res = invoke("drillholes", "validate", "--collars", "collars.csv", "--surveys",
                 "surveys.csv", "--intervals", "clean.csv", "--strict")
    assert res.exit_code == 0, res.output


def test_validate_repeated_intervals_and_no_surveys(data):
    res = invoke("drillholes", "validate", "--collars", "collars.csv", "--intervals",
                 "assays.csv", "--intervals", "gold.csv", "--report", "r.csv")
    assert res.exit_code == 0, res.output
    got = rows(data / "r.csv")
    no_survey = [g[:6] for g in got if g[5] == "no_survey"]
    assert no_survey == [["collars.csv", "2", "HOLEID", "H1", "warning", "no_survey"],
                         ["collars.csv", "3", "HOLEID", "H2", "warning", "no_survey"]]
    assert not [g for g in got if g[0] == "gold.csv"]


def test_validate_unusable_data_exits_1_and_still_reports(data):
    (data / "nocoords.csv").write_text("HOLEID,X,Y,Z\nH1,,2000,500\nH2,1100,north,500\n")
    r = run("drillholes", "validate", "--collars", "nocoords.csv", "--surveys", "surveys.csv",
            "--intervals", "assays.csv", "--report", "report.csv", cwd=data)
    assert r.returncode == 1
    assert "unusable:" in r.stdout and "nocoords.csv: no usable collar" in r.stdout
    got = rows(data / "report.csv")
    assert [g[:6] for g in got if g[5] == "missing_coordinates"] == [
        ["nocoords.csv", "2", "X", "H1", "error", "missing_coordinates"],
        ["nocoords.csv", "3", "Y", "H2", "error", "missing_coordinates"]]
    assert "Traceback" not in r.stderr


def test_missing_required_column_is_a_one_line_error(data):
    (data / "badcollars.csv").write_text("HOLEID,X,Y\nH1,1,2\n")
    r = run("drillholes", "validate", "--collars", "badcollars.csv", "--surveys",
            "surveys.csv", "--intervals", "assays.csv", "--report", "report.csv", cwd=data)
    assert r.returncode == 1
    assert r.stdout == ""
    (line,) = error_lines(r.stderr)
    assert line.startswith("error: badcollars.csv, row 1: no column for Z")
    assert "columns found: HOLEID, X, Y" in line
    assert not (data / "report.csv").exists()


@pytest.mark.parametrize("name, content, where", [
    ("latin.csv", "HOLEID,X,Y,Z\nH\xe9,1,2,3\n".encode("latin-1"), "latin.csv, row 2: byte 0xe9"),
    ("old.xls", b"HOLEID,X,Y,Z\n", "old.xls: legacy .xls workbooks are not read"),
    ("broken.xlsx", b"PK\x03\x04 not really", "broken.xlsx: not a readable XLSX workbook"),
    ("dup.csv", b"HOLEID,X,Y,Z,x\n", "dup.csv, row 1, column 'x': column name 'x' appears twice"),
    ("quote.csv", b'HOLEID,X,Y,Z\nH1,"1,2,3\nH2,1,2,3\n', "quote.csv, row 2: a quote opened"),
])
def test_bad_file_is_a_one_line_error_naming_it(data, name, content, where):
    (data / name).write_bytes(content)
    res = invoke("drillholes", "validate", "--collars", name, "--intervals", "assays.csv")
    assert res.exit_code == 1
    (line,) = error_lines(res.stderr)
    assert line.startswith(f"error: {where}")


def test_bad_file_from_the_script_has_no_traceback(data):
    (data / "latin.csv").write_bytes(b"HOLEID,FROM,TO,Cu_pct\nH1,0,1,0.5\xb5\n")
    r = run("drillholes", "validate", "--collars", "collars.csv", "--intervals", "latin.csv",
            "--report", "report.csv", cwd=data)
    assert r.returncode == 1
    assert error_lines(r.stderr) == [
        "error: latin.csv, row 2: byte 0xb5 at character 11 is not UTF-8; save the file as UTF-8"]
    assert r.stdout == ""
    assert not (data / "report.csv").exists()


def test_missing_file(data):
    res = invoke("drillholes", "validate", "--collars", "nope.csv", "--intervals", "assays.csv")
    assert res.exit_code == 1
    assert error_lines(res.stderr) == ["error: nope.csv: file not found"]


@pytest.mark.parametrize("args, message", [
    (["--column", "holeBHID"], "error: --column 'holeBHID': expected ROLE=NAME"),
    (["--column", "colour=RED"], "error: --column 'colour=RED': unknown role 'colour'"),
])
def test_bad_column_option(data, args, message):
    res = invoke("drillholes", "validate", *INPUTS, *args)
    assert res.exit_code == 1
    assert error_lines(res.stderr)[0].startswith(message)


@pytest.mark.parametrize("option, value", [("--units", "yd"), ("--dip-down", "sideways"),
                                           ("--below-rule", "third")])
def test_bad_choices_are_refused(data, option, value):
    res = invoke("drillholes", "validate", *INPUTS, option, value)
    assert res.exit_code != 0
    assert value in res.output + res.stderr


# ---------------------------------------------------------------------------- desurvey
POINTS = [
    ["H1", 0.0, 1000.0, 2000.0, 500.0],
    ["H1", 2.0, 1000.0, 2000.0, 498.0],
    ["H1", 4.0, 1000.0, 2000.0, 496.0],
    ["H1", 6.0, 1000.0, 2000.0, 494.0],
    ["H1", 20.0, 1000.0, 2000.0, 480.0],
] + [["H2", d, *h2(d)] for d in (0.0, 2.0, 3.0, 4.0, 6.0, 7.0)]


def test_desurvey_writes_points(data):
    r = run("drillholes", "desurvey", *INPUTS, "--method", "mincurv", "--out", "points.csv",
            cwd=data)
    assert r.returncode == 0, r.stderr
    got = rows(data / "points.csv")
    assert got[0] == POINTS_HEADER
    assert_close(got[1:], POINTS)


@pytest.mark.parametrize("method", ["tangent", "balanced"])
def test_desurvey_methods_agree_on_straight_holes(data, method):
    res = invoke("drillholes", "desurvey", *INPUTS, "--method", method, "--out", "p.csv")
    assert res.exit_code == 0, res.output
    assert_close(rows(data / "p.csv")[1:], POINTS)


def test_desurvey_in_feet(data):
    res = invoke("drillholes", "desurvey", *INPUTS, "--units", "ft", "--out", "p.parquet")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(data / "p.parquet")
    assert list(df.columns) == POINTS_HEADER
    h2_pts = df[df["hole"] == "H2"]
    d = h2_pts["depth"].to_numpy()
    assert d.tolist() == pytest.approx([x * FT for x in (0, 2, 3, 4, 6, 7)])
    assert h2_pts["x"].to_numpy() == pytest.approx(1100 * FT + d * R2)
    assert h2_pts["z"].to_numpy() == pytest.approx(500 * FT - d * R2)


def test_dip_down_positive_turns_the_holes_up(data):
    res = invoke("drillholes", "desurvey", *INPUTS, "--dip-down", "positive", "--out", "p.csv")
    assert res.exit_code == 0, res.output
    got = {(g[0], float(g[1])): [float(v) for v in g[2:]] for g in rows(data / "p.csv")[1:]}
    assert got[("H2", 4.0)] == pytest.approx([1100 + 4 * R2, 2000, 500 + 4 * R2])
    assert got[("H1", 20.0)] == pytest.approx([1000, 2000, 520])


def test_auto_dip_detects_positive_down_files(data):
    (data / "posdip.csv").write_text("HOLEID,AT,AZ,DIP\nH1,0,0,90\nH1,20,0,90\nH2,0,90,45\n")
    res = invoke("drillholes", "desurvey", "--collars", "collars.csv", "--surveys",
                 "posdip.csv", "--intervals", "assays.csv", "--out", "p.csv")
    assert res.exit_code == 0, res.output
    assert_close(rows(data / "p.csv")[1:], POINTS)


def test_column_map_on_the_command_line(data):
    (data / "sites.csv").write_text("Site,E,N,Elev\nH1,1000,2000,500\nH2,1100,2000,500\n")
    res = invoke("drillholes", "desurvey", "--collars", "sites.csv", "--surveys",
                 "surveys.csv", "--intervals", "assays.csv", "--column", "hole=Site",
                 "--column", "x=E", "--column", "y=N", "--out", "p.csv")
    assert res.exit_code == 0, res.output
    assert_close(rows(data / "p.csv")[1:], POINTS)


def test_desurvey_unusable_data_writes_nothing(data):
    (data / "nocoords.csv").write_text("HOLEID,X,Y,Z\nH1,,2000,500\n")
    res = invoke("drillholes", "desurvey", "--collars", "nocoords.csv", "--intervals",
                 "assays.csv", "--out", "p.csv")
    assert res.exit_code == 1
    (line,) = error_lines(res.stderr)
    assert line.startswith("error: nocoords.csv: no usable collar")
    assert not (data / "p.csv").exists()


# ---------------------------------------------------------------------------- composite
COMPOSITES = [
    ["H1", 0.0, 2.0, 2.0, 1000.0, 2000.0, 499.0, "", 1.0],
    ["H1", 2.0, 4.0, 2.0, 1000.0, 2000.0, 497.0, "", 2.0],
    ["H1", 4.0, 6.0, 2.0, 1000.0, 2000.0, 495.0, "", 3.0],
    ["H2", 0.0, 2.0, 2.0, *h2(1.0), "", 0.5],
    ["H2", 2.0, 4.0, 2.0, *h2(3.0), "", (0.01 * 1 + 1.5 * 1) / 2],
]


def test_composite_writes_csv(data):
    r = run("drillholes", "composite", *INPUTS, "--length", "2", "--out", "comp.csv", cwd=data)
    assert r.returncode == 0, r.stderr
    got = rows(data / "comp.csv")
    assert got[0] == COMPOSITE_HEADER + ["Cu_pct"]
    assert_close(got[1:], COMPOSITES)


def test_composite_by_domain(data):
    r = run("drillholes", "composite", *INPUTS, "--length", "2", "--domains", "lith.csv",
            "--domain-column", "lith", "--out", "comp.csv", cwd=data)
    assert r.returncode == 0, r.stderr
    got = rows(data / "comp.csv")
    assert got[0] == COMPOSITE_HEADER + ["Cu_pct"]
    assert_close(got[1:], [
        ["H1", 0.0, 2.0, 2.0, 1000.0, 2000.0, 499.0, "OX", 1.0],
        ["H1", 2.0, 3.0, 1.0, 1000.0, 2000.0, 497.5, "OX", 2.0],
        ["H1", 3.0, 5.0, 2.0, 1000.0, 2000.0, 496.0, "SU", 2.5],
        ["H1", 5.0, 6.0, 1.0, 1000.0, 2000.0, 494.5, "SU", 3.0],
        ["H2", 0.0, 2.0, 2.0, *h2(1.0), "OX", 0.5],
        ["H2", 2.0, 4.0, 2.0, *h2(3.0), "OX", 0.755],
    ])


def test_composite_parquet_with_two_tables(data):
    res = invoke("drillholes", "composite", *INPUTS, "--intervals", "gold.csv", "--length", "2",
                 "--out", "comp.parquet")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(data / "comp.parquet")
    assert list(df.columns) == COMPOSITE_HEADER + ["Cu_pct", "Au_ppm"]
    assert df["hole"].tolist() == ["H1", "H1", "H1", "H2", "H2"]
    assert df["Cu_pct"].tolist() == pytest.approx([c[-1] for c in COMPOSITES])
    assert df["Au_ppm"].tolist() == pytest.approx([0.2, 0.2, 0.2, 0.4, 0.4])
    assert df["z"].tolist() == pytest.approx([c[6] for c in COMPOSITES])


def test_composite_residual_merge(data):
    res = invoke("drillholes", "composite", *INPUTS, "--length", "4", "--residual", "merge",
                 "--out", "c.csv")
    assert res.exit_code == 0, res.output
    got = rows(data / "c.csv")[1:]
    # H1 0-6 m: one 4 m composite and a 2 m residual merged into it
    assert [(g[0], float(g[1]), float(g[2])) for g in got if g[0] == "H1"] == [("H1", 0, 6)]
    assert float(got[0][-1]) == pytest.approx(2.0)


def test_composite_with_a_cap(data):
    res = invoke("drillholes", "composite", *INPUTS, "--length", "2", "--cap", "Cu_pct=2.5",
                 "--out", "c.csv")
    assert res.exit_code == 0, res.output
    got = rows(data / "c.csv")[1:]
    assert [float(g[-1]) for g in got] == pytest.approx([1.0, 2.0, 2.5, 0.5, 0.755])


@pytest.mark.parametrize("args, message", [
    (["--length", "-1"], "error: composite length must be a positive number of metres"),
    (["--length", "2", "--domains", "lith.csv", "--domain-column", "rock"],
     "error: domain column 'rock' is not in lith.csv"),
    (["--length", "2", "--cap", "Zn_pct=5"], "error: cap names 'Zn_pct', which is not"),
    (["--length", "2", "--plot", "Au:p.png"], "error: --plot: 'Au' is not a composited value"),
])
def test_composite_parameter_errors(data, args, message):
    res = invoke("drillholes", "composite", *INPUTS, *args, "--out", "c.csv")
    assert res.exit_code == 1
    (line,) = error_lines(res.stderr)
    assert line.startswith(message)
    assert not (data / "c.csv").exists()  # nothing written


def test_composite_plot(data):
    res = invoke("drillholes", "composite", *INPUTS, "--length", "2", "--out", "c.csv",
                 "--plot", "Cu_pct:plots/cu.png")
    assert res.exit_code == 0, res.output
    assert (data / "plots" / "cu.png").read_bytes()[:4] == b"\x89PNG"


def test_composite_plot_with_an_unknown_suffix_is_a_clean_error(data):
    res = invoke("drillholes", "composite", *INPUTS, "--length", "2", "--out", "c.csv",
                 "--plot", "Cu_pct:cu.txt")
    assert res.exit_code == 1
    (line,) = error_lines(res.stderr)
    assert line.startswith("error: --plot 'Cu_pct:cu.txt': expected [VAR:]FILE.png")
    assert not (data / "cu.txt").exists()
    assert not (data / "c.csv").exists()  # refused before anything was written


# ---------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("command, option", [
    ("validate", ["--report", "out.txt"]),
    ("desurvey", ["--out", "out.txt"]),
    ("composite", ["--length", "2", "--out", "out.txt"]),
])
def test_unknown_output_suffix_writes_nothing(data, command, option):
    before = set(data.iterdir())
    res = invoke("drillholes", command, *INPUTS, *option)
    assert res.exit_code == 1
    (line,) = error_lines(res.stderr)
    assert line == "error: output out.txt: expected a .csv or .parquet file name"
    assert set(data.iterdir()) == before      # no out.txt, no temporary file left


def test_output_that_cannot_be_written_is_a_clean_error(data):
    (data / "afile").write_text("")
    (data / "adir.csv").mkdir()
    for out in ["afile/points.csv", "adir.csv"]:
        res = invoke("drillholes", "desurvey", *INPUTS, "--out", out)
        assert res.exit_code == 1
        (line,) = error_lines(res.stderr)
        assert line.startswith(f"error: output {out}: cannot write")
    assert list((data / "adir.csv").iterdir()) == []


def test_existing_output_is_replaced_whole(data):
    (data / "p.csv").write_text("old content that is longer than nothing\n" * 100)
    res = invoke("drillholes", "desurvey", *INPUTS, "--out", "p.csv")
    assert res.exit_code == 0
    assert_close(rows(data / "p.csv")[1:], POINTS)
    assert [p.name for p in data.iterdir() if p.name.endswith(".part")] == []


def test_xlsx_inputs(data):
    import openpyxl

    for name, text in [("collars", COLLARS), ("surveys", SURVEYS), ("assays", ASSAYS)]:
        wb = openpyxl.Workbook()
        for line in text.splitlines():
            wb.active.append([float(c) if c.lstrip("-").replace(".", "").isdigit() else c
                              for c in line.split(",")])
        wb.save(data / f"{name}.xlsx")
    res = invoke("drillholes", "validate", "--collars", "collars.xlsx", "--surveys",
                 "surveys.xlsx", "--intervals", "assays.xlsx", "--report", "r.csv")
    assert res.exit_code == 0, res.output
    got = sorted(g[:6] for g in rows(data / "r.csv")[1:])
    # a sheet has no short rows: the collar without depth is just an empty cell
    assert got == sorted([f.replace(".csv", ".xlsx"), *rest] for f, *rest in EXPECTED_REPORT
                         if rest[4] != "too_few_fields")


# ---------------------------------------------------------------------------- demo
def test_demo_runs_the_chain_and_enters_the_balance(tmp_path):
    """``orebook demo`` end to end: the estimate is within the stated tolerance of the
    generator's truth, and the demo balance is the hand-computed one."""
    import datetime as dt
    import re

    from orebook.balance import Ledger, engine_from_url
    from orebook.demo_balance import OLD_HILL_2026
    from orebook.io.estimate_record import read_estimate_record

    out = tmp_path / "demo"
    r = run("demo", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "HTML report:" in r.stdout
    # the estimate against the truth at the cut-off (0.5 g/t): metal within ±15 %
    truth = pd.read_csv(out / "run" / "resources" / "truth.csv")
    at = truth.loc[(truth["cutoff"] - 0.5).abs().idxmin()]
    assert abs(at["metal_est_kg"] / at["metal_true_kg"] - 1) < 0.15
    # the balance: Old Hill as computed by hand; the demo vein holds exactly the record
    record = read_estimate_record(out / "run" / "resources" / "estimate_record.json")
    eng = engine_from_url(f"sqlite:///{out / 'balance' / 'balance.sqlite'}")
    ledger = Ledger(eng)
    old = {(b.category, b.group): (b.ore, b.metal)
           for b in ledger.balance(dt.date(2026, 2, 1), deposit="Old Hill")}
    vein = {(b.category, b.group): (b.ore, b.metal)
            for b in ledger.balance(dt.date(2026, 2, 1), deposit="Demo vein")}
    eng.dispose()
    assert old.keys() == OLD_HILL_2026.keys()
    for k, (ore, metal) in OLD_HILL_2026.items():
        assert old[k] == pytest.approx((ore, metal))
    want = {(ln.category, ln.group): (ln.ore, ln.metal) for ln in record.lines
            if ln.ore > 0 or ln.metal > 0}
    assert vein.keys() == want.keys()
    for k, v in want.items():
        assert vein[k] == pytest.approx(v)
    # the reports and the run report
    for name in ("yearly_form_2026.xlsx", "district_totals.xlsx"):
        assert (out / "balance" / name).read_bytes()[:2] == b"PK"
    html = (out / "run" / "report" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", html)
    assert (out / "run" / "report" / "statement.pdf").read_bytes()[:4] == b"%PDF"
