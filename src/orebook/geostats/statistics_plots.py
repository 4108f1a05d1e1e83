"""Histogram and log-probability plots of one variable, with optional weights (sample lengths
or declustering weights), annotated with the weighted mean, median and coefficient of
variation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orebook.errors import ParameterError

from .statistics import weighted_summary

__all__ = ["plot_histogram", "plot_probability"]


def _clean(values: np.ndarray, weights: np.ndarray | None, *,
           positive: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Finite values with a positive weight; only values > 0 when ``positive`` names the plot
    that needs them (a log scale)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    if len(w) != len(v):
        raise ParameterError(f"weights has {len(w)} entries but values has {len(v)}")
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    if not ok.any():
        raise ParameterError("no value with a finite value and a positive weight to plot")
    v, w = v[ok], w[ok]
    if positive is not None:
        keep = v > 0
        if not keep.any():
            raise ParameterError(f"{positive}: no positive value")
        v, w = v[keep], w[keep]
    return v, w


def _annotation(s: dict[str, float], weighted: bool) -> str:
    return (f"n = {s['count']}{' (weighted)' if weighted else ''}\n"
            f"mean = {s['mean']:.4g}\nmedian = {s['median']:.4g}\nCV = {s['cv']:.3g}\n"
            f"min = {s['min']:.4g}\nmax = {s['max']:.4g}")


def _save(fig, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_histogram(values: np.ndarray, path: str | Path, *, weights: np.ndarray | None = None,
                   variable: str = "value", bins: int | str = "auto", log: bool = False,
                   title: str | None = None) -> Path:
    """Write a PNG histogram of ``values`` (weighted by ``weights`` when given: the bar heights
    are weight fractions), with mean, median and CV annotated and marked.

    ``log=True`` uses logarithmic bins (positive values only).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v, w = _clean(values, weights, positive="log histogram" if log else None)
    s = weighted_summary(v, w)
    if log:
        lv = np.log10(v)
        nb = bins if isinstance(bins, int) else max(10, min(60, int(np.sqrt(len(v))) + 5))
        edges = 10 ** np.linspace(lv.min(), lv.max() + (1e-9 if lv.max() == lv.min() else 0),
                                  nb + 1)
    else:
        edges = np.histogram_bin_edges(v, bins=bins if len(np.unique(v)) > 1 else 10)
        if len(edges) > 201:
            edges = np.histogram_bin_edges(v, bins=200)
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    ax.hist(v, bins=edges, weights=w / w.sum(), color="C0", alpha=0.8, edgecolor="white",
            lw=0.4)
    ax.axvline(s["mean"], color="C3", lw=1.5, label="mean")
    ax.axvline(s["median"], color="C2", lw=1.5, ls="--", label="median")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(variable)
    ax.set_ylabel("frequency (weight fraction)" if weights is not None else "frequency")
    ax.text(0.98, 0.97, _annotation(s, weights is not None), transform=ax.transAxes,
            ha="right", va="top", fontsize=9, family="monospace",
            bbox={"fc": "white", "ec": "0.7", "alpha": 0.9})
    ax.legend(loc="center right", fontsize=9)
    ax.grid(True, lw=0.3, alpha=0.6)
    ax.set_title(title or f"Histogram of {variable}")
    return _save(fig, path)


# Probabilities (%) marked on the probability axis.
_TICKS = [0.01, 0.1, 1, 2, 5, 10, 20, 30, 50, 70, 80, 90, 95, 98, 99, 99.9, 99.99]


def plot_probability(values: np.ndarray, path: str | Path, *,
                     weights: np.ndarray | None = None, variable: str = "value",
                     log: bool = True, title: str | None = None) -> Path:
    """Write a PNG probability plot: the values (log scale by default: a log-probability plot)
    against the normal score of their weighted cumulative probability, so a lognormal
    distribution is a straight line. Each sample sits at the middle of its weight in the
    cumulative distribution (Hazen plotting position with equal weights)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    v, w = _clean(values, weights, positive="log-probability plot" if log else None)
    s = weighted_summary(v, w)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    p = (np.cumsum(w) - 0.5 * w) / w.sum()
    z = norm.ppf(p)
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    ax.plot(z, v, ".", ms=4, color="C0")
    if log:
        ax.set_yscale("log")
    ticks = [t for t in _TICKS if norm.ppf(t / 100) >= z.min() - 0.5
             and norm.ppf(t / 100) <= z.max() + 0.5] or [50]
    ax.set_xticks(norm.ppf(np.array(ticks) / 100))
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=8)
    ax.set_xlabel("cumulative probability, %")
    ax.set_ylabel(variable)
    ax.axhline(s["mean"], color="C3", lw=1, label="mean")
    ax.axhline(s["median"], color="C2", lw=1, ls="--", label="median")
    ax.text(0.02, 0.97, _annotation(s, weights is not None), transform=ax.transAxes,
            ha="left", va="top", fontsize=9, family="monospace",
            bbox={"fc": "white", "ec": "0.7", "alpha": 0.9})
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(True, which="both", lw=0.3, alpha=0.6)
    ax.set_title(title or f"{'Log-p' if log else 'P'}robability plot of {variable}")
    return _save(fig, path)
