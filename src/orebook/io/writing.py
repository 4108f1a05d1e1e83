"""Write tables so that a failure never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from orebook.errors import ParameterError

__all__ = ["write_table", "TABLE_SUFFIXES"]

TABLE_SUFFIXES = (".csv", ".parquet")


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV or Parquet (by suffix) through a temporary file and a rename."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ParameterError(f"output {path}: expected a .csv or .parquet file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:  # the folder is a file, is not writable…
        raise ParameterError(f"output {path}: cannot write there ({exc.strerror or exc})") from exc
    os.close(fd)
    try:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # disk full, output is a folder…
            raise ParameterError(f"output {path}: cannot write it ({exc.strerror or exc})"
                                 ) from exc
        raise
    return path
