"""Read TOML files written by people (model files, estimation plans) with errors that name
the file, the line and the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from orebook.errors import InputError

from .tables import read_bytes

__all__ = ["parse_toml", "read_toml", "key_line"]


def parse_toml(text: str, *, file: str | None = None) -> dict:
    """The document in ``text``; a syntax error is an :class:`InputError` with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        row = int(m.group(1)) if m else (
            max(1, len(text.splitlines())) if "end of document" in msg else None)
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
        where = f" (column {m.group(2)})" if m else ""
        raise InputError(f"not valid TOML: {detail}{where}", file=file, row=row) from None
    except (RecursionError, ValueError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=file) from None


def read_toml(path: str | Path) -> tuple[dict, str]:
    """The document and the text of a UTF-8 TOML file."""
    path = Path(path)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    return parse_toml(text, file=str(path)), text


def key_line(text: str, key: str, occurrence: int = 0) -> int | None:
    """The line (1-based) where ``key =`` is written for the ``occurrence``-th time, if any."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.MULTILINE)
    hits = [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]
    return hits[occurrence] if occurrence < len(hits) else (hits[-1] if hits else None)
