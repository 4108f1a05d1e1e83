"""``orebook classify``."""

from __future__ import annotations
