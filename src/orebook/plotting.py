"""Matplotlib for orebook's figures: the off-screen backend, and a PNG written atomically."""

from __future__ import annotations

from pathlib import Path

__all__ = ["pyplot", "save_png"]


def pyplot():
    """``matplotlib.pyplot`` on the off-screen Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG at ``path`` (atomically: a finished file or none) and close it."""
    from orebook.io.writing import atomic_output

    path = Path(path)
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        pyplot().close(fig)
    return path
