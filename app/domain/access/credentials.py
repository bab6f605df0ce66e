"""Credentials die with their user (rule 15): deleting a user revokes its admin API tokens."""

from __future__ import annotations

from app.db import Tx
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import now_iso
from app.domain.types import Actor, Change


async def revoke_user_api_tokens(tx: Tx, *, actor: Actor, user_id: str, reason: str) -> int:
    """Revoke every unrevoked admin API token of the user, one audit entry each; how many.

    Revoked for good: nothing un-revokes a token, so a later restore does not revive it.
    """
    now = now_iso()
    rows = await tx.fetch(
        "UPDATE api_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL"
        " RETURNING id, name",
        {"now": now, "u": user_id},
    )
    for row in rows:
        await record_audit(
            tx,
            actor=actor,
            action="apiToken.revoke",
            target=AuditTarget("ApiToken", row["id"], row["name"]),
            changes=[Change("state", "ACTIVE", "REVOKED")],
            reason=reason,
        )
    return len(rows)
