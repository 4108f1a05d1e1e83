"""Deposit locations from the balance as a GeoPackage (for QGIS, ArcGIS and the like)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orebook.balance.reports import totals
from orebook.balance.schema import Deposit

__all__ = ["write_deposits_geopackage"]


def write_deposits_geopackage(engine: Engine, path: str | Path, *,
                              as_of: dt.date | None = None) -> tuple[Path, int, list[str]]:
    """Write a layer ``deposits`` with one point per deposit that has a location: name,
    district path, status, fund, deposit type, and the reserves as at ``as_of`` (default:
    today) per commodity (``<code>_ore``, ``<code>_metal`` in the commodity's units; balance
    group, all categories). Returns the path, the number of points and the deposits left out
    for lack of coordinates."""
    from orebook.balance.registry import unit_path
    from orebook.io.geopackage import write_points_geopackage

    as_of = as_of or dt.date.today()
    with Session(engine) as s:
        deps = s.scalars(select(Deposit).order_by(Deposit.name)).all()
        rows = [{"id": d.id, "name": d.name, "district": unit_path(s, d.admin_unit_id) or "",
                 "status": d.status, "fund": d.fund, "deposit_type": d.deposit_type or "",
                 "lon": d.longitude_deg, "lat": d.latitude_deg} for d in deps]
    frame = pd.DataFrame(rows, columns=["id", "name", "district", "status", "fund",
                                        "deposit_type", "lon", "lat"])
    located = frame["lon"].notna() & frame["lat"].notna()
    missing = frame.loc[~located, "name"].tolist()
    frame = frame[located].reset_index(drop=True)
    tot = totals(engine, as_of, by=("deposit", "commodity", "group"), with_totals=False) \
        if len(frame) else pd.DataFrame()
    if len(tot):
        tot = tot[tot["group"] == "balance"]
        for code, part in tot.groupby("commodity"):
            by_name = part.groupby("deposit")[["ore", "metal"]].sum()
            frame[f"{code}_ore"] = frame["name"].map(by_name["ore"]).fillna(0.0)
            frame[f"{code}_metal"] = frame["name"].map(by_name["metal"]).fillna(0.0)
    attrs = frame.drop(columns=["lon", "lat"])
    out = write_points_geopackage(path, frame["lon"].to_numpy(), frame["lat"].to_numpy(), attrs,
                                  layer="deposits")
    return out, len(frame), missing
