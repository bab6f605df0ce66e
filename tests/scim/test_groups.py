"""/Groups over HTTP: resources, member set operations, warnings, rule 6 and rule 9."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scim.conftest import BASE, GROUP, Scim, error, scrub


def group_resource(members: list[dict[str, Any]] | None, version: int = 2) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [GROUP],
        "id": "{g}",
        "externalId": "x-1",
        "displayName": "Eng",
    }
    if members is not None:
        doc["members"] = members
    doc["meta"] = {
        "resourceType": "Group",
        "created": "<ts>",
        "lastModified": "<ts>",
        "location": f"{BASE}/Groups/{{g}}",
        "version": f'W/"{version}"',
    }
    return doc


def member(name: str) -> dict[str, Any]:
    """A member as returned by default, display included (rule 18): users created here have
    no displayName, so it is their loginId ``<name>@x.com``."""
    return {
        "value": "{" + name + "}",
        "display": f"{name}@x.com",
        "$ref": f"{BASE}/Users/{{{name}}}",
        "type": "User",
    }


async def test_create_skips_unknown_members_with_a_warning(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    body = {
        "schemas": [GROUP],
        "displayName": "Eng",
        "externalId": "x-1",
        "members": [{"value": ada}, {"value": "ghost"}],
    }
    response = await scim.post("/Groups", body)
    assert response.status_code == 201
    g = response.json()["id"]
    assert response.headers["location"] == f"{BASE}/Groups/{g}"
    assert scrub(response.json(), g=g, ada=ada) == group_resource([member("ada")])
    assert (await scim.events())[-1] == (
        "POST",
        "Group",
        "WARNING",
        201,
        "unknown member id(s) skipped: ghost",
    )
    audit = await scim.rows("SELECT action FROM audit_entries WHERE target_id = :g", {"g": g})
    assert audit == [{"action": "group.create"}]


async def test_adding_present_members_changes_nothing_and_a_real_change_bumps_once(
    scim: Scim,
) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    bob = (await scim.create_user("bob@x.com"))["id"]
    g = await scim.create_group("Eng", [ada])

    async def version_after(*values: str, path: str = "members") -> str:
        ops = [{"op": "add", "path": path, "value": [{"value": v} for v in values]}]
        response = await scim.patch(f"/Groups/{g}", ops, params={"attributes": "id"})
        assert response.status_code == 200, response.text
        return str(response.headers["etag"])

    start = (await scim.client.get(f"/Groups/{g}")).headers["etag"]
    assert await version_after(ada) == start
    renamed = await scim.patch(
        f"/Groups/{g}", [{"op": "replace", "path": "displayName", "value": "Eng"}]
    )
    assert renamed.status_code == 204
    assert (await scim.client.get(f"/Groups/{g}")).headers["etag"] == start
    bumped = await version_after(ada, bob)
    assert int(bumped[3:-1]) == int(start[3:-1]) + 1
    audit = await scim.rows(
        "SELECT action FROM audit_entries WHERE target_id = :g ORDER BY at, id", {"g": g}
    )
    assert [a["action"] for a in audit] == ["group.create", "group.update"]


async def test_excluded_members_and_patch_with_attributes(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    g = await scim.create_group("Eng", [ada], externalId="x-1")
    slim = await scim.client.get(f"/Groups/{g}", params={"excludedAttributes": "members"})
    assert scrub(slim.json(), g=g) == group_resource(None)
    patched = await scim.patch(
        f"/Groups/{g}",
        [{"op": "remove", "path": f'members[value eq "{ada}"]'}],
        params={"excludedAttributes": "members"},
    )
    assert patched.status_code == 200
    assert scrub(patched.json(), g=g) == group_resource(None, version=3)
    only = await scim.client.get(f"/Groups/{g}", params={"attributes": "displayName"})
    assert scrub(only.json(), g=g) == {"schemas": [GROUP], "id": "{g}", "displayName": "Eng"}


async def test_member_display_is_returned_by_default(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    g = await scim.create_group("Eng", [ada])
    plain = await scim.client.get(f"/Groups/{g}", params={"attributes": "members"})
    assert scrub(plain.json(), ada=ada)["members"] == [member("ada")]
    asked = await scim.client.get(f"/Groups/{g}", params={"excludedAttributes": "members.display"})
    assert scrub(asked.json(), ada=ada)["members"] == [
        {k: v for k, v in member("ada").items() if k != "display"}
    ]
    only = await scim.client.get(f"/Groups/{g}", params={"attributes": "members.display"})
    assert only.json()["members"] == [{"display": "ada@x.com"}]


async def test_put_replaces_name_external_id_and_members(scim: Scim) -> None:
    a = (await scim.create_user("a@x.com"))["id"]
    b = (await scim.create_user("b@x.com"))["id"]
    g = await scim.create_group("Old", [a], externalId="old")
    body = {
        "schemas": [GROUP],
        "displayName": "Eng",
        "externalId": "x-1",
        "members": [{"value": b}],
    }
    response = await scim.put(f"/Groups/{g}", body)
    assert response.status_code == 200
    # one new version for the whole write (name, externalId and members: one row write)
    assert scrub(response.json(), g=g, b=b) == group_resource([member("b")], 3)


async def test_display_name_is_unique_case_insensitively(scim: Scim) -> None:
    await scim.create_group("Eng")
    response = await scim.post("/Groups", {"schemas": [GROUP], "displayName": "ENG"})
    assert response.json() == error(409, "a group named 'ENG' already exists", "uniqueness")


async def test_patch_add_unknown_member_warns_and_remove_non_member_is_a_no_op(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    g = await scim.create_group("Eng")
    await scim.patch(
        f"/Groups/{g}",
        [
            {"op": "add", "path": "members", "value": [{"value": ada}, {"value": "nobody"}]},
            {"op": "remove", "path": 'members[value eq "stranger"]'},
        ],
    )
    doc = (await scim.client.get(f"/Groups/{g}")).json()
    assert [m["value"] for m in doc["members"]] == [ada]
    assert (await scim.events())[-1][2:] == ("WARNING", 204, "unknown member id(s) skipped: nobody")


async def test_later_operations_win_within_one_request(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    g = await scim.create_group("Eng")
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": "members", "value": [{"value": ada}]},
        {"op": "remove", "path": f'members[value eq "{ada}"]'},
    ]
    await scim.patch(f"/Groups/{g}", ops)
    assert "members" not in (await scim.client.get(f"/Groups/{g}")).json()


async def test_delete_then_404(scim: Scim) -> None:
    g = await scim.create_group("Eng")
    assert (await scim.client.delete(f"/Groups/{g}")).status_code == 204
    assert (await scim.client.delete(f"/Groups/{g}")).json() == error(
        404, f"no group with id {g!r}"
    )


async def test_rename_and_external_id_by_path(scim: Scim) -> None:
    g = await scim.create_group("Eng")
    await scim.patch(
        f"/Groups/{g}",
        [
            {"op": "Replace", "path": "displayName", "value": "Research"},
            {"op": "replace", "value": {"externalId": "e-9"}},
        ],
    )
    doc = (await scim.client.get(f"/Groups/{g}")).json()
    assert (doc["displayName"], doc["externalId"]) == ("Research", "e-9")


async def test_members_are_rendered_a_page_at_a_time(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.scim.group_render.MEMBER_PAGE", 2)  # five members: three pages
    ids = sorted([(await scim.create_user(f"u{i}@x.com"))["id"] for i in range(5)])
    g = await scim.create_group("Eng", ids, externalId="x-1")
    subs = {f"u{i}": uid for i, uid in enumerate(ids)}
    everyone = [member(f"u{i}") for i in range(5)]
    full = await scim.client.get(f"/Groups/{g}")
    assert full.headers["content-length"] == str(len(full.content))
    assert list(full.json()) == ["schemas", "id", "externalId", "displayName", "members", "meta"]
    assert scrub(full.json(), g=g, **subs) == group_resource(everyone)
    no_ref = await scim.client.get(
        f"/Groups/{g}", params={"excludedAttributes": "members.$ref,meta"}
    )
    expected = group_resource(
        [{"value": m["value"], "display": m["display"], "type": "User"} for m in everyone]
    )
    del expected["meta"]
    assert scrub(no_ref.json(), g=g, **subs) == expected
    listed = await scim.client.get("/Groups", params={"filter": 'displayName eq "Eng"'})
    assert [scrub(r, g=g, **subs) for r in listed.json()["Resources"]] == [group_resource(everyone)]
