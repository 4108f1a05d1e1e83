"""What the balance API's routes share: who may call (one dependency per action), pages,
the registry's engine, JSON from DataFrames, downloads and the audit log."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Depends, Query, Request
from fastapi.responses import Response

from orebook.balance.accounts import record_audit
from orebook.web.deps import Caller, require
from orebook.web.errors import ServiceError

__all__ = ["Approver", "Closer", "Editor", "Geologist", "Page", "Paged", "Reader", "Registrar",
           "audit_hook", "download", "download_bytes", "engine", "file_bytes", "frame_items",
           "jsonable", "page"]

Reader = Annotated[Caller, Depends(require("read"))]
Geologist = Annotated[Caller, Depends(require("submit_estimate"))]
Approver = Annotated[Caller, Depends(require("approve_estimate"))]
Registrar = Annotated[Caller, Depends(require("record_movement"))]
Closer = Annotated[Caller, Depends(require("close_year"))]
Editor = Annotated[Caller, Depends(require("import_tables"))]

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def engine(request: Request):
    """The registry behind the service."""
    return request.app.state.engine


class Page:
    """``offset`` (≥ 0) and ``limit`` (1 … the settings' ``max_page_size``; default
    ``page_size``) of a list."""

    def __init__(self, offset: int, limit: int) -> None:
        self.offset, self.limit = offset, limit

    def answer(self, items: list, total: int, **extra) -> dict:
        return {"items": items, "total": total, "offset": self.offset, "limit": self.limit,
                **extra}

    def cut(self, items: list) -> list:
        return items[self.offset:self.offset + self.limit]


async def page(request: Request, offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
               limit: Annotated[int | None, Query(ge=1)] = None) -> Page:
    settings = request.app.state.settings
    if limit is None:
        limit = settings.page_size
    if limit > settings.max_page_size:
        raise ServiceError(422, f"limit {limit}: at most {settings.max_page_size}", "limit")
    return Page(offset, limit)


Paged = Annotated[Page, Depends(page)]


def jsonable(value):
    """A value of a query or a DataFrame as plain JSON (NaN → null, numpy → Python, dates →
    ISO text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or (value is not None and not isinstance(value, (str, bytes, list))
                           and _isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def frame_items(df: pd.DataFrame) -> list[dict]:
    """The rows of ``df`` as JSON objects."""
    return [jsonable(r) for r in df.to_dict("records")]


def file_bytes(write: Callable[[Path], object], filename: str) -> bytes:
    """The bytes of the file ``write(path)`` (an atomic writer of orebook) writes, in a
    private temporary folder, under the name ``filename`` (writers choose the format by it)."""
    with tempfile.TemporaryDirectory(prefix="orebook-download-") as tmp:
        path = Path(tmp) / filename
        write(path)
        return path.read_bytes()


def download_bytes(data: bytes, filename: str, fmt: str) -> Response:
    """``data`` answered as a download named ``filename``."""
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def download(write: Callable[[Path], object], filename: str, fmt: str) -> Response:
    """Write a file with ``write(path)`` and answer it as a download named ``filename``."""
    return download_bytes(file_bytes(write, filename), filename, fmt)


def audit_hook(who: Caller, action: str, describe: Callable[[Any], tuple[str, str | None]]):
    """The audit hook of a write by ``who`` (``orebook.balance.db.AuditHook``): the entry
    (``action``, and the target and detail ``describe(result)`` gives) is written inside the
    write's own transaction, so the two commit together or not at all."""

    def hook(session, result) -> None:
        target, detail = describe(result)
        record_audit(session, who.user, action, target, detail[:2000] if detail else detail)

    return hook
