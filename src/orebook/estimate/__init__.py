"""Estimation: block grids and block models, neighbourhood search, kriging, IDW and nearest
neighbour (see ``docs/estimate.md``)."""

from .blockmodel import BlockModel
from .crossval import CrossValidation, cross_validate, crossval_statistics
from .grid import BlockGrid
from .kriging import (KrigingResult, block_discretisation, inverse_distance, nearest_neighbour,
                      ordinary_kriging, simple_kriging)
from .run import METHODS, EstimationRun, estimate_blocks
from .search import Neighbourhood, Neighbours, SearchParams

__all__ = [
    "METHODS", "BlockGrid", "BlockModel", "CrossValidation", "EstimationRun", "KrigingResult", "Neighbourhood",
    "Neighbours", "SearchParams", "block_discretisation", "cross_validate", "crossval_statistics", "estimate_blocks", "inverse_distance",
    "nearest_neighbour", "ordinary_kriging", "simple_kriging",
]
