"""One externalId validator and one version check for users and groups, admin and IdP paths."""

from __future__ import annotations

import pytest

from app.db import Tx
from app.domain.groups.provisioning import provision_create_group
from app.domain.groups.service import create_group, update_group
from app.domain.users.provisioning import ProvisionedUser, provision_create_user
from app.domain.users.service import UserCreate, UserUpdate, create_user, update_user
from app.errors import InvalidValue, VersionConflict
from tests.support import owner, scim_actor

BAD_EXTERNAL_IDS = ["x\x00y", "x" * 256, 7]
MESSAGE = "externalId must be a string of at most 255 characters, without U+0000"


@pytest.mark.parametrize("bad", BAD_EXTERNAL_IDS)
async def test_every_path_refuses_the_same_external_ids(tx: Tx, bad: object) -> None:
    attempts = [
        create_user(tx, actor=owner(), data=UserCreate(login_id="a@x.com", external_id=bad)),  # type: ignore[arg-type]
        provision_create_user(
            tx,
            actor=scim_actor(),
            data=ProvisionedUser(login_id="b@x.com", external_id=bad),  # type: ignore[arg-type]
        ),
        provision_create_group(tx, actor=scim_actor(), display_name="G", external_id=bad),  # type: ignore[arg-type]
        create_group(tx, actor=owner(), display_name="H", external_id=bad),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        with pytest.raises(InvalidValue) as err:
            await attempt
        assert (str(err.value), err.value.fields) == (MESSAGE, ("externalId",))


async def test_a_255_character_external_id_is_accepted_everywhere(tx: Tx) -> None:
    ok = "x" * 255
    user = await create_user(tx, actor=owner(), data=UserCreate(login_id="a@x.com", external_id=ok))
    group, _ = await provision_create_group(
        tx, actor=scim_actor(), display_name="G", external_id=ok
    )
    assert (user.external_id, group.external_id) == (ok, ok)


async def test_users_and_groups_report_a_stale_version_the_same_way(tx: Tx) -> None:
    user = await create_user(tx, actor=owner(), data=UserCreate(login_id="a@x.com"))
    group = await create_group(tx, actor=owner(), display_name="G")
    with pytest.raises(VersionConflict) as user_err:
        await update_user(
            tx,
            actor=owner(),
            user_id=user.id,
            data=UserUpdate(values={"notes": "n"}, expected_version=9),
        )
    with pytest.raises(VersionConflict) as group_err:
        await update_group(
            tx, actor=owner(), group_id=group.id, display_name="H", expected_version=9
        )
    assert [str(user_err.value), str(group_err.value)] == [
        f"user {user.id} is at version 1, not 9",
        f"group {group.id} is at version 1, not 9",
    ]
