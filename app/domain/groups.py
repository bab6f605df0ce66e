"""Groups: storage, admin services (rule 9) and the owner rules that apply to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from app.db import Row, Tx
from app.domain.access.decision import Action, group_target, require
from app.domain.access.permissions import require_writer
from app.domain.access.roles import direct_roles, ensure_an_owner_remains
from app.domain.audit import diff, record_audit
from app.domain.checks import check_external_id, check_version
from app.domain.clock import new_id, now_iso
from app.domain.memberships import add_members, remove_members
from app.domain.names import name_key, search_fold
from app.domain.types import Actor, AuthProvider, Change, GroupRecord, MembershipResult
from app.errors import AlreadyExists, InvalidValue, NotFound, VersionConflict

GROUP_COLUMNS = (
    "id, display_name, external_id, auth_provider, member_count, version, created_at,"
    " updated_at, last_provisioned_at, created_by_kind"
)
MAX_NAME = 255


def row_to_group(row: Row) -> GroupRecord:
    """Map a row selected with GROUP_COLUMNS."""
    return GroupRecord(
        id=row["id"],
        display_name=row["display_name"],
        external_id=row["external_id"],
        auth_provider=row["auth_provider"],
        member_count=int(row["member_count"]),
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_provisioned_at=row["last_provisioned_at"],
        created_by_kind=row["created_by_kind"],
    )


async def load_group(tx: Tx, group_id: str, *, for_update: bool = False) -> GroupRecord:
    """The group with this id; raises NotFound. ``for_update`` locks it (see find_user)."""
    lock = tx.dialect.for_update if for_update else ""
    row = await tx.fetchrow(
        f"SELECT {GROUP_COLUMNS} FROM groups WHERE id = :id{lock}", {"id": group_id}
    )
    if row is None:
        raise NotFound(f"no group with id {group_id!r}", fields=["id"])
    return row_to_group(row)


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


async def ensure_group_name_free(tx: Tx, name: str, *, except_id: str | None = None) -> None:
    """Raise AlreadyExists when another group has this name (after NFC and case folding)."""
    other = await tx.fetchval(
        "SELECT id FROM groups WHERE display_name_key = :n", {"n": name_key(name)}
    )
    if other is not None and other != except_id:
        raise AlreadyExists(f"a group named {name!r} already exists", fields=["displayName"])


async def ensure_group_external_free(
    tx: Tx, provider: str, external_id: str | None, *, except_id: str | None = None
) -> None:
    """Raise AlreadyExists when another group of this provider has this externalId."""
    if external_id is None:
        return
    other = await tx.fetchval(
        "SELECT id FROM groups WHERE auth_provider = :p AND external_id = :e",
        {"p": provider, "e": external_id},
    )
    if other is not None and other != except_id:
        raise AlreadyExists(
            f"externalId {external_id!r} is already used by another group", fields=["externalId"]
        )


async def insert_group(tx: Tx, group: GroupRecord) -> None:
    """Insert a new group row."""
    await tx.execute(
        "INSERT INTO groups (id, display_name, display_name_norm, display_name_key, external_id,"
        " auth_provider, member_count, version, created_at, updated_at, last_provisioned_at,"
        " created_by_kind) VALUES (:id, :n, :norm, :key, :ext, :prov, 0, 1, :now, :now,"
        " :prov_at, :by)",
        {
            "id": group.id,
            "n": group.display_name,
            "norm": search_fold(group.display_name),
            "key": name_key(group.display_name),
            "ext": group.external_id,
            "prov": group.auth_provider,
            "now": group.created_at,
            "prov_at": group.last_provisioned_at,
            "by": group.created_by_kind,
        },
    )


async def mark_group_provisioned(tx: Tx, group_id: str) -> str:
    """An IdP sync that changed nothing: lastProvisionedAt moves (returned), version and
    updatedAt do not."""
    at = now_iso()
    await tx.execute(
        "UPDATE groups SET last_provisioned_at = :at WHERE id = :id", {"at": at, "id": group_id}
    )
    return at


async def save_group(
    tx: Tx, group: GroupRecord, *, expected_version: int, member_delta: int = 0
) -> GroupRecord:
    """Write name and externalId, bumping version, and move memberCount by ``member_delta``
    (members changed with ``bump=False``): the group row's one write. Raises VersionConflict on
    a lost race."""
    group.version = expected_version + 1
    group.updated_at = now_iso()
    group.member_count += member_delta
    count = await tx.execute(
        "UPDATE groups SET display_name_key = CASE WHEN display_name = :n THEN display_name_key"
        " ELSE :key END, display_name = :n, display_name_norm = :norm, external_id = :ext,"
        " auth_provider = :prov, version = :v, updated_at = :u, last_provisioned_at = :pa,"
        " member_count = member_count + :delta WHERE id = :id AND version = :expected",
        {
            "n": group.display_name,
            "norm": search_fold(group.display_name),
            "key": name_key(group.display_name),
            "ext": group.external_id,
            "prov": group.auth_provider,
            "v": group.version,
            "u": group.updated_at,
            "pa": group.last_provisioned_at,
            "delta": member_delta,
            "id": group.id,
            "expected": expected_version,
        },
    )
    if count != 1:
        raise VersionConflict(f"group {group.id} was changed by someone else", ["version"])
    return group


async def create_group(
    tx: Tx, *, actor: Actor, display_name: str, external_id: str | None = None
) -> GroupRecord:
    """Create a LOCAL group; raises Forbidden, InvalidValue, AlreadyExists."""
    require_writer(actor)
    name = validate_display_name(display_name)
    external_id = check_external_id(external_id)
    await ensure_group_name_free(tx, name)
    await ensure_group_external_free(tx, AuthProvider.LOCAL, external_id)
    now = now_iso()
    group = GroupRecord(
        new_id(), name, external_id, AuthProvider.LOCAL.value, 0, 1, now, now, None, actor.kind
    )
    await insert_group(tx, group)
    await record_audit(
        tx,
        actor=actor,
        action="group.create",
        target_type="Group",
        target_id=group.id,
        target_label=name,
        changes=[Change("displayName", None, name)],
    )
    return group


async def update_group(
    tx: Tx, *, actor: Actor, group_id: str, display_name: str, expected_version: int | None = None
) -> GroupRecord:
    """Rename a LOCAL group; raises ManagedByIdp for IdP groups (rule 9), AlreadyExists."""
    require_writer(actor)
    group = await load_group(tx, group_id, for_update=True)
    require(actor, Action.UPDATE_GROUP, await group_target(tx, group))
    check_version("group", group.id, group.version, expected_version)
    name = validate_display_name(display_name)
    if name == group.display_name:
        return group
    await ensure_group_name_free(tx, name, except_id=group.id)
    updated = await save_group(
        tx, replace(group, display_name=name), expected_version=group.version
    )
    await record_audit(
        tx,
        actor=actor,
        action="group.update",
        target_type="Group",
        target_id=group.id,
        target_label=name,
        changes=diff({"displayName": group.display_name}, {"displayName": name}),
    )
    return updated


async def drop_group(tx: Tx, *, actor: Actor, group: GroupRecord) -> None:
    """Delete a group and, with it, the roles granted through it (rule 9)."""
    roles = await direct_roles(tx, group_id=group.id)
    await tx.execute("DELETE FROM role_grants WHERE group_id = :g", {"g": group.id})
    await tx.execute("DELETE FROM memberships WHERE group_id = :g", {"g": group.id})
    await tx.execute("DELETE FROM groups WHERE id = :g", {"g": group.id})
    if "OWNER" in roles:
        await ensure_an_owner_remains(tx)
    await record_audit(
        tx,
        actor=actor,
        action="group.delete",
        target_type="Group",
        target_id=group.id,
        target_label=group.display_name,
        changes=[
            Change("displayName", group.display_name, None),
            Change("externalId", group.external_id, None),
            Change("memberCount", group.member_count, None),
            Change("roles", roles, None),
        ],
    )


async def delete_group(tx: Tx, *, actor: Actor, group_id: str) -> GroupRecord:
    """Admin delete of a LOCAL group; raises ManagedByIdp, Forbidden (a group holding OWNER
    needs an OWNER, rule 14), NotFound, LastOwner."""
    require_writer(actor)
    group = await load_group(tx, group_id, for_update=True)
    require(actor, Action.DELETE_GROUP, await group_target(tx, group))
    await drop_group(tx, actor=actor, group=group)
    return group


async def _admin_members(
    tx: Tx, actor: Actor, group_id: str, user_ids: Sequence[str], add: bool
) -> MembershipResult:
    require_writer(actor)
    group = await load_group(tx, group_id, for_update=True)
    action = Action.ADD_MEMBERS if add else Action.REMOVE_MEMBERS
    require(actor, action, await group_target(tx, group))
    if add:
        result = await add_members(tx, group_id=group.id, user_ids=user_ids)
        if result.unknown:
            raise NotFound(f"no user with id {result.unknown[0]!r}", fields=["userIds"])
    else:
        result = await remove_members(tx, group_id=group.id, user_ids=user_ids)
        if result.removed and "OWNER" in await direct_roles(tx, group_id=group.id):
            await ensure_an_owner_remains(tx)
    if result.added or result.removed:
        await record_audit(
            tx,
            actor=actor,
            action="group.members.add" if add else "group.members.remove",
            target_type="Group",
            target_id=group.id,
            target_label=group.display_name,
            changes=[Change("members", result.removed or None, result.added or None)],
        )
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
