"""Project files: one TOML file that describes a deposit's chain from drill holes to the balance,
and the runner that carries it out stage by stage into a run folder (``docs/project.md``).

``read_project(path)`` checks the whole file first (errors name the file, the line and the
key); ``run_project(project)`` runs the stages in order, each into ``<out>/<stage>/`` with a
run record, and skips a stage whose parameters, input files and upstream outputs have not
changed since its last run ("up to date").

``cli`` and this module are the only places that wire the stages together; the work of each
stage is in :mod:`orebook.project_stages`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orebook.errors import InputError, OrebookError, ParameterError

__all__ = ["STAGES", "Project", "StageResult", "read_project", "run_project", "stage_key"]

STAGES = ("drillholes", "composites", "statistics", "variography", "estimate", "crossval",
          "classify", "resources", "export", "report", "balance")
"""The stages, in the order they run."""

_KEYS: dict[str, tuple[str, ...]] = {
    "project": ("name", "out"),
    "source": ("synthetic", "collars", "surveys", "intervals", "units", "columns",
               "below_rule", "dip_down", "max_dogleg"),
    "composites": ("length_m", "residual", "min_coverage", "unsampled", "domains",
                   "domain_column", "caps", "method"),
    "statistics": ("variable", "decluster"),
    "variography": ("model", "lags", "lag_m", "directions", "kinds", "structures"),
    "estimate": ("plan", "method", "discretisation", "mean", "power", "grid", "pass"),
    "crossval": ("enabled", "by_hole"),
    "classification": None,  # type: ignore[dict-item]  # checked by read_rules
    "resources": ("cutoff", "lower_cutoff", "cutoffs", "density", "grade_unit", "metal_unit",
                  "price", "currency", "swath_m"),
    "export": ("omf", "parquet", "geoeas"),
    "balance": ("deposit", "commodity", "effective_date", "method", "author", "document",
                "url"),
}
_REQUIRED = ("source", "statistics", "estimate", "resources")
_CHOICES = {"units": ("m", "ft"), "below_rule": ("half", "limit", "zero", "missing"),
            "dip_down": ("auto", "negative", "positive"), "residual": ("keep", "merge", "drop"),
            "unsampled": ("missing", "zero"), "method": ("mincurv", "tangent", "balanced")}


@dataclass(frozen=True)
class Project:
    """A checked project file. Paths are absolute; each table is a plain dict of checked
    values (defaults filled in), ``None`` where the file leaves the table out."""

    path: Path
    name: str
    out: Path
    source: dict
    composites: dict
    statistics: dict
    variography: dict
    estimate: dict
    crossval: dict
    resources: dict
    export: dict
    balance: dict | None
    rules: Path | None          # the file holding [classification] (the project itself)
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def variable(self) -> str:
        """The grade variable the chain estimates (``[statistics] variable``)."""
        return self.statistics["variable"]

    @property
    def synthetic(self) -> dict | None:
        """The synthetic vein's seed and spec overrides, if the source is synthetic."""
        return self.source.get("synthetic")


@dataclass(frozen=True)
class StageResult:
    """What happened to one stage: ``status`` is "ran", "up to date" or "skipped" (with
    ``note`` saying why); ``seconds``: wall time; ``outputs``: its files."""

    stage: str
    status: str
    seconds: float
    outputs: tuple[Path, ...] = ()
    note: str = ""


# ------------------------------------------------------------------------------------------
# reading


class _Where:
    """Lines of keys in the project's text; errors name the file, line and key."""

    def __init__(self, path: Path, text: str) -> None:
        from orebook.estimate.plan import _sections

        self.path, self.lines = path, text.splitlines()
        self.sections = _sections(text)

    def line(self, table: str, key: str | None = None, occurrence: int = 0) -> int | None:
        import re

        spans = [s for s in self.sections if s[0] == table]
        if occurrence < len(spans):
            _, first, last = spans[occurrence]
            if key is None:
                return first
            pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for no in range(first, last + 1):
                if pattern.match(self.lines[no - 1]):
                    return no
            return first
        # a table written inline (grid = {…}) or dotted: the parent's key line
        parent, _, leaf = table.rpartition(".")
        if parent:
            return self.line(parent, leaf)
        return None

    def fail(self, table: str, key: str, message: str, occurrence: int = 0) -> InputError:
        return InputError(f"[{table}] {key}: {message}", file=str(self.path),
                          row=self.line(table, key, occurrence), column=key)


class _Reader:
    def __init__(self, path: Path, doc: dict, text: str) -> None:
        self.path, self.doc, self.w = path, doc, _Where(path, text)

    def table(self, name: str, *, required: bool = False) -> dict | None:
        t = self.doc.get(name)
        if t is None:
            if required:
                raise InputError(f"the project needs a [{name}] table (see docs/project.md)",
                                 file=str(self.path), column=name)
            return None
        if not isinstance(t, dict):
            raise InputError(f"{name} must be a table [{name}], got {t!r}", file=str(self.path),
                             row=self.w.line("", name), column=name)
        allowed = _KEYS[name]
        if allowed is not None:
            for k in t:
                if k not in allowed:
                    raise self.w.fail(name, k, f"unknown key; keys of [{name}]: "
                                               f"{', '.join(allowed)}")
        return t

    def number(self, t: Mapping, table: str, key: str, default: Any = ..., *,
               whole: bool = False, minimum: float | None = None, positive: bool = False,
               occurrence: int = 0) -> Any:
        if key not in t:
            if default is ...:
                raise self.w.fail(table, key, "missing", occurrence)
            return default
        v = t[key]
        ok = isinstance(v, int) if whole else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or not math.isfinite(v):
            raise self.w.fail(table, key, f"expected {'a whole number' if whole else 'a number'}"
                                          f", got {v!r}", occurrence)
        if minimum is not None and v < minimum:
            raise self.w.fail(table, key, f"expected ≥ {minimum:g}, got {v!r}", occurrence)
        if positive and v <= 0:
            raise self.w.fail(table, key, f"expected > 0, got {v!r}", occurrence)
        return v

    def numbers(self, t: Mapping, table: str, key: str, n: int | None, default: Any = ..., *,
                whole: bool = False, occurrence: int = 0) -> list:
        if key not in t:
            if default is ...:
                raise self.w.fail(table, key, "missing", occurrence)
            return default
        v = t[key]
        what = f"{n} " if n else ""
        if not isinstance(v, list) or (n is not None and len(v) != n) or not v or not all(
                (isinstance(x, int) if whole else isinstance(x, (int, float)))
                and not isinstance(x, bool) and math.isfinite(x) for x in v):
            raise self.w.fail(table, key, f"expected a list of {what}"
                                          f"{'whole ' if whole else ''}numbers, got {v!r}",
                              occurrence)
        return list(v)

    def text(self, t: Mapping, table: str, key: str, default: Any = ...,
             choices: Sequence[str] | None = None) -> Any:
        if key not in t:
            if default is ...:
                raise self.w.fail(table, key, "missing")
            return default
        v = t[key]
        if not isinstance(v, str) or not v.strip():
            raise self.w.fail(table, key, f"expected a non-empty text, got {v!r}")
        if choices is not None and v not in choices:
            raise self.w.fail(table, key, f"expected one of {', '.join(choices)}, got {v!r}")
        return v.strip()

    def flag(self, t: Mapping, table: str, key: str, default: bool) -> bool:
        v = t.get(key, default)
        if not isinstance(v, bool):
            raise self.w.fail(table, key, f"expected true or false, got {v!r}")
        return v

    def file(self, t: Mapping, table: str, key: str, *, must_exist: bool = True,
             default: Any = ...) -> Any:
        if key not in t and default is not ...:
            return default
        p = Path(self.text(t, table, key))
        p = p if p.is_absolute() else self.path.parent / p
        if must_exist and not p.is_file():
            raise self.w.fail(table, key, f"no such file: {p}")
        return p


def read_project(path: str | Path) -> Project:
    """Read and check a project file (format: ``docs/project.md``).

    Raises :class:`InputError` naming the project file, the line and the key of the first
    problem: a missing table or key, an unknown key, a value of the wrong kind, a file that
    does not exist, a grid, search pass, top-cut, density or classification rule that is not
    valid.
    """
    from orebook.io.tomlfiles import read_toml

    path = Path(path).resolve() if Path(path).exists() else Path(path)
    doc, text = read_toml(path)
    r = _Reader(path, doc, text)
    for k in doc:
        if k not in _KEYS:
            raise InputError(f"unknown table or key {k!r}; tables: {', '.join(_KEYS)}",
                             file=str(path), row=r.w.line(k) or r.w.line("", k), column=k)
    for name in _REQUIRED:
        r.table(name, required=True)
    proj = r.table("project") or {}
    name = r.text(proj, "project", "name", default=path.stem)
    out = Path(r.text(proj, "project", "out", default="run"))
    out = out if out.is_absolute() else path.parent / out
    source = _source(r)
    composites = _composites(r, source)
    statistics = _statistics(r)
    variography = _variography(r)
    estimate = _estimate(r)
    cv = r.table("crossval") or {}
    crossval = {"enabled": r.flag(cv, "crossval", "enabled", True),
                "by_hole": r.flag(cv, "crossval", "by_hole", False)}
    rules = None
    if "classification" in doc:
        from orebook.resources.classify import read_rules

        read_rules(path)   # errors name this file's lines
        rules = path
    resources = _resources(r)
    ex = r.table("export") or {}
    export = {k: r.flag(ex, "export", k, True) for k in ("omf", "parquet", "geoeas")}
    balance = _balance(r)
    return Project(path=path, name=name, out=out, source=source, composites=composites,
                   statistics=statistics, variography=variography, estimate=estimate,
                   crossval=crossval, resources=resources, export=export, balance=balance,
                   rules=rules, raw=doc)


def _source(r: _Reader) -> dict:
    from orebook.synthetic.vein import VeinSpec

    t = r.table("source", required=True)
    assert t is not None
    if "synthetic" in t:
        other = [k for k in t if k not in ("synthetic",)]
        if other:
            raise r.w.fail("source", other[0], "a synthetic source takes no drill-hole files")
        s = t["synthetic"]
        if not isinstance(s, dict):
            raise r.w.fail("source", "synthetic", f"expected a table {{seed = …, …}}, got {s!r}")
        fields = {f.name: f for f in dataclasses.fields(VeinSpec)}
        seed = s.get("seed", 20261127)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise r.w.fail("source", "synthetic", f"seed: expected a whole number ≥ 0, got "
                                                  f"{seed!r}")
        spec = {}
        for k, v in s.items():
            if k == "seed":
                continue
            if k not in fields:
                raise r.w.fail("source", "synthetic", f"unknown key {k!r}; keys: seed, "
                                                      f"{', '.join(fields)}")
            default = getattr(VeinSpec(), k)
            if isinstance(default, tuple):
                ok = isinstance(v, list) and len(v) == len(default) and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
                v = tuple(float(x) for x in v) if ok else v
            elif isinstance(default, int):
                ok = isinstance(v, int) and not isinstance(v, bool)
            else:
                ok = isinstance(v, (int, float)) and not isinstance(v, bool)
                v = float(v) if ok else v
            if not ok or (isinstance(v, float) and not math.isfinite(v)):
                raise r.w.fail("source", "synthetic", f"{k}: expected "
                                                      f"{type(default).__name__}, got {v!r}")
            spec[k] = v
        try:
            VeinSpec(**spec)
        except OrebookError as exc:
            raise r.w.fail("source", "synthetic", str(exc)) from None
        except (OverflowError, ValueError) as exc:
            raise r.w.fail("source", "synthetic", f"not a valid vein: {exc}") from None
        return {"synthetic": {"seed": seed, "spec": spec}}
    collars = r.file(t, "source", "collars")
    surveys = r.file(t, "source", "surveys", default=None)
    raw_iv = t.get("intervals")
    if not isinstance(raw_iv, list) or not raw_iv or not all(
            isinstance(x, str) and x.strip() for x in raw_iv):
        raise r.w.fail("source", "intervals", f"expected a list of interval files, got "
                                              f"{raw_iv!r}")
    intervals = []
    for x in raw_iv:
        p = Path(x) if Path(x).is_absolute() else r.path.parent / x
        if not p.is_file():
            raise r.w.fail("source", "intervals", f"no such file: {p}")
        intervals.append(p)
    columns = t.get("columns", {})
    from orebook.io.columns import ALIASES

    if not isinstance(columns, dict) or not all(
            isinstance(v, str) and v.strip() for v in columns.values()):
        raise r.w.fail("source", "columns", f"expected a table {{role = \"NAME\"}}, got "
                                            f"{columns!r}")
    for k in columns:
        if k not in ALIASES:
            raise r.w.fail("source", "columns", f"unknown role {k!r}; roles: "
                                                f"{', '.join(ALIASES)}")
    return {"collars": collars, "surveys": surveys, "intervals": intervals,
            "units": r.text(t, "source", "units", "m", _CHOICES["units"]),
            "columns": dict(columns),
            "below_rule": r.text(t, "source", "below_rule", "half", _CHOICES["below_rule"]),
            "dip_down": r.text(t, "source", "dip_down", "auto", _CHOICES["dip_down"]),
            "max_dogleg": r.number(t, "source", "max_dogleg", 10.0, positive=True)}


def _composites(r: _Reader, source: dict) -> dict:
    from orebook.drillholes import parse_cap

    t = r.table("composites") or {}
    caps = t.get("caps", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise r.w.fail("composites", "caps", f"expected a list like [\"Au_gpt=p99.5\"], got "
                                             f"{caps!r}")
    for c in caps:
        try:
            parse_cap(c)
        except OrebookError as exc:
            raise r.w.fail("composites", "caps", str(exc)) from None
    domains = r.file(t, "composites", "domains", default=None)
    if domains is not None and "synthetic" in source:
        raise r.w.fail("composites", "domains", "the synthetic vein has no domain table")
    column = r.text(t, "composites", "domain_column", default=None)
    if column is not None and domains is None:
        raise r.w.fail("composites", "domain_column", "needs domains = \"FILE.csv\"")
    return {"length_m": r.number(t, "composites", "length_m", 1.0, positive=True),
            "residual": r.text(t, "composites", "residual", "merge", _CHOICES["residual"]),
            "min_coverage": r.number(t, "composites", "min_coverage", 0.5, minimum=0),
            "unsampled": r.text(t, "composites", "unsampled", "missing",
                                _CHOICES["unsampled"]),
            "domains": domains, "domain_column": column, "caps": list(caps),
            "method": r.text(t, "composites", "method", "mincurv", _CHOICES["method"])}


def _statistics(r: _Reader) -> dict:
    t = r.table("statistics", required=True)
    assert t is not None
    d = t.get("decluster", {})
    if not isinstance(d, dict) or any(k not in ("cells", "min_m", "max_m", "offsets")
                                      for k in d):
        raise r.w.fail("statistics", "decluster", "expected a table {cells = 10, min_m = …, "
                                                  f"max_m = …, offsets = 5}}, got {d!r}")
    dec = {"cells": r.number(d, "statistics.decluster", "cells", 10, whole=True, minimum=1),
           "min_m": r.number(d, "statistics.decluster", "min_m", 10.0, positive=True),
           "max_m": r.number(d, "statistics.decluster", "max_m", 200.0, positive=True),
           "offsets": r.number(d, "statistics.decluster", "offsets", 5, whole=True, minimum=1)}
    if dec["max_m"] < dec["min_m"]:
        raise r.w.fail("statistics", "decluster", "max_m must be ≥ min_m")
    return {"variable": r.text(t, "statistics", "variable"), "decluster": dec}


def _variography(r: _Reader) -> dict:
    from orebook.geostats import KINDS

    t = r.table("variography") or {}
    if "model" in t:
        other = [k for k in t if k != "model"]
        if other:
            raise r.w.fail("variography", other[0], "a given model (model = …) is not fitted: "
                                                    "leave out the fitting keys")
        from orebook.geostats.model_io import load_model

        p = r.file(t, "variography", "model")
        load_model(p)   # its own errors name its file and line
        return {"model": p}
    dirs = t.get("directions", [[0.0, 90.0, 1e9, 0.0, 90.0, 1e9]])
    if not isinstance(dirs, list) or not dirs or not all(
            isinstance(d, list) and len(d) == 6 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in d) for d in dirs):
        raise r.w.fail("variography", "directions", "expected a list of [azimuth, azimuth_tol,"
                                                    " bandwidth_h, dip, dip_tol, bandwidth_v] "
                                                    f"lists, got {dirs!r}")
    kinds = t.get("kinds", ["spherical"])
    if not isinstance(kinds, list) or not kinds or not all(k in KINDS for k in kinds):
        raise r.w.fail("variography", "kinds", f"expected a list of {', '.join(KINDS)}, got "
                                               f"{kinds!r}")
    structures = r.numbers(t, "variography", "structures", None, [1, 2], whole=True)
    if not all(1 <= n <= 3 for n in structures):
        raise r.w.fail("variography", "structures", f"expected numbers of structures from 1 to "
                                                    f"3, got {structures!r}")
    return {"model": None, "structures": structures,
            "lags": r.number(t, "variography", "lags", 12, whole=True, minimum=1),
            "lag_m": r.number(t, "variography", "lag_m", 10.0, positive=True),
            "directions": [[float(x) for x in d] for d in dirs], "kinds": list(kinds)}


def _estimate(r: _Reader) -> dict:
    from orebook.estimate.grid import BlockGrid
    from orebook.estimate.search import SearchParams

    t = r.table("estimate", required=True)
    assert t is not None
    if "plan" in t:
        other = [k for k in t if k != "plan"]
        if other:
            raise r.w.fail("estimate", other[0], "with plan = \"FILE.toml\" the plan says "
                                                 "everything: leave out the inline keys")
        p = r.file(t, "estimate", "plan")
        from orebook.io.tomlfiles import read_toml

        doc, _ = read_toml(p)
        if not isinstance(doc.get("grid"), dict) or not isinstance(doc.get("estimate"), list):
            raise r.w.fail("estimate", "plan", f"{p.name} is not an estimation plan (it needs "
                                               "[grid] and [[estimate]])")
        return {"plan": p}
    method = r.text(t, "estimate", "method", "ok", ("ok", "sk", "idw", "nn"))
    g = t.get("grid")
    if not isinstance(g, dict):
        raise r.w.fail("estimate", "grid", "the inline plan needs [estimate.grid] (origin, "
                                           "size, count, rotation)")
    grid = {"origin": r.numbers(g, "estimate.grid", "origin", 3),
            "size": r.numbers(g, "estimate.grid", "size", 3),
            "count": r.numbers(g, "estimate.grid", "count", 3, whole=True),
            "rotation": r.number(g, "estimate.grid", "rotation", 0.0)}
    for k in g:
        if k not in grid:
            raise r.w.fail("estimate.grid", k, "unknown key; keys: origin, size, count, "
                                               "rotation")
    try:
        BlockGrid(**grid)
    except OrebookError as exc:
        key = next((k for k in grid if str(exc).startswith(f"{k}:")), "grid")
        raise r.w.fail("estimate.grid", key, f"not a valid grid: {exc}") from None
    passes = t.get("pass")
    if not isinstance(passes, list) or not passes or not all(isinstance(p, dict)
                                                             for p in passes):
        raise r.w.fail("estimate", "pass", "the inline plan needs at least one "
                                           "[[estimate.pass]]")
    keys = ("radii", "angles", "min_samples", "max_samples", "max_per_octant", "max_per_hole")
    out_passes = []
    for i, p in enumerate(passes):
        for k in p:
            if k not in keys:
                raise r.w.fail("estimate.pass", k, f"unknown key; keys: {', '.join(keys)}", i)
        q = {"radii": r.numbers(p, "estimate.pass", "radii", 3, occurrence=i),
             "angles": r.numbers(p, "estimate.pass", "angles", 3, [0.0, 0.0, 0.0],
                                 occurrence=i)}
        for k, d in (("min_samples", 1), ("max_samples", 32), ("max_per_octant", 0),
                     ("max_per_hole", 0)):
            q[k] = r.number(p, "estimate.pass", k, d, whole=True, minimum=0, occurrence=i)
        try:
            SearchParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in q.items()})
        except OrebookError as exc:
            raise r.w.fail("estimate.pass", "radii", f"not a valid search pass: {exc}",
                           i) from None
        out_passes.append(q)
    mean = r.number(t, "estimate", "mean", None)
    if method == "sk" and mean is None:
        raise r.w.fail("estimate", "method", "simple kriging needs mean = …")
    return {"plan": None, "method": method, "grid": grid, "passes": out_passes,
            "discretisation": r.numbers(t, "estimate", "discretisation", 3, [1, 1, 1],
                                        whole=True),
            "mean": mean, "power": r.number(t, "estimate", "power", 2.0, minimum=0)}


def _resources(r: _Reader) -> dict:
    from orebook.resources.tonnage import parse_cutoffs, parse_density
    from orebook.units import metal_factor

    t = r.table("resources", required=True)
    assert t is not None
    cutoff = r.number(t, "resources", "cutoff")
    lower = r.number(t, "resources", "lower_cutoff", None)
    if lower is not None and not lower < cutoff:
        raise r.w.fail("resources", "lower_cutoff", f"must be below cutoff ({cutoff:g})")
    raw_cuts = t.get("cutoffs", None)
    try:
        if raw_cuts is None:
            cuts = [0.0, cutoff / 2, cutoff, cutoff * 2, cutoff * 4]
        elif isinstance(raw_cuts, str):
            cuts = parse_cutoffs(raw_cuts).tolist()
        else:
            cuts = parse_cutoffs(",".join(str(x) for x in r.numbers(
                t, "resources", "cutoffs", None))).tolist()
    except OrebookError as exc:
        raise r.w.fail("resources", "cutoffs", str(exc)) from None
    dens = t.get("density", 2.7)
    if isinstance(dens, bool) or not isinstance(dens, (int, float, str)):
        raise r.w.fail("resources", "density", f"expected a number (t/m³) or a block model "
                                               f"column, got {dens!r}")
    try:
        parsed = parse_density(str(dens))
    except OrebookError as exc:
        raise r.w.fail("resources", "density", str(exc)) from None
    if parsed.by_domain is not None:
        raise r.w.fail("resources", "density", "a project takes one density (t/m³) or a block "
                                               "model column, not DOMAIN=VALUE pairs")
    grade_unit = r.text(t, "resources", "grade_unit", "g/t")
    metal_unit = r.text(t, "resources", "metal_unit", "kg")
    try:
        metal_factor(grade_unit, metal_unit)
    except OrebookError as exc:
        raise r.w.fail("resources", "grade_unit", str(exc)) from None
    swath = r.numbers(t, "resources", "swath_m", 3, [20.0, 20.0, 10.0])
    if min(swath) <= 0:
        raise r.w.fail("resources", "swath_m", f"expected widths > 0, got {swath!r}")
    return {"cutoff": cutoff, "lower_cutoff": lower, "cutoffs": cuts, "density": str(dens),
            "grade_unit": grade_unit, "metal_unit": metal_unit,
            "price": r.number(t, "resources", "price", None, minimum=0),
            "currency": r.text(t, "resources", "currency", "USD"), "swath_m": swath}


def _balance(r: _Reader) -> dict | None:
    import datetime as dt

    t = r.table("balance")
    if t is None:
        return None
    date = t.get("effective_date")
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = date.isoformat()
    elif isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date.strip()).isoformat()
        except ValueError:
            raise r.w.fail("balance", "effective_date", f"expected YYYY-MM-DD, got "
                                                        f"{date!r}") from None
    else:
        raise r.w.fail("balance", "effective_date", f"expected a date YYYY-MM-DD, got {date!r}")
    url = r.text(t, "balance", "url", None)
    if url is not None and "://" not in url:
        raise r.w.fail("balance", "url", f"expected a database URL (sqlite:///FILE.db, "
                                         f"postgresql+psycopg://…), got {url!r}")
    if url is not None and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url[len("sqlite:///"):]
        url = "sqlite:///" + str(r.path.parent / rel) if rel and rel != ":memory:" else url
    return {"deposit": r.text(t, "balance", "deposit"),
            "commodity": r.text(t, "balance", "commodity"), "effective_date": date,
            "method": r.text(t, "balance", "method", None),
            "author": r.text(t, "balance", "author", None),
            "document": r.text(t, "balance", "document", None), "url": url}


# ------------------------------------------------------------------------------------------
# running


def _canonical(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def stage_key(parameters: Mapping, inputs: Mapping[str, str], upstream: Mapping[str, Mapping]
              ) -> str:
    """SHA-256 of a stage's parameters, input file hashes and upstream output hashes (with
    the orebook version), as canonical JSON: the stage's cache key."""
    from orebook import __version__

    blob = json.dumps(_canonical({"parameters": parameters, "inputs": inputs,
                                  "upstream": upstream, "orebook": __version__}),
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _record_of(folder: Path) -> dict | None:
    p = folder / "run.toml"
    if not p.is_file():
        return None
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _outputs_current(folder: Path, record: Mapping) -> bool:
    from orebook.io.runlog import file_sha256

    hashes = record.get("parameters", {}).get("outputs_sha256", {})
    return all((folder / name).is_file() and file_sha256(folder / name) == h
               for name, h in hashes.items())


def run_project(project: Project, *, out: str | Path | None = None,
                only: Sequence[str] | None = None, force: bool = False,
                progress: Callable[[str], None] | None = None) -> list[StageResult]:
    """Run the project's stages in order into ``out`` (default: the project's ``out``).

    A stage is run again only when its parameters, its input files (SHA-256) or its upstream
    stages' outputs (SHA-256) changed, or its own outputs were changed or removed, or
    ``force``. ``only``: run just these stages (their upstream stages must have run before).
    ``progress`` is called with each stage's name. Returns one :class:`StageResult` per stage
    considered, in order.
    """
    from orebook.io.runlog import file_sha256, write_run_record

    from .project_stages import SPECS, StageContext

    folder = (Path(out) if out is not None else Path(project.out)).resolve()
    names = list(STAGES)
    if only:
        bad = [s for s in only if s not in STAGES]
        if bad:
            raise ParameterError(f"--only {bad[0]!r}: not a stage; stages: "
                                 f"{', '.join(STAGES)}")
        names = [s for s in STAGES if s in only]
    results: list[StageResult] = []
    for name in names:
        spec = SPECS[name]
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        ctx = StageContext(project, folder, name)
        why = spec.skip(ctx)
        if why:
            results.append(StageResult(name, "skipped", 0.0, note=why))
            continue
        upstream = {}
        for dep in spec.deps:
            rec = _record_of(folder / dep)
            if rec is None:
                if SPECS[dep].skip(ctx):
                    continue
                raise ParameterError(f"stage {name!r} needs the outputs of {dep!r}: run it "
                                     "first (orebook run without --only)")
            upstream[dep] = rec.get("parameters", {}).get("outputs_sha256", {})
        params = spec.parameters(ctx)
        inputs = {str(p): file_sha256(p) for p in spec.inputs(ctx)}
        key = stage_key(params, inputs, upstream)
        rec = _record_of(ctx.folder)
        if (not force and rec is not None
                and rec.get("parameters", {}).get("stage_key") == key
                and _outputs_current(ctx.folder, rec)):
            outs = tuple(ctx.folder / n for n in rec["parameters"]["outputs_sha256"])
            results.append(StageResult(name, "up to date", time.perf_counter() - t0, outs))
            continue
        (ctx.folder / "run.toml").unlink(missing_ok=True)   # a failed run leaves no record
        written = spec.run(ctx)
        hashes = {p.relative_to(ctx.folder).as_posix(): file_sha256(p) for p in written}
        write_run_record(ctx.folder / "run.toml", f"orebook run {project.path.name}: {name}",
                         {"stage": name, "stage_key": key, "outputs_sha256": hashes,
                          "upstream_sha256": upstream, **_canonical(params)},
                         list(spec.inputs(ctx)), [p.name for p in written])
        results.append(StageResult(name, "ran", time.perf_counter() - t0, tuple(written),
                                   ctx.note))
    return results
