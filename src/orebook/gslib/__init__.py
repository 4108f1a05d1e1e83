"""GSLIB compatibility: run unchanged GSLIB parameter files with orebook's implementations and
write the output files in GSLIB's own layout, so results can be compared line by line.

- :func:`run_declus` — cell declustering (``declus.par`` → summary and data + weights files).
- :func:`run_gamv` — experimental variograms (``gamv.par`` → gamv's output file).
"""

from .declus import declus_from_params, run_declus
from .gamv import GAMV_TYPES, gamv_from_params, run_gamv

__all__ = ["GAMV_TYPES", "declus_from_params", "gamv_from_params", "run_declus", "run_gamv"]
