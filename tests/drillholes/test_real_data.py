"""Real drill-hole data: Copper Creek, Tom zone (Macmillan Pass) and Forrestania.

The subsets in ``tests/data/*_subset/`` are cut from the public sets (see their README.md and
``tests/data/make_subsets.py``) so that every kind of problem in the real data is present. Every
expectation here is computed again from the files with pandas and plain Python, without orebook,
and compared with what ``load_drillholes`` reports: same file, row (1-based line, header = 1),
column, hole, severity and code, no more and no fewer problems. The full Copper Creek set is read
from the copy bundled with the package.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orebook.drillholes import Trajectories, composite, load_drillholes

DATA = Path(__file__).resolve().parents[1] / "data"
TOL = 1e-6  # m, the tolerance orebook documents for touching intervals
MAX_DOGLEG = 10.0  # °/30 m, the documented default threshold
NEGATIVE_CHECK_MIN = 20  # documented: the implausible-negative check needs 20 positive values
NEGATIVE_CHECK_FACTOR = 10.0  # documented: more than 10 x the 99th percentile of the positives
MISSING_CODES = (-99.0, -999.0, -9999.0, -99999.0)  # documented "no value" codes
HOLE, FROM, TO, AT, AZ, DIP = "hole_ID", "depth_from", "depth_to", "depth", "azimuth", "dip"

SETS = {
    "copper_creek": (DATA / "copper_creek_subset", ("assay.csv",)),
    "tom_zone": (DATA / "tom_zone_subset", ("assay.csv", "interpretation.csv")),
    "forrestania": (DATA / "forrestania_subset", ("assay.csv",)),
}

# Codes whose row is left out of the data (errors on a row, and the repeats that are ignored).
ROW_DROPPED = {"empty_row", "too_many_fields", "missing_hole_id", "missing_coordinates",
               "duplicate_collar", "missing_value", "negative_depth", "azimuth_out_of_range",
               "dip_out_of_range", "no_collar", "duplicate_survey", "from_not_above_to",
               "duplicate_interval", "overlap"}
# Errors on one value of a row: the value is treated as missing, the row stays in use.
VALUE_ERRORS = {"negative_value", "absurd_value", "not_a_number"}


# --------------------------------------------------------------------------- independent reading

@cache
def read(path: Path) -> pd.DataFrame:
    """The file with pandas, plus ``line``: the 1-based line of each record (header = 1)."""
    df = pd.read_csv(path, encoding="utf-8-sig", dtype={HOLE: str})
    text = path.read_bytes().decode("utf-8-sig")
    # one record per physical line and no blank line, so record i is on line i + 2
    assert len(text.splitlines()) == len(df) + 1
    assert all(line.strip() for line in text.splitlines())
    return df.assign(line=np.arange(2, len(df) + 2))


def value_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns
            if c not in (HOLE, FROM, TO, "line") and not c.startswith("Unnamed")
            and pd.api.types.is_numeric_dtype(df[c])]


def _dogleg_deg(dip1, az1, dip2, az2):
    """Angle between two survey orientations, by the classical dog-leg formula in inclination
    (from vertical) and azimuth: cos β = cos(I2 − I1) − sin I1 sin I2 (1 − cos(A2 − A1))."""
    i1, i2 = np.radians(90.0 + dip1), np.radians(90.0 + dip2)
    a = np.radians(az2 - az1)
    cosb = np.cos(i2 - i1) - np.sin(i1) * np.sin(i2) * (1.0 - np.cos(a))
    return np.degrees(np.arccos(np.clip(cosb, -1.0, 1.0)))


def expected(collar_path: Path, survey_path: Path, interval_paths: tuple[Path, ...]):
    """Every problem orebook should report, and the lines it should use, worked out by hand.

    Returns (problems, used, below): ``problems`` a set of (file, row, column, hole, severity,
    code) with row None for a whole-column remark; ``used`` file → set of lines used; ``below``
    file → {column: number of below-detection values}.
    """
    problems: set[tuple] = set()
    used: dict[str, set[int]] = {}
    below: dict[str, dict[str, int]] = {}

    def add(path, row, column, hole, severity, code):
        problems.add((str(path), None if row is None else int(row), column, hole, severity,
                      code))

    # collars: a repeated hole id keeps the first line
    c = read(collar_path)
    dup = c.duplicated(HOLE)
    for r in c[dup].itertuples():
        first = c[(c[HOLE] == r.hole_ID) & ~dup].iloc[0]
        same = (first.x, first.y, first.z) == (r.x, r.y, r.z)
        add(collar_path, r.line, HOLE, r.hole_ID, "warning" if same else "error",
            "duplicate_collar")
    c = c[~dup]
    used[str(collar_path)] = set(c.line)
    collared = set(c[HOLE])

    # surveys
    s = read(survey_path)
    for r in s[~s[HOLE].isin(collared)].itertuples():
        add(survey_path, r.line, HOLE, r.hole_ID, "error", "no_collar")
    s = s[s[HOLE].isin(collared)].sort_values([HOLE, AT, "line"])
    dup = s.duplicated([HOLE, AT])
    for r in s[dup].itertuples():
        first = s[(s[HOLE] == r.hole_ID) & (s[AT] == r.depth) & ~dup].iloc[0]
        same = first[AZ] % 360 == r.azimuth % 360 and first[DIP] == r.dip
        add(survey_path, r.line, AT, r.hole_ID, "warning" if same else "error",
            "duplicate_survey")
    s = s[~dup]
    used[str(survey_path)] = set(s.line)
    top = s.groupby(HOLE).head(1)
    for r in top[top[AT] > 0].itertuples():
        add(survey_path, r.line, AT, r.hole_ID, "warning", "survey_starts_below_collar")
    prev = s.groupby(HOLE).shift(1)
    has_prev = prev[AT].notna()
    beta = _dogleg_deg(prev[DIP], prev[AZ], s[DIP], s[AZ])
    dls = beta * 30.0 / (s[AT] - prev[AT])
    for r in s[has_prev & (dls > MAX_DOGLEG)].itertuples():
        add(survey_path, r.line, AZ, r.hole_ID, "warning", "dogleg")

    # interval tables
    with_data: set[str] = set()
    for path in interval_paths:
        t = read(path)
        for r in t[~t[HOLE].isin(collared)].itertuples():
            add(path, r.line, HOLE, r.hole_ID, "error", "no_collar")
        t = t[t[HOLE].isin(collared)]
        for r in t[t[FROM] >= t[TO]].itertuples():
            add(path, r.line, TO, r.hole_ID, "error", "from_not_above_to")
        t = t[t[FROM] < t[TO]]
        # negatives too large to be a detection limit (judged on the rows read so far)
        negative = {}
        for col in value_columns(t):
            v = t[col]
            positive = v[v > 0]
            implausible = pd.Series(False, index=v.index)
            if len(positive) >= NEGATIVE_CHECK_MIN:
                implausible = v < -NEGATIVE_CHECK_FACTOR * positive.quantile(0.99)
                for r in t[implausible].itertuples():
                    add(path, r.line, col, getattr(r, HOLE), "error", "negative_value")
            negative[col] = (v < 0) & ~v.isin(MISSING_CODES) & ~implausible
        # overlaps, exact duplicates and gaps, hole by hole down the hole: the first interval
        # (by from-depth, then line) wins; a later one starting above its end is not used
        kept = set()
        for hole, g in t.sort_values([HOLE, FROM, "line"]).groupby(HOLE, sort=False):
            last = None
            for line, frm, to in zip(g["line"], g[FROM], g[TO]):
                if last is not None and frm < last[2] - TOL:
                    same = frm == last[1] and to == last[2]
                    add(path, line, FROM, hole, "error",
                        "duplicate_interval" if same else "overlap")
                    continue
                if last is not None and frm > last[2] + TOL:
                    add(path, line, FROM, hole, "warning", "gap")
                last = (line, frm, to)
                kept.add(line)
                with_data.add(hole)
        used[str(path)] = kept
        # below detection and no-value codes are counted per column over the rows used
        below[str(path)] = {}
        in_use = t["line"].isin(kept)
        for col in value_columns(t):
            n = int((negative[col] & in_use).sum())
            if n:
                below[str(path)][col] = n
                add(path, None, col, "", "warning", "below_detection")
            if (t[col].isin(MISSING_CODES) & in_use).any():
                add(path, None, col, "", "warning", "missing_value_code")

    with_survey = set(s[HOLE])
    for r in c.itertuples():
        if interval_paths and r.hole_ID not in with_data:
            add(collar_path, r.line, HOLE, r.hole_ID, "warning", "collar_without_data")
        if r.hole_ID not in with_survey:
            add(collar_path, r.line, HOLE, r.hole_ID, "warning", "no_survey")
    return problems, used, below


def reported(report) -> tuple[list[tuple], dict[str, dict[str, int]]]:
    """The report as (file, row, column, hole, severity, code) tuples, and the per-column counts
    of below-detection values read from its messages."""
    df = report.to_frame()
    rows = [(f, None if pd.isna(r) else int(r), c, h, s, k)
            for f, r, c, h, s, k in df[["file", "row", "column", "hole", "severity", "code"]]
            .itertuples(index=False)]
    counts: dict[str, dict[str, int]] = {}
    for r in df[df["code"] == "below_detection"].itertuples():
        counts.setdefault(r.file, {})[r.column] = int(r.message.split()[0].replace(",", ""))
    return rows, counts


@cache
def loaded(name: str):
    folder, intervals = SETS[name]
    paths = (folder / "collar.csv", folder / "survey.csv", tuple(folder / f for f in intervals))
    data, report = load_drillholes(paths[0], paths[1], list(paths[2]))
    return paths, data, report


@cache
def expected_for(name: str):
    return expected(*loaded(name)[0])


def used_lines(data) -> dict[str, set[int]]:
    out = {data.collars.file: set(data.collars.line.tolist()),
           data.surveys.file: set(data.surveys.line.tolist())}
    for t in data.intervals:
        out[t.file] = set(t.line.tolist())
    return out


def line_of(path: Path, prefix: str, nth: int = 1) -> int:
    """The line number of the nth line of ``path`` that starts with ``prefix``."""
    hits = [i for i, ln in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1)
            if ln.startswith(prefix)]
    return hits[nth - 1]


# --------------------------------------------------------------------------- the subsets

# Which kinds of problem each subset must hold (so that a re-cut cannot lose one unnoticed).
KINDS = {
    "copper_creek": {("assay.csv", "duplicate_interval"), ("assay.csv", "overlap"),
                     ("assay.csv", "gap"), ("assay.csv", "below_detection"),
                     ("survey.csv", "survey_starts_below_collar"), ("survey.csv", "dogleg"),
                     ("collar.csv", "collar_without_data")},
    "tom_zone": {("assay.csv", "gap"), ("interpretation.csv", "gap"),
                 ("survey.csv", "survey_starts_below_collar"), ("survey.csv", "dogleg"),
                 ("collar.csv", "collar_without_data")},
    "forrestania": {("assay.csv", "overlap"), ("assay.csv", "gap"),
                    ("assay.csv", "below_detection"), ("survey.csv", "duplicate_survey"),
                    ("survey.csv", "survey_starts_below_collar"),
                    ("collar.csv", "collar_without_data"), ("collar.csv", "no_survey")},
}


@pytest.mark.parametrize("name", list(SETS))
def test_subset_holds_every_kind_of_problem(name):
    problems, _, _ = expected_for(name)
    kinds = {(Path(p[0]).name, p[5]) for p in problems}
    assert KINDS[name] <= kinds


@pytest.mark.parametrize("name", list(SETS))
def test_every_problem_reported_with_file_row_column_hole(name):
    _, _, report = loaded(name)
    want, _, _ = expected_for(name)
    got, _ = reported(report)
    assert len(got) == len(set(got)), "a problem is reported twice"
    assert set(got) - want == set(), "reported, but not a problem in the file"
    assert want - set(got) == set(), "a problem in the file that is not reported"


@pytest.mark.parametrize("name", list(SETS))
def test_below_detection_counted_flagged_and_replaced(name):
    paths, data, report = loaded(name)
    _, _, want = expected_for(name)
    _, counts = reported(report)
    assert {f: c for f, c in counts.items() if c} == {f: c for f, c in want.items() if c}
    # each negative value in a used row is flagged and replaced by half its magnitude
    for t in data.intervals:
        raw = read(Path(t.file)).set_index("line")
        for col in t.values:
            v = raw.loc[t.line, col].to_numpy(float)
            flagged = t.below[col]
            negative = (v < 0) & ~np.isin(v, MISSING_CODES) & ~np.isnan(t.values[col])
            np.testing.assert_array_equal(flagged, negative)
            np.testing.assert_allclose(t.values[col][flagged], np.abs(v[flagged]) / 2)
            np.testing.assert_array_equal(t.values[col][~flagged & (v >= 0)],
                                          v[~flagged & (v >= 0)])
    if name != "tom_zone":  # the Tom zone assays have no negative value
        assert sum(want[str(paths[2][0])].values()) > 0


@pytest.mark.parametrize("name", list(SETS))
def test_every_row_read_is_used_or_reported(name):
    paths, data, report = loaded(name)
    _, want_used, _ = expected_for(name)
    got_used = used_lines(data)
    problems = report.to_frame()
    for path in [paths[0], paths[1], *paths[2]]:
        f = str(path)
        n_lines = len(read(path))
        mine = problems[problems["file"] == f]
        dropped = set(mine.loc[mine["code"].isin(ROW_DROPPED), "row"].astype(int))
        errors_on_used = set(mine.loc[(mine["severity"] == "error")
                                      & ~mine["code"].isin(ROW_DROPPED), "code"])
        assert report.rows_read[f] == n_lines
        assert report.rows_used[f] == len(got_used[f])
        assert got_used[f] == want_used[f]
        assert got_used[f].isdisjoint(dropped)
        assert errors_on_used <= VALUE_ERRORS
        assert report.rows_used[f] + len(dropped) == report.rows_read[f]
        assert got_used[f] | dropped == set(range(2, n_lines + 2))


# Problems found by reading the files by eye: (set, file, line prefix, nth such line, column,
# hole, severity, code).
KNOWN = [
    ("copper_creek", "assay.csv", "CA28_PLUS_8,426.72,435.87,", 1, FROM, "CA28_PLUS_8", "error",
     "overlap"),
    ("copper_creek", "assay.csv", "NE-6,534,536,", 2, FROM, "NE-6", "error",
     "duplicate_interval"),
    ("copper_creek", "assay.csv", "NE-6,457.2,458,", 2, FROM, "NE-6", "error",
     "duplicate_interval"),
    ("copper_creek", "survey.csv", "A-11,441.96,360,-90", 1, AT, "A-11", "warning",
     "survey_starts_below_collar"),
    ("copper_creek", "survey.csv", "SB-2,6.1,1,-40", 1, AZ, "SB-2", "warning", "dogleg"),
    ("copper_creek", "survey.csv", "AH-3,206.35,214,-62", 1, AZ, "AH-3", "warning", "dogleg"),
    ("copper_creek", "survey.csv", "AH-3,221.59,232,-62", 1, AZ, "AH-3", "warning", "dogleg"),
    ("copper_creek", "collar.csv", "AR-1,", 1, HOLE, "AR-1", "warning", "collar_without_data"),
    ("tom_zone", "assay.csv", "TU009,59.44,59.89,", 1, FROM, "TU009", "warning", "gap"),
    ("tom_zone", "survey.csv", "TRC20-002,10.95,", 1, AT, "TRC20-002", "warning",
     "survey_starts_below_collar"),
    ("tom_zone", "collar.csv", "TS015,", 1, HOLE, "TS015", "warning", "collar_without_data"),
    ("forrestania", "assay.csv", "NH12-01,11,12,", 1, FROM, "NH12-01", "error", "overlap"),
    ("forrestania", "assay.csv", "NH12-02,3,4,", 1, FROM, "NH12-02", "error", "overlap"),
    ("forrestania", "survey.csv", "ZK101-1,350.10001,-75,225", 2, AT, "ZK101-1", "warning",
     "duplicate_survey"),
    ("forrestania", "survey.csv", "ZK101-1,350.10001,-75,225", 1, AT, "ZK101-1", "warning",
     "survey_starts_below_collar"),
    ("forrestania", "collar.csv", "BD053,", 1, HOLE, "BD053", "warning", "no_survey"),
    ("forrestania", "collar.csv", "BD053,", 1, HOLE, "BD053", "warning", "collar_without_data"),
]


@pytest.mark.parametrize("case", KNOWN, ids=lambda k: f"{k[0]}-{k[7]}-{k[5]}")
def test_known_problem_at_its_line(case):
    name, file, prefix, nth, column, hole, severity, code = case
    _, _, report = loaded(name)
    path = SETS[name][0] / file
    got, _ = reported(report)
    assert (str(path), line_of(path, prefix, nth), column, hole, severity, code) in got


def test_overlapping_rows_are_left_out_and_first_kept():
    _, data, _ = loaded("forrestania")
    a = data.intervals[0]
    path = SETS["forrestania"][0] / "assay.csv"
    for prefix, other in [("NH12-01,11,12,", "NH12-01,8,12,"), ("NH12-02,3,4,", "NH12-02,0,4,")]:
        assert line_of(path, prefix) not in a.line
        assert line_of(path, other) in a.line


# --------------------------------------------------------------------------- upward holes

UPWARD = {"copper_creek": ["EH1", "EH5", "EH10", "UG7"], "tom_zone": ["TU009", "TU030"]}


@pytest.mark.parametrize("name", list(UPWARD))
def test_upward_holes_keep_their_positive_dips_and_rise(name):
    paths, data, report = loaded(name)
    s = read(paths[1])
    up = s[s[DIP] > 0]
    assert set(UPWARD[name]) <= set(up[HOLE])
    # most dips are negative: the file is read as negative-down and nothing is flipped
    assert not data.dips_positive_down
    assert "dips_positive_down" not in set(report.to_frame()["code"])
    sv = data.surveys
    by_line = dict(zip(sv.line.tolist(), sv.dip_deg.tolist()))
    for r in up.itertuples():
        assert by_line[r.line] == r.dip
    # a hole whose only surveys point up ends higher than its collar
    only_up = [h for h, g in s.groupby(HOLE) if (g[DIP] > 0).all() and h in UPWARD[name]]
    assert only_up
    traj = Trajectories.build(data.collars, data.surveys)
    z0 = dict(zip(data.collars.hole.tolist(), data.collars.z.tolist()))
    end = np.array([s.loc[s[HOLE] == h, AT].max() + 10.0 for h in only_up])
    z = traj.locate(np.array(only_up, dtype=object), end)[:, 2]
    assert (z > np.array([z0[h] for h in only_up])).all()


def test_straight_upward_hole_exact_position():
    # UG7: one survey, azimuth 45°, dip +45°: a straight line up from the collar
    paths, data, _ = loaded("copper_creek")
    c = read(paths[0]).set_index(HOLE).loc["UG7"]
    s = read(paths[1])
    r = s[s[HOLE] == "UG7"].iloc[0]
    assert (r[AZ], r[DIP]) == (45, 45)
    d = np.array([0.0, 12.0, 30.48, 61.0])
    xyz = Trajectories.build(data.collars, data.surveys).locate(
        np.array(["UG7"] * len(d), dtype=object), d)
    h = np.sqrt(0.5)  # cos 45° = sin 45°
    np.testing.assert_allclose(xyz[:, 0], c.x + d * h * h, atol=1e-9)
    np.testing.assert_allclose(xyz[:, 1], c.y + d * h * h, atol=1e-9)
    np.testing.assert_allclose(xyz[:, 2], c.z + d * h, atol=1e-9)


# --------------------------------------------------------------------------- formats

def test_the_three_layouts_read_alike():
    """BOM + CRLF with depth,azimuth,dip (Copper Creek); no BOM with depth,dip,azimuth (Tom zone,
    Forrestania); LF, an unnamed index column and quoted commas (Tom zone interpretation)."""
    cc, tz, fo = (SETS[n][0] for n in ("copper_creek", "tom_zone", "forrestania"))
    assert (cc / "survey.csv").read_bytes().startswith(b"\xef\xbb\xbfhole_ID,depth,azimuth,dip\r\n")
    assert (tz / "survey.csv").read_bytes().startswith(b"hole_ID,depth,dip,azimuth\r\n")
    assert (fo / "survey.csv").read_bytes().startswith(b"hole_ID,depth,dip,azimuth\r\n")
    interp = (tz / "interpretation.csv").read_bytes()
    assert interp.startswith(b",hole_ID,") and b"\r\n" not in interp and b'"' in interp
    for name in SETS:
        paths, data, report = loaded(name)
        assert report.usable
        # every used survey has the azimuth and dip of its own line, whatever the column order
        s = read(paths[1]).set_index("line").loc[data.surveys.line]
        np.testing.assert_array_equal(data.surveys.hole, s[HOLE].to_numpy(object))
        np.testing.assert_array_equal(data.surveys.depth_m, s[AT].to_numpy(float))
        np.testing.assert_array_equal(data.surveys.azimuth_deg, s[AZ].to_numpy(float) % 360)
        np.testing.assert_array_equal(data.surveys.dip_deg, s[DIP].to_numpy(float))
        c = read(paths[0]).set_index("line").loc[data.collars.line]
        np.testing.assert_array_equal(data.collars.hole, c[HOLE].to_numpy(object))
        for axis in "xyz":
            np.testing.assert_array_equal(getattr(data.collars, axis), c[axis].to_numpy(float))
        for t, path in zip(data.intervals, paths[2]):
            raw = read(path).set_index("line").loc[t.line]
            np.testing.assert_array_equal(t.from_m, raw[FROM].to_numpy(float))
            np.testing.assert_array_equal(t.to_m, raw[TO].to_numpy(float))
            # numeric columns are values; a column with no number at all is read as text
            numeric = [c for c in value_columns(raw) if raw[c].notna().any()]
            assert set(t.values) == set(numeric)
    # the interpretation codes are text, with the quoted descriptions intact
    _, data, _ = loaded("tom_zone")
    interp_t = data.intervals[1]
    raw = read(tz / "interpretation.csv").set_index("line").loc[interp_t.line]
    np.testing.assert_array_equal(interp_t.categories["code"], raw["code"].to_numpy(object))
    np.testing.assert_array_equal(interp_t.categories["code_description"],
                                  raw["code_description"].to_numpy(object))
    assert any("," in d for d in interp_t.categories["code_description"])


# --------------------------------------------------------------------------- Tom zone domains

def _domain_runs(interp: pd.DataFrame, hole: str) -> list[tuple[float, float, str]]:
    g = interp[interp[HOLE] == hole].sort_values(FROM)
    return list(zip(g[FROM], g[TO], g["code"]))


def _domain_of(runs, frm: float, to: float) -> set[str]:
    """The domain codes met between frm and to ("" where no interpretation interval lies)."""
    codes, covered = set(), 0.0
    for s, e, d in runs:
        o = min(e, to) - max(s, frm)
        if o > TOL:
            codes.add(d)
            covered += o
    if to - frm - covered > TOL:
        codes.add("")
    return codes


@pytest.fixture(scope="module")
def tom_composites():
    paths, data, _ = loaded("tom_zone")
    assays, interp = data.intervals
    assert assays.name == "assay" and interp.name == "interpretation"
    comp = composite(data, 2.0, tables=[assays], domains=interp, domain_column="code")
    return paths, comp


def test_tom_composites_never_cross_a_domain_boundary(tom_composites):
    paths, comp = tom_composites
    interp = read(paths[2][1])
    df = comp.to_frame()
    assert len(df) > 50
    assert set(df["domain"]) >= {"", "TSBF", "TSPF", "TSFM"}
    for hole, g in df.groupby("hole"):
        runs = _domain_runs(interp, hole)
        for frm, to, dom in zip(g["from"], g["to"], g["domain"]):
            assert _domain_of(runs, frm, to) == {dom}, (hole, frm, to)
            assert to - frm <= 2.0 + TOL


@pytest.mark.parametrize("hole", ["TRC20-002", "TS17-001", "TU009"])
def test_tom_metal_balance_per_domain(tom_composites, hole):
    paths, comp = tom_composites
    a = read(paths[2][0])
    a = a[a[HOLE] == hole]
    runs = _domain_runs(read(paths[2][1]), hole)
    # independent: split each assay interval between the interpretation intervals it meets
    want: dict[tuple[str, str], float] = {}
    for r in a.itertuples():
        frm, to = getattr(r, FROM), getattr(r, TO)
        pieces = [(max(s, frm), min(e, to), d) for s, e, d in runs if min(e, to) - max(s, frm) > 0]
        inside = sum(e - s for s, e, _ in pieces)
        pieces.append((0.0, to - frm - inside, ""))
        for s, e, d in pieces:
            for col in ("Ag_ppm", "Pb_pct", "Zn_pct"):
                v = getattr(r, col)
                if not np.isnan(v):
                    want[(d, col)] = want.get((d, col), 0.0) + v * (e - s)
    sel = comp.hole == hole
    got: dict[tuple[str, str], float] = {}
    for col in ("Ag_ppm", "Pb_pct", "Zn_pct"):
        metal = np.nan_to_num(comp.values[col][sel] * comp.coverage[col][sel])
        for d in set(comp.domain[sel]):
            got[(d, col)] = float(metal[comp.domain[sel] == d].sum())
    keys = {k for k, v in want.items() if abs(v) > 1e-12} | {k for k, v in got.items()
                                                              if abs(v) > 1e-12}
    assert len({d for d, _ in keys}) >= 2
    for k in keys:
        assert got.get(k, 0.0) == pytest.approx(want.get(k, 0.0), rel=1e-9, abs=1e-9), k


# --------------------------------------------------------------------------- full Copper Creek

@pytest.fixture(scope="module")
def full_copper_creek():
    root = importlib.resources.files("orebook") / "data/sample/copper_creek"
    paths = tuple(Path(str(root / f)) for f in ("collar.csv", "survey.csv", "assay.csv"))
    data, report = load_drillholes(paths[0], paths[1], [paths[2]])
    return paths, data, report


def test_full_copper_creek_reads_and_validates(full_copper_creek):
    paths, data, report = full_copper_creek
    collar, survey, assay = (str(p) for p in paths)
    assert report.usable and not report.fatal
    assert report.rows_read == {collar: 545, survey: 5822, assay: 67321}
    a = read(paths[2])
    assert len(a) == 67321
    df = report.to_frame()
    n_dup = int((df["code"] == "duplicate_interval").sum())
    n_ovl = int((df["code"] == "overlap").sum())
    assert (n_dup, n_ovl) == (141, 14)
    # pandas: exact repeats of (hole, from, to)
    assert n_dup == int(a.duplicated([HOLE, FROM, TO]).sum())
    # every problem, row by row, as worked out without orebook
    want, want_used, want_below = expected(*paths[:2], (paths[2],))
    assert n_ovl == sum(p[5] == "overlap" for p in want)
    assert report.rows_used[assay] == 67321 - n_dup - n_ovl
    got, counts = reported(report)
    assert set(got) == want and len(got) == len(want)
    assert counts == {f: c for f, c in want_below.items() if c}
    assert used_lines(data) == want_used


def test_full_copper_creek_composites_keep_the_metal(full_copper_creek):
    paths, data, report = full_copper_creek
    assert "negative_value" not in set(report.to_frame()["code"])
    comp = composite(data, 2.0)
    assert len(comp) > 20000
    assert np.isfinite(comp.x).all() and np.isfinite(comp.z).all()
    # Σ grade × length over the used assays (below-detection values at half their magnitude)
    a = read(paths[2]).set_index("line").loc[data.intervals[0].line]
    length = a[TO] - a[FROM]
    for col in ("Cu_pct", "Mo_pct", "Ag_ppm", "Au_ppm"):
        v = a[col].where(a[col] >= 0, a[col].abs() / 2)
        want = float((v * length).sum())
        got = float(np.nansum(comp.values[col] * comp.coverage[col]))
        assert got == pytest.approx(want, rel=1e-9)
