"""One exception family for orebook.

Every error a user can cause ends in an :class:`OrebookError` whose message says where
(file, row, column or parameter), what was expected and what was found.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OrebookError", "InputError", "ParameterError", "ConventionError"]


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


class ConventionError(OrebookError, ValueError):
    """Data follow a convention orebook cannot convert unambiguously."""
