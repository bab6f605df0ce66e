"""How consumers see an event: its document, with HIDDEN attribute values masked."""

from __future__ import annotations

from typing import Any

from app.domain.outbox.store import OutboxEventRecord
from app.domain.users.visibility import MASK, masks_change


def document(event: OutboxEventRecord, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The event as consumers receive it (the feed, GraphQL's ``resourceData``, webhooks);
    the values of ``hidden`` profile attributes masked (app.domain.users.visibility)."""
    changes, resource = event.changes, event.resource
    if hidden:
        changes = [
            {**c, "before": MASK, "after": MASK} if masks_change(c["field"], hidden) else c
            for c in changes
        ]
        if resource is not None and isinstance(resource.get("profile"), dict):
            profile = {k: MASK if k in hidden else v for k, v in resource["profile"].items()}
            resource = {**resource, "profile": profile}
    return {
        "seq": event.seq,
        "id": event.id,
        "type": event.type,
        "occurredAt": event.at,
        "actor": {"type": event.actor_type, "id": event.actor_id, "label": event.actor_label},
        "requestId": event.request_id,
        "resourceType": event.resource_type,
        "resourceId": event.resource_id,
        "changes": changes,
        "resource": resource,
    }
