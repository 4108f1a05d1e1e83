"""Pictures of the resources stage: grade–tonnage curves and swath plots (PNG, atomically)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from orebook.errors import ParameterError
from orebook.plotting import pyplot, save_png

from .swath import AXES, SwathResult

__all__ = ["MAX_PANELS", "plot_grade_tonnage", "plot_swath"]

MAX_PANELS = 36
"""Most grade–tonnage panels in one picture."""


def _save(fig, path: str | Path) -> Path:
    if Path(path).suffix.lower() != ".png":
        pyplot().close(fig)
        raise ParameterError(f"output {path}: plots are written as .png")
    return save_png(fig, path)


def plot_grade_tonnage(table: pd.DataFrame, path: str | Path, *, by: Sequence[str] = (),
                       variable: str = "grade", tonnes_scale: float = 1e6,
                       title: str | None = None) -> Path:
    """Grade–tonnage curves: tonnes above the cut-off (left axis, in ``tonnes_scale`` t) and
    mean grade above it (right axis) against the cut-off; one panel per group of ``by`` (the
    table of :func:`orebook.resources.tonnage.grade_tonnage`)."""
    plt = pyplot()
    gcol = next(c for c in table.columns if c.startswith("mean_grade_"))
    unit = gcol.removeprefix("mean_grade_")
    groups = list(table.groupby(list(by), sort=False)) if by else [((), table)]
    if len(groups) > MAX_PANELS:
        raise ParameterError(f"{len(groups)} groups is too many panels for one picture "
                             f"({MAX_PANELS}); group by fewer columns")
    ncol = min(3, len(groups))
    nrow = math.ceil(len(groups) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.8 * nrow), squeeze=False,
                             constrained_layout=True)
    scale_text = {1e6: "Mt", 1e3: "kt", 1.0: "t"}.get(tonnes_scale, f"× {tonnes_scale:g} t")
    for ax, (key, part) in zip(axes.flat, groups):
        key = key if isinstance(key, tuple) else (key,)
        ax.plot(part["cutoff"], part["tonnes_t"] / tonnes_scale, "-", color="C0", lw=1.6)
        ax.set_xlabel(f"cut-off ({unit})")
        ax.set_ylabel(f"tonnes above cut-off ({scale_text})", color="C0")
        ax.tick_params(axis="y", colors="C0")
        ax.grid(True, lw=0.3, alpha=0.6)
        ax2 = ax.twinx()
        ax2.plot(part["cutoff"], part[gcol], "--", color="C3", lw=1.6)
        ax2.set_ylabel(f"mean grade above cut-off ({unit})", color="C3")
        ax2.tick_params(axis="y", colors="C3")
        ax.set_title(", ".join(f"{b} {k}" for b, k in zip(by, key)) or "all blocks",
                     fontsize=10)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    fig.suptitle(title or f"Grade–tonnage: {variable}")
    return _save(fig, path)


def plot_swath(result: SwathResult, path: str | Path, *, title: str | None = None) -> Path:
    """Swath plots along X, Y and Z: block estimate, nearest neighbour and declustered
    composites per slice, with the number of composites as bars."""
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(8, 10), constrained_layout=True)
    for ax, axis in zip(axes, AXES):
        t = result.table[result.table["axis"] == axis]
        ax2 = ax.twinx()
        width = float((t["to_m"] - t["from_m"]).iloc[0]) if len(t) else 1.0
        ax2.bar(t["centre_m"], t["composites"], width=width * 0.9, color="0.85", zorder=0)
        ax2.set_ylabel("composites", color="0.5")
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot(t["centre_m"], t["block_mean"], "-o", ms=3, color="C0", label="estimate")
        ax.plot(t["centre_m"], t["nn_mean"], "-s", ms=3, color="C2",
                label="nearest neighbour")
        ax.plot(t["centre_m"], t["composite_mean"], "^", ms=5, color="C3",
                label="declustered composites")
        ax.set_xlabel(f"{axis.upper()} (m), slices of {width:g} m")
        ax.set_ylabel(f"mean {result.variable}")
        ax.grid(True, lw=0.3, alpha=0.6)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title or f"Swath plots: {result.variable}")
    return _save(fig, path)
