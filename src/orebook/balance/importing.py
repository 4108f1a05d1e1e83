"""Bulk import of the registry from CSV/XLSX tables: check everything, then write all or nothing.

One file per kind of table; the kind is told by the file name (``deposits.csv``,
``kalbajar_deposits.xlsx``: the name, or its end after ``_`` or ``-``) or given explicitly.
A folder stands for the tables in it. Columns (case-insensitive; optional ones in brackets):

=================  ==========================================================================
kind               columns
=================  ==========================================================================
admin_units        path ("Country/Region/District"), [levels ("country/region/district")]
commodities        code, name, [ore_unit (t), component_unit (t), grade_unit (g/t)]
organisations      name, [kind (holder)]
deposits           name, [district, status, fund, deposit_type, discovery_year,
                   complexity_group, longitude_deg, latitude_deg, district_uncertain, note]
aliases            deposit, alias
licences           number, deposit, holder, [issued, expires]
conditions         deposit, commodity, protocol, approved_on, [kind, edge_cutoff,
                   contour_cutoff, min_block_grade, min_thickness_m, max_barren_m,
                   min_metre_grade, note]
estimates          the columns of an estimate record (``orebook.io.estimate_record``): one
                   estimate per deposit × parameters_hash, one row per line
movements          deposit, commodity, category, group, kind, ore, metal, date, document,
                   [cause, batch]
published_totals   commodity, source, unit or deposit, metal and/or ore, [category,
                   metal_unit, as_of, as_of_date, published_on, quoted_by, deposit_count,
                   uncertain, note]
=================  ==========================================================================

Historical movements take the ledger's signs: production, loss, writeoff and exploration are
amounts ≥ 0 (the sign is applied on import); reevaluation, boundary, approval and transfer legs
are signed changes. The legs of a transfer share a ``batch`` and net to zero; corrections are
not imported (they cite a movement by id: use :meth:`Ledger.correct`).

Every table is checked completely first, against the registry and the other tables of the
same import, and **all** problems are collected (file, row, column, message; row = the line in
the file, header = line 1). Movements are checked vectorised: every line (deposit × commodity ×
category × group) stays ≥ 0 in ore and metal at the end of every date, counting the movements
already in the registry; no metal remains without ore; transfers net to zero per batch; nothing
falls in a closed year. Only then is everything written in **one transaction**, so a failure
leaves the registry unchanged. Movements are inserted in chunks (``executemany`` on SQLite,
``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from orebook.balance import registry as reg
from orebook.balance.db import write_engine
from orebook.balance.ledger import TOLERANCE
from orebook.balance.schema import (
    CATEGORIES,
    CONDITION_KINDS,
    DEPOSIT_STATUSES,
    FUNDS,
    GROUPS,
    AdminUnit,
    ClosedYear,
    Commodity,
    Deposit,
    DepositAlias,
    LedgerHead,
    Licence,
    Movement,
    Organisation,
)
from orebook.errors import InputError, OrebookError, ParameterError
from orebook.units import GRADE_UNITS, METAL_UNITS, metal_factor

__all__ = [
    "KINDS",
    "MOVEMENT_IMPORT_KINDS",
    "ImportRefused",
    "ImportReport",
    "Problem",
    "import_tables",
    "kind_of",
    "problems_frame",
]

#: Table kinds in the order they are written, with the other names a file may carry.
KINDS: dict[str, tuple[str, ...]] = {
    "admin_units": ("admin_units", "units", "districts"),
    "commodities": ("commodities",),
    "organisations": ("organisations", "organizations"),
    "deposits": ("deposits",),
    "aliases": ("aliases", "deposit_aliases"),
    "licences": ("licences", "licenses"),
    "conditions": ("conditions",),
    "estimates": ("estimates", "estimate_lines"),
    "published_totals": ("published_totals", "published"),
    "movements": ("movements",),
}
#: Kinds of movement a historical table may hold; the first four are amounts ≥ 0.
MOVEMENT_IMPORT_KINDS = ("production", "loss", "writeoff", "exploration", "reevaluation",
                         "boundary", "approval", "transfer")
_SIGN = {"production": -1.0, "loss": -1.0, "writeoff": -1.0, "exploration": 1.0}
_MAX_PROBLEMS = 10_000
_CHUNK = 50_000
#: Loads of at least this many movements (and more than the table holds) rebuild its indexes.
_REINDEX_ROWS = 100_000
_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input table (row: line in the file, header = 1)."""

    file: str
    row: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What an import found and wrote: rows per kind, and the problems (none when written)."""

    files: dict[str, str]  # file -> kind
    rows: dict[str, int]  # kind -> rows read
    written: dict[str, int]  # kind -> records written
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportRefused(InputError):
    """The tables have problems; nothing was written. ``report.problems`` lists them all."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        first = report.problems[0]
        n = len(report.problems)
        more = f" (and {n - 1} more problem{'s' if n > 2 else ''}; nothing was written)" \
            if n > 1 else " (nothing was written)"
        super().__init__(first.message + more, file=first.file, row=first.row,
                         column=first.column)


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """The problems as a table with columns file, row, column, message."""
    rows = [(p.file, p.row, p.column, p.message) for p in problems]
    return pd.DataFrame(rows, columns=["file", "row", "column", "message"])


def kind_of(path: str | Path) -> str | None:
    """The table kind a file name tells (``kalbajar_deposits.csv`` → ``deposits``), or None."""
    stem = Path(path).stem.lower().replace("-", "_").replace(" ", "_")
    best = None
    for kind, names in KINDS.items():
        for name in names:
            if (stem == name or stem.endswith("_" + name)) and (best is None
                                                                 or len(name) > best[1]):
                best = (kind, len(name))
    return best[0] if best else None


# ============================================================================ entry point
def import_tables(engine: Engine, paths: Sequence[str | Path], *,
                  kinds: dict[str, str] | None = None, dry_run: bool = False) -> ImportReport:
    """Check the tables at ``paths`` (files or folders) and write them in one transaction.

    Parameters
    ----------
    engine : the registry.
    paths : CSV/XLSX files, or folders whose CSV/XLSX files are read.
    kinds : file path -> table kind, for files whose name does not tell it.
    dry_run : check only; write nothing.

    Raises
    ------
    ImportRefused : one or more problems (all listed in ``exc.report.problems``); nothing written.
    InputError : a file cannot be read at all.
    """
    files = _collect(paths, kinds or {})
    ctx = _Context.from_registry(engine)
    tables: dict[str, list[_Table]] = defaultdict(list)
    for path, kind in files:
        tables[kind].append(_read(path, kind, ctx))
    parsed: dict[str, list] = {}
    for kind in KINDS:
        for table in tables.get(kind, []):
            parsed.setdefault(kind, []).extend(_CHECKS[kind](table, ctx))
    if parsed.get("movements"):
        with engine.connect() as conn:
            stamp = _movements_stamp(conn)
            _check_balances(parsed["movements"], _existing_movements(conn), ctx)
    else:
        stamp = None
    rows = {k: sum(len(t.raw) for t in v) for k, v in tables.items()}
    report = ImportReport({str(p): k for p, k in files}, rows, {},
                          _listed(ctx), tuple(ctx.warnings))
    if report.problems:
        raise ImportRefused(report)
    if dry_run:
        return report
    written = _write_all(engine, parsed, ctx, stamp)
    return ImportReport(report.files, rows, written, (), report.warnings)


def _listed(ctx: _Context) -> tuple[Problem, ...]:
    """The problems by file and row, at most ``_MAX_PROBLEMS`` and a last one counting the
    rest."""
    extra = len(ctx.problems) - _MAX_PROBLEMS + ctx.unlisted
    order = {f: k for k, f in enumerate(dict.fromkeys(p.file for p in ctx.problems))}
    listed = tuple(sorted(ctx.problems, key=lambda p: (order[p.file], p.row or 0))
                   [:_MAX_PROBLEMS])
    if extra <= 0:
        return listed
    return listed + (Problem(listed[-1].file, None, None,
                             f"… and {extra} more problems not listed"),)


def _collect(paths: Sequence[str | Path], kinds: dict[str, str]) -> list[tuple[Path, str]]:
    if not paths:
        raise ParameterError("give at least one table or folder to import")
    named = {str(Path(k)): v for k, v in kinds.items()}
    out: list[tuple[Path, str]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            members = sorted(f for f in p.iterdir() if f.is_file()
                             and f.suffix.lower() in _SUFFIXES and not f.name.startswith("."))
            members = [f for f in members if kind_of(f) is not None or str(f) in named]
            if not members:
                raise InputError("no table of a known kind (deposits.csv, movements.csv, …) "
                                 "in this folder", file=p)
        else:
            members = [p]
        for f in members:
            kind = named.get(str(f)) or kind_of(f)
            if kind is None:
                raise InputError("cannot tell which table this is from its name; name it "
                                 f"after its kind ({', '.join(KINDS)}) or give the kind",
                                 file=f)
            if kind not in KINDS:
                raise ParameterError(f"{f}: unknown table kind {kind!r}; expected one of "
                                     f"{', '.join(KINDS)}")
            out.append((f, kind))
    seen: dict[Path, str] = {}
    for f, kind in out:
        if f.resolve() in seen:
            raise ParameterError(f"{f}: given twice")
        seen[f.resolve()] = kind
    order = list(KINDS)
    return sorted(out, key=lambda fk: order.index(fk[1]))


# ============================================================================ reading
@dataclass
class _Table:
    file: str
    kind: str
    raw: object  # RawTable
    columns: dict[str, str]  # lower-case name -> column as written

    def cells(self, name: str) -> np.ndarray:
        col = self.columns.get(name)
        if col is None:
            return np.full(len(self.raw), "", dtype=object)
        return self.raw.data[col]

    @property
    def lines(self) -> np.ndarray:
        return self.raw.line


_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required, optional)
    "admin_units": (("path",), ("levels",)),
    "commodities": (("code", "name"), ("ore_unit", "component_unit", "grade_unit")),
    "organisations": (("name",), ("kind",)),
    "deposits": (("name",), ("district", "status", "fund", "deposit_type", "discovery_year",
                             "complexity_group", "longitude_deg", "latitude_deg",
                             "district_uncertain", "note")),
    "aliases": (("deposit", "alias"), ()),
    "licences": (("number", "deposit", "holder"), ("issued", "expires")),
    "conditions": (("deposit", "commodity", "protocol", "approved_on"),
                   ("kind", "edge_cutoff", "contour_cutoff", "min_block_grade",
                    "min_thickness_m", "max_barren_m", "min_metre_grade", "note")),
    "estimates": (("deposit", "commodity", "category", "group", "ore", "ore_unit", "grade",
                   "grade_unit", "metal", "metal_unit", "method", "effective_date",
                   "parameters_hash"), ("author", "document")),
    "movements": (("deposit", "commodity", "category", "group", "kind", "ore", "metal", "date",
                   "document"), ("cause", "batch")),
    "published_totals": (("commodity", "source"),
                         ("unit", "deposit", "metal", "ore", "category", "metal_unit", "as_of",
                          "as_of_date", "published_on", "quoted_by", "deposit_count",
                          "uncertain", "note")),
}


#: Text tables of movements larger than this are read by pandas' C parser (:func:`_read_large`).
_LARGE_BYTES = 4_000_000


def _read_large(path: Path):
    """A large, plain CSV read fast into the :class:`~orebook.io.tables.RawTable` that
    ``read_table`` would give; None when the file is not plain enough to be sure of that
    (a blank line, a quoted line break, a row with extra fields, an unusual header…), in which
    case ``read_table`` reads it. Only the movements table, the one that can be millions of
    rows, is read this way."""
    import io

    from orebook.io.tables import DELIMITERS, RawTable, read_bytes

    raw = read_bytes(path, "table")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    first, _, _ = text.partition("\n")
    counts = [first.count(d) for d in DELIMITERS]
    best = max(range(len(DELIMITERS)), key=lambda i: (counts[i], -i))
    delim = DELIMITERS[best] if counts[best] > 0 else ","
    header = [h.strip() for h in first.rstrip("\r").split(delim)]
    if (not first.strip() or '"' in first or any(not h for h in header)
            or len({h.lower() for h in header}) != len(header)):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if "\r" in text.replace("\r\n", "\n") or "\n\n" in text.replace("\r\n", "\n"):
        return None
    try:  # no header row: a row with more fields than the first is then an error
        df = pd.read_csv(io.StringIO(text), sep=delim, header=None, dtype=object,
                         keep_default_na=False, na_filter=False, skip_blank_lines=False,
                         engine="c", on_bad_lines="error", quotechar='"')
    except Exception:  # noqa: BLE001 - anything pandas refuses goes to read_table
        return None
    if (len(df) != lines or df.shape[1] != len(header)
            or df.iloc[0].tolist() != first.rstrip("\r").split(delim)):
        return None
    df = df.iloc[1:]
    # cells are not stripped here: the movements check strips the text columns' distinct
    # values, and numbers parse with spaces around them
    data = {h: df[c].to_numpy(dtype=object) for h, c in zip(header, df.columns)}
    # a row of empty cells is skipped by read_table (with a warning): leave such files to it
    codes, uniques = pd.factorize(data[header[0]])
    blank = np.array([not str(u).strip() for u in uniques], dtype=bool)
    for i in np.flatnonzero(blank[codes]) if len(uniques) else ():
        if all(not str(data[h][i]).strip() for h in header):
            return None
    return RawTable(str(path), tuple(header), data, np.arange(2, len(df) + 2, dtype=np.int64),
                    (), delim not in (None, ","), delim)


def _read(path: Path, kind: str, ctx: _Context) -> _Table:
    from orebook.io.tables import read_table

    raw = None
    if kind == "movements" and path.suffix.lower() not in (".xlsx", ".xlsm"):
        try:
            large = path.stat().st_size > _LARGE_BYTES
        except OSError:
            large = False
        raw = _read_large(path) if large else None
    if raw is None:
        raw = read_table(path)
    name = raw.file
    for sk in raw.skipped:
        target = ctx.problems if sk.severity == "error" else ctx.warnings
        target.append(Problem(name, sk.line, None, sk.message))
    lower = {c.strip().lower(): c for c in raw.columns}
    required, optional = _COLUMNS[kind]
    missing = [c for c in required if c not in lower]
    if missing:
        ctx.problems.append(Problem(name, 1, None, f"a {kind} table needs the columns "
                                    f"{list(required)}; missing {missing}"))
    unknown = [lower[c] for c in lower if c not in required + optional]
    if unknown:
        ctx.warnings.append(Problem(name, 1, None, f"columns not used: {unknown}"))
    # a table without its required columns is not checked further (every row would fail)
    cols = lower if not missing else {}
    return _Table(name, kind, raw, cols)


# ============================================================================ context
@dataclass
class _Context:
    """What the registry holds plus what this import adds, and the problems found so far."""

    units: set[str]  # lower-case paths
    commodities: dict[str, tuple[str, str, str]]  # code -> (ore_unit, component_unit, grade)
    organisations: set[str]
    deposits: dict[str, str]  # lower name or alias -> name
    licences: set[str]
    hashes: set[tuple[str, str]]  # (deposit name, parameters hash) already in the registry
    closed: int | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unlisted: int = 0  # problems counted beyond the listed ones
    codes: dict[str, str] = field(default_factory=dict)  # lower-case code -> code

    @classmethod
    def from_registry(cls, engine: Engine) -> _Context:
        from orebook.balance.schema import Estimate

        with Session(engine) as s:
            parent = dict(s.execute(select(AdminUnit.id, AdminUnit.parent_id)).all())
            names = dict(s.execute(select(AdminUnit.id, AdminUnit.name)).all())

            def path(i):
                parts = []
                while i is not None:
                    parts.append(names[i])
                    i = parent[i]
                return "/".join(reversed(parts)).lower()

            units = {path(i) for i in names}
            all_coms = list(s.scalars(select(Commodity)))
            coms = {c.code.lower(): (c.ore_unit, c.component_unit, c.grade_unit)
                    for c in all_coms}
            orgs = {n.lower() for n in s.scalars(select(Organisation.name))}
            deps = {n.lower(): n for n in s.scalars(select(Deposit.name))}
            for alias, name in s.execute(select(DepositAlias.alias, Deposit.name)
                                         .join(Deposit, Deposit.id == DepositAlias.deposit_id)):
                deps[alias.lower()] = name
            lics = {n.lower() for n in s.scalars(select(Licence.number))}
            hashes = {(n, h) for n, h in s.execute(
                select(Deposit.name, Estimate.parameters_hash)
                .join(Deposit, Deposit.id == Estimate.deposit_id)) if h}
            closed = s.scalar(select(func.max(ClosedYear.year)))
        return cls(units, coms, orgs, deps, lics, hashes, closed,
                   codes={c.code.lower(): c.code for c in all_coms})

    def problem(self, table: _Table, row, column: str | None, message: str) -> None:
        col = table.columns.get(column, column) if column else None
        self.problems.append(Problem(table.file, int(row) if row is not None else None, col,
                                     message))


# ============================================================================ cell parsing
class _Bad(Exception):
    pass


def _text(value: str, *, required: bool = False, limit: int = 300) -> str | None:
    value = value.strip()
    if not value:
        if required:
            raise _Bad("a value is required")
        return None
    if len(value) > limit:
        raise _Bad(f"at most {limit} characters, found {len(value)}")
    return value


def _number(value: str, *, required: bool = False, decimal_comma: bool = False,
            signed: bool = False) -> float | None:
    value = value.strip()
    if not value:
        if required:
            raise _Bad("a number is required")
        return None
    text = value.replace(",", ".") if decimal_comma and value.count(",") == 1 \
        and "." not in value else value
    try:
        x = float(text)
    except ValueError:
        raise _Bad(f"expected a number, found {value!r}") from None
    if not math.isfinite(x):
        raise _Bad(f"expected a finite number, found {value!r}")
    if not signed and x < 0:
        raise _Bad(f"expected a number >= 0, found {value!r}")
    return x


def _integer(value: str, *, low: int, high: int) -> int | None:
    x = _number(value, signed=True)
    if x is None:
        return None
    if x != int(x) or not low <= x <= high:
        raise _Bad(f"expected a whole number from {low} to {high}, found {value!r}")
    return int(x)


def _iso(value: str, *, required: bool = False) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            raise _Bad("a date is required")
        return None
    if value.endswith("T00:00:00"):  # an XLSX date cell
        value = value[:10]
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"expected an ISO date (YYYY-MM-DD), found {value!r}") from None


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in ("", "0", "false", "no", "n", "f"):
        return False
    if v in ("1", "true", "yes", "y", "t"):
        return True
    raise _Bad(f"expected yes/no (true, false, 1, 0), found {value!r}")


def _one_of(value: str, allowed: Sequence[str], *, default: str | None = None) -> str:
    v = value.strip()
    if not v and default is not None:
        return default
    if v not in allowed:
        raise _Bad(f"expected one of {', '.join(allowed)}, found {v!r}")
    return v


def _rows(table: _Table, ctx: _Context,
          parse: Callable[[Callable[[str, Callable], object], int], dict | None]) -> list:
    """Run ``parse(cell, i)`` on every row; ``cell(column, parser)`` parses one cell and files a
    problem (returning a marker) when it fails. Rows with a problem are dropped."""
    if not table.columns:
        return []
    out = []
    for i, line in enumerate(table.lines):
        failed = []

        def cell(column: str, parser: Callable, _i=i, _line=line, _failed=failed):
            try:
                return parser(str(table.cells(column)[_i]))
            except _Bad as exc:
                ctx.problem(table, _line, column, str(exc))
                _failed.append(column)
                return None

        try:
            values = parse(cell, i)
        except _Bad as exc:  # a problem of the row as a whole, already placed by its message
            column, _, message = str(exc).partition("|")
            ctx.problem(table, line, column or None, message)
            continue
        if not failed and values is not None:
            values["_row"] = int(line)
            out.append(values)
    return out


# ============================================================================ table checks
def _check_units(table: _Table, ctx: _Context) -> list[dict]:
    def parse(cell, i):
        path = cell("path", lambda v: "/".join(reg.split_path(_text(v, required=True)))
                    if _valid_path(v) else _raise(f"expected a path like "
                                                  f"'Country/Region/District', found {v!r}"))
        levels = cell("levels", lambda v: tuple(p.strip() for p in v.split("/"))
                      if v.strip() else None)
        if path is not None and levels is not None and len(levels) < path.count("/") + 1:
            raise _Bad(f"levels|{len(levels)} levels for {path.count('/') + 1} parts")
        if path is not None:
            parts = path.split("/")
            for k in range(1, len(parts) + 1):
                ctx.units.add("/".join(parts[:k]).lower())
        return {"path": path, "levels": levels}

    return _rows(table, ctx, parse)


def _valid_path(v: str) -> bool:
    try:
        reg.split_path(v.strip())
        return True
    except ParameterError:
        return False


def _raise(message: str):
    raise _Bad(message)


def _check_commodities(table: _Table, ctx: _Context) -> list[dict]:
    seen: dict[str, int] = {}

    def parse(cell, i):
        code = cell("code", lambda v: _text(v, required=True, limit=40))
        name = cell("name", lambda v: _text(v, required=True, limit=200))
        ore = cell("ore_unit", lambda v: _one_of(v, ("t", "m3"), default="t"))
        comp = cell("component_unit", lambda v: _one_of(v, tuple(METAL_UNITS), default="t"))
        grade = cell("grade_unit", lambda v: _one_of(v, tuple(GRADE_UNITS), default="g/t"))
        if code is not None:
            key = code.lower()
            if key in seen:
                raise _Bad(f"code|{code!r} is given twice (also on row {seen[key]})")
            if key in ctx.commodities:
                raise _Bad(f"code|commodity {code!r} is already in the registry")
            seen[key] = int(table.lines[i])
            ctx.commodities[key] = (ore, comp, grade)
            ctx.codes[key] = code
        return {"code": code, "name": name, "ore_unit": ore, "component_unit": comp,
                "grade_unit": grade}

    return _rows(table, ctx, parse)


def _check_organisations(table: _Table, ctx: _Context) -> list[dict]:
    seen: dict[str, int] = {}

    def parse(cell, i):
        name = cell("name", lambda v: _text(v, required=True))
        kind = cell("kind", lambda v: _one_of(v, reg.ORGANISATION_KINDS, default="holder"))
        if name is not None:
            key = name.lower()
            if key in seen:
                raise _Bad(f"name|{name!r} is given twice (also on row {seen[key]})")
            if key in ctx.organisations:
                raise _Bad(f"name|organisation {name!r} is already in the registry")
            seen[key] = int(table.lines[i])
            ctx.organisations.add(key)
        return {"name": name, "kind": kind}

    return _rows(table, ctx, parse)


def _known_deposit(ctx: _Context, v: str) -> str:
    name = _text(v, required=True, limit=200)
    hit = ctx.deposits.get(name.lower())
    if hit is None:
        raise _Bad(f"deposit {name!r} is not in the registry nor in this import")
    return hit


def _known_commodity(ctx: _Context, v: str) -> str:
    code = _text(v, required=True, limit=40)
    if code.lower() not in ctx.commodities:
        raise _Bad(f"commodity {code!r} is not in the registry nor in this import")
    return code


def _known_unit(ctx: _Context, v: str) -> str | None:
    if not v.strip():
        return None
    if not _valid_path(v):
        raise _Bad(f"expected a path like 'Country/Region/District', found {v!r}")
    path = "/".join(reg.split_path(v.strip()))
    if path.lower() not in ctx.units:
        raise _Bad(f"administrative unit {path!r} is not in the registry nor in this import")
    return path


def _check_deposits(table: _Table, ctx: _Context) -> list[dict]:
    seen: dict[str, int] = {}
    dc = table.raw.decimal_comma

    def parse(cell, i):
        name = cell("name", lambda v: _text(v, required=True, limit=200))
        out = {
            "name": name,
            "district": cell("district", lambda v: _known_unit(ctx, v)),
            "status": cell("status", lambda v: _one_of(v, DEPOSIT_STATUSES,
                                                       default="being explored")),
            "fund": cell("fund", lambda v: _one_of(v, FUNDS, default="undistributed")),
            "deposit_type": cell("deposit_type", lambda v: _text(v, limit=100)),
            "discovery_year": cell("discovery_year",
                                   lambda v: _integer(v, low=1000, high=2200)),
            "complexity_group": cell("complexity_group", lambda v: _text(v, limit=10)),
            "longitude_deg": cell("longitude_deg", lambda v: _coordinate(v, 180, dc)),
            "latitude_deg": cell("latitude_deg", lambda v: _coordinate(v, 90, dc)),
            "district_uncertain": cell("district_uncertain", _flag),
            "note": cell("note", lambda v: _text(v, limit=10_000)),
        }
        if name is not None:
            key = name.lower()
            if key in seen:
                raise _Bad(f"name|{name!r} is given twice (also on row {seen[key]})")
            if key in ctx.deposits:
                raise _Bad(f"name|deposit {name!r} is already in the registry "
                           f"(as {ctx.deposits[key]!r})")
            seen[key] = int(table.lines[i])
            ctx.deposits[key] = name
        return out

    return _rows(table, ctx, parse)


def _coordinate(v: str, bound: float, dc: bool) -> float | None:
    x = _number(v, signed=True, decimal_comma=dc)
    if x is not None and not -bound <= x <= bound:
        raise _Bad(f"expected degrees from -{bound} to {bound}, found {v!r}")
    return x


def _check_aliases(table: _Table, ctx: _Context) -> list[dict]:
    seen: dict[str, int] = {}

    def parse(cell, i):
        dep = cell("deposit", lambda v: _known_deposit(ctx, v))
        alias = cell("alias", lambda v: _text(v, required=True, limit=200))
        if alias is not None:
            key = alias.lower()
            if key in seen:
                raise _Bad(f"alias|{alias!r} is given twice (also on row {seen[key]})")
            if key in ctx.deposits:
                raise _Bad(f"alias|{alias!r} already names deposit {ctx.deposits[key]!r}")
            seen[key] = int(table.lines[i])
            if dep is not None:
                ctx.deposits[key] = dep
        return {"deposit": dep, "alias": alias}

    return _rows(table, ctx, parse)


def _check_licences(table: _Table, ctx: _Context) -> list[dict]:
    seen: dict[str, int] = {}

    def parse(cell, i):
        number = cell("number", lambda v: _text(v, required=True, limit=100))
        dep = cell("deposit", lambda v: _known_deposit(ctx, v))
        holder = cell("holder", lambda v: _text(v, required=True)
                      if v.strip().lower() in ctx.organisations
                      else _raise(f"organisation {v.strip()!r} is not in the registry nor in "
                                  "this import"))
        issued = cell("issued", _iso)
        expires = cell("expires", _iso)
        if issued and expires and expires < issued:
            raise _Bad(f"expires|expires {expires} before it is issued {issued}")
        if number is not None:
            key = number.lower()
            if key in seen:
                raise _Bad(f"number|{number!r} is given twice (also on row {seen[key]})")
            if key in ctx.licences:
                raise _Bad(f"number|licence {number!r} is already in the registry")
            seen[key] = int(table.lines[i])
        return {"number": number, "deposit": dep, "holder": holder, "issued": issued,
                "expires": expires}

    return _rows(table, ctx, parse)


def _check_conditions(table: _Table, ctx: _Context) -> list[dict]:
    dc = table.raw.decimal_comma
    nums = ("edge_cutoff", "contour_cutoff", "min_block_grade", "min_thickness_m",
            "max_barren_m", "min_metre_grade")

    def parse(cell, i):
        out = {
            "deposit": cell("deposit", lambda v: _known_deposit(ctx, v)),
            "commodity": cell("commodity", lambda v: _known_commodity(ctx, v)),
            "protocol": cell("protocol", lambda v: _text(v, required=True, limit=100)),
            "approved_on": cell("approved_on", lambda v: _iso(v, required=True)),
            "kind": cell("kind", lambda v: _one_of(v, CONDITION_KINDS, default="permanent")),
            "note": cell("note", lambda v: _text(v, limit=10_000)),
        }
        for k in nums:
            out[k] = cell(k, lambda v: _number(v, decimal_comma=dc))
        if all(out[k] is None for k in nums) and all(
                str(table.cells(k)[i]).strip() == "" for k in nums):
            raise _Bad("|give at least one condition (cut-off, thickness, …)")
        if (out["edge_cutoff"] is not None and out["min_block_grade"] is not None
                and out["min_block_grade"] < out["edge_cutoff"]):
            raise _Bad(f"min_block_grade|minimum block grade {out['min_block_grade']:g} is "
                       f"below the edge cut-off {out['edge_cutoff']:g}")
        return out

    return _rows(table, ctx, parse)


def _check_estimates(table: _Table, ctx: _Context) -> list:
    from orebook.io.estimate_record import EstimateRecord, RecordLine

    dc = table.raw.decimal_comma
    heads = ("deposit", "method", "effective_date", "parameters_hash", "author", "document")
    rows = []

    def parse(cell, i):
        out = {
            "deposit": cell("deposit", lambda v: _known_deposit(ctx, v)),
            "method": cell("method", lambda v: _text(v, required=True, limit=100)),
            "effective_date": cell("effective_date", lambda v: _iso(v, required=True)),
            "parameters_hash": cell("parameters_hash", lambda v: _text(v, required=True,
                                                                       limit=100)),
            "author": cell("author", _text),
            "document": cell("document", _text),
            "commodity": cell("commodity", lambda v: _known_commodity(ctx, v)),
            "category": cell("category", lambda v: _one_of(v, CATEGORIES)),
            "group": cell("group", lambda v: _one_of(v, GROUPS)),
            "ore_unit": cell("ore_unit", lambda v: _one_of(v, ("t", "m3"), default="t")),
            "grade_unit": cell("grade_unit", lambda v: _one_of(v, tuple(GRADE_UNITS),
                                                               default="g/t")),
            "metal_unit": cell("metal_unit", lambda v: _one_of(v, tuple(METAL_UNITS),
                                                               default="kg")),
        }
        for k in ("ore", "grade", "metal"):
            out[k] = cell(k, lambda v: _number(v, required=True, decimal_comma=dc))
        if out["commodity"] is not None and out["ore_unit"] is not None:
            ore_unit, comp, _ = ctx.commodities[out["commodity"].lower()]
            if out["ore_unit"] != ore_unit:
                raise _Bad(f"ore_unit|{out['commodity']} is counted in {ore_unit!r}, found "
                           f"{out['ore_unit']!r}")
            if out["metal_unit"] is not None and out["metal_unit"] != comp and not (
                    out["metal_unit"] in ("t", "kg", "g") and comp in ("t", "kg", "g")):
                raise _Bad(f"metal_unit|{out['metal_unit']!r} cannot be converted exactly "
                           f"into {comp!r}")
        if None not in (out["ore"], out["grade"], out["metal"], out["grade_unit"],
                        out["metal_unit"]) and out["ore_unit"] == "t":
            expected = out["ore"] * out["grade"] * metal_factor(out["grade_unit"],
                                                                out["metal_unit"])
            if abs(out["metal"] - expected) > 0.005 * abs(expected) + 1e-9:
                raise _Bad(f"metal|metal {out['metal']:g} {out['metal_unit']} is not ore × "
                           f"grade = {expected:.6g} (within 0.5 %)")
        return out

    rows = _rows(table, ctx, parse)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["deposit"], r["parameters_hash"])].append(r)
    records = []
    for (dep, phash), items in groups.items():
        first = items[0]
        ok = True
        seen: dict[tuple, int] = {}
        for r in items[1:]:
            for k in heads:
                if r[k] != first[k]:
                    ctx.problem(table, r["_row"], k, f"{k} must be the same on every row of an "
                                f"estimate: row {first['_row']} has {first[k]!r}, this row "
                                f"{r[k]!r}")
                    ok = False
        for r in items:
            key = (r["commodity"].lower(), r["category"], r["group"])
            if key in seen:
                ctx.problem(table, r["_row"], "category", f"{'/'.join(key)} of this estimate "
                            f"is given twice (also on row {seen[key]})")
                ok = False
            seen[key] = r["_row"]
        if (dep, phash) in ctx.hashes:
            ctx.problem(table, first["_row"], "parameters_hash", f"an estimate of {dep!r} with "
                        f"parameters {phash} is already in the registry")
            ok = False
        ctx.hashes.add((dep, phash))
        if ok:
            lines = tuple(RecordLine(r["commodity"], r["category"], r["group"], r["ore"],
                                     r["grade"], r["metal"], r["ore_unit"], r["grade_unit"],
                                     r["metal_unit"]) for r in items)
            records.append(EstimateRecord(dep, first["method"], first["effective_date"], phash,
                                          lines, first["author"], first["document"],
                                          source=f"{table.file}, row {first['_row']}"))
    return records


def _check_published(table: _Table, ctx: _Context) -> list[dict]:
    dc = table.raw.decimal_comma

    def parse(cell, i):
        out = {
            "commodity": cell("commodity", lambda v: _known_commodity(ctx, v)),
            "source": cell("source", lambda v: _text(v, required=True, limit=10_000)),
            "unit": cell("unit", lambda v: _known_unit(ctx, v)),
            "deposit": cell("deposit", lambda v: _known_deposit(ctx, v) if v.strip() else None),
            "metal": cell("metal", lambda v: _number(v, decimal_comma=dc)),
            "ore": cell("ore", lambda v: _number(v, decimal_comma=dc)),
            "category": cell("category", lambda v: _one_of(v, CATEGORIES) if v.strip()
                             else None),
            "metal_unit": cell("metal_unit", lambda v: _one_of(v, tuple(METAL_UNITS))
                               if v.strip() else None),
            "as_of": cell("as_of", lambda v: _text(v, limit=100)),
            "as_of_date": cell("as_of_date", _iso),
            "published_on": cell("published_on", _iso),
            "quoted_by": cell("quoted_by", _text),
            "deposit_count": cell("deposit_count", lambda v: _integer(v, low=1, high=10**7)),
            "uncertain": cell("uncertain", _flag),
            "note": cell("note", lambda v: _text(v, limit=10_000)),
        }
        has_unit = bool(str(table.cells("unit")[i]).strip())
        has_dep = bool(str(table.cells("deposit")[i]).strip())
        if has_unit == has_dep:
            raise _Bad("unit|give either an administrative unit or a deposit")
        if not str(table.cells("metal")[i]).strip() and not str(table.cells("ore")[i]).strip():
            raise _Bad("metal|give the metal or the ore figure")
        if out["metal_unit"] is not None and out["commodity"] is not None:
            comp = ctx.commodities[out["commodity"].lower()][1]
            if out["metal_unit"] != comp and not (out["metal_unit"] in ("t", "kg", "g")
                                                  and comp in ("t", "kg", "g")):
                raise _Bad(f"metal_unit|{out['metal_unit']!r} cannot be converted exactly "
                           f"into {comp!r}")
        return out

    return _rows(table, ctx, parse)


# ---------------------------------------------------------------------------- movements
@dataclass
class _Moves:
    """Checked movements of one table as arrays (one entry per row kept)."""

    file: str
    deposit: np.ndarray  # object: the deposit's registered name
    commodity: np.ndarray  # object: lower-case code
    category: np.ndarray
    group: np.ndarray
    kind: np.ndarray
    ore: np.ndarray  # float64, signed as stored
    metal: np.ndarray
    date: np.ndarray  # datetime64[D]
    document: np.ndarray
    cause: np.ndarray  # object, None where empty
    batch: np.ndarray
    row: np.ndarray  # int64: line in the file

    def __len__(self) -> int:
        return len(self.row)


def _factor(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, uniques)`` of a column of text cells, uniques stripped (an object array):
    checks run on the few distinct values, then spread back by the codes."""
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=False)
    stripped = np.array([str(u).strip() for u in uniques], dtype=object)
    return codes.astype(np.intp), stripped


def _check_movements(table: _Table, ctx: _Context) -> list[_Moves]:
    if not table.columns:
        return []
    n = len(table.raw)
    line = table.lines.astype(np.int64)
    bad = np.zeros(n, dtype=bool)

    def flag(mask: np.ndarray, column: str | None, message: Callable[[int], str] | str) -> None:
        idx = np.flatnonzero(mask)
        room = max(_MAX_PROBLEMS + 1 - len(ctx.problems), 0)
        for i in idx[:room]:
            ctx.problem(table, line[i], column, message(i) if callable(message) else message)
        ctx.unlisted += max(len(idx) - room, 0)  # counted, not listed
        bad[idx] = True

    def column(name: str) -> tuple[np.ndarray, np.ndarray]:
        return _factor(table.cells(name))

    def isin(uniques: np.ndarray, allowed) -> np.ndarray:
        allowed = set(allowed)
        return np.array([u in allowed for u in uniques], dtype=bool)

    dep_c, dep_u = column("deposit")
    dep_name_u = np.array([ctx.deposits.get(u.lower()) for u in dep_u], dtype=object)
    flag((dep_u == "")[dep_c], "deposit", "a deposit is required")
    flag(np.array([u != "" and d is None for u, d in zip(dep_u, dep_name_u)],
                  dtype=bool)[dep_c], "deposit",
         lambda i: f"deposit {dep_u[dep_c[i]]!r} is not in the registry nor in this import")
    com_c, com_u = column("commodity")
    flag((com_u == "")[com_c], "commodity", "a commodity is required")
    flag(~isin([u.lower() for u in com_u], ctx.commodities)[com_c] & (com_u != "")[com_c],
         "commodity",
         lambda i: f"commodity {com_u[com_c[i]]!r} is not in the registry nor in this import")
    cat_c, cat_u = column("category")
    flag(~isin(cat_u, CATEGORIES)[cat_c], "category",
         lambda i: f"expected one of {', '.join(CATEGORIES)}, found {cat_u[cat_c[i]]!r} "
                   "(P1–P3 never enter the balance)")
    grp_c, grp_u = column("group")
    flag(~isin(grp_u, GROUPS)[grp_c], "group",
         lambda i: f"expected one of {', '.join(GROUPS)}, found {grp_u[grp_c[i]]!r}")
    kind_c, kind_u = column("kind")
    flag(~isin(kind_u, MOVEMENT_IMPORT_KINDS)[kind_c], "kind",
         lambda i: f"expected one of {', '.join(MOVEMENT_IMPORT_KINDS)}, found "
                   f"{kind_u[kind_c[i]]!r}" + (" (corrections cite a movement: use the "
                                              "ledger's correct)"
                                              if kind_u[kind_c[i]] == "correction" else ""))
    kind = kind_u[kind_c]
    values = {}
    for name in ("ore", "metal"):
        from orebook.io.columns import parse_numbers

        cells = table.cells(name)
        parsed = parse_numbers(cells, decimal_comma=table.raw.decimal_comma)
        flag(parsed.empty, name, "a number is required")
        flag(parsed.bad, name, lambda i, c=cells: f"expected a finite number, found "
                                                  f"{str(c[i])!r}")
        values[name] = np.nan_to_num(parsed.value)
    sign_u = np.array([_SIGN.get(k, 1.0) for k in kind_u])
    amount = isin(kind_u, _SIGN)[kind_c]
    for name in ("ore", "metal"):
        flag(amount & (values[name] < 0), name,
             lambda i, nm=name: f"{kind[i]} is an amount >= 0 (the sign is applied on "
                                f"import), found {values[nm][i]:g}")
    date_c, date_u = column("date")
    date_u = np.array([d[:10] if d.endswith("T00:00:00") else d  # XLSX date cells
                       for d in date_u], dtype=object)
    parsed_u = pd.to_datetime(pd.Series(date_u, dtype=object), format="%Y-%m-%d",
                              errors="coerce").to_numpy(dtype="datetime64[D]")
    flag(np.isnat(parsed_u)[date_c], "date",
         lambda i: f"expected an ISO date (YYYY-MM-DD), found {date_u[date_c[i]]!r}")
    if ctx.closed is not None:
        first_open = np.datetime64(f"{ctx.closed + 1:04d}-01-01", "D")
        early = ~np.isnat(parsed_u) & (parsed_u < first_open)
        flag(early[date_c], "date",
             lambda i: f"{date_u[date_c[i]]} falls in closed year {ctx.closed} or before; "
                       f"date it {ctx.closed + 1}-01-01 or later")
    doc_c, doc_u = column("document")
    flag((doc_u == "")[doc_c], "document", "every movement cites its document (protocol, "
         "report, form)")
    flag(np.array([len(u) > 300 for u in doc_u], dtype=bool)[doc_c], "document",
         "at most 300 characters")
    cause_c, cause_u = column("cause")
    flag((kind == "writeoff") & (cause_u == "")[cause_c], "cause",
         "a write-off needs its cause (mined out, lost, not confirmed, …)")
    batch_c, batch_u = column("batch")
    flag((kind == "transfer") & (batch_u == "")[batch_c], "batch",
         "the legs of a transfer share a batch key")
    flag(np.array([len(u) > 40 for u in batch_u], dtype=bool)[batch_c], "batch",
         "at most 40 characters")

    ok = np.flatnonzero(~bad)
    sign = sign_u[kind_c[ok]]
    none_if_empty = np.vectorize(lambda u: u or None, otypes=[object])
    moves = _Moves(
        file=table.file, deposit=dep_name_u[dep_c[ok]],
        commodity=np.array([u.lower() for u in com_u], dtype=object)[com_c[ok]],
        category=cat_u[cat_c[ok]], group=grp_u[grp_c[ok]], kind=kind[ok],
        ore=values["ore"][ok] * sign, metal=values["metal"][ok] * sign,
        date=parsed_u[date_c[ok]], document=doc_u[doc_c[ok]],
        cause=(none_if_empty(cause_u) if len(cause_u) else cause_u)[cause_c[ok]],
        batch=(none_if_empty(batch_u) if len(batch_u) else batch_u)[batch_c[ok]],
        row=line[ok])
    _check_transfers(moves, table, ctx)
    return [moves]


def _check_transfers(m: _Moves, table: _Table, ctx: _Context) -> None:
    """The legs of each transfer net to zero, on one date, within one deposit × commodity."""
    idx = np.flatnonzero(m.kind == "transfer")
    if not len(idx):
        return
    legs: dict[str, list[int]] = defaultdict(list)
    for i in idx:
        legs[m.batch[i]].append(i)
    for b, items in legs.items():
        o, t = m.ore[items].sum(), m.metal[items].sum()
        r = int(m.row[items].max())
        if abs(o) > TOLERANCE or abs(t) > TOLERANCE:
            ctx.problem(table, r, "batch", f"transfer {b!r} does not net to zero (ore {o:g}, "
                        f"metal {t:g})")
        if len({(m.deposit[i], m.commodity[i]) for i in items}) > 1:
            ctx.problem(table, r, "batch", f"transfer {b!r} moves between deposits or "
                        "commodities; a transfer stays within one deposit × commodity")
        if len({m.date[i] for i in items}) > 1:
            ctx.problem(table, r, "batch", f"the legs of transfer {b!r} have different dates")


def _check_balances(moves: list[_Moves], existing: pd.DataFrame, ctx: _Context) -> None:
    """Every line stays >= 0 in ore and metal, with no metal left without ore, at the end of
    every date: the import's movements and those already in the registry together.

    Lines are numbered, rows sorted by line and date, summed per date (``reduceat``) and
    accumulated per line; all in NumPy."""
    moves = [m for m in moves if len(m)]
    if not moves:
        return
    cat = {c: k for k, c in enumerate(CATEGORIES)}
    grp = {g: k for k, g in enumerate(GROUPS)}
    cols = {k: np.concatenate([getattr(m, k) for m in moves])
            for k in ("deposit", "commodity", "category", "group", "date", "ore", "metal",
                      "row")}
    file_no = np.concatenate([np.full(len(m), k, dtype=np.int64) for k, m in enumerate(moves)])
    files = [m.file for m in moves]
    if len(existing):
        touched = set(zip(cols["deposit"], cols["commodity"]))
        keep = np.array([(d, c) in touched for d, c in
                         zip(existing["deposit"], existing["commodity"])], dtype=bool)
        old = existing[keep]
        if len(old):
            for k in ("deposit", "commodity", "category", "group"):
                cols[k] = np.concatenate([cols[k], old[k].to_numpy(dtype=object)])
            cols["date"] = np.concatenate([cols["date"], pd.to_datetime(old["date"])
                                           .to_numpy(dtype="datetime64[D]")])
            for k in ("ore", "metal"):
                cols[k] = np.concatenate([cols[k], old[k].to_numpy(dtype=np.float64)])
            cols["row"] = np.concatenate([cols["row"], np.zeros(len(old), dtype=np.int64)])
            file_no = np.concatenate([file_no, np.full(len(old), -1, dtype=np.int64)])
    dep_c, _ = pd.factorize(cols["deposit"])
    com_c, com_u = pd.factorize(cols["commodity"])
    cat_c = _codes(cols["category"], cat)
    grp_c = _codes(cols["group"], grp)
    line_key = ((dep_c.astype(np.int64) * len(com_u) + com_c) * len(cat) + cat_c) * len(grp) \
        + grp_c
    day = cols["date"].astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((day, line_key))
    lk, dy = line_key[order], day[order]
    start = np.flatnonzero(np.r_[True, (lk[1:] != lk[:-1]) | (dy[1:] != dy[:-1])])
    ore = np.add.reduceat(cols["ore"][order], start)
    metal = np.add.reduceat(cols["metal"][order], start)
    glk = lk[start]
    new_line = np.r_[True, glk[1:] != glk[:-1]]
    seg = np.cumsum(new_line) - 1

    def running(x):
        c = np.cumsum(x)
        base = (c - x)[new_line]  # the sum before each line's first date
        return c - base[seg]

    cum_ore, cum_metal = running(ore), running(metal)
    fails = (cum_ore < -TOLERANCE) | (cum_metal < -TOLERANCE) | (
        (cum_ore <= TOLERANCE) & (cum_metal > TOLERANCE))
    if not fails.any():
        return
    # the import's latest movement of the line dated on or before the failing date
    row_sorted, file_sorted = cols["row"][order], file_no[order]
    pos = np.where(row_sorted > 0, np.arange(len(order)), -1)
    last_pos = np.maximum.reduceat(pos, start)
    last_pos = _ffill_within(last_pos, new_line)
    first_fail = {}
    for g in np.flatnonzero(fails):
        first_fail.setdefault(seg[g], g)
    for g in first_fail.values():
        i0 = order[start[g]]
        code = cols["commodity"][i0]
        where = f"{cols['deposit'][i0]}, {ctx.codes.get(code, code)}, " \
                f"{cols['category'][i0]}/{cols['group'][i0]}"
        on = np.datetime64(int(dy[start[g]]), "D")
        co, cm = cum_ore[g], cum_metal[g]
        if co < -TOLERANCE or cm < -TOLERANCE:
            q, v = ("ore", co) if co < -TOLERANCE else ("metal", cm)
            msg = f"{where}: {q} would fall below zero at the end of {on} (to {v:g}), " \
                  f"short by {-v:g}"
        else:
            q = "metal"
            msg = f"{where}: metal {cm:g} would remain with no ore at the end of {on} " \
                  "(grade = metal / ore is undefined)"
        p = last_pos[g]
        if p >= 0:
            ctx.problems.append(Problem(files[file_sorted[p]], int(row_sorted[p]), q, msg))
        else:  # pragma: no cover - a line fails only through a movement of this import
            ctx.problems.append(Problem("registry", None, None, msg))


def _codes(values: np.ndarray, index: dict[str, int]) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    return np.array([index[u] for u in uniques], dtype=np.int64)[codes]


def _ffill_within(x: np.ndarray, new_segment: np.ndarray) -> np.ndarray:
    """Carry the last value >= 0 forward within each segment (segments start where
    ``new_segment``); -1 where none came yet."""
    out = x.copy()
    idx = np.where(out >= 0, np.arange(len(out)), -1)
    seg_start = np.where(new_segment, np.arange(len(out)), 0)
    seg_start = np.maximum.accumulate(seg_start)
    idx = np.maximum.accumulate(idx)
    valid = idx >= seg_start
    out = np.where(valid, x[np.maximum(idx, 0)], -1)
    return out


def _existing_movements(conn) -> pd.DataFrame:
    """Sums per line and date of the movements already in the registry."""
    empty = pd.DataFrame(columns=["deposit", "commodity", "category", "group", "date", "ore",
                                  "metal"])
    if conn.scalar(select(Movement.id).limit(1)) is None:
        return empty
    rows = conn.execute(
        select(Deposit.name, func.lower(Commodity.code), Movement.category, Movement.group,
               Movement.effective_date, func.sum(Movement.ore), func.sum(Movement.metal))
        .join(Deposit, Deposit.id == Movement.deposit_id)
        .join(Commodity, Commodity.id == Movement.commodity_id)
        .group_by(Deposit.name, func.lower(Commodity.code), Movement.category,
                  Movement.group, Movement.effective_date)).all()
    return pd.DataFrame(rows, columns=empty.columns)


_CHECKS: dict[str, Callable[[_Table, _Context], list]] = {
    "admin_units": _check_units,
    "commodities": _check_commodities,
    "organisations": _check_organisations,
    "deposits": _check_deposits,
    "aliases": _check_aliases,
    "licences": _check_licences,
    "conditions": _check_conditions,
    "estimates": _check_estimates,
    "published_totals": _check_published,
    "movements": _check_movements,
}


# ============================================================================ writing
def _insert_deposits(s: Session, rows: list[dict]) -> None:
    """Insert the checked deposits at once (names, districts and values were checked against
    the registry and this import; the unique constraints still guard the names)."""
    if not rows:
        return
    units: dict[str, int | None] = {}
    for r in rows:
        path = r["district"]
        if path is not None and path.lower() not in units:
            units[path.lower()] = reg._unit(s, path).id
    s.execute(insert(Deposit), [
        {"name": r["name"], "admin_unit_id": units[r["district"].lower()] if r["district"]
         else None, "status": r["status"], "fund": r["fund"],
         "deposit_type": r["deposit_type"], "discovery_year": r["discovery_year"],
         "complexity_group": r["complexity_group"], "longitude_deg": r["longitude_deg"],
         "latitude_deg": r["latitude_deg"], "district_uncertain": bool(r["district_uncertain"]),
         "note": r["note"]} for r in rows])


def _movements_stamp(conn) -> tuple:
    """Changes whenever a movement is added to the registry (movements are append-only)."""
    return tuple(conn.execute(select(func.count(Movement.id), func.max(Movement.id))).one())


def _write_all(engine: Engine, parsed: dict[str, list], ctx: _Context,
               stamp: tuple | None) -> dict[str, int]:
    written: dict[str, int] = {}
    movements: list[_Moves] = parsed.get("movements", [])
    with Session(write_engine(engine), expire_on_commit=False) as s, s.begin():
        if movements and _movements_stamp(s.connection()) != stamp:
            # another writer added movements since the check: check again, inside the lock
            _check_balances(movements, _existing_movements(s.connection()), ctx)
            if ctx.problems:
                raise ImportRefused(ImportReport({}, {}, {}, _listed(ctx), tuple(ctx.warnings)))
        try:
            for r in parsed.get("admin_units", []):
                reg._unit(s, r["path"], create=True, levels=r["levels"])
            for r in parsed.get("commodities", []):
                reg._add_commodity(s, r["code"], r["name"], r["ore_unit"], r["component_unit"],
                                   r["grade_unit"])
            for r in parsed.get("organisations", []):
                reg._add_organisation(s, r["name"], r["kind"])
            _insert_deposits(s, parsed.get("deposits", []))
            for r in parsed.get("aliases", []):
                reg._add_alias(s, reg._deposit(s, r["deposit"]), r["alias"])
            for r in parsed.get("licences", []):
                reg._add_licence(s, r["number"], r["deposit"], r["holder"], r["issued"],
                                 r["expires"])
            for r in parsed.get("conditions", []):
                args = {k: v for k, v in r.items() if k not in ("_row", "deposit", "commodity")}
                reg._add_condition(s, r["deposit"], r["commodity"], **args)
            for rec in parsed.get("estimates", []):
                reg._submit_estimate(s, rec)
            for r in parsed.get("published_totals", []):
                args = {k: v for k, v in r.items() if k != "_row"}
                reg._add_published_total(s, **args)
        except OrebookError as exc:  # the checks above catch nearly all; never half-written
            raise InputError(f"refused while writing, nothing was written: {exc}") from exc
        for kind in KINDS:
            if kind != "movements" and parsed.get(kind):
                written[kind] = len(parsed[kind])
        if movements:
            written["movements"] = _insert_movements(s, movements)
    return written


def _insert_movements(s: Session, moves: list[_Moves]) -> int:
    conn = s.connection()
    moves = [m for m in moves if len(m)]
    if not moves:
        return 0
    dep_ids = {n: i for i, n in conn.execute(select(Deposit.id, Deposit.name))}
    com_ids = {c.lower(): i for i, c in conn.execute(select(Commodity.id, Commodity.code))}

    def ids(values: np.ndarray, table: dict) -> np.ndarray:
        codes, uniques = pd.factorize(values)
        return np.array([table[u] for u in uniques], dtype=np.int64)[codes]

    def cat(k: str) -> np.ndarray:
        return np.concatenate([getattr(m, k) for m in moves])

    dep, com = ids(cat("deposit"), dep_ids), ids(cat("commodity"), com_ids)
    category, group, date = cat("category"), cat("group"), cat("date")
    n = len(dep)
    indexes = _drop_indexes(conn, n)
    if indexes:  # no index to keep in order while loading
        order = np.arange(n)
    else:  # rows in the order of the line index: its pages fill one after another
        order = np.lexsort((date, _codes(group, {g: k for k, g in enumerate(GROUPS)}),
                            _codes(category, {c: k for k, c in enumerate(CATEGORIES)}), com,
                            dep))
    _count_heads(conn, dep, com)
    date_text = np.datetime_as_string(date, unit="D").astype(object)
    columns = {"deposit_id": dep, "commodity_id": com, "category": category, "grp": group,
               "kind": cat("kind"), "ore": cat("ore"), "metal": cat("metal"),
               "effective_date": date_text, "document": cat("document"),
               "cause": cat("cause"), "batch": cat("batch")}
    names = list(columns)
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, columns, order, names)
    else:
        _insert_sqlite(conn, columns, order, names)
    for build in indexes:
        build(conn)
    return n


def _insert_sqlite(conn, columns: dict[str, np.ndarray], order: np.ndarray,
                   names: list[str]) -> None:
    """``executemany`` in chunks. The values were all checked above, so the table's CHECK
    constraints (``kind``, ``category``, ``grp`` in their lists, which cost SQLite more than
    the insert itself) are not evaluated again for these rows; ``recorded_at`` is the time of
    the import, as ``CURRENT_TIMESTAMP`` would give it."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    cols = [*names, "recorded_at"]
    sql = f"INSERT INTO movements ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA ignore_check_constraints = ON")
    try:
        for k in range(0, len(order), _CHUNK):
            part = order[k:k + _CHUNK]
            stamp = [now] * len(part)
            conn.exec_driver_sql(sql, list(zip(*(columns[c][part].tolist() for c in names),
                                               stamp)))
    finally:
        raw.execute("PRAGMA ignore_check_constraints = OFF")


def _count_heads(conn, dep: np.ndarray, com: np.ndarray) -> None:
    """Create the deposit × commodity heads the ledger locks, lock them, and count the new
    movements on them."""
    from sqlalchemy import bindparam

    pairs, counts = np.unique(np.stack([dep, com], axis=1), axis=0, return_counts=True)
    table = LedgerHead.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    rows = [{"deposit_id": int(d), "commodity_id": int(c), "movements": 0} for d, c in pairs]
    for k in range(0, len(rows), 5_000):
        conn.execute(upsert(table).on_conflict_do_nothing(), rows[k:k + 5_000])
    if conn.dialect.name == "postgresql":  # the ledger's writers wait for this import
        conn.exec_driver_sql("SELECT 1 FROM ledger_heads ORDER BY deposit_id, commodity_id "
                             "FOR UPDATE")
    conn.execute(table.update()
                 .where(table.c.deposit_id == bindparam("d"),
                        table.c.commodity_id == bindparam("c"))
                 .values(movements=table.c.movements + bindparam("n")),
                 [{"d": int(d), "c": int(c), "n": int(n)} for (d, c), n in zip(pairs, counts)])


def _drop_indexes(conn, n: int) -> list:
    """For a load larger than the table already is (and of at least ``_REINDEX_ROWS`` rows),
    drop the movements' indexes (and on PostgreSQL their foreign keys) to build them again
    after the load, in the same transaction: one sort and one join instead of a B-tree
    insertion and a trigger per row. Returns what to build again, in order."""
    if n < _REINDEX_ROWS:
        return []
    existing = conn.scalar(select(func.count()).select_from(Movement.__table__))
    if existing > n:
        return []
    from sqlalchemy.schema import AddConstraint, DropConstraint

    table = Movement.__table__
    rebuild: list = []
    for index in [ix for ix in table.indexes if not ix.unique]:
        index.drop(conn)
        rebuild.append(index.create)
    if conn.dialect.name == "postgresql":
        for fk in sorted(table.foreign_key_constraints, key=lambda c: c.name):
            conn.execute(DropConstraint(fk))
            rebuild.append(lambda c, fk=fk: c.execute(AddConstraint(fk)))
    return rebuild


def _copy_postgres(conn, columns: dict[str, np.ndarray], order: np.ndarray,
                   names: list[str]) -> None:
    """``COPY … FROM STDIN`` in chunks of text-format lines (tab-separated, ``\\N`` for NULL;
    floats by ``repr``, so they round-trip; text escaped once per distinct value)."""
    raw = conn.connection.driver_connection
    sql = f"COPY movements ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as cp:
        for k in range(0, len(order), _CHUNK):
            part = order[k:k + _CHUNK]
            fields = []
            for c in names:
                v = columns[c][part]
                if v.dtype.kind == "f":
                    fields.append(list(map(repr, v.tolist())))
                elif v.dtype.kind in "iu":
                    fields.append(list(map(str, v.tolist())))
                else:
                    fields.append(_copy_text(v))
            cp.write("\n".join(map("\t".join, zip(*fields))) + "\n")


def _copy_text(values: np.ndarray) -> list[str]:
    """Text values escaped for COPY's text format; None as ``\\N``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    escaped = [str(u).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
               .replace("\r", "\\r") for u in uniques]
    return np.array([*escaped, "\\N"], dtype=object)[codes].tolist()
