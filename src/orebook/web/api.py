"""The balance API: deposits, estimates, approvals, movements, balances, reports,
reconciliation (being built: issue 7)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api")
