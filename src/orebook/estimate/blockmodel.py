"""A columnar block model on a :class:`BlockGrid`, with the record of every run that wrote it.

A :class:`BlockModel` holds a grid, the indices of the blocks it has (sorted; a model may hold a
sub-set of the grid, e.g. one domain), one array per column, all of one length, and ``runs``:
one record per run that wrote columns::

    {"columns": ["au_gpt"], "parameters": {...}, "orebook_version": "0.1.0",
     "created": "2025-01-31T10:00:00+00:00"}

Files
-----
- **Parquet** (:meth:`BlockModel.save_parquet`, :meth:`BlockModel.load_parquet`): the table of
  :meth:`BlockModel.to_frame` (``index, ix, iy, iz, xc, yc, zc`` and the columns), with the grid
  and the runs as JSON in the file's key-value metadata under ``orebook.blockmodel``.
- **CSV with centroids and sizes** (:meth:`BlockModel.save_csv`, :meth:`BlockModel.load_csv`),
  in two layouts:

  - ``datamine``: ``XC, YC, ZC, XINC, YINC, ZINC``, then the prototype fields
    ``XMORIG, YMORIG, ZMORIG, NX, NY, NZ`` and ``IJK`` (both optional), then the columns.
    Datamine numbers cells with Z fastest: ``IJK = ix·ny·nz + iy·nz + iz`` (0-based ix, iy, iz),
    not orebook's block index.
  - ``vulcan``: Vulcan's *Model to CSV* layout: ``centroid_x, centroid_y, centroid_z, dim_x,
    dim_y, dim_z, volume``, then the variables; lines 2, 3 and 4 hold each variable's
    description, type (``double``, ``integer``, ``name``) and default value, and their first
    field names the line.

  Reading recognises the usual spellings of centroid and size columns in any case (``XC``,
  ``centroid_x``, ``X``, ``xworld``, ``EAST`` …; ``XINC``, ``dim_x``, ``xlength``, ``DX`` …,
  see ``CENTROID_ALIASES`` and ``SIZE_ALIASES``), infers the grid from the centroids and sizes
  (or takes the prototype fields, or a grid given), and refuses, naming the line and column,
  any block that is not on the grid, has another size (sub-blocks are not read yet), repeats
  a block or lacks a coordinate. No row is dropped silently: blank lines and Vulcan's three
  header lines are listed in the import's run record (``parameters["skipped_lines"]``), rows
  read after a repair (too few fields: the missing ones are empty) in
  ``parameters["warnings"]``.
- **GeoEAS grid files** (:meth:`BlockModel.save_geoeas`, :meth:`BlockModel.load_geoeas`): the
  GSLIB layout, values only, one row per block of the whole grid in block order, −999 for a
  missing value (and for every value of a block the model does not hold).

Inside orebook a missing value is NaN (CONVENTIONS); codes such as −999 exist only in files.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.io.columns import normalise, parse_numbers
from orebook.io.geoeas import MISSING, read_geoeas, write_geoeas
from orebook.io.runlog import file_sha256
from orebook.io.tables import RawTable, read_table
from orebook.io.writing import atomic_output

from .grid import BlockGrid

__all__ = ["CENTROID_ALIASES", "LAYOUTS", "METADATA_KEY", "RESERVED_NAMES", "SIZE_ALIASES",
           "BlockModel"]

RESERVED_NAMES = ("index", "ix", "iy", "iz", "xc", "yc", "zc")
"""Names :meth:`BlockModel.to_frame` uses for the block's position; no column may take them
(compared without case)."""

METADATA_KEY = "orebook.blockmodel"
"""Key of the JSON record (grid, columns, runs) in a block model's Parquet metadata."""

LAYOUTS = ("datamine", "vulcan")

CENTROID_ALIASES: dict[str, tuple[str, ...]] = {
    axis: (f"centroid{axis}", f"{axis}c", f"{axis}world", f"{axis}centroid", f"{axis}centre",
           f"{axis}center", f"centre{axis}", f"center{axis}", f"{axis}cen", f"{axis}mid",
           f"mid{axis}", f"{axis}", f"{axis}coord", f"{axis}m")
    + {"x": ("east", "easting"), "y": ("north", "northing"),
       "z": ("elev", "elevation", "rl")}[axis]
    for axis in "xyz"
}
"""Spellings of the centroid columns (after lower-casing and dropping all but letters and
digits), in order of preference."""

SIZE_ALIASES: dict[str, tuple[str, ...]] = {
    axis: (f"{axis}inc", f"dim{axis}", f"{axis}dim", f"{axis}length", f"length{axis}",
           f"{axis}len", f"{axis}size", f"size{axis}", f"{axis}siz", f"d{axis}",
           f"blocksize{axis}", f"{axis}blocksize", f"{axis}blk", f"{axis}width")
    for axis in "xyz"
}
"""Spellings of the block-size columns, as :data:`CENTROID_ALIASES`."""

_PROTOTYPE = {"xmorig": 0, "ymorig": 1, "zmorig": 2, "nx": 3, "ny": 4, "nz": 5}
_VULCAN_NAMES = ("centroid_x", "centroid_y", "centroid_z", "dim_x", "dim_y", "dim_z", "volume")
_VULCAN_LABELS = ("Variable descriptions:", "Variable types:", "Variable defaults:")
_VULCAN_DEFAULT = "-99"
_DATAMINE_NAMES = ("XC", "YC", "ZC", "XINC", "YINC", "ZINC")
_DATAMINE_PROTO = ("XMORIG", "YMORIG", "ZMORIG", "NX", "NY", "NZ")
_INT_RE = re.compile(r"[+-]?[0-9]{1,18}")
_DATAMINE_ABSENT = "-"  # Datamine writes an absent numeric value as "-"


# -- run records ------------------------------------------------------------------------------

def _jsonable(value: Any, where: str) -> Any:
    """``value`` as plain JSON values (numpy scalars and arrays, paths, dates, grids
    converted), or :class:`ParameterError` naming ``where``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), where)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, BlockGrid):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ParameterError(f"{where}: a {type(value).__name__} cannot be saved in a run record; "
                         "give numbers, text, lists or tables of them")


def _run_record(columns: Sequence[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
    from orebook import __version__

    if not isinstance(parameters, Mapping):
        raise ParameterError(f"run_parameters: expected a table (dict) of the run's "
                             f"parameters, got {type(parameters).__name__}")
    return {"columns": [str(c) for c in columns],
            "parameters": _jsonable(dict(parameters), "run_parameters"),
            "orebook_version": __version__,
            "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()}


# -- columns ----------------------------------------------------------------------------------

def _column_array(name: str, values: Any, n: int) -> np.ndarray:
    """A read-only 1-D array of ``n`` numbers, booleans or strings for column ``name``."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    try:
        a = np.asarray(values)
    except (TypeError, ValueError):
        raise ParameterError(f"column {name!r}: expected a 1-D array") from None
    if a.ndim != 1:
        raise ParameterError(f"column {name!r}: expected a 1-D array, got shape {a.shape}")
    if a.shape[0] != n:
        raise ParameterError(f"column {name!r}: {a.shape[0]} values for {n} blocks")
    kind = a.dtype.kind
    if kind in "biuf":
        if kind == "u":
            if a.size and a.max() > np.iinfo(np.int64).max:
                raise ParameterError(f"column {name!r}: unsigned values beyond the int64 range")
            a = a.astype(np.int64)
        elif kind == "i" and a.dtype != np.int64:
            a = a.astype(np.int64)
        elif kind == "f" and a.dtype != np.float64:
            a = a.astype(np.float64)
        if kind == "f" and np.isinf(a).any():
            i = int(np.flatnonzero(np.isinf(a))[0])
            raise ParameterError(f"column {name!r}: value {float(a[i])!r} at position {i} is "
                                 "infinite; a missing value is NaN")
    elif kind in "US":
        a = a.astype(str).astype(object)
    elif kind == "O":
        # pandas' compiled type inference answers "string" only if every value is a str
        if a.size and pd.api.types.infer_dtype(a, skipna=False) != "string":
            i = next(i for i, v in enumerate(a.tolist()) if not isinstance(v, str))
            raise ParameterError(f"column {name!r}: value {a[i]!r} at position {i} is not "
                                 "text; a column holds numbers, booleans or text "
                                 "(an empty text is \"\")")
    else:
        raise ParameterError(f"column {name!r}: values of type {a.dtype} cannot be stored; "
                             "a column holds numbers, booleans or text")
    if a.flags.writeable:
        a = a.copy()
        a.setflags(write=False)
    return a


def _check_name(name: Any, taken: Iterable[str]) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"column name {name!r}: expected a non-empty text")
    if "\n" in name or "\r" in name:
        raise ParameterError(f"column name {name!r}: must be one line")
    low = name.lower()
    if low in RESERVED_NAMES:
        raise ParameterError(f"column name {name!r} is reserved for the block position "
                             f"({', '.join(RESERVED_NAMES)}); choose another name")
    for t in taken:
        if t.lower() == low:
            raise ParameterError(f"column name {name!r} is already taken by {t!r} "
                                 "(names are compared without case)")
    return name


@dataclass(frozen=True, eq=False)
class BlockModel:
    """Blocks of a grid with one value per block in each column.

    Parameters
    ----------
    grid : BlockGrid.
    index : (n,) int64, sorted, distinct block indices of ``grid`` (GSLIB order).
    columns : name → (n,) array of numbers (float64, int64, bool) or text; NaN is missing.
        Names are distinct without case and none is one of ``RESERVED_NAMES``.
    runs : the records of the runs that wrote the columns (see the module docstring).

    Raises
    ------
    ParameterError : an index that is not sorted, repeated or outside the grid, a column of
        the wrong length or type, a reserved or repeated name, run records that cannot be
        saved as JSON.

    Examples
    --------
    >>> grid = BlockGrid((0, 0, 0), (10, 10, 5), (4, 3, 2))
    >>> m = BlockModel.from_grid(grid).add_columns({"domain": np.arange(24) % 2},
    ...                                            {"source": "example"})
    >>> ore = m.subset(m["domain"] == 1)
    >>> len(ore), ore.index[:3].tolist(), ore.runs[0]["columns"]
    (12, [1, 3, 5], ['domain'])
    >>> ore.to_frame().columns.tolist()
    ['index', 'ix', 'iy', 'iz', 'xc', 'yc', 'zc', 'domain']
    """

    grid: BlockGrid
    index: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.grid, BlockGrid):
            raise ParameterError(f"grid: expected a BlockGrid, got {type(self.grid).__name__}")
        idx = np.asarray(self.index)
        if idx.ndim != 1 or not (np.issubdtype(idx.dtype, np.integer) or idx.size == 0) \
                or idx.dtype == bool:
            raise ParameterError(f"index: expected a 1-D array of block indices, got "
                                 f"{idx.dtype} of shape {idx.shape}")
        idx = idx.astype(np.int64)
        steps = np.flatnonzero(np.diff(idx) <= 0)
        if steps.size:
            i = int(steps[0]) + 1
            raise ParameterError(f"index: block indices must be sorted and distinct; "
                                 f"position {i} holds {int(idx[i])} after {int(idx[i - 1])}")
        if idx.size and (idx[0] < 0 or idx[-1] >= self.grid.n_blocks):
            raise ParameterError(f"index: block indices must lie in 0.."
                                 f"{self.grid.n_blocks - 1}; found {int(idx[0])}.."
                                 f"{int(idx[-1])}")
        idx.setflags(write=False)
        object.__setattr__(self, "index", idx)
        if not isinstance(self.columns, Mapping):
            raise ParameterError(f"columns: expected a mapping name → array, got "
                                 f"{type(self.columns).__name__}")
        cols: dict[str, np.ndarray] = {}
        for name, values in self.columns.items():
            _check_name(name, cols)
            cols[name] = _column_array(name, values, idx.size)
        object.__setattr__(self, "columns", MappingProxyType(cols))
        if isinstance(self.runs, (str, bytes, Mapping)) or not isinstance(self.runs, Iterable):
            raise ParameterError("runs: expected a list of run records")
        runs = []
        for i, r in enumerate(self.runs):
            if not isinstance(r, Mapping):
                raise ParameterError(f"runs[{i}]: expected a record (dict), got "
                                     f"{type(r).__name__}")
            runs.append(_jsonable(dict(r), f"runs[{i}]"))
        object.__setattr__(self, "runs", runs)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_grid(cls, grid: BlockGrid, columns: Mapping[str, Any] | None = None,
                  run_parameters: Mapping[str, Any] | None = None) -> BlockModel:
        """Every block of ``grid``; ``columns`` (one value per grid block, in block order) are
        recorded as one run with ``run_parameters`` when given."""
        model = cls(grid, np.arange(grid.n_blocks, dtype=np.int64))
        if columns:
            model = model.add_columns(columns, run_parameters or {})
        return model

    def add_columns(self, columns: Mapping[str, Any] | pd.DataFrame,
                    run_parameters: Mapping[str, Any], *, overwrite: bool = False
                    ) -> BlockModel:
        """A new model with ``columns`` added and a run record for them.

        Parameters
        ----------
        columns : name → (n,) values, one per block of this model, in its order.
        run_parameters : the parameters of the run that computed them (JSON-able values:
            numbers, text, lists, tables; numpy values, paths and dates are converted).
        overwrite : replace columns of the same name (the earlier run records stay);
            otherwise a name already present raises :class:`ParameterError`.
        """
        items = list(columns.items())
        if not items:
            raise ParameterError("add_columns: no columns given")
        record = _run_record([str(k) for k, _ in items], run_parameters)
        new = dict(self.columns)
        for name, values in items:
            if overwrite:
                for old in list(new):
                    if isinstance(name, str) and old.lower() == name.lower():
                        del new[old]
            _check_name(name, new)
            new[name] = _column_array(name, values, len(self))
        return BlockModel(self.grid, self.index, new, [*self.runs, record])

    def merge_part(self, mask: np.ndarray, part: BlockModel,
                   run_parameters: Mapping[str, Any]) -> BlockModel:
        """A new model with the columns of ``part`` (a model of the blocks under ``mask``, in
        their order) written over those blocks, and a run record for them. Elsewhere a column
        keeps its values, or a new one is NaN (0 for integer counts)."""
        columns = {}
        for name, values in part.columns.items():
            if name in self.columns:
                full = self[name].copy()
            else:
                full = np.zeros(len(self), values.dtype) if values.dtype.kind in "iu" \
                    else np.full(len(self), np.nan)
            full[mask] = values
            columns[name] = full
        return self.add_columns(columns, run_parameters, overwrite=True)

    def subset(self, mask: Any) -> BlockModel:
        """The blocks where ``mask`` (one boolean per block of this model) is True, with every
        column and run record."""
        m = np.asarray(mask)
        if m.dtype != bool or m.shape != (len(self),):
            raise ParameterError(f"mask: expected {len(self)} booleans (one per block of the "
                                 f"model), got {m.dtype} of shape {m.shape}")
        cols = {}
        for k, v in self.columns.items():
            cols[k] = v[m]
            cols[k].setflags(write=False)  # a fresh array: no second copy
        return BlockModel(self.grid, self.index[m], cols, self.runs)

    def select_domain(self, column: str, codes: Any) -> BlockModel:
        """The blocks whose ``column`` value is one of ``codes`` (a code or a list)."""
        if column not in self.columns:
            raise ParameterError(f"no column {column!r}; columns: "
                                 f"{', '.join(self.columns) or 'none'}")
        wanted = [codes] if np.isscalar(codes) else list(codes)
        return self.subset(np.isin(self.columns[column], wanted))

    # -- access -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.index.size)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns: "
                           f"{', '.join(self.columns) or 'none'}") from None

    def __repr__(self) -> str:
        return (f"BlockModel({len(self)} of {self.grid.n_blocks} blocks, columns="
                f"{list(self.columns)}, runs={len(self.runs)}, grid={self.grid!r})")

    def centroids(self) -> np.ndarray:
        """(n, 3) world coordinates (m) of the model's block centroids."""
        return self.grid.centroids(self.index)

    def ijk(self) -> np.ndarray:
        """(n, 3) ``(ix, iy, iz)`` of the model's blocks."""
        return self.grid.ijk(self.index)

    def to_frame(self) -> pd.DataFrame:
        """``index, ix, iy, iz, xc, yc, zc`` (centroid, world coordinates, m), then the
        columns."""
        ijk = self.ijk()
        xyz = self.centroids()
        data: dict[str, Any] = {"index": self.index.copy(), "ix": ijk[:, 0], "iy": ijk[:, 1],
                                "iz": ijk[:, 2], "xc": xyz[:, 0], "yc": xyz[:, 1],
                                "zc": xyz[:, 2]}
        for k, v in self.columns.items():
            data[k] = v.copy()
        return pd.DataFrame(data)

    # -- Parquet ------------------------------------------------------------------------------

    def save_parquet(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` as Parquet, with the grid, the column names and the runs as
        JSON under ``METADATA_KEY`` in the file's key-value metadata (atomically)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.Table.from_pandas(self.to_frame(), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[METADATA_KEY.encode()] = json.dumps(
            {"format": METADATA_KEY, "version": 1, "grid": self.grid.to_dict(),
             "columns": list(self.columns), "runs": self.runs}).encode("utf-8")
        table = table.replace_schema_metadata(meta)
        with atomic_output(path) as tmp:
            pq.write_table(table, tmp)
        return path

    @classmethod
    def load_parquet(cls, path: str | Path) -> BlockModel:
        """Read a model written by :meth:`save_parquet`.

        Raises :class:`InputError` naming the file when it cannot be read, has no block-model
        metadata, or its table disagrees with its grid."""
        import pyarrow.parquet as pq

        path = Path(path)
        name = str(path)
        if not path.is_file():
            raise InputError("file not found", file=name)
        try:
            table = pq.read_table(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on damaged files
            raise InputError(f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                             file=name) from None
        raw = (table.schema.metadata or {}).get(METADATA_KEY.encode())
        if raw is None:
            raise InputError(f"no {METADATA_KEY!r} metadata: this Parquet file was not written "
                             "by BlockModel.save_parquet (a plain table of centroids can be "
                             "read with BlockModel.load_csv after saving it as CSV)", file=name)
        try:
            doc = json.loads(raw.decode("utf-8"))
            grid = BlockGrid.from_dict(doc["grid"])
            names = [str(c) for c in doc["columns"]]
            runs = list(doc["runs"])
        except (ValueError, KeyError, TypeError, OrebookError) as exc:
            raise InputError(f"damaged {METADATA_KEY!r} metadata ({exc})", file=name) from None
        missing = [c for c in ("index", *names) if c not in table.column_names]
        if missing:
            raise InputError(f"the metadata lists columns the table lacks: "
                             f"{', '.join(missing)}", file=name, column=missing[0])
        df = table.select(["index", "ix", "iy", "iz", "xc", "yc", "zc", *names]
                          if all(c in table.column_names for c in RESERVED_NAMES)
                          else ["index", *names]).to_pandas()
        try:
            model = cls(grid, df["index"].to_numpy(),
                        {c: df[c].to_numpy() for c in names}, runs)
        except ParameterError as exc:
            raise InputError(str(exc), file=name) from None
        if "xc" in df:
            ijk, xyz = model.ijk(), model.centroids()
            for k, col in enumerate(("ix", "iy", "iz")):
                bad = np.flatnonzero(df[col].to_numpy() != ijk[:, k])
                if bad.size:
                    raise InputError(f"table row {int(bad[0]) + 1}: {col} disagrees with the "
                                     "block index and the grid in the metadata", file=name,
                                     column=col)
            for k, col in enumerate(("xc", "yc", "zc")):
                v = df[col].to_numpy(dtype=np.float64)
                bad = np.flatnonzero(~np.isclose(v, xyz[:, k], rtol=1e-12, atol=1e-6))
                if bad.size:
                    raise InputError(f"table row {int(bad[0]) + 1}: {col} = {float(v[bad[0]])!r} is "
                                     f"not the centroid {float(xyz[bad[0], k])!r} the grid in the "
                                     "metadata gives", file=name, column=col)
        return model

    # -- CSV ----------------------------------------------------------------------------------

    def save_csv(self, path: str | Path, *, layout: str = "datamine", ijk: bool = True,
                 prototype: bool = True) -> Path:
        """Write the blocks as CSV with centroids and sizes (atomically).

        Parameters
        ----------
        path : the CSV file.
        layout : ``"datamine"`` (``XC, YC, ZC, XINC, YINC, ZINC``…) or ``"vulcan"``
            (``centroid_x … dim_z, volume`` and the three lines of variable descriptions,
            types and defaults); see the module docstring.
        ijk, prototype : Datamine layout only: write Datamine's ``IJK`` cell code and the
            prototype fields ``XMORIG, YMORIG, ZMORIG, NX, NY, NZ`` (which keep the whole
            grid when the model holds a sub-set). Neither exists for a rotated grid.

        Centroids are world coordinates; NaN is written as an empty cell; booleans as 0/1.
        Vulcan wants lower-case variable names; names are written as they are.
        """
        if layout not in LAYOUTS:
            raise ParameterError(f"layout: expected one of {', '.join(LAYOUTS)}, got {layout!r}")
        xyz = self.centroids()
        n = len(self)
        data: dict[str, Any] = {}
        if layout == "datamine":
            if self.grid.rotation and (ijk or prototype):
                raise ParameterError("the Datamine IJK code and prototype fields describe an "
                                     f"unrotated grid and this one is rotated "
                                     f"({self.grid.rotation!r}°); write it with ijk=False, "
                                     "prototype=False (world centroids and sizes only)")
            fixed = list(_DATAMINE_NAMES)
            for k in range(3):
                data[fixed[k]] = xyz[:, k]
            for k in range(3):
                data[fixed[3 + k]] = np.full(n, self.grid.size[k])
            if prototype:
                fixed += _DATAMINE_PROTO
                for k in range(3):
                    data[_DATAMINE_PROTO[k]] = np.full(n, self.grid.origin[k])
                for k in range(3):
                    data[_DATAMINE_PROTO[3 + k]] = np.full(n, int(self.grid.count[k]))
            if ijk:
                fixed.append("IJK")
                c = self.ijk()
                ny, nz = int(self.grid.count[1]), int(self.grid.count[2])
                data["IJK"] = (c[:, 0] * ny + c[:, 1]) * nz + c[:, 2]
        else:
            fixed = list(_VULCAN_NAMES)
            for k in range(3):
                data[fixed[k]] = xyz[:, k]
            for k in range(3):
                data[fixed[3 + k]] = np.full(n, self.grid.size[k])
            data["volume"] = np.full(n, self.grid.block_volume_m3)
        low = {f.lower() for f in fixed}
        for name, values in self.columns.items():
            if name.lower() in low:
                raise ParameterError(f"column {name!r} has the name of a {layout} layout field "
                                     f"({', '.join(fixed)}); rename it before writing")
            data[name] = values.astype(np.int64) if values.dtype == bool else values
        df = pd.DataFrame(data)
        path = Path(path)
        with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            if layout == "vulcan":
                import csv

                w = csv.writer(f, lineterminator="\n")
                w.writerow(list(df.columns))
                kinds = [_vulcan_type(v) for v in self.columns.values()]
                w.writerow([_VULCAN_LABELS[0]] + [""] * 6 + [""] * len(kinds))
                w.writerow([_VULCAN_LABELS[1]] + [""] * 6 + kinds)
                w.writerow([_VULCAN_LABELS[2]] + [""] * 6
                           + ["" if k == "name" else _VULCAN_DEFAULT for k in kinds])
                df.to_csv(f, index=False, header=False, lineterminator="\n")
            else:
                df.to_csv(f, index=False, lineterminator="\n")
        return path

    @classmethod
    def load_csv(cls, path: str | Path, *, grid: BlockGrid | None = None,
                 size: Sequence[float] | None = None, rotation: float = 0.0,
                 tolerance: float = 1e-3, column_map: Mapping[str, str] | None = None,
                 delimiter: str | None = None) -> BlockModel:
        """Read a CSV (or XLSX) table of block centroids and sizes, one row per block.

        Parameters
        ----------
        path : the file (any delimiter of ``orebook.io.DELIMITERS``; XLSX read as a sheet).
        grid : the grid the blocks must lie on; default: the prototype fields ``XMORIG …
            NZ`` when the file has them, else the smallest grid holding every centroid.
        size : (3,) block size (m) for files without size columns.
        rotation : degrees, the grid's rotation when it is inferred (the centroids are world
            coordinates).
        tolerance : how far (as a fraction of the block size) a centroid or a size may be from
            the grid's and still count as on it. Default 0.001.
        column_map : role → column, for ``x, y, z`` (centroid) and ``dx, dy, dz`` (size) when
            the names are not recognised.
        delimiter : force the delimiter instead of detecting it.

        Every other column becomes a model column: whole numbers → int64, numbers (empty or
        ``-`` cells NaN) → float64, anything else (or a Vulcan ``name`` variable) → text.
        Datamine's ``IJK`` is checked against the position when the grid is known from the
        prototype fields or ``grid``, otherwise kept as a column.

        Raises
        ------
        InputError : naming the file, the line and the column of the first problem: a
            missing coordinate or size, a block off the grid or of another size, a block given
            twice, a row with more fields than the header, a prototype field that changes.
        """
        return _read_csv(cls, Path(path), grid=grid, size=size, rotation=rotation,
                         tolerance=tolerance, column_map=column_map, delimiter=delimiter)

    # -- GeoEAS -------------------------------------------------------------------------------

    def save_geoeas(self, path: str | Path, *, columns: Sequence[str] | None = None,
                    title: str | None = None, missing: float = MISSING,
                    float_format: str | None = None) -> Path:
        """Write a GSLIB grid file: one row per block of the whole grid, in block order, values
        only; NaN and the blocks the model does not hold are written as ``missing`` (−999).

        ``columns`` chooses and orders the columns (default: all; each must be numeric or
        boolean). The default title names the grid."""
        names = list(self.columns) if columns is None else list(columns)
        if not names:
            raise ParameterError("save_geoeas: the model has no columns to write")
        out: dict[str, np.ndarray] = {}
        for name in names:
            if name not in self.columns:
                raise ParameterError(f"save_geoeas: no column {name!r}; columns: "
                                     f"{', '.join(self.columns)}")
            v = self.columns[name]
            if v.dtype.kind not in "biuf":
                raise ParameterError(f"save_geoeas: column {name!r} holds text; GeoEAS files "
                                     "hold numbers only")
            full = np.full(self.grid.n_blocks, np.nan)
            full[self.index] = v
            out[name] = full
        if title is None:
            g = self.grid
            title = (f"orebook block model; grid nx ny nz = {' '.join(map(str, g.count))}; "
                     f"origin = {' '.join(repr(float(v)) for v in g.origin)}; "
                     f"size = {' '.join(repr(float(v)) for v in g.size)}")
            if g.rotation:
                title += f"; rotation = {g.rotation!r}"
        return write_geoeas(path, out, title=title, missing=missing, float_format=float_format)

    @classmethod
    def load_geoeas(cls, path: str | Path, grid: BlockGrid, *,
                    missing: float | Iterable[float] | None = MISSING) -> BlockModel:
        """Read a GSLIB grid file on ``grid``: one row per block, in block order; ``missing``
        codes (default −999) become NaN. Every block of the grid is in the model.

        Raises :class:`InputError` naming the file (and the first extra line) when the number
        of rows is not the grid's number of blocks."""
        if not isinstance(grid, BlockGrid):
            raise ParameterError(f"grid: expected a BlockGrid, got {type(grid).__name__}")
        path = Path(path)
        if missing is not None and not np.isscalar(missing):
            missing = [float(m) for m in missing]
        g = read_geoeas(path, missing=missing)
        n = grid.n_blocks
        if len(g) != n:
            shape = "×".join(map(str, grid.count))
            if len(g) > n:
                raise InputError(f"row {n + 1} of the data is one too many: the grid "
                                 f"({shape}) has {n} blocks and the file {len(g)} rows",
                                 file=g.file, row=int(g.line[n]))
            raise InputError(f"the file has {len(g)} data rows but the grid ({shape}) has {n} "
                             "blocks: a GSLIB grid file holds one row per block, X fastest",
                             file=g.file)
        names = list(g.data.columns)
        clash = [c for c in names if c.lower() in RESERVED_NAMES]
        if clash:
            raise InputError(f"variable {clash[0]!r} has a name reserved for the block "
                             f"position ({', '.join(RESERVED_NAMES)}); rename it", file=g.file,
                             column=clash[0])
        params = {"command": "import", "format": "geoeas", "file": str(path),
                  "sha256": file_sha256(path), "title": g.title,
                  "missing": missing}
        try:
            return cls.from_grid(grid, {c: g.data[c].to_numpy() for c in names}, params)
        except ParameterError as exc:
            raise InputError(str(exc), file=g.file) from None


def _vulcan_type(values: np.ndarray) -> str:
    if values.dtype.kind == "f":
        return "double"
    if values.dtype.kind in "biu":
        return "integer"
    return "name"


# -- CSV reading ------------------------------------------------------------------------------

def _find(by_norm: dict[str, str], aliases: Iterable[str], taken: set[str]) -> str | None:
    for a in aliases:
        col = by_norm.get(a)
        if col is not None and col not in taken:
            return col
    return None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _numbers(raw: RawTable, rows: np.ndarray, column: str, what: str) -> np.ndarray:
    cells = raw.data[column][rows]
    p = parse_numbers(cells, decimal_comma=raw.decimal_comma)
    bad = p.empty | p.bad
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = cells[i] if len(cells[i]) <= 30 else cells[i][:27] + "..."
        found = "an empty cell" if p.empty[i] else f"{shown!r}"
        raise InputError(f"expected {what} (a number), found {found} "
                         f"({int(bad.sum())} rows like this)", file=raw.file,
                         row=int(raw.line[rows[i]]), column=column)
    return p.value


def _data_column(raw: RawTable, rows: np.ndarray, column: str, vulcan_type: str | None
                 ) -> np.ndarray:
    cells = raw.data[column][rows]
    if vulcan_type is not None and normalise(vulcan_type) == "name":
        return cells.astype(object)
    s = pd.Series(cells, dtype=object)
    absent = ((s == "") | (s == _DATAMINE_ABSENT)).to_numpy()
    if cells.size and not absent.any() and s.str.fullmatch(_INT_RE.pattern).all():
        return np.array([int(c) for c in cells.tolist()], dtype=np.int64)
    p = parse_numbers(np.where(absent, "", cells).astype(object),
                      decimal_comma=raw.decimal_comma)
    if not p.bad.any():
        return p.value
    return cells.astype(object)


def _read_csv(cls: type[BlockModel], path: Path, *, grid: BlockGrid | None,
              size: Sequence[float] | None, rotation: float, tolerance: float,
              column_map: Mapping[str, str] | None, delimiter: str | None) -> BlockModel:
    if not (isinstance(tolerance, (int, float)) and 0 < tolerance < 0.5):
        raise ParameterError(f"tolerance: expected a fraction of the block size in (0, 0.5), "
                             f"got {tolerance!r}")
    if grid is not None and not isinstance(grid, BlockGrid):
        raise ParameterError(f"grid: expected a BlockGrid, got {type(grid).__name__}")
    given_size = None
    if size is not None:
        given_size = BlockGrid((0, 0, 0), size, (1, 1, 1)).size
    probe = BlockGrid((0, 0, 0), (1, 1, 1), (1, 1, 1), rotation)  # checks the rotation
    rotation = probe.rotation if grid is None else grid.rotation

    raw = read_table(path, delimiter=delimiter)
    name = raw.file
    skipped: list[dict[str, Any]] = []   # lines after the header that are not blocks
    warnings: list[dict[str, Any]] = []  # rows kept after a repair, and other notes
    for s in raw.skipped:
        if s.severity == "error":
            raise InputError(f"{s.message}; a block row cannot be left out — fix the row",
                             file=name, row=s.line)
        if s.code == "empty_row":
            skipped.append({"line": s.line, "reason": s.message})
        else:
            warnings.append({"line": s.line, "reason": s.message})

    # Columns by role.
    user = {k: v for k, v in (column_map or {}).items()}
    unknown = sorted(set(user) - {"x", "y", "z", "dx", "dy", "dz"})
    if unknown:
        raise ParameterError(f"column_map: unknown roles {', '.join(unknown)}; roles are x, y, "
                             "z (centroid) and dx, dy, dz (block size)")
    exact = {c.lower(): c for c in raw.columns}
    by_norm: dict[str, str] = {}
    for c in raw.columns:
        by_norm.setdefault(normalise(c), c)
    taken: set[str] = set()
    role: dict[str, str] = {}
    for key in ("x", "y", "z", "dx", "dy", "dz"):
        if key in user:
            col = exact.get(str(user[key]).lower())
            if col is None:
                raise InputError(f"no column {user[key]!r} (given for {key}); columns: "
                                 f"{', '.join(raw.columns)}", file=name, row=1)
            role[key] = col
            taken.add(col)
    for key in ("x", "y", "z", "dx", "dy", "dz"):
        if key in role:
            continue
        aliases = CENTROID_ALIASES[key] if len(key) == 1 else SIZE_ALIASES[key[1]]
        col = _find(by_norm, aliases, taken)
        if col is not None:
            role[key] = col
            taken.add(col)
    for key in ("x", "y", "z"):
        if key not in role:
            raise InputError(f"no column for the block centroid's {key.upper()} (looked for "
                             f"{', '.join(a.upper() for a in CENTROID_ALIASES[key][:8])} …); "
                             f"columns found: {', '.join(raw.columns)}", file=name, row=1)
    has_size = [k in role for k in ("dx", "dy", "dz")]
    if any(has_size) and not all(has_size):
        missing = [k for k, h in zip(("dx", "dy", "dz"), has_size) if not h]
        raise InputError(f"size columns for some axes but not for {', '.join(missing)}; give all "
                         "three (e.g. XINC, YINC, ZINC)", file=name, row=1)
    has_size_cols = all(has_size)
    if not has_size_cols and given_size is None and grid is None:
        raise InputError("no block-size columns (looked for XINC, dim_x, xlength, DX …) and no "
                         "size given: pass size=(dx, dy, dz)", file=name, row=1)
    vulcan = normalise(role["x"]) == "centroidx" and has_size_cols \
        and normalise(role["dx"]) == "dimx"
    if vulcan and "volume" in by_norm and by_norm["volume"] not in taken:
        role["volume"] = by_norm["volume"]
        taken.add(role["volume"])
    proto_cols = {k: by_norm[k] for k in _PROTOTYPE if k in by_norm and by_norm[k] not in taken}
    has_proto = len(proto_cols) == len(_PROTOTYPE)
    if has_proto:
        taken.update(proto_cols.values())

    # Vulcan's three lines after the header: a label in the first field, no coordinates.
    rows = np.arange(len(raw), dtype=np.int64)
    first_col = raw.columns[0]
    role_cols = [role[k] for k in ("x", "y", "z", "dx", "dy", "dz") if k in role]
    header_rows: list[int] = []
    for r in range(min(3, len(raw))):
        if int(raw.line[r]) != 2 + r:
            break
        label = raw.data[first_col][r]
        if not label or _is_number(label) or not (vulcan or normalise(label).startswith(
                "variable")):
            break
        if any(raw.data[c][r] for c in role_cols if c != first_col):
            break
        header_rows.append(r)
    vulcan_types: dict[str, str] = {}
    for k, r in enumerate(header_rows):
        what = ("variable descriptions", "variable types", "variable defaults")[k]
        skipped.append({"line": int(raw.line[r]),
                        "reason": f"Vulcan header line ({what}): {raw.data[first_col][r]!r}"})
        if k == 1:
            vulcan_types = {c: raw.data[c][r] for c in raw.columns if c != first_col}
    rows = rows[len(header_rows):]
    lines = raw.line[rows]

    def where(i: int) -> int:
        return int(lines[i])

    # Centroids and sizes.
    centre = np.column_stack([_numbers(raw, rows, role[k], f"the centroid {k.upper()}")
                              for k in ("x", "y", "z")]) if rows.size else np.empty((0, 3))
    if has_size_cols and rows.size:
        sizes = np.column_stack([_numbers(raw, rows, role[f"d{k}"], f"the block size "
                                          f"along {k.upper()}") for k in "xyz"])
        nonpos = np.flatnonzero((sizes <= 0).any(axis=1))
        if nonpos.size:
            i = int(nonpos[0])
            k = int(np.flatnonzero(sizes[i] <= 0)[0])
            raise InputError(f"block size {float(sizes[i, k])!r} m: sizes must be > 0", file=name,
                             row=where(i), column=role[f"d{'xyz'[k]}"])
    else:
        sizes = None

    # The parent block size.
    if grid is not None:
        ref = grid.size
    elif given_size is not None:
        ref = given_size
    elif sizes is not None and sizes.size:
        uniq, counts = np.unique(sizes, axis=0, return_counts=True)
        ref = uniq[int(np.argmax(counts))]
    else:
        ref = None
    if sizes is not None and ref is not None:
        off = np.abs(sizes - ref) > tolerance * ref
        bad = np.flatnonzero(off.any(axis=1))
        if bad.size:
            i = int(bad[0])
            k = int(np.flatnonzero(off[i])[0])
            source = ("the grid's" if grid is not None else "the given" if given_size is not None
                      else "most blocks'")
            raise InputError(f"block size {float(sizes[i, k])!r} m along {'XYZ'[k]} differs from "
                             f"{source} block size {float(ref[k])!r} m; sub-blocked models "
                             f"are not read yet ({bad.size} rows like this)", file=name,
                             row=where(i), column=role[f"d{'xyz'[k]}"])
    if "volume" in role and rows.size and ref is not None:
        vol = _numbers(raw, rows, role["volume"], "the block volume")
        want = float(np.prod(ref))
        bad = np.flatnonzero(np.abs(vol - want) > tolerance * want)
        if bad.size:
            i = int(bad[0])
            raise InputError(f"block volume {float(vol[i])!r} m³ is not dx·dy·dz = {want!r} m³; "
                             "partial blocks are not read yet", file=name, row=where(i),
                             column=role["volume"])

    # The grid: given, from the prototype fields, or inferred.
    proto_grid = None
    if has_proto and rows.size:
        vals = []
        for k, key in enumerate(_PROTOTYPE):
            col = proto_cols[key]
            v = _numbers(raw, rows, col, key.upper())
            tol = tolerance * float(ref[k]) if k < 3 and ref is not None else 0.0
            diff = np.flatnonzero(np.abs(v - v[0]) > tol)
            if diff.size:
                i = int(diff[0])
                raise InputError(f"{col} changes from {float(v[0])!r} (line {where(0)}) to {float(v[i])!r}; "
                                 "a prototype field is the same on every row", file=name,
                                 row=where(i), column=col)
            vals.append(float(v[0]))
        if ref is None:
            raise InputError("no block size: the prototype fields need XINC, YINC, ZINC or "
                             "size=(dx, dy, dz)", file=name, row=1)
        try:
            proto_grid = BlockGrid(vals[:3], ref, vals[3:], rotation)
        except ParameterError as exc:
            raise InputError(f"prototype fields: {exc}", file=name, row=where(0),
                             column=proto_cols["nx"]) from None
        if grid is not None and not grid.isclose(proto_grid, atol=tolerance * float(min(ref))):
            raise InputError(f"the prototype fields give {proto_grid!r}, not the grid given "
                             f"{grid!r}", file=name, row=where(0), column=proto_cols["xmorig"])
    if grid is None:
        grid = proto_grid
    inferred = grid is None
    if grid is None:
        if not rows.size:
            raise InputError("no blocks: the table has a header but no block rows, and no grid "
                             "was given", file=name, row=2)
        assert ref is not None
        pivot = centre[0] if rotation else np.zeros(3)
        frame = BlockGrid(pivot, ref, (1, 1, 1), rotation)
        local = frame.to_local(centre)
        lo, hi = local.min(axis=0), local.max(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            span = np.rint((hi - lo) / ref) + 1
        if (span > 2**53).any() or math.prod(float(s) for s in span) > 2**53:
            raise InputError(f"the centroids span {' × '.join(f'{s:.3g}' for s in span)} blocks "
                             f"of {tuple(ref.tolist())} m: too many for one grid", file=name,
                             row=1, column=role["x"])
        origin = frame.to_world((lo - ref / 2.0).reshape(1, 3))[0]
        try:
            grid = BlockGrid(origin, ref, span.astype(np.int64), rotation)
        except ParameterError as exc:
            raise InputError(f"cannot make a grid of these centroids ({exc})", file=name,
                             row=1, column=role["x"]) from None

    # Each centroid on the grid.
    pos = grid.to_local(centre) / grid.size - 0.5
    cell = np.rint(pos)
    off = np.abs(pos - cell) > tolerance
    outside = (cell < 0) | (cell >= grid.count)
    bad = np.flatnonzero((off | outside).any(axis=1))
    if bad.size:
        i = int(bad[0])
        k = int(np.flatnonzero(off[i] | outside[i])[0])
        col = role["xyz"[k]]
        if off[i, k]:
            msg = (f"centroid {float(centre[i, k])!r} is not on the grid: {abs(pos[i, k] - cell[i, k]):.3g}"
                   f" of a block from the nearest block centre (grid origin "
                   f"{tuple(grid.origin.tolist())}, size {tuple(grid.size.tolist())}); blocks "
                   "off the parent grid (sub-blocks) are not read yet")
        else:
            msg = (f"centroid {float(centre[i, k])!r} is outside the grid {grid!r}")
        raise InputError(f"{msg} ({bad.size} rows like this)", file=name, row=where(i),
                         column=col)
    ijk = cell.astype(np.int64)
    index = grid.index_of(ijk) if rows.size else np.empty(0, dtype=np.int64)
    _, first = np.unique(index, return_index=True)
    if first.size != index.size:
        dup = np.ones(index.size, dtype=bool)
        dup[first] = False
        i = int(np.flatnonzero(dup)[0])
        j = int(np.flatnonzero(index == index[i])[0])
        raise InputError(f"block (ix, iy, iz) = {tuple(ijk[i].tolist())} is given twice, on "
                         f"line {where(j)} and here ({int(dup.sum())} repeated rows)",
                         file=name, row=where(i), column=role["x"])

    # Datamine's IJK.
    ijk_col = by_norm.get("ijk")
    if ijk_col is not None and ijk_col not in taken and not inferred and rows.size:
        code = _numbers(raw, rows, ijk_col, "Datamine's IJK")
        ny, nz = int(grid.count[1]), int(grid.count[2])
        want = (ijk[:, 0] * ny + ijk[:, 1]) * nz + ijk[:, 2]
        bad = np.flatnonzero(code != want)
        if bad.size:
            i = int(bad[0])
            raise InputError(f"IJK {float(code[i])!r} does not match the block's position "
                             f"{tuple(ijk[i].tolist())}, whose IJK is {int(want[i])} "
                             "(Datamine: ix·ny·nz + iy·nz + iz)", file=name, row=where(i),
                             column=ijk_col)
        taken.add(ijk_col)

    # The other columns.
    columns: dict[str, np.ndarray] = {}
    for c in raw.columns:
        if c in taken:
            continue
        if c.lower() in RESERVED_NAMES:
            raise InputError(f"column {c!r} has a name reserved for the block position "
                             f"({', '.join(RESERVED_NAMES)}); rename it", file=name, row=1,
                             column=c)
        columns[c] = _data_column(raw, rows, c, vulcan_types.get(c))
    order = np.argsort(index, kind="stable")
    layout = ("vulcan" if vulcan else "datamine" if normalise(role["x"]) == "xc"
              else "generic")
    params = {
        "command": "import", "format": "csv", "layout": layout, "file": str(path),
        "sha256": file_sha256(path),
        "roles": {k: v for k, v in role.items()},
        "prototype": sorted(proto_cols.values()) if has_proto else [],
        "ijk_checked": bool(ijk_col is not None and ijk_col in taken),
        "grid": "given" if not inferred and proto_grid is None else
                "prototype fields" if proto_grid is not None else "inferred",
        "tolerance": tolerance, "blocks": int(rows.size),
        "skipped_lines": sorted(skipped, key=lambda d: d["line"]),
        "warnings": warnings,
    }
    try:
        model = cls(grid, index[order], {k: v[order] for k, v in columns.items()})
        record = _run_record(list(columns), params)
    except ParameterError as exc:
        raise InputError(str(exc), file=name) from None
    return cls(model.grid, model.index, model.columns, [record])
