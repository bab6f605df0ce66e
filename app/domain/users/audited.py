"""What the audit log keeps of a user (app.domain.users): its audited view (the entry itself
names the user through `UserRecord.audit_target`)."""

from __future__ import annotations

from typing import Any

from app.domain.types import UserRecord


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
