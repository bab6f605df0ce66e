"""The ASGI app at /graphql: bearer-token auth, context, GraphiQL, subscriptions."""

from __future__ import annotations

import re
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from app.db import Database
from app.domain.access.api_tokens import check_admin
from app.domain.access.tokens import note_token_use
from app.domain.clock import new_id
from app.domain.types import Actor
from app.domain.users.visibility import may_read_hidden
from app.errors import DatabaseUnavailable, Forbidden, Unauthenticated
from app.graphql.context import Context
from app.graphql.ide import page
from app.graphql.schema import build_schema
from app.graphql.websocket import GuardedTransportWS
from app.settings import Settings

MAX_JSON_DEPTH = 32
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request: Request | WebSocket) -> str:
    """The id the request context (app.observability) gave this request: its logs, its
    ``X-Request-ID`` header and masked errors all carry it. A websocket passes no HTTP
    middleware: its id is the client's when sane, else a new one."""
    state = request.scope.get("state") or {}
    given = state.get("request_id")
    if isinstance(given, str):
        return given
    supplied = request.headers.get("x-request-id", "")
    return supplied if _REQUEST_ID.match(supplied) else new_id()


class AuthFailure(Exception):
    """The request carries no usable admin credential."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        """The HTTP answer: a GraphQL-shaped error body with the status."""
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        headers = {"WWW-Authenticate": 'Bearer realm="roster-admin"'} if self.status == 401 else {}
        if self.status == 503:  # the database is down, gone or not migrated: retry
            headers["Retry-After"] = "1"
        return JSONResponse(body, status_code=self.status, headers=headers)


class RosterGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Roster's authentication and per-request context."""

    graphql_transport_ws_handler_class = GuardedTransportWS

    def __init__(self, settings: Settings, db: Database) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphql_graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.db = db
        self.recheck_seconds = settings.graphql_subscription_recheck_ms / 1000

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Roster's own GraphiQL page (app.graphql.ide): every asset from this server."""
        return page()

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: a lone surrogate ("\\ud800", which no database can store) or nesting
        past 1024 levels (a RecursionError in the standard parser) is a JSONDecodeError,
        which strawberry answers 400 (a websocket: 4400)."""
        return orjson.loads(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except AuthFailure as exc:
            await exc.response()(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """A request body (or GET ``variables``) as JSON, with orjson rather than ``json``: it
        refuses lone surrogates, which no database column can hold, and ``json`` recurses
        into a RecursionError (a 500) on a few thousand nested brackets. Nesting deeper than
        `MAX_JSON_DEPTH` is refused too, before a JSON-scalar argument is walked."""
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}") from exc
        if _nests_deeper(doc, MAX_JSON_DEPTH):
            raise HTTPException(400, f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
        return doc

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        request_id = _request_id(request)
        ctx = Context(
            db=self.db,
            settings=self.settings,
            request=request,
            response=response,
            request_id=request_id,
        )
        if isinstance(request, WebSocket):
            return ctx  # authenticated by on_ws_connect from connection_init
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            return ctx  # the IDE page itself carries no data
        ctx.actor = await self.authenticate(request.headers.get("authorization"), request_id)
        request.scope.setdefault("state", {})["actor"] = ctx.actor.label  # the access line's
        if not may_read_hidden(ctx.actor):
            await ctx.catalogue()  # which values to withhold (app.domain.users.visibility)
        return ctx

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if not isinstance(header, str):
            header = context.request.headers.get("authorization")
        try:
            context.actor = await self.authenticate(header, context.request_id)
        except AuthFailure as exc:
            raise ConnectionRejectionError({"message": exc.message}) from exc
        context.credential = header
        context.request.scope.setdefault("state", {})["actor"] = context.actor.label
        return await super().on_ws_connect(context)

    async def still_allowed(self, context: Context) -> bool:
        """The connection's token still authenticates (see app.graphql.websocket); the actor
        is refreshed. A database outage (503) keeps the connection until the next check."""
        try:
            context.actor = await self.authenticate(context.credential, context.request_id)
        except AuthFailure as exc:
            return exc.status == 503
        return True

    async def authenticate(self, header: str | None, request_id: str) -> Actor:
        """The admin behind a bearer header; raises AuthFailure (401, 403 or 503)."""
        scheme, _, secret = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthFailure(401, "UNAUTHENTICATED", "an admin API token is required (Bearer)")
        try:
            async with self.db.transaction(write=False) as tx:  # no writer lock for a check
                login = await check_admin(tx, secret.strip(), request_id)
            if login.use_due:  # once a minute per token
                async with self.db.transaction() as tx:
                    await note_token_use(tx, "api_tokens", login.token_id)
            return login.actor
        except Unauthenticated as exc:
            raise AuthFailure(401, "UNAUTHENTICATED", exc.message) from exc
        except Forbidden as exc:
            raise AuthFailure(403, "FORBIDDEN", exc.message) from exc
        except DatabaseUnavailable as exc:
            raise AuthFailure(503, "UNAVAILABLE", exc.message) from exc


def _nests_deeper(doc: Any, limit: int) -> bool:
    """``doc`` holds arrays or objects more than ``limit`` levels deep (checked iteratively)."""
    level: list[Any] = [doc]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return any(isinstance(item, dict | list) for item in level)


def build_graphql_app(settings: Settings, db: Database) -> ASGIApp:
    """The GraphQL ASGI app for ``settings`` over ``db`` (mounted at /graphql by app.main)."""
    return RosterGraphQL(settings, db)
