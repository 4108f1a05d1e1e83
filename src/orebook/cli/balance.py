"""``orebook balance init|import|estimate|approve|move|close-year|reconcile``."""

from __future__ import annotations
