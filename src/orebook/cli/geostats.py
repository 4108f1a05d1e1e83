"""Commands of the geostatistics stage: ``stats``, ``decluster``, ``variogram …``.

Each reads composites (CSV, XLSX, Parquet or GeoEAS: see ``orebook.io.composites``) and writes
CSV tables, PNG plots and a ``run.toml`` recording the parameters and input hashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import numpy as np
import pandas as pd
import typer

from orebook.errors import OrebookError, ParameterError

from ._app import app, variogram_app
from ._shared import console, fail, print_frame, steps

Samples = Annotated[Path, typer.Argument(
    help="Composites or samples with x, y, z: CSV, XLSX, Parquet or GeoEAS.")]
Out = Annotated[Path, typer.Option("--out", help="Folder for the tables, plots and run.toml.")]
DomainColumn = Annotated[Optional[str], typer.Option(
    "--domain-column", help="Column of domain codes (default: a column named domain).")]
Domain = Annotated[Optional[str], typer.Option(
    "--domain", help="Use only the samples of this domain.")]


def _read(path: Path, domain_column: str | None, domain: str | None):
    from orebook.io.composites import read_composites

    comps = read_composites(path, domain_column=domain_column)
    if domain is not None:
        keep = comps.domain == domain
        if not keep.any():
            raise ParameterError(f"no sample of domain {domain!r} in {path}; domains: "
                                 f"{', '.join(sorted(set(comps.domain.tolist())))}")
        comps = comps.subset(keep)
    return comps


def _variable(comps, name: str | None, option: str = "--variable") -> str:
    if name is None:
        if len(comps.values) == 1:
            return next(iter(comps.values))
        raise ParameterError(f"say which variable with {option}; values: "
                             f"{', '.join(comps.values)}")
    if name not in comps.values:
        raise ParameterError(f"{option} {name!r} is not a value column; values: "
                             f"{', '.join(comps.values)}")
    return name


def _record(out: Path, command: str, params: dict, inputs: list[Path], outputs: list[Path]):
    from orebook.io.runlog import write_run_record

    write_run_record(out / "run.toml", command, params, inputs, [p.name for p in outputs])
    console.print("Wrote " + ", ".join(str(p) for p in [*outputs, out / "run.toml"]))


# ---------------------------------------------------------------------------- stats
@app.command()
def stats(
    samples: Samples,
    variable: Annotated[Optional[list[str]], typer.Option(
        "--variable", help="A variable to describe; repeat; default every value column.")
    ] = None,
    weights: Annotated[str, typer.Option(
        "--weights", help="length (sampled length, default), equal, or the name of a column "
        "holding weights (e.g. declustering weights).")] = "length",
    domain_column: DomainColumn = None,
    out: Out = Path("stats"),
) -> None:
    """Summary statistics per variable and domain, with histograms and log-probability plots."""
    from orebook.geostats import summary_statistics
    from orebook.geostats.statistics_plots import plot_histogram, plot_probability
    from orebook.io.writing import write_table

    try:
        with steps(3) as step:
            step("Reading samples")
            comps = _read(samples, domain_column, None)
            w_col = None
            if weights not in ("length", "equal"):
                if weights not in comps.values:
                    raise ParameterError(f"--weights {weights!r}: no such column; give length, "
                                         f"equal or one of {', '.join(comps.values)}")
                w_col = comps.values[weights]
            names = [_variable(comps, v) for v in variable] if variable else [
                v for v in comps.values if v != weights]
            vals = {n: comps.values[n] for n in names}
            w = ({n: comps.coverage[n] for n in names} if weights == "length"
                 else None if weights == "equal" else w_col)
            step("Statistics")
            table = summary_statistics(vals, w, comps.domain)
            step("Plots")
            written = [write_table(table, out / "statistics.csv")]
            for n in names:
                wn = w[n] if isinstance(w, dict) else w
                positive = np.nanmin(vals[n]) > 0 if np.isfinite(vals[n]).any() else False
                written.append(plot_histogram(vals[n], out / f"{n}_histogram.png", weights=wn,
                                              variable=n, log=bool(positive)))
                written.append(plot_probability(vals[n], out / f"{n}_probability.png",
                                                weights=wn, variable=n, log=bool(positive)))
        print_frame(table.drop(columns=["variance"]),
                    f"Statistics of {samples.name} (weights: {weights})")
        _record(out, "orebook stats", {"variables": names, "weights": weights,
                                       "domain_column": domain_column}, [samples], written)
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- decluster
@app.command()
def decluster(
    samples: Samples,
    variable: Annotated[Optional[str], typer.Option(
        "--variable", help="The variable whose declustered mean is minimised (or maximised).")
    ] = None,
    method: Annotated[Literal["cell", "polygonal"], typer.Option(
        "--method", help="cell (GSLIB declus) or polygonal (nearest-neighbour volumes).")
    ] = "cell",
    cells: Annotated[int, typer.Option("--cells", help="Number of cell sizes after the first "
                                       "(GSLIB ncell).")] = 24,
    min_size: Annotated[Optional[float], typer.Option(
        "--min-size", help="Smallest cell size, m (default: 1/100 of the largest extent).")
    ] = None,
    max_size: Annotated[Optional[float], typer.Option(
        "--max-size", help="Largest cell size, m (default: half the largest extent).")] = None,
    offsets: Annotated[int, typer.Option("--offsets", help="Origin offsets per size.")] = 5,
    anis_y: Annotated[float, typer.Option("--anis-y", help="Cell Y size / X size.")] = 1.0,
    anis_z: Annotated[float, typer.Option("--anis-z", help="Cell Z size / X size.")] = 1.0,
    maximize: Annotated[bool, typer.Option(
        "--maximize", help="Choose the size that maximises the mean (data clustered in low "
        "values).")] = False,
    domain_column: DomainColumn = None,
    domain: Domain = None,
    out: Out = Path("decluster"),
) -> None:
    """Declustering weights (cell or polygonal), the declustered mean and a plot of mean
    against cell size."""
    from orebook.geostats.declustering import cell_declustering, polygonal_weights
    from orebook.geostats.declustering_plots import plot_declustering
    from orebook.io.writing import write_table

    try:
        with steps(3) as step:
            step("Reading samples")
            comps = _read(samples, domain_column, domain)
            name = _variable(comps, variable)
            ok = np.isfinite(comps.values[name])
            c = comps.subset(ok)
            coords = np.column_stack([c.x, c.y, c.z])
            v = c.values[name]
            step(f"Declustering ({method})")
            extent = float(np.ptp(coords, axis=0).max()) if len(v) else 0.0
            params = {"variable": name, "method": method, "domain": domain}
            written = []
            if method == "cell":
                cmin = min_size if min_size is not None else extent / 100
                cmax = max_size if max_size is not None else extent / 2
                res = cell_declustering(coords, v, ncell=cells, cmin=cmin, cmax=cmax,
                                        noff=offsets, anis_y=anis_y, anis_z=anis_z,
                                        objective="max" if maximize else "min")
                w, mean, naive = res.weights, res.mean, res.naive_mean
                params |= {"cells": cells, "min_size": cmin, "max_size": cmax,
                           "offsets": offsets, "anis_y": anis_y, "anis_z": anis_z,
                           "objective": res.objective, "chosen_size": res.cell_size}
                step("Writing")
                written.append(write_table(res.table, out / "declustering.csv"))
                written.append(plot_declustering(res, out / "declustering.png", variable=name))
                note = (f"cell size {res.cell_size:g} m" if res.cell_size > 0
                        else "no cell size beats equal weights")
            else:
                w = polygonal_weights(coords)
                w = w / w.mean()
                mean, naive = float(np.average(v, weights=w)), float(v.mean())
                step("Writing")
                note = "nearest-neighbour volumes in the data's bounding box"
            table = pd.DataFrame({"hole": c.hole, "from": c.from_m, "to": c.to_m, "x": c.x,
                                  "y": c.y, "z": c.z, "domain": c.domain, name: v, "weight": w})
            written.insert(0, write_table(table, out / "weights.csv"))
        console.print(f"{name}: {len(v):,} samples; mean {naive:.6g} with equal weights, "
                      f"{mean:.6g} declustered ({note}); weights average 1")
        _record(out, "orebook decluster", params | {"mean": mean, "naive_mean": naive},
                [samples], written)
    except OrebookError as exc:
        raise fail(exc) from None


# ---------------------------------------------------------------------------- variograms
def _direction(text: str):
    from orebook.geostats import Direction

    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if not 1 <= len(numbers) <= 6:
        raise ParameterError(f"--direction {text!r}: expected up to six numbers "
                             "AZIMUTH,AZ_TOL,BAND_H,DIP,DIP_TOL,BAND_V (as a gamv.par line)")
    defaults = [0.0, 22.5, float("inf"), 0.0, 22.5, float("inf")]
    return Direction(*(numbers + defaults[len(numbers):]))


@variogram_app.command()
def experimental(
    samples: Samples,
    lags: Annotated[int, typer.Option("--lags", help="Number of lags.")],
    lag_width: Annotated[float, typer.Option("--lag-width", help="Lag separation, m.")],
    variable: Annotated[Optional[str], typer.Option(
        "--variable", help="The (tail) variable.")] = None,
    head: Annotated[Optional[str], typer.Option(
        "--head", help="The head variable of a cross variogram.")] = None,
    kind: Annotated[Literal["semivariogram", "cross", "covariance", "correlogram",
                            "pairwise_relative"], typer.Option(
        "--kind", help="What to compute (a cross variogram needs --head).")] = "semivariogram",
    lag_tol: Annotated[Optional[float], typer.Option(
        "--lag-tol", help="Lag tolerance, m (default half the lag width).")] = None,
    direction: Annotated[Optional[list[str]], typer.Option(
        "--direction", help="AZIMUTH,AZ_TOL,BAND_H,DIP,DIP_TOL,BAND_V (degrees, metres; "
        "missing values: tolerances 22.5°, no bandwidth); repeat. Default: omnidirectional.")
    ] = None,
    downhole: Annotated[bool, typer.Option(
        "--downhole", help="Also the variogram along the holes (needs hole, from, to).")
    ] = False,
    standardize: Annotated[bool, typer.Option(
        "--standardize", help="Divide a semivariogram by the variance (sill 1).")] = False,
    map_cells: Annotated[int, typer.Option(
        "--map", help="Also a variogram map of ±N lag-width cells in plan (0: none).")] = 0,
    domain_column: DomainColumn = None,
    domain: Domain = None,
    out: Out = Path("variogram"),
) -> None:
    """Experimental variograms (GSLIB gamv conventions) in one or several directions, with
    their plot; optionally downhole and a variogram map."""
    from orebook.geostats import (Lags, downhole_variogram, experimental_variogram,
                                  variogram_map, variograms_to_frame)
    from orebook.geostats.experimental import OMNI
    from orebook.geostats.variogram_plots import plot_variogram_map, plot_variograms
    from orebook.io.writing import write_table

    try:
        with steps(4) as step:
            step("Reading samples")
            comps = _read(samples, domain_column, domain)
            tail = _variable(comps, variable)
            hname = _variable(comps, head, "--head") if head is not None else None
            if kind == "cross" and hname is None:
                raise ParameterError("--kind cross needs --head VARIABLE")
            dirs = [_direction(d) for d in direction] if direction else [OMNI]
            lag_def = Lags(lags, lag_width, lag_tol)
            coords = np.column_stack([comps.x, comps.y, comps.z])
            step(f"Pairs in {len(dirs)} direction(s)")
            evs = experimental_variogram(
                coords, comps.values[tail], comps.values[hname] if hname else None,
                lags=lag_def, directions=dirs, kind=kind, standardize=standardize)
            if downhole:
                if (comps.hole == "").all():
                    raise ParameterError("--downhole needs hole, from and to columns")
                evs.append(downhole_variogram(comps, tail, lags=lag_def, kind=kind, head=hname,
                                              standardize=standardize))
            step("Writing")
            written = [write_table(variograms_to_frame(evs), out / "experimental.csv")]
            png = out / "experimental.png"
            plot_variograms(evs, path=png, title=f"{kind} of {tail}"
                            + (f" × {hname}" if hname else ""))
            written.append(png)
            if map_cells > 0:
                step("Variogram map")
                gamma, pairs = variogram_map(coords, comps.values[tail], nx=map_cells,
                                             ny=map_cells, cell=lag_width,
                                             standardize=standardize)
                mpng = out / "variogram_map.png"
                plot_variogram_map(gamma, pairs, lag_width, path=mpng,
                                   title=f"Variogram map of {tail}")
                written.append(mpng)
        for ev in evs:
            show = ev.to_frame()
            show = show[show["pairs"] > 0].drop(columns=["lag"])
            print_frame(show, f"{ev.title} ({ev.kind}, {len(show)} lags with pairs)")
        _record(out, "orebook variogram experimental",
                {"variable": tail, "head": hname, "kind": kind, "lags": lags,
                 "lag_width": lag_width, "lag_tolerance": lag_def.tolerance,
                 "directions": [[d.azimuth, d.azimuth_tol, d.bandwidth_h, d.dip, d.dip_tol,
                                 d.bandwidth_v] for d in dirs],
                 "downhole": downhole, "standardize": standardize, "domain": domain},
                [samples], written)
    except OrebookError as exc:
        raise fail(exc) from None


def _fixed(items: list[str] | None) -> dict[str, float] | list[str] | None:
    if not items:
        return None
    values: dict[str, float] = {}
    names: list[str] = []
    for item in items:
        name, sep, value = item.partition("=")
        if sep:
            try:
                values[name.strip()] = float(value)
            except ValueError:
                raise ParameterError(f"--fix {item!r}: {value!r} is not a number") from None
        else:
            names.append(name.strip())
    if values and names:
        raise ParameterError("--fix: give either NAME=VALUE for every fixed parameter or only "
                             "names (held at the --start model's values)")
    return values or names


@variogram_app.command()
def fit(
    experimental_csv: Annotated[Path, typer.Argument(
        help="experimental.csv written by `orebook variogram experimental`.")],
    start: Annotated[Optional[Path], typer.Option(
        "--start", help="A model file (TOML) to start from; default: an automatic first fit.")
    ] = None,
    kinds: Annotated[str, typer.Option(
        "--kinds", help="Structure kinds the automatic fit tries, comma-separated.")
    ] = "spherical,exponential,gaussian",
    weights: Annotated[Literal["pairs/h", "pairs/h2", "pairs", "equal", "cressie"],
                       typer.Option("--weights", help="Weights of the lags.")] = "pairs/h",
    fix: Annotated[Optional[list[str]], typer.Option(
        "--fix", help="Hold a parameter: NAME=VALUE, or NAME (at the --start value); names "
        "like nugget, s1.sill, s1.range_major, s1.ranges, s2.ang1; repeat.")] = None,
    free: Annotated[Optional[list[str]], typer.Option(
        "--free", help="Also fit an angle (s1.ang1, s1.angles…); angles are held otherwise.")
    ] = None,
    out: Out = Path("model"),
) -> None:
    """Fit a nested anisotropic model to the directional experimental variograms at once and
    write it as a TOML model file, with a plot and the table of the fit."""
    from orebook.geostats import fit_model, load_model, read_variograms, save_model
    from orebook.geostats.variogram_plots import plot_variograms
    from orebook.io.writing import write_table

    try:
        with steps(3) as step:
            step("Reading the experimental variograms")
            evs = read_variograms(experimental_csv)
            evs = [ev for ev in evs if ev.kind == "semivariogram"]
            if not evs:
                raise ParameterError(f"{experimental_csv}: no semivariogram to fit")
            model0 = load_model(start) if start is not None else None
            step("Fitting")
            result = fit_model(evs, model0, weights=weights, fixed=_fixed(fix),
                               free=tuple(free or ()),
                               kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()))
            step("Writing")
            written = [save_model(result.model, out / "model.toml",
                                  description=f"fitted to {experimental_csv.name}"),
                       write_table(result.table, out / "fit.csv")]
            png = out / "fit.png"
            plot_variograms(evs, result.model, path=png, title="Fitted variogram model")
            written.append(png)
        print_frame(result.parameters, f"Fitted model (weighted residual {result.residual:.4g})")
        if result.candidates is not None:
            print_frame(result.candidates, "Automatic fit: candidates tried")
        _record(out, "orebook variogram fit",
                {"start": start, "kinds": kinds, "weights": weights, "fix": fix or [],
                 "free": free or []}, [experimental_csv] + ([start] if start else []), written)
    except OrebookError as exc:
        raise fail(exc) from None
