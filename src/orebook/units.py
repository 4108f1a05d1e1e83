"""Unit conversions and constants (CONVENTIONS.md: metres, tonnes, g/t, %, ppm)."""

from __future__ import annotations

__all__ = ["FOOT_M", "TROY_OUNCE_G", "length_factor", "GRADE_UNIT_MAX"]

FOOT_M = 0.3048
"""One international foot in metres."""

TROY_OUNCE_G = 31.1034768
"""One troy ounce in grams."""

GRADE_UNIT_MAX = {"pct": 100.0, "ppm": 1.0e6, "gpt": 1.0e6, "ppb": 1.0e9}
"""Largest physically possible grade for a column whose name ends in ``_<unit>``."""


def length_factor(units: str) -> float:
    """Metres per unit of length for ``units`` in {"m", "ft"}."""
    if units == "m":
        return 1.0
    if units == "ft":
        return FOOT_M
    from orebook.errors import ParameterError

    raise ParameterError(f"units must be 'm' or 'ft', got {units!r}")
