"""Answers of the report endpoints, kept so that readers under a stream of writes neither
wait for a report nor get one more than ``max_lag_s`` behind the ledger.

A district report costs ten to a hundred milliseconds of table work; fifty readers asking
for the same few reports while registrars record movements cannot recompute them for every
movement. Each answer (the encoded JSON page, or the file to download) is kept under its
request's parameters with the balance's *generation* when its computation began
(``orebook.balance.queries.balance_generation``: new movements, deposits, units, closed years,
licences; plus the service's own count of deposit edits) and the last time that generation was
found unchanged (*checked*). For a request:

- checked at most ``max_lag_s`` ago: the kept answer, at once, without asking the database
  (:meth:`ReportCache.peek` does this in the event loop); once half the lag has passed, a
  background thread checks the generation and recomputes the answer if it moved on (one
  thread, keys in the order they fall due, at most one check per key per half lag);
- checked longer ago: the request reads the generation; unchanged, the kept answer (checked
  now); else it computes the answer, or waits for the computation already running for its key
  (one per key at a time) if that began recently enough.

So an answer reflects the ledger as it was at most ``max_lag_s`` seconds before the request
(default 5 s, the setting ``OREBOOK_REPORT_LAG_S``); ``max_lag_s = 0`` is exact, and a request
can ask for exactness itself (``Cache-Control: no-cache``). Entries expire ``ttl_s`` (30 s)
after their computation, which bounds how stale an answer can be after a change the generation
does not see (a deposit edited by another process). At most ``max_entries`` answers and
``max_bytes`` in all, least recently used dropped first. Thread-safe.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["ReportCache"]

log = logging.getLogger(__name__)

_IDLE_EXIT_S = 10.0     # the refresher thread ends after this long without work


@dataclass
class _Entry:
    generation: Hashable
    began: float            # time.monotonic() when its computation began
    checked: float          # the latest time the balance was known to be at ``generation``
    value: bytes


class ReportCache:
    def __init__(self, *, max_lag_s: float = 5.0, ttl_s: float = 30.0,
                 max_entries: int = 256, max_bytes: int = 64 * 1024 * 1024) -> None:
        if not 0 <= max_lag_s < ttl_s:
            raise ValueError(f"max_lag_s must be >= 0 and below ttl_s, got {max_lag_s}")
        self.max_lag_s, self.ttl_s = max_lag_s, ttl_s
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.edits = 0          # deposit edits made through this service
        self.hits = self.checks = self.computed = self.refreshed = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._running: dict[Hashable, threading.Event] = {}
        self._due: list[tuple[float, int, Hashable]] = []      # the refresher's heap
        self._pending: dict[Hashable, tuple[Callable, Callable]] = {}
        self._seq = 0
        self._wake = threading.Condition(self._lock)
        self._refresher: threading.Thread | None = None

    def edited(self) -> None:
        """Count an edit the generation does not see (a deposit's attributes)."""
        with self._lock:
            self.edits += 1

    def get(self, key: Hashable, generation: Callable[[], Hashable],
            compute: Callable[[], bytes], *, exact: bool = False) -> bytes:
        """The answer for ``key``: kept, or ``compute()``d (and kept). ``generation()`` reads
        the balance's generation; ``exact`` allows no lag at all."""
        arrived = time.monotonic()
        while True:
            kept = self._within_lag(key, arrived, generation, compute, exact)
            if kept is not None:
                return kept
            if self._revalidate(key, generation):
                continue        # unchanged: checked now, so within any lag
            with self._lock:
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()      # then look again: its answer may do, or it failed
        return self._compute(key, generation, compute, running)

    def peek(self, key: Hashable, generation: Callable[[], Hashable],
             compute: Callable[[], bytes], *, exact: bool = False) -> bytes | None:
        """The kept answer if it may be served without asking the balance (its generation was
        checked less than the lag ago), else ``None``: never blocks, for the event loop."""
        return self._within_lag(key, time.monotonic(), generation, compute, exact)

    def stats(self) -> dict:
        """Counts of answers kept, served, checked against the balance and computed."""
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "hits": self.hits,
                    "checks": self.checks, "computed": self.computed,
                    "refreshed": self.refreshed}

    # ------------------------------------------------------------------ inside
    def _generation(self, generation: Callable[[], Hashable]) -> Hashable:
        return (generation(), self.edits)

    def _within_lag(self, key, now: float, generation, compute, exact: bool) -> bytes | None:
        max_lag = 0.0 if exact else self.max_lag_s
        with self._lock:
            entry = self._usable(key, now)
            if entry is None or now - entry.checked > max_lag:
                return None
            self.hits += 1
            if self.max_lag_s > 0 and now - entry.checked >= self.max_lag_s / 2:
                self._schedule(key, entry, generation, compute)
            return entry.value

    def _usable(self, key, now: float) -> _Entry | None:
        """The entry of ``key`` unless expired (called with the lock held)."""
        entry = self._entries.get(key)
        if entry is None or now - entry.began >= self.ttl_s:
            return None
        self._entries.move_to_end(key)
        return entry

    def _compute(self, key, generation, compute, running: threading.Event) -> bytes:
        """Compute ``key`` (this thread holds its running event) and keep the answer."""
        try:
            began = time.monotonic()
            current = self._generation(generation)
            value = compute()
            with self._lock:
                self.computed += 1
                self._keep(key, _Entry(current, began, began, value))
            return value
        finally:
            self._release(key, running)

    def _keep(self, key, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.value)
            if old.began > entry.began:        # a later computation finished first
                entry = old
        self._entries[key] = entry
        self._bytes += len(entry.value)
        while self._entries and (len(self._entries) > self.max_entries
                                 or self._bytes > self.max_bytes):
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.value)

    def _schedule(self, key, entry: _Entry, generation, compute) -> None:
        """Check ``key`` against the balance in the background, and recompute it if it
        changed (called with the lock held, once half the lag has passed)."""
        if key in self._pending or key in self._running:
            return
        self._pending[key] = (generation, compute)
        self._seq += 1
        heapq.heappush(self._due, (entry.checked + self.max_lag_s / 2, self._seq, key))
        if self._refresher is None:
            self._refresher = threading.Thread(target=self._refresh_loop, daemon=True,
                                               name="orebook-report-refresh")
            self._refresher.start()
        self._wake.notify()

    def _refresh_loop(self) -> None:
        """One thread checks and recomputes the scheduled keys, in the order they fall due;
        it ends after a while without work (the next schedule starts another)."""
        while True:
            with self._lock:
                idle_since = time.monotonic()
                while True:
                    now = time.monotonic()
                    if self._due and self._due[0][0] <= now:
                        _, _, key = heapq.heappop(self._due)
                        generation, compute = self._pending.pop(key)
                        if key in self._running:        # a request computes it already
                            continue
                        running = self._running[key] = threading.Event()
                        break
                    if not self._due and now - idle_since > _IDLE_EXIT_S:
                        self._refresher = None
                        return
                    self._wake.wait(self._due[0][0] - now if self._due else _IDLE_EXIT_S)
            try:
                if self._revalidate(key, generation):
                    self._release(key, running)
                else:
                    self._compute(key, generation, compute, running)
                    with self._lock:
                        self.refreshed += 1
            except Exception:       # the next request beyond the lag computes it and answers
                log.exception("refreshing a report failed")
                self._release(key, running)

    def _revalidate(self, key, generation) -> bool:
        """Whether the kept answer of ``key`` is still that of the balance (it is then marked
        checked now)."""
        asked = time.monotonic()
        current = self._generation(generation)
        with self._lock:
            self.checks += 1
            entry = self._usable(key, asked)
            if entry is None or entry.generation != current:
                return False
            entry.checked = max(entry.checked, asked)
            return True

    def _release(self, key, running: threading.Event) -> None:
        """End this thread's hold on ``key`` (if it still holds it) and wake its waiters."""
        with self._lock:
            if self._running.get(key) is running:
                del self._running[key]
        running.set()
