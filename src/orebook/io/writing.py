"""Write files so that a failure never leaves a half-written file behind.

Every writer in orebook goes through :func:`atomic_output`: the content is written to a
temporary file in the target's folder, then renamed over the target in one step.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from orebook.errors import ParameterError

__all__ = ["TABLE_SUFFIXES", "atomic_output", "write_table", "write_text_atomic"]

TABLE_SUFFIXES = (".csv", ".parquet")

# mkstemp makes files readable by their owner only; a finished output gets the mode a plain
# open() would give it (0o666 less the umask, read once here: os.umask is process-wide)
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on any error it
    is removed. OS errors (a folder that is a file, no permission, disk full) become
    :class:`ParameterError` naming the output."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ParameterError(f"output {path}: cannot write there ({exc.strerror or exc})"
                             ) from exc
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ParameterError(f"output {path}: cannot write it ({exc.strerror or exc})"
                                 ) from exc
        raise


def write_text_atomic(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` (``\\n`` line ends) to ``path`` atomically."""
    path = Path(path)
    with atomic_output(path) as tmp:
        try:
            tmp.write_text(text, encoding=encoding, newline="\n")
        except UnicodeEncodeError as exc:
            raise ParameterError(f"output {path}: text cannot be written as {encoding}"
                                 ) from exc
    return path


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV or Parquet (by suffix) atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ParameterError(f"output {path}: expected a .csv or .parquet file name")
    with atomic_output(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    return path
