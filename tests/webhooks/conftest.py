"""Webhook tests: the whole app in-process (its lifespan runs the Deliverer), a receiver on
127.0.0.1 allow-listed, retries shrunk to milliseconds; on each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.db import Database
from app.main import create_app
from app.settings import Settings
from tests.graphql.conftest import Api, api  # noqa: F401 - the plain app, for refusals
from tests.webhooks.receiver import Receiver

CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    secret endpoint { id url state eventTypes }
    userErrors { code field message }
  }
}"""
ENDPOINTS = """query {
  webhookEndpoints { id url state failingSince lastSuccessAt
    recentAttempts(first: 50) { sequence statusCode latencyMs error responseExcerpt } }
}"""
FAST = {"webhook_allowed_targets": "127.0.0.1", "webhook_retry_base_seconds": 0.02}


@pytest.fixture
async def hooked(settings: Settings, clean_db: Database) -> AsyncIterator[Api]:
    """The app with the receiver's address allowed and fast retries."""
    app = create_app(settings.model_copy(update=FAST))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://roster.test") as http:
            yield Api(http, clean_db, app)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver that answers 200."""
    found = await Receiver().start()
    yield found
    await found.stop()


async def create_endpoint(app: Api, token: str, **fields: Any) -> dict[str, Any]:
    """createWebhookEndpoint's payload."""
    body = await app.run(CREATE, token, input=fields)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createWebhookEndpoint"]
    return payload
