"""Typed drill-hole tables: clean rows only, lengths in metres, dips negative downwards."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Collars", "Surveys", "Intervals", "DrillholeData"]


@dataclass(frozen=True)
class Collars:
    """Collars: one row per hole.

    hole : object array of str. x, y, z : float64, metres (east, north, elevation).
    depth_m : float64, the hole's length along the hole in metres, NaN where not given.
    line : int64, the 1-based line in ``file`` each row came from.
    """

    hole: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    depth_m: np.ndarray
    file: str = ""
    line: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.hole)


@dataclass(frozen=True)
class Surveys:
    """Downhole surveys sorted by hole and depth.

    depth_m : along the hole from the collar, metres. azimuth_deg : clockwise from grid north,
    [0, 360). dip_deg : degrees, negative downwards (−90 is vertical down).
    """

    hole: np.ndarray
    depth_m: np.ndarray
    azimuth_deg: np.ndarray
    dip_deg: np.ndarray
    file: str = ""
    line: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.hole)


@dataclass(frozen=True)
class Intervals:
    """One interval table (assays, lithology…) sorted by hole and from-depth, no overlaps.

    from_m, to_m : metres along the hole. values : numeric columns (float64, NaN = missing),
    below-detection values already replaced by the stated rule; ``below[name]`` marks them.
    categories : text columns (object arrays of str, "" = missing).
    """

    name: str
    hole: np.ndarray
    from_m: np.ndarray
    to_m: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    categories: dict[str, np.ndarray] = field(default_factory=dict)
    below: dict[str, np.ndarray] = field(default_factory=dict)
    file: str = ""
    line: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.hole)

    @property
    def length_m(self) -> np.ndarray:
        return self.to_m - self.from_m


@dataclass(frozen=True)
class DrillholeData:
    """Everything read for a set of holes, after validation (rows with errors left out)."""

    collars: Collars
    surveys: Surveys
    intervals: tuple[Intervals, ...]
    units: str = "m"
    dips_positive_down: bool = False

    @property
    def value_names(self) -> list[str]:
        """Numeric columns over all interval tables, in order of first appearance."""
        return list(dict.fromkeys(n for t in self.intervals for n in t.values))
