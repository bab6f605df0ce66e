"""The admin's writes on webhook endpoints (OWNER or ADMIN, audited as webhook.*).

A new endpoint starts at the newest event (it receives what commits after it was created;
`redeliver` sends older ones). Secrets are never audited, and shown once: on creation and
on rotation. Rotation keeps the previous secret signing beside the new one for an overlap
(default 24 hours), so receivers can switch without losing a delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.db import Tx
from app.db.wakeup import CHANNEL, ENDPOINTS, endpoints
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, diff, record_audit
from app.domain.clock import iso_in, new_id, now_iso
from app.domain.outbox.store import latest_seq
from app.domain.outbox.types import EVENT_TYPES
from app.domain.types import Actor, Change
from app.domain.webhooks import store
from app.domain.webhooks.model import Endpoint, EndpointFormat, EndpointState
from app.domain.webhooks.signing import new_secret
from app.domain.webhooks.targets import AllowList, check_target
from app.errors import InvalidValue, NotFound

MAX_DESCRIPTION = 255
MAX_OVERLAP_HOURS = 24 * 7
TARGET = "WebhookEndpoint"


@dataclass(frozen=True, slots=True)
class EndpointInput:
    """What an admin sets; None keeps the current value (or the default on creation)."""

    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    format: EndpointFormat | None = None
    enabled: bool | None = None


def _audited(e: Endpoint) -> dict[str, object]:
    return {
        "url": e.url,
        "description": e.description,
        "eventTypes": list(e.event_types),
        "format": e.format.value,
        "enabled": e.enabled,
    }


async def _apply(e: Endpoint, data: EndpointInput, allowed: AllowList) -> Endpoint:
    url = e.url if data.url is None else data.url.strip()
    if data.url is not None:
        await check_target(url, allowed)
    description = e.description if data.description is None else data.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidValue(f"description: at most {MAX_DESCRIPTION} characters", ["description"])
    types = e.event_types if data.event_types is None else tuple(dict.fromkeys(data.event_types))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidValue(f"eventTypes: unknown event type {unknown[0][:64]!r}", ["eventTypes"])
    return replace(
        e,
        url=url,
        description=description,
        event_types=types,
        format=e.format if data.format is None else EndpointFormat(data.format),
        enabled=e.enabled if data.enabled is None else data.enabled,
    )


async def _find(tx: Tx, endpoint_id: str) -> Endpoint:
    found = await store.get_endpoint(tx, endpoint_id, lock=True)
    if found is None:
        raise NotFound(f"webhook endpoint {endpoint_id!r} does not exist", ["id"])
    return found


async def _audit(tx: Tx, actor: Actor, action: str, e: Endpoint, changes: list[Change]) -> None:
    """Audit the write, and tell every worker's deliverer the endpoints changed once it
    commits (app.db.wakeup.endpoints)."""
    tx.notify(CHANNEL, ENDPOINTS)
    tx.after_commit(endpoints.wake)
    await record_audit(
        tx,
        actor=actor,
        action=action,
        target=AuditTarget(TARGET, e.id, e.url[:255]),
        changes=changes,
    )


async def create_endpoint(
    tx: Tx, *, actor: Actor, data: EndpointInput, allowed: AllowList
) -> Endpoint:
    """A new endpoint (enabled unless told otherwise), starting at the newest event.
    Raises Forbidden, InvalidValue."""
    require_writer(actor)
    if not data.url:
        raise InvalidValue("url: required", ["url"])
    now = now_iso()
    blank = Endpoint(
        id=new_id(), url="", description="", event_types=(), format=EndpointFormat.JSON,
        enabled=True, state=EndpointState.ACTIVE, secret=new_secret(), previous_secret=None,
        previous_secret_expires_at=None, cursor_seq=await latest_seq(tx), failing_since=None,
        last_success_at=None, version=1, created_at=now, updated_at=now,
    )  # fmt: skip
    endpoint = await _apply(blank, data, allowed)
    await store.insert_endpoint(tx, endpoint)
    await _audit(tx, actor, "webhook.create", endpoint, diff({}, _audited(endpoint)))
    return endpoint


async def update_endpoint(
    tx: Tx, *, actor: Actor, endpoint_id: str, data: EndpointInput, allowed: AllowList
) -> Endpoint:
    """Change an endpoint. Raises Forbidden, NotFound, InvalidValue."""
    require_writer(actor)
    before = await _find(tx, endpoint_id)
    after = await _apply(before, data, allowed)
    changes = diff(_audited(before), _audited(after))
    if not changes:
        return before
    after = replace(after, version=before.version + 1, updated_at=now_iso())
    await store.update_endpoint(tx, after)
    await _audit(tx, actor, "webhook.update", after, changes)
    return after


async def delete_endpoint(tx: Tx, *, actor: Actor, endpoint_id: str) -> Endpoint:
    """Delete an endpoint with its deliveries and log. Raises Forbidden, NotFound."""
    require_writer(actor)
    endpoint = await _find(tx, endpoint_id)
    await store.delete_endpoint(tx, endpoint.id)
    await _audit(tx, actor, "webhook.delete", endpoint, diff(_audited(endpoint), {}))
    return endpoint


async def rotate_secret(
    tx: Tx, *, actor: Actor, endpoint_id: str, overlap_hours: float = 24
) -> Endpoint:
    """A new secret; the current one keeps signing beside it for ``overlap_hours`` (0: it
    stops at once). Raises Forbidden, NotFound, InvalidValue."""
    require_writer(actor)
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise InvalidValue(
            f"overlapHours: between 0 and {MAX_OVERLAP_HOURS}, not {overlap_hours:g}",
            ["overlapHours"],
        )
    before = await _find(tx, endpoint_id)
    keep = overlap_hours > 0
    after = replace(
        before,
        secret=new_secret(),
        previous_secret=before.secret if keep else None,
        previous_secret_expires_at=iso_in(overlap_hours / 24) if keep else None,
        version=before.version + 1,
        updated_at=now_iso(),
    )
    await store.update_endpoint(tx, after)
    overlap = Change("secretOverlapHours", None, overlap_hours)
    await _audit(tx, actor, "webhook.rotateSecret", after, [overlap])
    return after


def signing_secrets(endpoint: Endpoint, now: str) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during
    its overlap."""
    live = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        live.append(endpoint.previous_secret)
    return live


async def list_endpoints(tx: Tx, *, actor: Actor) -> list[Endpoint]:
    """Every endpoint, for an admin who may manage them. Raises Forbidden."""
    require_writer(actor)
    return await store.list_endpoints(tx)
