"""SCIM filters and sortBy resolved against the schema and the Profile Editor catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.db import Tx
from app.domain.directory import FALSE, TRUE, And, Compare, Not, Or, Predicate, Present
from app.domain.settings.attributes import create_custom_attribute
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.types import Datatype
from app.scim.filters import FilterError, parse_group_filter, parse_sort, parse_user_filter
from tests.support import owner

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(autouse=True)
async def _forget_catalogue(tx: Tx) -> AsyncIterator[None]:
    # A custom attribute created in a rolled-back test must not stay in the per-process memo.
    yield
    tx.cache.pop("catalogue", None)


async def _catalogue(tx: Tx) -> Catalogue:
    return await get_catalogue(tx)


EMAIL = Present("profile.email")
CASES: dict[str, Predicate] = {
    'userName eq "A"': Compare("loginId", "eq", "A"),
    f'{CORE}:UserName sw "J"': Compare("loginId", "sw", "J"),
    'externalId eq "x"': Compare("externalId", "eq", "x", case_exact=True),
    'id eq "x"': Compare("id", "eq", "x", case_exact=True),
    'name.givenName co "a"': Compare("profile.firstName", "co", "a"),
    f'{ENT}:department eq "R&D"': Compare("profile.department", "eq", "R&D"),
    f'{ENT}:manager.value eq "m"': Compare("profile.managerId", "eq", "m", case_exact=True),
    f'{ENT}:manager eq "m"': Compare("profile.managerId", "eq", "m", case_exact=True),
    'active eq "True"': Compare("active", "eq", True),
    "active ne false": Compare("active", "ne", False),
    'meta.lastModified gt "2026-01-01T00:00:00Z"': Compare(
        "updatedAt", "gt", "2026-01-01T00:00:00Z", case_exact=True
    ),
    'meta.created le "2026-01-01"': Compare("createdAt", "le", "2026-01-01", case_exact=True),
    'meta.resourceType eq "User"': TRUE,
    'meta.resourceType eq "user"': FALSE,
    'meta.resourceType eq "Group"': FALSE,
    'emails[type eq "work" and value co "@x.com"]': And(
        (EMAIL, Compare("profile.email", "co", "@x.com"))
    ),
    'emails[type eq "work"].value eq "a@x.com"': And(
        (EMAIL, Compare("profile.email", "eq", "a@x.com"))
    ),
    "emails[primary eq true]": EMAIL,
    'emails[type eq "other"]': FALSE,
    'emails[display eq "x"]': FALSE,
    'emails.value eq "a@x.com"': Or(
        (
            And((EMAIL, Compare("profile.email", "eq", "a@x.com"))),
            And(
                (
                    Present("profile.secondEmail"),
                    Compare("profile.secondEmail", "eq", "a@x.com"),
                )
            ),
        )
    ),
    'emails.value ne "a"': Not(
        Or(
            (
                And((EMAIL, Compare("profile.email", "eq", "a"))),
                And((Present("profile.secondEmail"), Compare("profile.secondEmail", "eq", "a"))),
            )
        )
    ),
    "emails pr": Or((EMAIL, Present("profile.secondEmail"))),
    'phoneNumbers[type eq "mobile"].value sw "+1"': And(
        (Present("profile.mobilePhone"), Compare("profile.mobilePhone", "sw", "+1"))
    ),
    'addresses[type eq "work" and locality eq "Paris"]': Compare("profile.city", "eq", "Paris"),
    "name.formatted pr": FALSE,
    'name.formatted ne "x"': TRUE,
    'ims.value eq "x"': FALSE,
    'groups.value eq "g"': Compare("groupId", "eq", "g", case_exact=True),
    f'schemas eq "{CORE}"': TRUE,
    "schemas pr": TRUE,
    'schemas eq "urn:x"': FALSE,
}


async def test_attribute_paths_resolve_through_the_catalogue(tx: Tx) -> None:
    cat = await _catalogue(tx)
    for text, expected in CASES.items():
        got = parse_user_filter(text, cat)
        if text.startswith("addresses"):
            assert isinstance(got, And) and got.items[-1] == expected, text
        else:
            assert got == expected, text


async def test_schemas_names_the_extensions_a_user_has(tx: Tx) -> None:
    got = parse_user_filter(f'schemas eq "{ENT}"', await _catalogue(tx))
    assert isinstance(got, Or) and Present("profile.department") in got.items
    assert len(got.items) == 7


async def test_custom_attributes_are_filterable_by_their_urn(tx: Tx) -> None:
    await create_custom_attribute(
        tx, actor=owner(), variable_name="level", display_name="Level", datatype=Datatype.NUMBER
    )
    cat = await _catalogue(tx)
    urn = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
    assert parse_user_filter(f"{urn}:level gt 3", cat) == Compare("profile.level", "gt", 3, True)
    assert parse_user_filter(f'{urn}:LEVEL le "4.5"', cat) == Compare(
        "profile.level", "le", 4.5, True
    )
    assert parse_sort(f"{urn}:level", cat) == "profile.level"
    with pytest.raises(FilterError) as err:
        parse_user_filter(f'{urn}:level co "1"', cat)
    assert err.value.detail == f'"co" does not apply to the number "{urn}:level" at position 64'


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('foo eq "x"', 'unknown attribute "foo" at position 0'),
        ('userName eq "a" or name.nick eq "x"', 'unknown attribute "name.nick" at position 19'),
        ('department eq "x"', 'unknown attribute "department" at position 0'),
        ('urn:example:bad:attr eq "x"', 'unknown attribute "urn:example:bad:attr" at position 0'),
        ('emails[foo eq "x"]', 'unknown attribute "foo" at position 7'),
        ('emails.foo eq "x"', 'unknown attribute "emails.foo" at position 0'),
        ('name eq "x"', '"name" at position 0 is complex: compare one of its sub-attributes'),
        (
            'addresses co "x"',
            '"addresses" at position 0 is complex: compare one of its sub-attributes',
        ),
        ("active gt true", '"gt" does not apply to the boolean "active" at position 10'),
        ('active eq "yes"', 'expected true or false for "active" at position 10, found "yes"'),
        (
            'meta.created gt "yesterday"',
            'expected an ISO-8601 dateTime for "meta.created" at position 16, found "yesterday"',
        ),
        (
            'meta.created sw "2026"',
            '"sw" does not apply to the dateTime "meta.created" at position 16',
        ),
        ("userName gt null", '"gt" needs a value other than null for "userName" at position 12'),
        (
            'userName[value eq "x"]',
            '"userName" is not multi-valued: it takes no value filter (position 0)',
        ),
        (
            'groups.display eq "x"',
            '"groups.display" is not filterable; use groups.value (position 0)',
        ),
    ],
)
async def test_resolution_errors_name_the_attribute(tx: Tx, text: str, detail: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_user_filter(text, await _catalogue(tx))
    assert err.value.detail == detail


def test_group_filters() -> None:
    member = Compare("memberId", "eq", "u", case_exact=True)
    assert parse_group_filter('displayName eq "Eng"') == Compare("displayName", "eq", "Eng")
    assert parse_group_filter('externalId eq "e"') == Compare("externalId", "eq", "e", True)
    assert parse_group_filter('id eq "g" and members[value eq "u"]') == And(
        (Compare("id", "eq", "g", True), member)
    )
    assert parse_group_filter('members.value eq "u"') == member
    assert parse_group_filter('members eq "u"') == member
    assert parse_group_filter('members[value eq "u" or value eq "v"]') == Or(
        (member, Compare("memberId", "eq", "v", True))
    )
    assert parse_group_filter("members pr") == Present("memberId")
    assert parse_group_filter('meta.lastModified ge "2026-01-01T00:00:00Z"') == Compare(
        "updatedAt", "ge", "2026-01-01T00:00:00Z", True
    )
    for bad, detail in (
        ('userName eq "x"', 'unknown attribute "userName" at position 0'),
        (
            'members[display eq "x"]',
            "a value filter on members or groups takes only value comparisons joined by or",
        ),
        ('members[value ne "x"]', '"ne" is not supported inside a value filter on memberId'),
    ):
        with pytest.raises(FilterError) as err:
            parse_group_filter(bad)
        assert err.value.detail == detail


async def test_sort_by(tx: Tx) -> None:
    cat = await _catalogue(tx)
    expected = {
        "userName": "loginId",
        "USERNAME": "loginId",
        "externalId": "externalId",
        "id": "id",
        "meta.created": "createdAt",
        "meta.lastModified": "updatedAt",
        "name.givenName": "profile.firstName",
        "emails": "profile.email",
        "emails.value": "profile.email",
        "phoneNumbers.value": "profile.primaryPhone",
        "addresses.locality": "profile.city",
        f"{ENT}:department": "profile.department",
        f"{ENT}:manager": "profile.managerId",
    }
    for sort_by, field in expected.items():
        assert parse_sort(sort_by, cat) == field, sort_by
    assert parse_sort("displayName", None, "Group") == "displayName"
    assert parse_sort("meta.created", None, "Group") == "createdAt"
    for bad, detail in (
        ("active", 'invalid sortBy "active": the attribute is not sortable'),
        ("name.formatted", 'invalid sortBy "name.formatted": the attribute is not sortable'),
        ("groups", 'invalid sortBy "groups": the attribute is not sortable'),
        ("nope", 'unknown attribute "nope" at position 0'),
        ("userName desc", 'unexpected "desc" at position 9 in "userName desc"'),
    ):
        with pytest.raises(FilterError) as err:
            parse_sort(bad, cat)
        assert err.value.detail == detail
    with pytest.raises(FilterError, match="not sortable"):
        parse_sort("members", None, "Group")
