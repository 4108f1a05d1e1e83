"""One error body for the whole API, and one place that maps orebook's errors to HTTP.

Every error answer is JSON ``{"status": 422, "message": "…", "field": "…"|null}`` (pages show
the same message beside the field). The mapping:

====================================  ======
``InputError``, ``ParameterError``    422
``NotFoundError``                     404
``ConflictError``, ``LedgerError``    409
not signed in                         401
signed in, but the role may not       403
a stale version (``If-Match``)        412
====================================  ======
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orebook.errors import (
    ConflictError,
    InputError,
    LedgerError,
    NotFoundError,
    OrebookError,
    ParameterError,
)

__all__ = ["ServiceError", "error_body", "install_error_handlers"]


class ServiceError(Exception):
    """An HTTP refusal raised by the service itself (401, 403, 412…)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def error_body(status: int, message: str, field: str | None = None) -> dict:
    return {"status": status, "message": message, "field": field}


def status_of(exc: OrebookError, default: int = 400) -> int:
    """The HTTP status of an orebook error: 404 not found, 409 a conflict or a ledger
    refusal, 422 bad input or parameters, else ``default``."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (ConflictError, LedgerError)):
        return 409
    if isinstance(exc, (InputError, ParameterError)):
        return 422
    return default


def _field(exc: OrebookError) -> str | None:
    return getattr(exc, "column", None) or getattr(exc, "field", None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(OrebookError)
    async def _orebook(request: Request, exc: OrebookError):
        status = status_of(exc)
        return JSONResponse(error_body(status, str(exc), _field(exc)), status_code=status)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.status, exc.message, exc.field),
                            status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        message = first.get("msg", "invalid request")
        return JSONResponse(error_body(422, message, ".".join(loc) or None), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return JSONResponse(error_body(exc.status_code, str(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
