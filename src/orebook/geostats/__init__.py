"""Geostatistics: statistics, declustering, experimental variograms, variogram models.

See ``docs/geostats.md``. Conventions are GSLIB's (``docs/conventions.md``).
"""

from .models import KINDS, POWER_CMAX, Structure, VariogramModel, rotation_matrix
from .statistics import summary_statistics

__all__ = ["KINDS", "POWER_CMAX", "Structure", "VariogramModel", "rotation_matrix",
           "summary_statistics"]
