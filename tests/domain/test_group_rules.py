"""docs/rules.md rule 9 (groups) and rule 10 through groups, against the domain services."""

from __future__ import annotations

import pytest

from app.db import Tx
from app.domain.access.roles import effective_roles, grant_roles
from app.domain.groups.members import MemberChange
from app.domain.groups.provisioning import (
    provision_create_group,
    provision_delete_group,
    provision_update_group,
)
from app.domain.groups.service import (
    add_group_members,
    create_group,
    delete_group,
    remove_group_members,
    update_group,
)
from app.domain.groups.store import is_member, load_group
from app.domain.settings.authentication import configure_authentication
from app.domain.types import AuthType
from app.domain.users.service import UserCreate, create_user
from app.errors import AlreadyExists, LastOwner, ManagedByIdp, ProtectedAdmin
from tests.support import owner, scim_actor


async def _users(tx: Tx, n: int) -> list[str]:
    out = []
    for i in range(n):
        user = await create_user(tx, actor=owner(), data=UserCreate(login_id=f"u{i}@x.com"))
        out.append(user.id)
    return out


async def test_rule1_scim_groups_take_the_configured_owner(tx: Tx) -> None:
    local, _ = await provision_create_group(
        tx, actor=scim_actor(), display_name="A", external_id="g1"
    )
    await configure_authentication(tx, actor=owner(), type=AuthType.ENTRA_ID)
    idp, _ = await provision_create_group(
        tx, actor=scim_actor(), display_name="B", external_id="g2"
    )
    assert (local.auth_provider, idp.auth_provider) == ("LOCAL", "ENTRA_ID")


async def test_rule6_group_names_are_unique_case_insensitively(tx: Tx) -> None:
    await provision_create_group(tx, actor=scim_actor(), display_name="Sales", external_id=None)
    with pytest.raises(AlreadyExists) as err:
        await provision_create_group(tx, actor=scim_actor(), display_name="SALES", external_id=None)
    assert err.value.fields == ("displayName",)


async def test_rule9_idp_groups_are_read_only_but_take_roles(tx: Tx) -> None:
    await configure_authentication(tx, actor=owner(), type=AuthType.OKTA)
    (uid,) = await _users(tx, 1)
    group, _ = await provision_create_group(
        tx, actor=scim_actor(), display_name="Eng", external_id="e"
    )
    for call in (
        update_group(tx, actor=owner(), group_id=group.id, display_name="Other"),
        delete_group(tx, actor=owner(), group_id=group.id),
        add_group_members(tx, actor=owner(), group_id=group.id, user_ids=[uid]),
        remove_group_members(tx, actor=owner(), group_id=group.id, user_ids=[uid]),
    ):
        with pytest.raises(ManagedByIdp):
            await call
    await grant_roles(tx, actor=owner(), roles=["deploy"], group_ids=[group.id])
    assert (await load_group(tx, group.id)).display_name == "Eng"


async def test_rule9_admins_add_idp_users_to_local_groups(tx: Tx) -> None:
    from app.domain.users.provisioning import ProvisionedUser, provision_create_user

    await configure_authentication(tx, actor=owner(), type=AuthType.OKTA)
    idp_user, _ = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="i@x.com")
    )
    group = await create_group(tx, actor=owner(), display_name="Local")
    result = await add_group_members(tx, actor=owner(), group_id=group.id, user_ids=[idp_user.id])
    assert result.added == [idp_user.id]
    assert (await load_group(tx, group.id)).member_count == 1


async def test_rule9_deleting_a_group_revokes_roles_granted_through_it(tx: Tx) -> None:
    (uid,) = await _users(tx, 1)
    group = await create_group(tx, actor=owner(), display_name="Ops")
    await add_group_members(tx, actor=owner(), group_id=group.id, user_ids=[uid])
    await grant_roles(tx, actor=owner(), roles=["pager"], group_ids=[group.id])
    assert await effective_roles(tx, uid) == {"pager"}
    await delete_group(tx, actor=owner(), group_id=group.id)
    assert await effective_roles(tx, uid) == frozenset()


async def test_rule9_unknown_members_are_skipped_and_removing_non_members_is_a_noop(tx: Tx) -> None:
    a, b = await _users(tx, 2)
    group, result = await provision_create_group(
        tx,
        actor=scim_actor(),
        display_name="G",
        external_id=None,
        members=[a, "00000000-0000-7000-8000-00000000dead"],
    )
    assert (result.added, result.unknown) == ([a], ["00000000-0000-7000-8000-00000000dead"])
    group, result = await provision_update_group(
        tx, actor=scim_actor(), group_id=group.id, members=MemberChange(remove=[b])
    )
    assert (result.removed, group.member_count) == ([], 1)


async def test_member_set_operations(tx: Tx) -> None:
    a, b, c = await _users(tx, 3)
    group, _ = await provision_create_group(
        tx, actor=scim_actor(), display_name="S", external_id=None
    )
    group, _ = await provision_update_group(
        tx, actor=scim_actor(), group_id=group.id, members=MemberChange(add=[a, b, b])
    )
    assert group.member_count == 2
    group, result = await provision_update_group(
        tx, actor=scim_actor(), group_id=group.id, members=MemberChange(replace=[c, a])
    )
    assert (sorted(result.removed), result.added, group.member_count) == ([b], [c], 2)
    assert await is_member(tx, group_id=group.id, user_id=c)
    assert not await is_member(tx, group_id=group.id, user_id=b)


async def test_rule10_removing_the_last_owner_through_a_group_is_refused(tx: Tx) -> None:
    (uid,) = await _users(tx, 1)
    group = await create_group(tx, actor=owner(), display_name="Owners")
    await add_group_members(tx, actor=owner(), group_id=group.id, user_ids=[uid])
    await grant_roles(tx, actor=owner(), roles=["OWNER"], group_ids=[group.id])
    with pytest.raises(LastOwner):
        async with tx.savepoint():
            await remove_group_members(tx, actor=owner(), group_id=group.id, user_ids=[uid])
    with pytest.raises(LastOwner):
        async with tx.savepoint():
            await delete_group(tx, actor=owner(), group_id=group.id)
    # SCIM is refused earlier: it never deletes a group holding OWNER (rule 14).
    with pytest.raises(ProtectedAdmin):
        async with tx.savepoint():
            await provision_delete_group(tx, actor=scim_actor(), group_id=group.id)
    assert await effective_roles(tx, uid) == {"OWNER"}
