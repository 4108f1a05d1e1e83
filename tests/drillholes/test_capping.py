"""Numerical tests of top-cutting (capping): parsing of rules, capped values, counts, metal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orebook.drillholes.capping import CapRule, cap, parse_cap
from orebook.drillholes.composite import Composites
from orebook.errors import ParameterError

NAN = math.nan


def _comps(cu=(1.0, 5.0, 10.0, 20.0, 3.0, 8.0, NAN), coverage=None):
    """Seven 2 m composites: ox, ox, ox, sul, sul, sul, and one sul without a Cu value.
    Sampled lengths behind Cu: 1, 2, 1, 2, 2, 0.5, 0 m."""
    n = len(cu)
    frm = np.arange(n) * 2.0
    cov = np.array(coverage if coverage is not None else [1.0, 2.0, 1.0, 2.0, 2.0, 0.5, 0.0])
    return Composites(
        hole=np.array(["H"] * n, dtype=object), from_m=frm, to_m=frm + 2.0,
        x=np.zeros(n), y=np.zeros(n), z=-frm - 1.0,
        domain=np.array(["ox"] * 3 + ["sul"] * (n - 3), dtype=object),
        values={"cu": np.array(cu, float), "au": np.array([0.1, 9.0, 0.3, 7.0, 0.5, 0.6, 0.7])},
        coverage={"cu": cov, "au": np.full(n, 2.0)},
    )


def _row(table, var, dom):
    r = table[(table["variable"] == var) & (table["domain"] == dom)]
    assert len(r) == 1
    return r.iloc[0]


# --------------------------------------------------------------------------------------------
# parse_cap

@pytest.mark.parametrize(("text", "expected"), [
    ("Cu_pct=5", CapRule("Cu_pct", 5.0, None, False)),
    ("  Cu_pct=5  ", CapRule("Cu_pct", 5.0, None, False)),
    ("Cu_pct:ox=12.5", CapRule("Cu_pct", 12.5, "ox", False)),
    ("Au_ppm=p99", CapRule("Au_ppm", 99.0, None, True)),
    ("Au_ppm:sul=P97.5", CapRule("Au_ppm", 97.5, "sul", True)),
    ("Ag=1e3", CapRule("Ag", 1000.0, None, False)),
    ("Ag=0", CapRule("Ag", 0.0, None, False)),
    ("Ag=p100", CapRule("Ag", 100.0, None, True)),
])
def test_parse_cap(text, expected):
    assert parse_cap(text) == expected


@pytest.mark.parametrize("text", [
    "Cu", "Cu=", "=5", "Cu=abc", "Cu=-1", "Cu=p0", "Cu=p-5", "Cu=p101", "Cu=1e", "Cu=1.2.3",
    "Cu=p", "Cu=5%", "", "Cu=5=6",
])
def test_parse_cap_rejects_bad_specs(text):
    with pytest.raises(ParameterError):
        parse_cap(text)


# --------------------------------------------------------------------------------------------
# cap

def test_cap_all_domains_hand_example():
    comps = _comps()
    capped, table = cap(comps, [parse_cap("cu=6")])
    np.testing.assert_array_equal(capped.values["cu"][:6], [1, 5, 6, 6, 3, 6])
    assert math.isnan(capped.values["cu"][6])  # missing stays missing
    np.testing.assert_array_equal(capped.values["au"], comps.values["au"])  # untouched
    np.testing.assert_array_equal(comps.values["cu"][:6], [1, 5, 10, 20, 3, 8])  # not mutated
    np.testing.assert_array_equal(capped.coverage["cu"], comps.coverage["cu"])
    np.testing.assert_array_equal(capped.from_m, comps.from_m)
    ox, sul = _row(table, "cu", "ox"), _row(table, "cu", "sul")
    # ox: metal 1·1 + 5·2 + 10·1 = 21; one cut, removes (10 − 6)·1 = 4
    assert (ox["cap"], ox["samples"], ox["capped"]) == (6.0, 3, 1)
    assert ox["metal"] == pytest.approx(21.0)
    assert ox["metal_removed"] == pytest.approx(4.0)
    assert ox["removed_pct"] == pytest.approx(100 * 4 / 21)
    # sul: metal 20·2 + 3·2 + 8·0.5 = 50; two cut, remove 14·2 + 2·0.5 = 29; NaN not counted
    assert (sul["cap"], sul["samples"], sul["capped"]) == (6.0, 3, 2)
    assert sul["metal"] == pytest.approx(50.0)
    assert sul["metal_removed"] == pytest.approx(29.0)
    assert sul["removed_pct"] == pytest.approx(58.0)
    # what is removed is exactly the difference in grade × sampled length
    w = comps.coverage["cu"][:6]
    removed = ((comps.values["cu"] - capped.values["cu"])[:6] * w).sum()
    assert removed == pytest.approx(table["metal_removed"].sum())


def test_domain_rule_overrides_the_all_domain_rule():
    for rules in (["cu=6", "cu:sul=15"], ["cu:sul=15", "cu=6"]):  # order does not matter
        capped, table = cap(_comps(), [parse_cap(r) for r in rules])
        np.testing.assert_array_equal(capped.values["cu"][:6], [1, 5, 6, 15, 3, 8])
        sul = _row(table, "cu", "sul")
        assert (sul["cap"], sul["capped"]) == (15.0, 1)
        assert sul["metal_removed"] == pytest.approx(5 * 2.0)
        assert _row(table, "cu", "ox")["cap"] == 6.0


def test_domain_rule_alone_leaves_other_domains():
    capped, table = cap(_comps(), [parse_cap("cu:ox=4")])
    np.testing.assert_array_equal(capped.values["cu"][:6], [1, 4, 4, 20, 3, 8])
    assert table["domain"].tolist() == ["ox"]
    assert _row(table, "cu", "ox")["metal_removed"] == pytest.approx(1 * 2 + 6 * 1)


def test_percentile_cap_is_length_weighted():
    """ox: values 1, 5, 10 with weights 1, 2, 1: the weighted CDF at the middle of each weight
    is 0.5/4, 2/4, 3.5/4, so p50 is 5 and p75 is 5 + (0.75 − 0.5)/(0.875 − 0.5) × 5."""
    capped, table = cap(_comps(), [parse_cap("cu:ox=p50")])
    assert _row(table, "cu", "ox")["cap"] == pytest.approx(5.0)
    np.testing.assert_allclose(capped.values["cu"][:3], [1, 5, 5])
    _, table = cap(_comps(), [parse_cap("cu:ox=p75")])
    p75 = 5 + (0.75 - 0.5) / (0.875 - 0.5) * 5
    ox = _row(table, "cu", "ox")
    assert ox["cap"] == pytest.approx(p75)
    assert ox["metal_removed"] == pytest.approx((10 - p75) * 1.0)


def test_percentile_cap_per_domain_with_equal_weights():
    """Equal weights: Hazen positions (i − ½)/n. sul holds 20, 3, 8 (and NaN, left out), all
    on 2 m: positions 1/6, 3/6, 5/6 for 3, 8, 20; p50 = 8 in sul, 5 in ox (1, 5, 10)."""
    comps = _comps(coverage=[2.0] * 7)
    capped, table = cap(comps, [parse_cap("cu=p50")])
    assert _row(table, "cu", "ox")["cap"] == pytest.approx(5.0)
    assert _row(table, "cu", "sul")["cap"] == pytest.approx(8.0)
    assert _row(table, "cu", "sul")["samples"] == 3
    np.testing.assert_allclose(capped.values["cu"][:6], [1, 5, 5, 8, 3, 8])
    _, table = cap(comps, [parse_cap("cu=p100")])  # the top value: nothing cut
    assert table["capped"].tolist() == [0, 0]
    assert table["metal_removed"].tolist() == [0.0, 0.0]


def test_two_variables_and_weights_without_coverage():
    comps = _comps()
    comps = Composites(comps.hole, comps.from_m, comps.to_m, comps.x, comps.y, comps.z,
                       comps.domain, comps.values, {"cu": comps.coverage["cu"]})
    capped, table = cap(comps, [parse_cap("cu=6"), parse_cap("au=1")])
    np.testing.assert_allclose(capped.values["au"], [0.1, 1, 0.3, 1, 0.5, 0.6, 0.7])
    # no coverage for au: weighted by the composite length (2 m)
    assert _row(table, "au", "ox")["metal_removed"] == pytest.approx(8.0 * 2)
    assert _row(table, "au", "sul")["metal_removed"] == pytest.approx(6.0 * 2)
    assert _row(table, "au", "sul")["samples"] == 4
    assert len(table) == 4


def test_cap_errors():
    with pytest.raises(ParameterError):
        cap(_comps(), [parse_cap("zn=5")])  # not a composited value
    with pytest.raises(ParameterError):
        cap(_comps(), [parse_cap("cu:transition=5")])  # a domain without composites


def test_no_rules_changes_nothing():
    comps = _comps()
    capped, table = cap(comps, [])
    assert len(table) == 0
    np.testing.assert_array_equal(capped.values["cu"], comps.values["cu"])
