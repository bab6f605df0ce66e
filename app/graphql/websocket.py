"""graphql-transport-ws with credentials that stay valid: each connection re-checks its token.

A subscription outlives the request that opened it, so the check at ``connection_init`` is
not enough (rule 15): every ``interval`` seconds the connection authenticates its token again,
exactly as an HTTP request would (one indexed read). When the token was revoked or expired,
or its user was deactivated, deleted or lost every admin role, the connection's operations
are cancelled and the socket is closed with 4403 Forbidden; a fresh check also refreshes the
actor's roles. A database outage is not a refusal: the connection waits for the next check.

Polling, not notifications: it covers every cause above on every engine and worker with one
mechanism (the causes are written by many domain functions), and it costs one indexed read
per connection and interval.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any, Protocol

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from app.graphql.context import Context

log = logging.getLogger("roster.graphql")


class Rechecking(Protocol):
    """What the handler needs from the view (app.graphql.app.RosterGraphQL)."""

    recheck_seconds: float

    async def still_allowed(self, context: Context) -> bool:
        """Authenticate the connection's token again; False when it no longer may."""


class GuardedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's handler, plus a task that re-checks the credentials while connected."""

    guard: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.guard is None:
            self.guard = asyncio.create_task(self._watch())

    async def shutdown(self) -> None:
        if self.guard is not None and self.guard is not asyncio.current_task():
            self.guard.cancel()
            with suppress(asyncio.CancelledError):
                await self.guard
        await super().shutdown()

    async def _watch(self) -> None:
        view: Any = self.view
        checker: Rechecking = view
        while True:
            await asyncio.sleep(checker.recheck_seconds)
            if not await checker.still_allowed(self.context):
                break
        log.info("closing a subscription connection: its credentials are no longer valid")
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=4403, reason="Forbidden")
