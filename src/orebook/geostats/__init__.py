"""Geostatistics: statistics, declustering, experimental variograms, variogram models.

See ``docs/geostats.md``. Conventions are GSLIB's (``docs/conventions.md``).
"""

from .conversions import (from_gstat, from_gstools, from_pykrige, to_gstat, to_gstools,
                          to_gstools_model, to_pykrige)
from .declustering import DeclusterResult, cell_declustering, polygonal_weights
from .experimental import (OMNI, VARIOGRAM_TYPES, Direction, ExperimentalVariogram, Lags,
                           downhole_variogram, experimental_variogram, variogram_map,
                           read_variograms, variograms_from_frame, variograms_to_frame)
from .fitting import WEIGHTS, FitResult, FitTarget, auto_start, fit_model
from .model_io import load_model, save_model
from .models import KINDS, POWER_CMAX, Structure, VariogramModel, rotation_matrix
from .statistics import summary_statistics

__all__ = [
    "KINDS", "OMNI", "POWER_CMAX", "VARIOGRAM_TYPES", "WEIGHTS", "DeclusterResult",
    "Direction", "ExperimentalVariogram", "FitResult", "FitTarget", "Lags", "Structure",
    "VariogramModel", "auto_start", "cell_declustering", "downhole_variogram",
    "experimental_variogram", "fit_model", "from_gstat", "from_gstools", "from_pykrige",
    "load_model", "polygonal_weights", "rotation_matrix", "save_model", "summary_statistics",
    "to_gstat", "to_gstools", "to_gstools_model", "to_pykrige", "variogram_map",
    "read_variograms", "variograms_from_frame", "variograms_to_frame",
]
