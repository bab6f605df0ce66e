"""Admin-side user services: create, update (rule 3), status, delete, restore (rules 2, 8, 10)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.db import Tx
from app.domain.access.credentials import revoke_user_api_tokens
from app.domain.access.decision import Action, require, user_target
from app.domain.access.permissions import require_writer
from app.domain.access.roles import ensure_an_owner_remains
from app.domain.audit import diff, record_audit
from app.domain.checks import check_external_id, check_version
from app.domain.clock import new_id, now_iso
from app.domain.groups.members import remove_user_from_all_groups
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.settings.values import validate_login_id
from app.domain.types import KEEP, Actor, AuthProvider, UserRecord, UserStatus
from app.domain.users.audited import snapshot
from app.domain.users.edits import ADMIN_EDIT, apply_identity, apply_profile
from app.domain.users.locks import status_change
from app.domain.users.store import (
    ensure_external_id_free,
    ensure_login_free,
    insert_user,
    load_user,
    mark_deleted_by,
    save_user,
)
from app.errors import InvalidValue, ManagedByIdp, NotFound

MAX_NOTES = 4000
MAX_REASON = 1000


@dataclass(slots=True)
class UserCreate:
    """Input of an admin create: a LOCAL user."""

    login_id: str
    profile: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    active: bool = True
    notes: str | None = None


@dataclass(slots=True)
class UserUpdate:
    """Input of an admin update: only the keys present are touched (None clears)."""

    values: dict[str, Any]
    expected_version: int | None = None


IDENTITY_FIELDS = ("loginId", "externalId")
LOCAL_FIELDS = ("notes",)


def locked_fields(user: UserRecord, catalogue: Catalogue) -> frozenset[str]:
    """Fields an admin may not change on this user (rule 3): empty for LOCAL users."""
    if user.is_local:
        return frozenset()
    idp = {a.name for a in catalogue.profile_attributes if a.idp_sourced}
    return frozenset({*IDENTITY_FIELDS, *idp})


def _check_text(name: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidValue(f"{name} must be a string of at most {limit} characters", [name])
    return value


def _current_value(user: UserRecord, key: str) -> Any:
    if key == "loginId":
        return user.login_id
    if key == "externalId":
        return user.external_id
    if key == "notes":
        return user.notes
    return user.profile.get(key)


async def create_user(tx: Tx, *, actor: Actor, data: UserCreate) -> UserRecord:
    """Create a LOCAL user; raises Forbidden, InvalidValue, AlreadyExists."""
    require_writer(actor)
    login_id = validate_login_id(data.login_id)
    catalogue = await get_catalogue(tx)
    profile = apply_profile(catalogue, {}, data.profile, ADMIN_EDIT, is_local=True)
    external_id = check_external_id(data.external_id)
    await ensure_login_free(tx, login_id)
    await ensure_external_id_free(tx, AuthProvider.LOCAL, external_id)
    now = now_iso()
    user = UserRecord(
        id=new_id(),
        login_id=login_id,
        external_id=external_id,
        auth_provider=AuthProvider.LOCAL,
        status=UserStatus.ACTIVE if data.active else UserStatus.INACTIVE,
        status_reason=None,
        profile=profile,
        notes=_check_text("notes", data.notes, MAX_NOTES),
        version=1,
        created_at=now,
        updated_at=now,
        last_provisioned_at=None,
    )
    await insert_user(tx, user)
    await record_audit(
        tx, actor=actor, action="user.create", target=user, changes=diff({}, snapshot(user))
    )
    return user


async def update_user(tx: Tx, *, actor: Actor, user_id: str, data: UserUpdate) -> UserRecord:
    """Apply an admin edit as a whole or not at all.

    Raises ManagedByIdp naming every IdP-owned field the edit would change (rule 3), and
    Forbidden, NotFound, InvalidValue, AlreadyExists, VersionConflict.
    """
    require_writer(actor)
    user = await load_user(tx, user_id, for_update=True)
    require(actor, Action.UPDATE_USER, await user_target(tx, actor, user))
    check_version("user", user.id, user.version, data.expected_version)
    catalogue = await get_catalogue(tx)
    values = dict(data.values)
    locked = locked_fields(user, catalogue)
    touched = sorted(k for k in values if k in locked and values[k] != _current_value(user, k))
    if touched:
        raise ManagedByIdp(
            f"managed by {user.auth_provider}: {', '.join(touched)} cannot be changed here",
            fields=touched,
        )
    updated = await _apply_admin_values(tx, user, catalogue, values)
    return await write_user_update(tx, actor=actor, user=user, updated=updated) or user


async def write_user_update(
    tx: Tx, *, actor: Actor, user: UserRecord, updated: UserRecord
) -> UserRecord | None:
    """Save ``updated`` as the next version of ``user`` and audit what changed; None (and no
    write) when nothing did: an unchanged edit or resync is no new version (rule 13)."""
    changes = diff(snapshot(user), snapshot(updated))
    if not changes:
        return None
    saved = await save_user(tx, updated, expected_version=user.version)
    await record_audit(tx, actor=actor, action="user.update", target=saved, changes=changes)
    return saved


async def _apply_admin_values(
    tx: Tx, user: UserRecord, catalogue: Catalogue, values: dict[str, Any]
) -> UserRecord:
    updated = await apply_identity(
        tx,
        user,
        user,
        ADMIN_EDIT,
        login_id=values.pop("loginId", KEEP),
        external_id=values.pop("externalId", KEEP),
    )
    if "notes" in values:
        updated = replace(updated, notes=_check_text("notes", values.pop("notes"), MAX_NOTES))
    profile = apply_profile(catalogue, user.profile, values, ADMIN_EDIT, is_local=user.is_local)
    return replace(updated, profile=profile)


async def set_user_status(
    tx: Tx, *, actor: Actor, user_id: str, active: bool, reason: str
) -> UserRecord:
    """Deactivate or reactivate; deactivating an IdP-owned user locks it (rule 17, see
    app.domain.users.locks), reactivating lifts the lock.

    Raises InvalidValue without a reason, LastOwner, Forbidden (a user holding OWNER needs an
    OWNER, rule 14), NotFound.
    """
    require_writer(actor)
    reason = (_check_text("reason", reason, MAX_REASON) or "").strip()
    if not reason:
        raise InvalidValue("a reason is required to change a user's status", fields=["reason"])
    user = await load_user(tx, user_id, for_update=True)
    require(actor, Action.CHANGE_USER_STATUS, await user_target(tx, actor, user))
    updated = status_change(actor, user, active, reason)
    if updated is None:
        return user
    saved = await save_user(tx, updated, expected_version=user.version)
    if not active:  # after the change, under the lock (roles.OWNERS_LOCK)
        await ensure_an_owner_remains(tx, removed=user.id)
    action = "user.reactivate" if active else "user.deactivate"
    changes = diff(snapshot(user), snapshot(saved))
    await record_audit(tx, actor=actor, action=action, target=saved, changes=changes, reason=reason)
    return saved


async def soft_delete_user(tx: Tx, *, actor: Actor, user: UserRecord) -> UserRecord:
    """Soft-delete (rule 8): hidden, loginId freed, memberships removed, audit keeps it all;
    its admin API tokens revoked for good (rule 15), and who deleted it kept (rule 16).

    The caller has asked `require` for DELETE_USER. Raises LastOwner."""
    groups = await remove_user_from_all_groups(tx, user_id=user.id)
    deleted = await save_user(
        tx, replace(user, deleted_at=now_iso()), expected_version=user.version
    )
    await mark_deleted_by(tx, user.id, actor.kind)
    await revoke_user_api_tokens(tx, actor=actor, user_id=user.id, reason="user deleted")
    if user.active:  # after the change, under the lock (roles.OWNERS_LOCK)
        await ensure_an_owner_remains(tx, removed=user.id, left=groups)
    changes = diff({**snapshot(user), "groups": sorted(groups)}, {})
    await record_audit(tx, actor=actor, action="user.delete", target=user, changes=changes)
    return deleted


async def delete_user(tx: Tx, *, actor: Actor, user_id: str) -> UserRecord:
    """Admin delete; raises ManagedByIdp for IdP-owned users (rule 3), Forbidden (a user
    holding OWNER needs an OWNER, rule 14), LastOwner, NotFound."""
    require_writer(actor)
    user = await load_user(tx, user_id, for_update=True)
    require(actor, Action.DELETE_USER, await user_target(tx, actor, user))
    return await soft_delete_user(tx, actor=actor, user=user)


async def restore_user(tx: Tx, *, actor: Actor, user_id: str) -> UserRecord:
    """Undo an admin delete of a LOCAL user (its tokens stay revoked, rule 15); raises NotFound,
    ManagedByIdp, Forbidden (a user holding OWNER needs an OWNER, rule 14), AlreadyExists."""
    require_writer(actor)
    user = await load_user(tx, user_id, include_deleted=True, for_update=True)
    if user.deleted_at is None:
        raise NotFound(f"user {user_id} is not deleted", fields=["id"])
    require(actor, Action.RESTORE_USER, await user_target(tx, actor, user))
    await ensure_login_free(tx, user.login_id)
    await ensure_external_id_free(tx, user.auth_provider, user.external_id, except_id=user.id)
    restored = await save_user(tx, replace(user, deleted_at=None), expected_version=user.version)
    await record_audit(
        tx,
        actor=actor,
        action="user.restore",
        target=restored,
        changes=diff({}, snapshot(restored)),
    )
    return restored
