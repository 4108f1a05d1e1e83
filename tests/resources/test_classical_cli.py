"""``orebook classical blocks|sections|polygons|triangles`` end to end on the small deposit in
``data/classical`` (README there); the figures are worked out by hand below."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from orebook.cli import app

DATA = Path(__file__).parent / "data" / "classical"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def data(tmp_path) -> Path:
    for p in DATA.glob("*.csv"):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path


def report(path: Path) -> pd.DataFrame:
    return (pd.read_csv(path) if path.suffix == ".csv" else pd.read_excel(path))


def test_blocks_by_hand(data):
    res = invoke("classical", "blocks", data / "intercepts.csv", "--outlines",
                 data / "outlines.csv", "--out", data / "r.csv", "--plot", data / "p.png",
                 "--elements", data / "e.xlsx")
    assert res.exit_code == 0, res.output
    r = report(data / "r.csv")
    blk = r[r.level == "block"].set_index("block")
    # B1: 1800 m² × (2 + 4 + 3)/3 m = 5400 m³ × 2.5 = 13 500 t; c = 14.5/9 %; P = 217.5 t
    # B2: 2400 m² × (2.5 + 3.5 + 1.5 + 5)/4 = 3.125 m = 7500 m³ × 2.6 = 19 500 t;
    #     c = (0.8·2.5 + 1.2·3.5 + 0.9·1.5 + 0.7·5)/12.5 = 11.05/12.5 = 0.884 %; P = 172.38 t
    assert blk.loc["B1", "ore_t"] == pytest.approx(13500.0, rel=1e-12)
    assert blk.loc["B2", "ore_t"] == pytest.approx(19500.0, rel=1e-12)
    assert blk.loc["B1", "metal_t"] == pytest.approx(217.5, rel=1e-12)
    assert blk.loc["B2", "metal_t"] == pytest.approx(172.38, rel=1e-12)
    assert blk.loc["B2", "grade_pct"] == pytest.approx(0.884, rel=1e-12)
    total = r[r.level == "total"].iloc[0]
    assert total.metal_t == pytest.approx(389.88, rel=1e-12)
    assert (data / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_excel(data / "e.xlsx")) == 2


def test_blocks_under_conditions_with_samples(data):
    res = invoke("classical", "blocks", data / "intercepts.csv", "--outlines",
                 data / "outlines.csv", "--samples", data / "samples.csv", "--cutoff", 0.85,
                 "--min-thickness", 1, "--max-waste", 1, "--out", data / "r.xlsx")
    assert res.exit_code == 0, res.output
    blk = report(data / "r.xlsx").query("level == 'block'").set_index("block")
    # H2 from its samples: ore 100–101 (2.5) and 102–104 (2.2), 1 m of 0.3 between;
    #   joined (2.5 + 0.3 + 4.4)/4 = 1.8 ≥ 0.85 → 4 m at 1.8 %
    # B1: m̄ = (2 + 4 + 3)/3 = 3, c = (2·1 + 4·1.8 + 3·1.5)/9 = 13.7/9; P = 13 500 × 13.7/900
    assert blk.loc["B1", "metal_t"] == pytest.approx(205.5, rel=1e-12)
    # B2: H4 (0.8 %) and H7 (0.7 %) are below 0.85 → barren: m̄ = (0 + 3.5 + 1.5 + 0)/4 = 1.25,
    #   V = 3000 m³, Q = 7800 t, c = (3.5·1.2 + 1.5·0.9)/5 = 1.11 %, P = 86.58 t
    assert blk.loc["B2", "ore_t"] == pytest.approx(7800.0, rel=1e-12)
    assert blk.loc["B2", "metal_t"] == pytest.approx(86.58, rel=1e-12)


def test_polygons_tile_the_blocks(data):
    res = invoke("classical", "polygons", data / "intercepts.csv", "--outlines",
                 data / "outlines.csv", "--out", data / "r.csv", "--elements", data / "e.csv",
                 "--plot", data / "p.png")
    assert res.exit_code == 0, res.output
    e = pd.read_csv(data / "e.csv")
    # B1: holes at u = 10, 30, 50 on a 60 × 30 rectangle → 600 m² each
    assert e[e.block == "B1"].area_m2.tolist() == pytest.approx([600.0] * 3, rel=1e-12)
    assert math.fsum(e[e.block == "B2"].area_m2) == pytest.approx(2400.0, rel=1e-12)
    assert e.metal_t.tolist() == pytest.approx(
        (e.area_m2 * e.thickness_m * e.density_tpm3 * e.grade_pct / 100).tolist(), rel=1e-12)


def test_triangles_given(data):
    res = invoke("classical", "triangles", data / "intercepts.csv", "--outlines",
                 data / "outlines.csv", "--triangles", data / "triangles.csv",
                 "--out", data / "r.csv")
    assert res.exit_code == 0, res.output
    row = report(data / "r.csv").query("level == 'block'").iloc[0]
    # H4 (75,10), H5 (105,10), H6 (75,40): S = 30 × 30 / 2 = 450 m²; m̄ = (2.5+3.5+1.5)/3 = 2.5
    # V = 1125 m³, Q = 2925 t, c = (2 + 4.2 + 1.35)/7.5 %, P = 2925 × 7.55/750 t
    assert (row.block, row.area_m2, row.volume_m3) == ("B2", 450.0, 1125.0)
    assert row.metal_t == pytest.approx(2925 * 7.55 / 750, rel=1e-12)


def test_sections(data):
    res = invoke("classical", "sections", data / "sections.csv", "--density", 2.7,
                 "--metal-unit", "kg", "--out", data / "r.csv", "--plot", data / "s.png")
    assert res.exit_code == 0, res.output
    row = report(data / "r.csv").query("level == 'block'").iloc[0]
    # wedge 500 + mean-area 4000 + frustum 50 (80 + √1200)/3 + cone 80 m³
    vol = 500 + 4000 + 50 * (80 + math.sqrt(1200)) / 3 + 80
    assert row.volume_m3 == pytest.approx(vol, rel=1e-12)
    assert row.ore_t == pytest.approx(vol * 2.7, rel=1e-12)


@pytest.mark.parametrize("args,message", [
    (["blocks", "{d}/intercepts.csv", "--outlines", "{d}/nope.csv", "--out", "{d}/r.csv"],
     "not found"),
    (["blocks", "{d}/intercepts.csv", "--outlines", "{d}/outlines.csv", "--out", "{d}/r.txt"],
     ".xlsx"),
    (["polygons", "{d}/intercepts.csv", "--outlines", "{d}/outlines.csv", "--out",
      "{d}/r.csv", "--max-waste", "2"], "samples"),
    (["blocks", "{d}/intercepts.csv", "--outlines", "{d}/outlines.csv", "--out", "{d}/r.csv",
      "--grade-unit", "g/t"], "%"),
    (["sections", "{d}/sections.csv", "--out", "{d}/r.csv"], "density"),
    (["blocks", "{d}/intercepts.csv", "--outlines", "{d}/outlines.csv", "--out", "{d}/r.csv",
      "--cutoff", "-1"], "cutoff"),
])
def test_errors_are_one_line_and_write_nothing(data, args, message):
    res = invoke("classical", *[a.format(d=data) for a in args])
    assert res.exit_code == 1
    assert "error:" in res.output and message in res.output
    assert "Traceback" not in res.output
    assert not (data / "r.csv").exists() and not (data / "r.txt").exists()
