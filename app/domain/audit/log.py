"""The audit log's writer (audit package): `record_audit` appends an entry in the same transaction
as the change it describes (rule 13); it is the only code that writes audit entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from app.db import Tx
from app.domain.audit.store import insert_entry
from app.domain.clock import new_id, now_iso
from app.domain.outbox.stage import stage_event
from app.domain.types import Actor, AuditTarget, Change


class Audited(Protocol):
    """An audit target, or a record that names its own (`UserRecord`, `GroupRecord`)."""

    @property
    def audit_target(self) -> AuditTarget: ...


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The fields whose value differs between two snapshots, in a stable order."""
    keys = sorted(set(before) | set(after))
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


async def record_audit(
    tx: Tx,
    *,
    actor: Actor,
    action: str,
    target: Audited,
    changes: Iterable[Change] = (),
    reason: str | None = None,
) -> None:
    """Append one audit entry, and stage the change's downstream event (rule 20: the outbox).
    Raises nothing of its own; database errors propagate."""
    changes = list(changes)
    target = target.audit_target
    stage_event(
        tx,
        actor=actor,
        action=action,
        target_type=target.type,
        target_id=target.id,
        changes=changes,
    )
    await insert_entry(
        tx,
        {
            "id": new_id(),
            "at": now_iso(),
            "actor_type": actor.kind.value,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "action": action,
            "target_type": target.type,
            "target_id": target.id,
            "target_label": target.label,
            "changes": tx.dialect.json_param(
                [{"field": c.field, "before": c.before, "after": c.after} for c in changes]
            ),
            "reason": reason,
            "request_id": actor.request_id,
        },
    )
