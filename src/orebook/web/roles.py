"""Who may do what: the roles of the balance service and the actions each may take.

The table is data (``PERMISSIONS``), so the API, the pages and the tests read the same one:

========== ===================================================================
role       may
========== ===================================================================
viewer     read everything (deposits, estimates, balances, reports)
geologist  read; submit estimates
commission read; approve or reject estimates
registrar  read; record movements, correct them, close years, import tables
admin      read; manage users and API tokens
========== ===================================================================

Duties are kept apart on purpose (the commission does not record movements, the admin does not
approve reserves); a person with two duties has two accounts. With public read-only mode on,
anonymous visitors may ``read`` and nothing else.

>>> allowed("geologist", "submit_estimate"), allowed("geologist", "approve_estimate")
(True, False)
"""

from __future__ import annotations

from orebook.balance.accounts import ROLES

__all__ = ["ACTIONS", "PERMISSIONS", "ROLES", "allowed"]

#: action → the roles that may take it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "submit_estimate": frozenset({"geologist"}),
    "approve_estimate": frozenset({"commission"}),
    "record_movement": frozenset({"registrar"}),
    "close_year": frozenset({"registrar"}),
    "import_tables": frozenset({"registrar"}),
    "manage_users": frozenset({"admin"}),
}
ACTIONS = tuple(PERMISSIONS)


def allowed(role: str | None, action: str, *, public_read: bool = False) -> bool:
    """Whether ``role`` (``None`` for an anonymous visitor) may take ``action``."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; known: {list(ACTIONS)}")
    if role is None:
        return public_read and action == "read"
    return role in PERMISSIONS[action]
