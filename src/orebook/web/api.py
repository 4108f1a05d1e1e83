"""The balance API: deposits, estimates, approvals, movements, balances, reports,
reconciliation (issue 7). The routes live in ``api_read`` (the registry), ``api_reports``
(reports and downloads) and ``api_write`` (every write, each recorded in the audit log);
``api_common`` holds what they share. All sit under ``/api``; docs/web.md lists them."""

from __future__ import annotations

from fastapi import APIRouter

from orebook.web import api_read, api_reports, api_write

router = APIRouter(prefix="/api")
router.include_router(api_read.router)
router.include_router(api_reports.router)
router.include_router(api_write.router)
