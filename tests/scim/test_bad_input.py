"""Bad input: a clear SCIM error, the stored data unchanged, an ERROR event for writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.conftest import ENT, USER, Scim, error


async def _snapshot(scim: Scim) -> list[dict[str, Any]]:
    return await scim.rows("SELECT id, login_id, profile, version, status FROM users ORDER BY id")


@pytest.mark.parametrize(
    ("content", "headers", "expected"),
    [
        (b"{not json", {}, (400, "invalidSyntax")),
        (b"[1, 2]", {}, (400, "invalidSyntax")),
        (b"42", {}, (400, "invalidSyntax")),
        (b'{"userName": "x"}', {"Content-Type": "text/plain"}, (415, None)),
        (b'{"schemas": ["urn:nope"], "userName": "x"}', {}, (400, "invalidValue")),
        (b'{"schemas": ["' + USER.encode() + b'"]}', {}, (400, "invalidValue")),
        (
            b'{"schemas": ["' + USER.encode() + b'"], "userName": "x", "active": "maybe"}',
            {},
            (400, "invalidValue"),
        ),
        (
            b'{"schemas": ["' + USER.encode() + b'"], "userName": "x", "title": 5}',
            {},
            (400, "invalidValue"),
        ),
    ],
)
async def test_bad_create_bodies(
    scim: Scim, content: bytes, headers: dict[str, str], expected: tuple[int, str | None]
) -> None:
    await scim.create_user("keep@x.com")
    before = await _snapshot(scim)
    response = await scim.client.post("/Users", content=content, headers=headers)
    assert (response.status_code, response.json().get("scimType")) == expected, response.text
    assert response.json()["detail"]
    assert await _snapshot(scim) == before


async def test_details_name_the_attribute(scim: Scim) -> None:
    body: dict[str, Any]
    body = {"schemas": [USER], "userName": "x@x.com", "active": "maybe"}
    assert (await scim.post("/Users", body)).json() == error(
        400, "active must be a boolean, not 'maybe'", "invalidValue"
    )
    body = {"schemas": [USER], "userName": "x@x.com", "name": {"givenName": 5}}
    assert (await scim.post("/Users", body)).json() == error(
        400, "name.givenName: firstName must be a string", "invalidValue"
    )
    body = {"schemas": [USER, "urn:nope"], "userName": "x@x.com"}
    assert (await scim.post("/Users", body)).json() == error(
        400, "unknown schema(s) in schemas: urn:nope", "invalidValue"
    )
    assert (await scim.post("/Users", {"schemas": [USER]})).json() == error(
        400, "userName is required and must be a non-empty string", "invalidValue"
    )


async def test_body_over_the_limit_is_413(scim: Scim) -> None:
    big = {"schemas": [USER], "userName": "x@x.com", "title": "x" * 2_000_000}
    response = await scim.post("/Users", big)
    assert response.json() == error(413, "the request body is larger than 1048576 bytes")
    assert await _snapshot(scim) == []


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ([{"op": "move", "path": "title", "value": "x"}], (400, "invalidValue")),
        ([{"op": "remove", "path": 'emails[type eq "home"]'}], (400, "noTarget")),
        ([{"op": "remove"}], (400, "noTarget")),
        ([{"op": "replace", "path": "favouriteColour", "value": "x"}], (400, "invalidPath")),
        ([{"op": "replace", "path": "id", "value": "x"}], (400, "mutability")),
        ([{"op": "replace", "path": "emails[type eq ]", "value": "x"}], (400, "invalidFilter")),
        (
            [
                {"op": "replace", "path": "title", "value": "changed"},
                {"op": "replace", "path": "active", "value": "maybe"},
            ],
            (400, "invalidValue"),
        ),
    ],
)
async def test_bad_patches_change_nothing(
    scim: Scim, ops: list[dict[str, Any]], expected: tuple[int, str]
) -> None:
    ada = (await scim.create_user("a@x.com", title="CTO"))["id"]
    before = await _snapshot(scim)
    response = await scim.patch(f"/Users/{ada}", ops)
    assert (response.status_code, response.json()["scimType"]) == expected, response.text
    assert await _snapshot(scim) == before
    assert (await scim.events())[-1][:4] == ("PATCH", "User", "ERROR", expected[0])


async def test_unknown_filter_attribute_is_invalid_filter(scim: Scim) -> None:
    response = await scim.client.get("/Users", params={"filter": 'nope eq "x"'})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidFilter")
    response = await scim.client.get("/Users", params={"filter": "userName eq"})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidFilter")


async def test_invalid_sort_and_page_parameters(scim: Scim) -> None:
    response = await scim.client.get("/Users", params={"sortBy": "nope"})
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")
    response = await scim.client.get("/Users", params={"count": "many"})
    assert response.json() == error(400, "count must be an integer, not 'many'", "invalidValue")


async def test_enterprise_extension_must_be_an_object(scim: Scim) -> None:
    body = {"schemas": [USER, ENT], "userName": "x@x.com", ENT: "R&D"}
    response = await scim.post("/Users", body)
    assert response.status_code == 201  # a non-object extension is dropped as unknown shape
    assert ENT not in response.json()


async def test_patch_value_filters_read_with_the_list_filters_grammar(scim: Scim) -> None:
    """A PATCH path's value filter is parsed by the parser list filters use: the same dialects
    (an unquoted value, operators in any case) and the same errors, positions included."""
    emails = [{"type": "work", "value": "w@x.com"}, {"type": "home", "value": "h@x.com"}]
    ada = (await scim.create_user("a@x.com", emails=emails))["id"]
    response = await scim.patch(
        f"/Users/{ada}",
        [{"op": "replace", "path": "emails[type EQ work].value", "value": "n@x.com"}],
    )
    assert response.status_code == 200, response.text
    assert response.json()["emails"] == [
        {"type": "work", "primary": True, "value": "n@x.com"},
        {"type": "home", "value": "h@x.com"},
    ]
    before = await _snapshot(scim)
    refused = {
        "emails[type eq ].value": (
            'expected a value after "eq" at position 8, found the end of the filter'
        ),
        'emails[type eq "work" and addresses[type eq "x"]].value': (
            "a value filter cannot hold another one (addresses[…])"
        ),
        'emails[type eq "work" or].value': (
            "expected an attribute name at position 17, found the end of the filter"
        ),
    }
    for path, why in refused.items():
        response = await scim.patch(f"/Users/{ada}", [{"op": "replace", "path": path, "value": 1}])
        shown = path.removeprefix("emails[").removesuffix("].value")
        assert response.json() == error(
            400, f"invalid value filter [{shown}]: {why}", "invalidFilter"
        ), path
    assert await _snapshot(scim) == before
