"""GSLIB compatibility: run unchanged GSLIB parameter files with orebook's implementations and
write the output files in GSLIB's own layout, so results can be compared line by line.

- :func:`run_declus` — cell declustering (``declus.par`` → summary and data + weights files).
- :func:`run_gamv` — experimental variograms (``gamv.par`` → gamv's output file).
- :func:`run_kt3d`, :func:`run_kb2d` — kriging (grid and cross-validation modes, SK and OK,
  block discretisation, octants; drift options refused with the line named).
"""

from .declus import declus_from_params, run_declus
from .gamv import GAMV_TYPES, gamv_from_params, run_gamv
from .kriging import kb2d_from_params, kt3d_from_params, run_kb2d, run_kt3d

__all__ = ["GAMV_TYPES", "declus_from_params", "gamv_from_params", "kb2d_from_params",
           "kt3d_from_params", "run_declus", "run_gamv", "run_kb2d", "run_kt3d"]
