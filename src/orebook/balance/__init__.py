"""The state balance of mineral reserves: registry (SQLAlchemy), migrations, ledger, registry
services, bulk import, reports, reconciliation of published totals, and the accounts of the
service.

>>> from orebook.balance import engine_from_url, upgrade, Ledger
"""

from orebook.balance import accounts  # noqa: F401  (its tables belong to the schema)
from orebook.balance.db import DEFAULT_URL, engine_from_url, sqlite_url, write_engine
from orebook.balance.importing import ImportRefused, ImportReport, Problem, import_tables
from orebook.balance.ledger import TOLERANCE, BalanceLine, Ledger, MovementRecord, replay
from orebook.balance.migrations import current_revision, upgrade
from orebook.balance.reconcile import Reconciliation, reconcile, write_reconciliation
from orebook.balance.report_files import write_report
from orebook.balance.reports import totals, yearly_form
from orebook.balance.registry import (
    DepositInfo,
    add_admin_unit,
    add_alias,
    add_commodity,
    add_condition,
    add_deposit,
    add_licence,
    add_organisation,
    add_published_total,
    approve_estimate,
    find_admin_unit,
    find_deposit,
    reject_estimate,
    submit_estimate,
)

__all__ = [
    "DEFAULT_URL",
    "TOLERANCE",
    "BalanceLine",
    "DepositInfo",
    "ImportRefused",
    "ImportReport",
    "Ledger",
    "MovementRecord",
    "Problem",
    "Reconciliation",
    "add_admin_unit",
    "add_alias",
    "add_commodity",
    "add_condition",
    "add_deposit",
    "add_licence",
    "add_organisation",
    "add_published_total",
    "approve_estimate",
    "current_revision",
    "engine_from_url",
    "find_admin_unit",
    "find_deposit",
    "import_tables",
    "reconcile",
    "reject_estimate",
    "replay",
    "sqlite_url",
    "submit_estimate",
    "totals",
    "upgrade",
    "write_engine",
    "write_reconciliation",
    "write_report",
    "yearly_form",
]
