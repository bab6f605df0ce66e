"""The Deliverer: each worker's background task that fans events out and sends them.

It wakes when an event commits on any worker (app.db.wakeup; it starts this worker's
LISTEN itself, never the lifespan) and, while endpoints exist, every second for retries; while
none exists, only when one is created (so an idle deliverer reads nothing).
Each round fans the new events out to every enabled endpoint, then leases due deliveries (up
to `IN_FLIGHT` in flight per worker) and sends each in a task of its own. A database that is
down is retried with a growing pause and logged; nothing here blocks startup. Shutdown
cancels what is in flight: its leases run out and another worker (or the next start) sends
those deliveries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import jwt
import orjson

from app.db import Database
from app.db.wakeup import endpoints, follow, wakeup
from app.domain.clock import new_id, now_iso
from app.domain.outbox.store import events_after, latest_seq
from app.domain.outbox.views import document
from app.domain.security_events.tokens import encode_sets
from app.domain.settings.catalogue import get_catalogue
from app.domain.users.visibility import hidden_names
from app.domain.webhooks import delivery, store
from app.domain.webhooks.endpoints import signing_secrets
from app.domain.webhooks.model import (
    IN_FLIGHT,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointFormat,
)
from app.domain.webhooks.signing import headers
from app.domain.webhooks.targets import AllowList
from app.errors import DatabaseUnavailable
from app.metrics import Metrics
from app.settings import Settings
from app.webhooks import sender

STOP_SECONDS = 5.0
SET_CONTENT_TYPE = "application/secevent+jwt"  # RFC 8417 section 2.3, RFC 8935
log = logging.getLogger("roster.webhooks")

TICK = 1.0  # seconds between rounds while endpoints exist (retries fall due)
MAX_PAUSE = 30.0  # longest pause after a failed round
_OUTCOME = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.PENDING: "failed",
    DeliveryStatus.FAILED: "gave_up",
}


class Deliverer:
    """One worker's webhook delivery."""

    def __init__(self, db: Database, settings: Settings, metrics: Metrics) -> None:
        self.db = db
        self.metrics = metrics
        self.allowed = AllowList.parse(settings.webhook_allowed_targets)
        self.base = settings.webhook_retry_base_seconds
        self.issuer = settings.base_url
        self.lease = settings.webhook_lease_seconds
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()
        self._endpoints = False  # endpoints existed at the last round: tick for retries
        self._http = sender.client()

    def start(self) -> None:
        """Start the loop (returns at once)."""
        self._task = asyncio.create_task(self._run(), name="webhook-deliverer")

    async def stop(self) -> None:
        """Stop the loop and what is in flight, and close the HTTP client."""
        tasks = [t for t in (self._task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: a send stuck past its cancellation must not hold the shutdown
            _, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
            if stuck:
                log.warning(
                    "webhooks: %d task(s) did not stop within %g s", len(stuck), STOP_SECONDS
                )
        await self._http.aclose()

    async def _run(self) -> None:
        pause, listening = 1.0, False
        while True:
            generations = (wakeup.generation, endpoints.generation)
            try:
                if not listening:
                    listening = await follow(self.db, 0.5)
                await self.round()
                pause = 1.0
            except DatabaseUnavailable as exc:
                log.info("webhooks: database unavailable (%s), retrying in %g s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            except Exception:
                log.exception("webhooks: delivery round failed, retrying in %g s", pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            await self._wait(*generations)

    async def _wait(self, generation: int, changed: int) -> None:
        """Until a send finishes, or an event commits, or (while endpoints exist) a tick; with
        no endpoint, until one is created."""
        if self._kick.is_set():
            self._kick.clear()
            return
        if self._endpoints:
            woken = wakeup.wait_after(generation, TICK)
        else:
            woken = endpoints.wait_after(changed, 3600.0)
        waits = [asyncio.ensure_future(woken), asyncio.ensure_future(self._kick.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        self._kick.clear()

    async def round(self) -> None:
        """Fan out to every enabled endpoint, then start sending what is due."""
        async with self.db.transaction(write=False) as tx:
            found = await store.list_endpoints(tx, enabled_only=True)
            latest = await latest_seq(tx) if found else 0
        self._endpoints = bool(found)
        if not found:
            return
        for endpoint in found:
            while endpoint.cursor_seq < latest:  # a write only when there is something new
                async with self.db.transaction() as tx:
                    moved = await delivery.fan_out(tx, endpoint.id)
                if moved < delivery.FAN_OUT_BATCH:
                    break
        free = IN_FLIGHT - len(self._sending)
        if free <= 0:
            return
        async with self.db.transaction() as tx:
            leased = await delivery.claim(tx, self.lease, free)
        for item in leased:
            task = asyncio.create_task(self._deliver(item))
            self._sending.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._kick.set()

    async def _deliver(self, item: Delivery) -> None:
        try:
            await self.send(item)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhooks: delivery %s failed; its lease will run out", item.id)

    async def _send_sets(self, endpoint: Endpoint, doc: dict[str, Any]) -> sender.Sent:
        """RFC 8935 push: each token in its own POST (``application/secevent+jwt``), signed
        like every delivery (webhook-id: the token's jti); stops at the first failure, which
        the delivery's retries send again from the first token."""
        sent = sender.Sent(204, 0, None, None)
        for token in await _sets(self.db, doc, endpoint.url, self.issuer):
            body = token.encode()
            jti = str(jwt.decode(token, options={"verify_signature": False})["jti"])
            signed = headers(signing_secrets(endpoint, now_iso()), jti, int(time.time()), body)
            sent = await sender.send(
                self._http, endpoint.url, body, signed, self.allowed, content_type=SET_CONTENT_TYPE
            )
            if sent.status_code is None or not 200 <= sent.status_code < 300:
                break
        return sent

    async def send(self, item: Delivery) -> None:
        """Send one leased delivery and record the attempt."""
        async with self.db.transaction(write=False) as tx:
            endpoint = await store.get_endpoint(tx, item.endpoint_id)
            found = await events_after(tx, item.event_seq - 1, 1)
            hidden = hidden_names(await get_catalogue(tx))
        if endpoint is None:
            return  # deleted meanwhile: its deliveries went with it
        event = found[0] if found and found[0].seq == item.event_seq else None
        if event is None:
            sent = sender.Sent(None, 0, "the event is no longer kept (retention)", None)
        elif endpoint.format is EndpointFormat.SET:
            sent = await self._send_sets(endpoint, document(event))
        else:
            body = orjson.dumps(document(event, hidden))
            signed = headers(signing_secrets(endpoint, now_iso()), event.id, int(time.time()), body)
            sent = await sender.send(self._http, endpoint.url, body, signed, self.allowed)
        attempt = Attempt(
            new_id(), endpoint.id, item.id, item.event_seq, now_iso(), sent.status_code,
            sent.latency_ms, sent.error, sent.excerpt,
        )  # fmt: skip
        async with self.db.transaction() as tx:
            outcome = await delivery.record(tx, item, attempt, self.base, final=event is None)
        self.metrics.inc(
            "roster_webhook_deliveries_total",
            endpoint=endpoint.id,
            outcome=_OUTCOME[outcome.status],
        )
        if outcome.failed:
            log.warning(
                "webhook endpoint %s (%s) is FAILING: event %s could not be delivered for 24"
                " hours (last: %s)",
                endpoint.id, endpoint.url, item.event_seq, sent.error or sent.status_code,
            )  # fmt: skip
        elif outcome.recovered:
            log.info("webhook endpoint %s (%s) is ACTIVE again", endpoint.id, endpoint.url)


async def _sets(db: Database, doc: dict[str, Any], audience: str, issuer: str) -> list[str]:
    """The event's Security Event Tokens (a write transaction: the first makes the key)."""
    async with db.transaction() as tx:
        return await encode_sets(tx, doc, audience=audience, issuer=issuer)


async def webhook_gauges(db: Database) -> dict[str, float]:
    """``roster_webhook_endpoints_failing`` (none when the database does not answer)."""
    try:
        async with db.transaction(write=False) as tx:
            return {"roster_webhook_endpoints_failing": float(await store.failing_endpoints(tx))}
    except Exception:
        return {}
