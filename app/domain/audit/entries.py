"""What the audit log reads back (audit package; the reads are in `entries_store`): an entry and the
conditions a reader may put on entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions on audit entries, combined with AND. ``action`` ending in '.' is a prefix."""

    actor: str | None = None
    target: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntryRecord:
    """One audit entry; ``changes`` holds ``{field, before, after}`` dicts."""

    id: str
    at: str
    actor_type: str
    actor_id: str | None
    actor_label: str
    action: str
    target_type: str
    target_id: str | None
    target_label: str | None
    changes: list[dict[str, Any]]
    reason: str | None
    request_id: str | None
