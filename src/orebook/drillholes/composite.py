"""Downhole compositing to a fixed length, by domain, length-weighted.

Each hole is cut into runs: the stretch from its first to its last sample, split at domain
boundaries when a domain table is given (stretches outside every domain interval form runs of
domain ""). Each run is cut into composites of ``length_m`` from its top; the residual at the
bottom of a run is handled by the ``residual`` rule:

- ``keep``: the short last composite is kept as it is;
- ``merge``: it is added to the composite above it (which becomes longer than ``length_m``);
- ``drop``: it is dropped when shorter than ``min_coverage × length_m``, else kept.

A composite's value is the length-weighted mean of the samples inside it. Unsampled stretches
(gaps, missing values) are either left out of the mean (``unsampled="missing"``, and composites
with no sample at all are not written) or counted as zero grade (``unsampled="zero"``).
With ``keep`` or ``merge``, Σ value × sampled length over the composites equals Σ value × length
over the samples, per hole and domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

from .desurvey import Trajectories
from .types import DrillholeData, Intervals

__all__ = ["Composites", "composite", "RESIDUAL_RULES", "UNSAMPLED_RULES"]

RESIDUAL_RULES = ("keep", "merge", "drop")
UNSAMPLED_RULES = ("missing", "zero")
_TOL_M = 1e-6


@dataclass(frozen=True)
class Composites:
    """Composited samples: mid-point x, y, z in metres, values by variable.

    ``coverage[name]`` is the sampled length (m) behind each value of ``values[name]``.
    """

    hole: np.ndarray
    from_m: np.ndarray
    to_m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    domain: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    coverage: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.hole)

    @property
    def length_m(self) -> np.ndarray:
        return self.to_m - self.from_m

    def to_frame(self) -> pd.DataFrame:
        """``hole,from,to,length,x,y,z,domain`` and one column per value."""
        cols = {"hole": self.hole, "from": self.from_m, "to": self.to_m,
                "length": self.length_m, "x": self.x, "y": self.y, "z": self.z,
                "domain": self.domain}
        return pd.DataFrame({**cols, **self.values})

    def subset(self, keep: np.ndarray) -> Composites:
        """The composites where the boolean ``keep`` is True."""
        return Composites(self.hole[keep], self.from_m[keep], self.to_m[keep], self.x[keep],
                          self.y[keep], self.z[keep], self.domain[keep],
                          {k: v[keep] for k, v in self.values.items()},
                          {k: v[keep] for k, v in self.coverage.items()})

    def replace_values(self, values: dict[str, np.ndarray]) -> Composites:
        """A copy with other values (same composites)."""
        return Composites(self.hole, self.from_m, self.to_m, self.x, self.y, self.z, self.domain,
                          values, self.coverage)


def _runs(extent: pd.DataFrame, domains: Intervals | None, column: str | None) -> pd.DataFrame:
    """Runs (hole, start, end, domain) covering each hole's sampled extent."""
    if domains is None:
        return extent.assign(domain="")
    code = _domain_codes(domains, column)
    dom = pd.DataFrame({"hole": domains.hole, "start": domains.from_m, "end": domains.to_m,
                        "domain": code})
    dom = dom[dom["domain"] != ""]
    ext = extent.set_index("hole")
    rows = []
    for hole, g in dom.groupby("hole", sort=False):
        if hole not in ext.index:
            continue
        lo, hi = ext.at[hole, "start"], ext.at[hole, "end"]
        pos = lo
        # merge touching intervals of the same code, then fill the holes between with ""
        merged: list[list] = []
        for s, e, d in zip(g["start"], g["end"], g["domain"]):
            if merged and merged[-1][2] == d and abs(merged[-1][1] - s) <= _TOL_M:
                merged[-1][1] = e
            else:
                merged.append([s, e, d])
        for s, e, d in merged:
            s, e = max(s, lo), min(e, hi)
            if e - s <= _TOL_M:
                continue
            if s - pos > _TOL_M:
                rows.append((hole, pos, s, ""))
            # a gap of at most _TOL_M above the run is taken into it, not lost
            rows.append((hole, s if s - pos > _TOL_M else pos, e, d))
            pos = max(pos, e)
        if hi - pos > _TOL_M:
            rows.append((hole, pos, hi, ""))
        elif rows and rows[-1][0] == hole and rows[-1][2] < hi:  # same at the bottom
            rows[-1] = (hole, rows[-1][1], hi, rows[-1][3])
    seen = set(dom["hole"])
    for hole, lo, hi in extent.itertuples(index=False):
        if hole not in seen:
            rows.append((hole, lo, hi, ""))
    return pd.DataFrame(rows, columns=["hole", "start", "end", "domain"])


def _domain_codes(domains: Intervals, column: str | None) -> np.ndarray:
    if column is None:
        names = list(domains.categories) + list(domains.values)
        if len(names) != 1:
            raise ParameterError(f"say which column of {domains.file or domains.name} holds the "
                                 f"domain (--domain-column); columns: {', '.join(names)}")
        column = names[0]
    if column in domains.categories:
        return np.asarray(domains.categories[column], dtype=object)
    if column in domains.values:
        v = domains.values[column]
        return np.array(["" if np.isnan(x) else f"{x:g}" for x in v], dtype=object)
    raise ParameterError(f"domain column {column!r} is not in {domains.file or domains.name}; "
                         f"columns: {', '.join(list(domains.categories) + list(domains.values))}")


def _cut(runs: pd.DataFrame, length_m: float, residual: str, min_coverage: float):
    start, end = runs["start"].to_numpy(float), runs["end"].to_numpy(float)
    span = end - start
    nfull = np.floor((span + _TOL_M) / length_m).astype(np.int64)
    rest = span - nfull * length_m
    has_rest = rest > _TOL_M
    if residual == "keep":
        ncomp, stretch = nfull + has_rest, has_rest
    elif residual == "merge":
        ncomp = np.maximum(nfull, has_rest.astype(np.int64))
        stretch = has_rest
    else:  # drop
        kept = has_rest & (rest >= min_coverage * length_m - _TOL_M)
        ncomp, stretch = nfull + kept, kept
    run = np.repeat(np.arange(len(runs)), ncomp)
    first = np.cumsum(ncomp) - ncomp
    i = np.arange(len(run)) - np.repeat(first, ncomp)
    frm = start[run] + i * length_m
    to = start[run] + (i + 1) * length_m
    last = np.cumsum(ncomp)[ncomp > 0] - 1
    # the last composite of a run ends at the run's end, unless a residual was dropped
    # (without a residual, end and start + nfull × length differ by at most _TOL_M)
    to[last] = np.where((stretch | ~has_rest)[ncomp > 0], end[ncomp > 0], to[last])
    to = np.minimum(to, end[run]) if residual != "merge" else to
    return run, frm, to


def _integral(code: np.ndarray, start: np.ndarray, end: np.ndarray, value: np.ndarray,
              qcode: np.ndarray, qdepth: np.ndarray) -> np.ndarray:
    """∫ value from the top of each hole down to ``qdepth`` (value × metres).

    Intervals are sorted by (code, start) and do not overlap; NaN values count as 0.
    """
    v = np.where(np.isnan(value), 0.0, value)
    piece = v * (end - start)
    cum = np.cumsum(piece) - piece  # sum of the pieces before each interval (global)
    span = max(float(end.max(initial=0.0)), float(qdepth.max(initial=0.0))) * 2 + 10
    k = np.searchsorted(code * span + start, qcode * span + qdepth, side="right") - 1
    valid = (k >= 0) & (code[np.maximum(k, 0)] == qcode)
    kk = np.maximum(k, 0)
    inside = np.clip(qdepth - start[kk], 0.0, end[kk] - start[kk]) * v[kk]
    # pieces before the first interval of the hole belong to other holes: subtract them
    hole_first = np.searchsorted(code, qcode, side="left")
    base = cum[np.minimum(hole_first, len(cum) - 1)] if len(cum) else np.zeros(len(qcode))
    return np.where(valid, cum[kk] + inside - base, 0.0)


def _add_value(values: dict, coverage: dict, key: str, tcode: np.ndarray, tfrom: np.ndarray,
               tto: np.ndarray, v: np.ndarray, qcode: np.ndarray, frm: np.ndarray,
               to: np.ndarray, unsampled: str) -> None:
    """Composite one variable: length-weighted mean and sampled length per composite."""
    metal = _integral(tcode, tfrom, tto, v, qcode, to) - _integral(tcode, tfrom, tto, v, qcode,
                                                                    frm)
    sampled = np.where(np.isnan(v), 0.0, 1.0)
    cov = (_integral(tcode, tfrom, tto, sampled, qcode, to)
           - _integral(tcode, tfrom, tto, sampled, qcode, frm))
    cov = np.maximum(cov, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if unsampled == "missing":
            values[key] = np.where(cov > _TOL_M, metal / cov, np.nan)
        else:
            values[key] = metal / (to - frm)
            cov = to - frm
    coverage[key] = cov


def composite(
    data: DrillholeData,
    length_m: float,
    *,
    tables: Sequence[Intervals] | None = None,
    domains: Intervals | None = None,
    domain_column: str | None = None,
    residual: str = "keep",
    min_coverage: float = 0.5,
    unsampled: str = "missing",
    method: str = "mincurv",
    trajectories: Trajectories | None = None,
) -> Composites:
    """Composite the numeric columns of ``tables`` (default: every interval table of ``data``).

    Parameters
    ----------
    length_m : composite length, metres (> 0).
    domains, domain_column : an interval table and its column of domain codes; composites break
        at every change of code.
    residual : "keep", "merge" or "drop" (see the module docstring); ``min_coverage`` is the
        fraction of ``length_m`` a residual needs to be kept under "drop".
    unsampled : "missing" or "zero": how unsampled stretches count in a composite's mean.
    method : desurvey method for the mid-point positions (or pass ``trajectories``).
    """
    if not np.isfinite(length_m) or length_m <= 0:
        raise ParameterError(f"composite length must be a positive number of metres, "
                             f"got {length_m}")
    if residual not in RESIDUAL_RULES:
        raise ParameterError(f"residual must be one of {', '.join(RESIDUAL_RULES)}, "
                             f"got {residual!r}")
    if unsampled not in UNSAMPLED_RULES:
        raise ParameterError(f"unsampled must be one of {', '.join(UNSAMPLED_RULES)}, "
                             f"got {unsampled!r}")
    if not 0 <= min_coverage <= 1:
        raise ParameterError(f"min_coverage is a fraction in [0, 1], got {min_coverage}")
    if tables is None:
        tables = [t for t in data.intervals if t is not domains]
    tables = [t for t in tables if t.values]
    if not tables:
        raise ParameterError("no interval table with numeric values to composite")
    holes = np.concatenate([t.hole for t in tables])
    ext = pd.DataFrame({"hole": holes,
                        "start": np.concatenate([t.from_m for t in tables]),
                        "end": np.concatenate([t.to_m for t in tables])})
    ext = ext.groupby("hole", sort=True).agg(start=("start", "min"), end=("end", "max"))
    runs = _runs(ext.reset_index(), domains, domain_column)
    runs = runs.sort_values(["hole", "start"], kind="stable").reset_index(drop=True)
    run, frm, to = _cut(runs, float(length_m), residual, min_coverage)
    chole = runs["hole"].to_numpy(object)[run]
    cdomain = runs["domain"].to_numpy(object)[run]
    index = pd.Index(ext.index)
    qcode = index.get_indexer(chole)
    values: dict[str, np.ndarray] = {}
    coverage: dict[str, np.ndarray] = {}
    for t in tables:
        # _integral needs the rows in the order of the codes (sorted hole ids), then depth
        tcode = index.get_indexer(t.hole)
        o = np.lexsort((t.from_m, tcode))
        tcode, tfrom, tto = tcode[o], t.from_m[o], t.to_m[o]
        for name, v in t.values.items():
            _add_value(values, coverage, f"{t.name}.{name}" if name in values else name,
                       tcode, tfrom, tto, v[o], qcode, frm, to, unsampled)
    if unsampled == "missing" and values:
        anything = np.zeros(len(run), dtype=bool)
        for c in coverage.values():
            anything |= c > _TOL_M
        sel = anything
    else:
        sel = np.ones(len(run), dtype=bool)
    traj = trajectories or Trajectories.build(data.collars, data.surveys, method)
    mid = (frm[sel] + to[sel]) / 2
    xyz = traj.locate(chole[sel], mid)
    return Composites(chole[sel], frm[sel], to[sel], xyz[:, 0], xyz[:, 1], xyz[:, 2],
                      cdomain[sel], {k: v[sel] for k, v in values.items()},
                      {k: c[sel] for k, c in coverage.items()})
