"""Pictures of drill holes: a plan and a section of the composites, coloured by grade."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .composite import Composites

__all__ = ["plot_composites"]


def plot_composites(comps: Composites, variable: str, path: str | Path, *,
                    title: str | None = None) -> Path:
    """Write a PNG with a plan (x, y) and an east–west section (x, z) of the composites of
    ``variable``, coloured on a logarithmic scale when the grades span two decades or more."""
    from orebook.plotting import pyplot

    plt = pyplot()
    from matplotlib.colors import LogNorm, Normalize

    v = comps.values[variable]
    ok = np.isfinite(v)
    pos = v[ok & (v > 0)]
    norm = (LogNorm(vmin=max(pos.min(), np.percentile(pos, 1)), vmax=np.percentile(pos, 99.5))
            if len(pos) and np.percentile(pos, 99.5) / max(np.percentile(pos, 1), 1e-12) > 100
            else Normalize(vmin=np.nanmin(v) if ok.any() else 0,
                           vmax=np.nanmax(v) if ok.any() else 1))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6), constrained_layout=True)
    order = np.argsort(np.where(ok, v, -np.inf))  # high grades drawn on top
    for ax, (a, b, la, lb) in zip((ax1, ax2), ((comps.x, comps.y, "X (east), m", "Y (north), m"),
                                              (comps.x, comps.z, "X (east), m", "Z (elevation), m"))):
        ax.scatter(a[~ok], b[~ok], s=2, c="0.85", lw=0, label="no value")
        o = order[ok[order]]
        sc = ax.scatter(a[o], b[o], s=4, c=v[o], cmap="viridis", norm=norm, lw=0)
        ax.set_xlabel(la)
        ax.set_ylabel(lb)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.ticklabel_format(useOffset=False, style="plain")
    ax1.set_title("Plan")
    ax2.set_title("Section looking north")
    fig.colorbar(sc, ax=(ax1, ax2), shrink=0.8, label=variable)
    fig.suptitle(title or f"{len(comps)} composites, {variable}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
