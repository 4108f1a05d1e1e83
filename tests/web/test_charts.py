"""The inline SVG charts of the pages: geometry checked by hand, labels escaped, well-formed."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.web.charts import bar_chart, line_chart, nice_ticks, point_map

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bars_are_proportional_to_the_values():
    svg = parse(bar_chart(["A", "B", "C"], [10.0, 5.0, 0.0], unit="kg", width=480,
                          label_width=120))
    bars = svg.findall(".//s:rect[@class='bar']", NS)
    widths = [float(b.get("width")) for b in bars]
    span = 480 - 120 - 70  # the longest bar's length, by the docstring
    assert widths == pytest.approx([span, span / 2, 0.0])
    assert [float(b.get("data-value")) for b in bars] == [10.0, 5.0, 0.0]
    assert all(float(b.get("x")) == 120 for b in bars)


def test_bar_labels_are_escaped_and_the_svg_is_well_formed():
    svg = bar_chart(["<script>alert(1)</script>", "a&b"], [1, 2], title='"quoted" & <b>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    root = parse(svg)
    assert root.get("aria-label") == '"quoted" & <b>'


def test_bad_values_are_parameter_errors():
    with pytest.raises(ParameterError):
        bar_chart(["A"], [-1.0])
    with pytest.raises(ParameterError):
        bar_chart(["A"], [math.nan])
    with pytest.raises(ParameterError):
        bar_chart(["A", "B"], [1.0])
    with pytest.raises(ParameterError):
        line_chart([1, 2], {"x": [1.0]})


def test_empty_charts_say_so():
    assert "no data" in bar_chart([], [])
    assert "no data" in line_chart([], {})
    assert "no coordinates" in point_map([{"name": "x"}])


def test_line_chart_maps_points_linearly():
    # plot area: left 64, right 16, top 12, bottom 40 + 16 * ((1 + 2) // 3) = 56
    svg = parse(line_chart([2000, 2010, 2020], {"C1": [0.0, 50.0, 100.0]}, width=560,
                           height=260))
    line = svg.find(".//s:polyline[@class='series']", NS)
    pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    pw, ph = 560 - 64 - 16, 260 - 12 - 56
    # ticks 0..100 by 20: y = top + ph * (1 - v / 100)
    expected = [(64, 12 + ph), (64 + pw / 2, 12 + ph / 2), (64 + pw, 12)]
    assert pts == [pytest.approx(e) for e in expected]
    assert line.get("data-name") == "C1"


def test_line_chart_y_axis_covers_every_value():
    svg = parse(line_chart([1, 2, 3], {"a": [3.0, 97.0, 12.0], "b": [0.0, 1.0, 2.0]}))
    ys = [float(p.split(",")[1]) for pl in svg.findall(".//s:polyline", NS)
          for p in pl.get("points").split()]
    assert min(ys) >= 12 - 1e-9 and max(ys) <= 260 - 56 + 1e-9


def test_point_map_puts_east_right_and_north_up():
    pts = [{"name": "west", "longitude_deg": 46.0, "latitude_deg": 40.0},
           {"name": "east", "longitude_deg": 46.2, "latitude_deg": 40.0, "current": True},
           {"name": "north", "longitude_deg": 46.1, "latitude_deg": 40.1, "href": "/d/3"},
           {"name": "nowhere"}]
    root = parse(point_map(pts, width=420, height=320))
    sites = {c.get("data-name"): (float(c.get("cx")), float(c.get("cy")))
             for c in root.iter("{http://www.w3.org/2000/svg}circle")}
    assert set(sites) == {"west", "east", "north"}
    assert sites["east"][0] > sites["west"][0]
    assert sites["north"][1] < sites["west"][1]
    assert sites["west"][1] == pytest.approx(sites["east"][1])
    # equirectangular, x scaled by cos(mean latitude): 0.2° of longitude vs 0.1° of latitude
    k = math.cos(math.radians((40.0 + 40.0 + 40.1) / 3))
    dx = sites["east"][0] - sites["west"][0]
    dy = sites["west"][1] - sites["north"][1]
    assert dx / dy == pytest.approx(0.2 * k / 0.1)
    assert root.find(".//s:circle[@class='site current']", NS).get("data-name") == "east"
    assert root.find(".//s:a", NS).get("href") == "/d/3"


def test_point_map_refuses_impossible_coordinates():
    with pytest.raises(ParameterError):
        point_map([{"name": "x", "longitude_deg": 200.0, "latitude_deg": 0.0}])


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e9, 1e9), st.floats(1e-6, 1e9))
def test_nice_ticks_cover_the_range_in_round_steps(lo, width):
    hi = lo + width
    ticks = nice_ticks(lo, hi)
    # the ends may round by a hair of the range (a tick at 0 for lo = -5e-324 is fine)
    eps = 1e-12 * max(abs(lo), abs(hi), width)
    assert ticks[0] <= lo + eps and ticks[-1] >= hi - eps
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    # the difference of two large ticks loses digits: allow for it
    slack = 1e-9 + 1e-12 * max(abs(ticks[0]), abs(ticks[-1])) / step
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < slack
    assert 2 <= len(ticks) <= 13
