"""Directory search (app.domain.directory): predicates compiled to SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.db import Tx
from app.domain.directory import (
    FALSE,
    TRUE,
    And,
    Compare,
    Not,
    Or,
    Predicate,
    Present,
    and_,
    not_,
    or_,
    search_groups,
    search_users,
)
from app.domain.users.service import UserCreate, create_user, delete_user
from app.errors import InvalidValue
from tests.support import owner


@dataclass
class Seeded:
    """Login (lower-case) → user id."""

    ids: dict[str, str]

    def __getitem__(self, login: str) -> str:
        return self.ids[login]


USERS = [
    (
        "Ada@Example.com",
        "EXT-1",
        True,
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "department": "R&D",
            "title": "Countess",
        },
    ),
    (
        "bob@example.com",
        "ext-2",
        True,
        {
            "firstName": "Bob",
            "email": "bob@corp.org",
            "secondEmail": "bob@home.net",
            "department": "Sales",
        },
    ),
    ("carol@example.com", None, False, {"firstName": "Carol", "department": "r&d"}),
    ("dave_1%@example.com", "x'y", True, {"title": "50% off_now\\x"}),
]


async def _seed(tx: Tx) -> Seeded:
    ids: dict[str, str] = {}
    for login, ext, active, profile in USERS:
        data = UserCreate(login_id=login, external_id=ext, active=active, profile=dict(profile))
        user = await create_user(tx, actor=owner(), data=data)
        ids[login.split("@")[0].lower()] = user.id
    gone = await create_user(
        tx,
        actor=owner(),
        data=UserCreate(login_id="gone@example.com", profile={"firstName": "Ada"}),
    )
    await delete_user(tx, actor=owner(), user_id=gone.id)
    return Seeded(ids)


async def _logins(tx: Tx, where: Predicate, **kwargs: object) -> list[str]:
    _, users = await search_users(tx, where=where, **kwargs)  # type: ignore[arg-type]
    return [u.login_id.split("@")[0].lower() for u in users]


async def _set(tx: Tx, where: Predicate) -> set[str]:
    return set(await _logins(tx, where))


def _by_id(seeded: Seeded, *logins: str) -> list[str]:
    return sorted(logins, key=lambda login: seeded[login])


async def test_every_live_user_in_id_order_and_never_a_deleted_one(tx: Tx) -> None:
    seeded = await _seed(tx)
    assert await _logins(tx, TRUE) == _by_id(seeded, "ada", "bob", "carol", "dave_1%")
    assert await _logins(tx, FALSE) == []
    assert await _set(tx, Compare("profile.firstName", "eq", "Ada")) == {"ada"}


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "bob", {"bob"}),
        ("ne", "bob", {"ada", "carol", "dave_1%"}),
        ("co", "A", {"ada", "carol"}),
        ("sw", "c", {"carol"}),
        ("ew", "B", {"bob"}),
        ("gt", "bob", {"carol"}),
        ("ge", "bob", {"bob", "carol"}),
        ("lt", "bob", {"ada"}),
        ("le", "BOB", {"ada", "bob"}),
    ],
)
async def test_each_operator_on_a_case_insensitive_profile_string(
    tx: Tx, op: str, value: str, expected: set[str]
) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("profile.firstName", op, value)) == expected  # type: ignore[arg-type]


async def test_case_exact_comparisons_respect_case(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("externalId", "eq", "EXT-1", case_exact=True)) == {"ada"}
    assert await _set(tx, Compare("externalId", "eq", "ext-1", case_exact=True)) == set()
    assert await _set(tx, Compare("externalId", "eq", "ext-1")) == {"ada"}
    assert await _set(tx, Compare("externalId", "sw", "EXT", case_exact=True)) == {"ada"}
    assert await _set(tx, Compare("externalId", "sw", "EXT")) == {"ada", "bob"}
    assert await _set(tx, Compare("profile.department", "eq", "R&D", case_exact=True)) == {"ada"}
    assert await _set(tx, Compare("profile.department", "eq", "R&D")) == {"ada", "carol"}


async def test_login_id_compares_on_the_folded_column(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("loginId", "eq", "ADA@EXAMPLE.COM")) == {"ada"}
    assert await _set(tx, Compare("loginId", "sw", "AdA@")) == {"ada"}
    assert await _set(tx, Compare("loginId", "eq", "ada@example.com", case_exact=True)) == set()
    assert await _set(tx, Compare("loginId", "eq", "Ada@Example.com", case_exact=True)) == {"ada"}


async def test_ne_and_not_match_users_without_the_value(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("externalId", "ne", "EXT-1", case_exact=True)) == {
        "bob",
        "carol",
        "dave_1%",
    }
    assert await _set(tx, Not(Compare("profile.department", "eq", "sales"))) == {
        "ada",
        "carol",
        "dave_1%",
    }
    assert await _set(tx, Not(Compare("profile.title", "co", "E"))) == {"bob", "carol", "dave_1%"}
    assert await _set(tx, Not(Not(Compare("profile.title", "co", "E")))) == {"ada"}


async def test_presence_and_null_comparisons(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Present("profile.secondEmail")) == {"bob"}
    assert await _set(tx, Present("externalId")) == {"ada", "bob", "dave_1%"}
    assert await _set(tx, Compare("externalId", "eq", None)) == {"carol"}
    assert await _set(tx, Compare("externalId", "ne", None)) == {"ada", "bob", "dave_1%"}
    assert await _set(tx, Not(Present("profile.title"))) == {"bob", "carol"}
    assert await _set(tx, Present("loginId")) == {"ada", "bob", "carol", "dave_1%"}
    with pytest.raises(InvalidValue, match="needs a value"):
        await _set(tx, Compare("externalId", "gt", None))


async def test_boolean_active(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("active", "eq", False)) == {"carol"}
    assert await _set(tx, Compare("active", "ne", False)) == {"ada", "bob", "dave_1%"}
    assert await _set(tx, Not(Compare("active", "eq", True))) == {"carol"}
    with pytest.raises(InvalidValue, match="only eq/ne"):
        await _set(tx, Compare("active", "gt", True))
    with pytest.raises(InvalidValue, match="only eq/ne"):
        await _set(tx, Compare("active", "eq", "true"))


async def test_and_or_not_with_grouping(tx: Tx) -> None:
    await _seed(tx)
    rd = Compare("profile.department", "eq", "r&d")
    active = Compare("active", "eq", True)
    bob = Compare("profile.firstName", "eq", "bob")
    assert await _set(tx, And((rd, active))) == {"ada"}
    assert await _set(tx, Or((And((rd, active)), bob))) == {"ada", "bob"}
    assert await _set(tx, And((Or((rd, bob)), Not(active)))) == {"carol"}
    assert await _set(tx, Not(Or((rd, bob)))) == {"dave_1%"}
    assert await _set(tx, And(())) == {"ada", "bob", "carol", "dave_1%"}
    assert await _set(tx, Or(())) == set()


def test_constructors_fold_constants_and_flatten() -> None:
    a, b = Present("a"), Present("b")
    assert and_([a, TRUE, And((b,))]) == And((a, b))
    assert and_([a, FALSE]) == FALSE
    assert or_([a, FALSE]) == a
    assert or_([a, TRUE]) == TRUE
    assert not_(not_(a)) == a
    assert not_(TRUE) == FALSE
    assert (and_([]), or_([]), or_([FALSE, FALSE])) == (TRUE, FALSE, FALSE)


async def test_like_wildcards_and_escape_characters_are_literal(tx: Tx) -> None:
    await _seed(tx)
    assert await _set(tx, Compare("profile.title", "co", "%")) == {"dave_1%"}
    assert await _set(tx, Compare("profile.title", "co", "_")) == {"dave_1%"}
    assert await _set(tx, Compare("profile.title", "ew", "\\x")) == {"dave_1%"}
    assert await _set(tx, Compare("profile.title", "co", "0% o")) == {"dave_1%"}
    assert await _set(tx, Compare("loginId", "sw", "dave_1%")) == {"dave_1%"}
    assert await _set(tx, Compare("loginId", "sw", "dave%")) == set()
    assert await _set(tx, Compare("profile.firstName", "co", "_")) == set()


async def test_injection_attempts_are_inert(tx: Tx) -> None:
    await _seed(tx)
    for value in ("' OR 1=1 --", "x') OR ('1'='1", '"; DROP TABLE users; --', ":q0"):
        assert await _set(tx, Compare("profile.firstName", "eq", value)) == set()
        assert await _set(tx, Compare("loginId", "co", value)) == set()
    assert await _set(tx, Compare("externalId", "eq", "x'y", case_exact=True)) == {"dave_1%"}
    with pytest.raises(InvalidValue, match="unknown field"):
        await _set(tx, Compare("profile.x') OR 1=1 --", "eq", "a"))
    with pytest.raises(InvalidValue, match="unknown field"):
        await _set(tx, Present("login_id"))
    assert await _set(tx, TRUE) == {"ada", "bob", "carol", "dave_1%"}


async def test_sort_offset_limit_and_total(tx: Tx) -> None:
    seeded = await _seed(tx)
    assert await _logins(tx, TRUE, sort="loginId", descending=True) == [
        "dave_1%",
        "carol",
        "bob",
        "ada",
    ]
    # absent values sort last in both directions, ties by id
    untitled = _by_id(seeded, "bob", "carol")
    assert await _logins(tx, TRUE, sort="profile.title") == ["dave_1%", "ada", *untitled]
    assert await _logins(tx, TRUE, sort="profile.title", descending=True) == [
        "ada",
        "dave_1%",
        *reversed(untitled),
    ]
    total, page = await search_users(tx, where=TRUE, sort="loginId", offset=1, limit=2)
    assert (total, [u.login_id for u in page]) == (4, ["bob@example.com", "carol@example.com"])
    total, page = await search_users(tx, where=Present("externalId"), limit=0)
    assert (total, page) == (3, [])
    total, page = await search_users(tx, where=TRUE, offset=3, with_total=False)
    last = _by_id(seeded, "ada", "bob", "carol", "dave_1%")[-1]
    assert (total, [u.id for u in page]) == (None, [seeded[last]])
    assert await _logins(tx, TRUE, offset=10) == []


async def test_bad_sorts_and_pages_are_refused(tx: Tx) -> None:
    for sort, offset, limit in (("active", 0, 1), ("nope", 0, 1), (None, -1, 1), (None, 0, -5)):
        with pytest.raises(InvalidValue):
            await search_users(tx, where=TRUE, sort=sort, offset=offset, limit=limit)
    with pytest.raises(InvalidValue):
        await search_groups(tx, where=TRUE, sort="memberId")


async def test_wrong_value_types_are_refused(tx: Tx) -> None:
    with pytest.raises(InvalidValue, match="compares with text"):
        await search_users(tx, where=Compare("profile.firstName", "eq", 5))
    with pytest.raises(InvalidValue, match="compares with a number"):
        await search_users(tx, where=Compare("version", "gt", "1"))
    with pytest.raises(InvalidValue, match="unknown operator"):
        await search_users(tx, where=Compare("loginId", "xx", "a"))  # type: ignore[arg-type]


async def test_a_lookup_by_a_unique_field_is_not_ordered(
    tx: Tx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An equality on a unique field finds one row at most: no ORDER BY, so that no planner
    statistics can turn the index probe into a walk of the id index (app.domain.directory)."""
    from app.db import drivers
    from app.domain.groups.service import create_group
    from app.domain.types import SYSTEM
    from app.seeding import seed_users

    await seed_users(tx, actor=SYSTEM, count=3000, prefix="u-")
    await create_group(tx, actor=owner(), display_name="Engineering")
    seen: list[str] = []
    for cls in (drivers.SqliteTx, drivers.PgTx):
        original = cls.fetch

        async def fetch(self: Tx, sql: str, params: object = None, _f: object = original) -> object:
            if " FROM users WHERE " in sql or " FROM groups WHERE " in sql:
                seen.append(sql)
            return await _f(self, sql, params)  # type: ignore[operator]

        monkeypatch.setattr(cls, "fetch", fetch)
    login = Compare("loginId", "eq", "U-2500@EXAMPLE.COM")
    total, found = await search_users(tx, where=And((login, Present("loginId"))), sort="loginId")
    assert (total, [u.login_id for u in found]) == (1, ["u-2500@example.com"])
    _, groups = await search_groups(tx, where=Compare("displayName", "eq", "engineering"))
    assert [g.display_name for g in groups] == ["Engineering"]
    await search_users(tx, where=Compare("loginId", "sw", "u-25"), limit=1)
    assert ["ORDER BY" in sql for sql in seen] == [False, False, True]
    with pytest.raises(InvalidValue):
        await search_users(tx, where=login, sort="nonsense")
