"""Pictures of a cross-validation: estimate against true value, the errors' histogram, and a
plan map of the errors. Each is written atomically as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orebook.plotting import pyplot, save_png

from .crossval import CrossValidation

__all__ = ["plot_crossval_errors", "plot_crossval_map", "plot_crossval_scatter"]


def _estimated(cv: CrossValidation):
    t = cv.table
    ok = np.isfinite(t["estimate"].to_numpy(float))
    return t[ok]


def plot_crossval_scatter(cv: CrossValidation, path: str | Path, *, variable: str = "value",
                          title: str | None = None) -> Path:
    """Write a PNG of the estimate (X) against the true value (Y) of every estimated sample,
    with the 1:1 line and the least-squares line of true on estimate (its slope is
    ``slope_true_on_estimate``)."""
    plt = pyplot()
    t = _estimated(cv)
    s = cv.statistics
    e, tv = t["estimate"].to_numpy(float), t["true"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(6, 6), constrained_layout=True)
    ax.plot(e, tv, "o", ms=3, alpha=0.6, color="C0", label=f"samples ({len(e):,})")
    if len(e):
        lo = float(min(e.min(), tv.min()))
        hi = float(max(e.max(), tv.max()))
        pad = 0.02 * (hi - lo) if hi > lo else 1.0
        lo, hi = lo - pad, hi + pad
        ax.plot([lo, hi], [lo, hi], "--", lw=1, color="0.4", label="1:1")
        slope = s.get("slope_true_on_estimate", np.nan)
        if np.isfinite(slope):
            b = float(tv.mean() - slope * e.mean())
            ax.plot([lo, hi], [b + slope * lo, b + slope * hi], "-", lw=1.2, color="C3",
                    label=f"true on estimate: slope {slope:.3g}")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"estimate of {variable}")
    ax.set_ylabel(f"true {variable}")
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.legend(loc="upper left", fontsize=9)
    corr = s.get("correlation", np.nan)
    ax.set_title(title or f"Cross-validation of {variable}: ρ = {corr:.3g}, "
                          f"RMSE = {s.get('rmse', np.nan):.3g}")
    return save_png(fig, path)


def plot_crossval_errors(cv: CrossValidation, path: str | Path, *, variable: str = "value",
                         bins: int = 30, title: str | None = None) -> Path:
    """Write a PNG of the histogram of the errors (estimate − true), with zero and the mean
    error marked."""
    plt = pyplot()
    err = _estimated(cv)["error"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    if len(err):
        ax.hist(err, bins=bins, color="C0", alpha=0.8, edgecolor="white", lw=0.4)
        me = float(err.mean())
        ax.axvline(0.0, ls="--", lw=1, color="0.4", label="0")
        ax.axvline(me, lw=1.2, color="C3", label=f"mean error {me:.3g}")
        ax.legend(loc="best", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no sample estimated", transform=ax.transAxes, ha="center")
    ax.set_xlabel(f"error of {variable} (estimate − true)")
    ax.set_ylabel("samples")
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.set_title(title or f"Cross-validation errors of {variable}")
    return save_png(fig, path)


def plot_crossval_map(cv: CrossValidation, path: str | Path, *, variable: str = "value",
                      title: str | None = None) -> Path:
    """Write a PNG plan map (X east, Y north, m) of the samples coloured by their error
    (a diverging scale symmetric about 0); unestimated samples are grey crosses."""
    plt = pyplot()
    t = cv.table
    ok = np.isfinite(t["estimate"].to_numpy(float))
    fig, ax = plt.subplots(figsize=(7, 6), constrained_layout=True)
    if (~ok).any():
        ax.plot(t["x"][~ok], t["y"][~ok], "x", ms=4, color="0.6",
                label=f"not estimated ({int((~ok).sum()):,})")
    if ok.any():
        err = t["error"].to_numpy(float)[ok]
        lim = float(np.max(np.abs(err))) or 1.0
        order = np.argsort(np.abs(err))  # the largest errors on top
        sc = ax.scatter(t["x"].to_numpy(float)[ok][order], t["y"].to_numpy(float)[ok][order],
                        c=err[order], cmap="RdBu_r", vmin=-lim, vmax=lim, s=12)
        fig.colorbar(sc, ax=ax, label=f"error of {variable} (estimate − true)")
    if (~ok).any():
        ax.legend(loc="best", fontsize=9)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("X (east), m")
    ax.set_ylabel("Y (north), m")
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.set_title(title or f"Cross-validation errors of {variable}, plan")
    return save_png(fig, path)
