"""docs/rules.md rules 1-8 and 10 for users, straight against the domain services."""

from __future__ import annotations

import orjson
import pytest

from app.db import Tx
from app.domain.access.roles import effective_roles, grant_roles
from app.domain.settings.attributes import update_profile_attribute
from app.domain.settings.authentication import configure_authentication
from app.domain.types import AuthType, SourcePriority, UserRecord
from app.domain.users.provisioning import (
    ProvisionedUser,
    provision_create_user,
    provision_delete_user,
    provision_update_user,
)
from app.domain.users.service import (
    UserCreate,
    UserUpdate,
    create_user,
    delete_user,
    restore_user,
    set_user_status,
    update_user,
)
from app.domain.users.store import find_user_by_login, load_user
from app.errors import (
    AlreadyExists,
    InvalidValue,
    LastOwner,
    ManagedByIdp,
    Mutability,
    NotFound,
    ProtectedAdmin,
)
from tests.support import owner, scim_actor


async def _okta(tx: Tx) -> None:
    await configure_authentication(tx, actor=owner(), type=AuthType.OKTA, display_name="Okta")


async def _idp_user(tx: Tx, login: str = "ada@example.com", **profile: object) -> UserRecord:
    await _okta(tx)
    data = ProvisionedUser(
        login_id=login,
        external_id="00u1",
        active=True,
        profile={"firstName": "Ada", "lastName": "Lovelace", "email": login, **profile},
    )
    user, _ = await provision_create_user(tx, actor=scim_actor(), data=data)
    return user


async def test_rule1_scim_create_is_local_while_authentication_is_internal(tx: Tx) -> None:
    user, restored = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="bob@example.com")
    )
    assert (user.auth_provider, restored, user.status, user.version) == (
        "LOCAL",
        False,
        "ACTIVE",
        1,
    )


async def test_rule1_scim_create_belongs_to_the_configured_idp(tx: Tx) -> None:
    user = await _idp_user(tx)
    assert user.auth_provider == "OKTA"
    assert user.profile == {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}


async def test_rule2_local_users_created_by_scim_are_editable_and_deletable(tx: Tx) -> None:
    user, _ = await provision_create_user(
        tx,
        actor=scim_actor(),
        data=ProvisionedUser(login_id="c@example.com", profile={"title": "x"}),
    )
    edited = await update_user(
        tx,
        actor=owner(),
        user_id=user.id,
        data=UserUpdate({"title": "Boss", "loginId": "c2@example.com"}),
    )
    assert (edited.login_id, edited.profile["title"], edited.version) == (
        "c2@example.com",
        "Boss",
        2,
    )
    deleted = await delete_user(tx, actor=owner(), user_id=user.id)
    assert deleted.deleted_at is not None


async def test_rule3_idp_owned_fields_reject_the_whole_edit(tx: Tx) -> None:
    user = await _idp_user(tx)
    await update_profile_attribute(
        tx, actor=owner(), name="title", source_priority=SourcePriority.INHERIT_FROM_LOCAL
    )
    with pytest.raises(ManagedByIdp) as err:
        await update_user(
            tx,
            actor=owner(),
            user_id=user.id,
            data=UserUpdate({"firstName": "Eve", "loginId": "eve@example.com", "title": "CTO"}),
        )
    assert err.value.fields == ("firstName", "loginId")
    unchanged = await load_user(tx, user.id)
    assert (unchanged.profile, unchanged.version) == (user.profile, user.version)


async def test_rule3_local_sourced_attributes_notes_and_status_stay_editable(tx: Tx) -> None:
    user = await _idp_user(tx)
    await update_profile_attribute(
        tx, actor=owner(), name="title", source_priority=SourcePriority.INHERIT_FROM_LOCAL
    )
    edited = await update_user(
        tx, actor=owner(), user_id=user.id, data=UserUpdate({"title": "CTO", "notes": "VIP"})
    )
    assert (edited.profile["title"], edited.notes) == ("CTO", "VIP")
    locked = await set_user_status(
        tx, actor=owner(), user_id=user.id, active=False, reason="lost laptop"
    )
    assert (locked.status, locked.status_reason) == ("INACTIVE", "lost laptop")
    with pytest.raises(ManagedByIdp) as err:
        await delete_user(tx, actor=owner(), user_id=user.id)
    assert err.value.fields == ("id",)


async def test_rule3_status_change_needs_a_reason(tx: Tx) -> None:
    user = await _idp_user(tx)
    with pytest.raises(InvalidValue) as err:
        await set_user_status(tx, actor=owner(), user_id=user.id, active=False, reason="  ")
    assert err.value.fields == ("reason",)


async def test_rule4_scim_update_of_a_local_account_keeps_it_local_with_its_roles(tx: Tx) -> None:
    local = await create_user(tx, actor=owner(), data=UserCreate(login_id="Dana@example.com"))
    await grant_roles(tx, actor=owner(), roles=["db-admin"], user_ids=[local.id])
    await _okta(tx)
    await update_profile_attribute(
        tx, actor=owner(), name="title", source_priority=SourcePriority.INHERIT_FROM_LOCAL
    )
    updated = await provision_update_user(
        tx,
        actor=scim_actor(),
        user_id=local.id,
        data=ProvisionedUser(
            login_id="dana@example.com", profile={"firstName": "Dana", "title": "VP"}
        ),
    )
    assert (updated.auth_provider, updated.profile) == (
        "LOCAL",
        {"firstName": "Dana", "title": "VP"},
    )
    assert await effective_roles(tx, local.id) == {"db-admin"}
    still_editable = await update_user(
        tx, actor=owner(), user_id=local.id, data=UserUpdate({"firstName": "D."})
    )
    assert still_editable.profile["firstName"] == "D."


async def test_rule5_scim_values_of_local_sourced_attributes_are_ignored(tx: Tx) -> None:
    user = await _idp_user(tx)
    await update_profile_attribute(
        tx, actor=owner(), name="department", source_priority=SourcePriority.INHERIT_FROM_LOCAL
    )
    await update_user(tx, actor=owner(), user_id=user.id, data=UserUpdate({"department": "R&D"}))
    updated = await provision_update_user(
        tx,
        actor=scim_actor(),
        user_id=user.id,
        data=ProvisionedUser(
            profile={"department": "Sales", "firstName": "Augusta"}, touch=frozenset()
        ),
    )
    assert updated.profile["department"] == "R&D"
    assert updated.profile["firstName"] == "Augusta"


async def test_rule6_login_id_is_unique_case_insensitively(tx: Tx) -> None:
    await provision_create_user(tx, actor=scim_actor(), data=ProvisionedUser(login_id="Eve@X.com"))
    with pytest.raises(AlreadyExists) as err:
        await provision_create_user(
            tx, actor=scim_actor(), data=ProvisionedUser(login_id="eve@x.COM")
        )
    assert err.value.fields == ("loginId",)


async def test_rule6_external_id_is_unique_per_provider(tx: Tx) -> None:
    await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="a@x.com", external_id="E1")
    )
    with pytest.raises(AlreadyExists) as err:
        await provision_create_user(
            tx, actor=scim_actor(), data=ProvisionedUser(login_id="b@x.com", external_id="E1")
        )
    assert err.value.fields == ("externalId",)
    await _okta(tx)
    other, _ = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="b@x.com", external_id="E1")
    )
    assert other.auth_provider == "OKTA"


async def test_rule7_idp_may_rename_its_users_but_not_local_ones(tx: Tx) -> None:
    local, _ = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="l@x.com")
    )
    idp = await _idp_user(tx)
    renamed = await provision_update_user(
        tx, actor=scim_actor(), user_id=idp.id, data=ProvisionedUser(login_id="ada.l@x.com")
    )
    assert renamed.login_id == "ada.l@x.com"
    with pytest.raises(Mutability) as err:
        await provision_update_user(
            tx, actor=scim_actor(), user_id=local.id, data=ProvisionedUser(login_id="other@x.com")
        )
    assert err.value.fields == ("userName",)
    assert (await load_user(tx, local.id)).login_id == "l@x.com"


async def test_rule8_deactivate_keeps_the_user_visible(tx: Tx) -> None:
    user = await _idp_user(tx)
    inactive = await provision_update_user(
        tx,
        actor=scim_actor(),
        user_id=user.id,
        data=ProvisionedUser(active=False, touch=frozenset({"active"})),
    )
    assert (await load_user(tx, user.id)).status == inactive.status == "INACTIVE"


async def test_rule8_soft_delete_frees_login_and_restore_by_external_id(tx: Tx) -> None:
    user = await _idp_user(tx)
    await provision_delete_user(tx, actor=scim_actor(), user_id=user.id)
    with pytest.raises(NotFound):
        await load_user(tx, user.id)
    assert await find_user_by_login(tx, "ada@example.com") is None
    entry = await tx.fetchrow(
        "SELECT changes FROM audit_entries WHERE action = 'user.delete' AND target_id = :id",
        {"id": user.id},
    )
    assert entry is not None
    changes = (
        orjson.loads(entry["changes"]) if isinstance(entry["changes"], str) else entry["changes"]
    )
    assert {"field": "loginId", "before": "ada@example.com", "after": None} in changes
    again, restored = await provision_create_user(
        tx,
        actor=scim_actor(),
        data=ProvisionedUser(
            login_id="ada@example.com", external_id="00u1", profile={"firstName": "A"}
        ),
    )
    assert (again.id, restored, again.profile) == (user.id, True, {"firstName": "A"})


async def test_rule8_delete_removes_memberships(tx: Tx) -> None:
    from app.domain.groups.members import add_members
    from app.domain.groups.service import create_group
    from app.domain.groups.store import load_group

    user = await _idp_user(tx)
    group = await create_group(tx, actor=owner(), display_name="Eng")
    await add_members(tx, group_id=group.id, user_ids=[user.id])
    await provision_delete_user(tx, actor=scim_actor(), user_id=user.id)
    assert (await load_group(tx, group.id)).member_count == 0
    assert await tx.fetchval("SELECT COUNT(*) FROM memberships") == 0


async def test_rule8_admin_restore_of_a_local_user(tx: Tx) -> None:
    user = await create_user(tx, actor=owner(), data=UserCreate(login_id="r@x.com"))
    await delete_user(tx, actor=owner(), user_id=user.id)
    restored = await restore_user(tx, actor=owner(), user_id=user.id)
    assert restored.deleted_at is None and (await load_user(tx, user.id)).login_id == "r@x.com"


async def _owner_user(tx: Tx, login: str = "root@x.com") -> UserRecord:
    user = await create_user(tx, actor=owner(), data=UserCreate(login_id=login))
    await grant_roles(tx, actor=owner(), roles=["OWNER"], user_ids=[user.id])
    return user


async def test_rule10_scim_cannot_deactivate_or_delete_an_owner(tx: Tx) -> None:
    root = await _owner_user(tx)
    with pytest.raises(ProtectedAdmin):
        await provision_update_user(
            tx,
            actor=scim_actor(),
            user_id=root.id,
            data=ProvisionedUser(active=False, touch=frozenset({"active"})),
        )
    with pytest.raises(ProtectedAdmin):
        await provision_delete_user(tx, actor=scim_actor(), user_id=root.id)
    assert (await load_user(tx, root.id)).status == "ACTIVE"


async def test_rule10_the_last_active_owner_cannot_be_removed(tx: Tx) -> None:
    root = await _owner_user(tx)
    # The check runs after the change (under the owners lock) and the refusal rolls it back,
    # as each edge's transaction does: a savepoint here.
    with pytest.raises(LastOwner):
        async with tx.savepoint():
            await set_user_status(tx, actor=owner(), user_id=root.id, active=False, reason="x")
    with pytest.raises(LastOwner):
        async with tx.savepoint():
            await delete_user(tx, actor=owner(), user_id=root.id)
    assert (await load_user(tx, root.id)).status == "ACTIVE"
    second = await _owner_user(tx, "root2@x.com")
    done = await set_user_status(tx, actor=owner(), user_id=root.id, active=False, reason="bye")
    assert done.status == "INACTIVE" and second.status == "ACTIVE"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"loginId": ""}, "loginId"),
        ({"loginId": "x" * 256}, "loginId"),
        ({"email": "not-an-email"}, "email"),
        ({"favouriteColour": "blue"}, "favouriteColour"),
        ({"title": 42}, "title"),
    ],
)
async def test_bad_input_names_the_field(tx: Tx, values: dict[str, object], field: str) -> None:
    user = await create_user(tx, actor=owner(), data=UserCreate(login_id="ok@x.com"))
    with pytest.raises(InvalidValue) as err:
        await update_user(tx, actor=owner(), user_id=user.id, data=UserUpdate(values))
    assert err.value.fields == (field,)
    assert (await load_user(tx, user.id)).version == 1
