"""Open Mining Format (OMF 1.x, the ``omf`` package) for drill holes and block models.

Leapfrog, Vulcan, Micromine and others read and write OMF 1.x files. orebook writes:

- drill holes as a ``LineSetElement``: one segment per interval, its two vertices the
  desurveyed positions of the interval's ends (m), with segment data: the hole id
  (``StringData`` "hole"), the depths ``from_m`` and ``to_m``, and one ``ScalarData`` per value
  column (missing values as NaN);
- a block model as a ``VolumeElement`` on a ``VolumeGridGeometry``: origin = the grid's minimum
  corner, ``tensor_u/v/w`` = the block sizes, ``axis_u/v`` = the grid's X and Y axes (the
  rotation about Z), one ``ScalarData`` per numeric column on ``cells`` and ``StringData`` for
  text columns. Blocks absent from a sub-set model are NaN (text: empty).

**Cell order.** OMF 1.x orders a volume's cell data with the *w* index fastest, then *v*, then
*u* (``index = k + nz·(j + ny·i)``, as ``discretize``'s OMF interface does), whereas orebook
(and GSLIB) number blocks with X fastest. The conversion happens here, both ways.

:func:`read_omf` reads back the elements orebook understands: volumes on a regular grid with
a vertical *w* axis become :class:`~orebook.estimate.blockmodel.BlockModel`; line sets with
segment data become interval tables (pandas). Any unreadable file is an :class:`InputError`
naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import InputError, ParameterError

__all__ = ["OmfContents", "block_model_element", "drillholes_element", "read_omf",
           "write_omf"]


def _omf():
    import omf

    return omf


def block_model_element(model, name: str = "block model", columns=None):
    """An ``omf.VolumeElement`` of ``model`` (a BlockModel), with ``columns`` (default all)."""
    omf = _omf()
    grid = model.grid
    nx, ny, nz = (int(c) for c in grid.count)
    axes = grid.axes.T   # rows: the X, Y, Z axes
    geom = omf.VolumeGridGeometry(
        tensor_u=np.full(nx, float(grid.size[0])), tensor_v=np.full(ny, float(grid.size[1])),
        tensor_w=np.full(nz, float(grid.size[2])), axis_u=axes[0].tolist(),
        axis_v=axes[1].tolist(), axis_w=axes[2].tolist(),
        origin=np.asarray(grid.origin, dtype=float).tolist())
    ijk = grid.ijk(model.index)
    cell = ijk[:, 2] + nz * (ijk[:, 1] + ny * ijk[:, 0])    # OMF: w fastest
    data = []
    for col in (columns if columns is not None else list(model.columns)):
        values = model[col]
        if values.dtype.kind in "biuf":
            full = np.full(grid.n_blocks, np.nan)
            full[cell] = values.astype(np.float64)
            data.append(omf.ScalarData(name=col, array=full, location="cells"))
        else:
            full = np.full(grid.n_blocks, "", dtype=object)
            full[cell] = values.astype(str)
            data.append(omf.StringData(name=col, array=full.tolist(), location="cells"))
    return omf.VolumeElement(name=name, geometry=geom, data=data)


def drillholes_element(hole: np.ndarray, from_m: np.ndarray, to_m: np.ndarray,
                       xyz_from: np.ndarray, xyz_to: np.ndarray,
                       values: dict[str, np.ndarray], name: str = "drill holes"):
    """An ``omf.LineSetElement`` of intervals: hole ids, depths (m), end positions (n, 3) and
    value columns."""
    omf = _omf()
    n = len(hole)
    vertices = np.empty((2 * n, 3))
    vertices[0::2], vertices[1::2] = xyz_from, xyz_to
    segments = np.arange(2 * n, dtype=np.int64).reshape(n, 2)
    data = [omf.StringData(name="hole", array=[str(h) for h in hole], location="segments"),
            omf.ScalarData(name="from_m", array=np.asarray(from_m, float), location="segments"),
            omf.ScalarData(name="to_m", array=np.asarray(to_m, float), location="segments")]
    for col, v in values.items():
        data.append(omf.ScalarData(name=col, array=np.asarray(v, dtype=float),
                                   location="segments"))
    geom = omf.LineSetGeometry(vertices=vertices, segments=segments)
    return omf.LineSetElement(name=name, geometry=geom, data=data, subtype="line")


def write_omf(path: str | Path, elements: list, *, name: str = "orebook",
              description: str = "") -> Path:
    """Write ``elements`` to an OMF 1.x file, atomically (checked by ``omf``'s validation)."""
    from orebook.io.writing import atomic_output

    omf = _omf()
    path = Path(path)
    if path.suffix.lower() != ".omf":
        raise ParameterError(f"output {path}: an OMF file name ends in .omf")
    project = omf.Project(name=name, description=description)
    project.elements = list(elements)
    try:
        project.validate()
    except Exception as exc:  # omf/properties raise their own ValueError kinds
        raise ParameterError(f"output {path}: the OMF project is not valid: {exc}") from exc
    with atomic_output(path) as tmp:
        target = str(tmp) + ".omf"
        try:
            omf.OMFWriter(project, target)
            os.replace(target, tmp)
        finally:
            Path(target).unlink(missing_ok=True)
    return path


@dataclass(frozen=True)
class OmfContents:
    """What orebook read from an OMF file, by element name."""

    block_models: dict = field(default_factory=dict)      # name → BlockModel
    intervals: dict = field(default_factory=dict)         # name → DataFrame
    skipped: dict = field(default_factory=dict)           # name → why


def read_omf(path: str | Path) -> OmfContents:
    """Read the block models and interval line sets of an OMF 1.x file."""
    from orebook.io.tables import read_bytes

    omf = _omf()
    path = Path(path)
    read_bytes(path, "OMF file")   # a missing, unreadable or folder path fails here, named
    try:
        project = omf.OMFReader(str(path)).get_project()
    except Exception as exc:  # the omf reader raises whatever its parsing meets
        raise InputError(f"not an OMF 1.x file ({type(exc).__name__}: {exc})"[:300],
                         file=path) from exc
    out = OmfContents()
    for el in project.elements:
        try:
            if isinstance(el, omf.VolumeElement):
                out.block_models[el.name] = _volume_to_model(el)
            elif isinstance(el, omf.LineSetElement):
                out.intervals[el.name] = _lineset_to_frame(el)
            else:
                out.skipped[el.name] = f"{type(el).__name__} elements are not read"
        except _Unsupported as why:
            out.skipped[el.name] = str(why)
    return out


class _Unsupported(Exception):
    pass


def _volume_to_model(el):
    from orebook.estimate.blockmodel import BlockModel
    from orebook.estimate.grid import BlockGrid

    g = el.geometry
    sizes = []
    for t in (g.tensor_u, g.tensor_v, g.tensor_w):
        t = np.asarray(t, dtype=float)
        if t.size == 0 or not np.allclose(t, t[0]) or t[0] <= 0:
            raise _Unsupported("a volume with unequal cell widths is not a regular block grid")
        sizes.append(float(t[0]))
    au, av, aw = (np.asarray(a, dtype=float) for a in (g.axis_u, g.axis_v, g.axis_w))
    if not np.allclose(aw, [0, 0, 1], atol=1e-9) or abs(au[2]) > 1e-9:
        raise _Unsupported("only grids rotated about a vertical axis are read")
    rotation = float(np.degrees(np.arctan2(av[0], av[1]))) % 360.0
    counts = (len(g.tensor_u), len(g.tensor_v), len(g.tensor_w))
    grid = BlockGrid(origin=np.asarray(g.origin, dtype=float), size=sizes, count=counts,
                     rotation=rotation)
    if not np.allclose(grid.axes[:, 0], au, atol=1e-9):
        raise _Unsupported("the volume's axes are not right-handed with a vertical w axis")
    _, ny, nz = counts
    idx = np.arange(grid.n_blocks)
    ijk = grid.ijk(idx)
    cell = ijk[:, 2] + nz * (ijk[:, 1] + ny * ijk[:, 0])
    cols = {}
    for d in el.data:
        if d.location != "cells":
            continue
        arr = np.asarray(d.array.array if hasattr(d.array, "array") else d.array)
        if arr.shape[0] != grid.n_blocks:
            raise _Unsupported(f"data {d.name!r} has {arr.shape[0]} values for "
                               f"{grid.n_blocks} cells")
        cols[d.name] = arr[cell] if arr.dtype.kind in "biuf" else arr[cell].astype(object)
    return BlockModel.from_grid(grid, cols, {"source": "OMF", "element": el.name})


def _lineset_to_frame(el) -> pd.DataFrame:
    g = el.geometry
    verts = np.asarray(g.vertices.array, dtype=float)
    segs = np.asarray(g.segments.array, dtype=np.int64)
    frame = {"x_from": verts[segs[:, 0], 0], "y_from": verts[segs[:, 0], 1],
             "z_from": verts[segs[:, 0], 2], "x_to": verts[segs[:, 1], 0],
             "y_to": verts[segs[:, 1], 1], "z_to": verts[segs[:, 1], 2]}
    for d in el.data:
        if d.location != "segments":
            continue
        arr = d.array.array if hasattr(d.array, "array") else d.array
        frame[d.name] = np.asarray(arr)
    return pd.DataFrame(frame)
