"""``orebook classical blocks|sections|polygons|triangles``: the classical reserve methods.

Thin commands over ``orebook.resources.classical`` (layouts and rules: ``docs/classical.md``).
Each prints the report per block and category and writes it (``--out``, CSV or XLSX), with the
elements (``--elements``) and a picture (``--plot``) on request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from orebook.errors import OrebookError, ParameterError

from ._app import classical_app
from ._shared import console, fail, print_frame, steps

Intercepts = Annotated[Path, typer.Argument(
    help="Intercepts, one row per hole: hole, u, v, thickness_m, grade[, category][, block] "
    "(CSV or XLSX).")]
Outlines = Annotated[Path, typer.Option(
    "--outlines", help="Block outlines, one row per vertex in order: block, category, u, v"
    "[, density_tpm3] (CSV or XLSX).")]
OptOutlines = Annotated[Optional[Path], typer.Option(
    "--outlines", help="Block outlines (block, category, u, v[, density_tpm3]); without them "
    "holes are grouped by their block column, else by category.")]
Samples = Annotated[Optional[Path], typer.Option(
    "--samples", help="Sample intervals along the holes (hole, from, to, grade[, factor]) to "
    "build each intercept under the conditions.")]
Density = Annotated[Optional[float], typer.Option(
    "--density", help="Density, t/m³, for blocks without a density_tpm3 value.")]
Cutoff = Annotated[float, typer.Option("--cutoff", help="Cut-off grade (in the grade unit).")]
MinThickness = Annotated[float, typer.Option(
    "--min-thickness", help="Minimum mineable true thickness, m.")]
MaxWaste = Annotated[float, typer.Option(
    "--max-waste", help="Maximum true thickness of internal waste taken into an intercept, m "
    "(needs --samples).")]
GradeUnit = Annotated[Optional[str], typer.Option(
    "--grade-unit", help="Unit of the grades: %, g/t, ppm or ppb (default: from the grade "
    "column's name, e.g. grade_pct, au_gpt).")]
MetalUnit = Annotated[str, typer.Option("--metal-unit", help="Unit of metal: t, kg, g or oz.")]
Out = Annotated[Path, typer.Option("--out", help="The report per block and category: .csv or "
                                   ".xlsx.")]
Elements = Annotated[Optional[Path], typer.Option(
    "--elements", help="Also write one row per element (block, polygon, triangle, piece): "
    ".csv or .xlsx.")]
Plot = Annotated[Optional[Path], typer.Option("--plot", help="Write a PNG picture.")]


def _unit(given: str | None, read: str | None, what: str) -> str:
    unit = given or read
    if unit is None:
        raise ParameterError(f"say the grade unit with --grade-unit (%, g/t, ppm, ppb): the "
                             f"grade column of {what} does not name one")
    if given is not None and read is not None and given != read:
        raise ParameterError(f"--grade-unit {given} but the grade column of {what} is in {read}")
    return unit


def _finish(result, out: Path, elements: Path | None, plot: Path | None, step) -> None:
    from orebook.resources.classical import summary_table
    from orebook.resources.classical_io import write_report
    from orebook.resources.classical_plots import plot_classical

    step("Writing")
    report = summary_table(result)
    written = [write_report(report, out)]
    if elements is not None:
        e = result.elements.rename(columns={"grade": report.columns[-2],
                                            "metal": report.columns[-1]})
        written.append(write_report(e, elements))
    if plot is not None:
        written.append(plot_classical(result, plot))
    print_frame(report, f"Classical method: {result.method} (grade {result.grade_unit}, "
                f"metal {result.metal_unit})")
    if result.unused:
        shown = ", ".join(result.unused[:10]) + (" …" if len(result.unused) > 10 else "")
        console.print(f"[yellow]{len(result.unused)} holes in no block, not used:[/] {shown}",
                      highlight=False)
    console.print("Wrote " + ", ".join(str(p) for p in written))


def _run_projection(method: str, intercepts: Path, outlines: Path | None, samples: Path | None,
                    triangles: Path | None, density, cutoff, min_thickness, max_waste,
                    grade_unit, metal_unit, out, elements, plot) -> None:
    from orebook.resources import classical as cl
    from orebook.resources.classical_io import (
        read_intercepts,
        read_outlines,
        read_samples,
        read_triangles,
    )

    try:
        conditions = cl.Conditions(cutoff, min_thickness, max_waste)
        with steps(4) as step:
            step("Reading")
            holes = read_intercepts(intercepts)
            blocks = read_outlines(outlines) if outlines is not None else ()
            smp = read_samples(samples) if samples is not None else None
            tri = read_triangles(triangles) if triangles is not None else None
            unit = _unit(grade_unit, holes.grade_unit, str(intercepts))
            step("Conditions")
            holes = cl.apply_conditions(holes, conditions, smp)
            step(f"Estimating ({method})")
            kw = {"density_tpm3": density, "grade_unit": unit, "metal_unit": metal_unit}
            if method == "blocks":
                result = cl.geological_blocks(holes, blocks, **kw)
            elif method == "polygons":
                result = cl.polygons_method(holes, blocks, **kw)
            else:
                result = cl.triangles_method(holes, blocks, triangles=tri, **kw)
            _finish(result, out, elements, plot, step)
    except OrebookError as exc:
        raise fail(exc) from None


@classical_app.command()
def blocks(
    intercepts: Intercepts,
    outlines: Outlines,
    out: Out,
    samples: Samples = None,
    density: Density = None,
    cutoff: Cutoff = 0.0,
    min_thickness: MinThickness = 0.0,
    max_waste: MaxWaste = 0.0,
    grade_unit: GradeUnit = None,
    metal_unit: MetalUnit = "t",
    elements: Elements = None,
    plot: Plot = None,
) -> None:
    """Geological blocks: area of each outline × mean true thickness of its holes."""
    _run_projection("blocks", intercepts, outlines, samples, None, density, cutoff,
                    min_thickness, max_waste, grade_unit, metal_unit, out, elements, plot)


@classical_app.command()
def polygons(
    intercepts: Intercepts,
    outlines: Outlines,
    out: Out,
    samples: Samples = None,
    density: Density = None,
    cutoff: Cutoff = 0.0,
    min_thickness: MinThickness = 0.0,
    max_waste: MaxWaste = 0.0,
    grade_unit: GradeUnit = None,
    metal_unit: MetalUnit = "t",
    elements: Elements = None,
    plot: Plot = None,
) -> None:
    """Polygons: each hole's area of influence within its block × the hole's thickness."""
    _run_projection("polygons", intercepts, outlines, samples, None, density, cutoff,
                    min_thickness, max_waste, grade_unit, metal_unit, out, elements, plot)


@classical_app.command()
def triangles(
    intercepts: Intercepts,
    out: Out,
    outlines: OptOutlines = None,
    triangles: Annotated[Optional[Path], typer.Option(
        "--triangles", help="Given triangles (hole1, hole2, hole3) instead of a Delaunay "
        "triangulation.")] = None,
    samples: Samples = None,
    density: Density = None,
    cutoff: Cutoff = 0.0,
    min_thickness: MinThickness = 0.0,
    max_waste: MaxWaste = 0.0,
    grade_unit: GradeUnit = None,
    metal_unit: MetalUnit = "t",
    elements: Elements = None,
    plot: Plot = None,
) -> None:
    """Triangles between holes: area × mean of the three thicknesses."""
    _run_projection("triangles", intercepts, outlines, samples, triangles, density, cutoff,
                    min_thickness, max_waste, grade_unit, metal_unit, out, elements, plot)


@classical_app.command()
def sections(
    areas: Annotated[Path, typer.Argument(
        help="Ore areas per block and section: block, category, section, position_m, area_m2, "
        "grade[, density_tpm3][, end, end_length_m] (CSV or XLSX).")],
    out: Out,
    density: Density = None,
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Use the frustum rule when (S_max − S_min) / S_max exceeds this.")
    ] = 0.40,
    grade_unit: GradeUnit = None,
    metal_unit: MetalUnit = "t",
    elements: Elements = None,
    plot: Plot = None,
) -> None:
    """Parallel sections: mean-area or frustum rule between sections, wedge and cone ends."""
    from orebook.resources import classical as cl
    from orebook.resources.classical_io import read_sections

    try:
        if not (0.0 <= threshold <= 1.0):
            raise ParameterError(f"--threshold must be between 0 and 1, got {threshold:g}")
        with steps(3) as step:
            step("Reading")
            table = read_sections(areas)
            unit = _unit(grade_unit, table.grade_unit, str(areas))
            step("Estimating (sections)")
            result = cl.parallel_sections(table, density_tpm3=density, grade_unit=unit,
                                          metal_unit=metal_unit, threshold=threshold)
            _finish(result, out, elements, plot, step)
    except OrebookError as exc:
        raise fail(exc) from None
