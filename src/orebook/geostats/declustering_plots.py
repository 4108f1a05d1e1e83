"""Picture of cell declustering: declustered mean versus cell size."""

from __future__ import annotations

from pathlib import Path

from .declustering import DeclusterResult

__all__ = ["plot_declustering"]


def plot_declustering(result: DeclusterResult, path: str | Path, *, variable: str = "value",
                      title: str | None = None) -> Path:
    """Write a PNG of the declustered mean against the cell size (X, m), with the equal-weight
    mean as a dashed line and the chosen size marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    ax.plot(t["cell_size"], t["declustered_mean"], "o-", ms=4, lw=1.2, color="C0",
            label="declustered mean")
    ax.axhline(result.naive_mean, ls="--", lw=1, color="0.4",
               label=f"equal weights: {result.naive_mean:.4g}")
    if result.cell_size > 0:
        ax.plot([result.cell_size], [result.mean], "o", ms=10, mfc="none", mec="C3", mew=2,
                label=f"chosen: size {result.cell_size:.4g} m, mean {result.mean:.4g}")
    else:
        ax.text(0.02, 0.02, "no cell size improves on equal weights", transform=ax.transAxes,
                color="C3")
    ax.set_xlabel("cell size (X), m")
    ax.set_ylabel(f"declustered mean of {variable}")
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.legend(loc="best", fontsize=9)
    sought = "minimum" if result.objective == "min" else "maximum"
    ax.set_title(title or f"Cell declustering ({sought} mean sought)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
