"""Estimation plans: a TOML file that says which samples, which grid (and the blocks' domain
codes), which variables, models and search passes, and where the block model goes.
``orebook estimate PLAN.toml`` runs it; ``orebook crossval PLAN.toml`` cross-validates it.

::

    [samples]
    file = "composites.csv"          # relative to the plan's folder
    domain_column = "domain"         # optional

    [grid]
    origin = [548000.0, 3622000.0, 0.0]   # minimum corner of the first block (m)
    size = [10.0, 10.0, 5.0]              # block size (m)
    count = [200, 300, 240]
    rotation = 0.0                        # optional, degrees clockwise about Z
    domains = {file = "domains.parquet", column = "domain"}   # optional: block domain codes

    [[estimate]]
    variable = "Cu_pct"
    method = "ok"                    # ok, sk (needs mean), idw (power), nn
    model = "cu_model.toml"          # variogram model file (kriging)
    discretisation = [4, 4, 2]       # optional, points per block (default 1 1 1)
    domain = "ox"                    # optional: this domain's blocks, from its samples
    soft = ["ox", "tr"]              # optional: the sample domains it may use (soft boundary)

    [[estimate.pass]]
    radii = [100.0, 80.0, 40.0]
    angles = [30.0, 0.0, 0.0]        # optional
    min_samples = 4
    max_samples = 24
    max_per_octant = 0               # optional
    max_per_hole = 3                 # optional

    [output]
    file = "model.parquet"

Other top-level tables (``[classification]``, ``[executor]``, read by other parts of
orebook from the same file) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orebook.errors import InputError, OrebookError, ParameterError

from .search import SearchParams

__all__ = ["BlockDomains", "EstimateStep", "Plan", "crossval_plan", "plan_samples", "read_plan",
           "run_plan", "step_values"]

_METHODS = ("ok", "sk", "idw", "nn")
_BLOCK_SUFFIXES = (".parquet", ".csv", ".txt", ".xlsx")


@dataclass(frozen=True)
class BlockDomains:
    """Where the blocks' domain codes are: a block model file (Parquet written by orebook,
    or a CSV/XLSX of centroids) on the plan's grid, and its column. ``line``: the plan's
    line that names it."""

    file: Path
    column: str = "domain"
    line: int | None = None


@dataclass(frozen=True)
class EstimateStep:
    """One variable to estimate.

    ``domain``: estimate only the blocks of this domain code (all blocks when the plan has no
    block domains) from the samples of this domain (hard boundary) or of the domains in
    ``soft`` (soft boundary). ``line``: the plan's line of the step's ``[[estimate]]``;
    ``domain_line``: of its ``domain`` key.
    """

    variable: str
    method: str
    passes: tuple[SearchParams, ...]
    model: Path | None = None
    mean: float | None = None
    power: float = 2.0
    discretisation: tuple[int, int, int] = (1, 1, 1)
    domain: str | None = None
    prefix: str = ""
    soft: tuple[str, ...] = ()
    line: int | None = None
    domain_line: int | None = None

    @property
    def sample_domains(self) -> tuple[str, ...] | None:
        """The sample domain codes the step may use (None: every sample)."""
        if self.domain is None:
            return None
        return self.soft or (self.domain,)


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
    domains: BlockDomains | None = None

    def block_grid(self):
        """The plan's :class:`~orebook.estimate.grid.BlockGrid`."""
        from .grid import BlockGrid

        return BlockGrid(self.grid["origin"], self.grid["size"], self.grid["count"],
                         self.grid["rotation"])


_HEADER = re.compile(r"^\s*\[(\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")


def _sections(text: str) -> list[tuple[str, int, int]]:
    """(table name, first line, last line) of every table of ``text``; "" is the top level
    (from line 1 to the first header). Names lose their spaces around dots."""
    lines = text.splitlines()
    out: list[list] = [["", 1, len(lines)]]
    for no, line in enumerate(lines, start=1):
        m = _HEADER.match(line)
        if m:
            out[-1][2] = no - 1
            out.append([re.sub(r"\s*\.\s*", ".", m.group(2)), no, len(lines)])
    return [tuple(s) for s in out]  # type: ignore[misc]


class _Checker:
    """Reads values out of the document with errors naming the file, line and key. ``where``
    is (table name, occurrence): ``("grid", 0)``, ``("estimate", 2)`` (the third
    ``[[estimate]]``), ``("estimate.pass", 4)`` (the fifth pass of the file)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.lines = text.splitlines()
        self.sections = _sections(text)

    def line(self, where: tuple[str, int], key: str | None = None) -> int | None:
        """The line of ``key =`` in the table ``where``, else of the table's header."""
        name, occ = where
        spans = [s for s in self.sections if s[0] == name]
        if occ >= len(spans):
            return None
        _, first, last = spans[occ]
        if key is not None:
            pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for no in range(first, last + 1):
                if pattern.match(self.lines[no - 1]):
                    return no
        return first if name else None

    def fail(self, where: tuple[str, int], key: str, message: str) -> InputError:
        return InputError(message, file=str(self.path), row=self.line(where, key), column=key)

    def table(self, doc: Mapping, key: str, *, required: bool = True) -> dict:
        value = doc.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise InputError(f"the plan needs a [{key}] table", file=str(self.path),
                             row=self.line((key, 0)), column=key)
        return value

    def number(self, t: Mapping, where: tuple[str, int], key: str, *, default: Any = ...,
               whole: bool = False, minimum: float | None = None) -> Any:
        if key not in t:
            if default is ...:
                raise self.fail(where, key, f"missing {key}")
            return default
        v = t[key]
        ok = isinstance(v, int) if whole else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or (isinstance(v, float) and not np.isfinite(v)):
            raise self.fail(where, key, f"{key} must be "
                                        f"{'a whole number' if whole else 'a number'}, got {v!r}")
        if minimum is not None and v < minimum:
            raise self.fail(where, key, f"{key} must be ≥ {minimum:g}, got {v!r}")
        return v

    def numbers(self, t: Mapping, where: tuple[str, int], key: str, n: int, *,
                default: Any = ..., whole: bool = False) -> tuple:
        if key not in t:
            if default is ...:
                raise self.fail(where, key, f"missing {key} ({n} values)")
            return default
        v = t[key]
        if not isinstance(v, list) or len(v) != n:
            raise self.fail(where, key, f"{key} must be a list of {n} numbers, got {v!r}")
        for x in v:
            ok = isinstance(x, int) if whole else isinstance(x, (int, float))
            if isinstance(x, bool) or not ok or not np.isfinite(x):
                raise self.fail(where, key, f"{key} must hold {n} "
                                            f"{'whole ' if whole else ''}numbers, got {v!r}")
        return tuple(v)

    def text_value(self, t: Mapping, where: tuple[str, int], key: str, *,
                   default: Any = ...) -> Any:
        if key not in t:
            if default is ...:
                raise self.fail(where, key, f"missing {key}")
            return default
        v = t[key]
        if not isinstance(v, str) or not v.strip():
            raise self.fail(where, key, f"{key} must be a non-empty text, got {v!r}")
        return v

    def code(self, t: Mapping, where: tuple[str, int], key: str, v: Any) -> str:
        """A domain code: a non-empty text or a whole number, as text."""
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, str) and v.strip():
            return v.strip()
        raise self.fail(where, key, f"{key}: a domain code is a text or a whole number, "
                                    f"got {v!r}")

    def path_value(self, t: Mapping, where: tuple[str, int], key: str) -> Path:
        p = Path(self.text_value(t, where, key))
        return p if p.is_absolute() else self.path.parent / p


def read_plan(path: str | Path) -> Plan:
    """Read and check an estimation plan (see the module docstring for the format).

    Raises :class:`InputError` naming the plan, the line and the key of the first problem.
    """
    from orebook.io.tomlfiles import read_toml

    from .grid import BlockGrid

    path = Path(path)
    doc, text = read_toml(path)
    c = _Checker(path, text)
    samples = c.table(doc, "samples")
    at = ("samples", 0)
    sample_file = c.path_value(samples, at, "file")
    domain_column = c.text_value(samples, at, "domain_column", default=None)
    g = c.table(doc, "grid")
    at = ("grid", 0)
    grid = {"origin": c.numbers(g, at, "origin", 3), "size": c.numbers(g, at, "size", 3),
            "count": c.numbers(g, at, "count", 3, whole=True),
            "rotation": c.number(g, at, "rotation", default=0.0)}
    try:
        BlockGrid(grid["origin"], grid["size"], grid["count"], grid["rotation"])
    except OrebookError as exc:
        raise InputError(f"the grid is not valid: {exc}", file=str(path), row=c.line(at),
                         column="grid") from None
    domains = _block_domains(c, g)
    steps_raw = doc.get("estimate")
    if not isinstance(steps_raw, list) or not steps_raw or not all(
            isinstance(s, dict) for s in steps_raw):
        raise InputError("the plan needs at least one [[estimate]] table", file=str(path),
                         column="estimate")
    steps = []
    pass_no = 0
    for i, s in enumerate(steps_raw):
        at = ("estimate", i)
        variable = c.text_value(s, at, "variable")
        method = c.text_value(s, at, "method", default="ok")
        if method not in _METHODS:
            raise c.fail(at, "method", f"method must be one of {', '.join(_METHODS)}, got "
                                       f"{method!r}")
        passes_raw = s.get("pass")
        if not isinstance(passes_raw, list) or not passes_raw or not all(
                isinstance(p, dict) for p in passes_raw):
            raise InputError(f"[[estimate]] {variable!r} needs at least one [[estimate.pass]]",
                             file=str(path), row=c.line(at, "variable"), column="pass")
        passes = []
        for p in passes_raw:
            pat = ("estimate.pass", pass_no)
            try:
                passes.append(SearchParams(
                    radii=c.numbers(p, pat, "radii", 3),
                    angles=c.numbers(p, pat, "angles", 3, default=(0.0, 0.0, 0.0)),
                    min_samples=c.number(p, pat, "min_samples", default=1, whole=True,
                                         minimum=0),
                    max_samples=c.number(p, pat, "max_samples", default=32, whole=True,
                                         minimum=1),
                    max_per_octant=c.number(p, pat, "max_per_octant", default=0, whole=True,
                                            minimum=0),
                    max_per_hole=c.number(p, pat, "max_per_hole", default=0, whole=True,
                                          minimum=0)))
            except OrebookError as exc:
                if isinstance(exc, InputError):
                    raise
                raise c.fail(pat, "radii", f"search pass not valid: {exc}") from None
            pass_no += 1
        model = c.path_value(s, at, "model") if "model" in s else None
        if method in ("ok", "sk") and model is None:
            raise c.fail(at, "variable", f"{variable!r}: kriging needs model = \"FILE.toml\"")
        mean = c.number(s, at, "mean", default=None)
        if method == "sk" and mean is None:
            raise c.fail(at, "variable", f"{variable!r}: simple kriging needs mean = …")
        domain = c.code(s, at, "domain", s["domain"]) if "domain" in s else None
        soft: tuple[str, ...] = ()
        if "soft" in s:
            raw_soft = s["soft"]
            if domain is None:
                raise c.fail(at, "soft", "soft = [...] (the sample domains a domain's blocks "
                                         "may use) needs domain = …")
            if not isinstance(raw_soft, list) or not raw_soft:
                raise c.fail(at, "soft", f"soft must be a list of domain codes, got "
                                         f"{raw_soft!r}")
            soft = tuple(dict.fromkeys(c.code(s, at, "soft", v) for v in raw_soft))
        steps.append(EstimateStep(
            variable=variable, method=method, passes=tuple(passes), model=model, mean=mean,
            power=c.number(s, at, "power", default=2.0, minimum=0),
            discretisation=c.numbers(s, at, "discretisation", 3, default=(1, 1, 1),
                                     whole=True),
            domain=domain, soft=soft,
            prefix=c.text_value(s, at, "prefix", default=f"{variable}_"),
            line=c.line(at), domain_line=c.line(at, "domain")))
    _check_outputs(c, steps, domains is not None)
    out = c.table(doc, "output")
    output = c.path_value(out, ("output", 0), "file")
    if output.suffix.lower() != ".parquet":
        raise c.fail(("output", 0), "file",
                     f"the output is a block model: a .parquet file, got {output.name}")
    return Plan(path, sample_file, domain_column, grid, tuple(steps), output, doc, domains)


def _block_domains(c: _Checker, g: Mapping) -> BlockDomains | None:
    if "domains" not in g:
        return None
    d = g["domains"]
    where = ("grid.domains", 0) if c.line(("grid.domains", 0)) else ("grid", 0)
    if not isinstance(d, dict):
        raise c.fail(("grid", 0), "domains", f'domains must be a table {{file = "…", column = '
                                             f'"…"}}, got {d!r}')
    key = "file" if where[0] == "grid.domains" else "domains"
    if "file" not in d:
        raise c.fail(where, key, "domains needs file = \"BLOCKS.parquet\" (or .csv)")
    if not isinstance(d["file"], str) or not d["file"].strip():
        raise c.fail(where, key, f"domains: file must be a non-empty text, got {d['file']!r}")
    file = Path(d["file"])
    file = file if file.is_absolute() else c.path.parent / file
    if file.suffix.lower() not in _BLOCK_SUFFIXES:
        raise c.fail(where, key, f"domains: a block model file ({', '.join(_BLOCK_SUFFIXES)}),"
                                 f" got {file.name}")
    column = d.get("column", "domain")
    if not isinstance(column, str) or not column.strip():
        raise c.fail(where, "column" if where[0] == "grid.domains" else "domains",
                     f"domains: column must be a non-empty text, got {column!r}")
    return BlockDomains(file, column, c.line(where, key))


def _check_outputs(c: _Checker, steps: list[EstimateStep], block_domains: bool) -> None:
    """Two steps may write the same columns (the same prefix) only when each fills the blocks
    of its own domain."""
    seen: dict[str, EstimateStep] = {}
    for i, s in enumerate(steps):
        if s.prefix in seen:
            t = seen[s.prefix]
            if not (block_domains and s.domain is not None and t.domain is not None
                    and s.domain != t.domain):
                raise c.fail(("estimate", i), "prefix",
                             f"{s.variable!r} would write the columns {s.prefix}… that the "
                             f"[[estimate]] on line {t.line} writes; give each step its own "
                             f"prefix = \"…\" (or, with [grid] domains, its own domain)")
        else:
            seen[s.prefix] = s


# ------------------------------------------------------------------------------------------
# running


def _code_text(values: np.ndarray) -> np.ndarray:
    """Domain codes as text: numbers that are whole as integers (1, 1.0 and "1" are one code),
    text stripped, missing values (None, NaN, "") as ""."""
    import pandas as pd

    index, distinct = pd.factorize(np.asarray(values).reshape(-1), use_na_sentinel=True)
    texts = [_one_code(v) for v in distinct.tolist()] + [""]  # index −1: missing
    return np.array(texts, dtype=object)[index]


def _one_code(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if np.isnan(v) else (str(int(v)) if v.is_integer() else repr(v))
    if isinstance(v, bytes):
        return v.decode(errors="replace").strip()
    return str(v).strip()


def plan_samples(plan: Plan):
    """The plan's samples: (composites, (n, 3) x, y, z in m, hole ids or None when the file
    has none, sample domain codes as text ("" for none))."""
    from orebook.io.composites import read_composites

    comps = read_composites(plan.samples, domain_column=plan.domain_column)
    xyz = np.column_stack([comps.x, comps.y, comps.z])
    hole = comps.hole if (comps.hole != "").any() else None
    return comps, xyz, hole, _code_text(comps.domain)


def step_values(plan: Plan, step: EstimateStep, comps, codes: np.ndarray) -> np.ndarray:
    """The step's sample values, NaN outside the sample domains it may use (its ``domain``,
    or those of ``soft``). Raises :class:`InputError` naming the plan's line when the
    variable is not in the samples or no sample of those domains has a value."""
    if step.variable not in comps.values:
        raise InputError(f"variable {step.variable!r} is not in {plan.samples.name}; values: "
                         f"{', '.join(comps.values)}", file=str(plan.path), row=step.line,
                         column="variable")
    v = comps.values[step.variable].copy()
    use = step.sample_domains
    if use is not None:
        v[~np.isin(codes, list(use))] = np.nan
        if not np.isfinite(v).any():
            found = sorted(set(codes.tolist()) - {""})
            raise InputError(f"no sample of domain {' or '.join(map(repr, use))} has a value "
                             f"of {step.variable!r} in {plan.samples.name} (sample domains: "
                             f"{', '.join(found) or 'none: give [samples] domain_column'})",
                             file=str(plan.path), row=step.domain_line, column="domain")
    return v


def _load_block_domains(plan: Plan, grid) -> tuple[np.ndarray, np.ndarray]:
    """(codes as text per block of the grid, "" where none; the column's values per block)."""
    from .blockmodel import BlockModel

    d = plan.domains
    assert d is not None
    if d.file.suffix.lower() == ".parquet":
        m = BlockModel.load_parquet(d.file)
        if m.grid != grid:
            raise InputError(f"the block domains in {d.file.name} are on another grid "
                             f"({m.grid!r}) than the plan's ({grid!r})", file=str(plan.path),
                             row=d.line, column="domains")
    else:
        m = BlockModel.load_csv(d.file, grid=grid)
    if d.column not in m.columns:
        raise InputError(f"no column {d.column!r} in {d.file.name}; columns: "
                         f"{', '.join(m.columns) or 'none'}", file=str(plan.path), row=d.line,
                         column="domains")
    values = m[d.column]
    codes = np.full(grid.n_blocks, "", dtype=object)
    codes[m.index] = _code_text(values)
    if values.dtype.kind in "iub" and len(m) == grid.n_blocks:
        full = values.copy()
    elif values.dtype.kind in "iufb":
        full = np.full(grid.n_blocks, np.nan)
        full[m.index] = values
    else:
        full = codes.copy()
    return codes, full


def run_plan(plan: Plan, progress: Callable[[str], None] | None = None) -> tuple[Path, list]:
    """Run every estimate of ``plan`` into one block model and save it. Returns the output
    path and the run summaries (one per estimate).

    With block domains (``[grid] domains``), a step with ``domain`` estimates only that
    domain's blocks (the others stay missing in its columns, or keep what an earlier step of
    another domain wrote there); the block domain column is written to the model too.
    """
    from orebook.geostats.model_io import load_model

    from .blockmodel import BlockModel
    from .run import estimate_blocks

    comps, xyz, hole, codes = plan_samples(plan)
    grid = plan.block_grid()
    blocks = BlockModel.from_grid(grid)
    block_codes = None
    if plan.domains is not None:
        block_codes, column = _load_block_domains(plan, grid)
        blocks = blocks.add_columns({plan.domains.column: column},
                                    {"source": str(plan.domains.file)})
    summaries = []
    for step in plan.steps:
        if progress is not None:
            progress(f"Estimating {step.variable} ({step.method})")
        v = step_values(plan, step, comps, codes)
        model = load_model(step.model) if step.model is not None else None
        kwargs = {"method": step.method, "model": model, "mean": step.mean,
                  "discretisation": step.discretisation, "power": step.power, "hole": hole,
                  "prefix": step.prefix}
        if block_codes is None or step.domain is None:
            run = estimate_blocks(blocks, xyz, v, step.passes, **kwargs)
            blocks = run.model
            summaries.append(run.summary)
            continue
        mask = block_codes == step.domain
        if not mask.any():
            found = sorted(set(block_codes.tolist()) - {""})
            raise InputError(f"no block of domain {step.domain!r} in "
                             f"{plan.domains.file.name} (block domains: "
                             f"{', '.join(found) or 'none'})", file=str(plan.path),
                             row=step.domain_line, column="domain")
        run = estimate_blocks(BlockModel(grid, blocks.index[mask]), xyz, v, step.passes,
                              **kwargs)
        record = {**run.parameters, "domain": step.domain,
                  "sample_domains": list(step.sample_domains or ())}
        blocks = blocks.merge_part(mask, run.model, record)
        run.summary.attrs["domain"] = step.domain
        summaries.append(run.summary)
    blocks.save_parquet(plan.output)
    return plan.output, summaries


def crossval_plan(plan: Plan, *, by_hole: bool = False,
                  progress: Callable[[str], None] | None = None) -> list:
    """Cross-validate every estimate of ``plan``: each sample (of the step's domain, when it
    has one) estimated from the others (leave-one-out) or from the other holes (``by_hole``),
    with the step's method, model, search passes and sample domains, at its point (the
    block discretisation does not apply). Returns one
    :class:`~orebook.estimate.crossval.CrossValidation` per step."""
    from orebook.geostats.model_io import load_model

    from .crossval import cross_validate

    comps, xyz, hole, codes = plan_samples(plan)
    if by_hole and hole is None:
        raise InputError("leave-one-hole-out needs hole ids, and the samples have no hole "
                         "column", file=str(plan.samples))
    out = []
    for step in plan.steps:
        if progress is not None:
            progress(f"Cross-validating {step.variable} ({step.method})")
        v = step_values(plan, step, comps, codes)
        targets = None if step.domain is None else codes == step.domain
        if targets is not None and not (targets & np.isfinite(v)).any():
            raise InputError(f"no sample of domain {step.domain!r} has a value of "
                             f"{step.variable!r} to cross-validate", file=str(plan.path),
                             row=step.domain_line, column="domain")
        model = load_model(step.model) if step.model is not None else None
        try:
            cv = cross_validate(xyz, v, model, step.passes, kind=step.method, mean=step.mean,
                                power=step.power, hole=hole, by_hole=by_hole, targets=targets)
        except ParameterError as exc:
            raise InputError(f"{step.variable!r}: {exc}", file=str(plan.path), row=step.line,
                             column="estimate") from None
        out.append(cv)
    return out
