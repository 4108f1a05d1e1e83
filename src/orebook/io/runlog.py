"""The record saved next to every result: what produced it, from which inputs (TOML)."""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from .writing import atomic_output

__all__ = ["file_sha256", "write_run_record"]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _plain(value: Any) -> Any:
    """Values TOML can hold: paths as strings, None dropped by the caller, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value if v is not None]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def write_run_record(path: str | Path, command: str, parameters: Mapping[str, Any],
                     inputs: Sequence[str | Path] = (), outputs: Sequence[str | Path] = ()
                     ) -> Path:
    """Write ``[run]`` (command, orebook version, time), ``[parameters]`` and ``[[input]]``
    (path and SHA-256) as TOML, atomically."""
    from orebook import __version__

    record = {
        "run": {"command": command, "orebook_version": __version__,
                "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)},
        "parameters": _plain(parameters),
        "input": [{"path": str(p), "sha256": file_sha256(p)} for p in inputs],
        "output": [str(p) for p in outputs],
    }
    path = Path(path)
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        tomli_w.dump(record, f)
    return path
