"""``orebook balance …`` with Typer's CliRunner on SQLite files: init, import, estimate,
approve, move, close-year, reconcile; errors exit 1 with one message."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from orebook.balance import Ledger, engine_from_url
from orebook.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "orebook" / "data" / "sample" / "kalbajar"
runner = CliRunner()


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    out = run("balance", "init", "--db", url)
    assert "created" in out.output
    return url


def test_init_twice_then_a_missing_registry(tmp_path, db):
    assert "up to date" in run("balance", "init", "--db", db).output
    missing = run("balance", "close-year", "2020", "--db",
                  f"sqlite:///{tmp_path / 'none.sqlite'}", ok=False)
    assert missing.exit_code == 1
    assert "orebook balance init" in missing.output
    assert not (tmp_path / "none.sqlite").exists()
    bad = run("balance", "init", "--db", "mysql://x/y", ok=False)
    assert bad.exit_code == 1 and "expected sqlite" in bad.output


def test_the_default_registry_is_a_file_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OREBOOK_BALANCE_DB", raising=False)
    run("balance", "init")
    assert (tmp_path / "orebook-balance.sqlite").is_file()


def test_import_and_reconcile_kalbajar(db, tmp_path):
    out = run("balance", "import", SAMPLE, "--db", db).output
    assert "published_totals" in out
    res = run("balance", "reconcile", "--db", db, "--commodity", "Au", "--out",
              tmp_path / "rec.xlsx")
    assert "97.08" in res.output and "88.25" in res.output  # 126.2 / 130 and 126.2 / 143
    wb = openpyxl.load_workbook(tmp_path / "rec.xlsx")
    assert wb.sheetnames == ["totals", "contributions", "disagreements"]
    run("balance", "reconcile", "--db", db, "--unit", "Azerbaijan", "--out", tmp_path / "r.csv")
    totals = pd.read_csv(tmp_path / "r.csv")
    assert len(totals) == 9 and totals.remainder.sum() == pytest.approx(
        3.8 + 3.8 + 16.8 + 190.33 * 2 + 248 + 45.82 + 248.89 + 939)


def test_import_problems_exit_1_with_a_report(db, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "deposits.csv").write_text("name,status\nA,mined\nB,reserve\nA,\n")
    res = run("balance", "import", tmp_path / "t", "--db", db, "--report",
              tmp_path / "problems.csv", ok=False)
    assert res.exit_code == 1
    assert "2 problems; nothing was written" in res.output
    rep = pd.read_csv(tmp_path / "problems.csv")
    assert rep[["row", "column"]].values.tolist() == [[2, "status"], [4, "name"]]
    ok = run("balance", "import", tmp_path / "t" / "deposits.csv", "--db", db, "--kind",
             f"{tmp_path / 't' / 'deposits.csv'}=organisations", ok=False)
    assert ok.exit_code == 1 and "given twice" in ok.output  # read as organisations: A twice
    dry = run("balance", "import", SAMPLE, "--db", db, "--dry-run")
    assert "Dry run" in dry.output
    assert run("balance", "reconcile", "--db", db).output.startswith("No published total")


def test_estimate_approve_move_close(db, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "commodities.csv").write_text("code,name,component_unit\nAu,gold,kg\n")
    (tmp_path / "t" / "deposits.csv").write_text("name\nGolden Hill\n")
    run("balance", "import", tmp_path / "t", "--db", db)
    record = {"format": "orebook-estimate-record", "version": 1, "deposit": "Golden Hill",
              "method": "ordinary kriging", "effective_date": "2026-01-01",
              "parameters_hash": "sha256:x",
              "lines": [{"commodity": "Au", "category": "C1", "group": "balance",
                         "ore": 1000000.0, "ore_unit": "t", "grade": 2.0, "grade_unit": "g/t",
                         "metal": 2.0, "metal_unit": "t"}]}
    (tmp_path / "rec.json").write_text(json.dumps(record))
    assert "Estimate 1" in run("balance", "estimate", tmp_path / "rec.json", "--db", db).output
    again = run("balance", "estimate", tmp_path / "rec.json", "--db", db, ok=False)
    assert again.exit_code == 1 and "already estimate 1" in again.output
    res = run("balance", "approve", "1", "--protocol", "SRC 1/2026", "--date", "2026-02-01",
              "--db", db)
    assert "1 movements" in res.output
    run("balance", "move", "--deposit", "golden hill", "--commodity", "Au", "--category", "C1",
        "--kind", "production", "--ore", "100000", "--metal", "200", "--date", "2026-06-30",
        "--document", "form 5-GR", "--db", db)
    run("balance", "move", "--deposit", "Golden Hill", "--commodity", "Au", "--category", "C1",
        "--group", "balance", "--kind", "transfer", "--to", "B/balance", "--ore", "300000",
        "--metal", "600", "--date", "2026-07-01", "--document", "SRC 2/2026", "--db", db)
    short = run("balance", "move", "--deposit", "Golden Hill", "--commodity", "Au",
                "--category", "B", "--kind", "writeoff", "--cause", "not confirmed",
                "--ore", "400000", "--metal", "1", "--date", "2026-08-01", "--document", "act",
                "--db", db, ok=False)
    assert short.exit_code == 1 and "short by 100000" in short.output
    nocause = run("balance", "move", "--deposit", "Golden Hill", "--commodity", "Au",
                  "--category", "B", "--kind", "writeoff", "--ore", "1", "--metal", "0",
                  "--date", "2026-08-01", "--document", "act", "--db", db, ok=False)
    assert nocause.exit_code == 1 and "cause" in nocause.output
    assert "Closed 2026" in run("balance", "close-year", "2026", "--db", db).output
    late = run("balance", "move", "--deposit", "Golden Hill", "--commodity", "Au",
               "--category", "B", "--kind", "exploration", "--ore", "1", "--metal", "0",
               "--date", "2026-12-31", "--document", "r", "--db", db, ok=False)
    assert late.exit_code == 1 and "closed year" in late.output
    engine = engine_from_url(db)
    got = {(b.category, b.group): (b.ore, b.metal)
           for b in Ledger(engine).balance(dt.date(2027, 1, 1))}
    engine.dispose()
    # C1: 1,000,000 − 100,000 − 300,000 = 600,000 t; 2,000 − 200 − 600 = 1,200 kg. B: 300,000 t
    assert got == {("C1", "balance"): (600_000.0, 1_200.0), ("B", "balance"): (300_000.0, 600.0)}
    bad_date = run("balance", "approve", "1", "--protocol", "p", "--date", "1.2.2026", "--db",
                   db, ok=False)
    assert bad_date.exit_code == 1 and "ISO date" in bad_date.output


def test_problem_report_as_xlsx_keeps_control_characters_out(db, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "deposits.csv").write_text("name,status,note\nA,mi\x01ned,x\x02y\n")
    res = run("balance", "import", tmp_path / "t", "--db", db, "--report",
              tmp_path / "problems.xlsx", ok=False)
    assert res.exit_code == 1
    ws = openpyxl.load_workbook(tmp_path / "problems.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("file", "row", "column", "message")
    assert rows[1][1:3] == (2, "status") and "found 'mi\\x01ned'" in rows[1][3]
