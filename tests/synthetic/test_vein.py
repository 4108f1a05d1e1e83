"""The synthetic vein: deterministic, geometrically right, sampled from its truth, readable by
orebook's own drill-hole reader, and its block truth adds up to the vein's volume."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orebook.drillholes import load_drillholes
from orebook.drillholes.desurvey import desurvey
from orebook.errors import ParameterError
from orebook.estimate.grid import BlockGrid
from orebook.synthetic.vein import VeinSpec, generate_vein, true_blocks, write_vein

SPEC = VeinSpec(length_m=240, depth_extent_m=160, spacing_m=30, n_features=200)


@pytest.fixture(scope="module")
def deposit():
    return generate_vein(SPEC, seed=7)


def test_same_seed_same_deposit_other_seed_other(deposit):
    again = generate_vein(SPEC, seed=7)
    assert again.assays.equals(deposit.assays) and again.collars.equals(deposit.collars)
    other = generate_vein(SPEC, seed=8)
    assert not np.allclose(other.assays["Au_gpt"].to_numpy()[:500],
                           deposit.assays["Au_gpt"].to_numpy()[:500])


def test_holes_start_at_the_surface_and_point_at_the_vein(deposit):
    assert np.allclose(deposit.collars["z"], SPEC.surface_z, atol=0.01)
    assert len(deposit.collars) == 8 * 5       # pierce grid: 240/30 along × 160/30 down dip
    assert np.allclose(deposit.surveys["azimuth"], (SPEC.strike_deg - 90) % 360)
    assert np.allclose(deposit.surveys["dip"], SPEC.hole_dip_deg)


def test_vein_geometry(deposit):
    t = deposit.truth
    # unit vectors: along strike is horizontal at the strike azimuth; down dip at the dip
    assert np.allclose(t.along, [math.sin(math.radians(45)), math.cos(math.radians(45)), 0])
    assert math.isclose(-t.down[2], math.sin(math.radians(SPEC.dip_deg)))
    assert abs(t.along @ t.down) < 1e-12 and t.normal[2] > 0
    # points on the mid-surface where the vein is thick are in it; 3 thicknesses away are not
    u = np.array([0.0, 30.0, -50.0])
    v = np.array([60.0, 80.0, 100.0])
    mid = t.mid_point(u, v)
    thick = t._interp(t.thick, u, v)
    assert (thick > 0.5).all()
    assert deposit.point_truth(mid)["in_vein"].all()
    away = mid + 3 * thick[:, None] * t.normal
    assert not deposit.point_truth(away)["in_vein"].any()
    assert np.allclose(deposit.point_truth(away)["Au_gpt"], SPEC.host_au_gpt)
    # beyond the strike length: host rock
    outside = t.mid_point(np.array([SPEC.length_m]), np.array([50.0]))
    assert not deposit.point_truth(outside)["in_vein"].any()


def test_vein_grade_means_are_the_stated_ones(deposit):
    # the fields are standardised on the lattice, so the lattice mean of the grade is the spec's
    # mean to within the log-normal's sampling of a finite lattice
    au = deposit.truth.au
    assert au.mean() == pytest.approx(SPEC.au_mean_gpt, rel=0.25)
    log_corr = np.corrcoef(np.log(deposit.truth.au).ravel(), np.log(deposit.truth.ag).ravel())
    assert log_corr[0, 1] == pytest.approx(SPEC.ag_au_corr, abs=0.1)


def test_samples_are_the_truth_with_the_stated_error(deposit, tmp_path):
    write_vein(deposit, tmp_path)
    data, report = load_drillholes(tmp_path / "collar.csv", tmp_path / "survey.csv",
                                   [tmp_path / "assay.csv"])
    assert report.errors == 0
    iv = data.intervals[0]
    assert len(iv.hole) == len(deposit.assays)
    # the sample's truth: the mean at 5 points along it, placed by orebook's own desurvey
    f = (np.arange(5) + 0.5) / 5
    depth = iv.from_m[:, None] + (iv.to_m - iv.from_m)[:, None] * f
    xyz = desurvey(data.collars, data.surveys, np.repeat(iv.hole, 5), depth.ravel())
    truth = deposit.point_truth(xyz)["Au_gpt"].reshape(-1, 5).mean(axis=1)
    rich = truth > 1.0
    assert rich.sum() > 30
    log_err = np.log(iv.values["Au_gpt"][rich] / truth[rich])
    assert abs(log_err.mean()) < 0.05
    assert log_err.std() == pytest.approx(SPEC.sampling_log_sd, rel=0.3)
    # every hole whose pierce point is well inside the vein cuts ore
    cut = np.unique(iv.hole[rich])
    assert len(cut) >= 0.6 * len(deposit.collars)


def test_block_truth_adds_up_to_the_vein_volume(deposit):
    t = deposit.truth
    # the vein's volume from its own thickness field (lattice sum, 2 m × 2 m cells)
    inside = ((np.abs(t.u)[:, None] <= SPEC.length_m / 2)
              & (t.v[None, :] >= 0) & (t.v[None, :] <= SPEC.depth_extent_m))
    volume = (t.thick * inside).sum() * 2.0 * 2.0
    # a grid aligned with the vein's strike that holds all of it
    lo = t.origin + t.down * SPEC.depth_extent_m
    grid = BlockGrid(origin=(t.origin[0] - 260, t.origin[1] - 260, lo[2] - 30),
                     size=(10.0, 10.0, 5.0), count=(52, 52, 44))
    blocks = true_blocks(deposit, grid, n=4)
    got = blocks["vein_fraction"].sum() * grid.block_volume_m3
    assert got == pytest.approx(volume, rel=0.05)
    # grades: the host rock's where a block has no vein, higher where it is all vein
    empty = blocks["vein_fraction"] == 0
    assert np.allclose(blocks["true_Au_gpt"][empty], SPEC.host_au_gpt)
    assert blocks["true_Au_gpt"][~empty].mean() > SPEC.host_au_gpt


def test_bad_specs_are_refused():
    with pytest.raises(ParameterError, match="dip_deg"):
        VeinSpec(dip_deg=0)
    with pytest.raises(ParameterError, match="thickness_m"):
        VeinSpec(thickness_m=-1)
    with pytest.raises(ParameterError, match="surface"):
        VeinSpec(top_centre=(0.0, 0.0, 2000.0))
