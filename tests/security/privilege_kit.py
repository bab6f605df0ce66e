"""What the privilege and credential attacks share: an attacker's HTTP clients against a real
server, tokens of each kind, and a snapshot of everything that decides who is an OWNER."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token
from app.graphql.ids import to_global_id
from tests.e2e.conftest import Live

SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

# Everything that decides who holds OWNER and which credentials work.
_STATE = {
    "users": "SELECT id, login_id, status, deleted_at, version, external_id FROM users",
    "grants": "SELECT role_name, user_id, group_id FROM role_grants",
    "members": "SELECT group_id, user_id FROM memberships",
    "groups": "SELECT id, display_name, version, member_count FROM groups",
    "tokens": "SELECT id, user_id, revoked_at FROM api_tokens",
}


def gid(kind: str, raw: str) -> str:
    """The GraphQL global id of a raw id."""
    return to_global_id(kind, raw)


@dataclass
class Attack:
    """A live server, its database, and the tokens of the people in the story."""

    live: Live
    db: Database
    http: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """The OWNER token the `live` fixture made (owner@example.com)."""
        return self.live.admin

    async def token(self, login: str, role: str) -> str:
        """A token for ``login`` holding ``role`` (made as the CLI makes it)."""
        async with self.db.transaction() as tx:
            secret = await issue_admin_token(tx, login_id=login, role=role)
        self.tokens[login] = secret
        return secret

    def gql(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        """A GraphQL request; the whole response body."""
        r = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body: dict[str, Any] = r.json()
        return body

    def status_of(self, token: str) -> int:
        """The HTTP status of the smallest authenticated GraphQL request."""
        r = self.http.post(
            "/graphql",
            json={"query": "{ viewer { loginId } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return r.status_code

    def scim(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A SCIM request with the IdP's token."""
        return self.http.request(
            method,
            "/scim/v2" + path,
            json=body,
            headers={"Authorization": f"Bearer {self.live.scim}", "Content-Type": SCIM_JSON},
        )

    def user_id(self, login: str) -> str:
        """The raw id of a live user."""
        q = "query($l: String) { user(loginId: $l) { databaseId } }"
        body = self.gql(self.owner, q, l=login)
        raw: str = body["data"]["user"]["databaseId"]
        return raw

    def owner_group(self, name: str, *member_logins: str) -> str:
        """A LOCAL group holding OWNER with these members, made by the OWNER; its raw id."""
        made = self.gql(
            self.owner,
            "mutation($n: String!) { createGroup(input: {displayName: $n})"
            " { group { databaseId } } }",
            n=name,
        )
        group: str = made["data"]["createGroup"]["group"]["databaseId"]
        ids = [gid("User", self.user_id(login)) for login in member_logins]
        added = self.gql(
            self.owner, ADD_MEMBERS, i={"groupId": gid("Group", group), "userIds": ids}
        )
        assert added["data"]["addGroupMembers"]["userErrors"] == []
        granted = self.gql(
            self.owner, GRANT, i={"roles": ["OWNER"], "groupIds": [gid("Group", group)]}
        )
        assert granted == {"data": {"grantRoles": {"granted": 1, "userErrors": []}}}
        return group

    async def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row that decides who is an OWNER and which token works, sorted."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        async with self.db.transaction() as tx:
            for name, sql in _STATE.items():
                rows = await tx.fetch(sql)
                out[name] = sorted(
                    (tuple(str(r[k]) for k in r.keys()) for r in rows),  # noqa: SIM118
                )
        return out


@contextmanager
def attack(live: Live, db: Database) -> Iterator[Attack]:
    """An Attack on ``live`` whose HTTP client is closed afterwards."""
    with httpx.Client(base_url=live.base, timeout=30) as http:
        yield Attack(live, db, http)


def refused(code: str, message: str, *fields: str) -> list[dict[str, Any]]:
    """The userErrors of a refused mutation."""
    return [
        {
            "code": code,
            "field": fields[0] if fields else None,
            "fields": list(fields),
            "message": message,
        }
    ]


def scim_error(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    """The whole body of a SCIM error."""
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return body


ERRORS = "userErrors { code field fields message }"
ADD_MEMBERS = (
    "mutation($i: GroupMembersInput!) { addGroupMembers(input: $i) { group { memberCount }"
    f" {ERRORS} }} }}"
)
REMOVE_MEMBERS = (
    "mutation($i: GroupMembersInput!) { removeGroupMembers(input: $i) { group { memberCount }"
    f" {ERRORS} }} }}"
)
GRANT = f"mutation($i: RolesInput!) {{ grantRoles(input: $i) {{ granted {ERRORS} }} }}"
REVOKE = f"mutation($i: RolesInput!) {{ revokeRoles(input: $i) {{ revoked {ERRORS} }} }}"
STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { user { status }"
    f" {ERRORS} }} }}"
)
DELETE_USER = (
    f"mutation($i: DeleteUserInput!) {{ deleteUser(input: $i) {{ user {{ status }} {ERRORS} }} }}"
)
RESTORE_USER = (
    "mutation($i: RestoreUserInput!) { restoreUser(input: $i) { user { databaseId }"
    f" {ERRORS} }} }}"
)
DELETE_GROUP = (
    f"mutation($i: DeleteGroupInput!) {{ deleteGroup(input: $i) {{ deletedGroupId {ERRORS} }} }}"
)
CREATE_TOKEN = (
    f"mutation($i: CreateApiTokenInput!) {{ createApiToken(input: $i) {{ secret {ERRORS} }} }}"
)
REVOKE_TOKEN = (
    "mutation($i: RevokeApiTokenInput!) { revokeApiToken(input: $i) { apiToken { state }"
    f" {ERRORS} }} }}"
)
