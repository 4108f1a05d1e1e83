"""A block model's resources at the balance's cut-offs as an estimate record (the file the
balance registry imports: ``orebook.io.estimate_record``).

The rule for the group (documented in ``docs/resources.md``):

- **balance**: blocks with grade ≥ ``cutoff`` (the balance cut-off of the approved
  conditions);
- **off-balance**: blocks with ``lower_cutoff`` ≤ grade < ``cutoff``, only when a lower
  (off-balance) cut-off is given;
- blocks below the lowest cut-off, unestimated blocks, and blocks whose state category is not
  a balance category (empty, P1–P3) are not in the record.

Domains are summed: one line per commodity × category × group, with ore (t) = Σ tonnes,
metal = Σ tonnes × grade × ``metal_factor`` and grade = Σ tonnes × grade / Σ tonnes (exact
values, not the statement's rounded ones). Lines with no ore are left out.

The parameters hash is ``"sha256:"`` + the SHA-256 of the parameters as canonical JSON (keys
sorted, no spaces, UTF-8), the parameters including the SHA-256 of every input file: the same
inputs and options give the same hash, and any change gives another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from orebook.errors import ParameterError
from orebook.io.estimate_record import CATEGORIES, EstimateRecord, RecordLine
from orebook.units import metal_factor

from .tonnage import BlockTonnage, check_grades

__all__ = ["METHOD_NAMES", "estimate_record", "estimation_method", "parameters_hash"]

METHOD_NAMES = {"ok": "ordinary kriging", "sk": "simple kriging",
                "idw": "inverse distance weighting", "nn": "nearest neighbour"}
"""How the methods of ``orebook.estimate.run`` are named in a record."""

_CRIRSCO = ("Measured", "Indicated", "Inferred", "Proved", "Probable")


def parameters_hash(parameters: Mapping[str, Any]) -> str:
    """``"sha256:"`` + SHA-256 of ``parameters`` as canonical JSON.

    >>> parameters_hash({"b": 1, "a": [0.5, "x"]}) == parameters_hash({"a": [0.5, "x"], "b": 1})
    True
    >>> parameters_hash({"a": 1}) == "sha256:" + hashlib.sha256(b'{"a":1}').hexdigest()
    True
    """
    try:
        text = json.dumps(parameters, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"parameters cannot be hashed as JSON: {exc}") from None
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def estimation_method(model, variable: str) -> str | None:
    """The method of the latest run that wrote ``variable`` (``"ordinary kriging"`` …), from
    the model's run records; None when no record says."""
    for run in reversed(getattr(model, "runs", [])):
        if variable in run.get("columns", []):
            m = (run.get("parameters") or {}).get("method")
            if isinstance(m, str) and m:
                return METHOD_NAMES.get(m, m)
    return None


def estimate_record(blocks: BlockTonnage, *, cutoff: float, deposit: str, commodity: str,
                    effective_date: dt.date | str, method: str,
                    lower_cutoff: float | None = None, grade_unit: str = "g/t",
                    metal_unit: str = "kg", parameters: Mapping[str, Any] | None = None,
                    author: str | None = None, document: str | None = None
                    ) -> EstimateRecord:
    """The estimate record of ``blocks`` (grouped by state category as ``"class"``).

    Parameters
    ----------
    blocks : from :func:`~orebook.resources.tonnage.block_tonnage` with the state category
        column (A, B, C1, C2) as the class column.
    cutoff : the balance cut-off (grade ≥ cut-off is balance), in ``grade_unit``.
    lower_cutoff : the off-balance cut-off (< ``cutoff``); None: no off-balance lines.
    effective_date : ISO date or date; method : e.g. ``"ordinary kriging"``.
    parameters : what produced the figures (options, input files' SHA-256); hashed with the
        cut-offs, units and the tonnage parameters into ``parameters_hash``.

    Raises
    ------
    ParameterError : no class column, CRIRSCO classes instead of state categories, a lower
        cut-off not below the cut-off, a bad date, nothing above the cut-offs.
    """
    for name, v in (("cutoff", cutoff), ("lower_cutoff", lower_cutoff)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.floating))
                              or not math.isfinite(v)):
            raise ParameterError(f"{name}: expected a finite number, got {v!r}")
    if lower_cutoff is not None and not lower_cutoff < cutoff:
        raise ParameterError(f"the off-balance cut-off ({lower_cutoff:g}) must be below the "
                             f"balance cut-off ({cutoff:g})")
    if isinstance(effective_date, str):
        try:
            effective_date = dt.date.fromisoformat(effective_date.strip())
        except ValueError:
            raise ParameterError(f"effective date: expected YYYY-MM-DD, got "
                                 f"{effective_date!r}") from None
    if not isinstance(effective_date, dt.date):
        raise ParameterError(f"effective date: expected a date, got {effective_date!r}")
    for name, v in (("deposit", deposit), ("commodity", commodity), ("method", method)):
        if not isinstance(v, str) or not v.strip():
            raise ParameterError(f"{name}: required (a non-empty text)")
    if "class" not in blocks.groups:
        raise ParameterError("an estimate record needs the state category of each block: give "
                             "the class column (A, B, C1, C2), e.g. class_state")
    labels = blocks.labels["class"]
    crirsco = [lab for lab in labels if lab in _CRIRSCO]
    if crirsco:
        raise ParameterError(f"the class column holds CRIRSCO classes ({', '.join(crirsco)}); "
                             "the balance takes state categories A, B, C1, C2: give the state "
                             "category column (e.g. class_state)")
    factor = metal_factor(grade_unit, metal_unit)
    check_grades(blocks.grade, grade_unit)
    g, t, code = blocks.grade, blocks.tonnes, blocks.groups["class"]
    ok = np.isfinite(g)
    bands = [("balance", ok & (g >= cutoff))]
    if lower_cutoff is not None:
        bands.append(("off-balance", ok & (g >= lower_cutoff) & (g < cutoff)))
    lines = []
    for category in CATEGORIES:
        if category not in labels:
            continue
        mine = code == labels.index(category)
        for group, band in bands:
            sel = mine & band
            ore = math.fsum(t[sel].tolist())
            if not ore > 0:
                continue
            tg = math.fsum((t[sel] * g[sel]).tolist())
            lines.append(RecordLine(commodity.strip(), category, group, ore, tg / ore,
                                    tg * factor, "t", grade_unit, metal_unit))
    if not lines:
        raise ParameterError(f"no ore in a balance category (A, B, C1, C2) at grade ≥ "
                             f"{min(cutoff, lower_cutoff if lower_cutoff is not None else cutoff):g}"
                             f" {grade_unit}; categories in the model: {', '.join(labels)}")
    hashed = {"cutoff": float(cutoff), "lower_cutoff": lower_cutoff, "grade_unit": grade_unit,
              "metal_unit": metal_unit, "tonnage": dict(blocks.parameters),
              "commodity": commodity.strip(), "deposit": deposit.strip(),
              "effective_date": effective_date.isoformat(), "method": method.strip(),
              **dict(parameters or {})}
    return EstimateRecord(deposit.strip(), method.strip(), effective_date,
                          parameters_hash(hashed), tuple(lines), author, document)
