"""Estimation on a Dask cluster: the block grid cut into tiles, one task per tile.

The same estimation as :func:`orebook.estimate.run.estimate_blocks` (the same compiled search
and kriging kernels, called by that very function on each tile's blocks), run by the workers of
a ``dask.distributed`` cluster, with identical results for every block.

- The grid is cut into tiles of block indices (:mod:`orebook.estimate.tiles`). The samples are
  sent to every worker once (``client.scatter(..., broadcast=True)``); each task keeps the
  samples of its tile's box grown by the largest search ellipsoid of all passes (in the grid's
  frame, rotations included), plus the samples with the smallest and largest x, y and z. Those
  six make the search's centring, and so every rounded distance and every tie, the same as in a
  run over all samples.
- Each task writes its blocks as one Parquet file, ``tile-NNNNNN.parquet``, atomically
  (:func:`orebook.io.writing.atomic_output`), and returns a small summary; the driver never
  holds the model. A task run twice (a retry, a worker lost mid-task) writes the same file
  again, so nothing is lost and nothing is doubled.
- At the end every tile's file is checked (present, with the right number of rows) and the
  manifest is written, last.

Output layout (a *tile folder*)::

    OUT/
      _orebook.json          manifest, written last: grid, columns, run records, tile shape and
                             each tile's ijk range, file and number of rows
      tile-000000.parquet    the blocks of tile 0, sorted by block index; itself a block model
      tile-000001.parquet    (BlockModel.load_parquet reads it: grid and run records in its
      ...                     metadata), one row group per layer of blocks (iz)

:func:`load_tiles` assembles the whole model in memory; :func:`merge_tiles` writes it as one
Parquet file, identical in content to :meth:`BlockModel.save_parquet` of that model, one layer
of the grid at a time (the memory of one layer of blocks, not of the model).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.geostats.models import VariogramModel
from orebook.io.writing import atomic_output, write_text_atomic

from .blockmodel import METADATA_KEY, BlockModel
from .grid import BlockGrid
from .run import METHODS, estimate_blocks
from .search import SearchParams
from .tiles import Tile, make_tiles, search_half_widths, tile_samples

__all__ = ["EXECUTORS", "MANIFEST", "DistributedRun", "Executor", "Progress", "check_tiles",
           "estimate_blocks_distributed", "executor_of_plan", "load_tiles", "merge_tiles",
           "run_plan_distributed"]

EXECUTORS = ("local", "dask")
"""Where a plan runs: ``local`` (this process, its threads) or ``dask`` (a cluster)."""

MANIFEST = "_orebook.json"
"""Name of the manifest of a tile folder."""

_FORMAT = "orebook.blockmodel.tiles"

Progress = Callable[[int, int, str], None]
"""``progress(done, total, message)``: called once before the first tile (0, total, where the
run goes and the dashboard link) and after each tile (done, total, tile name)."""


@dataclass(frozen=True)
class DistributedRun:
    """A finished distributed run.

    out_dir : the tile folder. manifest : its manifest (see the module docstring).
    summaries : one per estimate, as :attr:`EstimationRun.summary` (blocks per pass,
        ``attrs["unestimated"]``). tiles : one row per tile: ``tile, rows, samples``,
        ``seconds`` and ``cpu_seconds`` (the estimation on the worker, wall clock and the
        process's CPU time), ``write_seconds`` and ``bytes`` (the partition file),
        ``worker``.
    """

    out_dir: Path
    manifest: dict
    summaries: list[pd.DataFrame]
    tiles: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class _Step:
    """One estimate: the values in column ``column`` of the scattered samples."""

    column: int
    passes: tuple[SearchParams, ...]
    method: str = "ok"
    model: VariogramModel | None = None
    mean: float | None = None
    discretisation: tuple[int, int, int] = (1, 1, 1)
    power: float = 2.0
    prefix: str = ""
    domain: str | None = None  # estimate only the blocks of this domain code (plans)
    sample_domains: tuple[str, ...] = ()

    def run(self, blocks: BlockModel, xyz: np.ndarray, values: np.ndarray,
            hole: np.ndarray | None):
        return estimate_blocks(blocks, xyz, values[:, self.column], self.passes,
                               method=self.method, model=self.model, mean=self.mean,
                               discretisation=self.discretisation, power=self.power,
                               hole=hole, prefix=self.prefix)


@dataclass(frozen=True)
class _Samples:
    """What every worker holds once: samples in world and grid coordinates, values (n, k)."""

    xyz: np.ndarray
    local: np.ndarray
    values: np.ndarray
    hole: np.ndarray | None
    extremes: np.ndarray  # rows holding the smallest and largest x, y, z of each estimate


@dataclass(frozen=True)
class _Domains:
    """A plan's block domains for some blocks: the codes as text ("" for none) and the
    column written to the model (its name, its values, its run record)."""

    codes: np.ndarray
    name: str
    column: np.ndarray
    record: dict

    def take(self, rows: np.ndarray) -> _Domains:
        return _Domains(self.codes[rows], self.name, self.column[rows], self.record)


# -- the task ---------------------------------------------------------------------------------

def _estimate_steps(grid: BlockGrid, index: np.ndarray, xyz: np.ndarray, values: np.ndarray,
                    hole: np.ndarray | None, steps: Sequence[_Step],
                    domains: _Domains | None) -> tuple[BlockModel, list[pd.DataFrame]]:
    """The loop of :func:`orebook.estimate.plan.run_plan` on the blocks ``index``: the same
    columns in the same order, the same run records (but for the samples counted), the same
    summaries. On no blocks it gives the run records and columns of the whole run, and checks
    every option."""
    blocks = BlockModel(grid, index)
    if domains is not None:
        blocks = blocks.add_columns({domains.name: domains.column}, domains.record)
    summaries = []
    for step in steps:
        if domains is None or step.domain is None:
            run = step.run(blocks, xyz, values, hole)
            blocks = run.model
            summaries.append(run.summary)
            continue
        mask = domains.codes == step.domain
        run = step.run(BlockModel(grid, blocks.index[mask]), xyz, values, hole)
        record = {**run.parameters, "domain": step.domain,
                  "sample_domains": list(step.sample_domains or ())}
        blocks = blocks.merge_part(mask, run.model, record)
        run.summary.attrs["domain"] = step.domain
        summaries.append(run.summary)
    return blocks, summaries


def _tile_task(samples: _Samples, tile: Tile, grid: BlockGrid, index: np.ndarray | None,
               domains: _Domains | None, steps: tuple[_Step, ...], half_widths: np.ndarray,
               runs: list[dict], path: str) -> dict:
    """Estimate one tile and write its partition; return its summary (small)."""
    t0, c0 = time.perf_counter(), time.process_time()
    idx = tile.index(grid) if index is None else index
    sel = np.union1d(tile_samples(samples.local, tile, grid, half_widths), samples.extremes)
    hole = None if samples.hole is None else samples.hole[sel]
    model, summaries = _estimate_steps(grid, idx, samples.xyz[sel], samples.values[sel], hole,
                                       steps, domains)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    w0 = time.perf_counter()
    _write_partition(BlockModel(grid, idx, model.columns, runs), Path(path))
    write = time.perf_counter() - w0
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "local"
    return {"tile": tile.number, "rows": int(idx.size), "samples": int(sel.size),
            "seconds": seconds, "cpu_seconds": cpu, "write_seconds": write,
            "bytes": Path(path).stat().st_size, "worker": worker,
            "summaries": [{"rows": sm.to_dict("records"),
                           "unestimated": dict(sm.attrs.get("unestimated", {})),
                           "domain": sm.attrs.get("domain")} for sm in summaries]}


def _table(model: BlockModel):
    """The Arrow table :meth:`BlockModel.save_parquet` writes (same columns, same metadata)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(model.to_frame(), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY.encode()] = json.dumps(
        {"format": METADATA_KEY, "version": 1, "grid": model.grid.to_dict(),
         "columns": list(model.columns), "runs": model.runs}).encode("utf-8")
    return table.replace_schema_metadata(meta)


def _write_partition(model: BlockModel, path: Path) -> None:
    """The tile as a block-model Parquet file, one row group per layer (iz), atomically."""
    import pyarrow.parquet as pq

    table = _table(model)
    iz = model.ijk()[:, 2]
    cuts = [0, *(np.flatnonzero(np.diff(iz)) + 1).tolist(), len(iz)]
    with atomic_output(path) as tmp, pq.ParquetWriter(tmp, table.schema) as w:
        for a, b in itertools.pairwise(cuts):
            if b > a:
                w.write_table(table.slice(a, b - a))


# -- the driver -------------------------------------------------------------------------------

@contextlib.contextmanager
def _client(client: Any, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The client given, one connected to ``scheduler``, or one of a LocalCluster of
    ``workers`` processes (one thread each) started for the run and closed after it."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ParameterError(f"scheduler {scheduler!r}: cannot connect ({exc})") from None
        with c:
            yield c
        return
    n = 2 if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"workers must be a whole number ≥ 1, got {workers!r}")
    import dask

    threads = max(1, (os.cpu_count() or 1) // n)
    # the workers' statistical profiler samples every thread 100 times a second: off
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                         dashboard_address=":0", silence_logs=logging.ERROR,
                         env={"NUMBA_NUM_THREADS": str(threads)}) as cluster, \
            Client(cluster) as c:
        yield c


def _dashboard(client: Any) -> str:
    try:
        import bokeh  # noqa: F401 - the dashboard needs it
    except ImportError:
        return "no dashboard (install bokeh for it)"
    link = getattr(client, "dashboard_link", None)
    return f"dashboard {link}" if link else "no dashboard"


def _extremes(xyz: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Rows with the smallest and largest x, y, z among each column's usable samples."""
    rows = []
    finite_xyz = np.isfinite(xyz).all(axis=1)
    for k in range(values.shape[1]):
        ok = np.flatnonzero(finite_xyz & np.isfinite(values[:, k]))
        if ok.size:
            for a in range(3):
                rows += [ok[np.argmin(xyz[ok, a])], ok[np.argmax(xyz[ok, a])]]
    return np.unique(np.asarray(rows, dtype=np.int64))


def _run_records(grid: BlockGrid, xyz: np.ndarray, values: np.ndarray,
                 hole: np.ndarray | None, steps: Sequence[_Step],
                 domains: _Domains | None) -> tuple[list[dict], list[str]]:
    """The run records and columns of the local run: its loop on no blocks (which also
    checks every option before a cluster starts)."""
    for step in steps:
        if hole is None and any(p.max_per_hole for p in step.passes):
            raise ParameterError("max_per_hole needs hole ids: give hole=")
    none = np.empty(0, dtype=np.int64)
    model, _ = _estimate_steps(grid, none, xyz, values, hole, steps,
                               None if domains is None else domains.take(none))
    return model.runs, list(model.columns)


def _tile_indices(grid: BlockGrid, tiles: list[Tile], index: np.ndarray | None
                  ) -> list[tuple[Tile, np.ndarray | None, int]]:
    """(tile, its block indices or None for all, rows) for the tiles holding blocks."""
    if index is None:
        return [(t, None, t.n_blocks) for t in tiles]
    ijk = grid.ijk(index)
    step = np.subtract(tiles[0].hi, tiles[0].lo)  # the tile shape: every start a multiple
    nt = -(-grid.count // step)
    t = ijk // step
    number = t[:, 0] + nt[0] * (t[:, 1] + nt[1] * t[:, 2])
    order = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[order], np.arange(len(tiles) + 1))
    out = []
    for tile in tiles:
        rows = order[bounds[tile.number]:bounds[tile.number + 1]]
        if rows.size:
            out.append((tile, index[np.sort(rows)], int(rows.size)))
    return out


def _execute(grid: BlockGrid, index: np.ndarray | None, xyz: np.ndarray, values: np.ndarray,
             hole: np.ndarray | None, steps: Sequence[_Step], out_dir: Path, *,
             client: Any, scheduler: str | None, workers: int | None,
             tile: Sequence[int] | None, retries: int, progress: Progress | None,
             domains: _Domains | None = None) -> DistributedRun:
    """Run ``steps`` tile by tile on the cluster into ``out_dir``; ``domains`` are given per
    block of the grid (plans with block domains: ``index`` is None then)."""
    runs, columns = _run_records(grid, xyz, values, hole, steps, domains)
    tiles = make_tiles(grid, tile)
    jobs = _tile_indices(grid, tiles, index)
    per_tile = [None if domains is None else domains.take(t.index(grid)) for t, _, _ in jobs]
    half = search_half_widths([p for s in steps for p in s.passes], grid)
    with np.errstate(invalid="ignore"):
        local = grid.to_local(xyz)
    samples = _Samples(xyz, local, values, hole, _extremes(xyz, values))
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"output {out_dir}: expected a folder for the tiles, found a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / MANIFEST).unlink(missing_ok=True)  # the folder is incomplete until the end
    except OSError as exc:
        raise ParameterError(f"output {out_dir}: cannot write there ({exc.strerror or exc})"
                             ) from None
    results: list[dict] = []
    with _client(client, scheduler, workers) as c:
        from distributed import as_completed

        if progress is not None:
            progress(0, len(jobs), f"{len(jobs)} tiles on {c.scheduler.address}; "
                                   f"{_dashboard(c)}")
        data = c.scatter(samples, broadcast=True, hash=False)
        token = f"{os.getpid()}-{time.time_ns()}"
        futures = [c.submit(_tile_task, data, t, grid, idx, dom, tuple(steps), half, runs,
                            str(out_dir / f"{t.name}.parquet"), retries=retries, pure=False,
                            key=f"orebook-{t.name}-{token}")
                   for (t, idx, _), dom in zip(jobs, per_tile)]
        try:
            for fut in as_completed(futures):
                try:
                    results.append(fut.result())
                except OrebookError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a lost worker, a broken cluster
                    raise OrebookError(f"tile {fut.key}: failed after {retries} retries "
                                       f"({type(exc).__name__}: {exc})") from None
                if progress is not None:
                    progress(len(results), len(jobs), f"tile {results[-1]['tile']:06d}")
        finally:
            c.cancel(futures + [data])
    manifest = {"format": _FORMAT, "version": 1, "grid": grid.to_dict(), "columns": columns,
                "runs": runs, "tile_shape": [int(v) for v in np.subtract(tiles[0].hi,
                                                                          tiles[0].lo)],
                "blocks": int(sum(r for _, _, r in jobs)),
                "tiles": [{**t.to_dict(), "file": f"{t.name}.parquet", "rows": r}
                          for t, _, r in jobs]}
    _check(out_dir, manifest)
    _tidy(out_dir, {t["file"] for t in manifest["tiles"]})
    write_text_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=1))
    results.sort(key=lambda r: r["tile"])
    summaries = [_merge_summaries([r["summaries"][k] for r in results])
                 for k in range(len(steps))]
    table = pd.DataFrame([{k: r[k] for k in ("tile", "rows", "samples", "seconds",
                                              "cpu_seconds", "write_seconds", "bytes",
                                              "worker")}
                          for r in results])
    return DistributedRun(out_dir, manifest, summaries, table)


def _merge_summaries(parts: list[dict]) -> pd.DataFrame:
    """The summary of a whole run from its tiles' (blocks per pass, unestimated)."""
    by_pass: dict[int, dict] = {}
    missing: dict[str, int] = {}
    for part in parts:
        for row in part["rows"]:
            p = by_pass.setdefault(row["pass"], {"pass": row["pass"], "radii_m": row["radii_m"],
                                                 "searched": 0, "estimated": 0})
            p["searched"] += row["searched"]
            p["estimated"] += row["estimated"]
        for why, n in part["unestimated"].items():
            missing[why] = missing.get(why, 0) + n
    summary = pd.DataFrame([by_pass[k] for k in sorted(by_pass)])
    summary.attrs["unestimated"] = dict(sorted(missing.items(), key=lambda kv: -kv[1]))
    if parts and parts[0].get("domain") is not None:
        summary.attrs["domain"] = parts[0]["domain"]
    return summary


def _tidy(out_dir: Path, keep: set[str]) -> None:
    """Remove tile files of an earlier run with other tiles, and temporary files of writes
    cut short (a worker killed while writing)."""
    for p in out_dir.iterdir():
        stale_tile = p.name.startswith("tile-") and p.suffix == ".parquet" and p.name not in keep
        cut_short = p.name.startswith(".tile-") and p.name.endswith(".part")
        if stale_tile or cut_short:
            p.unlink(missing_ok=True)


def _check(out_dir: Path, manifest: dict) -> None:
    """Every tile's file present, with its rows and the manifest's columns, or InputError."""
    import pyarrow.parquet as pq

    missing = [t["file"] for t in manifest["tiles"] if not (out_dir / t["file"]).is_file()]
    if missing:
        raise InputError(f"{len(missing)} of {len(manifest['tiles'])} tiles missing, first "
                         f"{missing[0]}: the run did not finish", file=str(out_dir))
    for t in manifest["tiles"]:
        path = out_dir / t["file"]
        try:
            meta = pq.ParquetFile(path).metadata
            names = meta.schema.names
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on damaged files
            raise InputError(f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                             file=str(path)) from None
        if meta.num_rows != t["rows"]:
            raise InputError(f"{meta.num_rows} rows, expected {t['rows']} (the blocks of tile "
                             f"{t['lo']}..{t['hi']})", file=str(path))
        lacking = [c for c in manifest["columns"] if c not in names]
        if lacking:
            raise InputError(f"no column {lacking[0]!r}", file=str(path), column=lacking[0])


def _valid_manifest(doc: Any) -> dict:
    """``doc`` when it has the shape of a manifest; ValueError saying what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"expected a JSON table with format = {_FORMAT!r}")
    BlockGrid.from_dict(doc["grid"])
    if not isinstance(doc["columns"], list) or not all(isinstance(c, str)
                                                       for c in doc["columns"]):
        raise ValueError("columns: expected a list of names")
    if not isinstance(doc["runs"], list) or not all(isinstance(r, dict) for r in doc["runs"]):
        raise ValueError("runs: expected a list of run records")
    if not isinstance(doc["tiles"], list):
        raise TypeError("tiles: expected a list")
    for t in doc["tiles"]:
        ok = (isinstance(t, dict) and isinstance(t.get("file"), str)
              and t["file"].startswith("tile-") and t["file"].endswith(".parquet")
              and "/" not in t["file"] and "\\" not in t["file"]
              and isinstance(t.get("rows"), int) and t["rows"] >= 0
              and all(isinstance(t.get(k), list) and len(t[k]) == 3
                      and all(isinstance(i, int) for i in t[k]) for k in ("lo", "hi")))
        if not ok:
            raise ValueError(f"tile entry {t!r}: expected file, rows, lo and hi")
    return doc


def check_tiles(out_dir: str | Path) -> dict:
    """Read a tile folder's manifest and check every tile's file (present, readable, with its
    number of rows and the columns). Returns the manifest; :class:`InputError` otherwise."""
    out_dir = Path(out_dir)
    path = out_dir / MANIFEST
    if not path.is_file():
        raise InputError(f"no {MANIFEST}: not a tile folder, or its run did not finish",
                         file=str(out_dir))
    try:
        manifest = _valid_manifest(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError, OrebookError) as exc:
        raise InputError(f"damaged manifest ({exc})", file=str(path)) from None
    _check(out_dir, manifest)
    return manifest


def load_tiles(out_dir: str | Path) -> BlockModel:
    """The whole block model of a tile folder, in memory (as :meth:`BlockModel.load_parquet`
    of :func:`merge_tiles`'s file would give it)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    manifest = check_tiles(out_dir)
    names = list(manifest["columns"])
    tables = [pq.read_table(out_dir / t["file"], columns=["index", *names])
              for t in manifest["tiles"]]
    grid = BlockGrid.from_dict(manifest["grid"])
    if not tables:
        return BlockModel(grid, np.empty(0, dtype=np.int64), {}, manifest["runs"])
    table = pa.concat_tables(tables)
    table = table.take(pc.sort_indices(table["index"]))
    try:
        return BlockModel(grid, table["index"].to_numpy(),
                          {c: table[c].to_numpy() for c in names}, manifest["runs"])
    except ParameterError as exc:
        raise InputError(str(exc), file=str(out_dir)) from None


def _layer_of(f: Any, group: int, path: Path) -> int:
    """The layer (iz) of a row group of a partition (one layer each): from the statistics
    the writer keeps, else from its first row."""
    meta = f.metadata.row_group(group)
    j = f.schema_arrow.get_field_index("iz")
    stats = meta.column(j).statistics
    if stats is not None and stats.has_min_max and stats.min == stats.max:
        return int(stats.min)
    iz = f.read_row_group(group, columns=["iz"])["iz"].to_numpy()
    if iz.size == 0 or (iz != iz[0]).any():
        raise InputError(f"row group {group} holds blocks of several layers (iz); tiles are "
                         "written one layer per row group", file=str(path))
    return int(iz[0])


def merge_tiles(out_dir: str | Path, path: str | Path) -> Path:
    """Write the model of a tile folder as one Parquet file (the content and metadata of
    :meth:`BlockModel.save_parquet`), atomically, one layer (iz) of the grid at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out_dir, path = Path(out_dir), Path(path)
    manifest = check_tiles(out_dir)
    tiles = sorted(manifest["tiles"], key=lambda t: (t["lo"][2], t["lo"][1], t["lo"][0]))
    slabs: dict[tuple[int, int], list[dict]] = {}
    for t in tiles:
        slabs.setdefault((t["lo"][2], t["hi"][2]), []).append(t)
    schema = None
    with atomic_output(path) as tmp:
        writer = None
        try:
            for _, group in sorted(slabs.items()):
                layers: dict[int, list[tuple[Any, int, Path]]] = {}
                for t in group:
                    file = out_dir / t["file"]
                    f = pq.ParquetFile(file)
                    if schema is None:
                        schema = f.schema_arrow
                        writer = pq.ParquetWriter(tmp, schema)
                    elif not f.schema_arrow.equals(schema, check_metadata=False):
                        raise InputError("its columns differ from the other tiles' "
                                         f"({f.schema_arrow.names})", file=str(file))
                    for g in range(f.metadata.num_row_groups):
                        if f.metadata.row_group(g).num_rows:
                            layers.setdefault(_layer_of(f, g, file), []).append((f, g, file))
                for z in sorted(layers):
                    parts = []
                    for f, g, file in layers[z]:
                        try:
                            parts.append(f.read_row_group(g))
                        except (OSError, pa.ArrowException) as exc:
                            raise InputError(f"row group {g} cannot be read "
                                             f"({type(exc).__name__}: {exc})",
                                             file=str(file)) from None
                    part = pa.concat_tables(parts)
                    writer.write_table(part.take(pc.sort_indices(part["index"])))
            if writer is None:  # a model of no blocks
                empty = BlockModel(BlockGrid.from_dict(manifest["grid"]),
                                   np.empty(0, dtype=np.int64), {}, manifest["runs"])
                pq.write_table(_table(empty), tmp)
        finally:
            if writer is not None:
                writer.close()
    return path


# -- public entry points ----------------------------------------------------------------------

def estimate_blocks_distributed(
    blocks: BlockModel | BlockGrid,
    sample_xyz: np.ndarray,
    values: np.ndarray,
    passes: Sequence[SearchParams],
    out_dir: str | Path,
    *,
    method: str = "ok",
    model: VariogramModel | None = None,
    mean: float | None = None,
    discretisation: Sequence[int] = (1, 1, 1),
    power: float = 2.0,
    hole: np.ndarray | None = None,
    prefix: str = "",
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = 2,
    tile: Sequence[int] | None = None,
    retries: int = 3,
    progress: Progress | None = None,
) -> DistributedRun:
    """:func:`orebook.estimate.run.estimate_blocks` on a Dask cluster, into a tile folder.

    Parameters
    ----------
    blocks : the grid (every block) or a block model (its grid and the blocks it holds; its
        columns are not copied: join them to the result by block index).
    sample_xyz, values, passes, method, model, mean, discretisation, power, hole, prefix :
        as :func:`estimate_blocks`.
    out_dir : the tile folder written (see the module docstring); tiles of an earlier run
        there are replaced.
    client : a ``distributed.Client`` to use; else ``scheduler`` (an address such as
        ``tcp://10.0.0.5:8786``) is connected to; else a LocalCluster of ``workers``
        processes (one thread each) is started for the run.
    tile : blocks per tile along x, y, z (default: about 262,144 blocks,
        :func:`orebook.estimate.tiles.default_tile_shape`).
    retries : times a failed tile is tried again (a lost worker's tiles are re-run anyway).
    progress : see :data:`Progress`.

    Returns
    -------
    DistributedRun : the folder, its manifest, the summaries (as the local run's) and a table
    of the tiles (rows, samples, seconds of compute, bytes, worker).
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(blocks, BlockModel):
        grid, index = blocks.grid, blocks.index
        if len(index) == grid.n_blocks:
            index = None
    elif isinstance(blocks, BlockGrid):
        grid, index = blocks, None
    else:
        raise ParameterError(f"blocks: expected a BlockModel or a BlockGrid, got "
                             f"{type(blocks).__name__}")
    xyz = np.asarray(sample_xyz, dtype=float).reshape(-1, 3)
    v = np.asarray(values, dtype=float).reshape(-1)
    if len(v) != len(xyz):
        raise ParameterError(f"{len(xyz)} sample positions but {len(v)} values")
    h = None if hole is None else np.asarray(hole, dtype=object)
    step = _Step(0, tuple(passes), method, model, mean,
                 tuple(int(d) for d in discretisation), power, prefix)
    return _execute(grid, index, xyz, v[:, None], h, [step], Path(out_dir), client=client,
                    scheduler=scheduler, workers=workers, tile=tile, retries=retries,
                    progress=progress)


def run_plan_distributed(plan: Any, *, client: Any = None, scheduler: str | None = None,
                         workers: int | None = None, tile: Sequence[int] | None = None,
                         retries: int = 3, progress: Progress | None = None,
                         keep_tiles: bool = False) -> tuple[Path, list[pd.DataFrame]]:
    """:func:`orebook.estimate.plan.run_plan` on a Dask cluster: the same block model file
    (same blocks, columns, values and run records), the same summaries.

    The tiles go to ``OUTPUT.tiles/`` beside the plan's output (``model.tiles/`` for
    ``model.parquet``), are merged into the output, and removed unless ``keep_tiles``.
    ``client``, ``scheduler``, ``workers`` (default 2), ``tile``, ``retries`` and
    ``progress`` as :func:`estimate_blocks_distributed`. With block domains
    (``[grid] domains``) the driver holds the grid's domain codes (one text per block).
    """
    from orebook.geostats.model_io import load_model

    from .plan import _load_block_domains, plan_samples, step_values

    comps, xyz, hole, codes = plan_samples(plan)
    grid = plan.block_grid()
    domains = None
    if getattr(plan, "domains", None) is not None:
        block_codes, column = _load_block_domains(plan, grid)
        domains = _Domains(block_codes, plan.domains.column, column,
                           {"source": str(plan.domains.file)})
    columns, steps = [], []
    for k, step in enumerate(plan.steps):
        columns.append(np.asarray(step_values(plan, step, comps, codes), dtype=float))
        domain = getattr(step, "domain", None) if domains is not None else None
        if domain is not None and not (domains.codes == domain).any():
            found = sorted(set(domains.codes.tolist()) - {""})
            raise InputError(f"no block of domain {domain!r} in {plan.domains.file.name} "
                             f"(block domains: {', '.join(found) or 'none'})",
                             file=str(plan.path), row=step.domain_line, column="domain")
        steps.append(_Step(k, tuple(step.passes), step.method,
                           load_model(step.model) if step.model is not None else None,
                           step.mean, tuple(step.discretisation), step.power, step.prefix,
                           domain, tuple(step.sample_domains or ())))
    hole = None if hole is None else np.asarray(hole, dtype=object)
    out_dir = plan.output.with_suffix(".tiles")
    run = _execute(grid, None, np.asarray(xyz, dtype=float), np.column_stack(columns), hole,
                   steps, out_dir, client=client, scheduler=scheduler, workers=workers,
                   tile=tile, retries=retries, progress=progress, domains=domains)
    merge_tiles(out_dir, plan.output)
    if not keep_tiles:
        for t in run.manifest["tiles"]:
            (out_dir / t["file"]).unlink(missing_ok=True)
        (out_dir / MANIFEST).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            out_dir.rmdir()
    return plan.output, run.summaries


# -- the executor of a plan -------------------------------------------------------------------

@dataclass(frozen=True)
class Executor:
    """Where a plan runs, from its ``[executor]`` table and the command line::

        [executor]
        kind = "dask"                      # or "local" (the default)
        scheduler = "tcp://10.0.0.5:8786"  # a running cluster; or
        workers = 8                        # a LocalCluster of 8 processes for the run
        tile = [64, 64, 64]                # blocks per tile (default ≈ 262,144 blocks)

    A scheduler or a number of workers alone means ``kind = "dask"``.
    """

    kind: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    tile: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ParameterError(f"executor must be one of {', '.join(EXECUTORS)}, got "
                                 f"{self.kind!r}")
        if self.scheduler is not None and self.workers is not None:
            raise ParameterError("give a scheduler address (a running cluster) or a number of "
                                 "workers (a LocalCluster for the run), not both")
        if self.kind == "local" and (self.scheduler is not None or self.workers is not None):
            raise ParameterError("a scheduler or workers need the dask executor, and the "
                                 "executor is local")
        w = self.workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            raise ParameterError(f"workers must be a whole number ≥ 1, got {w!r}")
        if self.scheduler is not None and (not isinstance(self.scheduler, str)
                                           or not self.scheduler.strip()):
            raise ParameterError(f"scheduler must be an address such as tcp://host:8786, got "
                                 f"{self.scheduler!r}")
        if self.tile is not None:
            t = self.tile
            ok = (isinstance(t, (list, tuple)) and len(t) == 3
                  and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in t))
            if not ok:
                raise ParameterError(f"tile must be 3 whole numbers ≥ 1 (blocks along x, y, "
                                     f"z), got {t!r}")
            object.__setattr__(self, "tile", tuple(t))

    def with_options(self, *, kind: str | None = None, scheduler: str | None = None,
                     workers: int | None = None, tile: Sequence[int] | None = None
                     ) -> Executor:
        """This executor with the options given (the command line's) in place of its own."""
        if kind is None and (scheduler is not None or workers is not None):
            kind = "dask"
        if scheduler is not None or workers is not None:  # one replaces the other
            return Executor(kind or self.kind, scheduler, workers,
                            tuple(tile) if tile is not None else self.tile)
        return Executor(kind or self.kind, self.scheduler if kind != "local" else None,
                        self.workers if kind != "local" else None,
                        tuple(tile) if tile is not None else self.tile)

    def run(self, plan: Any, *, progress: Progress | None = None,
            local_progress: Callable[[str], None] | None = None
            ) -> tuple[Path, list[pd.DataFrame]]:
        """Run ``plan`` here (``run_plan``, with ``local_progress``) or on the cluster
        (:func:`run_plan_distributed`, with ``progress``)."""
        if self.kind == "local":
            from .plan import run_plan

            return run_plan(plan, progress=local_progress)
        return run_plan_distributed(plan, scheduler=self.scheduler, workers=self.workers,
                                    tile=self.tile, progress=progress)


def _section_line(text: str, table: str, key: str | None) -> int | None:
    """The line of ``key =`` inside ``[table]`` (of the header when ``key`` is None)."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines)
                  if ln.strip().split("#")[0].strip() == f"[{table}]"), None)
    if start is None or key is None:
        return None if start is None else start + 1
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("["):
            break
        if stripped.split("=")[0].strip() == key:
            return i + 1
    return start + 1


def executor_of_plan(plan: Any) -> Executor:
    """The plan's ``[executor]`` table as an :class:`Executor` (local when it has none);
    :class:`InputError` naming the plan's line and key otherwise."""
    raw = getattr(plan, "raw", {}) or {}
    table = raw.get("executor")
    if table is None:
        return Executor()
    path = Path(plan.path)

    def fail(key: str | None, message: str) -> InputError:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        return InputError(message, file=str(path), row=_section_line(text, "executor", key),
                          column="executor" if key is None else f"executor.{key}")

    if not isinstance(table, dict):
        raise fail(None, "executor must be a table: [executor] with kind, scheduler, workers, "
                         "tile")
    extra = sorted(set(table) - {"kind", "scheduler", "workers", "tile"})
    if extra:
        raise fail(extra[0], f"unknown key {extra[0]!r} in [executor]; expected kind, "
                             "scheduler, workers, tile")
    kind = table.get("kind")
    if kind is None:
        kind = "dask" if ("scheduler" in table or "workers" in table) else "local"
    for key in ("kind", "scheduler", "workers", "tile"):  # one at a time: name its line
        try:
            Executor(kind, **({key: table[key]} if key != "kind" and key in table else {}))
        except ParameterError as exc:
            raise fail(key if key in table else None, str(exc)) from None
    try:
        return Executor(kind, table.get("scheduler"), table.get("workers"), table.get("tile"))
    except ParameterError as exc:
        raise fail(None, str(exc)) from None
