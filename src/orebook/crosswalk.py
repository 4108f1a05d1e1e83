"""The crosswalk between the state balance categories and the CRIRSCO and UNFC classes.

The default table is ``CONVENTIONS.md``'s (a simplification: a real conversion needs a competent
person's judgement); it is data, shipped as ``orebook/data/crosswalk/default.csv``, and a user
replaces it with a CSV or XLSX file of the same columns::

    state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource
    A,Measured,Proved,111,221
    …

How a balance line maps, by system:

- ``"state"``: the category itself (A, B, C1, C2, P1–P3);
- ``"crirsco"``: the CRIRSCO *resource* class of the category (the balance holds in-situ
  figures, so this is the default CRIRSCO view of it);
- ``"crirsco-reserve"``: the reserve class, for *balance*-group lines only (economic under the
  approved conditions); off-balance lines, and categories with no reserve class, have none;
- ``"unfc"``: the UNFC reserve code for balance-group lines where the table gives one, otherwise
  the resource code.

A category the table does not map in a system maps to ``None`` (reports list it as "unmapped",
never drop it).

>>> cw = read_crosswalk()
>>> cw.map("C1", "balance", "crirsco"), cw.map("C1", "balance", "unfc"), cw.map("C1", "off-balance", "unfc")
('Indicated', '112', '222')
>>> cw.map("C2", "balance", "crirsco-reserve") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from orebook.errors import InputError, ParameterError

__all__ = ["SYSTEMS", "Crosswalk", "CrosswalkRow", "read_crosswalk"]

SYSTEMS = ("state", "crirsco", "crirsco-reserve", "unfc")
_COLUMNS = ("state", "crirsco_resource", "crirsco_reserve", "unfc_reserve", "unfc_resource")
_STATE = ("A", "B", "C1", "C2", "P1", "P2", "P3")


@dataclass(frozen=True)
class CrosswalkRow:
    """The classes of one state category (``None`` where the table leaves a cell empty)."""

    state: str
    crirsco_resource: str | None
    crirsco_reserve: str | None
    unfc_reserve: str | None
    unfc_resource: str | None


@dataclass(frozen=True)
class Crosswalk:
    """A crosswalk table; ``source`` is the file it was read from."""

    rows: dict[str, CrosswalkRow]
    source: str

    def map(self, category: str, group: str, system: str) -> str | None:
        """The class of a balance line (``category``, ``group`` in {balance, off-balance}) in
        ``system`` (one of :data:`SYSTEMS`)."""
        if system not in SYSTEMS:
            raise ParameterError(f"classification system must be one of {list(SYSTEMS)}, "
                                 f"got {system!r}")
        if system == "state":
            return category
        row = self.rows.get(category)
        if row is None:
            return None
        if system == "crirsco":
            return row.crirsco_resource
        if system == "crirsco-reserve":
            return row.crirsco_reserve if group == "balance" else None
        if group == "balance" and row.unfc_reserve is not None:
            return row.unfc_reserve
        return row.unfc_resource

    def categories_of(self, crirsco_resource: str) -> tuple[str, ...]:
        """The state categories whose CRIRSCO resource class is ``crirsco_resource``."""
        return tuple(r.state for r in self.rows.values() if r.crirsco_resource == crirsco_resource)


def read_crosswalk(path: str | Path | None = None) -> Crosswalk:
    """Read a crosswalk table (CSV or XLSX); ``None`` reads the default shipped with orebook.

    Errors name the file, row and column: a missing column, an unknown state category, a
    category given twice.
    """
    from orebook.io.tables import read_table

    if path is None:
        ref = resources.files("orebook") / "data" / "crosswalk" / "default.csv"
        with resources.as_file(ref) as p:
            table = read_table(p)
    else:
        table = read_table(path)
    lower = {c.strip().lower(): c for c in table.columns}
    missing = [c for c in _COLUMNS if c not in lower]
    if missing:
        raise InputError(f"crosswalk table needs the columns {list(_COLUMNS)}; missing "
                         f"{missing}", file=table.file, row=1)
    rows: dict[str, CrosswalkRow] = {}
    for i, line in enumerate(table.line):
        cells = {c: str(table.data[lower[c]][i]).strip() for c in _COLUMNS}
        state = cells["state"].upper()
        if state not in _STATE:
            raise InputError(f"expected a state category {list(_STATE)}, found "
                             f"{cells['state']!r}", file=table.file, row=int(line),
                             column=lower["state"])
        if state in rows:
            raise InputError(f"category {state} is given twice", file=table.file,
                             row=int(line), column=lower["state"])
        rows[state] = CrosswalkRow(state, *(cells[c] or None for c in _COLUMNS[1:]))
    if not rows:
        raise InputError("crosswalk table has no rows", file=table.file)
    return Crosswalk(rows, table.file)
