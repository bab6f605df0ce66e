"""Security Event Tokens (rule 20): one deployment key, the SETs of each event type, both
engines."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from app.db import Database
from app.domain.outbox.store import events_after
from app.domain.outbox.views import document
from app.domain.security_events import encode_sets, jwks, published_jwks
from app.domain.security_events import tokens as t
from app.domain.users.service import UserCreate, create_user, delete_user, set_user_status
from tests.support import owner

ISS = "https://roster.example.com"
AUD = "https://receiver.example.com/sets"


async def _documents(db: Database) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        return [document(e) for e in await events_after(tx, 0, 1000)]


async def _verify(db: Database, token: str) -> dict[str, Any]:
    async with db.transaction() as tx:
        keys = jwt.PyJWKSet.from_dict(await jwks(tx))
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "secevent+jwt"
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    return jwt.decode(token, key, algorithms=["ES256"], audience=AUD, issuer=ISS)


async def test_workers_racing_for_the_first_key_agree_on_one(clean_db: Database) -> None:
    async with clean_db.transaction() as tx:  # no key yet, and none parsed in this process
        await tx.execute("DELETE FROM signing_keys")
        tx.cache.pop("security_events.signing_key")
    async with clean_db.transaction(write=False) as tx:
        assert await published_jwks(tx) is None

    async def publish() -> dict[str, Any]:
        async with clean_db.transaction() as tx:
            return await jwks(tx)

    first, second = await asyncio.gather(publish(), publish())
    assert first == second
    (key,) = first["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key  # the private half is never published
    async with clean_db.transaction(write=False) as tx:
        assert await published_jwks(tx) == first
        assert await tx.fetchval("SELECT count(*) FROM signing_keys") == 1


async def test_a_deactivation_and_a_deletion_yield_scim_caep_and_risc_tokens(
    clean_db: Database,
) -> None:
    actor = owner()
    async with clean_db.transaction() as tx:
        user = await create_user(tx, actor=actor, data=UserCreate(login_id="ada@example.com"))
    async with clean_db.transaction() as tx:
        await set_user_status(tx, actor=actor, user_id=user.id, active=False, reason="left")
    async with clean_db.transaction() as tx:
        await delete_user(tx, actor=actor, user_id=user.id)
    created, deactivated, deleted = (await _documents(clean_db))[-3:]

    async with clean_db.transaction() as tx:
        (create,) = await encode_sets(tx, created, audience=AUD, issuer=ISS)
        off = await encode_sets(tx, deactivated, audience=AUD, issuer=ISS)
        gone = await encode_sets(tx, deleted, audience=AUD, issuer=ISS)

    claims = await _verify(clean_db, create)
    assert claims["sub_id"] == {"format": "scim", "uri": f"/Users/{user.id}"}
    assert claims["events"][t.CREATE]["attributes"]
    assert claims["jti"] == created["id"]

    scim, caep, risc = [await _verify(clean_db, token) for token in off]
    assert scim["events"] == {t.DEACTIVATE: {}}
    assert scim["jti"] == deactivated["id"]
    assert caep["events"][t.SESSION_REVOKED]["initiating_entity"] == "admin"
    assert caep["jti"] == deactivated["id"] + ":session-revoked"
    assert risc["events"] == {t.ACCOUNT_DISABLED: {}}
    assert risc["sub_id"] == {
        "format": "aliases",
        "identifiers": [
            {"format": "opaque", "id": user.id},
            {"format": "email", "email": "ada@example.com"},
        ],
    }
    assert [list((await _verify(clean_db, g))["events"]) for g in gone] == [
        [t.DELETE],
        [t.SESSION_REVOKED],
        [t.ACCOUNT_DISABLED],
    ]


def test_events_about_no_user_or_group_yield_no_token() -> None:
    base: dict[str, Any] = {
        "id": "e1",
        "occurredAt": "2026-12-06T03:00:00.000000Z",
        "actor": {"type": "ADMIN", "id": None, "label": "x"},
        "requestId": "r1",
        "resourceId": "t1",
        "changes": [],
        "resource": None,
    }
    for kind in ("token.created", "role.granted", "settings.updated"):
        event = {**base, "type": kind, "resourceType": "ApiToken"}
        assert t.set_claims(event, audience=AUD, issuer=ISS, issued_at=0) == []
    group = {**base, "type": "group.members.added", "resourceType": "Group", "resourceId": "g1"}
    group["changes"] = [{"field": "members", "before": [], "after": ["u1"]}]
    group["resource"] = {"version": 3, "externalId": "eng"}
    (claims,) = t.set_claims(group, audience=AUD, issuer=ISS, issued_at=0)
    assert claims["sub_id"] == {"format": "scim", "uri": "/Groups/g1", "externalId": "eng"}
    assert claims["events"] == {t.PATCH: {"attributes": ["members"], "version": 'W/"3"'}}
    assert claims["txn"] == "r1"
