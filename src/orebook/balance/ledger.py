"""The ledger of the state balance: movements in, balances out, books that always balance.

Every write runs in one transaction that first locks the deposit × commodity rows it touches
(``SELECT … FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), inserts the movements,
then checks the invariants of ``shared/CONVENTIONS.md`` on every line it touched:

- no quantity (ore or metal) below zero on any date from the movement onwards;
- grade = metal / ore: a line with no ore holds no metal;
- the legs of a transfer net to zero within the deposit;
- nothing is dated inside a closed year.

A movement that would break one is refused with a :class:`~orebook.errors.LedgerError` naming
the deposit, commodity, category and group and by how much, and nothing is written.

Signs: :meth:`Ledger.record` takes production, losses, write-off and exploration gains as
non-negative amounts (the ledger applies the sign); re-evaluation and boundary changes are
signed. Balances are as at the **start** of a date (``as_of`` excludes movements dated on it),
so the balance "as at 1 January 2021" is the end of 2020.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, insert, select
from sqlalchemy.orm import Session

from orebook.balance.db import AuditHook, write_engine
from orebook.balance.db import audited as _audited
from orebook.balance.schema import (
    CATEGORIES,
    GROUPS,
    Approval,
    ClosedYear,
    Commodity,
    Deposit,
    DepositAlias,
    Estimate,
    LedgerHead,
    Movement,
    Organisation,
    YearBalance,
)
from orebook.errors import ConflictError, LedgerError, NotFoundError, ParameterError

__all__ = ["TOLERANCE", "BalanceLine", "Ledger", "MovementRecord", "replay"]

#: Quantities closer to zero than this (in the commodity's units) count as zero.
TOLERANCE = 1e-6

#: kind -> sign applied to the non-negative amounts given to :meth:`Ledger.record`
_SIGNED_BY_KIND = {"production": -1, "loss": -1, "writeoff": -1, "exploration": +1}
_FREE_SIGN_KINDS = ("reevaluation", "boundary")


@dataclass(frozen=True)
class BalanceLine:
    """Reserves of one deposit × commodity × category × group, in ore and metal units."""

    deposit: str
    commodity: str
    category: str
    group: str
    ore: float
    metal: float

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.deposit, self.commodity, self.category, self.group)

    @property
    def metal_per_ore(self) -> float:
        """metal / ore in the commodity's component and ore units (0 where no ore)."""
        return self.metal / self.ore if self.ore > TOLERANCE else 0.0


@dataclass(frozen=True)
class MovementRecord:
    """A movement as read back from the ledger (signed ``ore`` and ``metal``)."""

    id: int
    deposit: str
    commodity: str
    category: str
    group: str
    kind: str
    ore: float
    metal: float
    effective_date: dt.date
    document: str
    cause: str | None
    batch: str | None
    corrects_id: int | None
    approval_id: int | None


def replay(movements: Iterable[MovementRecord], as_of: dt.date) -> dict[tuple, tuple]:
    """Sum ``movements`` dated before ``as_of`` per line: ``{key: (ore, metal)}`` (plain
    Python, the reference the ledger's SQL sums are tested against)."""
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for m in movements:
        if m.effective_date < as_of:
            s = sums[(m.deposit, m.commodity, m.category, m.group)]
            s[0] += m.ore
            s[1] += m.metal
    return {k: (v[0], v[1]) for k, v in sums.items()
            if abs(v[0]) > TOLERANCE or abs(v[1]) > TOLERANCE}


class Ledger:
    """Record movements and derive balances on the registry behind ``engine``.

    Each method is one transaction; a refused write leaves the database as it was.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = write_engine(engine)

    # ---------------------------------------------------------------- transactions
    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    # ---------------------------------------------------------------- writes
    def record(
        self,
        deposit: str,
        commodity: str,
        category: str,
        group: str,
        kind: str,
        *,
        ore: float,
        metal: float,
        document: str,
        effective_date: dt.date,
        cause: str | None = None,
        audit: AuditHook | None = None,
    ) -> int:
        """Record one movement and return its id.

        Parameters
        ----------
        deposit : deposit name or alias.
        commodity : commodity code ("Au").
        category, group : "A", "B", "C1", "C2"; "balance" or "off-balance".
        kind : "production", "loss", "exploration", "writeoff" (amounts ≥ 0, the ledger applies
            the sign), "reevaluation" or "boundary" (signed changes).
        ore, metal : in the commodity's ore and component units.
        document : the protocol, report or form the movement comes from.
        effective_date : the date the change takes effect.
        cause : why (required for a write-off).
        audit : called with the session and the result inside the transaction, before it
            commits (every write method takes it: the service records who wrote there, so a
            write and its audit entry commit together or not at all).
        """
        _check_line(category, group)
        if kind in _SIGNED_BY_KIND:
            if ore < 0 or metal < 0:
                raise ParameterError(f"{kind}: ore and metal are amounts >= 0 "
                                     f"(the ledger applies the sign), found {ore}, {metal}")
            sign = _SIGNED_BY_KIND[kind]
        elif kind in _FREE_SIGN_KINDS:
            sign = 1
        else:
            raise ParameterError(
                f"kind {kind!r}: expected one of {sorted(_SIGNED_BY_KIND) + list(_FREE_SIGN_KINDS)}"
                " (transfers, corrections and approvals have their own methods)")
        if kind == "writeoff" and not cause:
            raise ParameterError("writeoff: give its cause (mined out, lost, not confirmed, …)")
        _check_document(document)
        with self._write() as s:
            dep, com = _deposit(s, deposit), _commodity(s, commodity)
            m = Movement(deposit_id=dep.id, commodity_id=com.id, category=category,
                         group=group, kind=kind, ore=sign * float(ore), metal=sign * float(metal),
                         effective_date=effective_date, document=document, cause=cause)
            self._apply(s, [m])
            return _audited(s, audit, m.id)

    def transfer(
        self,
        deposit: str,
        commodity: str,
        *,
        source: tuple[str, str],
        target: tuple[str, str],
        ore: float,
        metal: float,
        document: str,
        effective_date: dt.date,
        cause: str | None = None,
        audit: AuditHook | None = None,
    ) -> list[int]:
        """Move ``ore`` and ``metal`` (≥ 0) from the line ``source`` = (category, group) to the
        line ``target``; the two legs net to zero. Returns the ids of both legs."""
        _check_line(*source)
        _check_line(*target)
        if tuple(source) == tuple(target):
            raise ParameterError(f"transfer: source and target are the same line {source}")
        if ore < 0 or metal < 0:
            raise ParameterError(f"transfer: ore and metal are amounts >= 0, found {ore}, {metal}")
        _check_document(document)
        batch = uuid.uuid4().hex
        with self._write() as s:
            dep, com = _deposit(s, deposit), _commodity(s, commodity)
            legs = [Movement(deposit_id=dep.id, commodity_id=com.id, category=cat, group=grp,
                             kind="transfer", ore=sign * float(ore), metal=sign * float(metal),
                             effective_date=effective_date, document=document, cause=cause,
                             batch=batch)
                    for (cat, grp), sign in ((source, -1), (target, +1))]
            self._apply(s, legs)
            return _audited(s, audit, [m.id for m in legs])

    def correct(
        self,
        movement_id: int,
        *,
        document: str,
        effective_date: dt.date | None = None,
        cause: str | None = None,
        audit: AuditHook | None = None,
    ) -> list[int]:
        """Reverse movement ``movement_id`` (every leg of its transfer or approval together)
        with new movements that cite it; history is never updated. Returns the new ids.

        ``effective_date`` defaults to the corrected movement's own date.
        """
        _check_document(document)
        with self._write() as s:
            original = s.get(Movement, movement_id)
            if original is None:
                raise NotFoundError(f"movement {movement_id}: no such movement")
            if original.batch is not None:
                group_ = list(s.scalars(select(Movement).where(Movement.batch == original.batch)
                                        .order_by(Movement.id)))
            else:
                group_ = [original]
            for m in group_:
                if m.kind == "correction":
                    raise ConflictError(f"movement {m.id} is itself a correction; record the "
                                         "right figures as a new movement instead")
                done = s.scalar(select(Movement.id).where(Movement.corrects_id == m.id))
                if done is not None:
                    raise ConflictError(f"movement {m.id} was already corrected by movement "
                                         f"{done}")
            batch = uuid.uuid4().hex if len(group_) > 1 else None
            new = [Movement(deposit_id=m.deposit_id, commodity_id=m.commodity_id,
                            category=m.category, group=m.group, kind="correction",
                            ore=-m.ore, metal=-m.metal,
                            effective_date=effective_date or m.effective_date,
                            document=document, cause=cause, batch=batch, corrects_id=m.id)
                   for m in group_]
            self._apply(s, new)
            return _audited(s, audit, [m.id for m in new])

    def approve(
        self,
        estimate_id: int,
        *,
        protocol: str,
        date: dt.date,
        commission: str | None = None,
        decision: str = "approved",
        audit: AuditHook | None = None,
    ) -> list[int]:
        """Record a commission's decision on an estimate. When approved, generate the movements
        that take each of the estimate's commodities of the deposit from its balance at the end
        of ``date`` to the approved figures (lines the estimate omits go to zero), so the books
        never jump. Returns the ids of the generated movements."""
        if decision not in ("approved", "rejected", "returned"):
            raise ParameterError(f"decision {decision!r}: expected approved, rejected or returned")
        _check_document(protocol)
        with self._write() as s:
            est = s.get(Estimate, estimate_id)
            if est is None:
                raise NotFoundError(f"estimate {estimate_id}: no such estimate")
            com_org = None
            if commission is not None:
                com_org = s.scalar(select(Organisation).where(Organisation.name == commission))
                if com_org is None:
                    raise ParameterError(f"commission {commission!r}: no such organisation")
            approval = Approval(estimate_id=est.id, protocol=protocol, date=date,
                                decision=decision,
                                commission_id=com_org.id if com_org else None)
            s.add(approval)
            s.flush()
            if decision != "approved":
                return _audited(s, audit, [])
            targets: dict[tuple[int, str, str], tuple[float, float]] = {}
            for line in est.lines:
                _check_line(line.category, line.group)
                targets[(line.commodity_id, line.category, line.group)] = (line.ore, line.metal)
            commodity_ids = sorted({k[0] for k in targets})
            self._lock(s, [(est.deposit_id, c) for c in commodity_ids])
            current = {k[1:]: v for k, v in _sums(s, date + dt.timedelta(days=1),
                                                  deposit_id=est.deposit_id,
                                                  commodity_ids=commodity_ids).items()}
            batch = uuid.uuid4().hex
            new = []
            for key in sorted(set(targets) | set(current)):
                ore_t, metal_t = targets.get(key, (0.0, 0.0))
                ore_c, metal_c = current.get(key, (0.0, 0.0))
                d_ore, d_metal = ore_t - ore_c, metal_t - metal_c
                if abs(d_ore) <= TOLERANCE and abs(d_metal) <= TOLERANCE:
                    continue
                new.append(Movement(deposit_id=est.deposit_id, commodity_id=key[0],
                                    category=key[1], group=key[2], kind="approval",
                                    ore=d_ore, metal=d_metal, effective_date=date,
                                    document=protocol, batch=batch, approval_id=approval.id,
                                    cause=f"estimate {est.id} approved"))
            self._apply(s, new, locked=True)
            return _audited(s, audit, [m.id for m in new])

    def close_year(self, year: int, *, audit: AuditHook | None = None) -> list[BalanceLine]:
        """Close ``year`` as at 1 January of ``year + 1``: check the invariants, freeze the
        balance, and refuse any later movement dated before that day. Returns the balance."""
        end = dt.date(year + 1, 1, 1)
        start = dt.date(year, 1, 1)
        with self._write() as s:
            last = s.scalar(select(func.max(ClosedYear.year)))
            if last is not None and year <= last:
                raise LedgerError(f"year {year} is already closed (last closed: {last})")
            if last is not None and year != last + 1:
                raise LedgerError(f"year {year}: close {last + 1} first (last closed: {last})")
            names = _names(s)
            # start of year = end of the previous year, as frozen when it was closed
            if last is not None:
                frozen = {(r.deposit_id, r.commodity_id, r.category, r.group): (r.ore, r.metal)
                          for r in s.scalars(select(YearBalance).where(YearBalance.year == last))}
                derived = _sums(s, start)
                for key in sorted(set(frozen) | set(derived)):
                    fo, fm = frozen.get(key, (0.0, 0.0))
                    do, dm = derived.get(key, (0.0, 0.0))
                    if abs(fo - do) > TOLERANCE or abs(fm - dm) > TOLERANCE:
                        raise _line_error(names, key, f"start of {year} (ore {do:g}, metal "
                                          f"{dm:g}) differs from the end of {last} as closed "
                                          f"(ore {fo:g}, metal {fm:g})",
                                          by=max(abs(fo - do), abs(fm - dm)))
            # transfers net to zero within each deposit × commodity over the year
            rows = s.execute(
                select(Movement.deposit_id, Movement.commodity_id, func.sum(Movement.ore),
                       func.sum(Movement.metal))
                .where(Movement.kind == "transfer", Movement.effective_date >= start,
                       Movement.effective_date < end)
                .group_by(Movement.deposit_id, Movement.commodity_id))
            for dep_id, com_id, ore, metal in rows:
                if abs(ore) > TOLERANCE or abs(metal) > TOLERANCE:
                    raise LedgerError(
                        f"transfers in {year} do not net to zero (ore {ore:g}, metal {metal:g})",
                        deposit=names["deposit"][dep_id], commodity=names["commodity"][com_id],
                        by=max(abs(ore), abs(metal)))
            if last is not None:
                # the end of the year = the frozen start (checked above) + the year's movements:
                # one scan of the year, not of the whole ledger
                closing = dict(frozen)
                for key, (ore, metal) in _sums(s, end, since=start, keep_zero=True).items():
                    fo, fm = closing.get(key, (0.0, 0.0))
                    closing[key] = (fo + ore, fm + metal)
                closing = {k: v for k, v in closing.items()
                           if abs(v[0]) > TOLERANCE or abs(v[1]) > TOLERANCE}
            else:
                closing = _sums(s, end)
            for key, (ore, metal) in closing.items():
                _check_quantities(names, key, ore, metal, end)
            s.add(ClosedYear(year=year))
            s.flush()
            if closing:
                s.execute(insert(YearBalance.__table__), [
                    {"year": year, "deposit_id": k[0], "commodity_id": k[1], "category": k[2],
                     "grp": k[3], "ore": v[0], "metal": v[1]} for k, v in closing.items()])
            return _audited(s, audit, _lines(names, closing))

    # ---------------------------------------------------------------- reads
    def balance(
        self,
        as_of: dt.date,
        *,
        deposit: str | None = None,
        commodity: str | None = None,
    ) -> list[BalanceLine]:
        """The balance as at the start of ``as_of``, derived from the movements dated before it;
        lines at zero are left out. Optionally one deposit and/or one commodity."""
        with self._read() as s:
            dep_id = _deposit(s, deposit).id if deposit is not None else None
            com_ids = [_commodity(s, commodity).id] if commodity is not None else None
            return _lines(_names(s), _sums(s, as_of, deposit_id=dep_id, commodity_ids=com_ids))

    def movements(
        self,
        *,
        deposit: str | None = None,
        commodity: str | None = None,
        before: dt.date | None = None,
    ) -> list[MovementRecord]:
        """The movements, in order of effective date then of recording."""
        with self._read() as s:
            q = (select(Movement, Deposit.name, Commodity.code)
                 .join(Deposit, Deposit.id == Movement.deposit_id)
                 .join(Commodity, Commodity.id == Movement.commodity_id)
                 .order_by(Movement.effective_date, Movement.id))
            if deposit is not None:
                q = q.where(Movement.deposit_id == _deposit(s, deposit).id)
            if commodity is not None:
                q = q.where(Movement.commodity_id == _commodity(s, commodity).id)
            if before is not None:
                q = q.where(Movement.effective_date < before)
            return [MovementRecord(m.id, dname, ccode, m.category, m.group, m.kind, m.ore,
                                   m.metal, m.effective_date, m.document, m.cause, m.batch,
                                   m.corrects_id, m.approval_id)
                    for m, dname, ccode in s.execute(q)]

    def closed_years(self) -> list[int]:
        with self._read() as s:
            return list(s.scalars(select(ClosedYear.year).order_by(ClosedYear.year)))

    # ---------------------------------------------------------------- the checks
    def _lock(self, s: Session, heads: Iterable[tuple[int, int]]) -> None:
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        for dep_id, com_id in sorted(set(heads)):  # one order for all writers: no deadlock
            s.execute(insert(LedgerHead).values(deposit_id=dep_id, commodity_id=com_id,
                                                movements=0).on_conflict_do_nothing())
            q = select(LedgerHead).where(LedgerHead.deposit_id == dep_id,
                                         LedgerHead.commodity_id == com_id)
            if dialect == "postgresql":
                q = q.with_for_update()
            s.execute(q)

    def _apply(self, s: Session, new: list[Movement], *, locked: bool = False) -> None:
        if not new:
            return
        if not locked:
            self._lock(s, [(m.deposit_id, m.commodity_id) for m in new])
        names = _names(s)
        last = s.scalar(select(func.max(ClosedYear.year)))
        for m in new:
            if last is not None and m.effective_date < dt.date(last + 1, 1, 1):
                raise _line_error(names, _key(m), f"{m.effective_date} falls in closed year "
                                  f"{last} or before; date it {last + 1}-01-01 or later")
        # transfers net to zero within the deposit × commodity
        net: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for m in new:
            if m.kind == "transfer":
                net[(m.deposit_id, m.commodity_id)][0] += m.ore
                net[(m.deposit_id, m.commodity_id)][1] += m.metal
        for (dep_id, com_id), (ore, metal) in net.items():
            if abs(ore) > TOLERANCE or abs(metal) > TOLERANCE:
                raise LedgerError(f"transfer does not net to zero (ore {ore:g}, metal {metal:g})",
                                  deposit=names["deposit"][dep_id],
                                  commodity=names["commodity"][com_id],
                                  by=max(abs(ore), abs(metal)))
        s.add_all(new)
        s.flush()
        for key in sorted({_key(m) for m in new}):
            first = min(m.effective_date for m in new if _key(m) == key)
            dep_id, com_id, cat, grp = key
            rows = s.execute(
                select(Movement.effective_date, func.sum(Movement.ore), func.sum(Movement.metal))
                .where(Movement.deposit_id == dep_id, Movement.commodity_id == com_id,
                       Movement.category == cat, Movement.group == grp)
                .group_by(Movement.effective_date).order_by(Movement.effective_date))
            ore = metal = 0.0
            for day, d_ore, d_metal in rows:
                ore += d_ore
                metal += d_metal
                if day >= first:
                    _check_quantities(names, key, ore, metal, day + dt.timedelta(days=1))
        for dep_id, com_id in {(m.deposit_id, m.commodity_id) for m in new}:
            head = s.get(LedgerHead, (dep_id, com_id))
            head.movements += sum(1 for m in new if (m.deposit_id, m.commodity_id)
                                  == (dep_id, com_id))
        s.flush()


# -------------------------------------------------------------------- helpers
def _key(m: Movement) -> tuple[int, int, str, str]:
    return (m.deposit_id, m.commodity_id, m.category, m.group)


def _check_line(category: str, group: str) -> None:
    if category not in CATEGORIES:
        raise ParameterError(f"category {category!r}: expected one of {', '.join(CATEGORIES)} "
                             "(P1–P3 are prognostic and never enter the balance)")
    if group not in GROUPS:
        raise ParameterError(f"group {group!r}: expected one of {', '.join(GROUPS)}")


def _check_document(document: str) -> None:
    if not document or not str(document).strip():
        raise ParameterError("document: every movement cites its document (protocol, report, "
                             "form); none given")


def _check_quantities(names: dict, key: tuple, ore: float, metal: float,
                      as_of: dt.date) -> None:
    for quantity, value in (("ore", ore), ("metal", metal)):
        if value < -TOLERANCE:
            raise _line_error(names, key, f"{quantity} would fall below zero as at {as_of} "
                              f"(to {value:g}), short by {-value:g}",
                              quantity=quantity, by=-value)
    if ore <= TOLERANCE and metal > TOLERANCE:
        raise _line_error(names, key, f"metal {metal:g} would remain with no ore as at {as_of} "
                          "(grade = metal / ore is undefined)", quantity="metal", by=metal)


def _line_error(names: dict, key: tuple, message: str, *, quantity: str | None = None,
                by: float | None = None) -> LedgerError:
    dep_id, com_id, cat, grp = key
    return LedgerError(message, deposit=names["deposit"][dep_id],
                       commodity=names["commodity"][com_id], category=cat, group=grp,
                       quantity=quantity, by=by)


def _names(s: Session) -> dict[str, dict[int, str]]:
    return {"deposit": dict(s.execute(select(Deposit.id, Deposit.name)).all()),
            "commodity": dict(s.execute(select(Commodity.id, Commodity.code)).all())}


def _deposit(s: Session, name: str) -> Deposit:
    """The deposit by name or alias: exactly as written, else without regard to case."""
    dep = s.scalar(select(Deposit).where(Deposit.name == name))
    if dep is None:
        dep = s.scalar(select(Deposit).join(DepositAlias).where(DepositAlias.alias == name))
    if dep is None and isinstance(name, str):
        key = name.strip().lower()
        dep = s.scalars(select(Deposit).where(func.lower(Deposit.name) == key)
                        .order_by(Deposit.id)).first()
        if dep is None:
            dep = s.scalars(select(Deposit).join(DepositAlias)
                            .where(func.lower(DepositAlias.alias) == key)
                            .order_by(Deposit.id)).first()
    if dep is None:
        raise NotFoundError(f"deposit {name!r}: not in the registry (name or alias)")
    return dep


def _commodity(s: Session, code: str) -> Commodity:
    com = s.scalar(select(Commodity).where(Commodity.code == code))
    if com is None and isinstance(code, str):
        com = s.scalars(select(Commodity).where(func.lower(Commodity.code)
                                                == code.strip().lower())
                        .order_by(Commodity.id)).first()
    if com is None:
        raise NotFoundError(f"commodity {code!r}: not in the registry")
    return com


def _sums(s: Session, as_of: dt.date, *, deposit_id: int | None = None,
          commodity_ids: list[int] | None = None, since: dt.date | None = None,
          keep_zero: bool = False) -> dict[tuple, tuple[float, float]]:
    """Ore and metal per line summed over the movements dated before ``as_of`` (and on or
    after ``since``); lines within :data:`TOLERANCE` of zero are left out unless
    ``keep_zero``."""
    conds = [Movement.effective_date < as_of]
    if since is not None:
        conds.append(Movement.effective_date >= since)
    if deposit_id is not None:
        conds.append(Movement.deposit_id == deposit_id)
    if commodity_ids is not None:
        conds.append(Movement.commodity_id.in_(commodity_ids))
    rows = s.execute(
        select(Movement.deposit_id, Movement.commodity_id, Movement.category, Movement.group,
               func.sum(Movement.ore), func.sum(Movement.metal))
        .where(and_(*conds))
        .group_by(Movement.deposit_id, Movement.commodity_id, Movement.category, Movement.group))
    return {(d, c, cat, grp): (ore, metal) for d, c, cat, grp, ore, metal in rows
            if keep_zero or abs(ore) > TOLERANCE or abs(metal) > TOLERANCE}


def _lines(names: dict, sums: dict[tuple, tuple[float, float]]) -> list[BalanceLine]:
    out = [BalanceLine(names["deposit"][k[0]], names["commodity"][k[1]], k[2], k[3],
                       _clean(v[0]), _clean(v[1])) for k, v in sums.items()]
    return sorted(out, key=lambda b: (b.deposit, b.commodity, CATEGORIES.index(b.category),
                                      GROUPS.index(b.group)))


def _clean(x: float) -> float:
    return 0.0 if abs(x) <= TOLERANCE else x
