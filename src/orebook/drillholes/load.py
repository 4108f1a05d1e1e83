"""Load a set of drill-hole files: read each, check across tables, return clean typed data.

Checks here need more than one row: duplicates, holes with no collar, overlaps and gaps,
depths past the end of the hole, surveys that start below the collar, survey kinks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .desurvey import direction
from .reading import (BELOW_RULE_TEXT, MISSING_CODES, RowTable, read_collars, read_intervals,
                      read_surveys)
from .report import Report
from .types import Collars, DrillholeData, Intervals, Surveys

__all__ = ["load_drillholes", "DEFAULT_MAX_DOGLEG"]

DEFAULT_MAX_DOGLEG = 10.0
"""Dog-leg severity above which a survey kink is reported, degrees per 30 m."""

_TOL_M = 1e-6


def load_drillholes(
    collars: str | Path,
    surveys: str | Path | None = None,
    intervals: Sequence[str | Path] = (),
    *,
    units: str = "m",
    dip_down: str = "auto",
    column_map: Mapping[str, str] | None = None,
    below_rule: str = "half",
    max_dogleg: float = DEFAULT_MAX_DOGLEG,
) -> tuple[DrillholeData, Report]:
    """Read and validate collars, surveys and interval tables.

    Parameters
    ----------
    collars, surveys, intervals : CSV or XLSX files. ``surveys`` may be None (all holes vertical).
    units : "m" or "ft" for every length and coordinate in the files.
    dip_down : "auto", "negative" or "positive": which dip sign means downwards in the files.
    column_map : role → column name (roles: hole, x, y, z, max_depth, at, azimuth, dip, from, to).
    below_rule : replacement of below-detection values: half (default), limit, zero, missing.
    max_dogleg : dog-leg severity (degrees per 30 m) above which a kink is reported.

    Returns
    -------
    The data with every row that has an error left out, and the report of all problems.
    """
    report = Report()
    c = read_collars(collars, report, units=units, column_map=column_map)
    s = None
    positive = False
    if surveys is not None:
        s, positive = read_surveys(surveys, report, units=units, dip_down=dip_down,
                                   column_map=column_map)
    tables = [read_intervals(p, report, units=units, column_map=column_map,
                             below_rule=below_rule) for p in intervals]

    col = _check_collars(c, report)
    known = set(col.hole.tolist())
    depth_of = dict(zip(col.hole.tolist(), col.depth_m.tolist()))
    sv = _check_surveys(s, known, depth_of, max_dogleg, report)
    names_seen: dict[str, int] = {}
    ivs = []
    for t in tables:
        iv = _check_intervals(t, known, depth_of, report, below_rule)
        k = names_seen.get(iv.name, 0)
        names_seen[iv.name] = k + 1
        if k:
            iv = Intervals(**{**iv.__dict__, "name": f"{iv.name}_{k + 1}"})
        ivs.append(iv)

    with_data = set().union(*(set(iv.hole.tolist()) for iv in ivs)) if ivs else set()
    with_survey = set(sv.hole.tolist())
    for h, line in zip(col.hole.tolist(), col.line.tolist()):
        if ivs and h not in with_data:
            report.add(col.file, line, c.names["hole"], h, "warning", "collar_without_data",
                       "collar has no intervals in any table")
        if h not in with_survey:
            report.add(col.file, line, c.names["hole"], h, "warning", "no_survey",
                       "hole has no survey; taken as vertical (dip −90°)")

    if len(col) == 0:
        report.fatal.append(f"{c.file}: no usable collar")
    if tables and not any(len(iv) for iv in ivs):
        report.fatal.append("no usable interval in any interval table")
    for t, n in [(c, len(col)), (s, len(sv))] + list(zip(tables, map(len, ivs))):
        if t is not None:
            report.rows_used[t.file] = n
    data = DrillholeData(col, sv, tuple(ivs), units=units, dips_positive_down=positive)
    return data, report


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _order(hole: np.ndarray, depth: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Indices of kept rows sorted by hole id then depth (stable: file order breaks ties)."""
    idx = np.flatnonzero(keep)
    codes, _ = pd.factorize(hole[idx], sort=True)
    return idx[np.lexsort((depth[idx], codes))]


def _check_collars(c: RowTable, report: Report) -> Collars:
    hole, x, y, z = (c.columns[k] for k in ("hole", "x", "y", "z"))
    first: dict[str, int] = {}
    for i in np.flatnonzero(c.keep):
        h = hole[i]
        j = first.setdefault(h, i)
        if j == i:
            continue
        same = x[i] == x[j] and y[i] == y[j] and z[i] == z[j]
        if same:
            report.add(c.file, c.line[i], c.names["hole"], h, "warning", "duplicate_collar",
                       f"collar repeated (same as line {c.line[j]}); repeat ignored")
        else:
            report.add(c.file, c.line[i], c.names["hole"], h, "error", "duplicate_collar",
                       f"second collar for the hole, at other coordinates than line {c.line[j]}; "
                       "the first is kept")
        c.keep[i] = False
    idx = np.flatnonzero(c.keep)
    return Collars(hole[idx], x[idx], y[idx], z[idx], c.columns["depth_m"][idx], c.file,
                   c.line[idx])


def _orphans(t: RowTable, known: set[str], report: Report, what: str) -> None:
    hole = t.columns["hole"]
    missing = t.keep & ~pd.Series(hole).isin(known).to_numpy()
    for i in np.flatnonzero(missing):
        report.add(t.file, t.line[i], t.names["hole"], hole[i], "error", "no_collar",
                   f"{what} for a hole with no collar; not used")
    t.keep &= ~missing


def _check_surveys(s: RowTable | None, known: set[str], depth_of: dict[str, float],
                   max_dogleg: float, report: Report) -> Surveys:
    if s is None:
        e = np.empty(0)
        return Surveys(np.empty(0, object), e, e, e)
    _orphans(s, known, report, "survey")
    hole, depth = s.columns["hole"], s.columns["depth_m"]
    az, dip = s.columns["azimuth_deg"], s.columns["dip_deg"]
    order = _order(hole, depth, s.keep)
    dcol = s.names["at"]
    # repeated depths: the first is kept
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (hole[order[1:]] == hole[order[:-1]]) & (depth[order[1:]] == depth[order[:-1]])
    j = -1
    for k in np.flatnonzero(same):
        i = order[k]
        if not same[k - 1]:
            j = order[k - 1]  # the first survey at this depth
        identical = az[i] == az[j] and dip[i] == dip[j]
        report.add(s.file, s.line[i], dcol, hole[i], "warning" if identical else "error",
                   "duplicate_survey",
                   f"second survey at {depth[i]:g} m (first on line {s.line[j]})"
                   + ("; repeat ignored" if identical else ", with another orientation; not used"))
        s.keep[i] = False
    order = order[~same]
    h, d = hole[order], depth[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = h[1:] != h[:-1]
    for k in np.flatnonzero(start & (d > 0)):
        i = order[k]
        report.add(s.file, s.line[i], dcol, hole[i], "warning", "survey_starts_below_collar",
                   f"first survey is at {depth[i]:g} m, below the collar; its orientation is "
                   "used up to the collar")
    hole_depth = np.array([depth_of.get(x, np.nan) for x in h], dtype=float)
    for k in np.flatnonzero(d > hole_depth + _TOL_M):
        i = order[k]
        report.add(s.file, s.line[i], dcol, hole[i], "warning", "survey_past_hole_depth",
                   f"survey at {depth[i]:g} m is past the hole depth {hole_depth[k]:g} m")
    if len(order) > 1:
        u = direction(az[order], dip[order])
        cosb = np.clip((u[1:] * u[:-1]).sum(axis=1), -1.0, 1.0)
        beta = np.degrees(np.arccos(cosb))
        dmd = np.diff(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            dls = beta * 30.0 / dmd
        kink = ~start[1:] & (dls > max_dogleg)
        for k in np.flatnonzero(kink) + 1:
            i = order[k]
            report.add(s.file, s.line[i], s.names["azimuth"], hole[i], "warning", "dogleg",
                       f"survey kink of {beta[k - 1]:.1f}° over {dmd[k - 1]:g} m from "
                       f"{d[k - 1]:g} m (dog-leg severity {dls[k - 1]:.1f}°/30 m, "
                       f"threshold {max_dogleg:g}°/30 m)")
    return Surveys(hole[order], depth[order], az[order], dip[order], s.file, s.line[order])


def _check_intervals(t: RowTable, known: set[str], depth_of: dict[str, float],
                     report: Report, below_rule: str) -> Intervals:
    _orphans(t, known, report, "interval")
    hole, frm, to = t.columns["hole"], t.columns["from_m"], t.columns["to_m"]
    fcol, tcol = t.names["from"], t.names["to"]
    order = _order(hole, frm, t.keep)
    # overlaps (exact duplicates included): sequential within each hole, the earlier row wins
    h = hole[order]
    newhole = np.ones(len(order), dtype=bool)
    newhole[1:] = h[1:] != h[:-1]
    codes = np.cumsum(newhole) - 1
    prev_max = np.empty(len(order))
    if len(order):
        prev_max[1:] = pd.Series(to[order]).groupby(codes).cummax().to_numpy()[:-1]
    prev_max[newhole] = -np.inf
    suspects = np.flatnonzero(frm[order] < prev_max - _TOL_M)
    dropped = np.zeros(len(order), dtype=bool)
    # walk only the holes that have suspects
    bounds = np.flatnonzero(newhole).tolist() + [len(order)]
    for hk in np.unique(codes[suspects]):
        lo, hi = bounds[hk], bounds[hk + 1]
        last = lo
        for k in range(lo + 1, hi):
            i, j = order[k], order[last]
            if frm[i] < to[j] - _TOL_M:
                dup = frm[i] == frm[j] and to[i] == to[j]
                report.add(t.file, t.line[i], fcol, hole[i], "error",
                           "duplicate_interval" if dup else "overlap",
                           (f"interval {frm[i]:g}–{to[i]:g} m repeats line {t.line[j]}"
                            if dup else
                            f"interval {frm[i]:g}–{to[i]:g} m overlaps {frm[j]:g}–{to[j]:g} m "
                            f"(line {t.line[j]}) by {min(to[i], to[j]) - frm[i]:g} m")
                           + "; not used")
                dropped[k] = True
            else:
                last = k
    t.keep[order[dropped]] = False
    order = order[~dropped]
    h, f, e = hole[order], frm[order], to[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = h[1:] == h[:-1]
    gap = np.zeros(len(order), dtype=bool)
    gap[1:] = same[1:] & (f[1:] > e[:-1] + _TOL_M)
    for k in np.flatnonzero(gap):
        i = order[k]
        report.add(t.file, t.line[i], fcol, hole[i], "warning", "gap",
                   f"no interval between {e[k - 1]:g} and {f[k]:g} m ({f[k] - e[k - 1]:.3g} m)")
    hole_depth = np.array([depth_of.get(x, np.nan) for x in h], dtype=float)
    for k in np.flatnonzero(e > hole_depth + _TOL_M):
        i = order[k]
        report.add(t.file, t.line[i], tcol, hole[i], "warning", "past_hole_depth",
                   f"interval ends at {e[k]:g} m, past the hole depth {hole_depth[k]:g} m")
    for name in t.values:
        n_code = int(t.codes[name][order].sum())
        if n_code:
            report.add(t.file, None, name, "", "warning", "missing_value_code",
                       f"{_count(n_code, 'value')} in used rows are no-value codes "
                       f"({', '.join(f'{c:g}' for c in MISSING_CODES)}); treated as missing")
        n_below = int(t.below[name][order].sum())
        if n_below:
            report.add(t.file, None, name, "", "warning", "below_detection",
                       f"{_count(n_below, 'value')} in used rows below detection (negative "
                       f"numbers or '<x' codes) replaced by {BELOW_RULE_TEXT[below_rule]}")
    return Intervals(
        name=Path(t.file).stem,
        hole=h, from_m=f, to_m=e,
        values={n: v[order] for n, v in t.values.items()},
        categories={n: v[order] for n, v in t.categories.items()},
        below={n: v[order] for n, v in t.below.items()},
        file=t.file, line=t.line[order],
    )
