"""The ASGI app at /graphql: bearer-token auth, context, GraphiQL, subscriptions."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from app.db import Database
from app.domain.clock import new_id
from app.domain.tokens import authenticate_admin
from app.domain.types import Actor
from app.domain.visibility import may_read_hidden
from app.errors import DatabaseUnavailable, Forbidden, Unauthenticated
from app.graphql.context import Context
from app.graphql.schema import build_schema
from app.settings import Settings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class AuthFailure(Exception):
    """The request carries no usable admin credential."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        """The HTTP answer: a GraphQL-shaped error body with the status."""
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        headers = {"WWW-Authenticate": 'Bearer realm="roster-admin"'} if self.status == 401 else {}
        return JSONResponse(body, status_code=self.status, headers=headers)


class RosterGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Roster's authentication and per-request context."""

    def __init__(self, settings: Settings, db: Database) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphql_graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except AuthFailure as exc:
            await exc.response()(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        supplied = request.headers.get("x-request-id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else new_id()
        ctx = Context(
            db=self.db,
            settings=self.settings,
            request=request,
            response=response,
            request_id=request_id,
        )
        if isinstance(response, Response):
            response.headers["x-request-id"] = request_id
        if isinstance(request, WebSocket):
            return ctx  # authenticated by on_ws_connect from connection_init
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            return ctx  # the IDE page itself carries no data
        ctx.actor = await self.authenticate(request.headers.get("authorization"), request_id)
        if not may_read_hidden(ctx.actor):
            await ctx.catalogue()  # which values to withhold (app.domain.visibility)
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
        return await super().on_ws_connect(context)

    async def authenticate(self, header: str | None, request_id: str) -> Actor:
        """The admin behind a bearer header; raises AuthFailure (401, 403 or 503)."""
        scheme, _, secret = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthFailure(401, "UNAUTHENTICATED", "an admin API token is required (Bearer)")
        try:
            async with self.db.transaction() as tx:
                return await authenticate_admin(tx, secret.strip(), request_id)
        except Unauthenticated as exc:
            raise AuthFailure(401, "UNAUTHENTICATED", exc.message) from exc
        except Forbidden as exc:
            raise AuthFailure(403, "FORBIDDEN", exc.message) from exc
        except DatabaseUnavailable as exc:
            raise AuthFailure(503, "UNAVAILABLE", exc.message) from exc


def build_graphql_app(settings: Settings, db: Database) -> ASGIApp:
    """The GraphQL ASGI app for ``settings`` over ``db`` (mounted at /graphql by app.main)."""
    return RosterGraphQL(settings, db)
