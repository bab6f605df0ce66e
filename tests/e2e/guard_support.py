"""A real server for the deprovisioning guard tests (rule 19), its IdP and its admin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.settings.authentication import configure_authentication
from app.domain.types import SYSTEM, Actor, ActorKind, AuthType
from app.domain.users.provisioning import ProvisionedUser, provision_create_user

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PARALLEL = 8

GUARD = "query { provisioning { guard { state threshold window heldCount trippedAt counted } } }"
HELD = (
    "query($after: String) { provisioning { heldWrites(first: 100, after: $after) {"
    " nodes { id kind method position repeats resourceId user { id } token { name } }"
    " pageInfo { hasNextPage endCursor } totalCount } } }"
)
RELEASE = (
    "mutation($input: HeldWritesInput) { releaseHeldWrites(input: $input) {"
    " outcomes { applied error heldWrite { position resourceId } }"
    " guard { state heldCount } userErrors { code message } } }"
)
DISCARD = (
    "mutation($input: HeldWritesInput) { discardHeldWrites(input: $input) {"
    " discarded { position } guard { state heldCount } userErrors { code message } } }"
)
UPDATE = (
    "mutation($input: UpdateDeprovisioningGuardInput!) { updateDeprovisioningGuard("
    "input: $input) { guard { state enabled percent minimum window threshold }"
    " userErrors { code field message } } }"
)


def deactivate_body(dialect: str) -> dict[str, Any]:
    """How the IdP deactivates a user: Okta a path-less replace, Entra (legacy) a
    capitalised Replace with the string "False" (idp-wire-shapes.md §2)."""
    if dialect == "okta":
        ops: list[dict[str, Any]] = [{"op": "replace", "value": {"active": False}}]
    else:
        ops = [{"op": "Replace", "path": "active", "value": "False"}]
    return {"schemas": [PATCH_OP], "Operations": ops}


def rename_body(dialect: str, given: str) -> dict[str, Any]:
    """A non-destructive write: a new given name."""
    op = "replace" if dialect == "okta" else "Replace"
    return {
        "schemas": [PATCH_OP],
        "Operations": [{"op": op, "path": "name.givenName", "value": given}],
    }


@dataclass
class Site:
    """A running server, its IdP's token and an OWNER's admin token."""

    base: str
    scim: str
    admin: str
    dialect: str
    http: httpx.AsyncClient

    def url(self, path: str) -> str:
        """A SCIM URL (Entra appends its flag)."""
        return f"{self.base}/scim/v2{path}"

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One SCIM request as the IdP sends it."""
        headers = {"Authorization": f"Bearer {self.scim}", "Content-Type": "application/scim+json"}
        return await self.http.request(method, self.url(path), headers=headers, json=body)

    async def graphql(self, query: str, **variables: Any) -> Any:
        """An admin GraphQL call; its data."""
        r = await self.http.post(
            f"{self.base}/graphql",
            headers={"Authorization": f"Bearer {self.admin}"},
            json={"query": query, "variables": variables},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body
        return body["data"]

    async def held(self) -> list[dict[str, Any]]:
        """Every held write, in order."""
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            page = (await self.graphql(HELD, after=after))["provisioning"]["heldWrites"]
            nodes += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return nodes
            after = page["pageInfo"]["endCursor"]

    async def many(self, requests: list[tuple[str, str, Any]]) -> list[httpx.Response]:
        """Send requests PARALLEL at a time; the responses in the order given."""
        gate = asyncio.Semaphore(PARALLEL)

        async def one(req: tuple[str, str, Any]) -> httpx.Response:
            async with gate:
                return await self.send(*req)

        return list(await asyncio.gather(*(one(r) for r in requests)))


async def seed(db: Database, dialect: str, count: int) -> tuple[str, str, list[str]]:
    """Authentication set to the IdP, a SCIM token, an OWNER token and ``count`` IdP-owned
    users (created as its SCIM token would); returns (scim, admin, user ids)."""
    auth = AuthType.OKTA if dialect == "okta" else AuthType.ENTRA_ID
    async with db.transaction() as tx:
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
        await configure_authentication(tx, actor=SYSTEM, type=auth, display_name=dialect)
        scim = await issue_scim_token(tx, name=dialect, ttl_days=30, max_active=2)
        actor = Actor(ActorKind.SCIM, None, f"scim:{dialect}")
        ids = []
        for k in range(count):
            data = ProvisionedUser(f"u{k}@example.com", f"ext-{k}", True, {})
            user, _ = await provision_create_user(tx, actor=actor, data=data)
            ids.append(user.id)
    return scim, admin, ids


@asynccontextmanager
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A client that opens a new connection per request (spread over the workers)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        yield http
