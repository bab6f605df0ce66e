"""A SET endpoint (rule 20, issue 16 item 4): each event with Security Event Tokens arrives as
those tokens, one POST each (``application/secevent+jwt``), signed like every delivery, and
verifiable against the deployment's /.well-known/jwks.json with a standard JWT library;
events without tokens (role grants) are not sent to it. On each engine."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from app.domain.access.roles import grant_roles
from app.domain.users.service import UserCreate, create_user, set_user_status
from tests.graphql.conftest import Api
from tests.support import owner as owner_actor
from tests.webhooks.conftest import create_endpoint
from tests.webhooks.receiver import Receiver, verify

DEACTIVATE = "urn:ietf:params:scim:event:prov:deactivate"
CREATE = "urn:ietf:params:scim:event:prov:create:notice"
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"


async def test_a_deactivation_arrives_as_verifiable_security_event_tokens(
    hooked: Api, receiver: Receiver
) -> None:
    token = await hooked.token("owner@example.com")
    created = await create_endpoint(hooked, token, url=receiver.url(), format="SET")
    assert created["userErrors"] == []
    actor = owner_actor()
    async with hooked.db.transaction() as tx:
        user = await create_user(tx, actor=actor, data=UserCreate(login_id="ada@example.com"))
    async with hooked.db.transaction() as tx:
        await grant_roles(tx, actor=actor, roles=["VIEWER"], user_ids=[user.id])
    async with hooked.db.transaction() as tx:
        await set_user_status(tx, actor=actor, user_id=user.id, active=False, reason="left")
    await receiver.wait_for(lambda: len(receiver.seen) >= 4)
    await asyncio.sleep(0.3)  # the role grant has no token: nothing more comes

    jwks = (await hooked.http.get("/.well-known/jwks.json")).json()
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"]}
    claims: list[dict[str, Any]] = []
    for request in receiver.seen:
        assert request.headers["content-type"] == "application/secevent+jwt"
        assert verify(created["secret"], request.headers, request.body)
        header = jwt.get_unverified_header(request.body.decode())
        assert header["typ"] == "secevent+jwt" and header["alg"] == "ES256"
        claims.append(
            jwt.decode(
                request.body.decode(),
                keys[header["kid"]],
                algorithms=["ES256"],
                audience=receiver.url(),
                issuer=hooked.app.state.settings.base_url,
            )
        )
        assert request.headers["webhook-id"] == claims[-1]["jti"]
    assert [list(c["events"]) for c in claims] == [
        [CREATE],
        [DEACTIVATE],
        [SESSION_REVOKED],
        [ACCOUNT_DISABLED],
    ]
    assert claims[1]["sub_id"]["uri"] == f"/Users/{user.id}"
    assert len({c["jti"] for c in claims}) == 4
