"""What the audit log keeps of a user (app.domain.users): its audited view and the entry each
write of the package appends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.db import Tx
from app.domain.audit import record_audit
from app.domain.types import Actor, Change, UserRecord


def snapshot(user: UserRecord) -> dict[str, Any]:
    """The audited view of a user: identity, lifecycle (a lock and the IdP's wish under it,
    rule 17), every profile value, SCIM extras."""
    return {
        "loginId": user.login_id,
        "externalId": user.external_id,
        "authProvider": user.auth_provider.value,
        "status": user.status.value,
        "emergencyLock": None if user.lock is None else user.lock.reason,
        "idpActive": None if user.lock is None else user.lock.idp_active,
        "notes": user.notes,
        **{f"profile.{k}": v for k, v in user.profile.items() if v is not None},
        "scimExtras": user.scim_extras or None,
    }


async def audit_user(
    tx: Tx,
    actor: Actor,
    action: str,
    user: UserRecord,
    changes: Iterable[Change],
    *,
    reason: str | None = None,
) -> None:
    """Append the audit entry of a write of ``user`` (labelled with its loginId)."""
    await record_audit(
        tx,
        actor=actor,
        action=action,
        target_type="User",
        target_id=user.id,
        target_label=user.login_id,
        changes=changes,
        reason=reason,
    )
