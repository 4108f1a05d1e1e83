"""Positions along drill holes from collars and downhole surveys.

Three methods, each a rule for the path between two survey stations with unit tangents
t1 and t2, a course length L apart:

- ``mincurv`` (default): a circular arc tangent to t1 and t2 (minimum curvature); exact for a
  hole of constant curvature.
- ``tangent``: a straight line along t1, the orientation of the upper station, down to the next.
- ``balanced``: half the course along t1, half along t2 (balanced tangent).

Before the first station the first orientation applies (a hole whose first survey lies below
the collar is extended up to it); past the last station the hole runs straight on. A hole with
no survey is vertical. Angles follow CONVENTIONS.md: azimuth clockwise from north, dip
negative downwards; positions are x east, y north, z up, in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

from .types import Collars, Surveys

__all__ = ["METHODS", "Trajectories", "desurvey", "direction"]

METHODS = ("mincurv", "tangent", "balanced")


def direction(azimuth_deg: np.ndarray, dip_deg: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) pointing down the hole, from azimuth and dip in degrees."""
    az, dip = np.radians(azimuth_deg), np.radians(dip_deg)
    return np.stack([np.cos(dip) * np.sin(az), np.cos(dip) * np.cos(az), np.sin(dip)], axis=-1)


def _offset(m: np.ndarray, course: np.ndarray, t1: np.ndarray, t2: np.ndarray,
            method: str) -> np.ndarray:
    """Displacement (n, 3) after ``m`` metres from a station with tangent t1, the next station
    (tangent t2) lying ``course`` metres further on; 0 <= m <= course."""
    m = m[:, None]
    if method == "tangent":
        return m * t1
    if method == "balanced":
        half = course[:, None] / 2
        return np.where(m <= half, m * t1, half * t1 + (m - half) * t2)
    cosb = np.clip((t1 * t2).sum(axis=1), -1.0, 1.0)
    beta = np.arccos(cosb)[:, None]
    sinb = np.sin(beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(course[:, None] > 0, m / course[:, None], 0.0)
        phi = f * beta  # angle turned after m metres
        # arc of radius L/beta: m*sin(phi)/phi along t1, m*(1-cos(phi))/phi along the normal
        along = np.where(phi > 1e-8, np.sin(phi) / phi, 1.0 - phi**2 / 6)
        across = np.where(phi > 1e-8, 2 * np.sin(phi / 2) ** 2 / phi, phi / 2)
        normal = np.where(sinb > 1e-8, (t2 - cosb[:, None] * t1) / sinb, 0.0)
        small = (beta <= 1e-8)[:, 0]
    out = m * (along * t1 + across * normal)
    if small.any():  # directions equal to round-off: interpolate the tangent linearly
        fs = f[small]
        out[small] = m[small] * (t1[small] + fs / 2 * (t2[small] - t1[small]))
    return out


@dataclass(frozen=True)
class Trajectories:
    """Survey stations of every collared hole with their positions, ready to locate depths.

    Build with :meth:`build`; stations are sorted by hole code then depth, and every hole has a
    station at depth 0 (its collar).
    """

    holes: np.ndarray  # object array of hole ids; code i is holes[i]
    code: np.ndarray  # int64 hole code per station
    depth_m: np.ndarray
    tangent: np.ndarray  # (n, 3)
    position: np.ndarray  # (n, 3) x, y, z of each station
    method: str

    @classmethod
    def build(cls, collars: Collars, surveys: Surveys, method: str = "mincurv") -> Trajectories:
        """Stations and their positions for every hole in ``collars``."""
        if method not in METHODS:
            raise ParameterError(f"desurvey method must be one of {', '.join(METHODS)}, "
                                 f"got {method!r}")
        holes = np.asarray(collars.hole, dtype=object)
        index = pd.Index(holes)
        scode = index.get_indexer(surveys.hole) if len(surveys) else np.empty(0, np.int64)
        ok = scode >= 0
        scode, sdepth = scode[ok], surveys.depth_m[ok]
        st = direction(surveys.azimuth_deg[ok], surveys.dip_deg[ok])
        # a station at the collar for every hole: the first survey's orientation, else vertical
        top = np.tile([0.0, 0.0, -1.0], (len(holes), 1))
        has = np.zeros(len(holes), dtype=bool)
        if len(scode):
            order = np.lexsort((sdepth, scode))
            scode, sdepth, st = scode[order], sdepth[order], st[order]
            first = np.ones(len(scode), dtype=bool)
            first[1:] = scode[1:] != scode[:-1]
            top[scode[first]] = st[first]
            has[scode[first]] = True
            at_zero = first & (sdepth == 0)
            keep = ~at_zero  # a survey at 0 becomes the collar station itself
            scode, sdepth, st = scode[keep], sdepth[keep], st[keep]
        code = np.concatenate([np.arange(len(holes)), scode])
        depth = np.concatenate([np.zeros(len(holes)), sdepth])
        tangent = np.concatenate([top, st])
        order = np.lexsort((depth, code))
        code, depth, tangent = code[order], depth[order], tangent[order]
        same = np.zeros(len(code), dtype=bool)
        same[1:] = code[1:] == code[:-1]
        step = np.zeros((len(code), 3))
        k = np.flatnonzero(same)
        course = depth[k] - depth[k - 1]
        step[k] = _offset(course, course, tangent[k - 1], tangent[k], method)
        collar_xyz = np.stack([collars.x, collars.y, collars.z], axis=1)
        # cumulative sum within each hole, starting from its collar
        cum = np.cumsum(step, axis=0)
        start = np.flatnonzero(~same)
        base = np.repeat(cum[start] - step[start], np.diff(np.append(start, len(code))), axis=0)
        position = collar_xyz[code] + cum - base
        return cls(holes, code, depth, tangent, position, method)

    def locate(self, hole: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
        """x, y, z (n, 3) of points ``depth_m`` metres down ``hole``; NaN for unknown holes."""
        depth_m = np.asarray(depth_m, dtype=float)
        qcode = pd.Index(self.holes).get_indexer(np.asarray(hole, dtype=object))
        out = np.full((len(depth_m), 3), np.nan)
        ok = (qcode >= 0) & np.isfinite(depth_m)
        if not ok.any():
            return out
        q, d = qcode[ok], depth_m[ok]
        span = max(float(np.max(self.depth_m, initial=0.0)), float(np.max(np.abs(d)))) * 2 + 10
        skey = self.code * span + self.depth_m
        k = np.searchsorted(skey, q * span + d, side="right") - 1
        first = np.searchsorted(self.code, q, side="left")
        k = np.maximum(k, first)
        last = np.searchsorted(self.code, q, side="right") - 1
        inner = k < last
        t1 = self.tangent[k]
        t2 = np.where(inner[:, None], self.tangent[np.minimum(k + 1, len(self.code) - 1)], t1)
        m = d - self.depth_m[k]
        course = np.where(inner, self.depth_m[np.minimum(k + 1, len(self.code) - 1)]
                          - self.depth_m[k], np.maximum(m, 0.0))
        above = m < 0  # above the collar: straight back along the first tangent
        off = _offset(np.where(above, 0.0, m), course, t1, t2, self.method)
        off[above] = m[above, None] * t1[above]
        out[ok] = self.position[k] + off
        return out


def desurvey(collars: Collars, surveys: Surveys, hole: np.ndarray, depth_m: np.ndarray, *,
             method: str = "mincurv") -> np.ndarray:
    """x, y, z (n, 3) in metres of points ``depth_m`` along ``hole``; see :class:`Trajectories`."""
    return Trajectories.build(collars, surveys, method).locate(hole, depth_m)
