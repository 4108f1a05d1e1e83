"""Conditions (cut-offs, thicknesses, metre-percent) with their protocol, and their link to
estimates and approvals; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_balance import table_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from orebook.balance import registry as reg
from orebook.balance.schema import Approval, Condition, Estimate
from orebook.errors import NotFoundError, ParameterError
from orebook.io.estimate_record import EstimateRecord, RecordLine

D = dt.date


@pytest.fixture
def two_deposits(engine):
    reg.add_commodity(engine, "Cu", "copper", component_unit="t", grade_unit="%")
    reg.add_deposit(engine, "Red Hill")
    reg.add_deposit(engine, "Blue Hill")
    return engine


def test_conditions_are_stored_as_given(two_deposits):
    engine = two_deposits
    cid = reg.add_condition(engine, "red hill", "cu", protocol="SRC 3/2024",
                            approved_on="2024-05-20", kind="temporary", edge_cutoff=0.2,
                            contour_cutoff=0.25, min_block_grade=0.4, min_thickness_m=2.0,
                            max_barren_m=3.0, min_metre_grade=0.8, note="open pit")
    with Session(engine) as s:
        c = s.get(Condition, cid)
        got = (c.edge_cutoff, c.contour_cutoff, c.min_block_grade, c.min_thickness_m,
               c.max_barren_m, c.min_metre_grade, c.kind, c.protocol, c.approved_on, c.note)
    assert got == (0.2, 0.25, 0.4, 2.0, 3.0, 0.8, "temporary", "SRC 3/2024", D(2024, 5, 20),
                   "open pit")


@pytest.mark.parametrize("kwargs,error,match", [
    ({"edge_cutoff": 0.5, "min_block_grade": 0.3}, ParameterError, "below the edge cut-off"),
    ({}, ParameterError, "at least one condition"),
    ({"min_thickness_m": -1.0}, ParameterError, "finite number >= 0"),
    ({"min_thickness_m": float("nan")}, ParameterError, "finite number >= 0"),
    ({"edge_cutoff": 0.2, "kind": "forever"}, ParameterError, "kind"),
    ({"edge_cutoff": 0.2, "approved_on": "20.05.2024"}, ParameterError, "ISO date"),
    ({"edge_cutoff": 0.2, "approval_id": 42}, NotFoundError, "approval 42"),
])
def test_bad_conditions_are_refused(two_deposits, kwargs, error, match):
    args = {"protocol": "SRC 3/2024", "approved_on": "2024-05-20", **kwargs}
    before = table_counts(two_deposits)
    with pytest.raises(error, match=match):
        reg.add_condition(two_deposits, "Red Hill", "Cu", **args)
    assert table_counts(two_deposits) == before


def test_estimate_links_its_conditions_and_conditions_their_approval(two_deposits):
    engine = two_deposits
    cid = reg.add_condition(engine, "Red Hill", "Cu", protocol="SRC 3/2024",
                            approved_on="2024-05-20", edge_cutoff=0.2)
    other = reg.add_condition(engine, "Blue Hill", "Cu", protocol="SRC 4/2024",
                              approved_on="2024-05-20", edge_cutoff=0.3)
    record = EstimateRecord("Red Hill", "geological blocks", D(2024, 6, 1), "sha256:1",
                            (RecordLine("Cu", "C1", "balance", 1000.0, 1.0, 10.0,
                                        grade_unit="%", metal_unit="t"),))
    with pytest.raises(ParameterError, match="not conditions of 'Red Hill'"):
        reg.submit_estimate(engine, record, condition_id=other)
    est = reg.submit_estimate(engine, record, condition_id=cid)
    reg.approve_estimate(engine, est, protocol="SRC 9/2024", date="2024-07-01")
    with Session(engine) as s:
        assert s.get(Estimate, est).condition_id == cid
        approval_id = s.scalars(select(Approval.id).where(Approval.estimate_id == est)).one()
    linked = reg.add_condition(engine, "Red Hill", "Cu", protocol="SRC 9/2024",
                               approved_on="2024-07-01", edge_cutoff=0.2,
                               approval_id=approval_id)
    with Session(engine) as s:
        assert s.get(Condition, linked).approval_id == approval_id
