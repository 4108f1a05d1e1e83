"""Pictures of variograms: experimental points sized by their pairs with a model, one panel per
direction; variogram maps.

Both functions build a :class:`matplotlib.figure.Figure` without pyplot (no global state, safe
in threads and servers), write it as a PNG when given a path, and return it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from orebook.errors import ParameterError

from .experimental import ExperimentalVariogram
from .models import VariogramModel

__all__ = ["model_curve", "plot_variogram_map", "plot_variograms"]


def model_curve(model: VariogramModel, ev: ExperimentalVariogram, h: np.ndarray) -> np.ndarray:
    """The model's counterpart of ``ev`` at distances ``h`` (m) along ``ev``'s direction:
    γ for semivariograms, cross and pairwise relative variograms; C(0) − γ for covariances
    (γ with ``as_variogram``); 1 − γ/C(0) for correlogram (γ/C(0) with ``as_variogram``)."""
    d = ev.direction
    g = model.gamma_along(np.asarray(h, float), d.azimuth, d.dip)
    if ev.kind == "covariance":
        return g if ev.as_variogram else model.cmax - g
    if ev.kind == "correlogram":
        return g / model.cmax if ev.as_variogram else 1.0 - g / model.cmax
    return g


def _save(fig, path: str | Path | None, dpi: int) -> None:
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)


def plot_variograms(
    variograms: Sequence[ExperimentalVariogram] | ExperimentalVariogram,
    model: VariogramModel | None = None,
    *,
    path: str | Path | None = None,
    title: str | None = None,
    ncols: int | None = None,
    annotate: bool = True,
    include_zero: bool = False,
    dpi: int = 110,
):
    """One panel per experimental variogram: points sized by their number of pairs, the
    model (if given) along the panel's direction, and the sill as a dashed line.

    Parameters
    ----------
    variograms : the experimental variograms (one per direction).
    model : a fitted :class:`~orebook.geostats.models.VariogramModel`, drawn with
        ``gamma_along(h, azimuth, dip)`` of each panel's direction.
    path : where to write the PNG (optional).
    annotate : write the number of pairs next to each point.
    include_zero : also draw the zero-distance class (gamv's lag 1).

    Returns
    -------
    The :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    if isinstance(variograms, ExperimentalVariogram):
        variograms = [variograms]
    variograms = list(variograms)
    if not variograms:
        raise ParameterError("nothing to plot: no experimental variogram given")
    n = len(variograms)
    ncols = ncols or min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.8 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    pmax = max(int(ev.pairs.max(initial=0)) for ev in variograms) or 1
    xmax = max(float(np.nanmax(ev.distance, initial=0.0)) for ev in variograms)
    xmax = max(xmax, max(ev.lags.max_distance for ev in variograms)) * 1.05
    for ax, ev in zip(axes, variograms):
        show = ev.pairs > 0
        if not include_zero and ev.lags.mode == "gamv":
            show &= ev.lag > 1
        x, y, p = ev.distance[show], ev.value[show], ev.pairs[show]
        ax.scatter(x, y, s=12 + 150 * np.sqrt(p / pmax), c="tab:blue", alpha=0.8,
                   edgecolors="navy", linewidths=0.5, label="experimental", zorder=3)
        if annotate:
            for xi, yi, pi in zip(x, y, p):
                ax.annotate(f"{pi}", (xi, yi), textcoords="offset points", xytext=(0, 7),
                            ha="center", fontsize=6, color="0.35")
        if model is not None:
            h = np.linspace(0.0, xmax, 300)
            ax.plot(h, model_curve(model, ev, h), color="tab:red", lw=1.5,
                    label=f"model (az {ev.direction.azimuth:g}°, dip {ev.direction.dip:g}°)")
        if math.isfinite(ev.sill) and ev.kind != "pairwise_relative":
            ax.axhline(ev.sill, color="0.5", ls="--", lw=0.8, label="sill")
        ax.set_xlim(0, xmax)
        if ev.kind in ("semivariogram", "pairwise_relative") or ev.as_variogram:
            ax.set_ylim(bottom=0)
        ax.set_xlabel("distance h, m")
        ax.set_ylabel({"semivariogram": "γ(h)" + (" / variance" if ev.standardized else ""),
                       "cross": "γ₁₂(h)", "covariance": "C(h)", "correlogram": "ρ(h)",
                       "pairwise_relative": "γ_PR(h)"}[ev.kind]
                      if not ev.as_variogram else "γ(h)")
        ax.set_title(ev.title, fontsize=10)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.legend(fontsize=7, loc="lower right")
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title or f"Experimental {variograms[0].kind.replace('_', ' ')}s")
    _save(fig, path, dpi)
    return fig


def plot_variogram_map(
    gamma: np.ndarray,
    pairs: np.ndarray,
    cell: float | tuple[float, float],
    *,
    path: str | Path | None = None,
    min_pairs: int = 1,
    title: str | None = None,
    labels: tuple[str, str] = ("east offset, m", "north offset, m"),
    dpi: int = 110,
):
    """A variogram map (from :func:`~orebook.geostats.experimental.variogram_map`) as an image,
    cells with fewer than ``min_pairs`` pairs left blank.

    Returns
    -------
    The :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    gamma = np.asarray(gamma, float)
    pairs = np.asarray(pairs)
    if gamma.ndim != 2 or gamma.shape != pairs.shape or gamma.shape[0] % 2 == 0 \
            or gamma.shape[1] % 2 == 0:
        raise ParameterError(f"a variogram map is two arrays of the same odd shape "
                             f"(2·ny + 1, 2·nx + 1); got {gamma.shape} and {pairs.shape}")
    du, dv = (cell, cell) if np.ndim(cell) == 0 else tuple(cell)
    ny, nx = gamma.shape[0] // 2, gamma.shape[1] // 2
    shown = np.ma.masked_where((pairs < min_pairs) | np.isnan(gamma), gamma)
    fig = Figure(figsize=(6.4, 5.4), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(shown, origin="lower", cmap="viridis", interpolation="nearest",
                   extent=((-nx - 0.5) * du, (nx + 0.5) * du, (-ny - 0.5) * dv, (ny + 0.5) * dv))
    ax.axhline(0, color="w", lw=0.5, alpha=0.6)
    ax.axvline(0, color="w", lw=0.5, alpha=0.6)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_aspect("equal")
    fig.colorbar(im, ax=ax, label="γ")
    ax.set_title(title or f"Variogram map ({int(pairs.sum()) // 2:,} pairs)")
    _save(fig, path, dpi)
    return fig
