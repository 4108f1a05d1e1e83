"""Who an API token or a session belongs to, kept for a moment so that a request that needs
nothing else from the database asks it nothing.

A token's user (or a session's user row) read from the registry is kept for ``recheck_s``
seconds (default 1; the setting ``OREBOOK_AUTH_RECHECK_S``), then read again by one request
while the others go on with the kept user. The service forgets every kept user at once when it
changes an account itself (role, activity), so its own changes count at the next request; a
change made behind its back (a token revoked from the command line, another server process)
counts within ``2 × recheck_s``. Unknown tokens are never kept (each costs its query and gets
its 401). Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

from orebook.balance.accounts import UserInfo

__all__ = ["AuthCache"]


class AuthCache:
    def __init__(self, *, recheck_s: float = 1.0, max_entries: int = 10_000) -> None:
        self.recheck_s, self.max_entries = recheck_s, max_entries
        self._lock = threading.Lock()
        self._users: OrderedDict[Hashable, tuple[float, UserInfo]] = OrderedDict()
        self._rereading: set[Hashable] = set()

    def get(self, key: Hashable) -> UserInfo | None:
        """The user kept under ``key`` if read less than ``recheck_s`` ago, else ``None``: the
        caller reads it again and :meth:`put`s it (or :meth:`forget`s it). While one request
        reads it again, the others go on with the kept user, for at most ``recheck_s`` more."""
        with self._lock:
            hit = self._users.get(key)
            if hit is None:
                return None
            age = time.monotonic() - hit[0]
            if age < self.recheck_s:
                return hit[1]
            if key not in self._rereading:
                self._rereading.add(key)
                return None
            return hit[1] if age < 2 * self.recheck_s else None

    def put(self, key: Hashable, user: UserInfo, read_at: float) -> None:
        """Keep ``user``, read from the registry at ``read_at`` (``time.monotonic()``)."""
        with self._lock:
            self._rereading.discard(key)
            self._users[key] = (read_at, user)
            self._users.move_to_end(key)
            while len(self._users) > self.max_entries:
                self._users.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` (its token or user is no longer valid)."""
        with self._lock:
            self._rereading.discard(key)
            self._users.pop(key, None)

    def clear(self) -> None:
        """Forget every kept user (after a change of accounts)."""
        with self._lock:
            self._users.clear()
            self._rereading.clear()
