"""Tonnes, metal and ounces by hand; densities and proportions; metal equivalents; the
grade–tonnage table against brute-force counting (random data and GSLIB's exhaustive
``true.dat``, block-averaged)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import OrebookError, ParameterError
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.resources.tonnage import (
    ALL,
    NONE_LABEL,
    BlockTonnage,
    Density,
    block_tonnage,
    contained_metal,
    grade_tonnage,
    group_codes,
    metal_equivalent,
    parse_cutoffs,
    parse_density,
)

DATA = Path(__file__).parent / "tonnage_data"
OZ = 31.1034768  # grams in a troy ounce, typed here from its definition


def tiny_model() -> BlockModel:
    """Four blocks of 10 × 10 × 5 m = 500 m³."""
    grid = BlockGrid((0, 0, 0), (10, 10, 5), (2, 2, 1))
    return BlockModel.from_grid(grid, {
        "au": np.array([2.0, 0.5, np.nan, 4.0]),
        "domain": np.array([1, 1, 2, 2]),
        "cls": np.array(["A", "C1", "C1", ""], dtype=object),
        "dens": np.array([2.7, 2.5, np.nan, 3.0]),
        "prop": np.array([1.0, 0.5, 1.0, 0.25]),
    })


# -- tonnes, metal, ounces by hand -----------------------------------------------------------

def test_tonnes_metal_ounces_by_hand():
    b = block_tonnage(tiny_model(), "au", Density(value=2.7))
    # 500 m³ × 2.7 t/m³ = 1350 t for each estimated block; the NaN block carries nothing
    assert b.tonnes.tolist() == [1350.0, 1350.0, 0.0, 1350.0]
    assert b.unestimated == 1
    # 1350 t × 2 g/t = 2700 g = 2.7 kg = 2700 / 31.1034768 oz = 86.807016 oz
    # (check: 86.807016 × 31.1034768 = 2674.899005 + 25.100994 = 2699.999999 g)
    assert contained_metal(1350.0, 2.0, "g/t", "kg") == pytest.approx(2.7, rel=1e-15)
    assert contained_metal(1350.0, 2.0, "g/t", "g") == pytest.approx(2700.0, rel=1e-15)
    assert contained_metal(1350.0, 2.0, "g/t", "oz") == pytest.approx(2700.0 / OZ, rel=1e-15)
    assert contained_metal(1350.0, 2.0, "g/t", "oz") == pytest.approx(86.807016, abs=1e-6)
    # a base metal: 1350 t × 1.5 % = 20.25 t
    assert contained_metal(1350.0, 1.5, "%", "t") == pytest.approx(20.25, rel=1e-15)
    np.testing.assert_allclose(contained_metal(np.array([1.0, 2.0]), 3.0, "ppm", "g"),
                               [3.0, 6.0], rtol=1e-15)


def test_density_column_and_proportion_by_hand():
    b = block_tonnage(tiny_model(), "au", parse_density("dens"), proportion_column="prop")
    # 500 × 1 × 2.7 = 1350; 500 × 0.5 × 2.5 = 625; NaN grade: 0; 500 × 0.25 × 3.0 = 375
    assert b.tonnes.tolist() == [1350.0, 625.0, 0.0, 375.0]


def test_density_per_domain_by_hand():
    b = block_tonnage(tiny_model(), "au", parse_density("1=2.6, 2=3.1"), domain_column="domain")
    # domain 1: 500 × 2.6 = 1300; domain 2: 500 × 3.1 = 1550 (block 3 unestimated: 0)
    assert b.tonnes == pytest.approx([1300.0, 1300.0, 0.0, 1550.0], rel=1e-15)


def test_density_missing_where_there_is_a_grade_is_an_error():
    m = tiny_model()
    m2 = m.add_columns({"dens2": np.array([2.7, np.nan, 2.7, 2.7])}, {})
    with pytest.raises(ParameterError, match="dens2.*block 1"):
        block_tonnage(m2, "au", Density(column="dens2"))
    # NaN density on the unestimated block is fine
    block_tonnage(m, "au", Density(column="dens"))
    with pytest.raises(ParameterError, match="no density for domain '2'"):
        block_tonnage(m, "au", parse_density("1=2.7"), domain_column="domain")
    with pytest.raises(ParameterError, match="needs the domain column"):
        block_tonnage(m, "au", parse_density("1=2.7"))


@pytest.mark.parametrize("text", ["", "0", "-1", "1=", "=2", "1=2,1=3", "1=x", "nan"])
def test_bad_density_options(text):
    with pytest.raises(ParameterError):
        parse_density(text)


def test_bad_columns():
    m = tiny_model()
    with pytest.raises(ParameterError, match="no column 'cu'"):
        block_tonnage(m, "cu", Density(value=2.7))
    with pytest.raises(ParameterError, match="holds text"):
        block_tonnage(m, "cls", Density(value=2.7))
    bad = m.add_columns({"p": np.array([1.0, 1.2, 1.0, 1.0])}, {})
    with pytest.raises(ParameterError, match="0–1.*1.2"):
        block_tonnage(bad, "au", Density(value=2.7), proportion_column="p")


def test_group_codes_labels():
    codes, labels = group_codes(np.array([2.0, 1.0, np.nan, 1.0, 10.0]))
    assert labels == ["1", "2", "10", NONE_LABEL]
    assert [labels[c] for c in codes] == ["2", "1", NONE_LABEL, "1", "10"]
    codes, labels = group_codes(np.array(["Inferred", "Measured", "Indicated"], dtype=object))
    assert labels == ["Measured", "Indicated", "Inferred"]


# -- metal equivalent -------------------------------------------------------------------------

def test_metal_equivalent_by_hand():
    # Au 2 g/t at 60 $/g, recovery 0.9: 2 × 1e-6 × 60e6 × 0.9 = 108 $/t of ore
    # Cu 0.5 % at 9000 $/t, recovery 0.85: 0.5 × 0.01 × 9000 × 0.85 = 38.25 $/t
    # AuEq = (108 + 38.25) / (1e-6 × 60e6 × 0.9 = 54 $/t per g/t) = 2.708333… g/t
    eq = metal_equivalent({"au": np.array([2.0]), "cu": np.array([0.5])},
                          {"au": "g/t", "cu": "%"}, {"au": 60.0, "cu": 9000.0},
                          {"au": 0.9, "cu": 0.85}, primary="au",
                          price_units={"au": "g", "cu": "t"})
    assert eq[0] == pytest.approx(146.25 / 54.0, rel=1e-14)
    # the same with the gold price per troy ounce: 60 $/g = 60 × 31.1034768 $/oz
    eq2 = metal_equivalent({"au": np.array([2.0]), "cu": np.array([0.5])},
                           {"au": "g/t", "cu": "%"}, {"au": 60.0 * OZ, "cu": 9000.0},
                           {"au": 0.9, "cu": 0.85}, primary="au",
                           price_units={"au": "oz", "cu": "t"})
    assert eq2[0] == pytest.approx(146.25 / 54.0, rel=1e-12)
    # CuEq of the same ore: 146.25 / (0.01 × 9000 × 0.85 = 76.5) = 1.91176… %
    eq3 = metal_equivalent({"au": np.array([2.0]), "cu": np.array([0.5])},
                           {"au": "g/t", "cu": "%"}, {"au": 60e6, "cu": 9000.0},
                           {"au": 0.9, "cu": 0.85}, primary="cu")
    assert eq3[0] == pytest.approx(146.25 / 76.5, rel=1e-14)
    with pytest.raises(ParameterError, match="recovery"):
        metal_equivalent({"au": np.ones(1)}, {"au": "g/t"}, {"au": 1.0}, {"au": 1.5},
                         primary="au")


# -- cut-offs ---------------------------------------------------------------------------------

def test_parse_cutoffs():
    assert parse_cutoffs("0:1:0.1").size == 11
    assert parse_cutoffs("0.3,0.1").tolist() == [0.1, 0.3]
    for bad in ("", "a", "1:0:0.1", "0:1:0", "0:1e9:1e-9"):
        with pytest.raises(ParameterError):
            parse_cutoffs(bad)


# -- grade-tonnage ----------------------------------------------------------------------------

def brute_force(tonnes, grade, cutoffs):
    """One loop over the cut-offs and one over the blocks: the definition, nothing shared."""
    rows = []
    for c in cutoffs:
        t = tg = 0.0
        n = 0
        for ti, gi in zip(tonnes, grade):
            if not math.isnan(gi) and gi >= c:
                t += ti
                tg += ti * gi
                n += 1
        rows.append((n, t, tg / t if t > 0 else math.nan, tg))
    return rows


def test_grade_tonnage_tiny_by_hand():
    b = block_tonnage(tiny_model(), "au", Density(value=2.0))
    # blocks of 1000 t at 2.0, 0.5, (NaN), 4.0 g/t
    t = grade_tonnage(b, [0.0, 1.0, 3.0, 5.0], grade_unit="g/t", metal_unit="g")
    assert t["blocks"].tolist() == [3, 2, 1, 0]
    assert t["tonnes_t"].tolist() == [3000.0, 2000.0, 1000.0, 0.0]
    # (2 + 0.5 + 4) / 3 = 2.1666…, (2 + 4) / 2 = 3, 4
    np.testing.assert_allclose(t["mean_grade_gpt"][:3], [6.5 / 3, 3.0, 4.0], rtol=1e-15)
    assert math.isnan(t["mean_grade_gpt"][3])
    np.testing.assert_allclose(t["metal_g"], [6500.0, 6000.0, 4000.0, 0.0], rtol=1e-15)


def test_grade_tonnage_groups_and_totals():
    m = tiny_model()
    b = block_tonnage(m, "au", Density(value=2.0), domain_column="domain", class_column="cls")
    t = grade_tonnage(b, [0.0, 1.0], by=["domain", "class"])
    keys = list(zip(t["domain"], t["class"]))
    # the NaN block (domain 2, C1) has no grade: its group has no row
    assert keys == [("1", "A"), ("1", "A"), ("1", "C1"), ("1", "C1"), ("2", NONE_LABEL),
                    ("2", NONE_LABEL), (ALL, ALL), (ALL, ALL)]
    assert t["tonnes_t"].tolist() == [1000.0, 1000.0, 1000.0, 0.0, 1000.0, 1000.0,
                                      3000.0, 2000.0]


@settings(max_examples=60, deadline=None)
@given(
    grades=st.lists(st.one_of(st.floats(-1, 20, allow_nan=False), st.just(math.nan),
                              st.sampled_from([0.0, 0.5, 1.0])), min_size=1, max_size=60),
    cutoffs=st.lists(st.one_of(st.floats(-2, 25, allow_nan=False),
                               st.sampled_from([0.0, 0.5, 1.0])), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    by=st.sampled_from([(), ("domain",), ("class",), ("domain", "class")]),
)
def test_grade_tonnage_equals_brute_force(grades, cutoffs, seed, by):
    rng = np.random.default_rng(seed)
    n = len(grades)
    g = np.array(grades)
    tonnes = np.where(np.isfinite(g), rng.uniform(0, 1000, n), 0.0)
    dom = rng.integers(0, 3, n)
    cls = rng.integers(0, 2, n)
    blocks = BlockTonnage(tonnes, g, {"domain": group_codes(dom)[0],
                                      "class": group_codes(cls)[0]},
                          {"domain": group_codes(dom)[1], "class": group_codes(cls)[1]})
    table = grade_tonnage(blocks, cutoffs, by=by, grade_unit="%", metal_unit="t")
    cut = sorted(set(cutoffs))
    groups = [((ALL,) * len(by), np.ones(n, bool))]
    if by:
        labels = {"domain": dom, "class": cls}
        for key in {tuple(str(labels[b][i]) for b in by) for i in range(n)
                    if np.isfinite(g[i])}:
            mask = np.ones(n, bool)
            for b, k in zip(by, key):
                mask &= labels[b].astype(str) == k
            groups.append((key, mask))
    assert len(table) == len(groups) * len(cut)
    for key, mask in groups:
        sel = table
        for b, k in zip(by, key):
            sel = sel[sel[b] == k]
        assert sel["cutoff"].tolist() == cut
        expect = brute_force(tonnes[mask], g[mask], cut)
        assert sel["blocks"].tolist() == [e[0] for e in expect]
        np.testing.assert_allclose(sel["tonnes_t"], [e[1] for e in expect], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(sel["mean_grade_pct"], [e[2] for e in expect], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(sel["metal_t"], [e[3] * 0.01 for e in expect], rtol=1e-9,
                                   atol=1e-9)
        # raising the cut-off never adds tonnage
        assert (np.diff(sel["tonnes_t"].to_numpy()) <= 1e-9).all()


def test_grade_tonnage_of_gslib_true_exact():
    """GSLIB's true.dat (50 × 50 cells of 1 m) averaged into 10 × 10 m blocks: the blocks
    carry their true grades, so the curve must equal counting the true block values."""
    df = pd.read_csv(DATA / "gslib_true.csv")
    v = df["primary"].to_numpy().reshape(50, 50)  # [iy, ix], x fastest
    # block means by plain loops (the truth), 5 × 5 blocks of 10 × 10 cells
    means = np.empty(25)
    for by_ in range(5):
        for bx in range(5):
            s = 0.0
            for iy in range(10):
                for ix in range(10):
                    s += v[by_ * 10 + iy, bx * 10 + ix]
            means[by_ * 5 + bx] = s / 100.0
    # the first block mean as GSLIB's block-averaged file gives it: 3.5257
    assert means[0] == pytest.approx(3.5257, abs=5e-5)
    grid = BlockGrid((0, 0, 0), (10, 10, 1), (5, 5, 1))
    m = BlockModel.from_grid(grid, {"primary": means})
    b = block_tonnage(m, "primary", Density(value=2.5))
    cut = np.linspace(0, 5, 51)
    t = grade_tonnage(b, cut, grade_unit="g/t", metal_unit="g")
    expect = brute_force(np.full(25, 250.0), means, cut)
    assert t["blocks"].tolist() == [e[0] for e in expect]
    np.testing.assert_allclose(t["tonnes_t"], [e[1] for e in expect], rtol=1e-12)
    np.testing.assert_allclose(t["metal_g"], [e[3] for e in expect], rtol=1e-12)
    # point support (the 2,500 cells as 1 × 1 × 1 m blocks) too
    grid1 = BlockGrid((0, 0, 0), (1, 1, 1), (50, 50, 1))
    m1 = BlockModel.from_grid(grid1, {"primary": v.reshape(-1)})
    t1 = grade_tonnage(block_tonnage(m1, "primary", Density(value=1.0)), cut)
    expect1 = brute_force(np.ones(2500), v.reshape(-1), cut)
    assert t1["blocks"].tolist() == [e[0] for e in expect1]
    np.testing.assert_allclose(t1["mean_grade_gpt"], [e[2] for e in expect1], rtol=1e-12)


def test_grade_tonnage_errors():
    b = block_tonnage(tiny_model(), "au", Density(value=2.0))
    with pytest.raises(ParameterError, match="group by 'domain'"):
        grade_tonnage(b, [0.0], by=["domain"])
    with pytest.raises(ParameterError):
        grade_tonnage(b, [])
    with pytest.raises(ParameterError):
        grade_tonnage(b, [np.inf])
    with pytest.raises(OrebookError):
        grade_tonnage(b, [0.0], grade_unit="oz/t")


def test_group_codes_of_whole_numbers():
    codes, labels = group_codes(np.array([5, -3, 5, 1000, -3]))
    assert labels == ["-3", "5", "1000"]
    assert [labels[c] for c in codes] == ["5", "-3", "5", "1000", "-3"]
    # a wide range goes through hashing, with the same result
    codes, labels = group_codes(np.array([5, -3, 5, 10**9]))
    assert [labels[c] for c in codes] == ["5", "-3", "5", "1000000000"]


def test_impossible_densities_and_grades_are_refused():
    m = tiny_model()
    with pytest.raises(ParameterError, match="2700"):
        block_tonnage(m, "au", parse_density("2700"))
    big = m.add_columns({"kgm3": np.array([2700.0, 2500.0, 1.0, 2.0])}, {})
    with pytest.raises(ParameterError, match="t/m³ at block 0"):
        block_tonnage(big, "au", Density(column="kgm3"))
    b = block_tonnage(m, "au", Density(value=2.0))
    with pytest.raises(ParameterError, match="largest possible, 100 %"):
        grade_tonnage(BlockTonnage(b.tonnes, b.grade * 100), [0.0], grade_unit="%")


def test_class_codes_instead_of_a_column():
    m = tiny_model()
    b = block_tonnage(m, "au", Density(value=2.0),
                      classes=(np.array([0, 1, -1, 1], dtype=np.int8), ("A", "C1")))
    assert b.labels["class"] == ["A", "C1", "unestimated"]
    t = grade_tonnage(b, [0.0], by=["class"], totals=False)
    assert t["class"].tolist() == ["A", "C1"]
    assert t["tonnes_t"].tolist() == [1000.0, 2000.0]
    with pytest.raises(ParameterError, match="not both"):
        block_tonnage(m, "au", Density(value=2.0), class_column="cls",
                      classes=(np.zeros(4, dtype=int), ("A",)))
