"""Tonnes, grade and contained metal of blocks; grade–tonnage tables; metal equivalents.

Formulas (``docs/resources.md``)
--------------------------------
- tonnes of a block (t) = block volume (m³) × proportion × density (t/m³); the volume is the
  grid's ``dx · dy · dz``, the proportion (0–1) the part of the block inside the model (1 when
  no proportion column is given), the density a constant, a constant per domain, or a column.
- contained metal = tonnes × grade × ``metal_factor(grade_unit, metal_unit)``
  (``orebook.units``): 1 t at 1 g/t holds 1 g = 0.001 kg = 1 / 31.1034768 troy oz;
  1 t at 1 % holds 0.01 t.
- above a cut-off means grade **≥** cut-off; the mean grade above it is tonnage-weighted,
  Σ tᵢ·gᵢ / Σ tᵢ; the metal above it is Σ tᵢ·gᵢ × factor.
- metal equivalent grade (in the unit of the primary commodity p)::

      g_eq = Σᵢ gᵢ · fᵢ · Pᵢ · Rᵢ / (f_p · P_p · R_p)

  with gᵢ the grade of commodity i in its unit, fᵢ the mass fraction of one unit of that grade
  (1e-6 for g/t and ppm, 1e-2 for %), Pᵢ its price per tonne of metal (any one currency) and Rᵢ
  its recovery (0–1]. The primary term is the primary grade itself.

Blocks whose grade is missing (NaN: not estimated) carry no tonnes into a table; they are
counted apart. A used block with no density (a NaN in the density column, a domain without a
density) is an error, never a silent zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orebook.errors import ParameterError
from orebook.units import GRADE_UNIT_MAX, GRADE_UNITS, METAL_UNITS, metal_factor

__all__ = [
    "ALL",
    "MAX_DENSITY_TPM3",
    "NONE_LABEL",
    "BlockTonnage",
    "Density",
    "block_tonnage",
    "check_grades",
    "contained_metal",
    "grade_tonnage",
    "group_codes",
    "metal_equivalent",
    "parse_cutoffs",
    "parse_density",
    "unit_slug",
]

MAX_DENSITY_TPM3 = 25.0
"""Largest density accepted (t/m³): denser than any ore (osmium is 22.6); a density in kg/m³
is refused rather than reported a thousand times too heavy."""

ALL = "(all)"
"""Label of the rows that hold every block of a group column (the totals)."""

NONE_LABEL = "(none)"
"""Label of blocks with an empty or missing domain or class."""

_SLUGS = {"g/t": "gpt", "ppm": "ppm", "ppb": "ppb", "%": "pct", "t": "t", "kg": "kg",
          "g": "g", "oz": "oz"}
_CLASS_ORDER = ("A", "B", "C1", "C2", "P1", "P2", "P3", "Measured", "Indicated", "Inferred",
                "Proved", "Probable")


def unit_slug(unit: str) -> str:
    """The unit as written in a column name: ``g/t`` → ``gpt``, ``%`` → ``pct``.

    >>> unit_slug("g/t"), unit_slug("%"), unit_slug("oz")
    ('gpt', 'pct', 'oz')
    """
    if unit not in _SLUGS:
        raise ParameterError(f"unknown unit {unit!r}; grade units {sorted(GRADE_UNITS)}, "
                             f"metal units {sorted(METAL_UNITS)}")
    return _SLUGS[unit]


# -- density ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Density:
    """How blocks get their density (t/m³): exactly one of ``value`` (one constant),
    ``by_domain`` (domain label → constant) or ``column`` (a model column)."""

    value: float | None = None
    by_domain: Mapping[str, float] | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        given = [k for k in ("value", "by_domain", "column") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ParameterError("density: give one of a constant (t/m³), a constant per "
                                 f"domain or a column; got {given or 'none'}")
        for where, v in ([("density", self.value)] if self.value is not None else []) + [
                (f"density of domain {k!r}", v) for k, v in (self.by_domain or {}).items()]:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (
                    math.isfinite(v) and 0 < v <= MAX_DENSITY_TPM3):
                raise ParameterError(f"{where}: expected a number in (0, "
                                     f"{MAX_DENSITY_TPM3:g}] t/m³, got {v!r}")
        if self.by_domain is not None:
            if not self.by_domain:
                raise ParameterError("density per domain: no domain given")
            object.__setattr__(self, "by_domain",
                               {str(k): float(v) for k, v in self.by_domain.items()})

    def describe(self) -> str:
        """One line: ``2.7 t/m³``, ``per domain: 1 = 2.7, 2 = 2.6 t/m³``, ``column dens``."""
        if self.value is not None:
            return f"{self.value:g} t/m³"
        if self.by_domain is not None:
            return "per domain: " + ", ".join(f"{k} = {v:g}" for k, v in
                                              self.by_domain.items()) + " t/m³"
        return f"column {self.column}"

    def to_dict(self) -> dict:
        """Plain values for a parameters record."""
        if self.value is not None:
            return {"value_tpm3": float(self.value)}
        if self.by_domain is not None:
            return {"by_domain_tpm3": dict(self.by_domain)}
        return {"column": self.column}


def parse_density(text: str) -> Density:
    """Read a density option: ``2.7`` (t/m³), ``1=2.7,2=2.65`` (per domain) or a column name.

    >>> parse_density("2.7").value, parse_density("ox=2.1, fr=2.7").by_domain
    (2.7, {'ox': 2.1, 'fr': 2.7})
    >>> parse_density("density_tpm3").column
    'density_tpm3'
    """
    s = str(text).strip()
    if not s:
        raise ParameterError("--density: expected a number (t/m³), DOMAIN=VALUE pairs or a "
                             "column name, got nothing")
    try:
        number = float(s)
    except ValueError:
        pass
    else:
        return Density(value=number)
    if "=" in s:
        pairs: dict[str, float] = {}
        for part in (p.strip() for p in s.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not sep or not key.strip() or not math.isfinite(number):
                raise ParameterError(f"--density: {part!r} is not DOMAIN=VALUE (t/m³)")
            if key.strip() in pairs:
                raise ParameterError(f"--density: domain {key.strip()!r} is given twice")
            pairs[key.strip()] = number
        return Density(by_domain=pairs)
    return Density(column=s)


# -- labels -----------------------------------------------------------------------------------

def _label_key(label: str) -> tuple:
    if label in _CLASS_ORDER:
        return (0, _CLASS_ORDER.index(label), "")
    if label == NONE_LABEL:
        return (3, 0, "")
    try:
        return (1, float(label), label)
    except ValueError:
        return (2, 0.0, label)


def _label_text(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return NONE_LABEL
        return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)
    s = str(v).strip()
    return s if s else NONE_LABEL


def group_codes(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes 0…k−1 and their labels (text, in a natural order: state categories, CRIRSCO
    classes, numbers, text, then ``(none)`` for empty or missing values).

    >>> codes, labels = group_codes(np.array(["C1", "A", "", "C1"], dtype=object))
    >>> codes.tolist(), labels
    ([1, 0, 2, 1], ['A', 'C1', '(none)'])
    """
    values = np.asarray(values)
    if values.dtype.kind in "iub" and values.size:
        # whole numbers in a small range: a table look-up, no hashing
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1_000_000:
            shifted = values.astype(np.int64) - lo if lo else values
            present = np.flatnonzero(np.bincount(shifted, minlength=hi - lo + 1))
            labels = sorted({_label_text(int(v) + lo) for v in present}, key=_label_key)
            where = {t: i for i, t in enumerate(labels)}
            lut = np.zeros(hi - lo + 1, dtype=np.int64)
            lut[present] = [where[_label_text(int(v) + lo)] for v in present]
            dtype = np.uint8 if len(labels) <= 255 else np.int64
            return lut.astype(dtype)[shifted], labels
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [_label_text(u) for u in uniques]
    if (codes < 0).any():
        texts.append(NONE_LABEL)
        codes = np.where(codes < 0, len(texts) - 1, codes)
    # merge values that read the same (1 and 1.0, "" and NaN) and order the labels
    labels = sorted(set(texts), key=_label_key)
    where = {t: i for i, t in enumerate(labels)}
    remap = np.array([where[t] for t in texts], dtype=np.int64)
    dtype = np.uint8 if len(labels) <= 255 else np.uint16 if len(labels) <= 65535 else np.int64
    return remap[codes].astype(dtype), labels


# -- block tonnage ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockTonnage:
    """Per block: tonnes (t), grade (the variable's unit), and the group columns.

    ``tonnes`` and ``grade`` have one value per block of the model; blocks with a missing
    grade have NaN grade (they stay out of every table; ``unestimated`` counts them).
    ``groups`` maps a group name (``"domain"``, ``"class"``) to the block labels' codes and
    ``labels`` to the labels. ``parameters`` records how the tonnes were obtained.
    """

    tonnes: np.ndarray
    grade: np.ndarray
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)
    labels: Mapping[str, list[str]] = field(default_factory=dict)
    unestimated: int = 0
    parameters: Mapping = field(default_factory=dict)


def _numeric_column(model, name: str, what: str) -> np.ndarray:
    if name not in model.columns:
        raise ParameterError(f"{what}: the model has no column {name!r}; columns: "
                             f"{', '.join(model.columns) or 'none'}")
    v = model.columns[name]
    if v.dtype.kind not in "biuf":
        raise ParameterError(f"{what}: column {name!r} holds text, not numbers")
    return v.astype(np.float64)


def block_tonnage(model, variable: str, density: Density, *,
                  domain_column: str | None = None, class_column: str | None = None,
                  proportion_column: str | None = None,
                  classes: tuple[np.ndarray, Sequence[str]] | None = None) -> BlockTonnage:
    """Tonnes and grade of every block of ``model`` (a ``BlockModel``).

    Parameters
    ----------
    model : the block model; its grid gives the block volume (m³).
    variable : the grade column.
    density : a :class:`Density`; per-domain densities need ``domain_column``.
    domain_column, class_column : columns whose values group the blocks (``"domain"``,
        ``"class"`` in :attr:`BlockTonnage.groups`).
    proportion_column : the part (0–1) of each block inside the model.
    classes : instead of ``class_column``, the classes as codes and their labels, e.g. a
        classification's state codes (negative codes: labelled ``unestimated``) and
        ``STATE_CLASSES``; saves reading a text column.

    Raises
    ------
    ParameterError : a missing or text column, a proportion outside 0–1 or missing, a
        density missing or ≤ 0 on a block with a grade, a domain without a density.
    """
    grade = _numeric_column(model, variable, "variable")
    n = len(grade)
    volume = float(model.grid.block_volume_m3)
    if proportion_column is not None:
        prop = _numeric_column(model, proportion_column, "proportion")
        bad = ~((prop >= 0) & (prop <= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"proportion column {proportion_column!r}: expected values "
                                 f"in 0–1, found {prop[i]!r} at block {int(model.index[i])} "
                                 f"({int(bad.sum())} blocks like this)")
    else:
        prop = None
    groups, labels = {}, {}
    for key, col in (("domain", domain_column), ("class", class_column)):
        if col is None:
            continue
        if col not in model.columns:
            raise ParameterError(f"{key} column {col!r}: the model has no such column; "
                                 f"columns: {', '.join(model.columns) or 'none'}")
        groups[key], labels[key] = group_codes(model.columns[col])
    if classes is not None:
        if class_column is not None:
            raise ParameterError("give the class column or the class codes, not both")
        codes, names = classes
        codes = np.asarray(codes)
        if codes.shape != (n,) or codes.dtype.kind not in "iu":
            raise ParameterError(f"class codes: expected {n} whole numbers, one per block")
        names = [str(x) for x in names]
        if codes.size and codes.max() >= len(names):
            raise ParameterError(f"class codes: code {int(codes.max())} has no label "
                                 f"({len(names)} labels)")
        if codes.size and codes.min() < 0:
            codes = np.where(codes < 0, len(names), codes)
            names.append("unestimated")
        groups["class"] = codes.astype(np.uint8 if len(names) <= 255 else np.int64)
        labels["class"] = names
    used = np.isfinite(grade)
    if density.value is not None:
        rho = np.full(n, float(density.value))
    elif density.by_domain is not None:
        if domain_column is None:
            raise ParameterError("a density per domain needs the domain column")
        table = np.array([density.by_domain.get(lab, np.nan) for lab in labels["domain"]])
        rho = table[groups["domain"]]
    else:
        rho = _numeric_column(model, density.column, "density")
    high = used & (rho > MAX_DENSITY_TPM3)
    if high.any():
        i = int(np.flatnonzero(high)[0])
        raise ParameterError(f"density {float(rho[i])!r} t/m³ at block {int(model.index[i])} "
                             f"is above {MAX_DENSITY_TPM3:g} t/m³, denser than any rock: "
                             "densities are in t/m³ (2.7, not 2700)")
    bad = used & ~(rho > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if density.by_domain is not None:
            lab = labels["domain"][groups["domain"][i]]
            raise ParameterError(f"no density for domain {lab!r} (blocks with a grade in it); "
                                 f"densities given for {', '.join(density.by_domain)}")
        raise ParameterError(f"density column {density.column!r}: expected a density > 0 "
                             f"(t/m³) on every block with a grade, found {rho[i]!r} at block "
                             f"{int(model.index[i])} ({int(bad.sum())} blocks like this)")
    tonnes = volume * rho if prop is None else volume * prop * rho
    tonnes = np.where(used, tonnes, 0.0)
    params = {"variable": variable, "block_volume_m3": volume, "density": density.to_dict(),
              "domain_column": domain_column, "class_column": class_column,
              "proportion_column": proportion_column}
    return BlockTonnage(tonnes, grade, groups, labels, int((~used).sum()), params)


def contained_metal(tonnes, grade, grade_unit: str = "g/t", metal_unit: str = "kg"):
    """Metal in ``metal_unit`` of ``tonnes`` (t) at ``grade`` (``grade_unit``).

    >>> contained_metal(1000.0, 2.0, "g/t", "kg")       # 1000 t × 2 g/t = 2000 g
    2.0
    >>> round(contained_metal(1000.0, 2.0, "g/t", "oz"), 4)
    64.3015
    """
    factor = metal_factor(grade_unit, metal_unit)
    if np.ndim(tonnes) == 0 and np.ndim(grade) == 0:
        return float(tonnes) * float(grade) * factor
    return np.asarray(tonnes, dtype=np.float64) * np.asarray(grade, dtype=np.float64) * factor


def metal_equivalent(grades: Mapping[str, np.ndarray], units: Mapping[str, str],
                     prices: Mapping[str, float], recoveries: Mapping[str, float], *,
                     primary: str, price_units: Mapping[str, str] | str = "t") -> np.ndarray:
    """Equivalent grade of ``primary`` (in its unit): see the module docstring.

    Parameters
    ----------
    grades : commodity → (n,) grades; units : commodity → grade unit (``g/t``, ``%`` …).
    prices : commodity → price per ``price_units`` of metal (``t``, ``kg``, ``g``, ``oz``),
        all in one currency; recoveries : commodity → recovery in (0, 1].

    >>> round(float(metal_equivalent({"au": np.array([1.0]), "cu": np.array([1.0])},
    ...                        {"au": "g/t", "cu": "%"}, {"au": 60.0, "cu": 9000.0},
    ...                        {"au": 0.9, "cu": 0.85}, primary="au",
    ...                        price_units={"au": "g", "cu": "t"})[0]), 6)  # 1 + 76.5 / 54
    2.416667
    """
    if primary not in grades:
        raise ParameterError(f"primary commodity {primary!r} has no grades; commodities: "
                             f"{', '.join(grades)}")

    def per_t(c: str) -> float:
        for what, table in (("unit", units), ("price", prices), ("recovery", recoveries)):
            if c not in table:
                raise ParameterError(f"commodity {c!r}: no {what} given")
        pu = price_units if isinstance(price_units, str) else price_units.get(c, "t")
        if pu not in METAL_UNITS:
            raise ParameterError(f"price unit of {c!r}: expected one of "
                                 f"{sorted(METAL_UNITS)}, got {pu!r}")
        if units[c] not in GRADE_UNITS:
            raise ParameterError(f"grade unit of {c!r}: expected one of "
                                 f"{sorted(GRADE_UNITS)}, got {units[c]!r}")
        p, r = prices[c], recoveries[c]
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p > 0):
            raise ParameterError(f"price of {c!r}: expected a number > 0, got {p!r}")
        if not (isinstance(r, (int, float)) and 0 < r <= 1):
            raise ParameterError(f"recovery of {c!r}: expected a fraction in (0, 1], got {r!r}")
        # value of one grade unit in one tonne of ore: mass fraction × price per t × recovery
        return GRADE_UNITS[units[c]] * (p / METAL_UNITS[pu]) * r

    base = per_t(primary)
    out = np.array(grades[primary], dtype=np.float64, copy=True)
    for c, g in grades.items():
        if c != primary:
            out = out + np.asarray(g, dtype=np.float64) * (per_t(c) / base)
    return out


# -- grade-tonnage ----------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_cutoffs(text: str) -> np.ndarray:
    """Cut-offs from ``0,0.5,1`` or a range ``START:STOP:STEP`` (STOP included when it falls
    on a step), sorted and distinct.

    >>> parse_cutoffs("0:1:0.25").tolist(), parse_cutoffs("1, 0.5,0.5").tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.5, 1.0])
    """
    s = str(text).strip()
    m = re.fullmatch(rf"\s*({_NUM})\s*:\s*({_NUM})\s*:\s*({_NUM})\s*", s)
    if m:
        a, b, step = (float(g) for g in m.groups())
        if not step > 0 or b < a:
            raise ParameterError(f"--cutoffs {s!r}: expected START:STOP:STEP with STOP ≥ START "
                                 "and STEP > 0")
        k = math.floor((b - a) / step + 1e-9)
        if k > 100_000:
            raise ParameterError(f"--cutoffs {s!r}: {k + 1:,} cut-offs is too many (100,000)")
        values = a + step * np.arange(k + 1)
    else:
        values = []
        for part in (p.strip() for p in s.split(",")):
            if not part:
                continue
            try:
                values.append(float(part))
            except ValueError:
                raise ParameterError(f"--cutoffs: {part!r} is not a number; give 0,0.5,1 or "
                                     "START:STOP:STEP") from None
        values = np.array(values, dtype=np.float64)
    return _check_cutoffs(values)


def _check_cutoffs(cutoffs) -> np.ndarray:
    try:
        c = np.unique(np.asarray(cutoffs, dtype=np.float64).reshape(-1))
    except (TypeError, ValueError):
        raise ParameterError("cut-offs: expected numbers") from None
    if c.size == 0:
        raise ParameterError("cut-offs: give at least one")
    if not np.isfinite(c).all():
        raise ParameterError("cut-offs: expected finite numbers")
    return c


def check_grades(grade: np.ndarray, grade_unit: str) -> None:
    """Refuse grades above the largest possible in ``grade_unit`` (100 %, 10⁶ g/t …): a
    wrong unit or a corrupt model, never a figure to report."""
    top = GRADE_UNIT_MAX[unit_slug(grade_unit)] if grade_unit in GRADE_UNITS else None
    if top is None:
        raise ParameterError(f"grade unit must be one of {sorted(GRADE_UNITS)}, got "
                             f"{grade_unit!r}")
    with np.errstate(invalid="ignore"):
        bad = np.abs(grade) > top
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"grade {float(grade[i])!r} {grade_unit} (position {i}, "
                             f"{int(bad.sum())} blocks like this) is beyond the largest "
                             f"possible, {top:g} {grade_unit}: check the variable and its unit")


def _combined_codes(blocks: BlockTonnage, by: Sequence[str]) -> tuple[np.ndarray | None, int]:
    """One code per block for the combination of the ``by`` groups (the first slowest), and
    the number of combinations."""
    if not by:
        return None, 1
    sizes = [len(blocks.labels[b]) for b in by]
    ncomb = int(np.prod(sizes))
    dtype = np.int32 if ncomb < 2**31 else np.int64
    combined = blocks.groups[by[0]].astype(dtype)
    for b, size in zip(by[1:], sizes[1:]):
        combined *= size
        combined += blocks.groups[b]
    return combined, ncomb


def _labels_of(blocks: BlockTonnage, by: Sequence[str], code: int) -> dict[str, str]:
    out, rest = {}, int(code)
    for b in reversed(by):
        size = len(blocks.labels[b])
        out[b] = blocks.labels[b][rest % size]
        rest //= size
    return out


def grade_tonnage(blocks: BlockTonnage, cutoffs, *, by: Sequence[str] = (),
                  grade_unit: str = "g/t", metal_unit: str = "kg",
                  totals: bool = True) -> pd.DataFrame:
    """The grade–tonnage table: for each group and cut-off, blocks, tonnes, mean grade and
    metal above the cut-off (grade ≥ cut-off).

    Vectorised, without sorting the blocks: the cut-offs are sorted once, each block falls in
    the class between two consecutive cut-offs (a binary search, ``k`` = the number of
    cut-offs ≤ its grade), one weighted count per group and class sums blocks, tonnes and
    tonnes × grade, and the sums above each cut-off are cumulative sums over the classes from
    the top down.

    Parameters
    ----------
    blocks : from :func:`block_tonnage`.
    cutoffs : grades, in the variable's unit.
    by : group names among ``blocks.groups`` (``"domain"``, ``"class"``), in column order.
    totals : add the rows of every block (labelled ``(all)``) when grouping.

    Returns
    -------
    DataFrame with the ``by`` columns, ``cutoff``, ``blocks``, ``tonnes_t``,
    ``mean_grade_<unit>`` and ``metal_<unit>`` (e.g. ``mean_grade_gpt``, ``metal_kg``); the
    mean grade is NaN where no tonnes are above the cut-off. Groups without an estimated
    block have no rows.
    """
    cut = _check_cutoffs(cutoffs)
    by = list(by)
    for b in by:
        if b not in blocks.groups:
            raise ParameterError(f"group by {b!r}: not available; the blocks are grouped by "
                                 f"{', '.join(blocks.groups) or 'nothing'} (give its column)")
    if len(set(by)) != len(by):
        raise ParameterError(f"group by: {by} repeats a name")
    factor = metal_factor(grade_unit, metal_unit)
    check_grades(blocks.grade, grade_unit)
    g, t = blocks.grade, blocks.tonnes
    m = cut.size
    nbins = m + 1
    # k = number of cut-offs ≤ g (a NaN grade gives m + 1 … it is sent to a spare bin below)
    k = np.searchsorted(cut, g, side="right").astype(np.int32 if nbins < 2**31 else np.int64)
    combined, ncomb = _combined_codes(blocks, by)
    spare = ncomb * nbins
    if combined is None:
        code = k
    else:
        code = combined.astype(np.int64) if ncomb * nbins >= 2**31 else combined
        code *= nbins
        code += k
    nan = ~np.isfinite(g)
    if nan.any():
        code[nan] = spare
    tg = t * g
    tg[nan] = 0.0
    size = spare + 1
    cnt = np.bincount(code, minlength=size)[:spare].reshape(ncomb, nbins)
    st = np.bincount(code, weights=t, minlength=size)[:spare].reshape(ncomb, nbins)
    stg = np.bincount(code, weights=tg, minlength=size)[:spare].reshape(ncomb, nbins)

    def above(a: np.ndarray) -> np.ndarray:
        # column j: the sum over classes j+1 … m, i.e. every block with grade ≥ cut[j]
        return np.cumsum(a[:, :0:-1], axis=1)[:, ::-1]

    a_cnt, a_t, a_tg = above(cnt), above(st), above(stg)
    parts = []

    def rows(labels: dict, n_, t_, tg_):
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(t_ > 0, tg_ / np.where(t_ > 0, t_, 1.0), np.nan)
        d = {b: [labels[b]] * m for b in by}
        d |= {"cutoff": cut, "blocks": n_.astype(np.int64), "tonnes_t": t_.astype(np.float64),
              f"mean_grade_{unit_slug(grade_unit)}": mean,
              f"metal_{unit_slug(metal_unit)}": tg_ * factor}
        parts.append(pd.DataFrame(d))

    if by:
        for c in np.flatnonzero(cnt.sum(axis=1)):
            rows(_labels_of(blocks, by, c), a_cnt[c], a_t[c], a_tg[c])
    if not by or totals:
        rows({b: ALL for b in by}, a_cnt.sum(axis=0), a_t.sum(axis=0), a_tg.sum(axis=0))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["unestimated_blocks"] = blocks.unestimated
    return out
