"""Builders of small drill-hole tables for the numerical tests (not a test module).

Everything is built straight from Python lists into ``orebook.drillholes.types`` so that the
tests of desurvey, compositing and capping do not depend on the readers. Angles follow
CONVENTIONS.md: azimuth clockwise from north, dip negative downwards; x east, y north, z up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.drillholes.types import Collars, DrillholeData, Intervals, Surveys

DATA = Path(__file__).resolve().parent.parent / "data"


def unit(azimuth_deg: float, dip_deg: float) -> np.ndarray:
    """Unit vector down the hole (east, north, up), written from the conventions."""
    az, dip = np.radians(azimuth_deg), np.radians(dip_deg)
    horizontal = np.cos(dip)
    return np.array([horizontal * np.sin(az), horizontal * np.cos(az), np.sin(dip)])


def make_collars(rows: Mapping[str, Sequence[float]]) -> Collars:
    """``{hole: (x, y, z)}`` or ``{hole: (x, y, z, depth)}``, in the given order."""
    holes = list(rows)
    xyzd = [tuple(rows[h]) + (np.nan,) * (4 - len(rows[h])) for h in holes]
    a = np.array(xyzd, dtype=float).reshape(len(holes), 4)
    return Collars(np.array(holes, dtype=object), a[:, 0].copy(), a[:, 1].copy(),
                   a[:, 2].copy(), a[:, 3].copy())


def make_surveys(rows: Iterable[tuple[str, float, float, float]]) -> Surveys:
    """Rows ``(hole, depth, azimuth, dip)``; sorted by hole then depth like the readers do."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    if not rows:
        e = np.empty(0)
        return Surveys(np.empty(0, dtype=object), e, e.copy(), e.copy())
    hole, depth, az, dip = zip(*rows)
    return Surveys(np.array(hole, dtype=object), np.array(depth, float), np.array(az, float),
                   np.array(dip, float))


def make_intervals(name: str, rows: Iterable[tuple], values: Sequence[str] = (),
                   categories: Sequence[str] = ()) -> Intervals:
    """Rows ``(hole, from, to, *values, *categories)`` sorted by hole then from."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    ncol = 3 + len(values) + len(categories)
    cols = list(zip(*rows)) if rows else [()] * ncol
    vals = {n: np.array(cols[3 + i], dtype=float) for i, n in enumerate(values)}
    cats = {n: np.array(cols[3 + len(values) + i], dtype=object)
            for i, n in enumerate(categories)}
    return Intervals(name, np.array(cols[0], dtype=object), np.array(cols[1], dtype=float),
                     np.array(cols[2], dtype=float), vals, cats)


def make_data(collars: Collars, surveys: Surveys | None = None,
              intervals: Sequence[Intervals] = ()) -> DrillholeData:
    return DrillholeData(collars, surveys if surveys is not None else make_surveys([]),
                         tuple(intervals))


def copper_creek_curved() -> tuple[Collars, Surveys]:
    """The five curved Copper Creek holes of ``tests/data/copper_creek_curved``."""
    folder = DATA / "copper_creek_curved"
    c = pd.read_csv(folder / "collar.csv", encoding="utf-8-sig")
    s = pd.read_csv(folder / "survey.csv", encoding="utf-8-sig")
    collars = make_collars({h: (x, y, z) for h, x, y, z in
                            c[["hole_ID", "x", "y", "z"]].itertuples(index=False)})
    surveys = make_surveys(list(s[["hole_ID", "depth", "azimuth", "dip"]]
                                .itertuples(index=False, name=None)))
    return collars, surveys
