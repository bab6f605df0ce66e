"""Microsoft Entra ID, replayed as docs/integrations/entra-id.md describes it, in both dialects
(idp-wire-shapes.md §2.2): the legacy one, and the one ``?aadOptscim062020`` switches on."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.domain.types import AuthType
from app.settings import Settings
from tests.scim.replay import (
    BASE,
    ENT,
    GROUP,
    MS_GROUP,
    USER,
    Client,
    Replay,
    assert_error,
    assert_list,
    check_guide,
    created,
    encoded,
    eq,
    guid,
    patch_body,
    refuses_unknown,
    replaying,
    same_result_recased,
)

GUIDE = "entra-id.md"
FLAG = "aadOptscim062020"
# Roster ignores User-Agent; this one only labels the replay.
LEGACY = Client(
    token_name="entra",
    auth_type=AuthType.ENTRA_ID,
    user_agent="Microsoft Entra ID provisioning (replay)",
    content_type="application/scim+json",
)
FLAGGED = Client(
    token_name="entra",
    auth_type=AuthType.ENTRA_ID,
    user_agent="Microsoft Entra ID provisioning (replay)",
    content_type="application/scim+json",
    flag=FLAG,
)
ADELE = "AdeleV@contoso.com"
MEGAN = "MeganB@contoso.com"
SALES_ID = "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"


def _entra_user(login: str, nickname: str, given: str, family: str) -> dict[str, Any]:
    """Entra's POST /Users: the enterprise schema, meta, roles and explicit nulls."""
    return {
        "schemas": [USER, ENT],
        "externalId": nickname,
        "userName": login,
        "active": True,
        "addresses": None,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": login}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "phoneNumbers": None,
        "preferredLanguage": None,
        "roles": [],
        "title": None,
        ENT: {"department": "Retail", "employeeNumber": None, "manager": None},
    }


def _op(legacy: bool, op: str, path: str | None = None, value: Any = None) -> dict[str, Any]:
    """An operation with Entra's op case: capitalised in the legacy dialect."""
    body: dict[str, Any] = {"op": op.capitalize() if legacy else op}
    if path is not None:
        body["path"] = path
    if value is not None:
        body["value"] = value
    return body


async def _update_profile(entra: Replay, uid: str, legacy: bool) -> dict[str, Any]:
    work_email = 'emails[type eq "work"].value'
    if legacy:
        # One Replace per attribute; Add for a single value.
        ops = [
            _op(True, "replace", work_email, "adele.vance@contoso.com"),
            _op(True, "replace", "name.givenName", "Adele"),
            _op(True, "replace", "name.familyName", "Vance-Smith"),
            _op(True, "replace", "name.formatted", "Adele Vance-Smith"),
            _op(True, "replace", f"{ENT}:employeeNumber", "E-1001"),
            _op(True, "replace", 'phoneNumbers[type eq "fax"].value', "+1 555 0100"),
            _op(True, "add", "nickName", "Adi"),
        ]
    else:
        # Several attributes in one no-path value, with dotted and URN-qualified keys.
        value = {
            "name.givenName": "Adele",
            "name.familyName": "Vance-Smith",
            "name.formatted": "Adele Vance-Smith",
            f"{ENT}:employeeNumber": "E-1001",
        }
        ops = [
            _op(False, "replace", work_email, "adele.vance@contoso.com"),
            _op(False, "replace", None, value),
            _op(False, "replace", 'phoneNumbers[type eq "fax"].value', "+1 555 0100"),
            _op(False, "add", "nickName", "Adi"),
        ]
    response = await entra.patch(f"/Users/{uid}", patch_body(*ops))
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    assert doc["name"] == {
        "givenName": "Adele",
        "familyName": "Vance-Smith",
        "formatted": "Adele Vance-Smith",  # kept since rule 18
    }
    assert doc["emails"] == [{"type": "work", "primary": True, "value": "adele.vance@contoso.com"}]
    assert doc["phoneNumbers"] == [{"type": "fax", "value": "+1 555 0100"}]
    assert doc["nickName"] == "Adi"
    assert doc[ENT]["employeeNumber"] == "E-1001"
    return doc


async def _manager(entra: Replay, uid: str, mid: str, legacy: bool) -> None:
    manager = f"{ENT}:manager"
    if legacy:
        # Microsoft's documented shape: no URN, an array with $ref.
        ref = [{"$ref": f"{BASE}/Users/{mid}", "value": mid}]
        set_op, clear_op = _op(True, "add", "manager", ref), _op(True, "replace", manager, "")
    else:
        set_op = _op(False, "add", manager, {"value": mid})
        clear_op = _op(False, "remove", manager)
    response = await entra.patch(f"/Users/{uid}", patch_body(set_op))
    assert response.status_code == 200, response.text
    assert response.json()[ENT]["manager"] == {"value": mid}
    response = await entra.patch(f"/Users/{uid}", patch_body(clear_op))
    assert "manager" not in response.json()[ENT]
    # Set again: the user keeps this manager until it is deleted.
    assert (await entra.patch(f"/Users/{uid}", patch_body(set_op))).status_code == 200


async def _groups(entra: Replay, uid: str, mid: str, legacy: bool) -> str:
    by_name = f"/Groups?excludedAttributes=members&filter={eq('displayName', 'Sales')}"
    assert_list(await entra.get(by_name), 0)
    body = {
        "schemas": [GROUP, MS_GROUP],
        "externalId": SALES_ID,
        "displayName": "Sales",
        "meta": {"resourceType": "Group"},
    }
    gid = str(created(await entra.post("/Groups", body), "Groups")["id"])
    # The same name again (any case) is refused: Entra needs unique group names.
    duplicate = {**body, "displayName": "SALES", "externalId": guid()}
    assert_error(await entra.post("/Groups", duplicate), 409, "uniqueness")
    found = assert_list(await entra.get(by_name), 1)
    assert found[0]["id"] == gid
    assert "members" not in found[0]

    members = [{"$ref": None, "value": uid}, {"$ref": None, "value": mid}]
    add = patch_body(_op(legacy, "add", "members", members))
    assert (await entra.patch(f"/Groups/{gid}", add)).status_code == 204
    assert await entra.members(gid) == {uid, mid}
    membership = f'id eq "{gid}" and members[value eq "{uid}"]'
    check = f"/Groups?excludedAttributes=members&filter={encoded(membership)}"
    hit = assert_list(await entra.get(check), 1)
    assert hit[0]["id"] == gid
    assert "members" not in hit[0]
    one = await entra.get(f"/Groups/{gid}?excludedAttributes=members")
    assert one.status_code == 200
    assert "members" not in one.json()

    if legacy:
        remove = _op(True, "remove", "members", [{"$ref": None, "value": mid}])
    else:
        remove = _op(False, "remove", f'members[value eq "{mid}"]')
    assert (await entra.patch(f"/Groups/{gid}", patch_body(remove))).status_code == 204
    assert await entra.members(gid) == {uid}
    # One request renaming the group and changing members both ways.
    mixed = patch_body(
        _op(legacy, "replace", "displayName", "Sales EMEA"),
        _op(legacy, "add", "members", [{"$ref": None, "value": mid}]),
        _op(legacy, "remove", "members", [{"$ref": None, "value": uid}])
        if legacy
        else _op(False, "remove", f'members[value eq "{uid}"]'),
    )
    assert (await entra.patch(f"/Groups/{gid}", mixed)).status_code == 204
    assert await entra.members(gid) == {mid}
    back = patch_body(_op(legacy, "add", "members", [{"$ref": None, "value": uid}]))
    assert (await entra.patch(f"/Groups/{gid}", back)).status_code == 204
    assert_list(await entra.get(check), 1)
    return gid


async def test_entra_guide_is_valid() -> None:
    check_guide(
        GUIDE,
        titles=(
            "Configure authentication",
            "Enable provisioning and create the SCIM token",
            "Users Entra ID provisioned",
            "Provisioning counters and recent events",
            "Failed and warned writes",
        ),
    )


@pytest.mark.parametrize("client", [LEGACY, FLAGGED], ids=["legacy", FLAG])
async def test_entra_replay(settings: Settings, clean_db: Database, client: Client) -> None:
    legacy = client.flag is None
    async with replaying(settings, clean_db, client) as entra:
        # Test Connection: a random GUID as userName.
        assert_list(await entra.get(f"/Users?filter={eq('userName', guid())}"), 0)

        # Create: query by the matching attribute, then POST.
        assert_list(await entra.get(f"/Users?filter={eq('userName', MEGAN)}"), 0)
        mid = created(
            await entra.post("/Users", _entra_user(MEGAN, "MeganB", "Megan", "Bowen")), "Users"
        )["id"]
        assert_list(await entra.get(f"/Users?filter={eq('userName', ADELE)}"), 0)
        adele = created(
            await entra.post("/Users", _entra_user(ADELE, "AdeleV", "Adele", "Vance")), "Users"
        )
        uid = adele["id"]
        assert adele["name"] == {
            "givenName": "Adele",
            "familyName": "Vance",
            "formatted": "Adele Vance",  # kept since rule 18
        }
        assert adele[ENT] == {"department": "Retail"}
        assert "roles" not in adele
        assert_error(
            await entra.post("/Users", _entra_user(ADELE, "AdeleV", "Adele", "Vance")),
            409,
            "uniqueness",
        )
        by_external = assert_list(await entra.get(f"/Users?filter={eq('externalId', 'AdeleV')}"), 1)
        assert by_external[0]["id"] == uid
        # The validator's "different case" probe.
        assert_list(await entra.get(f"/Users?filter={eq('userName', ADELE.lower())}"), 1)

        await _update_profile(entra, uid, legacy)
        await _manager(entra, uid, mid, legacy)
        # Rename (userName follows userPrincipalName): Entra owns this user.
        renamed_to = "adele.vance@contoso.com"
        rename = (
            _op(True, "replace", "userName", renamed_to)
            if legacy
            else _op(False, "replace", None, {"userName": renamed_to})
        )
        renamed = await entra.patch(f"/Users/{uid}", patch_body(rename))
        assert renamed.json()["userName"] == renamed_to

        gid = await _groups(entra, uid, mid, legacy)

        # Out of scope or sign-in blocked: disabled, still readable and filterable.
        disable = (
            _op(True, "replace", "active", "False")
            if legacy
            else _op(False, "replace", "active", False)
        )
        off = await entra.patch(f"/Users/{uid}", patch_body(disable))
        assert off.json()["active"] is False
        still = assert_list(await entra.get(f"/Users?filter={eq('userName', renamed_to)}"), 1)
        assert still[0]["active"] is False

        # Deleted in Entra (after its soft-delete period): DELETE, then 404.
        assert (await entra.delete(f"/Users/{uid}")).status_code == 204
        assert_error(await entra.delete(f"/Users/{uid}"), 404)
        assert_error(await entra.get(f"/Users/{uid}"), 404)
        assert_list(await entra.get(f"/Users?filter={eq('userName', renamed_to)}"), 0)
        assert await entra.members(gid) == {mid}
        # Provisioned again with the same externalId: the same user comes back.
        again = created(
            await entra.post("/Users", _entra_user(ADELE, "AdeleV", "Adele", "Vance")), "Users"
        )
        assert again["id"] == uid
        assert again["active"] is True
        assert again["userName"] == ADELE

        data = await entra.guide_query(GUIDE, "Users Entra ID provisioned")
        nodes = data["users"]["nodes"]
        assert [(u["loginId"], u["authProvider"], u["status"], u["externalId"]) for u in nodes] == [
            (MEGAN, "ENTRA_ID", "ACTIVE", "MeganB"),
            (ADELE, "ENTRA_ID", "ACTIVE", "AdeleV"),
        ]
        assert nodes[1]["managerId"] is None  # a restore takes the new POST's values
        assert [g["displayName"] for g in nodes[0]["groups"]["nodes"]] == ["Sales EMEA"]
        assert nodes[1]["groups"]["nodes"] == []

        # The group is deleted (unassigned from the app, or deleted in Entra), twice.
        assert (await entra.delete(f"/Groups/{gid}")).status_code == 204
        assert_error(await entra.delete(f"/Groups/{gid}"), 404)

        events = await entra.events()
        assert [e.short for e in events] == [
            ("POST", "User", "SUCCESS", 201),
            ("POST", "User", "SUCCESS", 201),
            ("POST", "User", "ERROR", 409),
            *[("PATCH", "User", "SUCCESS", 200)] * 5,
            ("POST", "Group", "SUCCESS", 201),
            ("POST", "Group", "ERROR", 409),
            *[("PATCH", "Group", "SUCCESS", 204)] * 4,
            ("PATCH", "User", "SUCCESS", 200),
            ("DELETE", "User", "SUCCESS", 204),
            ("DELETE", "User", "ERROR", 404),
            ("POST", "User", "SUCCESS", 201),
            ("DELETE", "Group", "SUCCESS", 204),
            ("DELETE", "Group", "ERROR", 404),
        ]
        assert events[-3].resource_id == uid
        assert events[-3].external_id == "AdeleV"
        assert events[8].external_id == SALES_ID
        stats = (await entra.guide_query(GUIDE, "Provisioning counters and recent events"))[
            "provisioning"
        ]["stats"]
        assert {(c["authProvider"], c["count"]) for c in stats["usersByProvider"]} == {
            ("LOCAL", 1),
            ("ENTRA_ID", 2),
        }
        assert stats["groupsByProvider"] == []
        assert stats["errorsLast24h"] == 4


@pytest.mark.parametrize("client", [LEGACY, FLAGGED], ids=["legacy", FLAG])
async def test_entra_replay_mixed_case(
    settings: Settings, clean_db: Database, client: Client
) -> None:
    await same_result_recased(settings, clean_db, test_entra_replay, client)


@pytest.mark.parametrize("client", [LEGACY, FLAGGED], ids=["legacy", FLAG])
async def test_entra_unknown_attribute(
    settings: Settings, clean_db: Database, client: Client
) -> None:
    async with replaying(settings, clean_db, client) as entra:
        user = _entra_user("adele@example.com", "AdeleV", "Adele", "Vance")
        group = {"schemas": [GROUP, MS_GROUP], "displayName": "Retail"}
        await refuses_unknown(entra, user, group)
