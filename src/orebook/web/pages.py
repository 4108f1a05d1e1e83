"""Server-rendered pages of the balance service (being built: issue 7)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
