"""The ASGI application: lifespan, health endpoints, and the two adapters mounted side by side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app import guard_task, health_task, migrations
from app.console import console_routes
from app.db import Database
from app.domain.provisioning.usage import UsageBuffer
from app.errors import DatabaseUnavailable
from app.feed import build_feed_app
from app.graphql.app import build_graphql_app
from app.graphql.ide import graphiql_routes
from app.metrics import guard_gauges
from app.observability import Metrics, RequestContext, configure_logging
from app.ratelimit import RateLimit
from app.scim.app import build_scim_app, http_error
from app.scim.wire import MOUNT
from app.settings import Settings
from app.webhooks.deliverer import Deliverer, webhook_gauges

log = logging.getLogger("roster")


class Operations:
    """The operator endpoints and the lifespan, around one Database."""

    def __init__(self, settings: Settings, db: Database, metrics: Metrics) -> None:
        self.settings = settings
        self.db = db
        self.metrics = metrics
        self.usage = UsageBuffer()  # this worker's SCIM usage, flushed by the health task

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Connect (or start anyway when the database is down) and close at the end."""
        try:
            await self.db.connect()
        except DatabaseUnavailable as exc:
            # Start anyway: /readyz answers 503 and requests retry until the database returns.
            log.warning("database unavailable at start: %s", exc.message)
        retry = None
        if self.settings.migrate_on_start:
            retry = asyncio.create_task(_migrate_when_reachable(self.settings))
        every = self.settings.health_flush_seconds
        health = asyncio.create_task(health_task.flush_forever(self.db, self.usage, every))
        deliverer = Deliverer(self.db, self.settings, self.metrics)
        deliverer.start()  # webhooks (rule 20): retries in the background, never blocks here
        # the deprovisioning guard's leases (rule 19)
        leases = guard_task.start(self.db, sole_writer=self.settings.workers == 1)
        yield
        await guard_task.stop(leases, self.db)
        await deliverer.stop()
        if retry is not None:
            retry.cancel()
        await health_task.stop(health, self.db, self.usage)
        await self.db.close()

    async def healthz(self, request: Request) -> Response:
        """The process is alive."""
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        """200 when the database answers and is migrated to head, else 503."""
        unreachable = JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        if not await self.db.ping():
            return unreachable
        try:
            current = await asyncio.to_thread(migrations.current_revision, self.settings)
        except DBAPIError:  # gone between the ping and this look (a dropped database)
            return unreachable
        head = migrations.head_revision()
        if current != head:
            body = {"status": "unavailable", "database": "not migrated", "revision": current}
            return JSONResponse({**body, "head": head}, 503)
        return JSONResponse({"status": "ok", "database": self.db.kind, "revision": current})

    async def metrics_text(self, request: Request) -> Response:
        """Prometheus text format."""
        gauges = {f"roster_db_pool_{k}": float(v) for k, v in self.db.pool_stats().items()}
        gauges.update(await guard_gauges(self.db))
        gauges.update(await webhook_gauges(self.db))
        labelled = {"roster_scim_token_expiry_seconds": await health_task.expiry_samples(self.db)}
        text = self.metrics.render(gauges, labelled)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def create_app(settings: Settings | None = None) -> RosterApp:
    """Build the application for ``settings``; nothing connects until the lifespan starts."""
    settings = settings or Settings()
    db = Database(settings)
    ops = Operations(settings, db, Metrics())
    scim = build_scim_app(settings, db, ops.usage)
    routes: list[BaseRoute] = [
        Route("/healthz", ops.healthz),
        Route("/readyz", ops.readyz),
        Route("/metrics", ops.metrics_text),
        Mount(MOUNT, app=scim),
    ]
    # Exact routes, not a Mount: a Mount answers POST /graphql with a 307 to /graphql/.
    graphql = build_graphql_app(settings, db)
    routes += [Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)]
    if settings.graphql_graphiql:
        routes += graphiql_routes()  # GraphiQL's assets, vendored: no CDN (app.graphql.ide)
    routes += build_feed_app(db)  # GET /events: the downstream event feed (rule 20)
    routes += console_routes()  # /console: the admin console (static, uses /graphql)
    app = RosterApp(
        routes=routes,
        lifespan=ops.lifespan,
        middleware=_cors(settings),
        exception_handlers={404: _not_found},
    )
    app.front = (scim, _context(settings, ops.metrics))
    app.state.settings = settings
    app.state.db = db
    app.state.metrics = ops.metrics
    app.state.usage = ops.usage
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    """Starlette's plain 404, except under /scim/v2, where every answer is a SCIM error: the
    mount's pattern does not match a path with a newline in it, which then lands here."""
    if request.scope["path"].startswith("/scim/v2"):
        return await http_error(request, exc)
    return PlainTextResponse("Not Found", status_code=404)


async def _migrate_when_reachable(settings: Settings) -> None:
    """Retry the migrations until the database answers (advisory-locked on PostgreSQL)."""
    while True:
        try:
            await asyncio.to_thread(migrations.upgrade, settings)
        except Exception as exc:
            log.info("migrations waiting for the database: %s", type(exc).__name__)
            await asyncio.sleep(2)
        else:
            log.warning("database reachable again; migrated to head")
            return


class RosterApp(Starlette):
    """Starlette, with /scim/v2 requests sent straight to the SCIM router.

    Every request passes the request context (ids, logs, metrics) and the rate limit first.
    Then SCIM requests skip Starlette's error, exception and routing layers, which the SCIM
    router makes redundant (its endpoints answer every error themselves) and which cost a
    tenth of a `GET /Users/{id}`; everything else (GraphQL, the console, the operator
    endpoints, the lifespan) goes through Starlette as usual. The Mount in ``routes`` names
    the same router, so the app's route list still shows the whole surface.
    """

    front: tuple[ASGIApp, Callable[[ASGIApp], ASGIApp]]

    def build_middleware_stack(self) -> ASGIApp:
        """The context around a split between the SCIM router and Starlette's own stack."""
        scim, context = self.front
        return context(_Front(scim, super().build_middleware_stack()))


class _Front:
    """Sends HTTP requests under /scim/v2 to the SCIM router, everything else to ``rest``."""

    def __init__(self, scim: ASGIApp, rest: ASGIApp) -> None:
        self.scim = scim
        self.rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == MOUNT or path.startswith(MOUNT_SLASH)):
            await self.scim(scope, receive, send)
        else:
            await self.rest(scope, receive, send)


MOUNT_SLASH = MOUNT + "/"


def _context(settings: Settings, metrics: Metrics) -> Callable[[ASGIApp], ASGIApp]:
    """Request context (ids, logs, metrics) outermost, then rate limits."""

    def wrap(app: ASGIApp) -> ASGIApp:
        limited = RateLimit(
            app, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
        return RequestContext(limited, metrics=metrics, access_log=settings.access_log)

    return wrap


def _cors(settings: Settings) -> list[Middleware]:
    """CORS for browsers calling /graphql from the allowed origins (none by default)."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            max_age=600,
        )
    ]


def app_from_env() -> Starlette:
    """Factory used by ``roster serve`` (each uvicorn worker builds its own app)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
