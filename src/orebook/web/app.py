"""The FastAPI application of the balance service: ``create_app(settings)``."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from orebook import __version__
from orebook.balance import engine_from_url
from orebook.web.auth_cache import AuthCache
from orebook.web.errors import install_error_handlers
from orebook.web.report_cache import ReportCache
from orebook.web.security import SessionSigner
from orebook.web.settings import Settings

__all__ = ["create_app", "service_engine"]


def service_engine(settings: Settings):
    """The engine of the registry, with a connection for each worker thread and a few more
    (the report refresher, the event loop's own reads)."""
    return engine_from_url(settings.db_url, pool_size=settings.threads + 4, max_overflow=8)


def create_app(settings: Settings, *, engine=None) -> FastAPI:
    """The service over the registry at ``settings.db_url`` (already migrated: ``orebook
    balance init`` or ``orebook serve`` does it); ``engine`` defaults to
    :func:`service_engine`."""
    from orebook.web import accounts_api, api, pages

    @asynccontextmanager
    async def lifespan(_app):
        # at most this many requests run at once in worker threads; the others wait in the
        # event loop in the order they came (a few threads sharing the interpreter answer
        # sooner than anyio's default forty, and leave the report refresher its share)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    app = FastAPI(lifespan=lifespan, title="orebook: the state balance of mineral reserves",
                  version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine if engine is not None else service_engine(settings)
    app.state.signer = SessionSigner(settings.secret_key, max_age_s=settings.session_max_age_s)
    app.state.report_cache = ReportCache(max_lag_s=settings.report_lag_s)
    app.state.auth_cache = AuthCache(recheck_s=settings.auth_recheck_s)
    install_error_handlers(app)
    app.include_router(accounts_api.router)
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/api/health", tags=["service"])
    def health() -> dict:
        """Liveness and version."""
        return {"status": "ok", "version": __version__}

    return app
