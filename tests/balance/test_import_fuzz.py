"""Fuzzing the bulk importer, and its movement checks against an independent replay.

Whatever the bytes or cells, an import ends in a report or an OrebookError naming the file,
never another exception, and a refused import leaves the registry as it was. Files are written
with ``tempfile`` inside each example (hypothesis shares ``tmp_path`` between examples).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from helpers_balance import table_counts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from orebook.balance import Ledger, engine_from_url, import_tables, upgrade
from orebook.balance import importing as imp
from orebook.balance.importing import KINDS, ImportRefused
from orebook.errors import InputError, OrebookError

FUZZ = settings(deadline=None, max_examples=60, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
BASE = {
    "admin_units.csv": "path\nTestland/East/Hill\n",
    "commodities.csv": "code,name,component_unit\nAu,gold,kg\n",
    "organisations.csv": "name\nMining Co\n",
    "deposits.csv": "name,district\nA,Testland/East/Hill\nB,\n",
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    for name, text in BASE.items():
        (folder / name).write_text(text)
    url = f"sqlite:///{folder / 'registry.sqlite'}"
    upgrade(url)
    engine = engine_from_url(url)
    import_tables(engine, [folder])
    Ledger(engine).record("A", "Au", "C1", "balance", "exploration", ore=100, metal=1,
                          document="r", effective_date=dt.date(2020, 1, 1))
    yield engine
    engine.dispose()


COLUMNS = sorted({c for req, opt in imp._COLUMNS.values() for c in (*req, *opt)})
cells = st.one_of(
    st.sampled_from(["", " ", "A", "a", "B", "Au", "au", "C1", "C2", "P1", "balance",
                     "off-balance", "production", "transfer", "writeoff", "approval",
                     "Testland/East/Hill", "Testland//Hill", "x/y", "Mining Co", "2020-01-01",
                     "2020-02-30", "2019-12-31T00:00:00", "1e400", "nan", "-1", "0", "1,5",
                     "100", "yes", "maybe", "t", "kg", "oz", "m3", "%", "b1", "x" * 320]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def tables(draw):
    kind = draw(st.sampled_from(list(KINDS)))
    required, optional = imp._COLUMNS[kind]
    header = list(required) + draw(st.lists(st.sampled_from(list(optional) or ["x"]),
                                            max_size=4, unique=True))
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 5)) == 0:
        header = draw(st.lists(st.sampled_from(COLUMNS + ["", "junk"]), min_size=1,
                               max_size=6))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 1), max_size=6))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    return kind, header, rows, delim


def _check_outcome(engine, run, path: Path):
    before = table_counts(engine)
    try:
        run()
    except OrebookError as exc:
        if isinstance(exc, InputError):
            assert exc.file is not None and str(path.parent) in exc.file
        assert table_counts(engine) == before
        return False
    return True


@FUZZ
@given(spec=tables())
def test_any_table_ends_in_a_report_or_an_error_naming_the_file(registry, spec):
    kind, header, rows, delim = spec
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{kind}.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        _check_outcome(registry, lambda: import_tables(registry, [path]), path)


@settings(FUZZ, max_examples=40)
@given(data=st.binary(max_size=300), kind=st.sampled_from(list(KINDS)))
def test_any_bytes(registry, data, kind):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{kind}.csv"
        path.write_bytes(data)
        _check_outcome(registry, lambda: import_tables(registry, [path], dry_run=True), path)


@settings(FUZZ, max_examples=20)
@given(spec=tables())
def test_any_sheet(registry, spec):
    kind, header, rows, _ = spec
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [header, *rows]:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{kind}.xlsx"
        wb.save(path)
        _check_outcome(registry, lambda: import_tables(registry, [path], dry_run=True), path)


# ---------------------------------------------------------------------------- the replay
DATES = [dt.date(2021, 1, 1) + dt.timedelta(days=k) for k in range(0, 360, 30)]
movement = st.tuples(
    st.sampled_from(["A", "B"]), st.sampled_from(["C1", "C2"]),
    st.sampled_from(["approval", "exploration", "production", "loss", "reevaluation"]),
    st.integers(0, 50).map(float), st.integers(0, 50).map(lambda x: x / 10),
    st.sampled_from(DATES), st.booleans())


def _reference(rows) -> dict | None:
    """Plain-Python replay: the final (ore, metal) per line, or None if a line ever goes
    below zero or keeps metal without ore at the end of a date."""
    sign = {"production": -1, "loss": -1, "exploration": 1, "approval": 1, "reevaluation": 1}
    daily: dict = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for dep, cat, kind, ore, metal, date, negative in rows:
        s = sign[kind] * (-1 if negative and kind in ("approval", "reevaluation") else 1)
        daily[(dep, cat)][date][0] += s * ore
        daily[(dep, cat)][date][1] += s * metal
    out = {}
    for line, days in daily.items():
        ore = metal = 0.0
        for date in sorted(days):
            ore += days[date][0]
            metal += days[date][1]
            if ore < -1e-6 or metal < -1e-6 or (ore <= 1e-6 and metal > 1e-6):
                return None
        if abs(ore) > 1e-6 or abs(metal) > 1e-6:
            out[line] = (ore, metal)
    return out


@settings(FUZZ, max_examples=40)
@given(rows=st.lists(movement, min_size=1, max_size=12))
def test_imported_movements_match_an_independent_replay(rows):
    engine = engine_from_url("sqlite://")
    upgrade(engine)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for name, text in BASE.items():
            (folder / name).write_text(text)
        import_tables(engine, [folder])
        lines = ["deposit,commodity,category,group,kind,ore,metal,date,document"]
        for dep, cat, kind, ore, metal, date, negative in rows:
            signed = kind in ("approval", "reevaluation") and negative
            lines.append(f"{dep},Au,{cat},balance,{kind},{'-' if signed else ''}{ore},"
                         f"{'-' if signed else ''}{metal},{date},doc")
        path = folder / "m" / "movements.csv"
        path.parent.mkdir()
        path.write_text("\n".join(lines) + "\n")
        expected = _reference(rows)
        before = table_counts(engine)
        if expected is None:
            with pytest.raises(ImportRefused, match="below zero|no ore"):
                import_tables(engine, [path])
            assert table_counts(engine) == before
        else:
            import_tables(engine, [path])
            got = {(b.deposit, b.category): (b.ore, b.metal)
                   for b in Ledger(engine).balance(dt.date(2022, 1, 1))}
            assert got.keys() == expected.keys()
            for k, (ore, metal) in expected.items():
                assert got[k] == (pytest.approx(ore, abs=1e-9), pytest.approx(metal, abs=1e-9))
    engine.dispose()


@settings(FUZZ, max_examples=60)
@given(spec=tables(), crlf=st.booleans(), trailing=st.booleans())
def test_fast_reader_agrees_with_read_table_whenever_it_answers(spec, crlf, trailing):
    from orebook.io.tables import read_table

    _, header, rows, delim = spec
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\r\n" if crlf else "\n").writerows(
        [header, *rows])
    text = buf.getvalue() if trailing else buf.getvalue().rstrip("\r\n")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "movements.csv"
        path.write_text(text, encoding="utf-8", newline="")
        fast = imp._read_large(path)
        if fast is None:
            return
        plain = read_table(path)
    assert fast.columns == plain.columns
    assert fast.line.tolist() == plain.line.tolist()
    for c in plain.columns:
        assert [str(v).strip() for v in fast.data[c]] == list(plain.data[c])
