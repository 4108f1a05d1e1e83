"""``orebook balance report``."""

from __future__ import annotations
