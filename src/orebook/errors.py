"""One exception family for orebook.

Every error a user can cause ends in an :class:`OrebookError` whose message says where
(file, row, column or parameter), what was expected and what was found.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConflictError",
    "ConventionError",
    "InputError",
    "LedgerError",
    "NotFoundError",
    "OrebookError",
    "ParameterError",
]


class OrebookError(Exception):
    """Base of every error orebook raises on purpose."""


class InputError(OrebookError, ValueError):
    """Bad input data: a file that cannot be read, a missing column, an unusable table.

    Parameters
    ----------
    message : what was expected and what was found.
    file, row, column : where; ``row`` is the 1-based line in the file (header = line 1).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ParameterError(OrebookError, ValueError):
    """A parameter given by the user is out of its allowed range or of the wrong kind."""


class NotFoundError(ParameterError, LookupError):
    """A record asked for by name or id does not exist (a deposit, a user, an estimate).
    (A :class:`ParameterError` too: the name or id given is not one that exists.)"""


class ConflictError(ParameterError):
    """A write that conflicts with what is stored: a name already taken, a movement already
    corrected, or a record changed by someone else since it was read (a stale version)."""


class ConventionError(OrebookError, ValueError):
    """Data follow a convention orebook cannot convert unambiguously."""


class LedgerError(OrebookError, ValueError):
    """A movement of the state balance that would break an invariant, refused as a whole.

    Parameters
    ----------
    message : which invariant and what was found.
    deposit, commodity, category, group : the balance line concerned (names as registered).
    quantity : ``"ore"`` or ``"metal"``, where the invariant is about one of them.
    by : how much the line would break the invariant (e.g. the shortfall below zero), in the
        commodity's ore or component unit.
    """

    def __init__(
        self,
        message: str,
        *,
        deposit: str | None = None,
        commodity: str | None = None,
        category: str | None = None,
        group: str | None = None,
        quantity: str | None = None,
        by: float | None = None,
    ) -> None:
        self.message = message
        self.deposit = deposit
        self.commodity = commodity
        self.category = category
        self.group = group
        self.quantity = quantity
        self.by = by
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [f"{k} {v!r}" for k, v in (("deposit", self.deposit),
                                           ("commodity", self.commodity),
                                           ("category", self.category),
                                           ("group", self.group)) if v is not None]
        return f"{', '.join(where)}: {self.message}" if where else self.message
