"""The report files (CSV, XLSX read back with openpyxl) and ``orebook balance report``.

A small registry (SQLite): Testland > East > {Hill district, River district}; Gold Hill and
River Bend (gold: t, kg, g/t) and East Copper on the East region (copper: t, t, %).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from helpers_reports import add_deposit, add_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from orebook.balance import Ledger, engine_from_url, upgrade
from orebook.balance.report_files import HEADER_ROW, write_report
from orebook.balance.reports import YEARLY_MOVEMENTS, totals, yearly_form
from orebook.cli import app
from orebook.errors import OrebookError, ParameterError

D = dt.date


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "registry.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    eng = engine_from_url(url)
    add_tree(eng)
    add_deposit(eng, "Gold Hill", "Hill district", holder="Gold Mining Co")
    add_deposit(eng, "River Bend", "River district")
    add_deposit(eng, "East Copper", "East")
    led = Ledger(eng)
    led.record("Gold Hill", "Au", "C1", "balance", "exploration", ore=1_000_000, metal=5_000,
               document="r", effective_date=D(2020, 2, 1))
    led.record("River Bend", "Au", "C2", "balance", "exploration", ore=300_000, metal=900,
               document="r", effective_date=D(2020, 3, 1))
    led.record("East Copper", "Cu", "B", "balance", "exploration", ore=2_000_000,
               metal=20_000, document="r", effective_date=D(2020, 4, 1))
    led.record("Gold Hill", "Au", "C1", "balance", "production", ore=100_000, metal=500,
               document="r", effective_date=D(2021, 6, 1))
    led.transfer("River Bend", "Au", source=("C2", "balance"), target=("C1", "balance"),
                 ore=100_000, metal=300, document="r", effective_date=D(2021, 7, 1))
    yield url, eng
    eng.dispose()


def sheet_rows(path: Path):
    ws = load_workbook(path).active
    header = [c.value for c in ws[HEADER_ROW]]
    rows = []
    for r in ws.iter_rows(min_row=HEADER_ROW + 1):
        rows.append(({h: c.value for h, c in zip(header, r, strict=True)},
                     bool(r[0].font.b)))
    return ws, header, rows


def test_xlsx_totals_is_a_real_spreadsheet(registry, tmp_path):
    _, eng = registry
    df = totals(eng, D(2022, 1, 1), by=("district", "commodity", "category"))
    out = write_report(df, tmp_path / "totals.xlsx")
    ws, header, rows = sheet_rows(out)
    assert ws["A1"].value.startswith("State balance of mineral reserves: totals")
    assert ws["A1"].font.b
    assert ws["A2"].value == "Reserves as at 1 January 2022"
    # the ore unit is t for both commodities: folded into the label; metal units differ
    assert "Ore (t)" in header and "Metal unit" in header and "Metal" in header
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.column_dimensions["A"].width >= len("Testland / East / River district")
    data = [r for r, bold in rows if not bold]
    tots = [r for r, bold in rows if bold]
    assert len(data) + len(tots) == len(df)
    assert all(isinstance(r["Ore (t)"], (int, float)) for r, _ in rows)
    # gold: Hill 900,000 t C1; River 200,000 C2 + 100,000 C1 -> Testland C1 1,000,000
    by_key = {(r["District"], r["Commodity"], r["Category"]): r for r in data}
    assert by_key[("Testland", "Au", "C1")]["Ore (t)"] == 1_000_000
    assert by_key[("Testland / East / River district", "Au", "C2")]["Ore (t)"] == 200_000
    # the bold totals rows: one per commodity, the sum of the country's rows
    assert [(t["District"], t["Commodity"]) for t in tots] == [("Total", "Au"), ("Total", "Cu")]
    for t in tots:
        roots = [r for r in data if r["District"] == "Testland" and
                 r["Commodity"] == t["Commodity"]]
        assert t["Ore (t)"] == sum(r["Ore (t)"] for r in roots)
        assert t["Metal"] == sum(r["Metal"] for r in roots)
    au = next(t for t in tots if t["Commodity"] == "Au")
    assert au["Ore (t)"] == 1_200_000 and au["Metal"] == 5_400
    assert au["Grade"] == pytest.approx(5_400 / 1_200_000 * 1000)  # 4.5 g/t
    # districts are indented by their depth
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=1).alignment.indent
             for i in range(HEADER_ROW + 1, ws.max_row + 1)}
    assert cells["Testland"] == 0 and cells["Testland / East / Hill district"] == 2


def test_xlsx_yearly_form_identity_and_totals(registry, tmp_path):
    _, eng = registry
    df = yearly_form(eng, 2021, commodity="Au")
    out = write_report(df, tmp_path / "yearly.xlsx")
    ws, header, rows = sheet_rows(out)
    assert "yearly form, 2021" in ws["A1"].value
    assert ws["A2"].value.startswith("Reserves as at 1 January 2021 and as at 1 January 2022")
    # one commodity: every unit is folded into the labels
    assert "Ore, at start (t)" in header and "Metal, at end (kg)" in header
    assert "Grade, at end (g/t)" in header and "Metal unit" not in header
    moves = [h for h in header if h.startswith("Ore, ") and "at " not in h]
    assert len(moves) == len(YEARLY_MOVEMENTS)
    data = [r for r, bold in rows if not bold]
    (tot,) = [r for r, bold in rows if bold]
    for r in [*data, tot]:
        assert r["Ore, at start (t)"] + sum(r[m] for m in moves) == r["Ore, at end (t)"]
    for h in header:
        if h.startswith(("Ore", "Metal")):
            assert tot[h] == sum(r[h] for r in data), h
    gh = next(r for r in data if r["Deposit"] == "Gold Hill")
    assert (gh["Ore, at start (t)"], gh["Ore, production (t)"], gh["Ore, transfers in (t)"],
            gh["Ore, at end (t)"]) == (1_000_000, -100_000, 0, 900_000)


def test_csv_is_the_table(registry, tmp_path):
    _, eng = registry
    df = yearly_form(eng, 2021)
    out = write_report(df, tmp_path / "yearly.csv")
    back = pd.read_csv(out, keep_default_na=False)
    assert list(back.columns) == list(df.columns)
    assert back["end_ore"].tolist() == df["end_ore"].tolist()
    assert back["total"].tolist() == df["total"].tolist()


def test_writing_is_atomic(registry, tmp_path, monkeypatch):
    _, eng = registry
    df = totals(eng, D(2022, 1, 1))
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old")
    import openpyxl.workbook.workbook as wbmod

    def broken(self, filename):
        Path(filename).write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(wbmod.Workbook, "save", broken)
    with pytest.raises(RuntimeError):
        write_report(df, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    with pytest.raises(ParameterError, match="csv or .xlsx"):
        write_report(df, tmp_path / "report.ods")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError):
        write_report(df, tmp_path / "file" / "report.csv")


runner = CliRunner()


def test_cli_totals_and_yearly(registry, tmp_path):
    url, _ = registry
    res = runner.invoke(app, ["balance", "report", "--db", url, "--as-of", "2022-01-01",
                              "--out", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 0, res.output
    assert "Reserves as at 1 January 2022" in res.output and "Total" in res.output
    assert (tmp_path / "t.xlsx").is_file()
    res = runner.invoke(app, ["balance", "report", "--db", url, "--year", "2021", "--by",
                              "district,commodity", "--out", str(tmp_path / "y.csv")])
    assert res.exit_code == 0, res.output
    back = pd.read_csv(tmp_path / "y.csv", keep_default_na=False)
    row = back[(back["district"] == "Testland") & (back["commodity"] == "Au")].iloc[0]
    assert (row["start_ore"], row["end_ore"]) == (1_300_000, 1_200_000)
    res = runner.invoke(app, ["balance", "report", "--db", url, "--as-of", "2022-01-01",
                              "--system", "unfc", "--by", "commodity,category",
                              "--commodity", "Au", "--district", "East", "--limit", "1"])
    assert res.exit_code == 0, res.output
    assert "112" in res.output and "more rows" in res.output
    res = runner.invoke(app, ["balance", "report", "--db", url, "--year", "2021",
                              "--deposit", "Gold Hill"])
    assert res.exit_code == 0 and "Gold Hill" in res.output


def test_cli_custom_crosswalk(registry, tmp_path):
    url, _ = registry
    cw = tmp_path / "cw.csv"
    cw.write_text("state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
                  "B,Measured,Proved,111,221\nC1,Indicated,Probable,X1,X2\n")
    res = runner.invoke(app, ["balance", "report", "--db", url, "--as-of", "2022-01-01",
                              "--system", "unfc", "--crosswalk", str(cw), "--by",
                              "commodity,category", "--out", str(tmp_path / "c.csv")])
    assert res.exit_code == 0, res.output
    back = pd.read_csv(tmp_path / "c.csv", keep_default_na=False, dtype={"category": str})
    got = {(r.commodity, r.category): r.ore for r in back[~back["total"]].itertuples()}
    # C2 is not in this table: unmapped, still counted
    assert got == {("Au", "X1"): 1_000_000, ("Au", "unmapped"): 200_000, ("Cu", "111"): 2e6}


@pytest.mark.parametrize("args,message", [
    (["--year", "2021", "--as-of", "2022-01-01"], "either --year"),
    ([], "either --year"),
    (["--as-of", "soon"], "as_of"),
    (["--year", "2021", "--by", "colour"], "unknown field"),
    (["--year", "2021", "--out", "x.pdf"], ".csv or .xlsx"),
    (["--year", "2021", "--commodity", "Zn"], "commodity 'Zn'"),
    (["--year", "2021", "--crosswalk", "missing.csv", "--system", "unfc"], "missing.csv"),
])
def test_cli_errors(registry, args, message):
    url, _ = registry
    res = runner.invoke(app, ["balance", "report", "--db", url, *args])
    assert res.exit_code == 1
    assert "error:" in res.output and message in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_cli_missing_registry(tmp_path):
    res = runner.invoke(app, ["balance", "report", "--db", f"sqlite:///{tmp_path / 'no.db'}",
                              "--year", "2021"])
    assert res.exit_code == 1 and "balance init" in res.output
    assert not (tmp_path / "no.db").exists()
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    res = runner.invoke(app, ["balance", "report", "--db", f"sqlite:///{empty}", "--year",
                              "2021"])
    assert res.exit_code == 1 and "registry" in res.output


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(st.sampled_from(["state", "crirsco_resource", "crirsco_reserve",
                                       "unfc_reserve", "unfc_resource", "A", "C1", "C2", "P9",
                                       "111", "", "x", '"', ";"]), max_size=6),
             max_size=5).map(lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_fuzz_crosswalk_file(registry, tmp_path_factory, content):
    """Any crosswalk file gives a report or an OrebookError naming the file."""
    _, eng = registry
    path = tmp_path_factory.mktemp("cw") / "crosswalk.csv"
    path.write_bytes(content)
    try:
        df = totals(eng, D(2022, 1, 1), system="unfc", crosswalk=str(path))
    except OrebookError as exc:
        assert "crosswalk.csv" in str(exc)
    else:
        assert df[df["total"]]["ore"].sum() == 1_200_000 + 2_000_000
