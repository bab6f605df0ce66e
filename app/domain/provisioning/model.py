"""The provisioning event log's records (provisioning package): an event, the conditions a reader
may put on events, and the provisioning page's counters. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


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
    # Attribute paths the write deliberately ignored (rule 18): `password`, `roles`,
    # `entitlements`, rule 5's local-priority values.
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Conditions on provisioning events, combined with AND."""

    outcomes: Sequence[str] = ()
    resource_type: str | None = None
    resource_id: str | None = None
    token_id: str | None = None
    since: str | None = None
    until: str | None = None


def event_matches(f: EventFilter, e: ProvisioningEventRecord) -> bool:
    """The event passes the filter (for live subscribers; same meaning as the SQL filter)."""
    checks = (
        not f.outcomes or e.outcome in f.outcomes,
        f.resource_type is None or e.resource_type == f.resource_type,
        f.resource_id is None or e.resource_id == f.resource_id,
        f.token_id is None or e.token_id == f.token_id,
        f.since is None or e.at >= f.since,
        f.until is None or e.at < f.until,
    )
    return all(checks)


@dataclass(frozen=True, slots=True)
class ProvisioningStats:
    """Owned records per auth provider and SCIM traffic of the last 24 hours."""

    users_by_provider: dict[str, int]
    groups_by_provider: dict[str, int]
    requests_24h: int
    errors_24h: int
    last_request_at: str | None
