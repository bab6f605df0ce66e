"""Groups written by an identity provider over SCIM (rules 1, 6, 7, 9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.db import Tx
from app.domain.access.decision import Action, Target, group_target, idp_controls_members, require
from app.domain.audit import record_audit
from app.domain.checks import check_external_id, check_version
from app.domain.clock import now_iso
from app.domain.groups import store
from app.domain.groups.members import (
    MemberChange,
    add_members,
    apply_members,
    keep_an_owner,
    members_change,
)
from app.domain.groups.service import (
    drop_group,
    insert_new_group,
    validate_display_name,
)
from app.domain.names import name_key
from app.domain.settings.authentication import current_provider
from app.domain.types import Actor, Change, GroupRecord, MembershipResult
from app.errors import Mutability


async def provision_create_group(
    tx: Tx,
    *,
    actor: Actor,
    display_name: str,
    external_id: str | None,
    members: Sequence[str] = (),
) -> tuple[GroupRecord, MembershipResult]:
    """Create a group for the IdP with its first members; raises AlreadyExists, InvalidValue."""
    group = await insert_new_group(
        tx,
        actor=actor,
        display_name=display_name,
        external_id=external_id,
        provider=await current_provider(tx),
        provisioned=True,
    )
    result = await add_members(tx, group_id=group.id, user_ids=members)
    changes = [
        Change("displayName", None, group.display_name),
        Change("externalId", None, group.external_id),
    ]
    await record_audit(
        tx,
        actor=actor,
        action="group.create",
        target=group,
        changes=changes + members_change(result),
    )
    return await store.load_group(tx, group.id), result


def _scim_name(group: GroupRecord, name: str) -> str:
    """The name a SCIM write gives ``group``. Rule 7, as for users: a LOCAL group an admin
    created keeps its name (a rename is Mutability; another spelling of it, no change); the
    IdP renames the groups it owns or created (rule 1), whose members it controls too."""
    if idp_controls_members(group) or name == group.display_name:
        return name
    if name_key(name) != name_key(group.display_name):
        raise Mutability(
            "displayName of a LOCAL group is owned by Roster and cannot be renamed over SCIM",
            fields=["displayName"],
        )
    return group.display_name


async def _attribute_changes(
    tx: Tx, group: GroupRecord, display_name: str | None, external_id: str | None
) -> tuple[GroupRecord, list[Change]]:
    """``group`` renamed and re-keyed in memory, checked for uniqueness; nothing written."""
    changes: list[Change] = []
    updated = group
    external_id = check_external_id(external_id)
    if display_name is not None:
        name = _scim_name(group, validate_display_name(display_name))
        if name != group.display_name:
            await store.ensure_group_name_free(tx, name, except_id=group.id)
            updated = replace(updated, display_name=name)
            changes.append(Change("displayName", group.display_name, name))
    if external_id != group.external_id:
        await store.ensure_group_external_free(
            tx, group.auth_provider, external_id, except_id=group.id
        )
        updated = replace(updated, external_id=external_id)
        changes.append(Change("externalId", group.external_id, external_id))
    return updated, changes


async def _write_group(
    tx: Tx, group: GroupRecord, updated: GroupRecord, changed: bool, member_delta: int
) -> GroupRecord:
    """The group row's one write: a new version when anything changed, else only
    lastProvisionedAt (version and updatedAt stay)."""
    if changed:
        return await store.save_group(
            tx,
            replace(updated, last_provisioned_at=now_iso()),
            expected_version=group.version,
            member_delta=member_delta,
        )
    return replace(updated, last_provisioned_at=await store.mark_group_provisioned(tx, group.id))


def _require_member_change(actor: Actor, target: Target, result: MembershipResult) -> None:
    """Decided on what the change did, before it commits: a refusal rolls it all back, so an
    unchanged membership (a resync) of a group holding OWNER is no refusal (rule 14)."""
    if result.added:
        require(actor, Action.ADD_MEMBERS, target)
    if result.removed:
        require(actor, Action.REMOVE_MEMBERS, target)


async def provision_update_group(
    tx: Tx,
    *,
    actor: Actor,
    group_id: str,
    display_name: str | None = None,
    external_id: str | None = None,
    set_external_id: bool = False,
    members: MemberChange | None = None,
    expected_version: int | None = None,
) -> tuple[GroupRecord, MembershipResult]:
    """Rename and change members as set operations; unknown member ids come back in
    ``unknown`` (the caller logs a provisioning warning). Raises ProtectedAdmin when members of a
    group holding OWNER would change (rule 14), AlreadyExists, NotFound, VersionConflict,
    LastOwner.
    """
    group = await store.load_group(tx, group_id, for_update=True)
    check_version("group", group.id, group.version, expected_version)
    updated, changes = await _attribute_changes(
        tx, group, display_name, external_id if set_external_id else group.external_id
    )
    target = await group_target(tx, group)
    result = await apply_members(tx, group.id, members or MemberChange())
    _require_member_change(actor, target, result)
    await keep_an_owner(tx, group.id, result)
    changes += members_change(result)
    delta = len(result.added) - len(result.removed)
    updated = await _write_group(tx, group, updated, bool(changes), delta)
    if changes:
        await record_audit(tx, actor=actor, action="group.update", target=updated, changes=changes)
    return updated, result


async def provision_delete_group(
    tx: Tx, *, actor: Actor, group_id: str, expected_version: int | None = None
) -> GroupRecord:
    """Delete a group for the IdP, revoking the roles granted through it; raises NotFound,
    ProtectedAdmin for a group holding OWNER (rule 14), VersionConflict."""
    group = await store.load_group(tx, group_id, for_update=True)
    check_version("group", group.id, group.version, expected_version)
    require(actor, Action.DELETE_GROUP, await group_target(tx, group))
    await drop_group(tx, actor=actor, group=group)
    return group
