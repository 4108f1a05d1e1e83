"""Bulk import: every problem listed with its file, row and column; all or nothing; movements
checked against an independent replay; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from helpers_balance import table_counts
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from orebook.balance import Ledger, find_deposit, import_tables
from orebook.balance import importing as imp
from orebook.balance.importing import ImportRefused, kind_of
from orebook.balance.schema import Estimate, LedgerHead, Movement, PublishedTotal
from orebook.errors import InputError, ParameterError

D = dt.date
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "orebook" / "data" / "sample" / "kalbajar"

BASICS = {
    "admin_units.csv": "path,levels\nTestland/East/Hill,country/region/district\n",
    "commodities.csv": "code,name,ore_unit,component_unit,grade_unit\nAu,gold,t,kg,g/t\n"
                       "Cu,copper,t,t,%\n",
    "organisations.csv": "name,kind\nMining Co,holder\n",
    "deposits.csv": "name,district,status,fund,discovery_year\n"
                    "North Ridge,Testland/East/Hill,developed,distributed,1961\n"
                    "South Vein,Testland/East/Hill,reserve,undistributed,\n",
    "aliases.csv": "deposit,alias\nNorth Ridge,Severny\n",
    "licences.csv": "number,deposit,holder,issued,expires\nL-1,severny,Mining Co,2001-02-03,\n",
}


def write(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_kind_from_the_file_name():
    assert kind_of("deposits.csv") == "deposits"
    assert kind_of("kalbajar_deposits.xlsx") == "deposits"
    assert kind_of("2020-published-totals.csv") == "published_totals"
    assert kind_of("deposit_aliases.csv") == "aliases"
    assert kind_of("estimate_lines.csv") == "estimates"
    assert kind_of("notes.csv") is None


def test_the_kalbajar_sample_imports(engine):
    report = import_tables(engine, [SAMPLE])
    # counted by hand in the sample's files
    assert report.written == {"admin_units": 1, "commodities": 5, "deposits": 2, "aliases": 1,
                              "published_totals": 11}
    assert report.problems == ()
    counts = table_counts(engine)
    assert (counts["admin_units"], counts["commodities"], counts["deposits"],
            counts["deposit_aliases"], counts["published_totals"]) == (2, 5, 2, 1, 11)
    giz = find_deposit(engine, "gizilbulag")
    assert (giz.district, giz.district_uncertain) == ("Azerbaijan/Kalbajar", True)
    assert find_deposit(engine, "zod").name == "Soyudlu"
    with Session(engine) as s:
        quoted = sorted(p.metal for p in s.scalars(select(PublishedTotal)))
    assert quoted == sorted([130, 190.33, 130, 190.33, 45.82, 248.89, 939, 143, 248, 112.5,
                             13.7])


def test_every_problem_is_listed_and_nothing_written(engine, tmp_path):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    before = table_counts(engine)
    folder = write(tmp_path / "bad", {
        "deposits.csv": "name,district,status,longitude_deg\n"
                        "West Pit,Testland/East/Hill,developed,46.5\n"  # row 2: fine
                        "north ridge,,reserve,\n"  # row 3: name taken
                        "Lake,Testland/West,mined,200\n"  # row 4: district, status, longitude
                        "West Pit,,,\n",  # row 5: twice in the file
        "aliases.csv": "deposit,alias\nWest Pit,severny\nNowhere,N\n",
        "licences.csv": "number,deposit,holder,issued,expires\n"
                        "L-2,West Pit,Nobody,2020-01-01,2019-01-01\n",
        "conditions.csv": "deposit,commodity,protocol,approved_on,edge_cutoff,min_block_grade\n"
                          "West Pit,Au,P-1,2020-01-01,1.0,0.5\nWest Pit,Zn,P-2,2020-13-01,,\n",
    })
    with pytest.raises(ImportRefused) as info:
        import_tables(engine, [folder])
    got = {(Path(p.file).name, p.row, p.column) for p in info.value.report.problems}
    assert got == {
        ("deposits.csv", 3, "name"),
        ("deposits.csv", 4, "district"), ("deposits.csv", 4, "status"),
        ("deposits.csv", 4, "longitude_deg"),
        ("deposits.csv", 5, "name"),
        ("aliases.csv", 2, "alias"), ("aliases.csv", 3, "deposit"),
        ("licences.csv", 2, "holder"), ("licences.csv", 2, "expires"),
        ("conditions.csv", 2, "min_block_grade"),
        ("conditions.csv", 3, "commodity"), ("conditions.csv", 3, "approved_on"),
        ("conditions.csv", 3, None),  # no condition given at all
    }
    assert str(info.value).startswith(str(folder / "deposits.csv") + ", row 3")
    assert table_counts(engine) == before


def test_a_failure_while_writing_leaves_the_registry_unchanged(engine, tmp_path, monkeypatch):
    tables = dict(BASICS)
    tables["movements.csv"] = ("deposit,commodity,category,group,kind,ore,metal,date,document\n"
                               "North Ridge,Au,C1,balance,approval,1000,5,2020-01-01,P-1\n")
    before = table_counts(engine)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imp, "_insert_movements", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        import_tables(engine, [write(tmp_path / "t", tables)])
    assert table_counts(engine) == before  # the deposits written first were rolled back too


MOVES_HEAD = "deposit,commodity,category,group,kind,ore,metal,date,document,cause,batch\n"


def test_movements_by_hand(engine, tmp_path):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    moves = MOVES_HEAD + (
        "North Ridge,Au,C1,balance,approval,1000000,5000,2019-03-01,SRC 12/2019,,\n"
        "Severny,Au,C1,balance,production,120000,600,2019-12-31,form 5-GR,,\n"
        "North Ridge,Au,C1,balance,transfer,-100000,-500,2020-01-10,SRC 1/2020,,t1\n"
        "North Ridge,Au,B,balance,transfer,100000,500,2020-01-10,SRC 1/2020,,t1\n"
        "North Ridge,Au,C1,balance,writeoff,80000,400,2020-05-01,act 3,not confirmed,\n"
        "North Ridge,Au,C1,balance,reevaluation,-20000,+10,2020-06-01,report 4,,\n"
        "South Vein,Cu,C2,off-balance,exploration,300000,1500,2020-02-02,report 9,,\n"
    )
    report = import_tables(engine, [write(tmp_path / "m", {"movements.csv": moves})])
    assert report.written == {"movements": 7}
    got = {(b.deposit, b.commodity, b.category, b.group): (b.ore, b.metal)
           for b in Ledger(engine).balance(D(2021, 1, 1))}
    # C1: 1,000,000 − 120,000 − 100,000 − 80,000 − 20,000 = 680,000 t;
    #     5,000 − 600 − 500 − 400 + 10 = 3,510 kg.  B: the transfer, 100,000 t and 500 kg.
    assert got == {("North Ridge", "Au", "C1", "balance"): (680_000.0, 3_510.0),
                   ("North Ridge", "Au", "B", "balance"): (100_000.0, 500.0),
                   ("South Vein", "Cu", "C2", "off-balance"): (300_000.0, 1_500.0)}
    with Session(engine) as s:
        kinds = sorted(s.scalars(select(Movement.kind)))
        heads = {(h.deposit_id, h.commodity_id): h.movements for h in s.scalars(select(LedgerHead))}
    assert kinds == sorted(["approval", "production", "transfer", "transfer", "writeoff",
                            "reevaluation", "exploration"])
    assert sorted(heads.values()) == [1, 6]
    # the ledger goes on from the imported history
    Ledger(engine).record("North Ridge", "Au", "B", "balance", "production", ore=100_000,
                          metal=500, document="form", effective_date=D(2021, 3, 1))
    with pytest.raises(Exception, match="below zero"):
        Ledger(engine).record("North Ridge", "Au", "B", "balance", "production", ore=1,
                              metal=0, document="form", effective_date=D(2021, 3, 2))


def test_movement_problems_name_their_rows(engine, tmp_path):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    Ledger(engine).record("South Vein", "Au", "C2", "balance", "exploration", ore=100, metal=1,
                          document="r", effective_date=D(2020, 1, 1))
    Ledger(engine).close_year(2020)
    before = table_counts(engine)
    moves = MOVES_HEAD + (
        "North Ridge,Au,C1,balance,approval,1000,5,2021-03-01,P,,\n"  # 2 fine
        "North Ridge,Au,C1,balance,production,-5,0,2021-04-01,F,,\n"  # 3 negative amount
        "Nowhere,Ag,P1,reserve,mined,x,,2021-02-30,,,\n"  # 4 nine problems
        "North Ridge,Au,C1,balance,writeoff,1,0,2021-05-01,A,,\n"  # 5 no cause
        "North Ridge,Au,C1,balance,transfer,-10,0,2021-06-01,T,,\n"  # 6 no batch
        "North Ridge,Au,C1,balance,transfer,-10,0,2021-06-01,T,,b\n"  # 7 b: does not net
        "North Ridge,Au,B,balance,transfer,5,0,2021-06-01,T,,b\n"  # 8
        "South Vein,Au,C2,balance,production,150,1,2021-07-01,F,,\n"  # 9 only 100 t there
        "North Ridge,Au,C2,balance,exploration,1,1,2020-12-31,E,,\n"  # 10 closed year
        "North Ridge,Au,C1,balance,correction,1,1,2021-01-01,E,,\n"  # 11 not importable
    )
    with pytest.raises(ImportRefused) as info:
        import_tables(engine, [write(tmp_path / "m", {"movements.csv": moves})])
    got = {(p.row, p.column) for p in info.value.report.problems}
    assert got == {(3, "ore"),
                   (4, "deposit"), (4, "commodity"), (4, "category"), (4, "group"),
                   (4, "kind"), (4, "ore"), (4, "metal"), (4, "date"), (4, "document"),
                   (5, "cause"), (6, "batch"), (8, "batch"), (9, "ore"), (10, "date"),
                   (11, "kind")}
    short = next(p for p in info.value.report.problems if p.row == 9)
    assert "South Vein, Au, C2/balance: ore would fall below zero at the end of 2021-07-01 " \
           "(to -50), short by 50" in short.message
    assert table_counts(engine) == before


def test_large_tables_take_the_fast_reader_and_rebuild_indexes(engine, tmp_path, monkeypatch):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    monkeypatch.setattr(imp, "_LARGE_BYTES", 0)
    monkeypatch.setattr(imp, "_REINDEX_ROWS", 1)
    rows = ["North Ridge,Au,C1,balance,approval,1000,5,2020-01-01,P,,"]
    rows += [f"North Ridge,Au,C1,balance,production,10,0.05,2020-{m:02d}-01,F,,"
             for m in range(2, 13)]
    rows += ["South Vein,Au,A,balance,exploration,1,0.01,2020-01-01,E,\"with, comma\",",
             "South Vein,Au,B,balance,exploration,0.1,0.001,2020-01-01,E,\"a\\b\tc\","]
    path = tmp_path / "m" / "movements.csv"
    path.parent.mkdir()
    path.write_text(MOVES_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    assert imp._read_large(path) is not None
    import_tables(engine, [path])
    got = {(b.deposit, b.category): (b.ore, b.metal) for b in Ledger(engine).balance(D(2021, 1, 1))}
    assert got == {("North Ridge", "C1"): (1000 - 11 * 10, pytest.approx(5 - 11 * 0.05)),
                   ("South Vein", "A"): (1.0, 0.01), ("South Vein", "B"): (0.1, 0.001)}
    with engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("movements")}
        foreign = {fk["name"] for fk in inspect(conn).get_foreign_keys("movements")}
        causes = set(conn.scalars(select(Movement.cause)))
    assert foreign == {c.name for c in Movement.__table__.foreign_key_constraints}
    assert {"ix_movements_line", "ix_movements_date", "ix_movements_batch"} <= names
    assert causes == {None, "with, comma", "a\\b\tc"}


def test_fast_reader_gives_way_on_irregular_files(tmp_path):
    path = tmp_path / "movements.csv"
    for text in (MOVES_HEAD + "a,b\n\nc,d\n",  # a blank line
                 MOVES_HEAD + '"x\ny",1\n',  # a quoted line break
                 "deposit;commodity\n\"a\";b\n;;;;\n",  # extra fields
                 "a,A\n1,2\n"):  # a header twice (case-insensitive)
        path.write_text(text, encoding="utf-8")
        assert imp._read_large(path) is None


def test_fast_and_plain_readers_report_the_same_rows(engine, tmp_path, monkeypatch):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    text = MOVES_HEAD + ("North Ridge,Au,C1,balance,approval,1000,5,2020-01-01,P,,\n"
                         "North Ridge,Au,C1,balance,production,2000,5,2020-02-01,F,,\n"
                         "Nope,Au,C1,balance,production,1,1,2020-02-01,F,,\n")
    path = write(tmp_path / "m", {"movements.csv": text}) / "movements.csv"
    found = []
    for large in (10**9, 0):
        monkeypatch.setattr(imp, "_LARGE_BYTES", large)
        with pytest.raises(ImportRefused) as info:
            import_tables(engine, [path])
        found.append([(p.row, p.column, p.message) for p in info.value.report.problems])
    assert found[0] == found[1]
    assert [(r, c) for r, c, _ in found[0]] == [(3, "ore"), (4, "deposit")]


def test_estimates_and_xlsx_tables(engine, tmp_path):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["deposit", "commodity", "category", "group", "ore", "ore_unit", "grade",
               "grade_unit", "metal", "metal_unit", "method", "effective_date",
               "parameters_hash"])
    ws.append(["North Ridge", "Au", "C1", "balance", 1_250_000, "t", 2.1, "g/t", 2625, "kg",
               "kriging", dt.datetime(2026, 1, 1), "sha256:a"])
    ws.append(["North Ridge", "Au", "C2", "balance", 400_000, "t", 1.5, "g/t", 0.6, "t",
               "kriging", dt.datetime(2026, 1, 1), "sha256:a"])
    ws.append(["South Vein", "Cu", "C1", "balance", 1000, "t", 1.0, "%", 10, "t",
               "blocks", "2025-06-30", "sha256:b"])
    wb.save(tmp_path / "estimates.xlsx")
    report = import_tables(engine, [tmp_path / "estimates.xlsx"])
    assert report.written == {"estimates": 2}
    with Session(engine) as s:
        got = {(e.parameters_hash, e.effective_date): sorted((ln.category, ln.ore, ln.metal)
                                                             for ln in e.lines)
               for e in s.scalars(select(Estimate))}
    # 0.6 t of gold is 600 kg, the commodity's unit
    assert got == {("sha256:a", D(2026, 1, 1)): [("C1", 1_250_000.0, 2625.0),
                                                 ("C2", 400_000.0, 600.0)],
                   ("sha256:b", D(2025, 6, 30)): [("C1", 1000.0, 10.0)]}
    with pytest.raises(ImportRefused, match="already in the registry"):
        import_tables(engine, [tmp_path / "estimates.xlsx"])


def test_estimate_rows_must_agree(engine, tmp_path):
    import_tables(engine, [write(tmp_path / "base", BASICS)])
    head = ("deposit,commodity,category,group,ore,ore_unit,grade,grade_unit,metal,metal_unit,"
            "method,effective_date,parameters_hash\n")
    text = head + ("North Ridge,Au,C1,balance,1000,t,2,g/t,2,kg,kriging,2026-01-01,h\n"
                   "North Ridge,Au,C1,balance,1000,t,2,g/t,2,kg,idw,2026-01-01,h\n"
                   "North Ridge,Au,C2,balance,1000,t,2,g/t,3,kg,kriging,2026-01-01,k\n"
                   "North Ridge,Au,C2,balance,1000,m3,2,g/t,2,kg,kriging,2026-01-01,m\n")
    with pytest.raises(ImportRefused) as info:
        import_tables(engine, [write(tmp_path / "e", {"estimates.csv": text})])
    got = {(p.row, p.column) for p in info.value.report.problems}
    assert got == {(3, "method"), (3, "category"), (4, "metal"), (5, "ore_unit")}


def test_files_that_cannot_be_told_or_read(engine, tmp_path):
    (tmp_path / "notes.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match="cannot tell which table"):
        import_tables(engine, [tmp_path / "notes.csv"])
    with pytest.raises(InputError, match="not found"):
        import_tables(engine, [tmp_path / "deposits.csv"])
    with pytest.raises(ParameterError, match="unknown table kind"):
        import_tables(engine, [tmp_path / "notes.csv"], kinds={str(tmp_path / "notes.csv"): "x"})
    (tmp_path / "deposits.csv").write_text("title\nx\n")
    with pytest.raises(ImportRefused, match="needs the columns"):
        import_tables(engine, [tmp_path / "deposits.csv"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no table of a known kind"):
        import_tables(engine, [tmp_path / "empty"])
