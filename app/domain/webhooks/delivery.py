"""From committed events to deliveries, and the outcome of each attempt.

Fan-out: per endpoint, in a transaction that holds the endpoint's row (skipped when another
worker holds it), the events after the endpoint's cursor become PENDING deliveries (those its
filter wants) and the cursor moves past them: each event is fanned out to each endpoint once,
whichever worker does it. Events are numbered without gaps in commit order (app.domain.outbox),
so a cursor never skips an event that commits later.

Sending: `claim` leases due deliveries (app.domain.webhooks.store.claim_due: in order per
resource, concurrent across resources). `record` stores an attempt: a 2xx answer delivers;
anything else is retried after a random wait of up to ``base * 2^attempts`` seconds (at most
an hour: full jitter) until the delivery is 24 hours old, when it is FAILED and its endpoint
FAILING until a later success.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.db import Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import iso_in, new_id, now_iso, to_iso
from app.domain.outbox.store import OutboxEventRecord, events_after, latest_seq
from app.domain.outbox.views import document
from app.domain.security_events.tokens import has_security_events
from app.domain.types import Actor, Change
from app.domain.webhooks import model, store
from app.domain.webhooks.model import GIVE_UP_AFTER, MAX_BACKOFF
from app.errors import InvalidValue, NotFound

FAN_OUT_BATCH = 500
MAX_REDELIVER = 10_000


def resource_key(event: OutboxEventRecord) -> str:
    """What deliveries are ordered by: ``Type:id`` of the event's resource."""
    return f"{event.resource_type}:{event.resource_id or ''}"


def _wanted(endpoint: model.Endpoint, event: OutboxEventRecord) -> bool:
    """Whether the endpoint is sent this event (its type filter is applied by the read): a SET
    endpoint hears only of what Security Event Tokens describe."""
    return endpoint.format is not model.EndpointFormat.SET or has_security_events(document(event))


async def fan_out(tx: Tx, endpoint_id: str) -> int:
    """One batch of the endpoint's fan-out; how many events it looked at (0: caught up, or
    another worker holds the endpoint, or it is disabled)."""
    endpoint = await store.claim_endpoint(tx, endpoint_id)
    if endpoint is None:
        return 0
    latest = await latest_seq(tx)  # read first: the events read next see at least this much
    if latest <= endpoint.cursor_seq:
        return 0
    events = await events_after(tx, endpoint.cursor_seq, FAN_OUT_BATCH, endpoint.event_types)
    now = now_iso()
    for event in events:
        if _wanted(endpoint, event):
            key = (event.seq, event.id, resource_key(event))
            await store.insert_delivery(tx, new_id(), endpoint.id, key, now)
    full = len(events) == FAN_OUT_BATCH
    cursor = events[-1].seq if full else latest
    await store.set_cursor(tx, endpoint.id, cursor)
    return cursor - endpoint.cursor_seq


async def claim(tx: Tx, lease_seconds: float, limit: int) -> list[model.Delivery]:
    """Lease up to ``limit`` due deliveries for ``lease_seconds`` under a fresh lease id."""
    if limit <= 0:
        return []
    now = now_iso()
    return await store.claim_due(tx, now, iso_in(lease_seconds / 86400), new_id(), limit)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an attempt changed: the delivery's status, whether this worker still held the
    lease, and whether the endpoint became FAILING (``failed``) or ACTIVE again."""

    status: model.DeliveryStatus
    recorded: bool
    failed: bool = False
    recovered: bool = False


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` failed ones: uniform in
    [0, min(base * 2^attempts, MAX_BACKOFF)] (full jitter)."""
    ceiling = min(base * 2.0 ** min(attempts, 32), MAX_BACKOFF)
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret


def _gave_up(created_at: str, now: datetime) -> bool:
    created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return now - created >= timedelta(seconds=GIVE_UP_AFTER)


async def record(
    tx: Tx, delivery: model.Delivery, attempt: model.Attempt, base: float, *, final: bool = False
) -> Outcome:
    """Store one attempt and its consequences on the delivery and the endpoint. ``final``:
    nothing can ever be sent (the event is past its retention), so the delivery fails at once
    instead of holding the resource's later events back for 24 hours; the endpoint is not to
    blame and keeps its state."""
    await store.insert_attempt(tx, attempt)
    now = datetime.now(UTC)
    if final:
        status = model.DeliveryStatus.FAILED
        return Outcome(status, await store.finish(tx, delivery, status, attempt, attempt.at))
    if attempt.succeeded:
        status, due = model.DeliveryStatus.DELIVERED, attempt.at
    elif _gave_up(delivery.created_at, now):
        status, due = model.DeliveryStatus.FAILED, attempt.at
    else:
        wait = backoff(delivery.attempts + 1, base)
        status, due = model.DeliveryStatus.PENDING, to_iso(now + timedelta(seconds=wait))
    recorded = await store.finish(tx, delivery, status, attempt, due)
    if not recorded:
        return Outcome(status, False)
    if status is model.DeliveryStatus.DELIVERED:
        back = await store.set_endpoint_state(
            tx, delivery.endpoint_id, model.EndpointState.ACTIVE, attempt.at, success=True
        )
        return Outcome(status, True, recovered=back)
    if status is model.DeliveryStatus.FAILED:
        failed = await store.set_endpoint_state(
            tx, delivery.endpoint_id, model.EndpointState.FAILING, attempt.at, success=False
        )
        return Outcome(status, True, failed=failed)
    return Outcome(status, True)


async def redeliver(tx: Tx, *, actor: Actor, endpoint_id: str, low: int, high: int) -> int:
    """Send the endpoint's events ``low``..``high`` again (those its filter wants and
    retention kept, up to what was fanned out to it): existing deliveries are re-armed, the
    missing ones created; how many. Raises Forbidden, NotFound, InvalidValue."""
    require_writer(actor)
    if low < 1 or high < low or high - low >= MAX_REDELIVER:
        raise InvalidValue(
            f"fromSequence..toSequence: a range of 1 to {MAX_REDELIVER} events from 1,"
            f" not {low}..{high}",
            ["fromSequence", "toSequence"],
        )
    endpoint = await store.get_endpoint(tx, endpoint_id, lock=True)
    if endpoint is None:
        raise NotFound(f"webhook endpoint {endpoint_id!r} does not exist", ["endpointId"])
    high = min(high, endpoint.cursor_seq)
    if high < low:
        return 0
    now = now_iso()
    await store.rearm(tx, endpoint.id, low, high, now)
    events = await events_after(tx, low - 1, high - low + 1, endpoint.event_types)
    count = 0
    for event in events:
        if event.seq <= high and _wanted(endpoint, event):
            key = (event.seq, event.id, resource_key(event))
            await store.insert_delivery(tx, new_id(), endpoint.id, key, now)
            count += 1
    await record_audit(
        tx,
        actor=actor,
        action="webhook.redeliver",
        target=AuditTarget("WebhookEndpoint", endpoint.id, endpoint.url[:255]),
        changes=[Change("events", None, f"{low}..{high}")],
    )
    return count
