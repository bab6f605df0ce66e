"""Directory search over timestamps, custom attributes and groups, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.db import Tx
from app.domain.directory import (
    TRUE,
    And,
    Compare,
    Not,
    Predicate,
    Present,
    has_member,
    member_of,
    search_groups,
    search_users,
)
from app.domain.groups.members import add_members
from app.domain.groups.service import create_group
from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from app.domain.users.service import UserCreate, create_user
from app.errors import InvalidValue
from tests.domain.test_query import _logins, _seed, _set
from tests.support import owner


@pytest.fixture(autouse=True)
async def _forget_catalogue(tx: Tx) -> AsyncIterator[None]:
    # A custom attribute created in a rolled-back test must not stay in the per-process memo,
    # which is keyed by a catalogue version the next test reuses.
    yield
    tx.cache.pop("catalogue", None)


async def test_custom_number_attribute_compares_numerically(tx: Tx) -> None:
    await create_custom_attribute(
        tx, actor=owner(), variable_name="level", display_name="Level", datatype=Datatype.NUMBER
    )
    for login, level in (("a@x.com", 9), ("b@x.com", 10), ("c@x.com", 2.5), ("d@x.com", None)):
        profile = {} if level is None else {"level": level}
        await create_user(tx, actor=owner(), data=UserCreate(login_id=login, profile=profile))
    assert await _set(tx, Compare("profile.level", "gt", 9)) == {"b"}
    assert await _set(tx, Compare("profile.level", "ge", 2.5)) == {"a", "b", "c"}
    assert await _set(tx, Compare("profile.level", "eq", 10)) == {"b"}
    assert await _set(tx, Compare("profile.level", "ne", 10)) == {"a", "c", "d"}
    assert await _logins(tx, TRUE, sort="profile.level") == ["c", "a", "b", "d"]
    with pytest.raises(InvalidValue):
        await _set(tx, Compare("profile.level", "co", 1))


async def test_custom_string_array_matches_any_element(tx: Tx) -> None:
    await create_custom_attribute(
        tx,
        actor=owner(),
        variable_name="skills",
        display_name="Skills",
        datatype=Datatype.STRING_ARRAY,
    )
    for login, skills in (("a@x.com", ["Go", "SQL"]), ("b@x.com", ["python"]), ("c@x.com", [])):
        await create_user(
            tx, actor=owner(), data=UserCreate(login_id=login, profile={"skills": skills})
        )
    await create_user(tx, actor=owner(), data=UserCreate(login_id="d@x.com"))
    assert await _set(tx, Compare("profile.skills", "eq", "sql")) == {"a"}
    assert await _set(tx, Compare("profile.skills", "sw", "PY")) == {"b"}
    assert await _set(tx, Compare("profile.skills", "ne", "sql")) == {"b", "c", "d"}
    assert await _set(tx, Present("profile.skills")) == {"a", "b"}
    assert await _set(tx, Not(Present("profile.skills"))) == {"c", "d"}
    with pytest.raises(InvalidValue):
        await search_users(tx, where=TRUE, sort="profile.skills")


async def test_groups_by_name_external_id_and_membership(tx: Tx) -> None:
    seeded = await _seed(tx)
    eng = await create_group(tx, actor=owner(), display_name="Engineering", external_id="G-1")
    ops = await create_group(tx, actor=owner(), display_name="ops", external_id=None)
    empty = await create_group(tx, actor=owner(), display_name="Empty")
    await add_members(tx, group_id=eng.id, user_ids=[seeded["ada"], seeded["bob"]])
    await add_members(tx, group_id=ops.id, user_ids=[seeded["bob"]])

    async def names(where: Predicate, **kwargs: object) -> list[str]:
        _, groups = await search_groups(tx, where=where, **kwargs)  # type: ignore[arg-type]
        return [g.display_name for g in groups]

    assert await names(Compare("displayName", "eq", "ENGINEERING")) == ["Engineering"]
    assert await names(Compare("externalId", "eq", "g-1", case_exact=True)) == []
    assert await names(And((Compare("id", "eq", eng.id, True), has_member(seeded["ada"])))) == [
        "Engineering"
    ]
    assert await names(And((Compare("id", "eq", ops.id, True), has_member(seeded["ada"])))) == []
    assert await names(has_member(seeded["bob"]), sort="displayName") == ["Engineering", "ops"]
    assert await names(Not(has_member(seeded["ada"])), sort="displayName") == ["Empty", "ops"]
    assert await names(Compare("memberId", "ne", seeded["ada"], True), sort="displayName") == [
        "Empty",
        "ops",
    ]
    assert await names(Present("memberId"), sort="displayName") == ["Engineering", "ops"]
    assert await names(TRUE, sort="displayName", descending=True) == ["ops", "Engineering", "Empty"]
    assert await names(Compare("externalId", "ne", "G-1"), sort="displayName") == ["Empty", "ops"]
    total, page = await search_groups(tx, where=TRUE, limit=0)
    assert (total, page, empty.member_count) == (3, [], 0)
    assert await _set(tx, member_of(ops.id)) == {"bob"}
    assert await _set(tx, Not(member_of(eng.id))) == {"carol", "dave_1%"}
    assert await _set(tx, Present("groupId")) == {"ada", "bob"}


async def test_timestamps_compare_as_instants(tx: Tx) -> None:
    seeded = await _seed(tx)
    stamps = {
        "ada": "2026-01-01T00:00:00.000000Z",
        "bob": "2026-01-01T00:00:00.500000Z",
        "carol": "2026-03-01T12:00:00.000000Z",
        "dave_1%": "2027-01-01T00:00:00.000000Z",
    }
    for login, stamp in stamps.items():
        await tx.execute(
            "UPDATE users SET updated_at = :t, created_at = :t WHERE id = :id",
            {"t": stamp, "id": seeded[login]},
        )
    assert await _set(tx, Compare("updatedAt", "gt", "2026-01-01T00:00:00Z")) == {
        "bob",
        "carol",
        "dave_1%",
    }
    assert await _set(tx, Compare("updatedAt", "ge", "2026-01-01T00:00:00Z")) == {
        "ada",
        "bob",
        "carol",
        "dave_1%",
    }
    window = And(
        (
            Compare("updatedAt", "ge", "2026-01-01T01:00:00+01:00"),
            Compare("updatedAt", "lt", "2026-03-01T12:00:00"),
        )
    )
    assert await _set(tx, window) == {"ada", "bob"}
    assert await _set(tx, Compare("createdAt", "eq", "2026-01-01T00:00:00.5Z")) == {"bob"}
    assert await _set(tx, Compare("createdAt", "le", "2026-01-01")) == {"ada"}
    with pytest.raises(InvalidValue, match="ISO-8601"):
        await _set(tx, Compare("updatedAt", "gt", "yesterday"))
    with pytest.raises(InvalidValue, match="does not apply"):
        await _set(tx, Compare("updatedAt", "co", "2026"))
