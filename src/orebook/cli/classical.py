"""``orebook classical blocks|sections|polygons|triangles``."""

from __future__ import annotations
