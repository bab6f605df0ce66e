"""Downstream events (rule 20): the outbox.

Every committed change to a user, group, membership, role grant, setting or token yields
exactly one event, written in the change's own transaction. The one audit helper
(`app.domain.audit.record_audit`) stages it: `types` names the event from the audit action,
`stage` numbers and writes it just before the transaction commits, and `store` holds the
package's SQL (numbering, the resource as it now is, reading pages of the feed).
"""

from app.domain.outbox.stage import stage_event
from app.domain.outbox.store import (
    OutboxEventRecord,
    document,
    events_after,
    latest_seq,
    oldest_seq,
)
from app.domain.outbox.types import EVENT_TYPES, event_type

__all__ = [
    "EVENT_TYPES",
    "OutboxEventRecord",
    "document",
    "event_type",
    "events_after",
    "latest_seq",
    "oldest_seq",
    "stage_event",
]
