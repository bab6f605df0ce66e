"""The admin services on groups (rule 9), and what the IdP path shares with them: the name
rule, a new group's checks and row, the delete with its roles, and the group's audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from app.db import Tx
from app.domain.access.decision import Action, group_target, require
from app.domain.access.permissions import require_writer
from app.domain.access.roles import direct_roles, ensure_an_owner_remains
from app.domain.audit import diff, record_audit
from app.domain.checks import check_external_id, check_version
from app.domain.clock import new_id, now_iso
from app.domain.groups import store
from app.domain.groups.members import add_members, keep_an_owner, members_change, remove_members
from app.domain.types import Actor, AuthProvider, Change, GroupRecord, MembershipResult
from app.errors import InvalidValue, NotFound

MAX_NAME = 255


def validate_display_name(value: Any) -> str:
    """A trimmed group name; raises InvalidValue."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("displayName must be a non-empty string", fields=["displayName"])
    name: str = value.strip()
    if len(name) > MAX_NAME:
        raise InvalidValue(f"displayName is longer than {MAX_NAME} characters", ["displayName"])
    if "\x00" in name:  # PostgreSQL cannot store it; refused on both engines alike
        raise InvalidValue("displayName contains the NUL character (U+0000)", ["displayName"])
    return name


async def insert_new_group(
    tx: Tx,
    *,
    actor: Actor,
    display_name: str,
    external_id: str | None,
    provider: AuthProvider,
    provisioned: bool,
) -> GroupRecord:
    """Check and insert a group with no members (``provisioned``: the IdP writes it); raises
    InvalidValue, AlreadyExists."""
    name = validate_display_name(display_name)
    external_id = check_external_id(external_id)
    await store.ensure_group_name_free(tx, name)
    await store.ensure_group_external_free(tx, provider, external_id)
    now = now_iso()
    provisioned_at = now if provisioned else None
    group = GroupRecord(
        new_id(), name, external_id, provider, 0, 1, now, now, provisioned_at, actor.kind
    )
    await store.insert_group(tx, group)
    return group


async def create_group(
    tx: Tx, *, actor: Actor, display_name: str, external_id: str | None = None
) -> GroupRecord:
    """Create a LOCAL group; raises Forbidden, InvalidValue, AlreadyExists."""
    require_writer(actor)
    group = await insert_new_group(
        tx,
        actor=actor,
        display_name=display_name,
        external_id=external_id,
        provider=AuthProvider.LOCAL,
        provisioned=False,
    )
    await record_audit(
        tx,
        actor=actor,
        action="group.create",
        target=group,
        changes=[Change("displayName", None, group.display_name)],
    )
    return group


async def update_group(
    tx: Tx, *, actor: Actor, group_id: str, display_name: str, expected_version: int | None = None
) -> GroupRecord:
    """Rename a LOCAL group; raises ManagedByIdp for IdP groups (rule 9), AlreadyExists."""
    require_writer(actor)
    group = await store.load_group(tx, group_id, for_update=True)
    require(actor, Action.UPDATE_GROUP, await group_target(tx, group))
    check_version("group", group.id, group.version, expected_version)
    name = validate_display_name(display_name)
    if name == group.display_name:
        return group
    await store.ensure_group_name_free(tx, name, except_id=group.id)
    updated = await store.save_group(
        tx, replace(group, display_name=name), expected_version=group.version
    )
    changes = diff({"displayName": group.display_name}, {"displayName": name})
    await record_audit(tx, actor=actor, action="group.update", target=updated, changes=changes)
    return updated


async def drop_group(tx: Tx, *, actor: Actor, group: GroupRecord) -> None:
    """Delete a group and, with it, the roles granted through it (rule 9)."""
    roles = await direct_roles(tx, group_id=group.id)
    await store.delete_group_rows(tx, group.id)
    if "OWNER" in roles:
        await ensure_an_owner_remains(tx)
    changes = [
        Change("displayName", group.display_name, None),
        Change("externalId", group.external_id, None),
        Change("memberCount", group.member_count, None),
        Change("roles", roles, None),
    ]
    await record_audit(tx, actor=actor, action="group.delete", target=group, changes=changes)


async def delete_group(tx: Tx, *, actor: Actor, group_id: str) -> GroupRecord:
    """Admin delete of a LOCAL group; raises ManagedByIdp, Forbidden (a group holding OWNER
    needs an OWNER, rule 14), NotFound, LastOwner."""
    require_writer(actor)
    group = await store.load_group(tx, group_id, for_update=True)
    require(actor, Action.DELETE_GROUP, await group_target(tx, group))
    await drop_group(tx, actor=actor, group=group)
    return group


async def _admin_members(
    tx: Tx, actor: Actor, group_id: str, user_ids: Sequence[str], add: bool
) -> MembershipResult:
    require_writer(actor)
    group = await store.load_group(tx, group_id, for_update=True)
    action = Action.ADD_MEMBERS if add else Action.REMOVE_MEMBERS
    require(actor, action, await group_target(tx, group))
    if add:
        result = await add_members(tx, group_id=group.id, user_ids=user_ids)
        if result.unknown:
            raise NotFound(f"no user with id {result.unknown[0]!r}", fields=["userIds"])
    else:
        result = await remove_members(tx, group_id=group.id, user_ids=user_ids)
        await keep_an_owner(tx, group.id, result)
    changes = members_change(result)
    if changes:
        name = "group.members.add" if add else "group.members.remove"
        await record_audit(tx, actor=actor, action=name, target=group, changes=changes)
    return result


async def add_group_members(
    tx: Tx, *, actor: Actor, group_id: str, user_ids: Sequence[str]
) -> MembershipResult:
    """Add users (IdP-owned ones too) to a LOCAL group; raises ManagedByIdp, NotFound,
    Forbidden (joining a group that holds OWNER makes an OWNER: only an OWNER may, rule 14)."""
    return await _admin_members(tx, actor, group_id, user_ids, add=True)


async def remove_group_members(
    tx: Tx, *, actor: Actor, group_id: str, user_ids: Sequence[str]
) -> MembershipResult:
    """Remove users from a LOCAL group; raises ManagedByIdp, NotFound, LastOwner, Forbidden
    (a group holding OWNER needs an OWNER, rule 14)."""
    return await _admin_members(tx, actor, group_id, user_ids, add=False)
