"""Replaying an identity provider's SCIM traffic against the whole app, as its guide describes.

Each ``test_replay_<idp>.py`` sends the request sequence that ``docs/integrations/<idp>.md``
describes, shaped as that IdP sends it (headers, media types, bodies of
``idp-wire-shapes.md`` §2), to ``create_app(settings)`` over HTTP, on SQLite and PostgreSQL.
The GraphQL examples of the guides are checked here too: every block must validate against
the published schema, and the tests run the guide's own queries to verify each sync.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote

import graphql
import httpx
import orjson

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.settings.authentication import configure_authentication
from app.domain.types import SYSTEM, AuthType
from app.main import create_app
from app.settings import Settings
from tests.support import reset_database

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "integrations"
SDL = ROOT / "schema" / "graphql" / "schema.graphql"
HOST = "https://roster.example.com"
BASE = f"{HOST}/scim/v2"
ADMIN_LOGIN = "admin@example.com"

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
SCIM_JSON = "application/scim+json"


@dataclass(frozen=True)
class Client:
    """How one IdP talks: its headers and, for Entra, the flag it carries on every URL.

    Roster never looks at ``User-Agent``; it is sent so that the replay reads like the traffic.
    """

    token_name: str
    auth_type: AuthType
    user_agent: str
    content_type: str  # of request bodies
    accept: str | None = None
    flag: str | None = None  # a bare query parameter appended to every request URL
    post_content_type: str | None = None  # when POSTs differ (Okta's spec test)
    # Rule 18's mixed-case variant: every attribute name, path and schema URN the client
    # sends is re-cased (`recase`); quoted filter values and ids stay as they are.
    recase: bool = False


class Event(NamedTuple):
    """One provisioning event as the tests compare it."""

    method: str
    resource_type: str
    outcome: str
    status: int
    detail: str | None
    resource_id: str | None
    external_id: str | None

    @property
    def short(self) -> tuple[str, str, str, int]:
        """(method, resource type, outcome, status)."""
        return (self.method, self.resource_type, self.outcome, self.status)


def encoded(text: str) -> str:
    """A filter, URL-encoded as the IdPs send it (``%20``, ``%22``)."""
    return quote(text, safe="")


def eq(attr: str, value: str) -> str:
    """A URL-encoded ``attr eq "value"`` filter."""
    return encoded(f'{attr} eq "{value}"')


def patch_body(*ops: dict[str, Any], schemas: bool = True) -> dict[str, Any]:
    """A PatchOp body."""
    body: dict[str, Any] = {"schemas": [PATCH_OP]} if schemas else {}
    body["Operations"] = list(ops)
    return body


def guid() -> str:
    """A random GUID, as Entra's connection test uses."""
    return str(uuid.uuid4())


@dataclass
class Replay:
    """An IdP's client against the app, plus the admin view to verify what happened."""

    http: httpx.AsyncClient
    db: Database
    client: Client
    token: str
    admin: str

    def url(self, path: str) -> str:
        """``/scim/v2`` + path, with the client's flag (Entra ``aadOptscim062020``)."""
        url = "/scim/v2" + (recase_url(path) if self.client.recase else path)
        if self.client.flag:
            url += ("&" if "?" in url else "?") + self.client.flag
        return url

    def _headers(self, method: str, body: bool, token: str | None) -> dict[str, str]:
        headers = {"User-Agent": self.client.user_agent}
        if token != "":
            headers["Authorization"] = token or f"Bearer {self.token}"
        if self.client.accept:
            headers["Accept"] = self.client.accept
        if body:
            kind = self.client.content_type
            if method == "POST" and self.client.post_content_type:
                kind = self.client.post_content_type
            headers["Content-Type"] = kind
        return headers

    async def send(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> httpx.Response:
        """One request; ``token`` replaces the whole Authorization header ("" drops it)."""
        if body is not None and self.client.recase:
            body = recase_body(method, body)
        content = None if body is None else orjson.dumps(body)
        return await self.http.request(
            method,
            self.url(path),
            content=content,
            headers=self._headers(method, content is not None, token),
        )

    async def get(self, path: str, *, token: str | None = None) -> httpx.Response:
        """GET."""
        return await self.send("GET", path, token=token)

    async def post(self, path: str, body: Any) -> httpx.Response:
        """POST."""
        return await self.send("POST", path, body)

    async def put(self, path: str, body: Any) -> httpx.Response:
        """PUT."""
        return await self.send("PUT", path, body)

    async def patch(self, path: str, body: Any) -> httpx.Response:
        """PATCH with a whole body (build it with `patch_body`)."""
        return await self.send("PATCH", path, body)

    async def delete(self, path: str) -> httpx.Response:
        """DELETE."""
        return await self.send("DELETE", path)

    async def configure(self, auth_type: AuthType) -> None:
        """Configure authentication now (committed), as `roster auth configure` does."""
        async with self.db.transaction() as tx:
            await configure_authentication(tx, actor=SYSTEM, type=auth_type, display_name="IdP")

    async def graphql(self, query: str, **variables: Any) -> Any:
        """The ``data`` of an admin GraphQL request that must not fail."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.admin}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def guide_query(self, guide: str, title: str) -> Any:
        """Run the guide's GraphQL block titled ``# title`` and return its data."""
        return await self.graphql(graphql_blocks(guide)[title])

    async def events(self) -> list[Event]:
        """The provisioning event log, oldest first."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT method, resource_type, outcome, status_code, error_detail, resource_id,"
                " external_id FROM provisioning_events ORDER BY at, id"
            )
        return [
            Event(
                r["method"],
                r["resource_type"],
                r["outcome"],
                int(r["status_code"]),
                r["error_detail"],
                r["resource_id"],
                r["external_id"],
            )
            for r in rows
        ]

    async def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read, as dicts."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(sql, params)
        return [{k: r[k] for k in r.keys()} for r in rows]  # noqa: SIM118 (sqlite3.Row)

    async def members(self, group_id: str) -> set[str]:
        """The member ids of a group, straight from the database."""
        rows = await self.rows(
            "SELECT user_id FROM memberships WHERE group_id = :g", {"g": group_id}
        )
        return {str(r["user_id"]) for r in rows}


@asynccontextmanager
async def replaying(
    settings: Settings, db: Database, client: Client, *, configure: bool = True
) -> AsyncIterator[Replay]:
    """The guide's set-up, then the app serving the IdP's client over ASGI.

    Set-up (committed): an OWNER admin, authentication configured for the IdP first (unless
    ``configure`` is False: PRODUCT rule 1), then a SCIM token named after the IdP.
    """
    async with db.transaction() as tx:
        admin = await issue_admin_token(tx, login_id=ADMIN_LOGIN, role="owner")
        if configure:
            await configure_authentication(
                tx, actor=SYSTEM, type=client.auth_type, display_name=client.token_name
            )
        token = await issue_scim_token(
            tx,
            name=client.token_name,
            ttl_days=settings.scim_token_ttl_days,
            max_active=settings.scim_max_tokens,
        )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=HOST) as http:
            yield Replay(http, db, client, token, admin)


def assert_error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    """The response is a SCIM Error with this status (a string) and scimType; its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    detail = body["detail"]
    assert isinstance(detail, str)
    assert detail
    return detail


def assert_list(response: httpx.Response, total: int) -> list[dict[str, Any]]:
    """A ListResponse with integer counters and ``total`` results; its resources."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == total, body
    assert isinstance(body["itemsPerPage"], int)
    assert isinstance(body["startIndex"], int)
    resources: list[dict[str, Any]] = body.get("Resources", [])
    assert body["itemsPerPage"] == len(resources)
    return resources


def created(response: httpx.Response, kind: str) -> dict[str, Any]:
    """A 201 with Location = meta.location under the public base URL; the resource."""
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{BASE}/{kind}/{doc['id']}"
    assert doc["meta"]["location"] == response.headers["location"]
    return doc


# --- rule 18: the mixed-case and unknown-attribute variants ---------------------------------

_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')
_NAMED = ("filter", "attributes", "excludedAttributes", "sortBy")


def recase(text: str) -> str:
    """``userName`` → ``UsErNaMe`` outside double-quoted literals (filter values, ids)."""
    parts = _QUOTED.split(text)
    return "".join(
        part
        if i % 2
        else "".join(c.upper() if j % 2 == 0 else c.lower() for j, c in enumerate(part))
        for i, part in enumerate(parts)
    )


def recase_url(path: str) -> str:
    """The query parameters that name attributes, re-cased."""
    head, sep, query = path.partition("?")
    if not sep:
        return path
    params = [
        (k, recase(v) if k in _NAMED else v) for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return head + "?" + "&".join(f"{k}={quote(v, safe='')}" if v else k for k, v in params)


def _recase_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            recase(k): [recase(s) for s in v]
            if k == "schemas" and isinstance(v, list)
            else _recase_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_recase_keys(v) for v in value]
    return value


def recase_body(method: str, body: Any) -> Any:
    """A resource body with every attribute name re-cased; a PatchOp with its paths and
    the attribute names of its values re-cased (the message's own keys are left alone)."""
    if not isinstance(body, dict) or method not in ("POST", "PUT", "PATCH"):
        return body
    if method != "PATCH":
        return _recase_keys(body)
    ops = []
    for raw in body.get("Operations", []):
        op = dict(raw)
        if isinstance(op.get("path"), str):
            op["path"] = recase(op["path"])
        if "value" in op:
            op["value"] = _recase_keys(op["value"])
        ops.append(op)
    return {**body, "Operations": ops}


async def stored(db: Database) -> dict[str, Any]:
    """What a replay leaves in the database, without ids and times: users, groups with their
    members' loginIds, the provisioning events' shapes."""

    def load(raw: Any) -> Any:
        return orjson.loads(raw) if isinstance(raw, str | bytes) else raw

    async with db.transaction() as tx:
        users = await tx.fetch(
            "SELECT login_id, external_id, auth_provider, status, profile, scim_extras,"
            " deleted_at IS NOT NULL AS gone FROM users ORDER BY login_id, created_at"
        )
        groups = await tx.fetch(
            "SELECT g.display_name, g.external_id, u.login_id FROM groups g"
            " LEFT JOIN memberships m ON m.group_id = g.id LEFT JOIN users u ON u.id = m.user_id"
            " ORDER BY g.display_name, u.login_id"
        )
        events = await tx.fetch(
            "SELECT method, resource_type, outcome, status_code FROM provisioning_events"
            " ORDER BY at, id"
        )
    return {
        "users": [
            (r[0], r[1], r[2], r[3], load(r[4]), load(r[5]) or {}, bool(r[6])) for r in users
        ],
        "groups": [(r[0], r[1], r[2]) for r in groups],
        "events": [(r[0], r[1], r[2], int(r[3])) for r in events],
    }


Run = Callable[[Settings, Database, Client], Awaitable[None]]


async def same_result_recased(settings: Settings, db: Database, run: Run, client: Client) -> None:
    """The replay ``run`` passes with every name re-cased and leaves the same stored result."""
    await run(settings, db, client)
    plain = await stored(db)
    await reset_database(db)
    await run(settings, db, replace(client, recase=True))
    assert await stored(db) == plain


async def refuses_unknown(
    replay: Replay, user: dict[str, Any], group: dict[str, Any] | None = None
) -> None:
    """A body or PATCH path naming an attribute in no schema is a 400 naming it, and
    changes nothing stored (the ERROR events aside)."""
    before = await stored(replay.db)
    response = await replay.post("/Users", {**user, "favouriteColour": "green"})
    detail = "favouriteColour is not an attribute of the User schemas"
    assert assert_error(response, 400, "invalidValue") == detail
    nested = {**user, "name": {**user.get("name", {}), "shoeSize": 9}}
    assert assert_error(await replay.post("/Users", nested), 400, "invalidValue") == (
        "name.shoeSize is not an attribute of the User schemas"
    )
    if group is not None:
        response = await replay.post("/Groups", {**group, "colour": "red"})
        detail = "colour is not an attribute of the Group schema"
        assert assert_error(response, 400, "invalidValue") == detail
    after = await stored(replay.db)
    assert {**after, "events": after["events"][: len(before["events"])]} == before
    assert {e[2:] for e in after["events"][len(before["events"]) :]} == {("ERROR", 400)}
    uid = created(await replay.post("/Users", user), "Users")["id"]
    before = await stored(replay.db)
    ops = patch_body(
        {"op": "replace", "path": "title", "value": "Changed"},
        {"op": "replace", "path": "foo.bar", "value": "x"},
    )
    detail = "'foo.bar': foo is not an attribute of the User schemas"
    assert assert_error(await replay.patch(f"/Users/{uid}", ops), 400, "invalidPath") == detail
    after = await stored(replay.db)
    assert {**after, "events": before["events"]} == before
    assert after["events"][-1] == ("PATCH", "User", "ERROR", 400)


# --- the guides' GraphQL blocks -------------------------------------------------------------

_BLOCK = re.compile(r"```graphql\n(.*?)```", re.S)


def guide_text(guide: str) -> str:
    """The text of ``docs/integrations/<guide>``."""
    return (GUIDES / guide).read_text(encoding="utf-8")


def graphql_blocks(guide: str) -> dict[str, str]:
    """The guide's GraphQL blocks by their first line (``# title``)."""
    blocks: dict[str, str] = {}
    for block in _BLOCK.findall(guide_text(guide)):
        first = block.splitlines()[0]
        assert first.startswith("# "), f"{guide}: a GraphQL block must start with '# title'"
        blocks[first[2:].strip()] = block
    return blocks


@cache
def _schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(SDL.read_text(encoding="utf-8"))


def _validate(guide: str) -> dict[str, str]:
    blocks = graphql_blocks(guide)
    for title, block in blocks.items():
        errors = graphql.validate(_schema(), graphql.parse(block))
        assert not errors, f"{guide} block {title!r}: {errors}"
    return blocks


def check_guide(guide: str, *, titles: tuple[str, ...] = ()) -> None:
    """Every GraphQL block of the guide (and of the index) validates against the published
    schema; the guide has the blocks ``titles``, names the base URL and the two commands, and
    the index links to it."""
    blocks = _validate(guide)
    missing = [t for t in titles if t not in blocks]
    assert not missing, f"{guide} lacks GraphQL blocks {missing}"
    text = guide_text(guide)
    for needed in ("https://<host>/scim/v2", "roster token create-scim", "roster auth configure"):
        assert needed in text, f"{guide} does not mention {needed!r}"
    _validate("README.md")
    assert f"]({guide})" in guide_text("README.md"), f"README.md does not link {guide}"
