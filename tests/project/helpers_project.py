"""A small synthetic-vein project for the tests: a 400 m × 240 m vein, holes every 40 m (60
holes), a 5 × 10 × 5 m grid rotated 45° (Y along strike) around it, 52,920 blocks."""

from __future__ import annotations

from pathlib import Path

SMALL = """\
[project]
name = "Small vein"
out = "run"

[source]
synthetic = {seed = 1, length_m = 400.0, depth_extent_m = 240.0, spacing_m = 40.0, n_features = 200}

[composites]
length_m = 1.0
residual = "merge"
caps = ["Au_gpt=p99.9"]

[statistics]
variable = "Au_gpt"
decluster = {cells = 8, min_m = 10.0, max_m = 160.0}

[variography]
lags = 10
lag_m = 10.0
directions = [[45.0, 22.5, 20.0, 0.0, 22.5, 20.0], [135.0, 22.5, 20.0, -60.0, 22.5, 20.0]]
kinds = ["spherical"]
structures = [1]

[estimate]
method = "ok"
discretisation = [2, 2, 2]

[estimate.grid]
origin = [499844.44, 4399858.58, 932.15]
size = [5.0, 10.0, 5.0]
count = [28, 42, 45]
rotation = 45.0

[[estimate.pass]]
radii = [60.0, 60.0, 8.0]
angles = [135.0, -60.0, 0.0]
min_samples = 4
max_samples = 24
max_per_hole = 0

[[estimate.pass]]
radii = [120.0, 120.0, 12.0]
angles = [135.0, -60.0, 0.0]
min_samples = 2
max_samples = 24

[classification]
variable = "Au_gpt"

[[classification.rule]]
category = "B"
max_pass = 1
min_holes = 3

[[classification.rule]]
category = "C2"

[resources]
cutoff = 0.5
lower_cutoff = 0.3
cutoffs = "0:3:0.5"
density = 2.68
grade_unit = "g/t"
metal_unit = "kg"
price = 75000.0

[export]
omf = true
parquet = true
geoeas = true

[balance]
deposit = "Small vein"
commodity = "Au"
effective_date = 2026-01-01
"""


def write_project(folder: Path, text: str = SMALL, name: str = "project.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
