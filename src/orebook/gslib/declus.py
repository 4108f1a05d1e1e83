"""Run an unchanged GSLIB ``declus`` parameter file with orebook's cell declustering and write
``declus``'s two output files in its own layout.

Summary file (``sumfl``)::

    <title, 40 characters>
    2
    Cell Size
    Declustered Mean
              0.000            4.350        <- equal weighting (F15.3, 2X, F15.3)
              1.000            4.350        <- one line per cell size
    ...

Output file (``outfl``): the data file's header with one more variable, ``Declustering
Weight``, then every data line as written (trailing blanks removed), a blank and the weight in
F10.5; a trimmed sample gets −999.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orebook.errors import InputError
from orebook.geostats.declustering import DeclusterResult, cell_declustering
from orebook.io.geoeas import GeoEASFile, fortran_f, fortran_i, raw_lines, read_geoeas
from orebook.io.writing import write_text_atomic
from orebook.io.gslib_par import DeclusParams, read_declus_par

__all__ = ["run_declus", "declus_from_params"]


def declus_from_params(p: DeclusParams) -> tuple[DeclusterResult, np.ndarray]:
    """Read the data ``p`` names and decluster them.

    Returns the result and a boolean mask of the data rows used (inside the trimming limits).
    """
    res, used, _ = _declus(p)
    return res, used


def _declus(p: DeclusParams) -> tuple[DeclusterResult, np.ndarray, GeoEASFile]:
    g = read_geoeas(p.datafile, missing=None)
    nvar = g.data.shape[1]
    for c, what in ((p.col_x, "X"), (p.col_y, "Y"), (p.col_z, "Z"), (p.col_var, "variable")):
        if c > nvar:
            raise InputError(f"the column for {what} is {c} but {p.datafile} has {nvar} "
                             "variables", file=p.parfile, row=p.lines["columns"],
                             column="columns for X, Y, Z and variable")
    arr = g.data.to_numpy()
    v = arr[:, p.col_var - 1]
    used = (v >= p.tmin) & (v < p.tmax)
    if used.sum() <= 1:
        raise InputError(f"{int(used.sum())} datum inside the trimming limits "
                         f"[{p.tmin:g}, {p.tmax:g}); declustering needs at least 2",
                         file=p.datafile)
    n = len(arr)
    coords = np.column_stack([arr[:, c - 1] if c > 0 else np.zeros(n)
                              for c in (p.col_x, p.col_y, p.col_z)])
    res = cell_declustering(coords[used], v[used], ncell=p.ncell, cmin=p.cmin, cmax=p.cmax,
                            noff=p.noff, anis_y=p.anis_y, anis_z=p.anis_z,
                            objective=p.objective)
    return res, used, g


def run_declus(parfile: str | Path, *, leading_zero: bool = False) -> list[Path]:
    """Run GSLIB ``declus`` on ``parfile`` (unchanged), writing its summary and output files.

    ``leading_zero``: write numbers below 1 as ``0.944`` (gfortran builds of GSLIB) instead of
    ``.944`` (the GSLIB executables). Returns the paths written: ``[summary file, output
    file]``.

    Raises
    ------
    InputError : a bad parameter file (naming file, line and parameter) or data file.
    ParameterError : an output that cannot be written.
    """
    p = read_declus_par(parfile)
    res, used, g = _declus(p)
    lines, encoding = raw_lines(p.datafile)

    def f(x: float, w: int, d: int) -> str:
        return fortran_f(x, w, d, leading_zero=leading_zero)

    title = lines[0][:40].ljust(40)
    nvar = int(lines[1].split()[0])

    summary = [title, "2", "Cell Size", "Declustered Mean",
               f(0.0, 15, 3) + "  " + f(res.naive_mean, 15, 3)]
    summary += [f(s, 15, 3) + "  " + f(m, 15, 3)
                for s, m in zip(res.table["cell_size"], res.table["declustered_mean"])]

    weights = np.full(len(used), -999.0)
    weights[used] = res.weights
    out = [title, fortran_i(nvar + 1, 3)]
    out += [ln[:40].ljust(40) for ln in lines[2:2 + nvar]]
    out.append("Declustering Weight")
    out += [lines[k - 1].rstrip(" ") + " " + f(w, 10, 5)
            for k, w in zip(g.line, weights)]
    return [write_text_atomic(p.summary_file, "\n".join(summary) + "\n", encoding=encoding),
            write_text_atomic(p.output_file, "\n".join(out) + "\n", encoding=encoding)]
