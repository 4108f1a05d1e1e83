"""Estimation plans: a TOML file that says which samples, which grid, which variables, models
and search passes, and where the block model goes. ``orebook estimate PLAN.toml`` runs it.

::

    [samples]
    file = "composites.csv"          # relative to the plan's folder
    domain_column = "domain"         # optional

    [grid]
    origin = [548000.0, 3622000.0, 0.0]   # minimum corner of the first block (m)
    size = [10.0, 10.0, 5.0]              # block size (m)
    count = [200, 300, 240]
    rotation = 0.0                        # optional, degrees clockwise about Z

    [[estimate]]
    variable = "Cu_pct"
    method = "ok"                    # ok, sk (needs mean), idw (power), nn
    model = "cu_model.toml"          # variogram model file (kriging)
    discretisation = [4, 4, 2]       # optional, points per block (default 1 1 1)
    domain = "ox"                    # optional: estimate only these samples' domain

    [[estimate.pass]]
    radii = [100.0, 80.0, 40.0]
    angles = [30.0, 0.0, 0.0]        # optional
    min_samples = 4
    max_samples = 24
    max_per_octant = 0               # optional
    max_per_hole = 3                 # optional

    [output]
    file = "model.parquet"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orebook.errors import InputError, OrebookError, ParameterError

from .search import SearchParams

__all__ = ["Plan", "EstimateStep", "read_plan", "run_plan"]

_METHODS = ("ok", "sk", "idw", "nn")


@dataclass(frozen=True)
class EstimateStep:
    """One variable to estimate."""

    variable: str
    method: str
    passes: tuple[SearchParams, ...]
    model: Path | None = None
    mean: float | None = None
    power: float = 2.0
    discretisation: tuple[int, int, int] = (1, 1, 1)
    domain: str | None = None
    prefix: str = ""


@dataclass(frozen=True)
class Plan:
    """A checked estimation plan; paths are absolute."""

    path: Path
    samples: Path
    domain_column: str | None
    grid: dict
    steps: tuple[EstimateStep, ...]
    output: Path
    raw: dict = field(default_factory=dict, repr=False)


class _Checker:
    """Reads values out of the document with errors naming the file, line and key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self._seen: dict[str, int] = {}

    def fail(self, key: str, message: str, occurrence: int = 0) -> InputError:
        from orebook.io.tomlfiles import key_line

        return InputError(message, file=str(self.path),
                          row=key_line(self.text, key.split(".")[-1], occurrence), column=key)

    def table(self, doc: Mapping, key: str, *, required: bool = True) -> dict:
        value = doc.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise InputError(f"the plan needs a [{key}] table", file=str(self.path),
                             column=key)
        return value

    def number(self, t: Mapping, key: str, *, default: Any = ..., whole: bool = False,
               minimum: float | None = None, occ: int = 0) -> Any:
        if key not in t:
            if default is ...:
                raise self.fail(key, f"missing {key}", occ)
            return default
        v = t[key]
        ok = isinstance(v, int) if whole else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or (isinstance(v, float) and not np.isfinite(v)):
            raise self.fail(key, f"{key} must be {'a whole number' if whole else 'a number'}, "
                                 f"got {v!r}", occ)
        if minimum is not None and v < minimum:
            raise self.fail(key, f"{key} must be ≥ {minimum:g}, got {v!r}", occ)
        return v

    def numbers(self, t: Mapping, key: str, n: int, *, default: Any = ..., whole: bool = False,
                occ: int = 0) -> tuple:
        if key not in t:
            if default is ...:
                raise self.fail(key, f"missing {key} ({n} values)", occ)
            return default
        v = t[key]
        if not isinstance(v, list) or len(v) != n:
            raise self.fail(key, f"{key} must be a list of {n} numbers, got {v!r}", occ)
        for x in v:
            ok = isinstance(x, int) if whole else isinstance(x, (int, float))
            if isinstance(x, bool) or not ok or not np.isfinite(x):
                raise self.fail(key, f"{key} must hold {n} {'whole ' if whole else ''}numbers, "
                                     f"got {v!r}", occ)
        return tuple(v)

    def text_value(self, t: Mapping, key: str, *, default: Any = ..., occ: int = 0) -> Any:
        if key not in t:
            if default is ...:
                raise self.fail(key, f"missing {key}", occ)
            return default
        v = t[key]
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"{key} must be a non-empty text, got {v!r}", occ)
        return v

    def path_value(self, t: Mapping, key: str, occ: int = 0) -> Path:
        p = Path(self.text_value(t, key, occ=occ))
        return p if p.is_absolute() else self.path.parent / p


def read_plan(path: str | Path) -> Plan:
    """Read and check an estimation plan (see the module docstring for the format)."""
    from orebook.io.tomlfiles import read_toml

    path = Path(path)
    doc, text = read_toml(path)
    c = _Checker(path, text)
    samples = c.table(doc, "samples")
    sample_file = c.path_value(samples, "file")
    domain_column = c.text_value(samples, "domain_column", default=None)
    g = c.table(doc, "grid")
    grid = {"origin": c.numbers(g, "origin", 3), "size": c.numbers(g, "size", 3),
            "count": c.numbers(g, "count", 3, whole=True),
            "rotation": c.number(g, "rotation", default=0.0)}
    steps_raw = doc.get("estimate")
    if not isinstance(steps_raw, list) or not steps_raw or not all(
            isinstance(s, dict) for s in steps_raw):
        raise InputError("the plan needs at least one [[estimate]] table", file=str(path),
                         column="estimate")
    steps = []
    pass_no = 0
    for i, s in enumerate(steps_raw):
        variable = c.text_value(s, "variable", occ=i)
        method = c.text_value(s, "method", default="ok", occ=i)
        if method not in _METHODS:
            raise c.fail("method", f"method must be one of {', '.join(_METHODS)}, got "
                                   f"{method!r}", i)
        passes_raw = s.get("pass")
        if not isinstance(passes_raw, list) or not passes_raw or not all(
                isinstance(p, dict) for p in passes_raw):
            raise InputError(f"[[estimate]] {variable!r} needs at least one [[estimate.pass]]",
                             file=str(path), row=c.fail("variable", "", i).row, column="pass")
        passes = []
        for p in passes_raw:
            try:
                passes.append(SearchParams(
                    radii=c.numbers(p, "radii", 3, occ=pass_no),
                    angles=c.numbers(p, "angles", 3, default=(0.0, 0.0, 0.0), occ=pass_no),
                    min_samples=c.number(p, "min_samples", default=1, whole=True, minimum=0,
                                         occ=pass_no),
                    max_samples=c.number(p, "max_samples", default=32, whole=True, minimum=1,
                                         occ=pass_no),
                    max_per_octant=c.number(p, "max_per_octant", default=0, whole=True,
                                            minimum=0, occ=pass_no),
                    max_per_hole=c.number(p, "max_per_hole", default=0, whole=True,
                                          minimum=0, occ=pass_no)))
            except OrebookError as exc:
                if isinstance(exc, InputError):
                    raise
                raise c.fail("radii", f"search pass not valid: {exc}", pass_no) from None
            pass_no += 1
        model = c.path_value(s, "model", occ=i) if "model" in s else None
        if method in ("ok", "sk") and model is None:
            raise c.fail("variable", f"{variable!r}: kriging needs model = \"FILE.toml\"", i)
        mean = c.number(s, "mean", default=None, occ=i)
        if method == "sk" and mean is None:
            raise c.fail("variable", f"{variable!r}: simple kriging needs mean = …", i)
        steps.append(EstimateStep(
            variable=variable, method=method, passes=tuple(passes), model=model, mean=mean,
            power=c.number(s, "power", default=2.0, minimum=0, occ=i),
            discretisation=c.numbers(s, "discretisation", 3, default=(1, 1, 1), whole=True,
                                     occ=i),
            domain=c.text_value(s, "domain", default=None, occ=i),
            prefix=c.text_value(s, "prefix", default=f"{variable}_", occ=i)))
    out = c.table(doc, "output")
    output = c.path_value(out, "file")
    if output.suffix.lower() != ".parquet":
        raise c.fail("file", f"the output is a block model: a .parquet file, got {output.name}",
                     1)
    return Plan(path, sample_file, domain_column, grid, tuple(steps), output, doc)


def run_plan(plan: Plan, progress=None) -> tuple[Path, list]:
    """Run every estimate of ``plan`` into one block model and save it. Returns the output
    path and the run summaries (one per estimate)."""
    from orebook.geostats.model_io import load_model
    from orebook.io.composites import read_composites

    from .blockmodel import BlockModel
    from .grid import BlockGrid
    from .run import estimate_blocks

    comps = read_composites(plan.samples, domain_column=plan.domain_column)
    grid = BlockGrid(plan.grid["origin"], plan.grid["size"], plan.grid["count"],
                     plan.grid["rotation"])
    blocks = BlockModel.from_grid(grid)
    xyz = np.column_stack([comps.x, comps.y, comps.z])
    summaries = []
    for step in plan.steps:
        if progress is not None:
            progress(f"Estimating {step.variable} ({step.method})")
        if step.variable not in comps.values:
            raise ParameterError(f"{plan.path}: variable {step.variable!r} is not in "
                                 f"{plan.samples.name}; values: {', '.join(comps.values)}")
        v = comps.values[step.variable].copy()
        if step.domain is not None:
            v[comps.domain != step.domain] = np.nan
        model = load_model(step.model) if step.model is not None else None
        run = estimate_blocks(blocks, xyz, v, step.passes, method=step.method, model=model,
                              mean=step.mean, discretisation=step.discretisation,
                              power=step.power,
                              hole=comps.hole if (comps.hole != "").any() else None,
                              prefix=step.prefix)
        blocks = run.model
        summaries.append(run.summary)
    blocks.save_parquet(plan.output)
    return plan.output, summaries
