"""Pictures of the classical methods: the plane of projection, and areas along the sections."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orebook.plotting import pyplot, save_png

from .classical import ClassicalResult

__all__ = ["plot_classical"]

_CATEGORY_COLOURS = {"A": "#b2182b", "B": "#ef8a62", "C1": "#2166ac", "C2": "#67a9cf",
                     "P1": "#5aae61", "P2": "#a6dba0", "P3": "#d9f0d3"}


def _colour(cat: str, others: dict[str, str]) -> str:
    if cat in _CATEGORY_COLOURS:
        return _CATEGORY_COLOURS[cat]
    return others.setdefault(cat, f"C{len(others) % 10}")


def plot_classical(result: ClassicalResult, path: str | Path, *, title: str | None = None
                   ) -> Path:
    """Write a PNG: for blocks, polygons and triangles the plane of projection (u, v, m) with
    the block outlines, the elements (filled by category) and the holes coloured by category;
    for sections, a bar of volume (m³) per piece (pair of sections or end), block by block."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    plt = pyplot()
    others: dict[str, str] = {}
    e = result.elements
    fig, ax = plt.subplots(figsize=(8, 6.5), constrained_layout=True)
    if result.method == "sections":
        for block, part in e.groupby("block", sort=False):
            ax.bar(np.arange(len(part)), part["volume_m3"], label=f"{block} "
                   f"({part['category'].iloc[0]})",
                   color=_colour(str(part["category"].iloc[0]), others), alpha=0.8)
        ax.set_xticks(np.arange(len(e)))
        ax.set_xticklabels([f"{b}\n{n}" for b, n in zip(e["block"], e["element"])],
                           fontsize=7, rotation=90)
        ax.set_ylabel("volume, m³")
        ax.set_title(title or "Parallel sections: volume of each piece")
    else:
        for shape, cat, rule in zip(result.shapes, e["category"], e["rule"]):
            if len(shape) >= 3:
                ax.add_patch(Polygon(shape, closed=True, facecolor=_colour(str(cat), others),
                                     alpha=0.25, edgecolor="0.3", lw=0.6))
        for b in result.blocks:
            ax.add_patch(Polygon(b.vertices, closed=True, fill=False, edgecolor="k", lw=1.4))
            c = np.asarray(b.vertices).mean(axis=0)
            ax.annotate(f"{b.id} ({b.category})", c, fontsize=8, ha="center", color="0.15")
        h = result.intercepts
        if h is not None and len(h):
            cats = [str(c) or "?" for c in h.category]
            for cat in dict.fromkeys(cats):
                pick = np.array([c == cat for c in cats])
                ax.plot(h.u[pick], h.v[pick], "o", ms=5, mec="k", mew=0.5,
                        color=_colour(cat, others), ls="none")
            for name, x, y in zip(h.hole, h.u, h.v):
                ax.annotate(str(name), (x, y), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
            ax.legend(handles=[Line2D([], [], marker="o", ls="none", mec="k",
                                      color=_colour(c, others), label=f"hole, {c}")
                               for c in dict.fromkeys(cats)], loc="best", fontsize=8)
        ax.autoscale_view()
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("u, m")
        ax.set_ylabel("v, m")
        names = {"blocks": "Geological blocks", "polygons": "Polygons (areas of influence)",
                 "triangles": "Triangles"}
        ax.set_title(title or f"{names.get(result.method, result.method)} on the plane of "
                     "projection")
    ax.grid(True, lw=0.3, alpha=0.6)
    return save_png(fig, path)
