"""Histogram and probability plots: PNG files, weighted annotations, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.geostats.statistics import weighted_summary
from orebook.geostats.statistics_plots import plot_histogram, plot_probability

PNG = b"\x89PNG\r\n\x1a\n"


def test_weighted_summary_against_hand_values():
    v = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    w = np.array([1.0, 1.0, 1.0, 3.0, 5.0])
    s = weighted_summary(v, w)
    mean = (1 + 2 + 3 + 12) / 6
    std = np.sqrt(((1 - mean) ** 2 + (2 - mean) ** 2 + (3 - mean) ** 2
                   + 3 * (4 - mean) ** 2) / 6)
    assert s["count"] == 4 and s["mean"] == pytest.approx(mean)
    assert s["std"] == pytest.approx(std) and s["cv"] == pytest.approx(std / mean)
    # weighted median: cumulative mid-weights 0.5, 1.5, 2.5, 4.5 of 6 → 3 + 0.5/2 = 3.25
    assert s["median"] == pytest.approx(3.25)
    assert weighted_summary(np.array([1.0, 2.0, 4.0]))["median"] == 2.0
    # a zero weight leaves the sample out
    assert weighted_summary(v, np.array([1.0, 1.0, 1.0, 0.0, 1.0]))["mean"] == 2.0


@pytest.mark.parametrize("log", [False, True])
def test_plots_are_png(tmp_path, log):
    rng = np.random.default_rng(3)
    v = rng.lognormal(0.5, 1.0, 300)
    w = rng.uniform(0.2, 2.0, 300)
    for fn in (plot_histogram, plot_probability):
        p = fn(v, tmp_path / f"{fn.__name__}_{log}.png", weights=w, variable="Au g/t", log=log)
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 10_000
    # constant values and a single sample still plot
    assert plot_histogram(np.full(5, 2.0), tmp_path / "c.png", log=log).is_file()
    assert plot_probability(np.array([3.0]), tmp_path / "one.png", log=log).is_file()


def test_refusals(tmp_path):
    with pytest.raises(ParameterError, match="weights has 2 entries"):
        plot_histogram(np.ones(3), tmp_path / "a.png", weights=np.ones(2))
    with pytest.raises(ParameterError, match="no value"):
        plot_probability(np.array([np.nan, np.nan]), tmp_path / "b.png")
    with pytest.raises(ParameterError, match="no positive value"):
        plot_probability(np.array([-1.0, 0.0]), tmp_path / "c.png", log=True)
    with pytest.raises(ParameterError, match="no positive value"):
        plot_histogram(np.array([-1.0, 0.0]), tmp_path / "d.png", log=True)
    assert not list(tmp_path.iterdir())
