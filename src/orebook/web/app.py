"""The FastAPI application of the balance service: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from orebook import __version__
from orebook.balance import engine_from_url
from orebook.web.errors import install_error_handlers
from orebook.web.report_cache import ReportCache
from orebook.web.security import SessionSigner
from orebook.web.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, engine=None) -> FastAPI:
    """The service over the registry at ``settings.db_url`` (already migrated: ``orebook
    balance init`` or ``orebook serve`` does it)."""
    from orebook.web import accounts_api, api, pages

    app = FastAPI(title="orebook: the state balance of mineral reserves", version=__version__,
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine if engine is not None else engine_from_url(settings.db_url)
    app.state.signer = SessionSigner(settings.secret_key, max_age_s=settings.session_max_age_s)
    app.state.report_cache = ReportCache()
    install_error_handlers(app)
    app.include_router(accounts_api.router)
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/api/health", tags=["service"])
    def health() -> dict:
        """Liveness and version."""
        return {"status": "ok", "version": __version__}

    return app
