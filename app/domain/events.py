"""The provisioning event log: one entry per SCIM write, success or failure."""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Tx
from app.domain.clock import new_id, now_iso


@dataclass(slots=True)
class ProvisioningEventRecord:
    """One SCIM write as logged."""

    id: str
    at: str
    token_id: str | None
    method: str
    resource_type: str
    resource_id: str | None
    external_id: str | None
    outcome: str
    status_code: int
    error_detail: str | None
    duration_ms: float
    request_id: str | None


async def record_provisioning_event(
    tx: Tx,
    *,
    token_id: str | None,
    method: str,
    resource_type: str,
    resource_id: str | None,
    external_id: str | None,
    outcome: str,
    status_code: int,
    error_detail: str | None,
    duration_ms: float,
    request_id: str | None,
) -> ProvisioningEventRecord:
    """Append a provisioning event (outcome SUCCESS, WARNING or ERROR).

    Subscribers of `app.domain.notify.provisioning_events` receive it once the transaction
    commits (never when it rolls back).
    """
    event = ProvisioningEventRecord(
        new_id(),
        now_iso(),
        token_id,
        method,
        resource_type,
        resource_id,
        external_id,
        outcome,
        status_code,
        error_detail,
        round(duration_ms, 3),
        request_id,
    )
    await tx.execute(
        "INSERT INTO provisioning_events (id, at, token_id, method, resource_type, resource_id,"
        " external_id, outcome, status_code, error_detail, duration_ms, request_id) VALUES (:id,"
        " :at, :tok, :m, :rt, :rid, :ext, :o, :sc, :err, :dur, :req)",
        {
            "id": event.id,
            "at": event.at,
            "tok": token_id,
            "m": method,
            "rt": resource_type,
            "rid": resource_id,
            "ext": external_id,
            "o": outcome,
            "sc": status_code,
            "err": error_detail,
            "dur": event.duration_ms,
            "req": request_id,
        },
    )
    from app.domain.notify import publish_provisioning_event  # notify imports this module

    tx.after_commit(lambda: publish_provisioning_event(event))
    return event
