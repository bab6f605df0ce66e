"""Bounded growth of the logs (audit package): provisioning events and audit entries older
than their retention go.

Retention comes from `Settings` (``provisioning_event_retention_days``, default 90,
``audit_retention_days``, default 365, and ``event_retention_days`` for the downstream event
outbox, default 30, which the webhook delivery log and finished deliveries follow; 0 keeps a log
forever). Rows go oldest first in batches,
one transaction per batch, so a purge of millions of rows never holds a lock for long and an
interrupted purge leaves a consistent, shorter log; each batch is one indexed range read on
``at``. Apart from this purge the audit log is append-only, and the purge itself is audited
(``audit.purge``, with the cut-off and the counts). It lives beside `record_audit` so that
every statement that writes ``audit_entries`` (the insert and this purge) is in
`app.domain.audit.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Database, Tx
from app.domain.audit.log import record_audit
from app.domain.audit.store import count_older, delete_oldest
from app.domain.clock import iso_in
from app.domain.types import SYSTEM, Actor, AuditTarget, Change
from app.errors import InvalidValue
from app.settings import Settings

# The logs a purge may shorten; table names only ever come from here.
LOGS = (
    "provisioning_events",
    "audit_entries",
    "outbox_events",
    "webhook_attempts",
    "webhook_deliveries",
)


@dataclass(frozen=True, slots=True)
class Purged:
    """What a purge removed (or, in a dry run, would remove) from one log."""

    log: str
    before: str  # rows with ``at`` earlier than this ISO timestamp
    rows: int


def cutoffs(settings: Settings) -> dict[str, str]:
    """The cut-off of each log whose retention is not 0 (keep forever)."""
    days = {
        "provisioning_events": settings.provisioning_event_retention_days,
        "audit_entries": settings.audit_retention_days,
        "outbox_events": settings.event_retention_days,
        # The webhook delivery log and finished deliveries live as long as the events.
        "webhook_attempts": settings.event_retention_days,
        "webhook_deliveries": settings.event_retention_days,
    }
    return {log: iso_in(-d) for log, d in days.items() if d > 0}


def _log(log: str) -> str:
    if log not in LOGS:
        raise InvalidValue(f"{log!r} is not a log with a retention", fields=["log"])
    return log


async def count_expired(tx: Tx, *, log: str, before: str) -> int:
    """How many rows of ``log`` are older than ``before``; raises InvalidValue for a bad log."""
    return await count_older(tx, _log(log), before)


async def purge_batch(tx: Tx, *, log: str, before: str, size: int) -> int:
    """Delete up to ``size`` of the oldest rows of ``log`` older than ``before``.

    Returns how many went. Raises InvalidValue for a bad log or size.
    """
    if size < 1:
        raise InvalidValue("the batch size must be at least 1", fields=["size"])
    return await delete_oldest(tx, _log(log), before, size)


async def purge_expired(
    db: Database,
    settings: Settings,
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
    actor: Actor = SYSTEM,
) -> list[Purged]:
    """Purge every log past its retention (see the module docstring); a dry run only counts.

    Raises InvalidValue for a batch size below 1.
    """
    done: list[Purged] = []
    for log, before in cutoffs(settings).items():
        if dry_run:
            async with db.transaction(write=False) as tx:
                done.append(Purged(log, before, await count_expired(tx, log=log, before=before)))
            continue
        total = 0
        while True:
            async with db.transaction() as tx:
                removed = await purge_batch(tx, log=log, before=before, size=batch_size)
            total += removed
            if removed < batch_size:
                break
        done.append(Purged(log, before, total))
    if not dry_run and any(p.rows for p in done):
        async with db.transaction() as tx:
            await record_audit(
                tx,
                actor=actor,
                action="audit.purge",
                target=AuditTarget("Log", None),
                changes=[Change(f"{p.log}.purged", None, p.rows) for p in done],
                reason="retention: " + "; ".join(f"{p.log} before {p.before}" for p in done),
            )
    return done
