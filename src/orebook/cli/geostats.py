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
        comps = _subset(comps, keep)
    return comps


def _subset(c, keep: np.ndarray):
    from orebook.drillholes.composite import Composites

    return Composites(c.hole[keep], c.from_m[keep], c.to_m[keep], c.x[keep], c.y[keep],
                      c.z[keep], c.domain[keep], {k: v[keep] for k, v in c.values.items()},
                      {k: v[keep] for k, v in c.coverage.items()})


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
            c = _subset(comps, ok)
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
