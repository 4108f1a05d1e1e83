"""Write points with attributes as an OGC GeoPackage layer (through ``pyogrio``/GDAL).

Coordinates are longitude and latitude in degrees (EPSG:4326) unless another CRS is named.
Text, whole-number and real columns are kept as such; NaN is a missing value.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.errors import ParameterError

__all__ = ["write_points_geopackage"]


def _wkb_point(x: float, y: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, float(x), float(y))  # little endian, type 1 = Point


def write_points_geopackage(path: str | Path, x: np.ndarray, y: np.ndarray,
                            attributes: pd.DataFrame, *, layer: str = "points",
                            crs: str = "EPSG:4326") -> Path:
    """Write one point per row of ``attributes`` at (``x``, ``y``) to the GeoPackage ``path``
    (replaced atomically)."""
    import pyogrio.raw

    from orebook.io.writing import atomic_output

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise ParameterError(f"output {path}: a GeoPackage file name ends in .gpkg")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not (len(x) == len(y) == len(attributes)):
        raise ParameterError("x, y and the attributes must have one entry per point")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ParameterError("every point needs finite coordinates")
    geometry = np.array([_wkb_point(a, b) for a, b in zip(x, y)], dtype=object)
    fields, data = [], []
    for col in attributes.columns:
        v = attributes[col]
        if v.dtype.kind in "iub":
            data.append(v.to_numpy(dtype=np.int64))
        elif v.dtype.kind == "f":
            data.append(v.to_numpy(dtype=np.float64))
        else:
            data.append(np.array([None if pd.isna(s) else str(s) for s in v], dtype=object))
        fields.append(str(col))
    with atomic_output(path) as tmp:
        target = tmp.with_name(tmp.name + ".gpkg")   # GDAL picks the format by the suffix
        try:
            pyogrio.raw.write(str(target), geometry, data, fields, layer=layer, driver="GPKG",
                              geometry_type="Point", crs=crs)
            target.replace(tmp)
        finally:
            target.unlink(missing_ok=True)
    return path
