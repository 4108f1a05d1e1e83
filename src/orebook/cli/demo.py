"""``orebook demo``: the chain, as far as it is built, on the bundled Copper Creek data."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps
from .drillholes import _composite, _plot, _print_composites, _print_report

# The demo's choices, stated once: 2 m composites (residual merged), top-cuts at the 99.5th
# percentile, cell declustering with cells of 25 to 500 m, variograms of Cu in three directions
# (north, east, vertical) and an automatic fit.
COMPOSITE_M = 2.0
CAPS = ["Cu_pct=p99.5", "Au_ppm=p99.5"]
VARIABLE = "Cu_pct"
LAGS, LAG_M = 12, 30.0
DECLUS_CELLS, DECLUS_MIN_M, DECLUS_MAX_M = 19, 25.0, 500.0  # cell sizes 25, 50, … 500 m
DIRECTIONS = [(0, 22.5, 60, 0, 22.5, 60), (90, 22.5, 60, 0, 22.5, 60),
              (0, 22.5, 60, -90, 22.5, 60)]


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "demo-output"),
) -> None:
    """Run the chain on the bundled sample data (Copper Creek drill holes): validation,
    composites, top-cuts, statistics, declustering, variograms and a fitted model."""
    from orebook.drillholes import load_drillholes
    from orebook.geostats import (Direction, Lags, cell_declustering, experimental_variogram,
                                  fit_model, save_model, summary_statistics, variograms_to_frame)
    from orebook.geostats.declustering_plots import plot_declustering
    from orebook.geostats.statistics_plots import plot_probability
    from orebook.geostats.variogram_plots import plot_variograms
    from orebook.io.writing import write_table

    sample = resources.files("orebook") / "data" / "sample" / "copper_creek"
    with resources.as_file(sample) as folder:
        console.rule("[bold]orebook demo: Copper Creek porphyry Cu-Mo (Arizona)")
        console.print(f"Data: {folder} (MIT licence, see LICENSE.txt there)")
        t0 = time.perf_counter()
        try:
            with steps(9) as step:
                step("Reading and validating")
                data, rep = load_drillholes(folder / "collar.csv", folder / "survey.csv",
                                            [folder / "assay.csv"])
                write_table(rep.to_frame(), out / "validation.csv")
                comps, caps = _composite(step, data, False, None, COMPOSITE_M, "merge", 0.5,
                                         "missing", CAPS, "mincurv")
                step("Writing composites")
                write_table(comps.to_frame(), out / "composites.csv")
                step("Statistics")
                cu = comps.values[VARIABLE]
                ok = np.isfinite(cu)
                xyz = np.column_stack([comps.x, comps.y, comps.z])
                plot_probability(cu, out / "cu_probability.png",
                                 weights=comps.coverage[VARIABLE], variable=VARIABLE)
                step("Declustering")
                dec = cell_declustering(xyz[ok], cu[ok], ncell=DECLUS_CELLS,
                                        cmin=DECLUS_MIN_M, cmax=DECLUS_MAX_M, noff=5)
                plot_declustering(dec, out / "cu_declustering.png", variable=VARIABLE)
                step("Experimental variograms")
                evs = experimental_variogram(xyz, cu, lags=Lags(LAGS, LAG_M),
                                             directions=[Direction(*d) for d in DIRECTIONS])
                write_table(variograms_to_frame(evs), out / "cu_experimental.csv")
                step("Fitting a variogram model")
                fit = fit_model(evs)
                save_model(fit.model, out / "cu_model.toml",
                           description="Copper Creek Cu_pct, 2 m composites (orebook demo)")
                plot_variograms(evs, fit.model, path=out / "cu_variograms.png",
                                title=f"{VARIABLE}: experimental variograms and fitted model")
            _print_report(rep)
            _print_composites(comps, caps)
            _plot(comps, (VARIABLE, out / "composites_cu.png"))
            stats = summary_statistics({VARIABLE: cu[ok]}, {VARIABLE: dec.weights})
            console.print(f"Declustering ({VARIABLE}): cell {dec.cell_size:.0f} m; mean "
                          f"{dec.naive_mean:.4f} with equal weights, {dec.mean:.4f} "
                          f"declustered (median {stats['median'][0]:.4f})")
            print_frame(fit.parameters[["name", "value", "status"]],
                        f"Variogram model of {VARIABLE} (automatic fit)")
        except OrebookError as exc:
            raise fail(exc) from None
        console.print(f"Outputs in {out}/: validation.csv, composites.csv ({len(comps):,} of "
                      f"{COMPOSITE_M:g} m), composites_cu.png, cu_probability.png, "
                      "cu_declustering.png, cu_experimental.csv, cu_variograms.png, "
                      f"cu_model.toml; done in {time.perf_counter() - t0:.1f} s")
