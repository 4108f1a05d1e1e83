"""Property tests of the ledger (hypothesis), on SQLite and PostgreSQL.

Each example works on a deposit of its own in one registry. Amounts are whole tonnes and
kilograms, so the plain-Python oracle below and the database agree exactly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

from helpers_balance import add_deposit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.balance import Ledger, replay
from orebook.errors import LedgerError

LINES = [("C1", "balance"), ("C2", "balance"), ("C1", "off-balance")]
KINDS = ["exploration", "production", "loss", "writeoff", "reevaluation", "boundary",
         "transfer", "correction"]
T0 = dt.date(2000, 1, 1)
_names = itertools.count()

op_strategy = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, len(LINES) - 1),  # line (source of a transfer)
    st.integers(0, len(LINES) - 1),  # target of a transfer
    st.integers(-500, 1000),  # ore
    st.integers(-50, 100),  # metal
    st.integers(0, 3000),  # day offset
    st.integers(0, 50),  # which earlier movement a correction reverses
)
ops_strategy = st.lists(op_strategy, min_size=1, max_size=10)

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def planned(op, deposit, done):
    """The movements (line, ore, metal, date) an op would add, and the call that adds it."""
    kind, li, lj, ore, metal, day, which = op
    date = T0 + dt.timedelta(days=day)
    cat, grp = LINES[li]
    if kind == "correction":
        open_ = [m for m in done if m["kind"] != "correction" and not m["corrected"]]
        if not open_:
            return None
        target = open_[which % len(open_)]
        legs = [m for m in done if target["batch"] is not None and m["batch"] == target["batch"]
                ] or [target]
        moves = [(m["line"], -m["ore"], -m["metal"], m["date"]) for m in legs]
        return moves, ("correct", target["id"], legs)
    if kind == "transfer":
        if li == lj:
            return None
        ore, metal = abs(ore), abs(metal)
        moves = [(LINES[li], -ore, -metal, date), (LINES[lj], ore, metal, date)]
        return moves, ("transfer", {"source": LINES[li], "target": LINES[lj], "ore": ore,
                                        "metal": metal, "document": "t", "effective_date": date})
    if kind in ("reevaluation", "boundary"):
        sign = 1
    else:
        ore, metal = abs(ore), abs(metal)
        sign = 1 if kind == "exploration" else -1
    kwargs = {"ore": ore, "metal": metal, "document": "d", "effective_date": date,
                  "cause": "not confirmed" if kind == "writeoff" else None}
    return [((cat, grp), sign * ore, sign * metal, date)], ("record", cat, grp, kind, kwargs)


def valid(existing, moves):
    """The oracle: every line's running sums by date stay >= 0, and no metal without ore."""
    per_line = defaultdict(list)
    for line, ore, metal, date in list(existing) + list(moves):
        per_line[line].append((date, ore, metal))
    for line in {m[0] for m in moves}:
        by_day = defaultdict(lambda: [0, 0])
        for date, ore, metal in per_line[line]:
            by_day[date][0] += ore
            by_day[date][1] += metal
        o = m = 0
        for date in sorted(by_day):
            o += by_day[date][0]
            m += by_day[date][1]
            if o < 0 or m < 0 or (o == 0 and m > 0):
                return False
    return True


def apply(led, deposit, call):
    if call[0] == "record":
        _, cat, grp, kind, kwargs = call
        return [led.record(deposit, "Au", cat, grp, kind, **kwargs)]
    if call[0] == "transfer":
        return led.transfer(deposit, "Au", **call[1])
    return led.correct(call[1], document="fix")


def run_ops(led, deposit, ops, *, send_invalid):
    """Play ``ops``; returns (accepted, refused) counts. Checks refusals change nothing."""
    done: list[dict] = []
    existing: list[tuple] = []
    refused = 0
    for op in ops:
        plan = planned(op, deposit, done)
        if plan is None:
            continue
        moves, call = plan
        ok = valid(existing, moves)
        if not ok and not send_invalid:
            continue
        if ok:
            ids = apply(led, deposit, call)
        else:
            before = led.movements(deposit=deposit)
            try:
                apply(led, deposit, call)
            except LedgerError:
                refused += 1
            else:
                raise AssertionError(f"accepted an invalid movement: {call}")
            assert led.movements(deposit=deposit) == before
            continue
        batch = f"b{len(done)}" if len(moves) > 1 else None
        if call[0] == "correct":
            for leg in call[2]:
                leg["corrected"] = True
        for new_id, (line, ore, metal, date) in zip(ids, moves, strict=True):
            done.append({"id": new_id, "kind": "correction" if call[0] == "correct" else call[0],
                             "line": line, "ore": ore, "metal": metal,
                             "date": date, "batch": batch, "corrected": False})
        existing.extend(moves)
    return len(done), refused


def check_invariants(led, deposit):
    moves = led.movements(deposit=deposit)
    dates = sorted({m.effective_date for m in moves}) + [dt.date(2100, 1, 1)]
    for d in dates:
        for b in led.balance(d + dt.timedelta(days=1), deposit=deposit):
            assert b.ore >= 0 and b.metal >= 0
            assert b.ore > 0 or b.metal == 0
    batches = defaultdict(lambda: [0.0, 0.0])
    for m in moves:
        if m.kind == "transfer":
            batches[m.batch][0] += m.ore
            batches[m.batch][1] += m.metal
    assert all(v == [0.0, 0.0] for v in batches.values())


def new_deposit(engine):
    name = f"D{next(_names)}"
    add_deposit(engine, name)
    return name


@SETTINGS
@given(ops=ops_strategy)
def test_valid_sequences_keep_every_invariant(engine_with_gold, ops):
    engine = engine_with_gold
    deposit = new_deposit(engine)
    led = Ledger(engine)
    run_ops(led, deposit, ops, send_invalid=False)
    check_invariants(led, deposit)


@SETTINGS
@given(ops=ops_strategy)
def test_invalid_movements_are_refused_and_change_nothing(engine_with_gold, ops):
    engine = engine_with_gold
    deposit = new_deposit(engine)
    led = Ledger(engine)
    # the last op always overdraws (more ore than all the gains put together): refused
    overdraw = ("production", 0, 0, 10**6, 0, 3000, 0)
    _, refused = run_ops(led, deposit, [*ops, overdraw], send_invalid=True)
    assert refused >= 1
    check_invariants(led, deposit)


@SETTINGS
@given(ops=ops_strategy, probes=st.lists(st.integers(-10, 3100), min_size=1, max_size=5))
def test_balance_as_at_a_date_equals_a_replay(engine_with_gold, ops, probes):
    engine = engine_with_gold
    deposit = new_deposit(engine)
    led = Ledger(engine)
    run_ops(led, deposit, ops, send_invalid=False)
    moves = led.movements(deposit=deposit)
    for p in probes:
        as_of = T0 + dt.timedelta(days=p)
        got = {b.key: (b.ore, b.metal) for b in led.balance(as_of, deposit=deposit)}
        assert got == replay(moves, as_of)
        assert replay(led.movements(deposit=deposit, before=as_of), as_of) == got
