"""SCIM filters run against the database, checked against a small in-memory evaluator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.db import Tx
from app.domain.directory import search_groups, search_users
from app.domain.groups.members import add_members
from app.domain.groups.service import create_group
from app.domain.settings.attributes import create_custom_attribute
from app.domain.settings.catalogue import get_catalogue
from app.domain.types import Datatype
from app.domain.users.service import UserCreate, create_user
from app.scim.filters import parse_group_filter, parse_sort, parse_user_filter
from tests.support import owner

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ROSTER = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"


@pytest.fixture(autouse=True)
async def _forget_catalogue(tx: Tx) -> AsyncIterator[None]:
    # Custom attributes created here are rolled back; the per-process catalogue memo is keyed
    # by a version number the next test reuses, so it must not outlive the test.
    yield
    tx.cache.pop("catalogue", None)


async def _users(tx: Tx, text: str, **kwargs: Any) -> list[str]:
    where = parse_user_filter(text, await get_catalogue(tx))
    _, users = await search_users(tx, where=where, **kwargs)
    return [u.login_id for u in users]


async def test_scim_filters_find_the_right_users(tx: Tx) -> None:
    await create_custom_attribute(
        tx, actor=owner(), variable_name="badge", display_name="Badge", datatype=Datatype.STRING
    )
    people = [
        ("ada", "00u1", True, {"email": "ada@x.com", "department": "R&D", "badge": "B-7"}),
        ("bob", "00u2", False, {"email": "bob@y.com", "secondEmail": "bob@x.com"}),
        ("cy", None, True, {"firstName": "Cy", "mobilePhone": "+1 555"}),
    ]
    for login, ext, active, profile in people:
        await create_user(
            tx,
            actor=owner(),
            data=UserCreate(login_id=login, external_id=ext, active=active, profile=profile),
        )
    expectations = {
        'userName eq "ADA"': ["ada"],
        "externalId eq 00u2": ["bob"],
        'active eq "False"': ["bob"],
        'emails[type eq "work" and value co "@x.com"]': ["ada"],
        'emails.value co "@x.com"': ["ada", "bob"],
        'emails[type eq "home"].value ew "x.com"': ["bob"],
        'emails.value ne "bob@x.com"': ["ada", "cy"],
        "emails[primary eq true]": ["ada", "bob"],
        "not (emails pr)": ["cy"],
        'phoneNumbers[type eq "mobile" and value sw "+1"]': ["cy"],
        f'{ENT}:department eq "r&d"': ["ada"],
        f'{ROSTER}:badge eq "b-7"': ["ada"],
        f'schemas eq "{ROSTER}"': ["ada"],
        f'not (schemas eq "{ENT}")': ["bob", "cy"],
        'userName sw "a" or (active eq false and not (externalId eq "x"))': ["ada", "bob"],
        "name.givenName pr and externalId pr": [],
        'externalId eq "\' OR 1=1 --"': [],
    }
    for text, logins in expectations.items():
        assert await _users(tx, text, sort="loginId") == logins, text


async def test_meta_last_modified_ranges(tx: Tx) -> None:
    for i, stamp in enumerate(
        (
            "2026-01-01T00:00:00.000000Z",
            "2026-06-01T00:00:00.000000Z",
            "2027-01-01T00:00:00.500000Z",
        )
    ):
        user = await create_user(tx, actor=owner(), data=UserCreate(login_id=f"u{i}"))
        await tx.execute(
            "UPDATE users SET updated_at = :t WHERE id = :i", {"t": stamp, "i": user.id}
        )
    window = (
        'meta.lastModified gt "2026-01-01T00:00:00Z"'
        ' and meta.lastModified le "2027-01-01T00:00:00.5Z"'
    )
    assert await _users(tx, window, sort="loginId") == ["u1", "u2"]
    assert await _users(tx, 'meta.lastModified lt "2026-06-01T02:00:00+02:00"', sort="loginId") == [
        "u0"
    ]
    sort = parse_sort("meta.lastModified", await get_catalogue(tx))
    assert await _users(tx, "userName pr", sort=sort, descending=True) == ["u2", "u1", "u0"]


async def test_entra_membership_check_and_group_filters(tx: Tx) -> None:
    ada = await create_user(tx, actor=owner(), data=UserCreate(login_id="ada"))
    bob = await create_user(tx, actor=owner(), data=UserCreate(login_id="bob"))
    eng = await create_group(tx, actor=owner(), display_name="Engineering", external_id="e1")
    await create_group(tx, actor=owner(), display_name="Sales")
    await add_members(tx, group_id=eng.id, user_ids=[ada.id])

    async def names(text: str) -> list[str]:
        _, groups = await search_groups(tx, where=parse_group_filter(text), sort="displayName")
        return [g.display_name for g in groups]

    assert await names(f'id eq "{eng.id}" and members[value eq "{ada.id}"]') == ["Engineering"]
    assert await names(f'id eq "{eng.id}" and members[value eq "{bob.id}"]') == []
    assert await names(f'members.value eq "{ada.id}"') == ["Engineering"]
    assert await names(f'not (members.value eq "{ada.id}")') == ["Sales"]
    assert await names('displayName eq "engineering"') == ["Engineering"]
    assert await names('externalId eq "E1"') == []
    assert await names("not (members pr)") == ["Sales"]
    assert await _users(tx, f'groups.value eq "{eng.id}"') == ["ada"]
