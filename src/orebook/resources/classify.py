"""Classification of a block model: rules per domain on the estimation statistics give each
block a state balance category, and the crosswalk gives its CRIRSCO class.

The rules are written in the ``[classification]`` table of an estimation plan, or of a TOML
file holding only that table (``docs/classification.md``)::

    [classification]
    variable = "Cu_pct"            # whose statistics: the columns Cu_pct_pass, Cu_pct_nholes, …
    domain_column = "domain"       # needed when a rule names a domain
    crosswalk = "crosswalk.csv"    # optional; default: orebook's (CONVENTIONS.md)

    [[classification.rule]]        # rules are tried in order; the first that matches wins
    domain = "ox"                  # optional: a domain code or a list; omitted: every domain
    category = "B"
    max_pass = 1
    min_holes = 4
    max_distance_m = 25.0
    min_slope = 0.8

    [[classification.rule]]
    category = "C2"                # no condition: every estimated block left

    [classification.smoothing]     # optional (orebook.resources.smoothing)
    iterations = 1
    window = [3, 3, 3]

**The one way:** rules give the state category (A, B, C1, C2, or ``unclassified`` to stop
later rules); the CRIRSCO class is the category's resource class in the crosswalk
(``Crosswalk.map(category, "balance", "crirsco")``), so replacing the crosswalk file changes
the CRIRSCO view without touching the rules. Conditions are inclusive (``min_holes = 4``
passes a block with 4 holes); a missing statistic (NaN, e.g. a kriging variance after IDW)
fails every condition on it. Blocks whose estimate is missing are ``unestimated``: no rule
sees them. Estimated blocks no rule matches are ``unclassified``.

>>> rules = Rules((Rule("B", conditions={"min_holes": 3}), Rule("C2")))
>>> r = classify({"estimate": np.array([1.0, 2.0, np.nan]), "nholes": np.array([3, 2, 5])},
...              rules)
>>> r.state_text().tolist(), r.crirsco_text().tolist()
(['B', 'C2', 'unestimated'], ['Measured', 'Inferred', 'unestimated'])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orebook.crosswalk import Crosswalk, read_crosswalk
from orebook.errors import InputError, ParameterError

from .smoothing import SmoothingParams

__all__ = ["CATEGORIES", "CONDITIONS", "STATE_CLASSES", "STATISTICS", "UNESTIMATED",
           "Classification", "Rule", "Rules", "classify", "labels_of", "read_rules",
           "to_crirsco"]

STATE_CLASSES = ("A", "B", "C1", "C2", "unclassified")
"""The state classes in code order: the code of a block is its position here."""

UNESTIMATED = -1
"""The code of a block with no estimate (label ``"unestimated"``)."""

CATEGORIES = STATE_CLASSES
"""What a rule may give."""

STATISTICS = ("estimate", "pass", "nholes", "nsamples", "mean_distance_m", "variance", "slope",
              "efficiency")
"""The block statistics rules read (the columns ``orebook estimate`` writes, after a prefix)."""

CONDITIONS: dict[str, tuple[str, str]] = {
    "max_pass": ("pass", "<="),
    "min_pass": ("pass", ">="),
    "min_holes": ("nholes", ">="),
    "min_samples": ("nsamples", ">="),
    "max_distance_m": ("mean_distance_m", "<="),
    "max_variance": ("variance", "<="),
    "min_slope": ("slope", ">="),
    "min_efficiency": ("efficiency", ">="),
}
"""Condition key → (statistic, comparison); every bound is inclusive."""

_WHOLE = {"max_pass": 1, "min_pass": 1, "min_holes": 0, "min_samples": 0}      # whole numbers, with minimum
_MINIMUM = {"max_distance_m": 0.0}


def _check_condition(key: Any, value: Any) -> str | None:
    """``None`` when ``value`` is a valid bound for ``key``, else what is wrong."""
    if key not in CONDITIONS:
        return f"unknown condition {key!r}; conditions: {', '.join(CONDITIONS)}"
    if key in _WHOLE:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            return f"{key} must be a whole number, got {value!r}"
        if value < _WHOLE[key]:
            return f"{key} must be ≥ {_WHOLE[key]}, got {value!r}"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        return f"{key} must be a number, got {value!r}"
    if key in _MINIMUM and value < _MINIMUM[key]:
        return f"{key} must be ≥ {_MINIMUM[key]:g}, got {value!r}"
    return None


def _category(value: Any) -> Any:
    """A category written in any case (``c1``, ``Unclassified``) in its canonical spelling."""
    if not isinstance(value, str):
        return value
    v = value.strip()
    return "unclassified" if v.lower() == "unclassified" else v.upper()


def _check_domain(value: Any) -> str | None:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, (str, int, np.integer))
                        or (isinstance(v, str) and not v.strip()) for v in items):
        return (f"domain must be a domain code (text or whole number) or a non-empty list of "
                f"them, got {value!r}")
    return None


@dataclass(frozen=True)
class Rule:
    """One rule: blocks of ``domains`` (``None``: every domain) meeting every condition get
    ``category``.

    Parameters
    ----------
    category : one of :data:`CATEGORIES`.
    domains : domain codes (text or whole numbers) or ``None``.
    conditions : condition key (:data:`CONDITIONS`) → bound; distances in m.
    line : the line of the rule in its file, where it was read from one.
    """

    category: str
    domains: tuple[str | int, ...] | None = None
    conditions: Mapping[str, float] = field(default_factory=dict)
    line: int | None = None

    def __post_init__(self) -> None:
        cat = _category(self.category)
        if cat not in CATEGORIES:
            raise ParameterError(f"category must be one of {', '.join(CATEGORIES)}, got "
                                 f"{self.category!r}")
        object.__setattr__(self, "category", cat)
        if self.domains is not None:
            bad = _check_domain(self.domains)
            if bad:
                raise ParameterError(bad)
            d = self.domains if isinstance(self.domains, (list, tuple)) else [self.domains]
            object.__setattr__(self, "domains", tuple(
                v if isinstance(v, str) else int(v) for v in d))
        if not isinstance(self.conditions, Mapping):
            raise ParameterError(f"conditions: expected a table key → bound, got "
                                 f"{self.conditions!r}")
        for k, v in self.conditions.items():
            bad = _check_condition(k, v)
            if bad:
                raise ParameterError(bad)
        object.__setattr__(self, "conditions", dict(self.conditions))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"category": self.category}
        if self.domains is not None:
            d["domain"] = list(self.domains)
        d.update(self.conditions)
        if self.line is not None:
            d["line"] = self.line
        return d


@dataclass(frozen=True)
class Rules:
    """Ordered classification rules and where to find the statistics.

    Parameters
    ----------
    rules : tried in order; the first rule that matches a block gives its category.
    prefix : the statistics are the columns ``prefix + name`` (``Cu_pct_`` + ``nholes``).
    columns : statistic → column name, replacing ``prefix + name`` (e.g. for imported models).
    domain_column : the model's column of domain codes (needed when a rule names a domain).
    crosswalk : the crosswalk file (``None``: orebook's default).
    smoothing : how to smooth the result (``iterations = 0``: not at all).
    source : the file the rules were read from.
    """

    rules: tuple[Rule, ...]
    prefix: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    domain_column: str | None = None
    crosswalk: Path | None = None
    smoothing: SmoothingParams = field(default_factory=lambda: SmoothingParams(iterations=0))
    source: str | None = None

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        if not rules or not all(isinstance(r, Rule) for r in rules):
            raise ParameterError("rules: expected at least one Rule")
        object.__setattr__(self, "rules", rules)
        if not isinstance(self.prefix, str):
            raise ParameterError(f"prefix: expected a text, got {self.prefix!r}")
        cols = {}
        for k, v in dict(self.columns).items():
            if k not in STATISTICS:
                raise ParameterError(f"columns: unknown statistic {k!r}; statistics: "
                                     f"{', '.join(STATISTICS)}")
            if not isinstance(v, str) or not v.strip():
                raise ParameterError(f"columns.{k}: expected a column name, got {v!r}")
            cols[k] = v
        object.__setattr__(self, "columns", cols)
        if any(r.domains is not None for r in rules) and not self.domain_column:
            raise ParameterError("a rule names a domain: give domain_column (the model's "
                                 "column of domain codes)")
        if not isinstance(self.smoothing, SmoothingParams):
            raise ParameterError("smoothing: expected SmoothingParams")

    def column(self, statistic: str) -> str:
        """The model column holding ``statistic``."""
        return self.columns.get(statistic, self.prefix + statistic)

    def to_dict(self) -> dict[str, Any]:
        """The rules as plain values, for run records."""
        return {"source": self.source, "prefix": self.prefix,
                "columns": {s: self.column(s) for s in STATISTICS},
                "domain_column": self.domain_column,
                "crosswalk": str(self.crosswalk) if self.crosswalk else None,
                "rules": [r.to_dict() for r in self.rules],
                "smoothing": self.smoothing.to_dict()}


# -- reading ----------------------------------------------------------------------------------

_TABLE_KEYS = ("variable", "prefix", "domain_column", "crosswalk", "columns", "rule",
               "smoothing")
_SMOOTHING_KEYS = ("iterations", "window", "max_same", "within_domains")
_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)


class _Where:
    """Lines of keys in the text of a TOML file, within the table they belong to."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def _line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def _span(self, header: str, occurrence: int = 0) -> tuple[int, int] | None:
        pattern = re.compile(rf"^[ \t]*{header}[ \t]*(#.*)?$", re.MULTILINE)
        hits = list(pattern.finditer(self.text))
        if occurrence >= len(hits):
            return None
        start = hits[occurrence].end()
        nxt = _HEADER.search(self.text, start)
        return hits[occurrence].start(), (nxt.start() if nxt else len(self.text))

    def line(self, key: str | None, header: str, occurrence: int = 0) -> int | None:
        span = self._span(header, occurrence)
        if span is not None:
            if key is None:
                return self._line_of(span[0])
            m = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=", re.MULTILINE).search(
                self.text, span[0], span[1])
            if m:
                return self._line_of(m.start())
            return self._line_of(span[0])
        from orebook.io.tomlfiles import key_line

        return key_line(self.text, key) if key else None

    def fail(self, message: str, key: str | None, column: str, header: str,
             occurrence: int = 0) -> InputError:
        return InputError(message, file=str(self.path), row=self.line(key, header, occurrence),
                          column=column)


_TOP = r"\[[ \t]*classification[ \t]*\]"
_RULE = r"\[\[[ \t]*classification[ \t]*\.[ \t]*rule[ \t]*\]\]"
_COLUMNS = r"\[[ \t]*classification[ \t]*\.[ \t]*columns[ \t]*\]"
_SMOOTH = r"\[[ \t]*classification[ \t]*\.[ \t]*smoothing[ \t]*\]"


def read_rules(path: str | Path) -> Rules:
    """Read the ``[classification]`` table of a plan or rules file (format: module docstring,
    ``docs/classification.md``).

    Raises :class:`InputError` naming the file, the line and the key of the first problem: no
    ``[classification]`` table, an unknown key (a misspelt condition is never ignored), a
    category or bound of the wrong kind, a crosswalk file that does not exist.
    """
    from orebook.io.tomlfiles import read_toml

    path = Path(path)
    doc, text = read_toml(path)
    w = _Where(path, text)
    table = doc.get("classification")
    if not isinstance(table, dict):
        raise InputError("no [classification] table (the rules; see docs/classification.md)",
                         file=str(path), row=w.line("classification", _TOP),
                         column="classification")
    for k in table:
        if k not in _TABLE_KEYS:
            raise w.fail(f"unknown key {k!r} in [classification]; keys: "
                         f"{', '.join(_TABLE_KEYS)}", k, f"classification.{k}", _TOP)

    def text_of(key: str) -> str | None:
        if key not in table:
            return None
        v = table[key]
        if not isinstance(v, str) or (key != "prefix" and not v.strip()):
            raise w.fail(f"{key} must be a {'' if key == 'prefix' else 'non-empty '}text, got "
                         f"{v!r}", key, f"classification.{key}", _TOP)
        return v

    prefix = text_of("prefix")
    variable = text_of("variable")
    estimates = doc.get("estimate")
    estimates = [e for e in estimates if isinstance(e, dict)] if isinstance(estimates, list) \
        else []
    if prefix is None:
        if variable is not None:
            hits = [e for e in estimates if e.get("variable") == variable]
            if estimates and not hits:
                raise w.fail(f"variable {variable!r} is not estimated by this plan's "
                             f"[[estimate]] tables", "variable", "classification.variable",
                             _TOP)
            p = hits[0].get("prefix") if hits else None
            prefix = p if isinstance(p, str) else f"{variable}_"
        elif len(estimates) == 1 and isinstance(estimates[0].get("variable"), str):
            p = estimates[0].get("prefix")
            prefix = p if isinstance(p, str) else f"{estimates[0]['variable']}_"
        elif len(estimates) > 1:
            raise InputError("the plan estimates several variables: say whose statistics the "
                             "rules read with variable = \"…\" (or prefix = \"…\") in "
                             "[classification]", file=str(path),
                             row=w.line(None, _TOP), column="classification.variable")
        else:
            prefix = ""
    elif variable is not None:
        raise w.fail("give variable or prefix, not both", "prefix", "classification.prefix",
                     _TOP)

    columns: dict[str, str] = {}
    if "columns" in table:
        cols = table["columns"]
        if not isinstance(cols, dict):
            raise w.fail(f"columns must be a table statistic = \"column\", got {cols!r}",
                         "columns", "classification.columns", _TOP)
        for k, v in cols.items():
            if k not in STATISTICS:
                raise w.fail(f"unknown statistic {k!r}; statistics: {', '.join(STATISTICS)}",
                             k, f"classification.columns.{k}", _COLUMNS)
            if not isinstance(v, str) or not v.strip():
                raise w.fail(f"columns.{k} must be a column name, got {v!r}", k,
                             f"classification.columns.{k}", _COLUMNS)
            columns[k] = v

    domain_column = text_of("domain_column")
    crosswalk = None
    cw = text_of("crosswalk")
    if cw is not None:
        crosswalk = Path(cw) if Path(cw).is_absolute() else path.parent / cw
        if not crosswalk.is_file():
            raise w.fail(f"crosswalk file {cw!r} not found (looked for {crosswalk})",
                         "crosswalk", "classification.crosswalk", _TOP)

    raw_rules = table.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules or not all(
            isinstance(r, dict) for r in raw_rules):
        raise InputError("[classification] needs at least one [[classification.rule]] table",
                         file=str(path), row=w.line("rule", _TOP), column="classification.rule")
    rules = []
    allowed = ("category", "domain", *CONDITIONS)
    for i, r in enumerate(raw_rules):
        def bad(message: str, key: str | None, _i: int = i) -> InputError:
            return w.fail(f"rule {_i + 1}: {message}", key, f"classification.rule.{key}"
                          if key else "classification.rule", _RULE, _i)

        for k in r:
            if k not in allowed:
                raise bad(f"unknown key {k!r}; a rule holds category, domain and the "
                          f"conditions {', '.join(CONDITIONS)}", k)
        if "category" not in r:
            raise bad("missing category (one of " + ", ".join(CATEGORIES) + ")", None)
        cat = r["category"]
        norm = _category(cat)
        if norm not in CATEGORIES:
            raise bad(f"category must be one of {', '.join(CATEGORIES)}, got {cat!r}",
                      "category")
        domains = None
        if "domain" in r:
            msg = _check_domain(r["domain"])
            if msg:
                raise bad(msg, "domain")
            if domain_column is None:
                raise bad("names a domain, but [classification] has no domain_column (the "
                          "model's column of domain codes)", "domain")
            d = r["domain"]
            domains = tuple(d) if isinstance(d, list) else (d,)
        conditions = {}
        for k in CONDITIONS:
            if k in r:
                msg = _check_condition(k, r[k])
                if msg:
                    raise bad(msg, k)
                conditions[k] = r[k]
        rules.append(Rule(norm, domains, conditions, w.line(None, _RULE, i)))

    smoothing = SmoothingParams(iterations=0)
    if "smoothing" in table:
        s = table["smoothing"]
        if not isinstance(s, dict):
            raise w.fail(f"smoothing must be a table, got {s!r}", "smoothing",
                         "classification.smoothing", _TOP)
        for k in s:
            if k not in _SMOOTHING_KEYS:
                raise w.fail(f"unknown key {k!r} in [classification.smoothing]; keys: "
                             f"{', '.join(_SMOOTHING_KEYS)}", k, f"classification.smoothing.{k}",
                             _SMOOTH)
        kwargs = {k: s[k] for k in _SMOOTHING_KEYS if k in s}
        for k, value in kwargs.items():   # one key at a time, to name the right line
            try:
                SmoothingParams(**{k: value})
            except ParameterError as exc:
                raise w.fail(str(exc), k, f"classification.smoothing.{k}", _SMOOTH) from None
        smoothing = SmoothingParams(**kwargs)
    return Rules(tuple(rules), prefix, columns, domain_column, crosswalk, smoothing, str(path))


# -- classifying ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Classification:
    """The classes of the blocks.

    Attributes
    ----------
    state : (n,) int8 codes into :data:`STATE_CLASSES`; :data:`UNESTIMATED` (−1) where the
        block has no estimate.
    crirsco : (n,) int8 codes into ``crirsco_classes``; −1 where unestimated.
    crirsco_classes : the CRIRSCO classes in code order: those the crosswalk gives the
        categories A, B, C1, C2 (in that order, once each), then ``"unmapped"`` for a category
        the crosswalk leaves without one, then ``"unclassified"``.
    rule_blocks : blocks each rule classified, in rule order.
    """

    state: np.ndarray
    crirsco: np.ndarray
    crirsco_classes: tuple[str, ...]
    rule_blocks: tuple[int, ...] = ()

    def state_text(self) -> np.ndarray:
        """(n,) the state class of each block as text (object array)."""
        return labels_of(self.state, STATE_CLASSES)

    def crirsco_text(self) -> np.ndarray:
        """(n,) the CRIRSCO class of each block as text (object array)."""
        return labels_of(self.crirsco, self.crirsco_classes)

    @property
    def counts(self) -> dict[str, int]:
        """Blocks per state class, ``unestimated`` last."""
        return _counts(self.state, STATE_CLASSES)

    @property
    def crirsco_counts(self) -> dict[str, int]:
        """Blocks per CRIRSCO class, ``unestimated`` last."""
        return _counts(self.crirsco, self.crirsco_classes)


def _counts(codes: np.ndarray, classes: Sequence[str]) -> dict[str, int]:
    num = np.bincount(codes.astype(np.int64) + 1, minlength=len(classes) + 1)
    return {**{c: int(num[i + 1]) for i, c in enumerate(classes)}, "unestimated": int(num[0])}


def labels_of(codes: Any, classes: Sequence[str]) -> np.ndarray:
    """(n,) object array of the class names of ``codes`` (negative: ``"unestimated"``)."""
    c = np.asarray(codes)
    lut = np.array([*classes, "unestimated"], dtype=object)
    return lut[np.where(c < 0, len(classes), c)]


def to_crirsco(state: Any, crosswalk: Crosswalk) -> tuple[np.ndarray, tuple[str, ...]]:
    """CRIRSCO codes and classes of state codes (see :class:`Classification`) through the
    crosswalk's resource column."""
    names: list[str] = []
    lut = []
    for cat in STATE_CLASSES[:-1]:
        name = crosswalk.map(cat, "balance", "crirsco") or "unmapped"
        lut.append(name)
    for name in lut:
        if name not in names and name != "unmapped":
            names.append(name)
    if "unmapped" in lut:
        names.append("unmapped")
    names.append("unclassified")
    table = np.array([names.index(n) for n in lut] + [names.index("unclassified"), -1],
                     dtype=np.int8)
    s = np.asarray(state)
    return table[np.where(s < 0, len(STATE_CLASSES), s)], tuple(names)


def _domain_masks(values: np.ndarray, rules: Sequence[Rule]) -> list[np.ndarray | None]:
    """For each rule the blocks of its domains (``None``: every block)."""
    import pandas as pd

    if not any(r.domains is not None for r in rules):
        return [None] * len(rules)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = [str(u) for u in np.asarray(uniques, dtype=object).tolist()]
    nums = []
    for u in np.asarray(uniques, dtype=object).tolist():
        try:
            nums.append(float(u) if not isinstance(u, str) else None)
        except (TypeError, ValueError):
            nums.append(None)
    cache: dict[tuple, np.ndarray] = {}
    out: list[np.ndarray | None] = []
    for r in rules:
        if r.domains is None:
            out.append(None)
            continue
        hit = sorted({j for d in r.domains for j, (k, num) in enumerate(zip(keys, nums))
                      if k == str(d) or (num is not None and not isinstance(d, str)
                                         and num == float(d))})
        key = tuple(hit)
        if key not in cache:
            lut = np.zeros(len(keys) + 1, dtype=bool)   # the last entry: no domain (NaN)
            lut[hit] = True
            cache[key] = lut[codes]
        out.append(cache[key])
    return out


def classify(model: Any, rules: Rules, crosswalk: Crosswalk | str | Path | None = None
             ) -> Classification:
    """Classify the blocks of ``model`` by ``rules``.

    Parameters
    ----------
    model : a :class:`~orebook.estimate.BlockModel`, or a mapping column name → (n,) array.
    rules : the rules (:func:`read_rules`).
    crosswalk : the crosswalk, or its file; ``None``: the rules' file, else orebook's default.

    Raises :class:`ParameterError` when the model lacks a column the rules need, or holds
    text where a statistic should be.
    """
    if not isinstance(rules, Rules):
        raise ParameterError(f"rules: expected Rules (read_rules), got {type(rules).__name__}")
    if not isinstance(crosswalk, Crosswalk):
        crosswalk = read_crosswalk(crosswalk if crosswalk is not None else rules.crosswalk)
    columns = getattr(model, "columns", model)
    if not isinstance(columns, Mapping):
        raise ParameterError(f"model: expected a BlockModel or a mapping of columns, got "
                             f"{type(model).__name__}")

    def column(statistic: str) -> np.ndarray:
        name = rules.column(statistic)
        if name not in columns:
            raise ParameterError(f"the model has no column {name!r} ({statistic}); columns: "
                                 f"{', '.join(columns) or 'none'} (set prefix, variable or "
                                 f"[classification.columns] in the rules)")
        a = np.asarray(columns[name])
        if a.ndim != 1 or a.dtype.kind not in "biuf":
            raise ParameterError(f"column {name!r} ({statistic}) must hold numbers, got "
                                 f"{a.dtype} of shape {a.shape}")
        return a

    est = column("estimate")
    n = est.size
    estimated = ~np.isnan(est) if est.dtype.kind == "f" else np.ones(n, dtype=bool)
    stats = {s: column(s) for s in {CONDITIONS[k][0] for r in rules.rules
                                    for k in r.conditions}}
    for s, a in stats.items():
        if a.size != n:
            raise ParameterError(f"column {rules.column(s)!r} has {a.size} values for {n} "
                                 "blocks")
    domain = None
    if any(r.domains is not None for r in rules.rules):
        name = rules.domain_column
        if name not in columns:
            raise ParameterError(f"the model has no domain column {name!r}; columns: "
                                 f"{', '.join(columns) or 'none'}")
        domain = np.asarray(columns[name])
        if domain.shape != (n,):
            raise ParameterError(f"column {name!r} has {domain.size} values for {n} blocks")
    masks = _domain_masks(domain, rules.rules) if domain is not None else [None] * len(
        rules.rules)

    state = np.full(n, STATE_CLASSES.index("unclassified"), dtype=np.int8)
    state[~estimated] = UNESTIMATED
    open_ = estimated
    counts = []
    for rule, dmask in zip(rules.rules, masks):
        m = open_ & dmask if dmask is not None else open_.copy()
        for key, bound in rule.conditions.items():
            statistic, op = CONDITIONS[key]
            a = stats[statistic]
            if op == "<=":
                m &= a <= bound
            else:
                m &= a >= bound
        k = int(np.count_nonzero(m))
        counts.append(k)
        if k:
            state[m] = CATEGORIES.index(rule.category)
            open_ = open_ & ~m
    crirsco, classes = to_crirsco(state, crosswalk)
    return Classification(state, crirsco, classes, tuple(counts))
