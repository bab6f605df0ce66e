"""Queries: paging, stable order, sort, projection and the filters IdPs send."""

from __future__ import annotations

import orjson

from tests.scim.conftest import LIST, Scim, scrub


async def test_pages_are_stable_and_numbers_are_integers(scim: Scim) -> None:
    ids = sorted([(await scim.create_user(f"u{i}@x.com"))["id"] for i in range(5)])
    seen: list[str] = []
    for start in (1, 3, 5):
        page = (await scim.client.get("/Users", params={"startIndex": start, "count": 2})).json()
        assert (page["totalResults"], page["startIndex"]) == (5, start)
        assert page["itemsPerPage"] == len(page["Resources"])
        seen += [r["id"] for r in page["Resources"]]
    assert seen == ids
    counted = await scim.client.get("/Users", params={"count": 0})
    assert counted.json() == {
        "schemas": [LIST],
        "totalResults": 5,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }
    beyond = (await scim.client.get("/Users", params={"startIndex": 99})).json()
    assert (beyond["totalResults"], beyond["Resources"]) == (5, [])


async def test_sort_by_username_descending_and_attributes(scim: Scim) -> None:
    for login in ("b@x.com", "c@x.com", "a@x.com"):
        await scim.create_user(login, title="T")
    page = await scim.client.get(
        "/Users",
        params={"sortBy": "userName", "sortOrder": "descending", "attributes": "userName"},
    )
    assert [scrub(r, id=r["id"]) for r in page.json()["Resources"]] == [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "{id}", "userName": u}
        for u in ("c@x.com", "b@x.com", "a@x.com")
    ]


async def test_okta_and_entra_user_filters(scim: Scim) -> None:
    ada = (await scim.create_user("Ada@x.com", externalId="jyoung", active=False))["id"]
    await scim.create_user("bob@x.com")
    for text in ('userName eq "ada@X.com"', 'externalId eq "jyoung"', "active eq false"):
        found = (await scim.client.get("/Users", params={"filter": text})).json()
        assert [r["id"] for r in found["Resources"]] == [ada], text
    none = (await scim.client.get("/Users", params={"filter": 'userName eq "zz"'})).json()
    assert (none["totalResults"], none["Resources"]) == (0, [])


async def test_entra_membership_check_with_excluded_members(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    bob = (await scim.create_user("bob@x.com"))["id"]
    g = await scim.create_group("Eng", [ada])
    params = {"excludedAttributes": "members"}
    hit = await scim.client.get(
        "/Groups", params={**params, "filter": f'id eq "{g}" and members[value eq "{ada}"]'}
    )
    assert [r["id"] for r in hit.json()["Resources"]] == [g]
    assert "members" not in hit.json()["Resources"][0]
    miss = await scim.client.get(
        "/Groups", params={**params, "filter": f'id eq "{g}" and members[value eq "{bob}"]'}
    )
    assert miss.json()["totalResults"] == 0
    by_name = await scim.client.get("/Groups", params={**params, "filter": 'displayName eq "ENG"'})
    assert [r["id"] for r in by_name.json()["Resources"]] == [g]


async def test_search_endpoints(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    g = await scim.create_group("Eng")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "ada"',
        "attributes": ["userName"],
        "count": 10,
    }
    users = await scim.client.post("/Users/.search", content=orjson.dumps(body))
    assert [r["id"] for r in users.json()["Resources"]] == [ada]
    assert set(users.json()["Resources"][0]) == {"schemas", "id", "userName"}
    groups = await scim.client.post(
        "/Groups/.search", content=orjson.dumps({"filter": 'displayName eq "Eng"'})
    )
    assert [r["id"] for r in groups.json()["Resources"]] == [g]
    both = await scim.client.post("/.search", content=orjson.dumps({"count": 10}))
    assert [r["id"] for r in both.json()["Resources"]] == [ada, g]
    assert both.json()["totalResults"] == 2
