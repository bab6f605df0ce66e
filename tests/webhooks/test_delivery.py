"""Webhook delivery through the app's own Deliverer (issue 16, item 3), on both engines: a
receiver that fails three times gets the event on the fourth attempt, signed; each
resource's events arrive in order; 24 hours of failures mark the endpoint FAILING."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from app.domain.users.service import UserCreate, UserUpdate, create_user, update_user
from tests.graphql.conftest import Api
from tests.support import owner as owner_actor
from tests.webhooks.conftest import ENDPOINTS, create_endpoint
from tests.webhooks.receiver import Receiver, verify


async def _users(api: Api, logins: list[str]) -> list[str]:
    async with api.db.transaction() as tx:
        made = [
            await create_user(tx, actor=owner_actor(), data=UserCreate(login_id=login))
            for login in logins
        ]
    return [u.id for u in made]


async def test_fails_three_times_then_arrives_signed(hooked: Api, receiver: Receiver) -> None:
    receiver.plan = lambda n, path: 500 if n < 3 else 200
    token = await hooked.token("owner@example.com")
    created = await create_endpoint(hooked, token, url=receiver.url(), eventTypes=["USER_CREATED"])
    assert created["userErrors"] == []
    secret = created["secret"]
    assert secret.startswith("whsec_")
    [user_id] = await _users(hooked, ["ada@example.com"])
    await receiver.wait_for(lambda: len(receiver.seen) >= 4)
    await asyncio.sleep(0.3)  # nothing more comes
    assert [r.status for r in receiver.seen] == [500, 500, 500, 200]
    final = receiver.seen[3]
    assert verify(secret, final.headers, final.body)
    assert not verify("whsec_" + "A" * 44, final.headers, final.body)
    assert final.event["type"] == "user.created"
    assert final.event["resourceId"] == user_id
    assert final.headers["webhook-id"] == final.event["id"]
    assert {r.headers["webhook-id"] for r in receiver.seen} == {final.event["id"]}
    body = await hooked.run(ENDPOINTS, token)
    [endpoint] = body["data"]["webhookEndpoints"]
    assert endpoint["state"] == "ACTIVE" and endpoint["lastSuccessAt"]
    codes = [a["statusCode"] for a in endpoint["recentAttempts"]]
    assert codes == [200, 500, 500, 500]
    assert endpoint["recentAttempts"][0]["responseExcerpt"] == '{"ok": true}'


async def test_each_resource_in_order(hooked: Api, receiver: Receiver) -> None:
    # a third of the first deliveries fail, so retries overtake: order must still hold
    receiver.plan = lambda n, path: 503 if n % 3 == 0 and n < 60 else 200
    token = await hooked.token("owner@example.com")
    await create_endpoint(hooked, token, url=receiver.url())
    ids = await _users(hooked, [f"u{i}@example.com" for i in range(4)])
    expected: dict[str, list[int]] = defaultdict(list)
    for round_ in range(6):
        for user_id in ids:
            async with hooked.db.transaction() as tx:
                values = {"title": f"t{round_}"}
                await update_user(tx, actor=owner_actor(), user_id=user_id, data=UserUpdate(values))
    async with hooked.db.transaction(write=False) as tx:
        rows = await tx.fetch(
            "SELECT seq, resource_type, resource_id FROM outbox_events"
            " WHERE resource_type = 'User' ORDER BY seq"
        )
    for row in rows:
        if row["resource_id"] in ids:
            expected[f"{row['resource_type']}:{row['resource_id']}"].append(int(row["seq"]))
    total = sum(len(v) for v in expected.values())

    def delivered() -> list[dict[str, object]]:
        found = [r.event for r in receiver.seen if r.status == 200]
        return [e for e in found if e["resourceType"] == "User"]

    await receiver.wait_for(lambda: len(delivered()) >= total, 90)
    arrived: dict[str, list[int]] = defaultdict(list)
    for event in delivered():
        arrived[f"{event['resourceType']}:{event['resourceId']}"].append(int(str(event["seq"])))
    assert arrived == expected


async def test_failing_after_24_hours(hooked: Api, receiver: Receiver) -> None:
    receiver.plan = lambda n, path: 500
    token = await hooked.token("owner@example.com")
    await create_endpoint(hooked, token, url=receiver.url())
    await _users(hooked, ["ada@example.com"])
    await receiver.wait_for(lambda: len(receiver.seen) >= 1)
    async with hooked.db.transaction() as tx:  # the delivery is a day old
        await tx.execute("UPDATE webhook_deliveries SET created_at = '2020-01-01T00:00:00.000000Z'")
    for _ in range(200):
        body = await hooked.run(ENDPOINTS, token)
        [endpoint] = body["data"]["webhookEndpoints"]
        if endpoint["state"] == "FAILING":
            break
        await asyncio.sleep(0.05)
    assert endpoint["state"] == "FAILING" and endpoint["failingSince"]
    async with hooked.db.transaction(write=False) as tx:
        failed = await tx.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'FAILED'"
        )
    assert failed >= 1  # the user's event (and, soon, the endpoint's own creation event)
    metrics = (await hooked.http.get("/metrics")).text
    assert "roster_webhook_endpoints_failing 1.0" in metrics
    assert 'outcome="gave_up"' in metrics
    # a later success makes it ACTIVE again
    receiver.plan = lambda n, path: 200
    await _users(hooked, ["bob@example.com"])
    for _ in range(200):
        body = await hooked.run(ENDPOINTS, token)
        if body["data"]["webhookEndpoints"][0]["state"] == "ACTIVE":
            break
        await asyncio.sleep(0.05)
    assert body["data"]["webhookEndpoints"][0]["state"] == "ACTIVE"
