"""End to end: a real uvicorn on 127.0.0.1 and the `gql` client, as a console uses the API."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token
from app.domain.provisioning.events import record_provisioning_event
from app.domain.provisioning.feed import provisioning_events
from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.e2e

SUBSCRIBE = gql(
    'subscription { provisioningEvents(filter: {resourceType: "User"}) {'
    " method resourceType resourceId outcome statusCode } }"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(settings: Settings, clean_db: Database) -> Iterator[str]:
    """A uvicorn serving the app in a thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.started:
            break
        threading.Event().wait(0.01)
    yield f"127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


async def _first_event(url: str, token: str) -> Any:
    transport = WebsocketsTransport(
        url=f"ws://{url}/graphql",
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        async for result in session.subscribe(SUBSCRIBE):
            return result
    return None


async def _publish_once_subscribed(db: Database) -> None:
    for _ in range(500):
        if provisioning_events.subscriber_count:
            break
        await asyncio.sleep(0.01)
    async with db.transaction() as tx:
        for resource in ("Group", "User"):
            await record_provisioning_event(
                tx,
                token_id=None,
                method="POST",
                resource_type=resource,
                resource_id="01890000-0000-7000-8000-000000000042",
                external_id="00u42",
                outcome="SUCCESS",
                status_code=201,
                error_detail=None,
                duration_ms=1.5,
                request_id="req-1",
            )


async def test_query_mutation_and_subscription_over_real_http(
    server: str, clean_db: Database
) -> None:
    async with clean_db.transaction() as tx:
        token = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    http = HTTPXAsyncTransport(
        url=f"http://{server}/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    async with Client(transport=http) as session:
        created = await session.execute(
            gql(
                'mutation { createUser(input: {loginId: "e2e@example.com", firstName: "E"}) { '
                "user { loginId firstName } userErrors { code } } }"
            )
        )
        listed = await session.execute(
            gql("{ users(orderBy: {field: LOGIN_ID}) { totalCount nodes { loginId } } }")
        )
    assert created == {
        "createUser": {"user": {"loginId": "e2e@example.com", "firstName": "E"}, "userErrors": []}
    }
    assert listed == {
        "users": {
            "totalCount": 2,
            "nodes": [{"loginId": "e2e@example.com"}, {"loginId": "owner@example.com"}],
        }
    }
    event, _ = await asyncio.wait_for(
        asyncio.gather(_first_event(server, token), _publish_once_subscribed(clean_db)), timeout=20
    )
    assert event == {
        "provisioningEvents": {
            "method": "POST",
            "resourceType": "User",
            "resourceId": "01890000-0000-7000-8000-000000000042",
            "outcome": "SUCCESS",
            "statusCode": 201,
        }
    }


async def test_a_subscription_without_a_token_is_refused(server: str) -> None:
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql", subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    with pytest.raises(Exception, match="ConnectionClosed") as err:
        async with Client(transport=transport) as session:
            async for _ in session.subscribe(SUBSCRIBE):
                break
    cause = err.value.__cause__ or err.value.__context__
    assert (cause.rcvd.code, cause.rcvd.reason) == (4403, "Forbidden")  # type: ignore[union-attr]
