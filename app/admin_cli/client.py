"""A small client of Roster's GraphQL API over gql: queries over HTTP, subscriptions over
graphql-transport-ws, and every failure turned into one readable `ApiError`.

Imported only when an admin command runs (gql is not needed to serve or migrate).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

PAGE_SIZE = 100  # the server's default page-size cap (ROSTER_GRAPHQL_MAX_PAGE_SIZE)
TIMEOUT_SECONDS = 30.0
FORBIDDEN_CLOSE = 4403  # graphql-transport-ws: the token was refused (or no longer valid)

_AUTH_HINT = "set ROSTER_TOKEN to a valid admin API token (roster token create-admin)"


class ApiError(Exception):
    """A request failed; ``message`` says why, in words fit for stderr. ``retryable``: the
    server was unreachable, unavailable or went away (a restart), so trying again may work."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class Endpoint:
    """Where the server is and the admin token to present (never shown)."""

    base: str
    token: str

    @property
    def http_url(self) -> str:
        """The GraphQL endpoint over HTTP(S)."""
        return f"{self.base}/graphql"

    @property
    def ws_url(self) -> str:
        """The GraphQL endpoint over WebSocket."""
        return "ws" + self.http_url.removeprefix("http")

    def __repr__(self) -> str:
        return f"Endpoint(base={self.base!r}, token=<hidden>)"


def _query_error(exc: TransportQueryError) -> ApiError:
    errors = [e for e in exc.errors or [] if isinstance(e, dict)]
    codes = {str((e.get("extensions") or {}).get("code", "")) for e in errors}
    text = "; ".join(str(e.get("message", "")) for e in errors) or str(exc)
    if "UNAUTHENTICATED" in codes:
        return ApiError(f"the server refused the token (401 Unauthorized: {text}); {_AUTH_HINT}")
    if "FORBIDDEN" in codes:
        return ApiError(f"forbidden (403: {text})")
    if "UNAVAILABLE" in codes:
        return ApiError(
            f"the server is unavailable (503: {text}); try again shortly", retryable=True
        )
    return ApiError(f"GraphQL error: {text}")


def _transport_error(
    exc: TransportServerError | TransportProtocolError, endpoint: Endpoint
) -> ApiError:
    if isinstance(exc, TransportProtocolError):
        return ApiError(f"{endpoint.http_url} did not answer like a GraphQL API (is it Roster?)")
    if exc.code == 401:
        return ApiError(f"the server refused the token (401 Unauthorized); {_AUTH_HINT}")
    code = exc.code or 0
    return ApiError(
        f"the server answered HTTP {exc.code} at {endpoint.http_url}", retryable=code >= 500
    )


def _close_code(exc: BaseException) -> int | None:
    """The WebSocket close code behind a failure (gql wraps the websockets error), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionClosed) and seen.rcvd is not None:
            return seen.rcvd.code
        seen = seen.__cause__ or seen.__context__
    return None


def describe(exc: BaseException, endpoint: Endpoint) -> ApiError:
    """The `ApiError` for a failure of gql, httpx or websockets."""
    if _close_code(exc) == FORBIDDEN_CLOSE:  # refused at connection_init or re-checked later
        return ApiError(f"the server refused the token on the live feed (4403); {_AUTH_HINT}")
    if isinstance(exc, TransportQueryError):
        return _query_error(exc)
    if isinstance(exc, TransportServerError | TransportProtocolError):
        return _transport_error(exc, endpoint)
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return ApiError(
            f"the server refused the WebSocket at {endpoint.ws_url} (HTTP {status})",
            retryable=status >= 500,
        )
    if isinstance(exc, TransportConnectionFailed | OSError | asyncio.TimeoutError):
        reason = str(exc) or type(exc).__name__
        return ApiError(
            f"cannot reach the Roster server at {endpoint.base} ({reason})", retryable=True
        )
    return ApiError(f"request to {endpoint.base} failed ({type(exc).__name__}: {exc})")


_FAILURES = (TransportError, OSError, asyncio.TimeoutError, WebSocketException)


@asynccontextmanager
async def connect(endpoint: Endpoint) -> AsyncIterator[Api]:
    """An `Api` over one HTTP client for the duration of the block."""
    transport = HTTPXAsyncTransport(
        url=endpoint.http_url,
        headers={"Authorization": f"Bearer {endpoint.token}"},
        timeout=TIMEOUT_SECONDS,
    )
    async with Client(transport=transport, execute_timeout=TIMEOUT_SECONDS) as session:
        yield Api(endpoint, session)


class Api:
    """Requests to one server over an open gql session (see `connect`)."""

    def __init__(self, endpoint: Endpoint, session: AsyncClientSession) -> None:
        self.endpoint = endpoint
        self._session = session

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        """The ``data`` of one query; raises `ApiError`."""
        request = GraphQLRequest(document, variable_values=variables)
        try:
            return await self._session.execute(request)
        except _FAILURES as exc:
            raise describe(exc, self.endpoint) from exc

    async def collect(
        self,
        document: str,
        path: Sequence[str],
        variables: dict[str, Any] | None = None,
        *,
        limit: int | None = None,
    ) -> tuple[list[Any], int | None]:
        """Up to ``limit`` nodes (all when None) of the connection at ``path``, page by page;
        also its ``totalCount`` when it has one."""
        nodes: list[Any] = []
        after: str | None = None
        total: int | None = None
        while limit is None or len(nodes) < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(nodes))
            data = await self.query(document, {**(variables or {}), "first": size, "after": after})
            for key in path:
                data = data[key]
            nodes.extend(data["nodes"])
            total = data.get("totalCount", total)
            info = data["pageInfo"]
            if not info["hasNextPage"] or not data["nodes"]:
                break
            after = info["endCursor"]
        return nodes, total

    async def subscribe(
        self, document: str, *, ready: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[Any]:
        """Each ``data`` of a subscription over graphql-transport-ws until the caller stops;
        ``ready`` is awaited once the server accepted the connection. Raises `ApiError`
        (``retryable`` when the feed was lost after it was accepted)."""
        transport = WebsocketsTransport(
            url=self.endpoint.ws_url,
            init_payload={"Authorization": f"Bearer {self.endpoint.token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            connect_timeout=TIMEOUT_SECONDS,
            ack_timeout=TIMEOUT_SECONDS,
        )
        connected = False
        try:
            async with Client(transport=transport) as session:
                connected = True
                if ready is not None:
                    await ready()
                async for data in session.subscribe(GraphQLRequest(document)):
                    yield data
        except _FAILURES as exc:
            if (
                connected
                and not isinstance(exc, TransportQueryError)
                and _close_code(exc) != FORBIDDEN_CLOSE
            ):
                reason = str(exc) or type(exc).__name__
                raise ApiError(
                    f"lost the live feed from {self.endpoint.base} ({reason})", retryable=True
                ) from exc
            raise describe(exc, self.endpoint) from exc
