"""Variogram pictures: what is drawn is what was computed (points, sizes, the model along each
panel's direction, the map's cells), and the PNG files are written."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage

from orebook.errors import ParameterError
from orebook.geostats.experimental import (
    Direction,
    Lags,
    experimental_variogram,
    variogram_map,
)
from orebook.geostats.models import Structure, VariogramModel
from orebook.geostats.variogram_plots import model_curve, plot_variogram_map, plot_variograms

PNG = b"\x89PNG\r\n\x1a\n"


def _spherical(h, a):
    r = np.minimum(np.asarray(h) / a, 1.0)
    return 1.5 * r - 0.5 * r**3


@pytest.fixture(scope="module")
def field():
    rng = np.random.default_rng(3)
    xyz = rng.uniform(0, [120, 120, 30], (1500, 3))
    v = np.sin(xyz[:, 1] / 25) + 0.3 * np.cos(xyz[:, 0] / 10) + rng.normal(0, 0.2, 1500)
    dirs = [Direction(0.0, 22.5, 20.0, 0.0, 22.5, 10.0),
            Direction(90.0, 22.5, 20.0, 0.0, 22.5, 10.0), Direction()]
    return xyz, v, experimental_variogram(xyz, v, lags=Lags(12, 5.0), directions=dirs)


# the major axis north (30 m), the semi-major east (10 m)
MODEL = VariogramModel(0.1, (Structure("spherical", 0.5, (30.0, 10.0, 5.0)),))


def _curve(ax):
    [line] = [ln for ln in ax.get_lines() if ln.get_label().startswith("model")]
    return line.get_xdata(), line.get_ydata()


def test_one_panel_per_direction_with_the_model_along_it(field, tmp_path):
    _, _, evs = field
    path = tmp_path / "out" / "variograms.png"
    fig = plot_variograms(evs, MODEL, path=path)
    assert path.read_bytes()[:8] == PNG
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert len(axes) == 3
    # north: h / 30; east: h / 10 (spherical shape), nugget 0.1 away from h = 0
    for ax, a in zip(axes[:2], (30.0, 10.0)):
        h, g = _curve(ax)
        pos = h > 0
        np.testing.assert_allclose(g[pos], 0.1 + 0.5 * _spherical(h[pos], a), rtol=1e-12)
        assert g[~pos].tolist() == [0.0]
    assert [ax.get_title() for ax in axes] == ["azimuth 0°, dip 0°", "azimuth 90°, dip 0°",
                                               "omnidirectional"]


def test_points_are_the_experimental_values_sized_by_pairs(field):
    _, _, evs = field
    fig = plot_variograms(evs, annotate=False)
    for ax, ev in zip(fig.axes, evs):
        [pts] = [c for c in ax.collections if isinstance(c, PathCollection)]
        shown = (ev.pairs > 0) & (ev.lag > 1)  # the zero-distance class is left out
        np.testing.assert_allclose(pts.get_offsets(), np.column_stack(
            [ev.distance[shown], ev.value[shown]]))
        sizes = pts.get_sizes()
        order = np.argsort(ev.pairs[shown], kind="stable")
        assert np.all(np.diff(sizes[order]) >= 0)  # more pairs, bigger point
    fig = plot_variograms(evs[0], include_zero=True, annotate=False)
    [pts] = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(pts.get_offsets()) == int(np.sum(evs[0].pairs > 0))
    # annotations: one pair count per point
    fig = plot_variograms(evs[0])
    texts = [t.get_text() for t in fig.axes[0].texts]
    shown = (evs[0].pairs > 0) & (evs[0].lag > 1)
    assert texts == [str(p) for p in evs[0].pairs[shown]]


def test_covariance_and_correlogram_curves():
    x = np.arange(30.0)
    v = np.sin(x / 4)
    [cov] = experimental_variogram(x, v, lags=Lags(5, 1.0), kind="covariance")
    [cor] = experimental_variogram(x, v, lags=Lags(5, 1.0), kind="correlogram",
                                   as_variogram=True)
    h = np.array([5.0, 40.0])
    iso = VariogramModel(0.0, (Structure("exponential", 2.0, (30.0, 30.0, 30.0)),))
    g = 2.0 * (1 - np.exp(-3 * h / 30.0))
    np.testing.assert_allclose(model_curve(iso, cov, h), 2.0 - g)
    np.testing.assert_allclose(model_curve(iso, cor, h), g / 2.0)
    fig = plot_variograms([cov, cor], iso, title="two kinds")
    assert fig.get_suptitle() == "two kinds"
    assert fig.axes[0].get_ylabel() == "C(h)"


def test_plot_checks():
    with pytest.raises(ParameterError):
        plot_variograms([])
    with pytest.raises(ParameterError):
        plot_variogram_map(np.zeros((2, 3)), np.zeros((2, 3)), 1.0)


def test_variogram_map_picture(field, tmp_path):
    xyz, v, _ = field
    gamma, pairs = variogram_map(xyz, v, nx=8, ny=6, cell=(6.0, 5.0))
    path = tmp_path / "map.png"
    fig = plot_variogram_map(gamma, pairs, (6.0, 5.0), path=path, min_pairs=20)
    assert path.read_bytes()[:8] == PNG
    [im] = [c for c in fig.axes[0].get_children() if isinstance(c, AxesImage)]
    arr = im.get_array()
    np.testing.assert_array_equal(arr.mask, (pairs < 20) | np.isnan(gamma))
    np.testing.assert_allclose(arr.data[~arr.mask], gamma[~arr.mask])
    assert im.get_extent() == pytest.approx([-51.0, 51.0, -32.5, 32.5])
    np.testing.assert_allclose(gamma, gamma[::-1, ::-1])  # γ(h) = γ(−h)
