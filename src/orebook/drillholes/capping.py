"""Top-cutting (capping) of grades per variable and domain, with the metal it removes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.numerics import weighted_quantile

from .composite import Composites

__all__ = ["CapRule", "parse_cap", "cap"]

_RULE = re.compile(r"^\s*(?P<var>[^:=]+?)\s*(?::\s*(?P<dom>[^=]*?)\s*)?=\s*(?P<p>[pP])?"
                   r"(?P<val>[-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class CapRule:
    """Cap ``variable`` at ``value`` in ``domain`` (None = every domain).

    With ``percentile`` true, ``value`` is a percentile (0–100) of the variable's composites in
    that domain, weighted by sampled length.
    """

    variable: str
    value: float
    domain: str | None = None
    percentile: bool = False


def parse_cap(text: str) -> CapRule:
    """Read ``VAR=VALUE``, ``VAR:DOMAIN=VALUE`` or ``VAR=pNN`` (a percentile), e.g. ``Cu_pct=p99``."""
    m = _RULE.match(text.strip())
    if not m:
        raise ParameterError(f"cap {text!r} is not VAR=VALUE, VAR:DOMAIN=VALUE or VAR=pNN")
    try:
        value = float(m["val"])
    except ValueError:
        raise ParameterError(f"cap {text!r}: {m['val']!r} is not a number") from None
    pct = m["p"] is not None
    if pct and not 0 < value <= 100:
        raise ParameterError(f"cap {text!r}: a percentile is between 0 and 100")
    if not pct and not value >= 0:
        raise ParameterError(f"cap {text!r}: a cap is a grade >= 0")
    return CapRule(m["var"].strip(), value, m["dom"] if m["dom"] is not None else None, pct)


def cap(comps: Composites, rules: Iterable[CapRule]) -> tuple[Composites, pd.DataFrame]:
    """Apply caps; a domain-specific rule wins over an all-domain rule for that domain.

    Returns the capped composites and a table per variable and domain: ``cap``, ``samples``,
    ``capped`` (count cut), ``metal`` and ``metal_removed`` (grade × sampled length, in the
    grade's unit × m), ``removed_pct``.
    """
    rules = list(rules)
    values = dict(comps.values)
    rows = []
    for var in dict.fromkeys(r.variable for r in rules):
        if var not in values:
            raise ParameterError(f"cap names {var!r}, which is not a composited value; "
                                 f"values: {', '.join(values)}")
        v = values[var].copy()
        w = comps.coverage.get(var, comps.length_m)
        mine = [r for r in rules if r.variable == var]
        general = [r for r in mine if r.domain is None]
        specific = {r.domain: r for r in mine if r.domain is not None}
        domains = list(dict.fromkeys(comps.domain.tolist()))
        for d in specific:
            if d not in domains:
                raise ParameterError(f"cap for {var!r} names domain {d!r}, which has no "
                                     f"composites; domains: {', '.join(map(repr, domains))}")
        for d in domains:
            rule = specific.get(d) or (general[-1] if general else None)
            if rule is None:
                continue
            sel = (comps.domain == d) & ~np.isnan(v)
            if not sel.any():
                continue
            limit = (float(weighted_quantile(v[sel], w[sel], rule.value / 100)) if rule.percentile
                     else rule.value)
            over = sel & (v > limit)
            metal = float((v[sel] * w[sel]).sum())
            removed = float(((v[over] - limit) * w[over]).sum())
            v[over] = limit
            rows.append({"variable": var, "domain": d, "cap": limit,
                         "samples": int(sel.sum()), "capped": int(over.sum()),
                         "metal": metal, "metal_removed": removed,
                         "removed_pct": 100 * removed / metal if metal > 0 else 0.0})
        values[var] = v
    table = pd.DataFrame(rows, columns=["variable", "domain", "cap", "samples", "capped",
                                        "metal", "metal_removed", "removed_pct"])
    return comps.replace_values(values), table
