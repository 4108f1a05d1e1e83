"""Registry services: units by path, deposits and aliases, licences, estimates from the record,
approvals, published totals; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_balance import table_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from orebook.balance import Ledger
from orebook.balance import registry as reg
from orebook.balance.schema import AdminUnit, Approval, Estimate, PublishedTotal
from orebook.errors import ConflictError, NotFoundError, ParameterError
from orebook.io.estimate_record import EstimateRecord, RecordLine

D = dt.date


def test_admin_units_by_path(engine):
    kal = reg.add_admin_unit(engine, "Azerbaijan/Kalbajar", levels=["country", "district"])
    assert reg.add_admin_unit(engine, " azerbaijan / KALBAJAR ") == kal  # found, not created
    hill = reg.add_admin_unit(engine, "Testland/East/Hill")
    assert reg.find_admin_unit(engine, "testland/east/hill") == hill
    with Session(engine) as s:
        rows = {u.name: (u.level, u.parent_id) for u in s.scalars(select(AdminUnit))}
        ids = {u.name: u.id for u in s.scalars(select(AdminUnit))}
    assert rows == {"Azerbaijan": ("country", None), "Kalbajar": ("district", ids["Azerbaijan"]),
                    "Testland": ("country", None), "East": ("region", ids["Testland"]),
                    "Hill": ("district", ids["East"])}
    with pytest.raises(NotFoundError, match="Testland/West"):
        reg.find_admin_unit(engine, "Testland/West/Hill")
    with pytest.raises(ParameterError, match="empty part"):
        reg.add_admin_unit(engine, "Testland//Hill")
    with pytest.raises(ParameterError, match="4 levels"):
        reg.add_admin_unit(engine, "A/B/C/D")


def test_deposits_and_aliases(engine):
    reg.add_admin_unit(engine, "Testland/East/Hill")
    reg.add_commodity(engine, "Au", "gold", component_unit="kg")
    dep = reg.add_deposit(engine, "Golden Hill", district="Testland/East/Hill",
                          aliases=["Zolotaya Gora"], status="reserve", fund="distributed",
                          deposit_type="vein", discovery_year=1961, longitude_deg=46.1,
                          latitude_deg=40.1, note="a note")
    info = reg.find_deposit(engine, "ZOLOTAYA gora")
    assert info == reg.DepositInfo(dep, "Golden Hill", ("Zolotaya Gora",), "Testland/East/Hill",
                                   False, "reserve", "distributed", "vein", 1961, 46.1, 40.1,
                                   "a note")
    reg.add_alias(engine, "golden hill", "GH")
    assert reg.find_deposit(engine, "gh").aliases == ("GH", "Zolotaya Gora")
    before = table_counts(engine)
    with pytest.raises(ConflictError, match="already in the registry"):
        reg.add_deposit(engine, "golden HILL")
    with pytest.raises(ConflictError, match="already names deposit 'Golden Hill'"):
        reg.add_deposit(engine, "New", aliases=["x", "zolotaya gora"])  # rolled back whole
    with pytest.raises(ConflictError, match="already names deposit 'Golden Hill'"):
        reg.add_alias(engine, "Golden Hill", "golden hill")
    with pytest.raises(NotFoundError, match="Testland/West"):
        reg.add_deposit(engine, "Other", district="Testland/West")
    with pytest.raises(ParameterError, match="status"):
        reg.add_deposit(engine, "Other", status="mined")
    with pytest.raises(ParameterError, match="latitude"):
        reg.add_deposit(engine, "Other", latitude_deg=91)
    with pytest.raises(NotFoundError):
        reg.find_deposit(engine, "Nowhere")
    assert table_counts(engine) == before


def test_commodities_organisations_licences(engine):
    reg.add_commodity(engine, "Cu", "copper", component_unit="t", grade_unit="%")
    with pytest.raises(ConflictError):
        reg.add_commodity(engine, "cu", "copper again")
    with pytest.raises(ParameterError, match="component unit"):
        reg.add_commodity(engine, "Ag", "silver", component_unit="lb")
    with pytest.raises(ParameterError, match="ore unit"):
        reg.add_commodity(engine, "Ag", "silver", ore_unit="kg")
    reg.add_organisation(engine, "Mining Co", "holder")
    with pytest.raises(ParameterError, match="kind"):
        reg.add_organisation(engine, "X", "bank")
    reg.add_deposit(engine, "Red Hill")
    lic = reg.add_licence(engine, "AZ-001", "red hill", "mining co", issued="2020-01-01",
                          expires=D(2040, 1, 1))
    assert lic > 0
    with pytest.raises(ConflictError):
        reg.add_licence(engine, "az-001", "Red Hill", "Mining Co")
    with pytest.raises(ParameterError, match="before it is issued"):
        reg.add_licence(engine, "AZ-002", "Red Hill", "Mining Co", issued="2020-01-01",
                        expires="2019-01-01")
    with pytest.raises(NotFoundError, match="organisation"):
        reg.add_licence(engine, "AZ-003", "Red Hill", "Nobody")


def _record(**kw) -> EstimateRecord:
    lines = kw.pop("lines", (
        RecordLine("Au", "C1", "balance", 1_250_000.0, 2.1, 2625.0),  # 1.25 Mt × 2.1 g/t = 2625 kg
        RecordLine("Au", "C2", "balance", 400_000.0, 1.5, 600.0),  # 600 kg
    ))
    base = {"deposit": "Golden Hill", "method": "ordinary kriging",
                "effective_date": D(2026, 1, 1), "parameters_hash": "sha256:abc", "lines": lines}
    base.update(kw)
    return EstimateRecord(**base)


@pytest.fixture
def gold_in_tonnes(engine):
    reg.add_commodity(engine, "Au", "gold", component_unit="t")
    reg.add_deposit(engine, "Golden Hill", aliases=["GH"])
    reg.add_organisation(engine, "State Reserves Commission", "commission")
    return engine


def test_submit_converts_kg_into_the_commoditys_tonnes_then_approve(gold_in_tonnes):
    engine = gold_in_tonnes
    est = reg.submit_estimate(engine, _record(deposit="gh"))
    with Session(engine) as s:
        e = s.get(Estimate, est)
        assert (e.parameters_hash, e.method, e.effective_date) == ("sha256:abc",
                                                                   "ordinary kriging",
                                                                   D(2026, 1, 1))
        got = sorted((ln.category, ln.ore, ln.metal) for ln in e.lines)
    assert got == [("C1", 1_250_000.0, 2.625), ("C2", 400_000.0, 0.6)]  # kg / 1000
    with pytest.raises(ConflictError, match="already estimate"):
        reg.submit_estimate(engine, _record())
    ids = reg.approve_estimate(engine, est, protocol="SRC 7/2026", date="2026-03-01",
                               commission="State Reserves Commission")
    assert len(ids) == 2
    lines = {(b.category, b.group): (b.ore, b.metal)
             for b in Ledger(engine).balance(D(2026, 3, 2))}
    assert lines == {("C1", "balance"): (1_250_000.0, 2.625), ("C2", "balance"): (400_000.0, 0.6)}
    with pytest.raises(ConflictError, match="already approved by protocol SRC 7/2026"):
        reg.approve_estimate(engine, est, protocol="again", date="2026-04-01")


def test_reject_leaves_the_balance(gold_in_tonnes):
    engine = gold_in_tonnes
    est = reg.submit_estimate(engine, _record())
    reg.reject_estimate(engine, est, protocol="SRC 8/2026", date=D(2026, 3, 1),
                        decision="returned")
    assert Ledger(engine).balance(D(2030, 1, 1)) == []
    with Session(engine) as s:
        assert [(a.protocol, a.decision) for a in s.scalars(select(Approval))] == [
            ("SRC 8/2026", "returned")]
    with pytest.raises(ParameterError, match="decision"):
        reg.reject_estimate(engine, est, protocol="x", date=D(2026, 3, 1), decision="approved")
    with pytest.raises(NotFoundError):
        reg.approve_estimate(engine, 999, protocol="x", date=D(2026, 3, 1))


@pytest.mark.parametrize("change,error,match", [
    ({"deposit": "Nowhere"}, NotFoundError, "deposit"),
    ({"lines": (RecordLine("Ag", "C1", "balance", 1.0, 1.0, 0.001),)}, NotFoundError,
     "commodity 'Ag'"),
    ({"lines": (RecordLine("Au", "C1", "balance", 1.0, 1.0, 1.0, ore_unit="m3"),)},
     ParameterError, "counted in 't'"),
    ({"lines": (RecordLine("Au", "C1", "balance", 1000.0, 1.0, 32.15, metal_unit="oz"),)},
     ParameterError, "cannot be converted exactly"),
])
def test_submit_refuses(gold_in_tonnes, change, error, match):
    before = table_counts(gold_in_tonnes)
    with pytest.raises(error, match=match):
        reg.submit_estimate(gold_in_tonnes, _record(**change))
    assert table_counts(gold_in_tonnes) == before


def test_published_totals_convert_exactly(gold_in_tonnes):
    engine = gold_in_tonnes
    reg.add_admin_unit(engine, "Azerbaijan/Kalbajar", levels=["country", "district"])
    reg.add_commodity(engine, "Ag", "silver", component_unit="kg")
    pid = reg.add_published_total(engine, commodity="Ag", metal=190.33, metal_unit="t",
                                  unit="Azerbaijan/Kalbajar", source="press",
                                  as_of="until 1993", as_of_date="1993-01-01",
                                  published_on=D(2020, 11, 14), deposit_count=34)
    with Session(engine) as s:
        p = s.get(PublishedTotal, pid)
        assert (p.metal, p.as_of_date, p.deposit_count, p.uncertain) == (
            pytest.approx(190_330.0, rel=1e-15), D(1993, 1, 1), 34, False)
    with pytest.raises(ParameterError, match="either an administrative unit or a deposit"):
        reg.add_published_total(engine, commodity="Au", metal=1, source="x")
    with pytest.raises(ParameterError, match="either"):
        reg.add_published_total(engine, commodity="Au", metal=1, source="x", deposit="GH",
                                unit="Azerbaijan")
    with pytest.raises(ParameterError, match="cannot be converted exactly"):
        reg.add_published_total(engine, commodity="Au", metal=1, metal_unit="oz", source="x",
                                deposit="GH")
    with pytest.raises(ParameterError, match="category"):
        reg.add_published_total(engine, commodity="Au", metal=1, source="x", deposit="GH",
                                category="P1")


def test_convert_metal():
    assert reg.convert_metal(130, "t", "kg") == 130_000.0
    assert reg.convert_metal(2625, "kg", "t") == 2.625
    assert reg.convert_metal(5, "g", "kg") == 0.005
    assert reg.convert_metal(7.5, "oz", "oz") == 7.5
    with pytest.raises(ParameterError):
        reg.convert_metal(1, "oz", "g")
