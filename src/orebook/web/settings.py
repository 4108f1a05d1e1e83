"""The service's settings: one typed object, from arguments or the environment.

- ``OREBOOK_BALANCE_DB``: the database URL, as for ``orebook balance`` (default: the SQLite
  registry ``orebook-balance.sqlite`` in the current folder);
- ``OREBOOK_SECRET_KEY``: the key that signs session cookies (at least 32 characters;
  required*);
- ``OREBOOK_PUBLIC=1``: anonymous visitors may read (public read-only mode; default off);
- ``OREBOOK_SECURE=1``: cookies only over HTTPS (set it behind a TLS proxy; default off);
- ``OREBOOK_REPORT_LAG_S``: how far behind the ledger a kept report answer may be while
  movements are being written, in seconds (default 5; 0 = every answer exact; see
  ``orebook.web.report_cache``);
- ``OREBOOK_AUTH_RECHECK_S``: how long a token's or a session's user is kept before it is
  read again, in seconds (default 1; 0 = read on every request; see
  ``orebook.web.auth_cache``).

\\* ``orebook serve`` creates a random key and keeps it in a file beside a SQLite database
(mode 600) when none is given, so sessions survive a restart; with PostgreSQL the key must
be given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from orebook.errors import ParameterError

__all__ = ["Settings"]

_PLACEHOLDERS = {"changethis", "secret", "changeme", "development"}


@dataclass(frozen=True)
class Settings:
    """What the service needs to run."""

    db_url: str
    secret_key: str
    public_read: bool = False
    secure_cookies: bool = False
    session_max_age_s: int = 12 * 3600
    page_size: int = 50
    max_page_size: int = 500
    max_upload_bytes: int = 5 * 1024 * 1024
    report_lag_s: float = 5.0
    auth_recheck_s: float = 1.0
    threads: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.secret_key, str) or len(self.secret_key) < 32 \
                or self.secret_key.lower() in _PLACEHOLDERS:
            raise ParameterError("the secret key (OREBOOK_SECRET_KEY) must be a random string "
                                 "of at least 32 characters")
        for name, value in (("REPORT_LAG_S", self.report_lag_s),
                            ("AUTH_RECHECK_S", self.auth_recheck_s)):
            if not 0 <= value <= 25:
                raise ParameterError(f"OREBOOK_{name}: expected 0 to 25 seconds, got {value}")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the ``OREBOOK_*`` environment variables, then ``overrides``."""
        from orebook.balance import DEFAULT_URL

        values = {
            "db_url": os.environ.get("OREBOOK_BALANCE_DB", DEFAULT_URL),
            "secret_key": os.environ.get("OREBOOK_SECRET_KEY", ""),
            "public_read": os.environ.get("OREBOOK_PUBLIC", "0") == "1",
            "secure_cookies": os.environ.get("OREBOOK_SECURE", "0") == "1",
        }
        for name in ("REPORT_LAG_S", "AUTH_RECHECK_S"):
            text = os.environ.get(f"OREBOOK_{name}")
            if text is not None:
                try:
                    values[name.lower()] = float(text)
                except ValueError:
                    raise ParameterError(f"OREBOOK_{name}: expected a number of seconds, got "
                                         f"{text!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
