"""The stages of ``orebook run``: what each reads, writes and depends on (``docs/project.md``).

Each stage is a :class:`StageSpec`: its upstream stages, a test that skips it (``[crossval]
enabled = false``, no ``[balance] url`` …), its parameters and input files (which, with the
upstream outputs' SHA-256, make its cache key) and the function that runs it. Stages talk only
through the files in the run folder, so any stage can be skipped when it is up to date.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orebook.errors import InputError, OrebookError, ParameterError

__all__ = ["SPECS", "TRUTH_TOLERANCE", "StageContext", "StageSpec", "grade_column"]

TRUTH_TOLERANCE = 0.15
"""The stated tolerance of the estimate against the synthetic truth: the metal above the
cut-off within ±15 % (checked by ``tests/project``)."""


class StageContext:
    """A stage's view of the run: the project, the run folder and the stage's own folder;
    ``note`` is a line the stage may leave for the summary."""

    def __init__(self, project, run: Path, stage: str) -> None:
        self.project, self.run, self.stage = project, Path(run), stage
        self.folder = self.run / stage
        self.note = ""

    def of(self, stage: str, name: str) -> Path:
        """A file of another stage's folder."""
        return self.run / stage / name


@dataclass(frozen=True)
class StageSpec:
    deps: tuple[str, ...]
    parameters: Callable[[StageContext], dict]
    inputs: Callable[[StageContext], list[Path]]
    run: Callable[[StageContext], list[Path]]
    skip: Callable[[StageContext], str | None] = lambda ctx: None


def grade_column(project) -> str:
    """The block model's column holding the estimate of the project's variable."""
    return f"{project.variable}_estimate"


def _json(path: Path, value: Any) -> Path:
    from orebook.io.writing import write_text_atomic

    return write_text_atomic(path, json.dumps(value, indent=2, default=float) + "\n")


# ------------------------------------------------------------------------------ drill holes
def _drillhole_files(ctx: StageContext) -> tuple[Path, Path | None, list[Path], dict]:
    p = ctx.project
    if p.synthetic is not None:
        f = ctx.run / "drillholes"
        return f / "collar.csv", f / "survey.csv", [f / "assay.csv"], {}
    s = p.source
    intervals = list(s["intervals"])
    if p.composites["domains"] is not None:
        intervals.append(p.composites["domains"])
    return s["collars"], s["surveys"], intervals, {
        "units": s["units"], "dip_down": s["dip_down"], "column_map": s["columns"],
        "below_rule": s["below_rule"], "max_dogleg": s["max_dogleg"]}


def _load(ctx: StageContext):
    from orebook.drillholes import load_drillholes

    collars, surveys, intervals, kw = _drillhole_files(ctx)
    data, rep = load_drillholes(collars, surveys, intervals, **kw)
    if not rep.usable:
        raise OrebookError("the drill holes cannot be used: " + "; ".join(rep.fatal))
    return data, rep


def _user_files(ctx: StageContext) -> list[Path]:
    if ctx.project.synthetic is not None:
        return []
    collars, surveys, intervals, _ = _drillhole_files(ctx)
    return [collars, *([surveys] if surveys is not None else []), *intervals]


def _run_drillholes(ctx: StageContext) -> list[Path]:
    from orebook.io.writing import write_table

    written: list[Path] = []
    if ctx.project.synthetic is not None:
        from orebook.synthetic.vein import VeinSpec, generate_vein, write_vein

        syn = ctx.project.synthetic
        deposit = generate_vein(VeinSpec(**syn["spec"]), seed=syn["seed"])
        written += write_vein(deposit, ctx.folder)
    data, rep = _load(ctx)
    written.append(write_table(rep.to_frame(), ctx.folder / "validation.csv"))
    summary = rep.summary()
    written.append(write_table(summary, ctx.folder / "validation_summary.csv"))
    rows = [{"file": Path(f).name, "read": n, "used": rep.rows_used.get(f, 0)}
            for f, n in rep.rows_read.items()]
    written.append(write_table(pd.DataFrame(rows), ctx.folder / "rows.csv"))
    iv = data.intervals[0]
    written.append(_json(ctx.folder / "summary.json", {
        "holes": len(data.collars.hole), "intervals": len(iv.hole),
        "metres": float(np.sum(iv.to_m - iv.from_m)), "errors": int(rep.errors),
        "warnings": int(rep.warnings), "synthetic": ctx.project.synthetic is not None}))
    ctx.note = f"{len(data.collars.hole)} holes, {rep.errors} errors, {rep.warnings} warnings"
    return written


# ------------------------------------------------------------------------------ composites
def _run_composites(ctx: StageContext) -> list[Path]:
    from orebook.drillholes import cap, composite, hole_points, parse_cap
    from orebook.io.writing import write_table

    c = ctx.project.composites
    data, _ = _load(ctx)
    domains = c["domains"] is not None
    dom = data.intervals[-1] if domains else None
    tables = data.intervals[:-1] if domains else data.intervals
    comps = composite(data, c["length_m"], tables=tables, domains=dom,
                      domain_column=c["domain_column"], residual=c["residual"],
                      min_coverage=c["min_coverage"], unsampled=c["unsampled"],
                      method=c["method"])
    if ctx.project.variable not in comps.values:
        raise ParameterError(f"[statistics] variable {ctx.project.variable!r} is not a value "
                             f"of the drill holes; values: {', '.join(comps.values)}")
    comps, caps = cap(comps, [parse_cap(x) for x in c["caps"]])
    frame = comps.to_frame()
    xyz_from = _locate(data, comps.hole, comps.from_m, c["method"])
    xyz_to = _locate(data, comps.hole, comps.to_m, c["method"])
    for i, a in enumerate("xyz"):
        frame[f"{a}_from"], frame[f"{a}_to"] = xyz_from[:, i], xyz_to[:, i]
    ctx.note = f"{len(comps):,} composites of {c['length_m']:g} m"
    return [write_table(frame, ctx.folder / "composites.csv"),
            write_table(caps, ctx.folder / "caps.csv"),
            write_table(hole_points(data, c["method"]), ctx.folder / "traces.csv")]


def _locate(data, hole, depth, method: str) -> np.ndarray:
    from orebook.drillholes.desurvey import desurvey

    return desurvey(data.collars, data.surveys, np.asarray(hole), np.asarray(depth, float),
                    method=method)


def _composites(ctx: StageContext):
    from orebook.io.composites import read_composites

    return read_composites(ctx.of("composites", "composites.csv"))


def _values(ctx: StageContext):
    comps = _composites(ctx)
    xyz = np.column_stack([comps.x, comps.y, comps.z])
    return comps, xyz, comps.values[ctx.project.variable]


# ------------------------------------------------------------------------------ statistics
def _run_statistics(ctx: StageContext) -> list[Path]:
    from orebook.geostats import cell_declustering, summary_statistics
    from orebook.geostats.declustering_plots import plot_declustering
    from orebook.geostats.statistics_plots import plot_histogram, plot_probability
    from orebook.io.writing import write_table

    v = ctx.project.variable
    _, xyz, values = _values(ctx)
    ok = np.isfinite(values)
    if ok.sum() < 2:
        raise ParameterError(f"{v}: fewer than 2 composites with a value")
    d = ctx.project.statistics["decluster"]
    dec = cell_declustering(xyz[ok], values[ok], ncell=d["cells"], cmin=d["min_m"],
                            cmax=d["max_m"], noff=d["offsets"])
    weights = np.full(values.size, np.nan)
    weights[ok] = dec.weights
    stats = summary_statistics({v: values[ok]}, {v: np.ones(ok.sum())})
    stats.insert(0, "weights", "equal")
    dstats = summary_statistics({v: values[ok]}, {v: dec.weights})
    dstats.insert(0, "weights", f"declustered ({dec.cell_size:g} m cells)")
    ctx.note = f"mean {dec.naive_mean:.4g} → {dec.mean:.4g} declustered"
    return [write_table(pd.concat([stats, dstats], ignore_index=True),
                        ctx.folder / "statistics.csv"),
            write_table(pd.DataFrame({"sample": np.arange(values.size), "weight": weights}),
                        ctx.folder / "weights.csv"),
            _json(ctx.folder / "declustering.json",
                  {"cell_size_m": float(dec.cell_size), "naive_mean": float(dec.naive_mean),
                   "declustered_mean": float(dec.mean)}),
            plot_histogram(values[ok], ctx.folder / "histogram.png", weights=dec.weights,
                           variable=v, log=True),
            plot_probability(values[ok], ctx.folder / "probability.png", weights=dec.weights,
                             variable=v),
            plot_declustering(dec, ctx.folder / "declustering.png", variable=v)]


# ------------------------------------------------------------------------------ variography
def _run_variography(ctx: StageContext) -> list[Path]:
    from orebook.geostats import (
        Direction,
        Lags,
        experimental_variogram,
        fit_model,
        load_model,
        save_model,
        variograms_to_frame,
    )
    from orebook.geostats.experimental import gstat_default_lags
    from orebook.geostats.variogram_plots import plot_variograms
    from orebook.io.writing import write_table

    v = ctx.project.variable
    g = ctx.project.variography
    _, xyz, values = _values(ctx)
    written = []
    if g["model"] is not None:
        model = load_model(g["model"])
        evs = experimental_variogram(xyz, values, lags=gstat_default_lags(xyz),
                                     directions=[Direction(0.0, 90.0, np.inf, 0.0, 90.0,
                                                           np.inf)])
        save_model(model, ctx.folder / "model.toml",
                   description=f"{v}: given model {g['model'].name}")
        ctx.note = f"model given ({g['model'].name})"
    else:
        evs = experimental_variogram(xyz, values, lags=Lags(g["lags"], g["lag_m"]),
                                     directions=[Direction(*d) for d in g["directions"]])
        fit = fit_model(evs, kinds=g["kinds"], structures=g["structures"])
        model = fit.model
        save_model(model, ctx.folder / "model.toml",
                   description=f"{v}: fitted by orebook run ({ctx.project.name})")
        written.append(write_table(fit.parameters, ctx.folder / "fit.csv"))
        ctx.note = "model fitted"
    written.insert(0, ctx.folder / "model.toml")
    written.append(write_table(variograms_to_frame(evs), ctx.folder / "experimental.csv"))
    plot_variograms(evs, model, path=ctx.folder / "variograms.png",
                    title=f"{v}: experimental variograms and model")
    written.append(ctx.folder / "variograms.png")
    return written


# ------------------------------------------------------------------------------ estimation
def _plan_document(ctx: StageContext) -> dict:
    """The estimation plan the stage runs: the inline ``[estimate]`` (or the plan file) with
    the run's composites as samples, the variography model, and the output in the run."""
    from orebook.io.tomlfiles import read_toml

    p = ctx.project
    e = p.estimate
    samples = str(ctx.of("composites", "composites.csv"))
    model = str(ctx.of("variography", "model.toml"))
    output = {"file": str(ctx.folder / "model.parquet")}
    if e["plan"] is None:
        step: dict[str, Any] = {"variable": p.variable, "method": e["method"],
                                "discretisation": e["discretisation"], "power": e["power"],
                                "pass": e["passes"]}
        if e["method"] in ("ok", "sk"):
            step["model"] = model
        if e["mean"] is not None:
            step["mean"] = e["mean"]
        return {"samples": {"file": samples}, "grid": dict(e["grid"]), "estimate": [step],
                "output": output}
    doc, _ = read_toml(e["plan"])
    base = e["plan"].parent
    doc = dict(doc)
    s = dict(doc.get("samples") or {})
    s["file"] = samples
    doc["samples"] = s
    doc["output"] = output
    grid = dict(doc.get("grid") or {})
    if isinstance(grid.get("domains"), dict) and isinstance(grid["domains"].get("file"), str):
        grid["domains"] = {**grid["domains"],
                           "file": str(base / grid["domains"]["file"])}
    doc["grid"] = grid
    steps = []
    for st in doc.get("estimate") or []:
        st = dict(st) if isinstance(st, dict) else st
        if isinstance(st, dict):
            if isinstance(st.get("model"), str):
                st["model"] = str(base / st["model"])
            elif st.get("method", "ok") in ("ok", "sk"):
                st["model"] = model
        steps.append(st)
    doc["estimate"] = steps
    return doc


def _run_estimate(ctx: StageContext) -> list[Path]:
    import tomli_w

    from orebook.estimate.plan import read_plan, run_plan
    from orebook.io.writing import write_table, write_text_atomic

    plan_path = write_text_atomic(ctx.folder / "plan.toml", tomli_w.dumps(_plan_document(ctx)))
    plan = read_plan(plan_path)
    if not any(s.prefix == f"{ctx.project.variable}_" for s in plan.steps):
        raise InputError(f"the plan estimates no {ctx.project.variable!r} (the [statistics] "
                         "variable) with the default prefix", file=str(ctx.project.path),
                         column="estimate")
    out, summaries = run_plan(plan)
    table = pd.concat([s.assign(variable=st.variable) for s, st in zip(summaries, plan.steps)],
                      ignore_index=True)
    table["radii_m"] = table["radii_m"].astype(str)
    ctx.note = f"{int(table['estimated'].sum()):,} blocks estimated"
    return [plan_path, out, write_table(table, ctx.folder / "passes.csv")]


# ------------------------------------------------------------------------------ cross-validation
def _run_crossval(ctx: StageContext) -> list[Path]:
    from orebook.estimate.crossval_plots import plot_crossval_scatter
    from orebook.estimate.plan import crossval_plan, read_plan
    from orebook.io.writing import write_table

    plan = read_plan(ctx.of("estimate", "plan.toml"))
    cvs = crossval_plan(plan, by_hole=ctx.project.crossval["by_hole"])
    i = next(i for i, s in enumerate(plan.steps) if s.variable == ctx.project.variable)
    cv = cvs[i]
    stats = pd.DataFrame([{"variable": s.variable, **c.statistics}
                          for s, c in zip(plan.steps, cvs)])
    ctx.note = f"{len(cv.table):,} samples"
    return [write_table(cv.table, ctx.folder / "crossval.csv"),
            write_table(stats, ctx.folder / "statistics.csv"),
            plot_crossval_scatter(cv, ctx.folder / "scatter.png",
                                  variable=ctx.project.variable)]


# ------------------------------------------------------------------------------ classification
def _run_classify(ctx: StageContext) -> list[Path]:
    from orebook.crosswalk import read_crosswalk
    from orebook.estimate import BlockModel
    from orebook.io.writing import write_table
    from orebook.resources.classify import (
        STATE_CLASSES,
        classify,
        labels_of,
        read_rules,
        to_crirsco,
    )
    from orebook.resources.smoothing import smooth

    rules = read_rules(ctx.project.rules)
    cw = read_crosswalk(rules.crosswalk)
    m = BlockModel.load_parquet(ctx.of("estimate", "model.parquet"))
    result = classify(m, rules, cw)
    columns = {"class_state": result.state_text(), "class_crirsco": result.crirsco_text()}
    if rules.smoothing.iterations > 0:
        domain = None
        if rules.smoothing.within_domains and rules.domain_column:
            domain = m[rules.domain_column]
        s = smooth(result.state, m.grid, m.index, iterations=rules.smoothing.iterations,
                   window=rules.smoothing.window, max_same=rules.smoothing.max_same,
                   domain=domain)
        sc, classes = to_crirsco(s.classes, cw)
        columns = {"class_state": labels_of(s.classes, STATE_CLASSES),
                   "class_crirsco": labels_of(sc, classes)}
    m = m.add_columns(columns, {"command": "orebook run: classify", "rules": rules.to_dict()},
                      overwrite=True)
    out = m.save_parquet(ctx.folder / "model.parquet")
    counts = pd.Series(columns["class_state"]).value_counts().rename_axis("class_state")
    ctx.note = ", ".join(f"{k}: {v:,}" for k, v in counts.items())
    return [out, write_table(counts.reset_index(name="blocks"), ctx.folder / "classes.csv")]


def _skip_classify(ctx: StageContext) -> str | None:
    return None if ctx.project.rules is not None else "no [classification] rules"


def _classify_inputs(ctx: StageContext) -> list[Path]:
    if ctx.project.rules is None:
        return []
    from orebook.resources.classify import read_rules

    cw = read_rules(ctx.project.rules).crosswalk
    return [Path(cw)] if cw is not None and Path(cw).is_file() else []


# ------------------------------------------------------------------------------ resources
def _block_model(ctx: StageContext):
    from orebook.estimate import BlockModel

    classified = ctx.of("classify", "model.parquet")
    if ctx.project.rules is not None:
        return BlockModel.load_parquet(classified), True
    return BlockModel.load_parquet(ctx.of("estimate", "model.parquet")), False


def truth_comparison(model, truth: pd.DataFrame, column: str, density, cutoffs,
                     grade_unit: str, metal_unit: str) -> pd.DataFrame:
    """Tonnes, grade and metal above each cut-off: the estimate (``column`` of ``model``,
    tonnes from ``density``) against the truth (``true_<variable>`` and ``density_tpm3`` of
    :func:`orebook.synthetic.vein.true_blocks` on the model's grid)."""
    from orebook.resources.tonnage import block_tonnage
    from orebook.units import metal_factor

    factor = metal_factor(grade_unit, metal_unit)
    est = block_tonnage(model, column, density)
    volume = float(np.prod(model.grid.size))
    name = next(c for c in truth.columns if c.startswith("true_"))
    t_grade = truth[name].to_numpy()[model.index]
    t_tonnes = volume * truth["density_tpm3"].to_numpy()[model.index]
    rows = []
    for c in cutoffs:
        a = np.isfinite(est.grade) & (est.grade >= c)
        b = t_grade >= c
        te, tt = float(est.tonnes[a].sum()), float(t_tonnes[b].sum())
        me = float((est.tonnes[a] * est.grade[a]).sum()) * factor
        mt = float((t_tonnes[b] * t_grade[b]).sum()) * factor
        rows.append({"cutoff": float(c), "tonnes_est_t": te, "tonnes_true_t": tt,
                     "grade_est": me / factor / te if te else np.nan,
                     "grade_true": mt / factor / tt if tt else np.nan,
                     f"metal_est_{metal_unit}": me, f"metal_true_{metal_unit}": mt,
                     "tonnes_diff_pct": 100 * (te / tt - 1) if tt else np.nan,
                     "metal_diff_pct": 100 * (me / mt - 1) if mt else np.nan})
    return pd.DataFrame(rows)


def _truth(ctx: StageContext, grid) -> pd.DataFrame:
    from orebook.synthetic.vein import VeinSpec, generate_vein, true_blocks

    doc = tomllib.loads(ctx.of("drillholes", "vein.toml").read_text(encoding="utf-8"))
    spec = {k: (tuple(v) if isinstance(v, list) else v) for k, v in doc["spec"].items()}
    deposit = generate_vein(VeinSpec(**spec), seed=doc["seed"])
    tb = true_blocks(deposit, grid)
    var = ctx.project.variable
    keep = f"true_{var}"
    if keep not in tb.columns:
        raise ParameterError(f"the synthetic vein's truth has no {var!r} (it has "
                             f"{', '.join(tb.columns)})")
    return tb[[keep, "density_tpm3", "vein_fraction"]]


def _run_resources(ctx: StageContext) -> list[Path]:
    from orebook.io.estimate_record import write_estimate_record
    from orebook.io.writing import write_table
    from orebook.resources.record import estimate_record, estimation_method
    from orebook.resources.resources_plots import plot_grade_tonnage, plot_swath
    from orebook.resources.statement import resource_statement, write_statement
    from orebook.resources.swath import swaths
    from orebook.resources.tonnage import block_tonnage, grade_tonnage, parse_density

    p, r = ctx.project, ctx.project.resources
    m, classified = _block_model(ctx)
    col = grade_column(p)
    dens = parse_density(r["density"])
    cls = "class_state" if classified else None
    blocks = block_tonnage(m, col, dens, class_column=cls)
    params = {"model": str(_block_model_path(ctx)), "variable": col,
              "price_per_metal_unit": r["price"], "currency": r["currency"]}
    gt = grade_tonnage(block_tonnage(m, col, dens), np.asarray(r["cutoffs"]),
                       grade_unit=r["grade_unit"], metal_unit=r["metal_unit"])
    st = resource_statement(blocks, r["cutoff"], grade_unit=r["grade_unit"],
                            metal_units=(r["metal_unit"],), parameters=params)
    written = [write_table(gt, ctx.folder / "grade_tonnage.csv"),
               plot_grade_tonnage(gt, ctx.folder / "grade_tonnage.png", variable=p.variable),
               write_statement(st, ctx.folder / "statement.csv"),
               write_table(st.display, ctx.folder / "statement_table.csv"),
               write_statement(st, ctx.folder / "statement.md"),
               write_statement(st, ctx.folder / "statement.xlsx")]
    b = p.balance
    if b is not None and classified:
        how = b["method"] or estimation_method(m, col) or "ordinary kriging"
        rec = estimate_record(blocks, cutoff=r["cutoff"], lower_cutoff=r["lower_cutoff"],
                              deposit=b["deposit"], commodity=b["commodity"],
                              effective_date=b["effective_date"], method=how,
                              grade_unit=r["grade_unit"], metal_unit=r["metal_unit"],
                              parameters=params, author=b["author"], document=b["document"])
        written.append(write_estimate_record(rec, ctx.folder / "estimate_record.json"))
    _, xyz, values = _values(ctx)
    w = pd.read_csv(ctx.of("statistics", "weights.csv"))["weight"].to_numpy()
    est = m[col].astype(np.float64)
    sw = swaths(m.centroids(), est, xyz, values, r["swath_m"], origin=m.grid.origin,
                sample_weights=np.nan_to_num(w, nan=0.0), variable=p.variable)
    written += [write_table(sw.table, ctx.folder / "swath.csv"),
                write_table(sw.global_means, ctx.folder / "global_means.csv"),
                plot_swath(sw, ctx.folder / "swath.png")]
    total = st.table.iloc[-1]
    metal = float(total[st.metal_columns[0]])
    summary = {"cutoff": r["cutoff"], "grade_unit": r["grade_unit"],
               "metal_unit": r["metal_unit"], "tonnes_t": float(total["tonnes_t"]),
               "grade": float(total[st.grade_column]), "metal": metal,
               "value": metal * r["price"] if r["price"] is not None else None,
               "currency": r["currency"]}
    if p.synthetic is not None:
        truth = _truth(ctx, m.grid)
        cmp = truth_comparison(m, truth, col, dens, sorted({*r["cutoffs"], r["cutoff"]}),
                               r["grade_unit"], r["metal_unit"])
        written.append(write_table(cmp, ctx.folder / "truth.csv"))
        at = cmp[np.isclose(cmp["cutoff"], r["cutoff"])].iloc[0]
        summary["truth"] = {"metal_diff_pct": float(at["metal_diff_pct"]),
                            "tonnes_diff_pct": float(at["tonnes_diff_pct"]),
                            "tolerance_pct": 100 * TRUTH_TOLERANCE,
                            "within": bool(abs(at["metal_diff_pct"]) <= 100 * TRUTH_TOLERANCE)}
        ctx.note = (f"metal at cut-off {at['metal_diff_pct']:+.1f} % against the truth "
                    f"(tolerance ±{100 * TRUTH_TOLERANCE:g} %)")
    written.append(_json(ctx.folder / "summary.json", summary))
    return written


def _block_model_path(ctx: StageContext) -> Path:
    return ctx.of("classify" if ctx.project.rules is not None else "estimate", "model.parquet")


# ------------------------------------------------------------------------------ exports
def _run_export(ctx: StageContext) -> list[Path]:
    from orebook.io.geoeas import write_geoeas
    from orebook.io.writing import write_table

    e = ctx.project.export
    m, _ = _block_model(ctx)
    frame = pd.read_csv(ctx.of("composites", "composites.csv"))
    comps = _composites(ctx)
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "fiu"]
    written = []
    if e["parquet"]:
        written += [m.save_parquet(ctx.folder / "blocks.parquet"),
                    write_table(frame, ctx.folder / "composites.parquet")]
    if e["geoeas"]:
        cols = [c for c in m.columns if m[c].dtype.kind in "biuf"]
        written += [write_geoeas(ctx.folder / "composites.dat", frame[numeric],
                                 title=f"{ctx.project.name}: composites"),
                    m.save_geoeas(ctx.folder / "blocks.dat", columns=cols)]
    if e["omf"]:
        from orebook.io.omf_files import block_model_element, drillholes_element, write_omf

        xyz_from = frame[["x_from", "y_from", "z_from"]].to_numpy()
        xyz_to = frame[["x_to", "y_to", "z_to"]].to_numpy()
        holes = drillholes_element(comps.hole, comps.from_m, comps.to_m, xyz_from, xyz_to,
                                   dict(comps.values), name="composites")
        written.append(write_omf(ctx.folder / "project.omf",
                                 [block_model_element(m, name="block model", columns=[
                                     c for c in m.columns if m[c].dtype.kind in "biuf"]),
                                  holes],
                                 name=ctx.project.name))
    return written


def _skip_export(ctx: StageContext) -> str | None:
    return None if any(ctx.project.export.values()) else "[export] turns every format off"


# ------------------------------------------------------------------------------ report
def _run_report(ctx: StageContext) -> list[Path]:
    from orebook.report_html import write_report

    return write_report(ctx.project, ctx.run, ctx.folder)


# ------------------------------------------------------------------------------ balance
def submit_to_balance(url: str, record_path: Path) -> dict:
    """Enter the estimate record into the balance at ``url``; returns what was done."""
    from orebook.balance import registry
    from orebook.balance.db import engine_from_url
    from orebook.io.estimate_record import read_estimate_record

    if not hasattr(registry, "submit_estimate"):    # pragma: no cover - balance in progress
        raise ParameterError("balance stage: not yet wired")
    record = read_estimate_record(record_path)
    engine = engine_from_url(url)
    try:
        estimate_id = registry.submit_estimate(engine, record)
    finally:
        engine.dispose()
    return {"url": url, "estimate_id": int(estimate_id), "deposit": record.deposit,
            "status": "submitted (awaiting approval)"}


def _run_balance(ctx: StageContext) -> list[Path]:
    rec = ctx.of("resources", "estimate_record.json")
    if not rec.is_file():
        raise ParameterError("balance: the resources stage wrote no estimate record (it needs "
                             "[classification] rules and a [balance] table)")
    done = submit_to_balance(ctx.project.balance["url"], rec)
    ctx.note = f"estimate {done['estimate_id']} submitted"
    return [_json(ctx.folder / "balance.json", done)]


def _skip_balance(ctx: StageContext) -> str | None:
    b = ctx.project.balance
    if b is None:
        return "no [balance] table"
    if b["url"] is None:
        return "no [balance] url"
    return None


# ------------------------------------------------------------------------------ the table
def _p(key: str) -> Callable[[StageContext], dict]:
    return lambda ctx: {key: getattr(ctx.project, key), "variable": ctx.project.variable}


SPECS: dict[str, StageSpec] = {
    "drillholes": StageSpec((), lambda ctx: {"source": ctx.project.source,
                                             "domains": ctx.project.composites["domains"]},
                            _user_files, _run_drillholes),
    "composites": StageSpec(("drillholes",), _p("composites"), _user_files, _run_composites),
    "statistics": StageSpec(("composites",), _p("statistics"), lambda ctx: [],
                            _run_statistics),
    "variography": StageSpec(("composites",), _p("variography"),
                             lambda ctx: [p for p in [ctx.project.variography["model"]] if p],
                             _run_variography),
    "estimate": StageSpec(("composites", "variography"), _p("estimate"),
                          lambda ctx: [p for p in [ctx.project.estimate["plan"]] if p],
                          _run_estimate),
    "crossval": StageSpec(("estimate",), _p("crossval"), lambda ctx: [], _run_crossval,
                          lambda ctx: None if ctx.project.crossval["enabled"]
                          else "[crossval] enabled = false"),
    "classify": StageSpec(("estimate",), lambda ctx: {
        "classification": ctx.project.raw.get("classification")}, _classify_inputs,
        _run_classify, _skip_classify),
    "resources": StageSpec(("drillholes", "statistics", "estimate", "classify"),
                           lambda ctx: {"resources": ctx.project.resources,
                                        "balance": {k: v for k, v in
                                                    (ctx.project.balance or {}).items()
                                                    if k != "url"},
                                        "variable": ctx.project.variable},
                           lambda ctx: [], _run_resources),
    "export": StageSpec(("composites", "estimate", "classify"), _p("export"), lambda ctx: [],
                        _run_export, _skip_export),
    "report": StageSpec(("drillholes", "composites", "statistics", "variography", "estimate",
                         "crossval", "classify", "resources"),
                        lambda ctx: {"name": ctx.project.name}, lambda ctx: [], _run_report),
    "balance": StageSpec(("resources",), lambda ctx: {"balance": ctx.project.balance},
                         lambda ctx: [], _run_balance, _skip_balance),
}
