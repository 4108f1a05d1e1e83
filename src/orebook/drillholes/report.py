"""The validation report: one row per problem, with where it is and what it means."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["Problem", "Report", "REPORT_COLUMNS", "SEVERITIES"]

REPORT_COLUMNS = ("file", "row", "column", "hole", "severity", "code", "message")
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Problem:
    """One problem: ``row`` is the 1-based line in ``file`` (header = 1), or None for the file."""

    file: str
    row: int | None
    column: str
    hole: str
    severity: str
    code: str
    message: str


@dataclass
class Report:
    """Problems found while reading and checking drill-hole data, plus what was converted.

    ``fatal`` holds reasons the data as a whole cannot be used (no collars, no intervals…);
    row-level errors exclude rows or values but leave the rest usable.
    """

    problems: list[Problem] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_used: dict[str, int] = field(default_factory=dict)

    def add(self, file: str, row: int | None, column: str, hole: str, severity: str, code: str,
            message: str) -> None:
        """Append one problem."""
        assert severity in SEVERITIES, severity
        self.problems.append(Problem(file, None if row is None else int(row), column,
                                     hole, severity, code, message))

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def usable(self) -> bool:
        """False when the data as a whole cannot be used."""
        return not self.fatal

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table with :data:`REPORT_COLUMNS`, in file and row order."""
        df = pd.DataFrame([p.__dict__ for p in self.problems], columns=list(REPORT_COLUMNS))
        df["row"] = df["row"].astype("Int64")
        # files in the order they were read, then any other file named
        order = {f: i for i, f in enumerate(dict.fromkeys([*self.rows_read, *df["file"]]))}
        df = df.assign(_f=df["file"].map(order), _r=df["row"].fillna(0))
        return df.sort_values(["_f", "_r"], kind="stable").drop(columns=["_f", "_r"]).reset_index(
            drop=True)

    def to_csv(self, path: str | Path) -> None:
        """Write the report as CSV (``file,row,column,hole,severity,code,message``)."""
        self.to_frame().to_csv(path, index=False)

    def summary(self) -> pd.DataFrame:
        """Counts per code and severity, the most frequent first."""
        df = self.to_frame()
        if df.empty:
            return pd.DataFrame(columns=["severity", "code", "count", "example"])
        g = df.groupby(["severity", "code"], sort=False)
        out = g.size().rename("count").reset_index()
        out["example"] = g["message"].first().to_numpy()
        return out.sort_values(["severity", "count"], ascending=[True, False]).reset_index(
            drop=True)
