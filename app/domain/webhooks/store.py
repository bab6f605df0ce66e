"""All of the webhooks' SQL: endpoints, deliveries (fan-out, lease, outcome), attempts."""

from __future__ import annotations

from typing import Any

from app.db import Row, Tx
from app.db.records import json_column, record_of
from app.domain.webhooks.model import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointFormat,
    EndpointState,
)

_ENDPOINT = (
    "id, url, description, event_types, format, enabled, state, secret, previous_secret,"
    " previous_secret_expires_at, cursor_seq, failing_since, last_success_at, version,"
    " created_at, updated_at"
)
_DELIVERY = "id, endpoint_id, event_seq, event_id, resource_key, attempts, created_at, lease_id"
_ATTEMPT = (
    "id, endpoint_id, delivery_id, event_seq, at, status_code, latency_ms, error, response_excerpt"
)


def _endpoint(row: Row) -> Endpoint:
    return record_of(
        Endpoint,
        row,
        event_types=tuple(json_column(row["event_types"])),
        format=EndpointFormat(row["format"]),
        enabled=bool(row["enabled"]),
        state=EndpointState(row["state"]),
        cursor_seq=int(row["cursor_seq"]),
        version=int(row["version"]),
    )


def _params(tx: Tx, e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "event_types": tx.dialect.json_param(list(e.event_types)),
        "format": e.format.value,
        "enabled": e.enabled,
        "state": e.state.value,
        "secret": e.secret,
        "previous_secret": e.previous_secret,
        "previous_secret_expires_at": e.previous_secret_expires_at,
        "cursor_seq": e.cursor_seq,
        "failing_since": e.failing_since,
        "last_success_at": e.last_success_at,
        "version": e.version,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


async def insert_endpoint(tx: Tx, e: Endpoint) -> None:
    """Write a new endpoint."""
    names = ", ".join(f":{n.strip()}" for n in _ENDPOINT.split(","))
    await tx.execute(
        f"INSERT INTO webhook_endpoints ({_ENDPOINT}) VALUES ({names})", _params(tx, e)
    )


async def update_endpoint(tx: Tx, e: Endpoint) -> None:
    """Store what an admin may change (URL, filter, format, enabled, secrets), the version
    and the time; the delivery state is the deliverer's."""
    params = _params(tx, e)
    await tx.execute(
        "UPDATE webhook_endpoints SET url = :url, description = :description, event_types ="
        " :event_types, format = :format, enabled = :enabled, secret = :secret,"
        " previous_secret = :previous_secret, previous_secret_expires_at ="
        " :previous_secret_expires_at, version = :version, updated_at = :updated_at"
        " WHERE id = :id",
        {k: params[k] for k in params if k not in _DELIVERY_STATE},
    )


_DELIVERY_STATE = ("state", "cursor_seq", "failing_since", "last_success_at", "created_at")


async def delete_endpoint(tx: Tx, endpoint_id: str) -> None:
    """Delete an endpoint; its deliveries and attempts go with it (cascade)."""
    await tx.execute("DELETE FROM webhook_attempts WHERE endpoint_id = :id", {"id": endpoint_id})
    await tx.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = :id", {"id": endpoint_id})
    await tx.execute("DELETE FROM webhook_endpoints WHERE id = :id", {"id": endpoint_id})


async def get_endpoint(tx: Tx, endpoint_id: str, *, lock: bool = False) -> Endpoint | None:
    """One endpoint (row-locked for the transaction with ``lock``), or None."""
    suffix = tx.dialect.for_update if lock else ""
    row = await tx.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE id = :id{suffix}", {"id": endpoint_id}
    )
    return _endpoint(row) if row else None


async def list_endpoints(tx: Tx, *, enabled_only: bool = False) -> list[Endpoint]:
    """Every endpoint (or the enabled ones), oldest first."""
    where = " WHERE enabled = :t" if enabled_only else ""
    params = {"t": True} if enabled_only else None
    rows = await tx.fetch(f"SELECT {_ENDPOINT} FROM webhook_endpoints{where} ORDER BY id", params)
    return [_endpoint(r) for r in rows]


async def claim_endpoint(tx: Tx, endpoint_id: str) -> Endpoint | None:
    """The endpoint, row-locked, unless another transaction holds it (then None): one
    worker at a time fans out to it."""
    row = await tx.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE id = :id AND enabled = :t"
        + tx.dialect.skip_locked("webhook_endpoints"),
        {"id": endpoint_id, "t": True},
    )
    return _endpoint(row) if row else None


async def set_cursor(tx: Tx, endpoint_id: str, seq: int) -> None:
    """How far the outbox has been fanned out to the endpoint."""
    await tx.execute(
        "UPDATE webhook_endpoints SET cursor_seq = :s WHERE id = :id", {"s": seq, "id": endpoint_id}
    )


async def set_endpoint_state(
    tx: Tx, endpoint_id: str, state: EndpointState, at: str, *, success: bool
) -> bool:
    """Move the endpoint to ``state`` (FAILING: since ``at``); with ``success`` also its last
    success. True when the state changed."""
    changed = await tx.execute(
        "UPDATE webhook_endpoints SET state = :s, failing_since = :f WHERE id = :id"
        " AND state <> :s",
        {"s": state.value, "f": at if state is EndpointState.FAILING else None, "id": endpoint_id},
    )
    if success:
        await tx.execute(
            "UPDATE webhook_endpoints SET last_success_at = :at WHERE id = :id",
            {"at": at, "id": endpoint_id},
        )
    return bool(changed)


async def insert_delivery(
    tx: Tx, delivery_id: str, endpoint_id: str, event: tuple[int, str, str], at: str
) -> None:
    """A PENDING delivery of ``event`` (seq, id, resource key), due now; none when the
    endpoint already has one for that event."""
    seq, event_id, key = event
    await tx.execute(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, event_id, resource_key,"
        " status, attempts, next_attempt_at, created_at) VALUES (:id, :e, :seq, :eid, :key,"
        " :s, 0, :at, :at) ON CONFLICT (endpoint_id, event_seq) DO NOTHING",
        {"id": delivery_id, "e": endpoint_id, "seq": seq, "eid": event_id, "key": key,
         "s": DeliveryStatus.PENDING.value, "at": at},
    )  # fmt: skip


async def rearm(tx: Tx, endpoint_id: str, low: int, high: int, at: str) -> int:
    """Make the endpoint's deliveries of events ``low``..``high`` PENDING again, due now,
    with a fresh 24 hours; how many."""
    return await tx.execute(
        "UPDATE webhook_deliveries SET status = :s, attempts = 0, next_attempt_at = :at,"
        " created_at = :at, leased_until = NULL, lease_id = NULL WHERE endpoint_id = :e"
        " AND event_seq BETWEEN :low AND :high",
        {"s": DeliveryStatus.PENDING.value, "at": at, "e": endpoint_id, "low": low, "high": high},
    )


async def claim_due(tx: Tx, now: str, until: str, lease_id: str, limit: int) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries until ``until``: PENDING, due, not leased (or
    the lease ran out), of an enabled endpoint, and with no earlier PENDING delivery of the
    same resource to the same endpoint (in order per resource, concurrent across resources).
    Rows another worker is claiming are skipped."""
    pending = DeliveryStatus.PENDING.value
    rows = await tx.fetch(
        f"UPDATE webhook_deliveries SET leased_until = :until, lease_id = :lease"
        f" WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE d.status = :p"
        f" AND d.next_attempt_at <= :now AND (d.leased_until IS NULL OR d.leased_until < :now)"
        f" AND d.endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = :t)"
        f" AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint_id ="
        f" d.endpoint_id AND e.resource_key = d.resource_key AND e.status = :p AND e.event_seq"
        f" < d.event_seq) ORDER BY d.next_attempt_at, d.event_seq LIMIT :n"
        f"{tx.dialect.skip_locked('d')}) RETURNING {_DELIVERY}",
        {"until": until, "lease": lease_id, "p": pending, "now": now, "n": limit, "t": True},
    )
    found = [
        Delivery(
            r["id"], r["endpoint_id"], int(r["event_seq"]), r["event_id"], r["resource_key"],
            int(r["attempts"]), r["created_at"], r["lease_id"],
        )
        for r in rows
    ]  # fmt: skip
    return sorted(found, key=lambda d: d.event_seq)


async def finish(tx: Tx, d: Delivery, status: DeliveryStatus, attempt: Attempt, due: str) -> bool:
    """Record an attempt's outcome on the delivery, if this worker still holds its lease
    (True), and release the lease; ``due``: the next attempt's time."""
    delivered = attempt.at if status is DeliveryStatus.DELIVERED else None
    changed = await tx.execute(
        "UPDATE webhook_deliveries SET status = :s, attempts = attempts + 1, next_attempt_at ="
        " :due, leased_until = NULL, lease_id = NULL, delivered_at = :d, last_status = :code,"
        " last_error = :err WHERE id = :id AND lease_id = :lease",
        {"s": status.value, "due": due, "d": delivered, "code": attempt.status_code,
         "err": attempt.error, "id": d.id, "lease": d.lease_id},
    )  # fmt: skip
    return bool(changed)


async def insert_attempt(tx: Tx, a: Attempt) -> None:
    """Add an attempt to the delivery log (none when the endpoint was deleted meanwhile)."""
    exists = await tx.fetchval(
        "SELECT count(*) FROM webhook_endpoints WHERE id = :e", {"e": a.endpoint_id}
    )
    if not exists:
        return
    names = ", ".join(f":{n.strip()}" for n in _ATTEMPT.split(","))
    await tx.execute(
        f"INSERT INTO webhook_attempts ({_ATTEMPT}) VALUES ({names})",
        {n.strip(): getattr(a, n.strip()) for n in _ATTEMPT.split(",")},
    )


async def recent_attempts(tx: Tx, endpoint_id: str, limit: int) -> list[Attempt]:
    """The endpoint's newest attempts, newest first."""
    rows = await tx.fetch(
        f"SELECT {_ATTEMPT} FROM webhook_attempts WHERE endpoint_id = :e"
        " ORDER BY at DESC, id DESC LIMIT :n",
        {"e": endpoint_id, "n": limit},
    )
    return [Attempt(*(r[i] for i in range(9))) for r in rows]


async def failing_endpoints(tx: Tx) -> int:
    """How many endpoints are FAILING."""
    return int(
        await tx.fetchval(
            "SELECT count(*) FROM webhook_endpoints WHERE state = :s",
            {"s": EndpointState.FAILING.value},
        )
    )
