"""Property tests of the reports (hypothesis), on SQLite and PostgreSQL.

Each example builds a random hierarchy of administrative units (any depth, several roots),
deposits attached to any unit or to none, and a random sequence of valid movements of a
commodity of its own, recorded through the ledger; the reports are then checked against a
plain-Python oracle (the movements the example recorded) and against each other:

- every total equals the sum of its parts at every level of the hierarchy (a unit = its child
  units + the deposits attached to it directly; the totals row = the roots);
- the yearly form's end of year N equals its start of year N + 1 and equals Ledger.balance.

Amounts are whole tonnes and kilograms, so the sums are exact.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from orebook.balance import Ledger
from orebook.balance.reports import NO_DISTRICT, totals, yearly_form
from orebook.balance.schema import AdminUnit, Commodity, Deposit

LINES = [("A", "balance"), ("C1", "balance"), ("C2", "balance"), ("C1", "off-balance")]
YEARS = (2000, 2001, 2002)
_ids = itertools.count()

SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

world = st.fixed_dictionaries({
    # parent of unit i: None (a root) or an earlier unit
    "parents": st.lists(st.integers(-1, 10), min_size=1, max_size=6),
    # unit of each deposit (-1: none)
    "deposits": st.lists(st.integers(-1, 5), min_size=1, max_size=5),
    "ops": st.lists(st.tuples(st.sampled_from(["exploration", "production", "reevaluation",
                                               "transfer"]),
                              st.integers(0, 4),  # deposit
                              st.integers(0, len(LINES) - 1),  # line (source)
                              st.integers(0, len(LINES) - 1),  # target of a transfer
                              st.integers(1, 1000),  # ore
                              st.integers(0, 100),  # metal
                              st.integers(0, 3 * 365 + 200)),  # day from 1 January 2000
                    min_size=1, max_size=7),
})


def build(engine, w):
    """Register the example's world; record its movements; return what the oracle needs."""
    n = next(_ids)
    code = f"K{n}"
    parents = [None if i == 0 or p < 0 else p % i for i, p in enumerate(w["parents"])]
    names = [f"U{n}.{i}" for i in range(len(parents))]
    dep_units = [None if u < 0 else u % len(parents) for u in w["deposits"]]
    deps = [f"D{n}.{j}" for j in range(len(dep_units))]
    with Session(engine) as s, s.begin():
        units = []
        for i, p in enumerate(parents):
            u = AdminUnit(name=names[i], level=f"level{i}",
                          parent=units[p] if p is not None else None)
            units.append(u)
        s.add_all(units)
        s.add(Commodity(code=code, name=code, ore_unit="t", component_unit="kg",
                        grade_unit="g/t"))
        s.add_all(Deposit(name=d, admin_unit=units[u] if u is not None else None)
                  for d, u in zip(deps, dep_units, strict=True))
    led = Ledger(engine)
    cur = defaultdict(lambda: [0, 0])
    done = []  # (deposit, line, ore, metal, date)
    for kind, dj, li, lj, ore, metal, day in sorted(w["ops"], key=lambda o: o[-1]):
        dep = deps[dj % len(deps)]
        date = dt.date(2000, 1, 1) + dt.timedelta(days=day)
        if kind in ("exploration", "reevaluation"):
            led.record(dep, code, *LINES[li], kind, ore=ore, metal=metal, document="d",
                       effective_date=date)
            legs = [(LINES[li], ore, metal)]
        else:
            have = cur[(dep, LINES[li])]
            take_ore = min(ore, have[0])
            take_metal = have[1] if take_ore == have[0] else min(metal, have[1])
            if take_ore == 0 and take_metal == 0 or (kind == "transfer" and li == lj):
                continue
            if kind == "production":
                led.record(dep, code, *LINES[li], "production", ore=take_ore, metal=take_metal,
                           document="d", effective_date=date)
                legs = [(LINES[li], -take_ore, -take_metal)]
            else:
                led.transfer(dep, code, source=LINES[li], target=LINES[lj], ore=take_ore,
                             metal=take_metal, document="d", effective_date=date)
                legs = [(LINES[li], -take_ore, -take_metal), (LINES[lj], take_ore, take_metal)]
        for line, o, m in legs:
            cur[(dep, line)][0] += o
            cur[(dep, line)][1] += m
            done.append((dep, line, o, m, date))
    paths = {}
    for i in range(len(parents)):
        chain, k = [], i
        while k is not None:
            chain.append(names[k])
            k = parents[k]
        paths[i] = " / ".join(reversed(chain))
    return code, parents, paths, dict(zip(deps, dep_units, strict=True)), done


def oracle(done, as_of):
    bal = defaultdict(lambda: [0, 0])
    for dep, line, o, m, date in done:
        if date < as_of:
            bal[(dep, line)][0] += o
            bal[(dep, line)][1] += m
    return bal


def below(parents, i):
    """Unit i and every unit under it."""
    out = {i}
    changed = True
    while changed:
        changed = False
        for k, p in enumerate(parents):
            if p in out and k not in out:
                out.add(k)
                changed = True
    return out


@SETTINGS
@given(w=world, when=st.integers(0, 3 * 365 + 200))
def test_every_total_is_the_sum_of_its_parts(engine, w, when):
    code, parents, paths, dep_unit, done = build(engine, w)
    as_of = dt.date(2000, 1, 1) + dt.timedelta(days=when)
    bal = oracle(done, as_of)
    df = totals(engine, as_of, by=("district", "category", "group"), commodity=code)
    rows = df[~df["total"]]
    got = {(r.district, r.category, r.group): (r.ore, r.metal) for r in rows.itertuples()}
    # the oracle: a unit holds the deposits of every unit under it
    want = {}
    for i in range(len(parents)):
        for line in LINES:
            deps = [d for d, u in dep_unit.items() if u is not None and u in below(parents, i)]
            ore = sum(bal[(d, line)][0] for d in deps)
            metal = sum(bal[(d, line)][1] for d in deps)
            if ore or metal:
                want[(paths[i], *line)] = (ore, metal)
    for line in LINES:
        loose = [d for d, u in dep_unit.items() if u is None]
        ore, metal = sum(bal[(d, line)][0] for d in loose), sum(bal[(d, line)][1] for d in loose)
        if ore or metal:
            want[(NO_DISTRICT, *line)] = (ore, metal)
    assert got == want
    # the parts, read off the report itself: children rows + directly attached deposits
    for i in range(len(parents)):
        for line in LINES:
            parent = got.get((paths[i], *line), (0, 0))
            kids = [got.get((paths[k], *line), (0, 0)) for k, p in enumerate(parents) if p == i]
            direct = [bal[(d, line)] for d, u in dep_unit.items() if u == i]
            for q in (0, 1):
                assert parent[q] == sum(k[q] for k in kids) + sum(d[q] for d in direct)
    # the totals row is the sum of the roots (and of deposits attached to no unit)
    if len(rows):
        tot = df[df["total"]].iloc[0]
        roots = rows[rows["depth"] == 0]
        assert (tot.ore, tot.metal) == (roots["ore"].sum(), roots["metal"].sum())
        assert tot.ore == sum(v[0] for v in bal.values())


@SETTINGS
@given(w=world)
def test_yearly_form_chains_and_matches_the_ledger(engine, w):
    code, _, _, _, done = build(engine, w)
    led = Ledger(engine)
    forms = {y: yearly_form(engine, y, commodity=code, with_totals=False)
             for y in (*YEARS, YEARS[-1] + 1)}

    def column(df, which):
        return {(r.deposit, r.category, r.group): (getattr(r, f"{which}_ore"),
                                                   getattr(r, f"{which}_metal"))
                for r in df.itertuples()
                if getattr(r, f"{which}_ore") or getattr(r, f"{which}_metal")}

    for y in YEARS:
        end = column(forms[y], "end")
        assert end == column(forms[y + 1], "start")
        ledger = {(b.deposit, b.category, b.group): (b.ore, b.metal)
                  for b in led.balance(dt.date(y + 1, 1, 1), commodity=code)}
        assert end == ledger
        bal = oracle(done, dt.date(y + 1, 1, 1))
        assert end == {(d, *line): tuple(v) for (d, line), v in bal.items() if v[0] or v[1]}
