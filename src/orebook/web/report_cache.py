"""Answers of the report endpoints kept while the balance has not changed.

A district report costs tens of milliseconds of table work; fifty readers asking for the same
few reports would queue behind each other. Each answer is kept under its request's parameters
with the balance's *generation* (``orebook.balance.queries.balance_generation``: new movements,
deposits, units, closed years, licences) and the service's own count of deposit edits; a
request whose generation differs computes afresh. Entries also expire after ``ttl_s`` (30 s),
which bounds how stale an answer can be after a change the generation does not see (a deposit
edited by another process). Thread-safe; at most ``max_entries`` answers, least recently used
dropped first.

One computation per key at a time: while one request computes a key's new answer, the others
asking for it get the answer it replaces (at most one change old: they ran concurrently with the
change) or, when there is none yet, wait for it. Fifty readers arriving just after a movement
thus cost one report, not fifty; a reader alone always gets the fresh answer.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["ReportCache"]


class ReportCache:
    def __init__(self, *, max_entries: int = 256, ttl_s: float = 30.0) -> None:
        self.max_entries, self.ttl_s = max_entries, ttl_s
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Hashable, float, Any]] = OrderedDict()
        self.edits = 0          # deposit edits made through this service
        self.hits = self.misses = self.stale = 0
        self._running: dict[Hashable, threading.Event] = {}

    def edited(self) -> None:
        """Count an edit the generation does not see (a deposit's attributes)."""
        with self._lock:
            self.edits += 1

    def get(self, key: Hashable, generation: Hashable, compute: Callable[[], Any]) -> Any:
        """The kept answer for ``key`` at ``generation``, else ``compute()`` (kept)."""
        now = time.monotonic()
        generation = (generation, self.edits)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == generation and now - hit[1] < self.ttl_s:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit[2]
            running = self._running.get(key)
            if running is not None and hit is not None and now - hit[1] < self.ttl_s:
                self.stale += 1
                return hit[2]            # being recomputed by a concurrent request
            if running is None:
                running = self._running[key] = threading.Event()
                mine = True
            else:
                mine = False
            self.misses += 1
        if not mine:
            running.wait()
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None:
                return hit[2]
            return compute()             # the other computation failed: try ourselves
        try:
            value = compute()
            with self._lock:
                self._entries[key] = (generation, now, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._running[key]
            running.set()
