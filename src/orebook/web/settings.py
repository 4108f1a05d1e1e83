"""The service's settings: one typed object, from arguments or the environment.

- ``OREBOOK_BALANCE_DB``: the database URL, as for ``orebook balance`` (default: the SQLite
  registry ``orebook-balance.sqlite`` in the current folder);
- ``OREBOOK_SECRET_KEY``: the key that signs session cookies (at least 32 characters;
  required*);
- ``OREBOOK_PUBLIC=1``: anonymous visitors may read (public read-only mode; default off);
- ``OREBOOK_SECURE=1``: cookies only over HTTPS (set it behind a TLS proxy; default off).

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

    def __post_init__(self) -> None:
        if not isinstance(self.secret_key, str) or len(self.secret_key) < 32 \
                or self.secret_key.lower() in _PLACEHOLDERS:
            raise ParameterError("the secret key (OREBOOK_SECRET_KEY) must be a random string "
                                 "of at least 32 characters")

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
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
