"""The state balance of mineral reserves: registry (SQLAlchemy), migrations, ledger.

>>> from orebook.balance import engine_from_url, upgrade, Ledger
"""

from orebook.balance.db import DEFAULT_URL, engine_from_url, sqlite_url, write_engine
from orebook.balance.ledger import TOLERANCE, BalanceLine, Ledger, MovementRecord, replay
from orebook.balance.migrations import current_revision, upgrade

__all__ = [
    "DEFAULT_URL",
    "TOLERANCE",
    "BalanceLine",
    "Ledger",
    "MovementRecord",
    "current_revision",
    "engine_from_url",
    "replay",
    "sqlite_url",
    "upgrade",
    "write_engine",
]
