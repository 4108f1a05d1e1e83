"""Unit conversions and constants (CONVENTIONS.md: metres, tonnes, g/t, %, ppm)."""

from __future__ import annotations

__all__ = [
    "FOOT_M",
    "GRADE_UNITS",
    "GRADE_UNIT_MAX",
    "METAL_UNITS",
    "TROY_OUNCE_G",
    "length_factor",
    "metal_factor",
]

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


GRADE_UNITS = {"g/t": 1.0e-6, "ppm": 1.0e-6, "ppb": 1.0e-9, "%": 1.0e-2}
"""Mass fraction per unit of grade: 1 g/t = 1 ppm = 1e-6 of the ore's mass."""

METAL_UNITS = {"t": 1.0, "kg": 1.0e-3, "g": 1.0e-6, "oz": TROY_OUNCE_G * 1.0e-6}
"""Tonnes per unit of contained metal (``oz`` is the troy ounce)."""


def metal_factor(grade_unit: str, metal_unit: str) -> float:
    """Metal (in ``metal_unit``) = ore (t) × grade (in ``grade_unit``) × this factor.

    >>> metal_factor("g/t", "kg")     # 1 t at 1 g/t holds 1 g = 0.001 kg
    0.001
    >>> metal_factor("%", "t")
    0.01
    """
    from orebook.errors import ParameterError

    if grade_unit not in GRADE_UNITS:
        raise ParameterError(f"grade unit must be one of {sorted(GRADE_UNITS)}, got {grade_unit!r}")
    if metal_unit not in METAL_UNITS:
        raise ParameterError(f"metal unit must be one of {sorted(METAL_UNITS)}, got {metal_unit!r}")
    return GRADE_UNITS[grade_unit] / METAL_UNITS[metal_unit]
