"""Variogram model files: TOML that a person can read and edit.

A file holds a nugget and any number of ``[[structure]]`` tables, in GSLIB's conventions
(partial sills, practical ranges, ang1/ang2/ang3), with the conventions written as comments in
the file itself::

    version = 1
    nugget = 0.1
    [[structure]]
    kind = "spherical"
    sill = 0.9                      # partial sill
    ranges = [120.0, 80.0, 20.0]    # major, semi-major, minor (m)
    angles = [30.0, -10.0, 0.0]     # ang1 azimuth, ang2 dip (negative down), ang3

Reading is strict, so that a typing mistake is reported instead of silently ignored: unknown
keys, wrong types and values out of range end in :class:`~orebook.errors.InputError` naming the
file, the line (where it can be found) and the key. ``ranges`` may be one number (isotropic);
``angles`` defaults to [0, 0, 0]; ``nugget`` to 0; ``exponent`` is for power structures only.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from orebook.errors import InputError, ParameterError
from orebook.io.tables import read_bytes
from orebook.io.tomlfiles import parse_toml
from orebook.io.writing import write_text_atomic

from .models import KINDS, Structure, VariogramModel

__all__ = ["FORMAT_VERSION", "save_model", "load_model", "model_to_toml", "model_from_toml"]

FORMAT_VERSION = 1

_HEADER = """\
# orebook variogram model (format version {version})
#
# GSLIB conventions:
#   gamma(h) = nugget + sum over structures of sill * g(h_i)
#   nugget, sill: in the variable's unit squared; "sill" is each structure's PARTIAL sill,
#                 the total sill is nugget + the sum of the structures' sills{total}
#   ranges:  PRACTICAL ranges in metres along the major, semi-major and minor axes
#            [a_hmax, a_hmin, a_vert]; one number means the same range along every axis
#   angles:  degrees, [ang1, ang2, ang3]:
#            ang1 = azimuth of the major axis, clockwise from north (0-360)
#            ang2 = dip of the major axis, NEGATIVE DOWNWARDS
#            ang3 = rotation of the semi-major and minor axes about the major axis
#   kinds:   spherical    g = 1.5 h - 0.5 h^3 (h < 1), 1 beyond   (h = distance / range)
#            exponential  g = 1 - exp(-3 h)    (95 % of the sill at the range)
#            gaussian     g = 1 - exp(-{k} h^2)
#            power        g = (distance along the major axis, m) ^ exponent, 0 < exponent < 2;
#                         only the ratios of its ranges matter, sill = gamma at 1 m
"""

_TOP_KEYS = ("version", "nugget", "structure", "description")
_STRUCTURE_KEYS = ("kind", "sill", "ranges", "angles", "exponent")


def _num(x: float) -> str:
    """A float as TOML reads it back exactly."""
    return repr(float(x))


def _toml_string(s: str) -> str:
    """A basic TOML string (escapes quotes, backslashes and control characters)."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def model_to_toml(model: VariogramModel, description: str | None = None) -> str:
    """The text :func:`save_model` writes (comments, then ``version``, ``nugget`` and one
    ``[[structure]]`` table per structure). Floats are written so that they read back
    exactly.

    >>> m = VariogramModel(0.1, (Structure("spherical", 0.9, (120.0, 80.0, 20.0),
    ...                                    (30.0, -10.0, 0.0)),))
    >>> model_from_toml(model_to_toml(m)) == m
    True
    """
    from .conversions import GAUSSIAN_K

    k = f"{GAUSSIAN_K:g}"
    total = (f"\n#                 (here {model.sill:.6g})" if model.bounded else
             "\n#                 (unbounded here: a power structure has no sill)")
    lines = [_HEADER.format(version=FORMAT_VERSION, total=total, k=k)]
    if description:
        lines.append(f"description = {_toml_string(description)}")
    lines.append(f"version = {FORMAT_VERSION}")
    lines.append(f"nugget = {_num(model.nugget)}")
    for s in model.structures:
        lines.append("")
        lines.append("[[structure]]")
        lines.append(f'kind = "{s.kind}"')
        lines.append(f"sill = {_num(s.sill):<24} # partial sill"
                     + (" (gamma at 1 m along the major axis)" if s.kind == "power" else ""))
        ranges = "[" + ", ".join(_num(r) for r in s.ranges) + "]"
        lines.append(f"ranges = {ranges:<22} # major, semi-major, minor (m)")
        angles = "[" + ", ".join(_num(a) for a in s.angles) + "]"
        lines.append(f"angles = {angles:<22} # ang1 azimuth, ang2 dip (negative down), ang3")
        if s.kind == "power":
            lines.append(f"exponent = {_num(s.exponent):<20} # 0 < exponent < 2")
    return "\n".join(lines) + "\n"


def save_model(model: VariogramModel, path: str | Path, *, description: str | None = None
               ) -> Path:
    """Write ``model`` as TOML to ``path`` atomically (a temporary file in the same folder,
    then a rename: a failure never leaves a half-written file).

    Raises
    ------
    ParameterError : the output cannot be written there (as every orebook writer).
    """
    if not isinstance(model, VariogramModel):
        raise ParameterError(f"save_model expects a VariogramModel, got {type(model).__name__}")
    text = model_to_toml(model, description)
    return write_text_atomic(path, text)


def load_model(path: str | Path) -> VariogramModel:
    """Read a model file written by :func:`save_model` or by hand.

    Raises
    ------
    InputError : the file cannot be read, is not TOML, or does not describe a valid model; the
        message names the file, the line (TOML syntax errors; other errors where the key can be
        found in the text) and the key at fault.
    """
    name = str(path)
    raw = read_bytes(path, "TOML model file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {exc.start + 1})", file=name, row=line
                         ) from None
    return model_from_toml(text, file=name)


def model_from_toml(text: str, *, file: str | None = None) -> VariogramModel:
    """Parse the text of a model file (see :func:`load_model`; ``file`` names it in errors)."""
    doc = parse_toml(text, file=file)
    return _Reader(text, file).model(doc)


class _Reader:
    """Turns a parsed document into a model, naming key and line in every error."""

    def __init__(self, text: str, file: str | None) -> None:
        self.lines = text.splitlines()
        self.file = file

    def line_of(self, key: str, structure: int | None = None) -> int | None:
        """Best-effort 1-based line of ``key`` at the top level (``structure`` None) or in the
        n-th (1-based) ``[[structure]]`` table, else that table's header line; None when not
        found (inline tables, unusual layouts)."""
        table, count, header = None, 0, None
        pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        for i, line in enumerate(self.lines, 1):
            compact = line.strip().replace(" ", "")
            if compact.startswith("["):
                is_structure = compact.startswith("[[structure]]")
                count += is_structure
                table = "structure" if is_structure else "other"
                if is_structure and count == structure:
                    header = i
                continue
            if pat.match(line) and (table is None if structure is None else
                                    table == "structure" and count == structure):
                return i
        return header

    def fail(self, key: str, message: str, structure: int | None = None) -> InputError:
        label = f"key {key!r}" if structure is None else f"structure {structure}, key {key!r}"
        return InputError(f"{label}: {message}", file=self.file,
                          row=self.line_of(key, structure))

    def number(self, value: Any, key: str, structure: int | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"expected a number, found {_shown(value)}", structure)
        try:
            x = float(value)
        except OverflowError:
            raise self.fail(key, f"number too large: {value}", structure) from None
        if not math.isfinite(x):
            raise self.fail(key, f"expected a finite number, found {value}", structure)
        return x

    def triple(self, value: Any, key: str, structure: int, what: str,
               scalar_ok: bool) -> tuple[float, float, float]:
        if scalar_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            x = self.number(value, key, structure)
            return (x, x, x)
        if not isinstance(value, list) or len(value) != 3:
            n = f"{len(value)} values" if isinstance(value, list) else _shown(value)
            raise self.fail(key, f"expected three numbers [{what}]"
                            + (" or one number" if scalar_ok else "") + f", found {n}",
                            structure)
        return tuple(self.number(v, key, structure) for v in value)

    def model(self, doc: dict) -> VariogramModel:
        for key in doc:
            if key not in _TOP_KEYS:
                hint = " (did you mean [[structure]]?)" if key.startswith("struct") else ""
                raise self.fail(key, f"unknown key{hint}; expected "
                                f"{', '.join(_TOP_KEYS)}")
        if "version" in doc:
            v = doc["version"]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= FORMAT_VERSION:
                raise self.fail("version", f"this orebook reads format version "
                                f"{FORMAT_VERSION}, found {_shown(v)}")
        if "description" in doc and not isinstance(doc["description"], str):
            raise self.fail("description", f"expected a string, found "
                            f"{_shown(doc['description'])}")
        nugget = self.number(doc.get("nugget", 0.0), "nugget")
        if nugget < 0:
            raise self.fail("nugget", f"must be ≥ 0, found {nugget!r}")
        tables = doc.get("structure", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise self.fail("structure", "expected [[structure]] tables, found "
                            f"{_shown(tables)}")
        structures = [self.structure(t, i) for i, t in enumerate(tables, 1)]
        if not structures and nugget == 0:
            raise InputError("no model: expected a nugget > 0 or at least one [[structure]]",
                             file=self.file)
        try:
            return VariogramModel(nugget, tuple(structures))
        except (ParameterError, ValueError, TypeError) as exc:  # checked above; a last guard
            raise InputError(str(exc), file=self.file) from None

    def structure(self, t: dict, i: int) -> Structure:
        for key in t:
            if key not in _STRUCTURE_KEYS:
                hint = " (did you mean 'ranges'?)" if key == "range" else (
                    " (did you mean 'angles'?)" if key == "angle" else "")
                raise self.fail(key, f"unknown key{hint}; expected "
                                f"{', '.join(_STRUCTURE_KEYS)}", i)
        for key, what in (("kind", f"one of {', '.join(KINDS)}"), ("sill", "the partial sill"),
                          ("ranges", "[major, semi-major, minor] in metres")):
            if key not in t:
                raise self.fail(key, f"missing (expected {what})", i)
            if key == "kind" and t["kind"] not in KINDS:
                raise self.fail("kind", f"expected one of {', '.join(KINDS)}, found "
                                f"{_shown(t['kind'])}", i)
        kind = t["kind"]
        sill = self.number(t["sill"], "sill", i)
        if sill < 0:
            raise self.fail("sill", f"partial sill must be ≥ 0, found {sill!r}", i)
        ranges = self.triple(t["ranges"], "ranges", i, "major, semi-major, minor",
                             scalar_ok=True)
        if any(r <= 0 for r in ranges):
            raise self.fail("ranges", f"ranges must be > 0 (metres), found "
                            f"{list(ranges)}", i)
        angles = self.triple(t.get("angles", [0.0, 0.0, 0.0]), "angles", i,
                             "ang1, ang2, ang3", scalar_ok=False)
        if "exponent" in t and kind != "power":
            raise self.fail("exponent", f"only power structures have an exponent "
                            f"(this one is {kind})", i)
        exponent = 1.0
        if kind == "power":
            if "exponent" not in t:
                raise self.fail("exponent", "missing: a power structure needs an exponent "
                                "(0 < exponent < 2)", i)
            exponent = self.number(t["exponent"], "exponent", i)
            if not 0 < exponent < 2:
                raise self.fail("exponent", f"must be in (0, 2), found {exponent!r}", i)
        try:
            return Structure(kind, sill, ranges, angles, exponent)
        except (ParameterError, ValueError, TypeError) as exc:
            raise self.fail("structure", str(exc), i) from None


def _shown(value: Any) -> str:
    """A short description of a TOML value for messages."""
    kinds = {bool: "a boolean", str: "a string", list: "an array", dict: "a table"}
    for t, word in kinds.items():
        if isinstance(value, t):
            text = repr(value)
            return f"{word} {text if len(text) <= 40 else text[:37] + '...'}"
    return f"{type(value).__name__} {value!r}"[:60]
