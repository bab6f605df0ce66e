"""Issue 13 over SCIM HTTP, on each engine: userName and group displayName compare after
Unicode NFC and case folding, names stored and returned as sent (rules 6 and 18); and a
HIDDEN attribute is stored but never returned (app.domain.users.visibility)."""

from __future__ import annotations

from unicodedata import normalize
from urllib.parse import quote

import orjson
import pytest

from app.domain.clock import new_id, now_iso
from app.domain.directory import Compare
from app.domain.directory.compiler import compile_predicate
from app.domain.directory.fields import GROUP_FIELDS
from app.domain.groups.store import insert_group
from app.domain.settings.attributes import create_custom_attribute, update_profile_attribute
from app.domain.types import (
    AttributeStatus,
    AuthProvider,
    Datatype,
    GroupRecord,
    UserRecord,
    UserStatus,
)
from app.domain.users.store import insert_user
from app.errors import AlreadyExists
from tests.scim.conftest import GROUP, ROSTER, USER, Scim, error
from tests.support import owner

NFC = normalize("NFC", "José@example.com")
NFD = normalize("NFD", "José@example.com")


def test_the_two_spellings_differ_as_strings() -> None:
    assert NFC != NFD
    assert NFC.lower() != NFD.lower()  # what the old lower() comparison saw


async def test_username_in_nfd_collides_with_the_nfc_user(scim: Scim) -> None:
    created = await scim.create_user(NFC)
    assert created["userName"] == NFC
    for other in (NFD, NFD.upper(), "JOSÉ@EXAMPLE.COM"):
        response = await scim.post("/Users", {"schemas": [USER], "userName": other})
        assert response.json() == error(
            409, f"userName: a user with loginId {other!r} already exists", "uniqueness"
        )
    rows = await scim.rows("SELECT login_id FROM users")
    assert rows == [{"login_id": NFC}]


async def test_username_stored_as_sent_and_found_by_any_spelling(scim: Scim) -> None:
    created = await scim.create_user(NFD)
    for spelling in (NFD, NFC, NFC.upper()):
        response = await scim.client.get(f'/Users?filter=userName eq "{quote(spelling)}"')
        body = response.json()
        assert (response.status_code, body["totalResults"]) == (200, 1), spelling
        assert body["Resources"][0]["id"] == created["id"]
        assert body["Resources"][0]["userName"] == NFD  # stored as sent


async def test_sharp_s_folds_to_ss(scim: Scim) -> None:
    await scim.create_user("straße@example.com")
    response = await scim.post("/Users", {"schemas": [USER], "userName": "STRASSE@example.com"})
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


async def test_group_display_name_in_nfd_collides_and_is_found(scim: Scim) -> None:
    group = await scim.create_group("Équipe Zoë")
    response = await scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": normalize("NFD", "ÉQUIPE ZOË")}
    )
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")
    spelled = quote(normalize("NFD", "équipe zoë"))
    found = await scim.client.get(f'/Groups?filter=displayName eq "{spelled}"')
    assert [r["id"] for r in found.json()["Resources"]] == [group]
    assert found.json()["Resources"][0]["displayName"] == "Équipe Zoë"


async def test_group_rename_to_another_spelling_of_a_taken_name_is_refused(scim: Scim) -> None:
    await scim.create_group("Straße")
    other = await scim.create_group("Weg")
    response = await scim.patch(
        f"/Groups/{other}", [{"op": "replace", "path": "displayName", "value": "STRASSE"}]
    )
    assert (response.status_code, response.json()["scimType"]) == (409, "uniqueness")


async def test_name_eq_is_an_equality_on_the_indexed_key(scim: Scim) -> None:
    sql, params = compile_predicate(Compare("displayName", "eq", NFD, False), GROUP_FIELDS)
    assert (sql, params) == (
        "groups.display_name_key = :q0",
        {"q0": normalize("NFC", NFC.casefold())},
    )
    async with scim.db.transaction() as tx:
        if tx.dialect.name == "sqlite":
            plan = await tx.fetch(
                "EXPLAIN QUERY PLAN SELECT id FROM users WHERE login_key = :k"
                " AND deleted_at IS NULL",
                {"k": "x"},
            )
            text = " ".join(str(r[-1]) for r in plan)
        else:
            # On a near-empty table the planner may take any partial index on live rows and
            # filter; what holds at every size is the unique index on the key itself.
            rows = await tx.fetch(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_users_login_key_live'"
            )
            assert [str(r[0]).split(" ON ")[1] for r in rows] == [
                "public.users USING btree (login_key) WHERE (deleted_at IS NULL)"
            ]
            return
    assert "uq_users_login_key_live" in text


async def test_a_key_clash_past_the_pre_check_names_the_field(scim: Scim) -> None:
    """A race between two creates (both past `ensure_*_free`) ends on the unique key index,
    reported as the name's field on either engine."""
    await scim.create_user(NFC)
    await scim.create_group("Straße")
    now = now_iso()
    user = UserRecord(
        new_id(),
        NFD,
        None,
        AuthProvider.LOCAL,
        UserStatus.ACTIVE,
        None,
        {},
        None,
        1,
        now,
        now,
        None,
    )
    group = GroupRecord(new_id(), "STRASSE", None, AuthProvider.LOCAL, 0, 1, now, now, None)
    with pytest.raises(AlreadyExists) as caught:
        async with scim.db.transaction() as tx:
            await insert_user(tx, user)
    assert caught.value.fields == ("loginId",)
    with pytest.raises(AlreadyExists) as caught:
        async with scim.db.transaction() as tx:
            await insert_group(tx, group)
    assert caught.value.fields == ("displayName",)


async def _hide(scim: Scim) -> None:
    async with scim.db.transaction() as tx:
        await update_profile_attribute(
            tx, actor=owner(), name="title", status=AttributeStatus.HIDDEN
        )
        await create_custom_attribute(
            tx, actor=owner(), variable_name="badge", display_name="Badge", datatype=Datatype.STRING
        )
        await update_profile_attribute(
            tx, actor=owner(), name="badge", status=AttributeStatus.HIDDEN
        )


async def test_hidden_attributes_are_stored_but_never_returned(scim: Scim) -> None:
    await _hide(scim)
    sent = {
        "schemas": [USER, ROSTER],
        "userName": "h@example.com",
        "title": "Spy",
        "name": {"givenName": "Hana"},
        ROSTER: {"badge": "B-7"},
    }
    created = (await scim.post("/Users", sent)).json()
    got = (await scim.client.get(f"/Users/{created['id']}")).json()
    listed = (await scim.client.get('/Users?filter=userName eq "h@example.com"')).json()
    for doc in (created, got, listed["Resources"][0]):
        assert "title" not in doc
        assert ROSTER not in doc
        assert ROSTER not in doc["schemas"]
        assert doc["name"] == {"givenName": "Hana"}
    patched = await scim.patch(
        f"/Users/{created['id']}", [{"op": "replace", "path": "name.givenName", "value": "H"}]
    )
    assert patched.status_code == 200
    assert "title" not in patched.json()
    rows = await scim.rows("SELECT profile FROM users WHERE id = :id", {"id": created["id"]})
    profile = rows[0]["profile"]
    stored = orjson.loads(profile) if isinstance(profile, str | bytes) else profile
    assert (stored["title"], stored["badge"], stored["firstName"]) == ("Spy", "B-7", "H")


async def test_schemas_say_hidden_attributes_are_returned_never(scim: Scim) -> None:
    await _hide(scim)
    core = (await scim.client.get(f"/Schemas/{USER}")).json()
    title = next(a for a in core["attributes"] if a["name"] == "title")
    assert title["returned"] == "never"
    user_name = next(a for a in core["attributes"] if a["name"] == "userName")
    assert user_name["returned"] != "never"
    custom = (await scim.client.get(f"/Schemas/{ROSTER}")).json()
    assert [(a["name"], a["returned"]) for a in custom["attributes"]] == [("badge", "never")]
