"""Numerical tests of downhole compositing.

Expected values are worked out by hand (small examples) or recomputed here from the samples
(the conservation of metal, per hole and domain, on random layouts), never taken from the
code's own output.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from helpers_synthetic import make_collars, make_data, make_intervals, make_surveys, unit
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.drillholes.composite import composite
from orebook.drillholes.desurvey import METHODS, desurvey
from orebook.drillholes.types import Intervals
from orebook.errors import ParameterError

NAN = math.nan


# --------------------------------------------------------------------------------------------
# hand-computed examples

def _example_ab():
    """Hole A: 0–1 @1, 1–2.5 @4, 2.5–3 missing, gap 3–4, 4–5 @2, 5–5.8 @3.
    Hole B: 0–1 @5, a gap 1–7, 7–8 @1. Both vertical (no survey), collars at z = 100."""
    collars = make_collars({"A": (10.0, 20.0, 100.0), "B": (50.0, 60.0, 100.0)})
    assay = make_intervals("assay", [
        ("A", 0.0, 1.0, 1.0), ("A", 1.0, 2.5, 4.0), ("A", 2.5, 3.0, NAN),
        ("A", 4.0, 5.0, 2.0), ("A", 5.0, 5.8, 3.0),
        ("B", 0.0, 1.0, 5.0), ("B", 7.0, 8.0, 1.0),
    ], values=["cu"])
    return make_data(collars, None, [assay])


def _rows(c):
    return list(zip(c.hole.tolist(), np.round(c.from_m, 9).tolist(),
                    np.round(c.to_m, 9).tolist()))


def test_keep_missing_hand_example():
    c = composite(_example_ab(), 2.0, residual="keep", unsampled="missing")
    # A: 0–2, 2–4, 4–5.8 (residual 1.8 kept); B: 0–2 and 6–8 (2–4, 4–6 have no sample)
    assert _rows(c) == [("A", 0.0, 2.0), ("A", 2.0, 4.0), ("A", 4.0, 5.8),
                        ("B", 0.0, 2.0), ("B", 6.0, 8.0)]
    # A 0–2: (1·1 + 4·1)/2; 2–4: only 2–2.5 (@4) sampled; 4–5.8: (2·1 + 3·0.8)/1.8
    np.testing.assert_allclose(c.values["cu"], [2.5, 4.0, 4.4 / 1.8, 5.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(c.coverage["cu"], [2.0, 0.5, 1.8, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_array_equal(c.domain, [""] * 5)
    # vertical holes: mid-points straight below the collars
    np.testing.assert_allclose(c.x, [10, 10, 10, 50, 50])
    np.testing.assert_allclose(c.y, [20, 20, 20, 60, 60])
    np.testing.assert_allclose(c.z, [99.0, 97.0, 100 - 4.9, 99.0, 93.0])
    np.testing.assert_allclose(c.length_m, [2.0, 2.0, 1.8, 2.0, 2.0])


def test_keep_zero_hand_example():
    c = composite(_example_ab(), 2.0, residual="keep", unsampled="zero")
    # every composite is written; gaps and missing values count as grade 0 over the length
    assert _rows(c) == [("A", 0.0, 2.0), ("A", 2.0, 4.0), ("A", 4.0, 5.8),
                        ("B", 0.0, 2.0), ("B", 2.0, 4.0), ("B", 4.0, 6.0), ("B", 6.0, 8.0)]
    np.testing.assert_allclose(c.values["cu"], [2.5, 1.0, 4.4 / 1.8, 2.5, 0.0, 0.0, 0.5],
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c.coverage["cu"], c.length_m, rtol=1e-12)


def test_merge_makes_the_last_composite_longer():
    c = composite(_example_ab(), 2.0, residual="merge", unsampled="missing")
    a = c.hole == "A"
    assert _rows(c)[:2] == [("A", 0.0, 2.0), ("A", 2.0, 5.8)]
    np.testing.assert_allclose(c.length_m[a], [2.0, 3.8])
    # 2–5.8: 0.5 m @4 + 1 m @2 + 0.8 m @3 = 6.4 over 2.3 m sampled
    np.testing.assert_allclose(c.values["cu"][a], [2.5, 6.4 / 2.3], rtol=1e-12)
    np.testing.assert_allclose(c.coverage["cu"][a], [2.0, 2.3], rtol=1e-12)
    z = composite(_example_ab(), 2.0, residual="merge", unsampled="zero")
    np.testing.assert_allclose(z.values["cu"][z.hole == "A"], [2.5, 6.4 / 3.8], rtol=1e-12)
    # B spans exactly 4 × 2 m: nothing to merge
    assert [r for r in _rows(z) if r[0] == "B"] == [("B", 0.0, 2.0), ("B", 2.0, 4.0),
                                                    ("B", 4.0, 6.0), ("B", 6.0, 8.0)]


def test_merge_of_a_run_shorter_than_the_length_keeps_it_whole():
    c = composite(_example_ab(), 10.0, residual="merge", unsampled="missing")
    assert _rows(c) == [("A", 0.0, 5.8), ("B", 0.0, 8.0)]
    # A: 1·1 + 4·1.5 + 2·1 + 3·0.8 over 4.3 m sampled; B: (5 + 1) over 2 m
    np.testing.assert_allclose(c.values["cu"], [(1 + 4 * 1.5 + 2 + 3 * 0.8) / 4.3, 6.0 / 2.0],
                               rtol=1e-12)


@pytest.mark.parametrize(("min_coverage", "kept"), [(0.5, True), (0.9, True), (0.95, False)])
def test_drop_removes_a_short_residual(min_coverage, kept):
    """A's residual is 1.8 m of a 2 m length: kept unless shorter than min_coverage × 2 m."""
    c = composite(_example_ab(), 2.0, residual="drop", min_coverage=min_coverage)
    a = [r for r in _rows(c) if r[0] == "A"]
    assert a == [("A", 0.0, 2.0), ("A", 2.0, 4.0)] + ([("A", 4.0, 5.8)] if kept else [])


def _example_domains(numeric=False):
    """Hole C: ten 1 m samples, 0–1 @1 … 9–10 @10; domains ox 0–3.5, '' 3.5–4, sul 4–7 and
    7–8 (touching, merged), nothing 8–9, ox 9–12 (clipped at the end of sampling)."""
    collars = make_collars({"C": (0.0, 0.0, 0.0)})
    assay = make_intervals("assay", [("C", k, k + 1.0, k + 1.0) for k in range(10)],
                           values=["cu"])
    rows = [("C", 0.0, 3.5, "ox"), ("C", 3.5, 4.0, ""), ("C", 4.0, 7.0, "sul"),
            ("C", 7.0, 8.0, "sul"), ("C", 9.0, 12.0, "ox")]
    if numeric:
        code = {"ox": 1.0, "sul": 2.0, "": NAN}
        dom = make_intervals("zones", [(h, f, t, code[d], 7.0) for h, f, t, d in rows],
                             values=["zone", "other"])
    else:
        dom = make_intervals("lith", rows, categories=["rock"])
    return make_data(collars, None, [assay, dom]), dom


def test_runs_break_at_domain_changes_keep():
    data, dom = _example_domains()
    c = composite(data, 2.0, domains=dom, residual="keep")
    assert _rows(c) == [("C", 0.0, 2.0), ("C", 2.0, 3.5), ("C", 3.5, 4.0), ("C", 4.0, 6.0),
                        ("C", 6.0, 8.0), ("C", 8.0, 9.0), ("C", 9.0, 10.0)]
    assert c.domain.tolist() == ["ox", "ox", "", "sul", "sul", "", "ox"]
    np.testing.assert_allclose(c.values["cu"], [1.5, (3 + 0.5 * 4) / 1.5, 4, 5.5, 7.5, 9, 10],
                               rtol=1e-12)
    assert list(c.values) == ["cu"]  # the domain table is not composited


def test_runs_break_at_domain_changes_merge_and_drop():
    data, dom = _example_domains()
    m = composite(data, 2.0, domains=dom, residual="merge")
    assert _rows(m) == [("C", 0.0, 3.5), ("C", 3.5, 4.0), ("C", 4.0, 6.0), ("C", 6.0, 8.0),
                        ("C", 8.0, 9.0), ("C", 9.0, 10.0)]
    np.testing.assert_allclose(m.values["cu"], [(1 + 2 + 3 + 2) / 3.5, 4, 5.5, 7.5, 9, 10],
                               rtol=1e-12)
    d = composite(data, 2.0, domains=dom, residual="drop", min_coverage=0.5)
    # '' 3.5–4 (0.5 m < 1 m) is dropped; '' 8–9 and ox 9–10 (1 m) are kept
    assert _rows(d) == [("C", 0.0, 2.0), ("C", 2.0, 3.5), ("C", 4.0, 6.0), ("C", 6.0, 8.0),
                        ("C", 8.0, 9.0), ("C", 9.0, 10.0)]


def test_numeric_domain_column():
    data, dom = _example_domains(numeric=True)
    c = composite(data, 2.0, domains=dom, domain_column="zone", tables=[data.intervals[0]])
    assert c.domain.tolist() == ["1", "1", "", "2", "2", "", "1"]
    with pytest.raises(ParameterError):  # two columns: which one?
        composite(data, 2.0, domains=dom, tables=[data.intervals[0]])
    with pytest.raises(ParameterError):
        composite(data, 2.0, domains=dom, domain_column="nope", tables=[data.intervals[0]])


def test_two_tables_with_different_extents():
    """The sampled extent of a hole is the union over tables; each variable has its coverage."""
    collars = make_collars({"D": (0.0, 0.0, 0.0)})
    a = make_intervals("assay", [("D", 1.0, 3.0, 2.0), ("D", 3.0, 4.0, 5.0)], values=["cu"])
    b = make_intervals("dens", [("D", 0.0, 6.0, 2.7)], values=["sg"])
    c = composite(make_data(collars, None, [a, b]), 3.0)
    assert _rows(c) == [("D", 0.0, 3.0), ("D", 3.0, 6.0)]
    np.testing.assert_allclose(c.values["cu"], [2.0, 5.0])
    np.testing.assert_allclose(c.coverage["cu"], [2.0, 1.0])
    np.testing.assert_allclose(c.values["sg"], [2.7, 2.7])
    np.testing.assert_allclose(c.coverage["sg"], [3.0, 3.0])
    only_cu = composite(make_data(collars, None, [a, b]), 3.0, tables=[a])
    assert _rows(only_cu) == [("D", 1.0, 4.0)] and list(only_cu.values) == ["cu"]
    np.testing.assert_allclose(only_cu.values["cu"], [(4 + 5) / 3])


# --------------------------------------------------------------------------------------------
# positions of the mid-points

@pytest.mark.parametrize("method", METHODS)
def test_midpoints_are_desurveyed(method):
    collars = make_collars({"K": (500.0, 600.0, 700.0), "S": (0.0, 0.0, 0.0)})
    surveys = make_surveys([("K", 0.0, 10.0, -80.0), ("K", 20.0, 40.0, -60.0),
                            ("K", 45.0, 80.0, -45.0), ("S", 0.0, 30.0, -60.0)])
    rows = [("K", f, f + 1.7, 1.0 + f) for f in np.arange(0.0, 60.0, 1.7)]
    rows += [("S", f, f + 2.0, 2.0) for f in np.arange(3.0, 40.0, 2.0)]
    data = make_data(collars, surveys, [make_intervals("a", rows, values=["v"])])
    c = composite(data, 3.0, method=method)
    mid = (c.from_m + c.to_m) / 2
    np.testing.assert_allclose(np.c_[c.x, c.y, c.z],
                               desurvey(collars, surveys, c.hole, mid, method=method),
                               rtol=0, atol=1e-9)
    s = c.hole == "S"  # straight hole: collar + mid × unit(30°, −60°)
    np.testing.assert_allclose(np.c_[c.x, c.y, c.z][s], mid[s, None] * unit(30.0, -60.0),
                               atol=1e-9)


# --------------------------------------------------------------------------------------------
# parameters

@pytest.mark.parametrize("kwargs", [
    {"length_m": 0.0}, {"length_m": -2.0}, {"length_m": NAN}, {"length_m": math.inf},
    {"residual": "extend"}, {"residual": ""}, {"unsampled": "ignore"},
    {"min_coverage": -0.1}, {"min_coverage": 1.5},
])
def test_bad_parameters_raise(kwargs):
    kw = {"length_m": 2.0, **kwargs}
    with pytest.raises(ParameterError):
        composite(_example_ab(), kw.pop("length_m"), **kw)


def test_no_numeric_table_is_a_parameter_error():
    data, dom = _example_domains()
    with pytest.raises(ParameterError):
        composite(data, 2.0, tables=[dom])


# --------------------------------------------------------------------------------------------
# conservation of metal on random layouts

HOLES = ["H1", "H10", "H2"]  # already in sorted order ("H10" < "H2")
DOMAIN_CODES = ["ox", "sul", "", "ox"]


@st.composite
def layouts(draw):
    grade = st.one_of(st.just(NAN), st.floats(0.0, 50.0, allow_subnormal=False),
                      st.floats(0.0, 50.0, allow_subnormal=False))
    nh = draw(st.integers(1, 3))
    assay, dens, doms = [], [], []
    for h in HOLES[:nh]:
        pos = draw(st.integers(0, 30))  # tenths of a metre
        for _ in range(draw(st.integers(1, 10))):
            pos += draw(st.sampled_from([0, 0, 0, 1, 5, 17, 30]))
            n = draw(st.integers(1, 40))
            assay.append((h, pos / 10, (pos + n) / 10, draw(grade), draw(grade)))
            pos += n
        if draw(st.booleans()):
            pos = draw(st.integers(0, 50))
            for _ in range(draw(st.integers(1, 3))):
                n = draw(st.integers(1, 80))
                dens.append((h, pos / 10, (pos + n) / 10, draw(grade)))
                pos += n + draw(st.sampled_from([0, 3]))
        pos = draw(st.integers(0, 40))
        for _ in range(draw(st.integers(0, 6))):
            pos += draw(st.sampled_from([0, 0, 2, 9]))
            n = draw(st.integers(1, 60))
            doms.append((h, pos / 10, (pos + n) / 10, draw(st.sampled_from(DOMAIN_CODES))))
            pos += n
    return {
        "assay": assay, "dens": dens, "doms": doms, "holes": HOLES[:nh],
        "use_domains": draw(st.booleans()),
        "length": draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0])),
        "residual": draw(st.sampled_from(["keep", "merge"])),
        "unsampled": draw(st.sampled_from(["missing", "zero"])),
    }


def _domain_at(doms, hole, depth):
    """The domain code at ``depth`` of ``hole``: that of the interval holding it, else ''."""
    for h, f, t, d in doms:
        if h == hole and f <= depth < t and d:
            return d
    return ""


def _expected_metal(samples, doms, use_domains):
    """Σ value × length per (variable, hole, domain), splitting each sample between domains."""
    out = defaultdict(float)
    for var, rows in samples.items():
        for hole, f, t, v in rows:
            if math.isnan(v):
                continue
            rest = t - f
            if use_domains:
                for h, df, dt, code in doms:
                    if h != hole or not code:
                        continue
                    overlap = max(0.0, min(t, dt) - max(f, df))
                    out[(var, hole, code)] += v * overlap
                    rest -= overlap
            out[(var, hole, "")] += v * rest
    return out


@settings(max_examples=80, deadline=None)
@given(layouts())
def test_metal_is_conserved_per_hole_and_domain(case):
    collars = make_collars({h: (float(i), 0.0, 0.0) for i, h in enumerate(case["holes"])})
    assay = make_intervals("assay", case["assay"], values=["cu", "au"])
    tables = [assay]
    if case["dens"]:
        tables.append(make_intervals("dens", case["dens"], values=["sg"]))
    dom = make_intervals("lith", case["doms"], categories=["rock"])
    data = make_data(collars, None, tables + [dom])
    L = case["length"]
    c = composite(data, L, domains=dom if case["use_domains"] else None,
                  residual=case["residual"], unsampled=case["unsampled"])

    samples = {"cu": [r[:4] for r in case["assay"]],
               "au": [r[:3] + (r[4],) for r in case["assay"]],
               "sg": case["dens"]}
    expected = _expected_metal(samples, case["doms"], case["use_domains"])
    got = defaultdict(float)
    for var in samples:
        if not samples[var]:
            assert var not in c.values
            continue
        v, cov = c.values[var], c.coverage[var]
        assert (cov >= 0).all() and (cov <= c.length_m + 1e-9).all()
        for hole, dom_, x in zip(c.hole, c.domain, np.where(np.isnan(v), 0.0, v * cov)):
            got[(var, hole, dom_)] += x
    for key in set(expected) | set(got):
        total = sum(abs(x) for k, x in expected.items() if k[:2] == key[:2])
        assert got[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-9 * total + 1e-12), key

    # composites: in order, not overlapping, each inside one domain run, of length L but for
    # the last of a run (shorter with keep, longer than L but under 2L with merge)
    doms = case["doms"] if case["use_domains"] else []
    for hole in case["holes"]:
        k = np.flatnonzero(c.hole == hole)
        assert (np.diff(c.from_m[k]) > 0).all()
        assert (c.to_m[k][:-1] <= c.from_m[k][1:] + 1e-9).all()
    for hole, f, t, d in zip(c.hole, c.from_m, c.to_m, c.domain):
        assert _domain_at(doms, hole, f + 1e-7) == d
        assert _domain_at(doms, hole, t - 1e-7) == d
        assert _domain_at(doms, hole, (f + t) / 2) == d
    if case["residual"] == "keep":
        assert (c.length_m <= L + 1e-9).all()
    else:
        assert (c.length_m < 2 * L - 1e-9).all()
    # a composite's value is a mean of its samples: within the hole's range of values
    if case["unsampled"] == "missing":
        for var in samples:
            for hole, v in zip(c.hole, c.values.get(var, [])):
                vals = [r[3] for r in samples[var] if r[0] == hole and not math.isnan(r[3])]
                if math.isnan(v):
                    continue
                assert min(vals) - 1e-9 <= v <= max(vals) + 1e-9


@st.composite
def float_layouts(draw):
    """Depths anywhere on the real line (not on a 0.1 m grid): slivers of a micron or less
    between domains, runs a hair shorter than a whole number of lengths."""
    rows, doms = [], []
    for h in ("A", "B"):
        pos = draw(st.floats(0, 5))
        for _ in range(draw(st.integers(1, 8))):
            pos += draw(st.sampled_from([0.0, 0.0, 1e-7, draw(st.floats(0, 3))]))
            n = draw(st.floats(0.01, 4))
            rows.append((h, pos, pos + n, draw(st.floats(0, 50))))
            pos += n
        pos = draw(st.floats(0, 5))
        for _ in range(draw(st.integers(0, 4))):
            n = draw(st.floats(0.01, 6))
            doms.append((h, pos, pos + n, draw(st.sampled_from(["ox", "sul"]))))
            pos += n + draw(st.sampled_from([0.0, 0.0, 3e-7, 0.7]))
    return rows, doms, draw(st.floats(0.3, 7)), draw(st.sampled_from(["keep", "merge"]))


@settings(max_examples=60, deadline=None)
@given(float_layouts())
def test_metal_is_conserved_with_real_valued_depths(case):
    rows, doms, L, residual = case
    collars = make_collars({"A": (0.0, 0.0, 0.0), "B": (1.0, 0.0, 0.0)})
    a = make_intervals("a", rows, values=["cu"])
    d = make_intervals("d", doms, categories=["rock"])
    c = composite(make_data(collars, None, [a, d]), L, domains=d, residual=residual)
    for h in ("A", "B"):
        k = c.hole == h
        expected = sum(v * (t - f) for hh, f, t, v in rows if hh == h)
        got = float(np.nansum(c.values["cu"][k] * c.coverage["cu"][k]))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert (c.to_m[k][:-1] <= c.from_m[k][1:]).all()  # never overlapping


def test_micron_slivers_are_not_lost():
    """Regression: a domain starting 1e-8 m below the top of sampling, and a run 5e-7 m short
    of two whole lengths followed by another domain, lost or double-counted metal."""
    collars = make_collars({"A": (0.0, 0.0, 0.0)})
    a = make_intervals("a", [("A", 0.0, 1.0, 1.0), ("A", 1.0, 4.0, 2.0)], values=["cu"])
    d = make_intervals("d", [("A", 1e-8, 2.0 - 5e-7, "ox"), ("A", 2.0 - 5e-7, 9.0, "sul")],
                       categories=["rock"])
    for residual in ("keep", "merge"):
        c = composite(make_data(collars, None, [a, d]), 1.0, domains=d, residual=residual)
        assert float(np.sum(c.values["cu"] * c.coverage["cu"])) == pytest.approx(7.0, rel=1e-12)
        assert (c.to_m[:-1] <= c.from_m[1:]).all()
        assert c.from_m[0] == 0.0 and c.to_m[-1] == 4.0


def test_tables_in_another_hole_order_give_the_same_composites():
    """Regression: tables sorted with "H2" before "H10" (natural order, not the sorted order of
    the ids) gave no composites at all."""
    collars = make_collars({"H2": (0.0, 0.0, 0.0), "H10": (5.0, 0.0, 0.0)})
    rows = [("H2", 0.0, 1.0, 1.0), ("H2", 1.0, 3.0, 2.0), ("H10", 0.0, 2.0, 7.0),
            ("H10", 2.0, 3.0, 4.0)]
    natural = Intervals("a", np.array([r[0] for r in rows], dtype=object),
                        np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                        {"cu": np.array([r[3] for r in rows])})
    c = composite(make_data(collars, None, [natural]), 1.5)
    assert _rows(c) == [("H10", 0.0, 1.5), ("H10", 1.5, 3.0), ("H2", 0.0, 1.5),
                        ("H2", 1.5, 3.0)]
    np.testing.assert_allclose(c.values["cu"], [7.0, (0.5 * 7 + 4) / 1.5, (1 + 0.5 * 2) / 1.5,
                                                2.0], rtol=1e-12)
    np.testing.assert_allclose(c.x, [5.0, 5.0, 0.0, 0.0])


def test_subset_keeps_rows_together():
    from orebook.drillholes.composite import Composites

    c = Composites(np.array(["A", "A", "B"], dtype=object), np.array([0.0, 2.0, 0.0]),
                   np.array([2.0, 4.0, 2.0]), np.array([1.0, 2.0, 3.0]), np.zeros(3),
                   np.zeros(3), np.array(["ox", "su", "ox"], dtype=object),
                   {"cu": np.array([0.1, 0.2, 0.3])}, {"cu": np.array([2.0, 1.5, 2.0])})
    s = c.subset(c.domain == "ox")
    assert s.hole.tolist() == ["A", "B"] and s.x.tolist() == [1.0, 3.0]
    assert s.values["cu"].tolist() == [0.1, 0.3] and s.coverage["cu"].tolist() == [2.0, 2.0]
