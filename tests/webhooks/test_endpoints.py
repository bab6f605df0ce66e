"""Managing endpoints over GraphQL (OWNER or ADMIN, audited): update, rotate the secret with
an overlap (both secrets sign), redeliver a range, delete; a VIEWER is refused."""

from __future__ import annotations

import asyncio
from typing import Any

from app.domain.users.service import UserCreate, create_user
from tests.graphql.conftest import Api
from tests.support import owner as owner_actor
from tests.webhooks.conftest import ENDPOINTS, create_endpoint
from tests.webhooks.receiver import Receiver, verify

UPDATE = """mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
  endpoint { url enabled format eventTypes version } userErrors { code field message } } }"""
ROTATE = """mutation($id: ID!, $h: Float) { rotateWebhookSecret(id: $id, overlapHours: $h) {
  secret endpoint { secretRotationEndsAt } userErrors { code message } } }"""
REDELIVER = """mutation($id: ID!, $a: String!, $b: String!) {
  redeliverEvents(endpointId: $id, fromSequence: $a, toSequence: $b) {
    count userErrors { code field message } } }"""
DELETE = """mutation($id: ID!) { deleteWebhookEndpoint(id: $id) {
  endpoint { id } userErrors { code message } } }"""
AUDIT = "query { auditLog(first: 20) { edges { node { action targetType } } } }"


async def _user(api: Api, login: str) -> None:
    async with api.db.transaction() as tx:
        await create_user(tx, actor=owner_actor(), data=UserCreate(login_id=login))


async def _data(api: Api, token: str, query: str, **variables: Any) -> Any:
    body = await api.run(query, token, **variables)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def test_rotate_update_redeliver_delete(hooked: Api, receiver: Receiver) -> None:
    token = await hooked.token("owner@example.com")
    created = await create_endpoint(
        hooked, token, url=receiver.url(), eventTypes=["USER_CREATED"], description="crm"
    )
    endpoint_id, first_secret = created["endpoint"]["id"], created["secret"]
    rotated = await _data(hooked, token, ROTATE, id=endpoint_id, h=2.0)
    second_secret = rotated["secret"]
    assert second_secret != first_secret and rotated["endpoint"]["secretRotationEndsAt"]
    await _user(hooked, "ada@example.com")
    await receiver.wait_for(lambda: len(receiver.seen) == 1)
    [got] = receiver.seen
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verify(first_secret, got.headers, got.body)
    assert verify(second_secret, got.headers, got.body)

    changed = await _data(
        hooked, token, UPDATE, input={"id": endpoint_id, "url": receiver.url("/other")}
    )
    assert changed["endpoint"]["url"] == receiver.url("/other")
    assert changed["endpoint"]["version"] == 3
    seq = got.event["seq"]
    again = await _data(hooked, token, REDELIVER, id=endpoint_id, a=str(seq), b=str(seq))
    assert again["count"] >= 0 and again["userErrors"] == []
    await receiver.wait_for(lambda: len(receiver.on("/other")) == 1)
    assert receiver.on("/other")[0].event["id"] == got.event["id"]
    bad = await _data(hooked, token, REDELIVER, id=endpoint_id, a="5", b="2")
    assert bad["userErrors"][0]["code"] == "INVALID_VALUE"

    deleted = await _data(hooked, token, DELETE, id=endpoint_id)
    assert deleted["endpoint"]["id"] == endpoint_id
    assert (await _data(hooked, token, ENDPOINTS)) == []
    actions = [e["node"]["action"] for e in (await _data(hooked, token, AUDIT))["edges"]]
    for action in ("create", "rotateSecret", "update", "delete"):
        assert f"webhook.{action}" in actions
    await asyncio.sleep(0.2)
    async with hooked.db.transaction(write=False) as tx:
        left = await tx.fetchval("SELECT count(*) FROM webhook_deliveries")
        secrets = await tx.fetchval(
            "SELECT count(*) FROM audit_entries WHERE CAST(changes AS TEXT) LIKE :s",
            {"s": f"%{second_secret[6:20]}%"},
        )
    assert left == 0 and secrets == 0


async def test_a_viewer_may_not_manage_endpoints(hooked: Api, receiver: Receiver) -> None:
    viewer = await hooked.token("viewer@example.com", "viewer")
    payload = await create_endpoint(hooked, viewer, url=receiver.url())
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    body = await hooked.run(ENDPOINTS, viewer)
    assert body["data"] is None and body["errors"]
