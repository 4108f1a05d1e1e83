"""The classical methods on cases worked out by hand; the arithmetic is in each test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orebook.errors import InputError, ParameterError
from orebook.resources.classical import (
    Block,
    Conditions,
    Intercepts,
    SectionAreas,
    Triangles,
    apply_conditions,
    clip_halfplane,
    geological_blocks,
    influence_polygons,
    is_simple,
    ore_intercepts,
    parallel_sections,
    points_in_polygon,
    polygon_area,
    polygons_method,
    section_volume,
    summary_table,
    triangles_method,
)

RECT = np.array([[0.0, 0.0], [60.0, 0.0], [60.0, 30.0], [0.0, 30.0]])  # 60 m × 30 m = 1800 m²


def three_holes(block=None):
    # thickness 2, 4, 3 m; grade 1, 2, 1.5 %
    return Intercepts.build(["H1", "H2", "H3"], [10, 30, 50], [15, 15, 15], [2, 4, 3],
                            [1.0, 2.0, 1.5], ["C1"] * 3, block)


# ---------------------------------------------------------------------------- geometry
def test_shoelace_both_orientations_and_at_utm_coordinates():
    assert polygon_area(RECT) == 1800.0
    assert polygon_area(RECT[::-1]) == -1800.0
    # a right triangle with legs 3 and 4 far from the origin: area 6 exactly
    far = np.array([[500000.0, 7000000.0], [500003.0, 7000000.0], [500000.0, 7000004.0]])
    assert polygon_area(far) == 6.0


def test_clip_halfplane_cuts_a_square_in_half_and_a_concave_u_in_two():
    sq = np.array([[0.0, 0], [2, 0], [2, 2], [0, 2]])
    half = clip_halfplane(sq, np.array([1.0, 0.0]), 1.0)       # x ≤ 1
    assert abs(polygon_area(half)) == 2.0
    # a U: 3 wide, 3 high, a 1 × 2 notch from the top in the middle → area 9 − 2 = 7
    u = np.array([[0.0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]])
    assert polygon_area(u) == 7.0
    # keep y ≥ 2 (−y ≤ −2): the two arms above y = 2, each 1 × 1 → 2 m²
    arms = clip_halfplane(u, np.array([0.0, -1.0]), -2.0)
    assert abs(polygon_area(arms)) == pytest.approx(2.0)


def test_is_simple_and_points_in_polygon():
    assert is_simple(RECT)
    assert not is_simple(np.array([[0.0, 0], [1, 1], [1, 0], [0, 1]]))   # a bow tie
    assert not is_simple(np.array([[0.0, 0], [1, 0], [2, 0]]))           # no area
    assert not is_simple(np.array([[0.0, 0], [2, 0], [2, 2], [1, 0.0]]))  # touches an edge
    inside = points_in_polygon(np.array([[1, 1], [59, 29], [61, 1], [-1, 5]]), RECT)
    assert inside.tolist() == [True, True, False, False]


# ---------------------------------------------------------------------------- blocks
def test_geological_block_rectangle_with_three_holes():
    blocks = [Block("B1", "C1", RECT, 2.5)]
    res = geological_blocks(three_holes(), blocks, grade_unit="%", metal_unit="t")
    row = res.elements.iloc[0]
    # S = 1800 m²; m̄ = (2 + 4 + 3) / 3 = 3 m; V = 5400 m³; Q = 5400 × 2.5 = 13 500 t
    # c = (1·2 + 2·4 + 1.5·3) / (2 + 4 + 3) = 14.5 / 9 %; P = 13 500 × 14.5/9 / 100 = 217.5 t
    assert row["area_m2"] == 1800.0
    assert row["thickness_m"] == 3.0
    assert row["volume_m3"] == 5400.0
    assert row["ore_t"] == 13500.0
    assert row["grade"] == pytest.approx(14.5 / 9, rel=1e-15)
    assert row["metal"] == pytest.approx(217.5, rel=1e-14)


def test_blocks_default_density_and_kilograms():
    # g/t grades, metal in kg: 13 500 t × 14.5/9 g/t = 21 750 g = 21.75 kg, density 2.5 given
    res = geological_blocks(three_holes(), [Block("B1", "C1", RECT)], density_tpm3=2.5,
                            grade_unit="g/t", metal_unit="kg")
    assert res.elements["metal"].iloc[0] == pytest.approx(21.75, rel=1e-14)
    with pytest.raises(ParameterError, match="density"):
        geological_blocks(three_holes(), [Block("B1", "C1", RECT)])


def test_block_without_holes_names_its_row():
    other = Block("B2", "C2", RECT + [100.0, 0.0], 2.5, line=7, file="outlines.csv")
    with pytest.raises(InputError) as e:
        geological_blocks(three_holes(), [Block("B1", "C1", RECT, 2.5), other])
    assert e.value.file == "outlines.csv" and e.value.row == 7


def test_unknown_block_id_names_the_intercept_row():
    holes = Intercepts.build(["H1"], [1.0], [1.0], [1.0], [1.0], ["C1"], ["nope"], line=[2],
                             file="ic.csv")
    with pytest.raises(InputError) as e:
        geological_blocks(holes, [Block("B1", "C1", RECT, 2.5)])
    assert (e.value.file, e.value.row, e.value.column) == ("ic.csv", 2, "block")


# ---------------------------------------------------------------------------- polygons
def test_polygons_of_three_holes_in_a_row():
    # holes at u = 10, 30, 50 in 0..60: bisectors at u = 20 and 40 → three 20 × 30 = 600 m²
    res = polygons_method(three_holes(), [Block("B1", "C1", RECT, 2.5)])
    assert res.elements["area_m2"].tolist() == [600.0, 600.0, 600.0]
    # V = 600 × (2 + 4 + 3) = 5400 m³; P = 2.5 × 600 × (1·2 + 2·4 + 1.5·3) / 100 = 217.5 t
    assert res.elements["volume_m3"].sum() == 5400.0
    assert res.elements["metal"].sum() == pytest.approx(217.5, rel=1e-14)


def test_polygons_of_a_square_grid():
    # 4 × 4 holes at 5, 15, 25, 35 m; boundary 0..45 × 0..40: the last column reaches from
    # u = 30 to 45 (15 m wide), every other cell is 10 × 10 m
    g = np.arange(4) * 10.0 + 5.0
    uu, vv = np.meshgrid(g, g, indexing="ij")
    pts = np.column_stack([uu.ravel(), vv.ravel()])
    box = np.array([[0.0, 0], [45, 0], [45, 40], [0, 40]])
    areas = np.array([abs(polygon_area(c)) for c in influence_polygons(pts, box)])
    expected = np.where(pts[:, 0] == 35.0, 150.0, 100.0)
    np.testing.assert_allclose(areas, expected, rtol=1e-12)
    assert math.fsum(areas) == pytest.approx(1800.0, rel=1e-14)


def test_polygon_of_a_lone_hole_is_the_whole_block():
    holes = Intercepts.build(["H"], [5.0], [5.0], [2.0], [1.0])
    res = polygons_method(holes, [Block("B", "C2", RECT, 3.0)])
    assert res.elements["area_m2"].iloc[0] == 1800.0
    assert res.elements["ore_t"].iloc[0] == 1800.0 * 2.0 * 3.0


def test_two_holes_at_one_place_are_refused():
    holes = Intercepts.build(["H1", "H2"], [5.0, 5.0], [5.0, 5.0], [1, 1], [1, 1],
                             line=[2, 3], file="ic.csv")
    with pytest.raises(InputError) as e:
        polygons_method(holes, [Block("B", "C1", RECT, 2.5)])
    assert e.value.row == 3


# ---------------------------------------------------------------------------- triangles
def test_delaunay_triangles_of_a_rhombus():
    # (0,0), (10,0), (5,8), (5,−8): the Delaunay edge is (0,0)–(10,0) (each apex lies outside
    # the other triangle's circumcircle: centre (5, 39/16), radius 89/16 < 8 + 39/16)
    holes = Intercepts.build(["A", "B", "N", "S"], [0, 10, 5, 5], [0, 0, 8, -8],
                             [1, 2, 3, 6], [1, 2, 1, 4], ["C1"] * 4)
    res = triangles_method(holes, density_tpm3=2.0)
    e = res.elements.sort_values("thickness_m").reset_index(drop=True)
    # both triangles: S = 10 × 8 / 2 = 40 m²
    assert e["area_m2"].tolist() == [40.0, 40.0]
    # A-B-N: m = (1 + 2 + 3)/3 = 2, V = 80; c = (1 + 4 + 3)/6 = 4/3
    # A-B-S: m = (1 + 2 + 6)/3 = 3, V = 120; c = (1 + 4 + 24)/9 = 29/9
    assert e["volume_m3"].tolist() == pytest.approx([80.0, 120.0], rel=1e-15)
    assert e["grade"].tolist() == pytest.approx([4 / 3, 29 / 9], rel=1e-15)
    assert e["ore_t"].tolist() == pytest.approx([160.0, 240.0], rel=1e-15)


def test_given_triangles_of_a_square():
    # square 10 × 10 split along B–C: two triangles of 50 m²
    holes = Intercepts.build(["A", "B", "C", "D"], [0, 10, 0, 10], [0, 0, 10, 10],
                             [1, 2, 3, 6], [1, 2, 1, 4], ["B"] * 4)
    tri = Triangles(np.array([["A", "B", "C"], ["B", "D", "C"]], dtype=object),
                    np.array([2, 3]), "tri.csv")
    res = triangles_method(holes, triangles=tri, density_tpm3=1.0)
    e = res.elements
    assert e["area_m2"].tolist() == [50.0, 50.0]
    # V1 = 50 (1 + 2 + 3)/3 = 100; V2 = 50 (2 + 6 + 3)/3 = 550/3
    assert e["volume_m3"].tolist() == pytest.approx([100.0, 550 / 3], rel=1e-15)
    # c1 = (1·1 + 2·2 + 1·3)/6 = 8/6; c2 = (2·2 + 4·6 + 1·3)/11 = 31/11
    assert e["grade"].tolist() == pytest.approx([8 / 6, 31 / 11], rel=1e-15)
    bad = Triangles(np.array([["A", "B", "Z"]], dtype=object), np.array([4]), "tri.csv")
    with pytest.raises(InputError) as err:
        triangles_method(holes, triangles=bad, density_tpm3=1.0)
    assert (err.value.row, err.value.column) == (4, "hole3")


def test_triangles_of_holes_on_one_line_are_refused():
    with pytest.raises(InputError, match="triangle"):
        triangles_method(three_holes(), [Block("B1", "C1", RECT, 2.5)])


# ---------------------------------------------------------------------------- sections
def test_forty_percent_threshold():
    # (100 − 60) / 100 = 0.40 exactly: not more than 40 % → mean-area rule, 10 × 160 / 2
    assert section_volume(100.0, 60.0, 10.0) == (800.0, "mean-area")
    assert section_volume(60.0, 100.0, 10.0) == (800.0, "mean-area")
    # a hair smaller: 40.001 % → frustum 10 (100 + 59.999 + √5999.9) / 3
    v, rule = section_volume(100.0, 59.999, 10.0)
    assert rule == "frustum"
    assert v == pytest.approx(10 * (159.999 + math.sqrt(5999.9)) / 3, rel=1e-15)
    assert section_volume(100.0, 60.001, 10.0)[1] == "mean-area"


def test_frustum_is_exact_for_a_truncated_pyramid_and_a_cone():
    # square sections of side 10 and 4, 6 m apart: V = h (a² + b² + ab)/3 = 6 (100+16+40)/3
    assert section_volume(100.0, 16.0, 6.0) == (pytest.approx(312.0, rel=1e-15), "frustum")
    # a section shrinking to nothing is a cone (pyramid): S L / 3
    assert section_volume(90.0, 0.0, 10.0)[0] == pytest.approx(300.0, rel=1e-15)


def sections_table(end_first="wedge", end_last="cone"):
    return SectionAreas(
        block=np.array(["B1"] * 3, dtype=object), category=np.array(["C2"] * 3, dtype=object),
        section=np.array(["S1", "S2", "S3"], dtype=object),
        position_m=np.array([0.0, 50.0, 100.0]), area_m2=np.array([100.0, 60.0, 20.0]),
        grade=np.array([2.0, 3.0, 1.0]), density_tpm3=np.full(3, np.nan),
        end=np.array([end_first, "", end_last], dtype=object),
        end_length_m=np.array([10.0, np.nan, 12.0]), line=np.array([2, 3, 4]), file="s.csv")


def test_sections_with_wedge_and_cone_ends():
    res = parallel_sections(sections_table(), density_tpm3=2.7, grade_unit="g/t",
                            metal_unit="kg")
    e = res.elements
    assert e["rule"].tolist() == ["wedge", "mean-area", "frustum", "cone"]
    # wedge 100 × 10 / 2 = 500; S1–S2 differ by 40 % exactly: 50 × 160 / 2 = 4000;
    # S2–S3 differ by 66.7 %: 50 (60 + 20 + √1200) / 3; cone 20 × 12 / 3 = 80
    expected = [500.0, 4000.0, 50 * (80 + math.sqrt(1200)) / 3, 80.0]
    assert e["volume_m3"].tolist() == pytest.approx(expected, rel=1e-15)
    # grades: 2; (2·100 + 3·60)/160 = 2.375; (3·60 + 1·20)/80 = 2.5; 1
    assert e["grade"].tolist() == pytest.approx([2.0, 2.375, 2.5, 1.0], rel=1e-15)
    metal_kg = sum(v * 2.7 * g / 1000 for v, g in zip(expected, [2.0, 2.375, 2.5, 1.0]))
    assert e["metal"].sum() == pytest.approx(metal_kg, rel=1e-14)


def test_sections_refuse_an_end_in_the_middle_and_a_repeated_position():
    s = sections_table()
    end = s.end.copy()
    end[1] = "cone"
    from dataclasses import replace

    with pytest.raises(InputError) as e:
        parallel_sections(replace(s, end=end), density_tpm3=2.7)
    assert (e.value.row, e.value.column) == (3, "end")
    pos = s.position_m.copy()
    pos[2] = 50.0
    with pytest.raises(InputError, match="two sections"):
        parallel_sections(replace(s, position_m=pos), density_tpm3=2.7)


# ---------------------------------------------------------------------------- conditions
def test_conditions_on_a_hand_made_hole():
    # cut-off 1, minimum thickness 2 m, maximum internal waste 1 m, vertical body (factor 1)
    frm = [0.0, 1.0, 2.0, 3.0, 5.0, 5.5, 7.5]
    to = [1.0, 2.0, 3.0, 5.0, 5.5, 7.0, 8.0]
    grade = [2.0, 0.2, 3.0, 0.1, 4.0, 0.0, 1.5]
    got = ore_intercepts(frm, to, grade, [1.0] * 7, Conditions(1.0, 2.0, 1.0))
    # runs of ore: 0–1 (2.0), 2–3 (3.0), 5–5.5 (4.0), 7.5–8 (1.5)
    # 0–1 + 2–3: 1 m of waste, joined grade (2 + 0.2 + 3)/3 = 1.733 ≥ 1 → 0–3, 3 m
    # 5–5.5: waste 3–5 is 2 m > 1 → apart; 0.5 m × 4.0 = 2.0 ≥ 1 × 2 → diluted to 2 m at 1.0
    # 7.5–8: waste 5.5–7 (1.5 m) + gap 7–7.5 (0.5 m) = 2 m → apart; 0.5 × 1.5 = 0.75 < 2: dropped
    assert len(got) == 2
    assert got[0][:3] == (0.0, 3.0, 3.0) and got[0][3] == pytest.approx(5.2 / 3, rel=1e-15)
    assert got[1] == (5.0, 5.5, 2.0, 1.0)


def test_waste_is_not_joined_when_it_pulls_the_grade_below_cutoff():
    # 1.2 | 0.0 | 1.0, cut-off 1: joined (1.2 + 0 + 1.0)/3 = 0.733 < 1 → two intercepts
    got = ore_intercepts([0, 1, 2], [1, 2, 3], [1.2, 0.0, 1.0], [1, 1, 1],
                         Conditions(1.0, 0.0, 5.0))
    assert [(g[2], g[3]) for g in got] == [(1.0, 1.2), (1.0, 1.0)]


def test_true_thickness_factor_scales_lengths_and_waste():
    # factor 0.5: 2 m of core = 1 m true; the 1 m core waste is 0.5 m true ≤ 0.5 → joined
    got = ore_intercepts([0, 2, 3], [2, 3, 5], [2.0, 0.5, 2.0], [0.5] * 3,
                         Conditions(1.0, 0.0, 0.5))
    # true: 1 + 0.5 + 1 = 2.5 m; metre-grade 2 + 0.25 + 2 = 4.25 → grade 1.7
    assert got == [(0.0, 5.0, 2.5, pytest.approx(1.7, rel=1e-15))]


def test_apply_conditions_with_and_without_samples():
    from orebook.resources.classical import Samples

    holes = Intercepts.build(["S", "A", "B", "C", "D"], [0, 1, 2, 3, 4], [0] * 5,
                             [9.9, 1.0, 1.0, 0.5, 3.0], [9.9, 3.0, 1.5, 0.8, 2.0])
    smp = Samples(np.array(["S"] * 7, dtype=object),
                  np.array([0.0, 1.0, 2.0, 3.0, 5.0, 5.5, 7.5]),
                  np.array([1.0, 2.0, 3.0, 5.0, 5.5, 7.0, 8.0]),
                  np.array([2.0, 0.2, 3.0, 0.1, 4.0, 0.0, 1.5]), np.ones(7), np.arange(2, 9))
    got = apply_conditions(holes, Conditions(1.0, 2.0, 1.0), smp)
    # S: intercepts 3 m at 5.2/3 and 2 m at 1.0 → 5 m at (5.2 + 2)/5 = 1.44
    # A: 1 m at 3 → 3 ≥ 1 × 2 → 2 m at 1.5; B: 1 m at 1.5 → 1.5 < 2 → barren;
    # C: 0.8 < cut-off → barren; D: 3 m at 2 stays
    assert got.thickness_m.tolist() == pytest.approx([5.0, 2.0, 0.0, 0.0, 3.0], rel=1e-15)
    assert got.grade.tolist() == pytest.approx([1.44, 1.5, 0.0, 0.0, 2.0], rel=1e-15)
    with pytest.raises(ParameterError, match="samples"):
        apply_conditions(holes, Conditions(1.0, 2.0, 1.0))
    with pytest.raises(ParameterError):
        Conditions(-1.0)


# ---------------------------------------------------------------------------- report
def test_report_totals_per_category_and_prognostic_left_out():
    blocks = [Block("B1", "C1", RECT, 2.5),
              Block("B2", "C2", RECT + [60.0, 0.0], 2.0),
              Block("B3", "P1", RECT + [120.0, 0.0], 2.0)]
    holes = Intercepts.build(["H1", "H2", "H3"], [30, 90, 150], [15, 15, 15], [2, 3, 4],
                             [1.0, 2.0, 3.0])
    rep = summary_table(geological_blocks(holes, blocks, metal_unit="t"))
    ore = {b: 1800 * m * d for b, m, d in (("B1", 2, 2.5), ("B2", 3, 2.0), ("B3", 4, 2.0))}
    metal = {"B1": ore["B1"] * 0.01, "B2": ore["B2"] * 0.02, "B3": ore["B3"] * 0.03}
    blk = rep[rep.level == "block"].set_index("block")
    assert blk["ore_t"].to_dict() == pytest.approx(ore, rel=1e-15)
    assert blk["metal_t"].to_dict() == pytest.approx(metal, rel=1e-14)
    cat = rep[rep.level == "category"].set_index("category")
    assert cat.index.tolist() == ["C1", "C2", "P1"]
    total = rep[rep.level == "total"].iloc[0]
    # P1 never enters the balance total: 9000 + 10 800 t, 90 + 216 t of metal
    assert total["ore_t"] == math.fsum([ore["B1"], ore["B2"]]) == 19800.0
    assert total["metal_t"] == pytest.approx(306.0, rel=1e-15)
    assert total["grade_pct"] == pytest.approx(306.0 / 19800 * 100, rel=1e-14)
    assert total["thickness_m"] == pytest.approx(2.5, rel=1e-15)   # 9000 m³ / 3600 m²


def test_holes_outside_every_block_are_listed_not_used():
    holes = Intercepts.build(["H1", "H2", "H3", "OUT"], [10, 30, 50, 500], [15, 15, 15, 15],
                             [2, 4, 3, 99], [1.0, 2.0, 1.5, 9.0])
    for fn in (geological_blocks, polygons_method):
        res = fn(holes, [Block("B1", "C1", RECT, 2.5)])
        assert res.unused == ("OUT",)
        assert res.elements["metal"].sum() == pytest.approx(217.5, rel=1e-14)  # as without it
