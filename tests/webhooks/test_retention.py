"""A delivery whose event retention removed fails at once (it can never be sent) and does not
hold the resource's later events back; a redelivery is audited; on each engine."""

from __future__ import annotations

import asyncio

from app.domain.audit.retention import purge_expired
from app.domain.clock import iso_in
from app.domain.users.service import UserCreate, UserUpdate, create_user, update_user
from app.graphql.ids import decode_id
from tests.graphql.conftest import Api
from tests.support import owner as owner_actor
from tests.webhooks.conftest import ENDPOINTS, create_endpoint
from tests.webhooks.receiver import Receiver

REDELIVER = """mutation($id: ID!) {
  redeliverEvents(endpointId: $id, fromSequence: "1", toSequence: "100") {
    count userErrors { message } } }"""


async def test_an_event_retention_removed_fails_at_once_and_later_ones_follow(
    hooked: Api, receiver: Receiver
) -> None:
    purging = asyncio.Event()
    receiver.plan = lambda n, path: 200 if purging.is_set() else 500
    token = await hooked.token("owner@example.com")
    created = await create_endpoint(
        hooked, token, url=receiver.url(), eventTypes=["USER_CREATED", "USER_UPDATED"]
    )
    actor = owner_actor()
    async with hooked.db.transaction() as tx:
        user = await create_user(tx, actor=actor, data=UserCreate(login_id="ada@example.com"))
    async with hooked.db.transaction() as tx:
        await update_user(tx, actor=actor, user_id=user.id, data=UserUpdate({"displayName": "Ada"}))
    await receiver.wait_for(lambda: len(receiver.seen) >= 1)  # the create, refused
    async with hooked.db.transaction() as tx:  # the create's event goes past its retention
        await tx.execute("UPDATE outbox_events SET at = :old", {"old": iso_in(-40)})
    await purge_expired(hooked.db, hooked.app.state.settings)  # keeps the newest: the update
    purging.set()
    await receiver.wait_for(lambda: any(r.status == 200 for r in receiver.seen), 90)
    delivered = [r.event for r in receiver.seen if r.status == 200]
    assert [(e["type"], e["resourceId"]) for e in delivered] == [("user.updated", user.id)]
    body = await hooked.run(ENDPOINTS, token)
    [endpoint] = body["data"]["webhookEndpoints"]
    assert endpoint["state"] == "ACTIVE"
    gone = [a for a in endpoint["recentAttempts"] if a["error"] and "retention" in a["error"]]
    assert [(a["statusCode"], a["error"]) for a in gone] == [
        (None, "the event is no longer kept (retention)")
    ]

    answer = await hooked.run(REDELIVER, token, id=created["endpoint"]["id"])
    assert answer["data"]["redeliverEvents"]["userErrors"] == []
    async with hooked.db.transaction(write=False) as tx:
        rows = await tx.fetch(
            "SELECT action, target_id FROM audit_entries WHERE action = 'webhook.redeliver'"
        )
    raw_id = decode_id(created["endpoint"]["id"], "WebhookEndpoint")
    assert [(r[0], r[1]) for r in rows] == [("webhook.redeliver", raw_id)]


async def test_the_delivery_log_and_finished_deliveries_follow_the_events_retention(
    hooked: Api, receiver: Receiver
) -> None:
    token = await hooked.token("owner@example.com")
    await create_endpoint(hooked, token, url=receiver.url(), eventTypes=["USER_CREATED"])
    async with hooked.db.transaction() as tx:
        await create_user(tx, actor=owner_actor(), data=UserCreate(login_id="bo@example.com"))
    await receiver.wait_for(lambda: len(receiver.seen) >= 1)
    async with hooked.db.transaction() as tx:  # everything is old; one delivery still pending
        await tx.execute("UPDATE webhook_attempts SET at = :old", {"old": iso_in(-40)})
        await tx.execute("UPDATE webhook_deliveries SET created_at = :old", {"old": iso_in(-40)})
        await tx.execute(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, event_id, resource_key,"
            " status, attempts, next_attempt_at, created_at) SELECT 'pending', endpoint_id,"
            " event_seq + 1000, 'e', resource_key, 'PENDING', 0, :later, :old"
            " FROM webhook_deliveries",
            {"old": iso_in(-40), "later": iso_in(1)},  # not due while the purge runs
        )
    async with hooked.db.transaction(write=False) as tx:  # a stalled machine may retry once
        made = await tx.fetchval("SELECT count(*) FROM webhook_attempts")
    done = {p.log: p.rows for p in await purge_expired(hooked.db, hooked.app.state.settings)}
    assert made >= 1
    assert (done["webhook_attempts"], done["webhook_deliveries"]) == (made, 1)
    async with hooked.db.transaction(write=False) as tx:
        left = await tx.fetch("SELECT id, status FROM webhook_deliveries")
        attempts = await tx.fetchval("SELECT count(*) FROM webhook_attempts")
    assert ([(r[0], r[1]) for r in left], attempts) == ([("pending", "PENDING")], 0)
