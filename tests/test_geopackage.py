"""Deposit locations from the balance as a GeoPackage, read back by GDAL (pyogrio)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyogrio
import pytest

from orebook.balance import engine_from_url
from orebook.balance.geo import write_deposits_geopackage
from orebook.balance.registry import add_deposit
from orebook.demo_balance import OLD_HILL_2026, build_demo_balance
from orebook.errors import ParameterError
from orebook.io.estimate_record import EstimateRecord, RecordLine, write_estimate_record

RECORD = EstimateRecord("Demo vein", "ordinary kriging", dt.date(2026, 1, 1), "sha256:geo",
                        (RecordLine("Au", "B", "balance", 2_000_000.0, 2.5, 5_000.0),
                         RecordLine("Au", "C1", "off-balance", 300_000.0, 0.4, 120.0)))


def test_deposits_as_points_with_their_reserves(tmp_path):
    rec = write_estimate_record(RECORD, tmp_path / "record.json")
    demo = build_demo_balance(tmp_path / "balance", rec)
    engine = engine_from_url(demo.url)
    add_deposit(engine, "Nowhere", district="Demoland/North/Vein district")  # no location
    path, n, missing = write_deposits_geopackage(engine, tmp_path / "deposits.gpkg",
                                                 as_of=dt.date(2026, 2, 1))
    engine.dispose()
    assert (n, missing) == (2, ["Nowhere"])
    info = pyogrio.read_info(path, layer="deposits")
    assert info["geometry_type"] == "Point" and "4326" in info["crs"]
    meta, _, geometry, fields = pyogrio.raw.read(path, layer="deposits")
    cols = dict(zip(meta["fields"], fields))
    names = list(cols["name"])
    assert names == ["Demo vein", "Old Hill"]
    # WKB points: byte order, type 1, x = longitude, y = latitude (as registered)
    xy = np.array([np.frombuffer(g[5:21], dtype="<f8") for g in geometry])
    assert np.allclose(xy, [[44.16, 40.05], [44.10, 40.02]])
    # balance-group reserves as at 1 February 2026: Old Hill by hand, the vein = the record's
    old_metal = sum(m for (_, grp), (_, m) in OLD_HILL_2026.items() if grp == "balance")
    assert cols["Au_metal"][names.index("Old Hill")] == pytest.approx(old_metal)
    assert cols["Au_metal"][names.index("Demo vein")] == pytest.approx(5_000.0)
    assert list(cols["district"]) == ["Demoland/North/Vein district"] * 2


def test_bad_output_name(tmp_path):
    from orebook.io.geopackage import write_points_geopackage
    import pandas as pd

    with pytest.raises(ParameterError, match=".gpkg"):
        write_points_geopackage(tmp_path / "x.shp", [0.0], [0.0], pd.DataFrame({"a": [1]}))
    with pytest.raises(ParameterError, match="finite"):
        write_points_geopackage(tmp_path / "x.gpkg", [np.nan], [0.0], pd.DataFrame({"a": [1]}))


def test_the_command(tmp_path):
    from typer.testing import CliRunner

    from orebook.cli import app

    rec = write_estimate_record(RECORD, tmp_path / "record.json")
    demo = build_demo_balance(tmp_path / "balance", rec)
    r = CliRunner().invoke(app, ["balance", "geopackage", str(tmp_path / "d.gpkg"), "--db",
                                 demo.url, "--as-of", "2026-02-01"])
    assert r.exit_code == 0, r.output
    assert "Wrote 2 deposits" in r.output
    assert pyogrio.read_info(tmp_path / "d.gpkg", layer="deposits")["features"] == 2
    r = CliRunner().invoke(app, ["balance", "geopackage", str(tmp_path / "e.gpkg"), "--db",
                                 demo.url, "--as-of", "Feb 2026"])
    assert r.exit_code == 1 and "YYYY-MM-DD" in r.output
