# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Group and role mutations (rules 9 and 10)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from app.db import Tx
from app.domain.access import roles as role_rules
from app.domain.groups import service as group_rules
from app.domain.groups.lookups import groups_by_ids
from app.domain.groups.store import load_group
from app.domain.types import Actor, GroupRecord, UserRecord
from app.domain.users.batch_reads import users_by_ids
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id, decode_ids, to_global_id
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.groups import Group
from app.graphql.types.users import User


@strawberry.input(name="CreateGroupInput", description="A new LOCAL group.")
class CreateGroupInput:
    """Input of createGroup."""

    display_name: str = strawberry.field(description="Name, unique case-insensitively.")
    external_id: str | None = strawberry.field(default=None, description="External id.")


@strawberry.input(name="UpdateGroupInput", description="Rename a LOCAL group.")
class UpdateGroupInput:
    """Input of updateGroup."""

    id: strawberry.ID = strawberry.field(description="Global id of the group.")
    display_name: str = strawberry.field(description="New name.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with VERSION_CONFLICT unless the group is at it."
    )


@strawberry.input(name="DeleteGroupInput", description="The LOCAL group to delete.")
class DeleteGroupInput:
    """Input of deleteGroup."""

    id: strawberry.ID = strawberry.field(description="Global id of the group.")


@strawberry.input(name="GroupMembersInput", description="Users to add to or remove from a group.")
class GroupMembersInput:
    """Input of addGroupMembers and removeGroupMembers."""

    group_id: strawberry.ID = strawberry.field(description="Global id of a LOCAL group.")
    user_ids: list[strawberry.ID] = strawberry.field(description="Global ids of users.")


@strawberry.input(name="RolesInput", description="Roles and the users and groups they concern.")
class RolesInput:
    """Input of grantRoles and revokeRoles (OWNER needs an OWNER)."""

    roles: list[str] = strawberry.field(description="Role names; product roles appear on use.")
    user_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Users.")
    group_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Groups.")


@strawberry.type(name="GroupPayload", description="The group a mutation wrote, or why not.")
class GroupPayload(Payload):
    """Result of a group mutation (each mutation names its own subclass)."""

    group: Group | None = strawberry.field(
        description="The group after the change; null if refused."
    )


@strawberry.type(name="CreateGroupPayload", description="Result of createGroup.")
class CreateGroupPayload(GroupPayload):
    """Result of createGroup."""


@strawberry.type(name="UpdateGroupPayload", description="Result of updateGroup.")
class UpdateGroupPayload(GroupPayload):
    """Result of updateGroup."""


@strawberry.type(
    name="DeleteGroupPayload", description="Result of deleteGroup (the deleted group)."
)
class DeleteGroupPayload(GroupPayload):
    """Result of deleteGroup: the group as it was, like deleteUser's user."""

    deleted_group_id: strawberry.ID | None = strawberry.field(
        description="Global id deleted.",
        deprecation_reason="Use group { id }. Kept for one release.",
    )


@strawberry.type(name="AddGroupMembersPayload", description="Result of addGroupMembers.")
class AddGroupMembersPayload(GroupPayload):
    """Result of addGroupMembers (existing members are a no-op)."""


@strawberry.type(name="RemoveGroupMembersPayload", description="Result of removeGroupMembers.")
class RemoveGroupMembersPayload(GroupPayload):
    """Result of removeGroupMembers (non-members are a no-op)."""


@strawberry.type(name="RolesPayload", description="The users and groups a role change concerned.")
class RolesPayload(Payload):
    """Result of a role mutation (each names its own subclass)."""

    users: list[User] = strawberry.field(
        description="The users named, in input order, after the change (empty if refused)."
    )
    groups: list[Group] = strawberry.field(
        description="The groups named, in input order, after the change (empty if refused)."
    )


@strawberry.type(name="GrantRolesPayload", description="Result of grantRoles.")
class GrantRolesPayload(RolesPayload):
    """Result of grantRoles."""

    granted: int = strawberry.field(
        description="New grants (existing ones are kept).",
        deprecation_reason="Use users and groups (their roles). Kept for one release.",
    )


@strawberry.type(name="RevokeRolesPayload", description="Result of revokeRoles.")
class RevokeRolesPayload(RolesPayload):
    """Result of revokeRoles."""

    revoked: int = strawberry.field(
        description="Grants removed.",
        deprecation_reason="Use users and groups (their roles). Kept for one release.",
    )


P = TypeVar("P", bound=GroupPayload)


def _payload(cls: type[P], result: tuple[GroupRecord | None, list[UserError]]) -> P:
    record, errors = result
    return cls(group=Group.of(record) if record else None, user_errors=errors)


async def _members(info: Info, input: GroupMembersInput, add: bool) -> Any:
    async def act(tx: Tx, actor: Actor) -> GroupRecord:
        group_id = decode_id(input.group_id, "Group", "groupId")
        user_ids = decode_ids(input.user_ids, "User", "userIds")
        change = group_rules.add_group_members if add else group_rules.remove_group_members
        await change(tx, actor=actor, group_id=group_id, user_ids=user_ids)
        return await load_group(tx, group_id)

    return await run_mutation(info, act)


def _targets(input: RolesInput) -> dict[str, Any]:
    return {
        "roles": input.roles,
        "user_ids": decode_ids(input.user_ids, "User", "userIds"),
        "group_ids": decode_ids(input.group_ids, "Group", "groupIds"),
    }


# The users and the groups a role mutation named (as they are after it), and its count.
Targets = tuple[list[UserRecord], list[GroupRecord], int]


async def _concerned(tx: Tx, targets: dict[str, Any], count: int) -> Targets:
    users = await users_by_ids(tx, targets["user_ids"])
    groups = await groups_by_ids(tx, targets["group_ids"])
    return (
        [users[i] for i in dict.fromkeys(targets["user_ids"]) if i in users],
        [groups[i] for i in dict.fromkeys(targets["group_ids"]) if i in groups],
        count,
    )


async def _change_roles(
    info: Info, input: RolesInput, change: Callable[..., Awaitable[int]]
) -> tuple[dict[str, Any], int, list[UserError]]:
    """Grant or revoke (``change``) roles: the users and groups named as they are after it
    (payload fields) and the count of grants changed, or nothing and why not."""

    async def act(tx: Tx, actor: Actor) -> Targets:
        targets = _targets(input)
        count = await change(tx, actor=actor, **targets)
        return await _concerned(tx, targets, count)

    done, errors = await run_mutation(info, act)
    users, groups, count = done or ([], [], 0)
    named = {
        "users": [User.of(u, info.context) for u in users],
        "groups": [Group.of(g) for g in groups],
    }
    return named, count, errors


@strawberry.type(name="GroupMutations", description="Group and role mutations.")
class GroupMutations:
    """Mutations on groups and roles."""

    @strawberry.mutation(description="Create a LOCAL group.")
    async def create_group(self, info: Info, input: CreateGroupInput) -> CreateGroupPayload:
        async def act(tx: Tx, actor: Actor) -> GroupRecord:
            return await group_rules.create_group(
                tx, actor=actor, display_name=input.display_name, external_id=input.external_id
            )

        return _payload(CreateGroupPayload, await run_mutation(info, act))

    @strawberry.mutation(description="Rename a LOCAL group (IdP-owned: MANAGED_BY_IDP).")
    async def update_group(self, info: Info, input: UpdateGroupInput) -> UpdateGroupPayload:
        async def act(tx: Tx, actor: Actor) -> GroupRecord:
            return await group_rules.update_group(
                tx,
                actor=actor,
                group_id=decode_id(input.id, "Group"),
                display_name=input.display_name,
                expected_version=input.expected_version,
            )

        return _payload(UpdateGroupPayload, await run_mutation(info, act))

    @strawberry.mutation(description="Delete a LOCAL group; roles granted through it end at once.")
    async def delete_group(self, info: Info, input: DeleteGroupInput) -> DeleteGroupPayload:
        async def act(tx: Tx, actor: Actor) -> GroupRecord:
            return await group_rules.delete_group(
                tx, actor=actor, group_id=decode_id(input.id, "Group")
            )

        record, errors = await run_mutation(info, act)
        gid = strawberry.ID(to_global_id("Group", record.id)) if record else None
        group = Group.of(record) if record else None
        return DeleteGroupPayload(group=group, deleted_group_id=gid, user_errors=errors)

    @strawberry.mutation(description="Add users (IdP-owned ones too) to a LOCAL group.")
    async def add_group_members(
        self, info: Info, input: GroupMembersInput
    ) -> AddGroupMembersPayload:
        return _payload(AddGroupMembersPayload, await _members(info, input, add=True))

    @strawberry.mutation(description="Remove users from a LOCAL group.")
    async def remove_group_members(
        self, info: Info, input: GroupMembersInput
    ) -> RemoveGroupMembersPayload:
        return _payload(RemoveGroupMembersPayload, await _members(info, input, add=False))

    @strawberry.mutation(description="Grant roles to users and groups (IdP-owned ones too).")
    async def grant_roles(self, info: Info, input: RolesInput) -> GrantRolesPayload:
        named, count, errors = await _change_roles(info, input, role_rules.grant_roles)
        return GrantRolesPayload(**named, granted=count, user_errors=errors)

    @strawberry.mutation(description="Revoke roles; at least one active OWNER always remains.")
    async def revoke_roles(self, info: Info, input: RolesInput) -> RevokeRolesPayload:
        named, count, errors = await _change_roles(info, input, role_rules.revoke_roles)
        return RevokeRolesPayload(**named, revoked=count, user_errors=errors)
