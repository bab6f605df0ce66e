"""Rule 17, the emergency lock: an admin's deactivation of an IdP-owned user holds.

While a lock holds, the user stays INACTIVE whatever SCIM sends; the IdP's ``active`` is kept
beside the lock (`UserLock.idp_active`) and is what SCIM reads back, so the IdP sees its own
value and does not re-send it. Lifting the lock (`unlock_user`) applies that value; an admin's
reactivation lifts it too, making the user ACTIVE.
"""

from __future__ import annotations

from dataclasses import replace

from app.db import Tx
from app.domain.access.decision import Action, require, user_target
from app.domain.access.permissions import require_writer
from app.domain.audit import diff, record_audit
from app.domain.clock import now_iso
from app.domain.types import Actor, UserLock, UserRecord, UserStatus
from app.domain.users.audited import snapshot
from app.domain.users.store import load_user, save_user
from app.errors import InvalidValue


def status_change(actor: Actor, user: UserRecord, active: bool, reason: str) -> UserRecord | None:
    """The user after an admin's deactivation or reactivation, or None when nothing changes.

    Deactivating an IdP-owned user locks it, also when its IdP had already deactivated it
    (the lock then keeps it so); reactivating lifts any lock.
    """
    if active:
        if user.active and user.lock is None:
            return None
        return replace(user, status=UserStatus.ACTIVE, status_reason=reason, lock=None)
    if user.lock is not None or (user.is_local and not user.active):
        return None
    lock = None if user.is_local else UserLock(reason, actor.id, now_iso(), user.active)
    return replace(user, status=UserStatus.INACTIVE, status_reason=reason, lock=lock)


def apply_idp_active(user: UserRecord, updated: UserRecord, active: bool) -> UserRecord:
    """``updated`` with what an IdP's ``active`` does to ``user``: under a lock it is only
    stored beside it; else it sets the status, and a status that changes drops the reason of
    the previous change (it no longer explains anything)."""
    if user.lock is not None:
        return replace(updated, lock=replace(user.lock, idp_active=active))
    status = UserStatus.ACTIVE if active else UserStatus.INACTIVE
    if status == user.status:
        return replace(updated, status=status)
    return replace(updated, status=status, status_reason=None)


def restored_status(twin: UserRecord, fresh: UserRecord) -> UserRecord:
    """``twin`` (a deleted user the IdP restores) with the IdP's ``active`` of ``fresh``
    applied as `apply_idp_active` would: a lock survives the delete and the restore."""
    return apply_idp_active(twin, twin, fresh.active)


async def unlock_user(tx: Tx, *, actor: Actor, user_id: str) -> UserRecord:
    """Lift a user's lock and apply the ``active`` its IdP wants, audited as user.unlock.

    Needs the rights of changing the user's status (a user holding OWNER: an OWNER, rule 14).
    Raises InvalidValue when the user is not locked, Forbidden, NotFound.
    """
    require_writer(actor)
    user = await load_user(tx, user_id, for_update=True)
    require(actor, Action.CHANGE_USER_STATUS, await user_target(tx, actor, user))
    if user.lock is None:
        raise InvalidValue("the user is not locked", fields=["id"])
    status = UserStatus.ACTIVE if user.lock.idp_active else UserStatus.INACTIVE
    updated = replace(user, status=status, status_reason=None, lock=None)
    saved = await save_user(tx, updated, expected_version=user.version)
    await record_audit(
        tx,
        actor=actor,
        action="user.unlock",
        target=saved,
        changes=diff(snapshot(user), snapshot(saved)),
    )
    return saved
