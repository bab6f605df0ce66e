"""The mutations that take a webhook endpoint's global id (the one createWebhookEndpoint and
webhookEndpoints answer) accept it: update, rotate, redeliver, delete; on each engine."""

from __future__ import annotations

from tests.graphql.conftest import Api
from tests.webhooks.conftest import create_endpoint
from tests.webhooks.receiver import Receiver

ERRORS = "userErrors { code message }"
UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{ endpoint {{ enabled }} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{
  rotateWebhookSecret(id: $id) {{ secret endpoint {{ secretRotationEndsAt }} {ERRORS} }} }}"""
REDELIVER = f"""mutation($id: ID!) {{
  redeliverEvents(endpointId: $id, fromSequence: "1", toSequence: "1") {{ count {ERRORS} }} }}"""
DELETE = (
    f"""mutation($id: ID!) {{ deleteWebhookEndpoint(id: $id) {{ endpoint {{ id }} {ERRORS} }} }}"""
)


async def test_mutations_take_the_endpoint_id(hooked: Api, receiver: Receiver) -> None:
    token = await hooked.token("owner@example.com")
    created = await create_endpoint(hooked, token, url=receiver.url())
    endpoint_id = created["endpoint"]["id"]

    body = await hooked.run(UPDATE, token, input={"id": endpoint_id, "enabled": False})
    assert body["data"]["updateWebhookEndpoint"] == {
        "endpoint": {"enabled": False},
        "userErrors": [],
    }
    rotated = (await hooked.run(ROTATE, token, id=endpoint_id))["data"]["rotateWebhookSecret"]
    assert rotated["userErrors"] == [] and rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"] and rotated["endpoint"]["secretRotationEndsAt"]
    redelivered = (await hooked.run(REDELIVER, token, id=endpoint_id))["data"]["redeliverEvents"]
    assert redelivered["userErrors"] == [] and redelivered["count"] in (0, 1)
    deleted = (await hooked.run(DELETE, token, id=endpoint_id))["data"]["deleteWebhookEndpoint"]
    assert deleted == {"endpoint": {"id": endpoint_id}, "userErrors": []}
    node = await hooked.run("query($id: ID!) { node(id: $id) { id } }", token, id=endpoint_id)
    assert node["data"] == {"node": None}
