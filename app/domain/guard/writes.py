"""Which IdP writes are destructive (rule 19), as the guard stores them to apply later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from app.db import Tx
from app.domain.access.roles import direct_roles
from app.domain.groups.members import MemberChange
from app.domain.guard.model import DestructiveWrite, HeldKind
from app.domain.types import Actor, UserRecord
from app.domain.users.provisioning import ProvisionedUser


def user_update(
    actor: Actor, user: UserRecord, data: ProvisionedUser, method: str
) -> DestructiveWrite | None:
    """A PUT or PATCH that deactivates an active user; None for any other update (no I/O:
    a write below the threshold pays nothing for the guard unless it deactivates)."""
    if data.active is not False or not user.active or "active" not in data.touch:
        return None
    payload = asdict(data)
    payload["touch"] = sorted(data.touch)
    return DestructiveWrite(
        HeldKind.DEACTIVATE_USER, "User", user.id, method, payload, actor.id, actor.request_id
    )


def user_delete(actor: Actor, user: UserRecord) -> DestructiveWrite:
    """A DELETE of a user."""
    return DestructiveWrite(
        HeldKind.DELETE_USER, "User", user.id, "DELETE", {}, actor.id, actor.request_id
    )


async def group_update(
    tx: Tx,
    actor: Actor,
    group_id: str,
    change: MemberChange | None,
    fields: tuple[str | None, str | None, bool, str],
) -> DestructiveWrite | None:
    """A group write that removes members (or replaces them) on a group that grants roles;
    ``fields``: display name, externalId, whether externalId is set, the SCIM method."""
    if change is None or (change.replace is None and not change.remove):
        return None
    if not await direct_roles(tx, group_id=group_id):
        return None
    name, external_id, set_external_id, method = fields
    payload = {
        "replace": _ids(change.replace),
        "remove": list(change.remove),
        "add": list(change.add),
        "display_name": name,
        "external_id": external_id,
        "set_external_id": set_external_id,
    }
    return DestructiveWrite(
        HeldKind.REMOVE_MEMBERS, "Group", group_id, method, payload, actor.id, actor.request_id
    )


def _ids(ids: Sequence[str] | None) -> list[str] | None:
    return None if ids is None else list(ids)
