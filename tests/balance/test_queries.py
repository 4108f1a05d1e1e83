"""The read-only queries of the service (orebook.balance.queries), on SQLite and PostgreSQL.

The registry below is small enough that every expected value is worked out by hand in the
comments; the history is also checked against ``Ledger.balance`` (SQL sums) at each date.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from orebook.balance import Ledger
from orebook.balance import registry as reg
from orebook.balance.queries import (
    HISTORY_COLUMNS,
    deposit_detail,
    deposit_history,
    list_deposits,
    list_districts,
    list_estimates,
)
from orebook.balance.schema import Deposit
from orebook.errors import NotFoundError, ParameterError
from orebook.io.estimate_record import EstimateRecord, RecordLine

D = dt.date


def _record(deposit, lines, hash_):
    return EstimateRecord(deposit=deposit, method="geological blocks",
                          effective_date=D(2021, 1, 1), parameters_hash=hash_,
                          lines=tuple(lines), author="A. Geologist", document="report 7")


def _au(cat, ore, metal_kg, grp="balance"):
    return RecordLine("Au", cat, grp, ore, metal_kg / ore * 1000, metal_kg, "t", "g/t", "kg")


@pytest.fixture
def data(engine):
    """Five deposits in two countries; Au on Golden Hill (movements, an approved estimate),
    Cu on Copper Vale (movements, a rejected estimate), Au conditions and a pending estimate
    on Dune, nothing on Söyüdlü and Lost Lode (no district)."""
    for path in ("Testland/East/Hill", "Testland/East/Vale", "Testland/West/Sands",
                 "Other/North/Far"):
        reg.add_admin_unit(engine, path)
    reg.add_commodity(engine, "Au", "gold", component_unit="kg")
    reg.add_commodity(engine, "Cu", "copper", component_unit="t", grade_unit="%")
    ids = {
        "gh": reg.add_deposit(engine, "Golden Hill", district="Testland/East/Hill",
                              aliases=["Zolotaya Gora"], status="developed", fund="distributed",
                              deposit_type="vein", longitude_deg=46.1, latitude_deg=40.2),
        "cv": reg.add_deposit(engine, "Copper Vale", district="Testland/East/Vale"),
        "du": reg.add_deposit(engine, "Dune", district="Testland/West/Sands", status="reserve"),
        "so": reg.add_deposit(engine, "Söyüdlü", district="Other/North/Far"),
        "ll": reg.add_deposit(engine, "Lost Lode"),
    }
    reg.add_organisation(engine, "Hill Mining")
    reg.add_licence(engine, "L-001", "Golden Hill", "Hill Mining", issued="2018-01-01",
                    expires="2038-01-01")
    reg.add_condition(engine, "Dune", "Au", protocol="C-1", approved_on="2015-05-05",
                      edge_cutoff=1.0)
    led = Ledger(engine)
    # Golden Hill Au, C1 balance: +1000 t / 5 kg (2019-03-01), −100 t / 0.5 kg (2020-06-01)
    led.record("Golden Hill", "Au", "C1", "balance", "exploration", ore=1000, metal=5,
               document="r1", effective_date=D(2019, 3, 1))
    led.record("Golden Hill", "Au", "C1", "balance", "production", ore=100, metal=0.5,
               document="f1", effective_date=D(2020, 6, 1))
    # C2: +200 t / 1 kg dated 1 January 2021 (so not in the balance as at that day)
    led.record("Golden Hill", "Au", "C2", "balance", "exploration", ore=200, metal=1,
               document="r2", effective_date=D(2021, 1, 1))
    led.record("Copper Vale", "Cu", "B", "off-balance", "exploration", ore=5000, metal=25,
               document="r3", effective_date=D(2020, 2, 2))
    e1 = reg.submit_estimate(engine, _record("Golden Hill", [_au("C1", 1200, 6)], "sha256:1"))
    e2 = reg.submit_estimate(engine, _record("Copper Vale", [
        RecordLine("Cu", "B", "off-balance", 6000, 0.5, 30, "t", "%", "t")], "sha256:2"))
    e3 = reg.submit_estimate(engine, _record("Dune", [_au("C2", 10, 0.02)], "sha256:3"))
    # approval on 2021-03-01: C1 to 1200 / 6 (+300 / +1.5), C2 (omitted) to 0 (−200 / −1)
    reg.approve_estimate(engine, e1, protocol="P-1", date="2021-03-01")
    reg.reject_estimate(engine, e2, protocol="P-2", date="2021-04-01")
    ids.update(e1=e1, e2=e2, e3=e3)
    return engine, ids


def _names(items):
    return [i["name"] for i in items]


def test_list_deposits_search_and_filters(data):
    engine, ids = data
    items, total = list_deposits(engine)
    assert total == 5
    assert _names(items) == ["Copper Vale", "Dune", "Golden Hill", "Lost Lode", "Söyüdlü"]
    gh = items[2]
    assert gh == {"id": ids["gh"], "name": "Golden Hill", "district": "Testland/East/Hill",
                  "status": "developed", "fund": "distributed", "deposit_type": "vein",
                  "longitude_deg": 46.1, "latitude_deg": 40.2, "commodities": ["Au"]}
    assert items[3]["district"] is None and items[3]["commodities"] == []
    # q: substring of the name or of an alias, any case ("zoLOtaya", "LOst LOde")
    assert _names(list_deposits(engine, q="zolot")[0]) == ["Golden Hill"]
    assert _names(list_deposits(engine, q="LO")[0]) == ["Golden Hill", "Lost Lode"]
    assert _names(list_deposits(engine, q="SÖYÜD")[0]) == ["Söyüdlü"]
    # SQL wildcards are plain characters
    assert list_deposits(engine, q="%")[1] == 0 and list_deposits(engine, q="_")[1] == 0
    assert list_deposits(engine, q="'; DROP TABLE deposits; --")[1] == 0
    # district: the unit and everything below it; by path (any case, spaces), name or id
    assert _names(list_deposits(engine, district="Testland/East")[0]) == [
        "Copper Vale", "Golden Hill"]
    assert _names(list_deposits(engine, district=" testland / east / HILL ")[0]) == [
        "Golden Hill"]
    assert list_deposits(engine, district="Testland")[1] == 3
    assert _names(list_deposits(engine, district="far")[0]) == ["Söyüdlü"]
    hill = next(d["id"] for d in list_districts(engine) if d["name"] == "Hill")
    assert _names(list_deposits(engine, district=hill)[0]) == ["Golden Hill"]
    with pytest.raises(NotFoundError, match="Atlantis"):
        list_deposits(engine, district="Atlantis")
    # commodity: from movements (Cu), estimates or conditions (Dune's Au)
    assert _names(list_deposits(engine, commodity="cu")[0]) == ["Copper Vale"]
    assert _names(list_deposits(engine, commodity="Au")[0]) == ["Dune", "Golden Hill"]
    with pytest.raises(NotFoundError):
        list_deposits(engine, commodity="Zn")
    assert _names(list_deposits(engine, status="reserve")[0]) == ["Dune"]
    with pytest.raises(ParameterError, match="status"):
        list_deposits(engine, status="mined")
    # filters combine
    assert list_deposits(engine, district="Testland", commodity="Au", q="hill")[1] == 1


def test_list_deposits_pages(data):
    engine, _ = data
    items, total = list_deposits(engine, offset=1, limit=2)
    assert (_names(items), total) == (["Dune", "Golden Hill"], 5)
    assert _names(list_deposits(engine, offset=4, limit=50)[0]) == ["Söyüdlü"]
    assert list_deposits(engine, offset=5) == ([], 5)
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": "5"}, {"offset": True}):
        with pytest.raises(ParameterError):
            list_deposits(engine, **bad)


def test_deposit_detail_and_version(data):
    engine, ids = data
    d = deposit_detail(engine, ids["gh"])
    assert (d["name"], d["district"], d["status"], d["fund"]) == (
        "Golden Hill", "Testland/East/Hill", "developed", "distributed")
    assert d["aliases"] == ["Zolotaya Gora"]
    assert d["licences"] == [{"id": d["licences"][0]["id"], "number": "L-001",
                              "holder": "Hill Mining", "issued": D(2018, 1, 1),
                              "expires": D(2038, 1, 1)}]
    assert d["commodities"] == ["Au"] and d["conditions"] == []
    (est,) = d["estimates"]
    assert (est["id"], est["decision"], est["protocol"], est["decision_date"]) == (
        ids["e1"], "approved", "P-1", D(2021, 3, 1))
    assert est["lines"] == [{"commodity": "Au", "category": "C1", "group": "balance",
                             "ore": 1200.0, "metal": 6.0, "ore_unit": "t",
                             "metal_unit": "kg"}]
    assert (est["method"], est["author"], est["document"]) == (
        "geological blocks", "A. Geologist", "report 7")
    dune = deposit_detail(engine, ids["du"])
    assert [(c["commodity"], c["protocol"], c["edge_cutoff"], c["approved_on"])
            for c in dune["conditions"]] == [("Au", "C-1", 1.0, D(2015, 5, 5))]
    assert dune["estimates"][0]["decision"] == "pending"
    assert dune["estimates"][0]["protocol"] is None
    cv = deposit_detail(engine, ids["cv"])
    assert (cv["estimates"][0]["decision"], cv["estimates"][0]["protocol"]) == ("rejected", "P-2")
    # the version: stable across reads and movements; changes with the row, aliases, licences
    v0 = d["version"]
    assert isinstance(v0, str) and len(v0) >= 16
    Ledger(engine).record("Golden Hill", "Au", "C1", "balance", "production", ore=1, metal=0.005,
                          document="f2", effective_date=D(2022, 2, 2))
    assert deposit_detail(engine, ids["gh"])["version"] == v0
    reg.add_alias(engine, "Golden Hill", "Altyn Tepe")
    v1 = deposit_detail(engine, ids["gh"])["version"]
    assert v1 != v0
    reg.add_licence(engine, "L-002", "Golden Hill", "Hill Mining")
    v2 = deposit_detail(engine, ids["gh"])["version"]
    assert v2 not in (v0, v1)
    with Session(engine) as s, s.begin():
        s.execute(update(Deposit).where(Deposit.id == ids["gh"]).values(status="conserved"))
    assert deposit_detail(engine, ids["gh"])["version"] not in (v0, v1, v2)
    assert deposit_detail(engine, ids["cv"])["version"] != v0
    with pytest.raises(NotFoundError):
        deposit_detail(engine, 99999)
    with pytest.raises(ParameterError):
        deposit_detail(engine, "1")


def test_deposit_history_by_hand_and_against_the_ledger(data):
    engine, ids = data
    h = deposit_history(engine, ids["gh"], until=D(2021, 6, 1))
    assert list(h.columns) == HISTORY_COLUMNS
    got = {(r.as_of, r.category): (r.ore, r.metal) for r in h.itertuples()}
    # worked by hand from the movements of the fixture
    assert got == {
        (D(2019, 1, 1), "C1"): (0.0, 0.0), (D(2019, 1, 1), "C2"): (0.0, 0.0),
        (D(2020, 1, 1), "C1"): (1000.0, 5.0), (D(2020, 1, 1), "C2"): (0.0, 0.0),
        (D(2021, 1, 1), "C1"): (900.0, 4.5), (D(2021, 1, 1), "C2"): (0.0, 0.0),
        (D(2022, 1, 1), "C1"): (1200.0, 6.0), (D(2022, 1, 1), "C2"): (0.0, 0.0),
    }
    assert set(h["commodity"]) == {"Au"} and set(h["group"]) == {"balance"}
    assert set(h["ore_unit"]) == {"t"} and set(h["metal_unit"]) == {"kg"}
    # the same figures as the ledger's own SQL sums
    led = Ledger(engine)
    for when in sorted(set(h["as_of"])):
        lines = {b.category: (b.ore, b.metal) for b in led.balance(when, deposit="Golden Hill")}
        for cat in ("C1", "C2"):
            assert got[(when, cat)] == pytest.approx(lines.get(cat, (0.0, 0.0)))
    # default: up to the next 1 January after today
    assert max(deposit_history(engine, ids["gh"])["as_of"]) == D(dt.date.today().year + 1, 1, 1)
    cu = deposit_history(engine, ids["cv"], commodity="cu", until=D(2020, 12, 31))
    assert [(r.as_of, r.ore, r.metal) for r in cu.itertuples()] == [
        (D(2020, 1, 1), 0.0, 0.0), (D(2021, 1, 1), 5000.0, 25.0)]
    assert deposit_history(engine, ids["cv"], commodity="Au").empty
    assert deposit_history(engine, ids["ll"]).empty
    with pytest.raises(NotFoundError):
        deposit_history(engine, 99999)
    with pytest.raises(NotFoundError):
        deposit_history(engine, ids["gh"], commodity="Zn")


def test_list_districts_counts(data):
    engine, _ = data
    got = {d["path"]: (d["level"], d["deposits"], d["deposits_here"])
           for d in list_districts(engine)}
    assert got == {
        "Other": ("country", 1, 0), "Other/North": ("region", 1, 0),
        "Other/North/Far": ("district", 1, 1),
        "Testland": ("country", 3, 0), "Testland/East": ("region", 2, 0),
        "Testland/East/Hill": ("district", 1, 1), "Testland/East/Vale": ("district", 1, 1),
        "Testland/West": ("region", 1, 0), "Testland/West/Sands": ("district", 1, 1),
    }
    rows = list_districts(engine)
    assert [r["path"] for r in rows] == sorted(got)
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        parent = by_id.get(r["parent_id"])
        assert r["path"] == (r["name"] if parent is None else f"{parent['path']}/{r['name']}")


def test_list_estimates(data):
    engine, ids = data
    items, total = list_estimates(engine)
    assert total == 3 and [e["id"] for e in items] == [ids["e3"], ids["e2"], ids["e1"]]
    assert [e["deposit"] for e in items] == ["Dune", "Copper Vale", "Golden Hill"]
    assert [e["id"] for e in list_estimates(engine, decision="pending")[0]] == [ids["e3"]]
    assert [e["id"] for e in list_estimates(engine, decision="rejected")[0]] == [ids["e2"]]
    approved = list_estimates(engine, decision="approved")[0]
    assert [(e["id"], e["protocol"]) for e in approved] == [(ids["e1"], "P-1")]
    assert [e["id"] for e in list_estimates(engine, deposit_id=ids["cv"])[0]] == [ids["e2"]]
    assert list_estimates(engine, deposit_id=ids["so"]) == ([], 0)
    page, total = list_estimates(engine, offset=1, limit=1)
    assert ([e["id"] for e in page], total) == ([ids["e2"]], 3)
    with pytest.raises(ParameterError):
        list_estimates(engine, decision="maybe")
    with pytest.raises(NotFoundError):
        list_estimates(engine, deposit_id=99999)


def test_update_deposit_only_at_the_version_read(data):
    from orebook.balance.accounts import create_user, list_audit
    from orebook.balance.queries import StaleVersion, update_deposit

    engine, ids = data
    v0 = deposit_detail(engine, ids["cv"])["version"]
    user = create_user(engine, "reg", "correct horse battery", "registrar")
    v1 = update_deposit(engine, ids["cv"], if_version=v0, by=user, status="developed",
                        latitude_deg=-12.5)
    d = deposit_detail(engine, ids["cv"])
    assert (d["status"], d["latitude_deg"], d["version"]) == ("developed", -12.5, v1)
    assert v1 != v0
    entry = list_audit(engine, limit=1)[0]
    assert (entry["username"], entry["action"]) == ("reg", "update_deposit")
    assert "being explored" in entry["detail"] and "developed" in entry["detail"]
    # a second editor who read v0 is refused, and nothing changes
    with pytest.raises(StaleVersion) as err:
        update_deposit(engine, ids["cv"], if_version=v0, fund="distributed")
    assert err.value.current == v1
    assert deposit_detail(engine, ids["cv"])["fund"] == "undistributed"
    for bad in ({"name": "X"}, {"status": "mined"}, {"latitude_deg": 91.0},
                {"longitude_deg": float("nan")}, {"deposit_type": "t" * 101}):
        with pytest.raises(ParameterError):
            update_deposit(engine, ids["cv"], if_version=v1, **bad)
    with pytest.raises(NotFoundError):
        update_deposit(engine, 99999, if_version=v1, status="reserve")
    assert deposit_detail(engine, ids["cv"])["version"] == v1
    assert [e["action"] for e in list_audit(engine)] == ["update_deposit", "create_user"]


def test_concurrent_editors_of_one_version_one_wins(data):
    from concurrent.futures import ThreadPoolExecutor

    from orebook.balance.queries import StaleVersion, update_deposit

    engine, ids = data
    v0 = deposit_detail(engine, ids["gh"])["version"]
    statuses = ["reserve", "conserved", "being prepared", "being explored"] * 2

    def edit(status):
        try:
            update_deposit(engine, ids["gh"], if_version=v0, status=status)
            return status
        except StaleVersion:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(edit, statuses))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert deposit_detail(engine, ids["gh"])["status"] == winners[0]
