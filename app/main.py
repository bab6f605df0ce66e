"""The ASGI application: lifespan, health endpoints, and the two adapters mounted side by side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from app import migrations
from app.db import Database
from app.errors import DatabaseUnavailable
from app.observability import Metrics, RequestContext, configure_logging
from app.ratelimit import RateLimit
from app.settings import Settings

log = logging.getLogger("roster")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the application for ``settings``; nothing connects until the lifespan starts."""
    settings = settings or Settings()
    db = Database(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await db.connect()
        except DatabaseUnavailable as exc:
            # Start anyway: /readyz answers 503 and requests retry until the database returns.
            log.warning("database unavailable at start: %s", exc.message)
        yield
        await db.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not await db.ping():
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        current = await asyncio.to_thread(migrations.current_revision, settings)
        head = migrations.head_revision()
        if current != head:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "not migrated",
                    "revision": current,
                    "head": head,
                },
                503,
            )
        return JSONResponse({"status": "ok", "database": db.kind, "revision": current})

    async def metrics_endpoint(request: Request) -> Response:
        gauges = {f"roster_db_pool_{k}": float(v) for k, v in db.pool_stats().items()}
        return PlainTextResponse(metrics.render(gauges), media_type="text/plain; version=0.0.4")

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]
    routes += _adapter_routes(settings, db)
    middleware = _middleware(settings, metrics)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.settings = settings
    app.state.db = db
    app.state.metrics = metrics
    return app


def _middleware(settings: Settings, metrics: Metrics) -> list[Middleware]:
    """Request context (ids, logs, metrics) outermost, then rate limits, then CORS."""
    stack = [
        Middleware(RequestContext, metrics=metrics, access_log=settings.access_log),
        Middleware(RateLimit, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst),
    ]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                max_age=600,
            )
        )
    return stack


def _adapter_routes(settings: Settings, db: Database) -> list[BaseRoute]:
    """The SCIM and GraphQL surfaces (each adapter builds its own Starlette sub-app)."""
    mounts: list[BaseRoute] = []
    try:
        from app.scim.app import build_scim_app
    except ImportError:
        pass
    else:
        mounts.append(Mount("/scim/v2", app=build_scim_app(settings, db)))
    try:
        from app.graphql.app import build_graphql_app
    except ImportError:
        pass
    else:
        # Exact routes, not a Mount: a Mount answers POST /graphql with a 307 to /graphql/.
        graphql = build_graphql_app(settings, db)
        mounts += [Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)]
    return mounts


def app_from_env() -> Starlette:
    """Factory used by ``roster serve`` (each uvicorn worker builds its own app)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
