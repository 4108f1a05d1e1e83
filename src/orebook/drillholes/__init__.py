"""Drill holes: read, validate, desurvey, composite and cap.

The public names of the stage; see ``docs/drillholes.md``.
"""

from .capping import CapRule, cap, parse_cap
from .composite import RESIDUAL_RULES, UNSAMPLED_RULES, Composites, composite
from .desurvey import METHODS, Trajectories, desurvey, direction
from .load import DEFAULT_MAX_DOGLEG, load_drillholes
from .points import hole_points
from .reading import BELOW_RULES, MISSING_CODES
from .report import REPORT_COLUMNS, Problem, Report
from .types import Collars, DrillholeData, Intervals, Surveys

__all__ = [
    "BELOW_RULES", "DEFAULT_MAX_DOGLEG", "METHODS", "MISSING_CODES", "REPORT_COLUMNS",
    "RESIDUAL_RULES", "UNSAMPLED_RULES", "CapRule", "Collars", "Composites", "DrillholeData",
    "Intervals", "Problem", "Report", "Surveys", "Trajectories", "cap", "composite", "desurvey",
    "direction", "hole_points", "load_drillholes", "parse_cap",
]
