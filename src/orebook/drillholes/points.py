"""Desurveyed points: every survey station and every interval end of every hole."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .desurvey import Trajectories
from .types import DrillholeData

__all__ = ["hole_points"]


def hole_points(data: DrillholeData, method: str = "mincurv") -> pd.DataFrame:
    """``hole,depth,x,y,z`` for each distinct depth among survey stations (the collar
    included) and interval ends, sorted by hole and depth; metres."""
    traj = Trajectories.build(data.collars, data.surveys, method)
    hole = [traj.holes[traj.code]]
    depth = [traj.depth_m]
    for t in data.intervals:
        hole += [t.hole, t.hole]
        depth += [t.from_m, t.to_m]
    df = pd.DataFrame({"hole": np.concatenate(hole), "depth": np.concatenate(depth)})
    df = df[df["hole"].isin(set(traj.holes.tolist()))]
    df = df.drop_duplicates().sort_values(["hole", "depth"], kind="stable").reset_index(drop=True)
    xyz = traj.locate(df["hole"].to_numpy(object), df["depth"].to_numpy(float))
    return df.assign(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2])
