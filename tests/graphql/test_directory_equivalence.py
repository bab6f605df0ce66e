"""Property (issue 14): GraphQL and SCIM list the same users in the same order for any filter
both can say, on each engine, because both compile to one predicate tree and one SQL compiler.

A directory of a few hundred users with adversarial values (case variants, ``%``, ``_``, a
backslash, non-ASCII, absent values) is seeded once; each example draws a filter over userName
/ loginId, displayName, active, externalId, the work email and a custom attribute (eq, ne, co,
sw, ew, pr, gt, lt; and, or, not), renders it as a SCIM filter and as a GraphQL ``where:``
condition, reads every page of both over HTTP, and compares the login ids in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from app.domain.users.service import UserCreate, create_user
from tests.graphql.conftest import Api
from tests.support import owner

ROSTER = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
SCIM_JSON = "application/scim+json"
WORDS = ["alice", "ALICE", "Alïce", "al%ce", "a_ce", "STRASSE", "straße", "x\\y", "Zoë", "ab"]
PIECES = ["al", "AL", "a", "%", "_", "ce", "ß", "\\", "Ï", "zz", "ab", "e"]


def _person(i: int) -> UserCreate:
    word = WORDS[i % len(WORDS)]
    profile: dict[str, Any] = {}
    if i % 3:
        profile["displayName"] = WORDS[(i * 7) % len(WORDS)] + (" %" if i % 5 == 0 else "")
    if i % 4:
        profile["email"] = f"{WORDS[(i * 3) % len(WORDS)]}{i % 6}@Ex_{i % 2}.com"
    if i % 5 != 1:
        profile["codename"] = WORDS[(i * 11) % len(WORDS)].upper() if i % 2 else WORDS[i % 4]
    return UserCreate(
        login_id=f"{word}{i}",
        external_id=None if i % 6 == 0 else f"{WORDS[(i * 5) % len(WORDS)]}-{i}",
        active=i % 4 != 3,
        profile=profile,
    )


@dataclass(frozen=True)
class Attr:
    scim: str  # the path compared, or a template with {op}/{value} for a value filter
    field: str  # the domain field a GraphQL condition names
    case_exact: bool = False
    boolean: bool = False
    element: bool = False  # a multi-valued element: SCIM selects it with a value filter


ATTRS = [
    Attr("userName", "loginId"),
    Attr("displayName", "profile.displayName"),
    Attr("active", "active", boolean=True),
    Attr("externalId", "externalId", case_exact=True),
    Attr("emails", "profile.email", element=True),
    Attr(f"{ROSTER}:codename", "profile.codename"),
]
TEXT_OPS = ["eq", "ne", "co", "sw", "ew", "pr", "gt", "lt"]


@dataclass(frozen=True)
class Leaf:
    attr: Attr
    op: str
    value: Any


def _leaf(attr: Attr) -> st.SearchStrategy[Leaf]:
    if attr.boolean:
        return st.builds(Leaf, st.just(attr), st.sampled_from(["eq", "ne", "pr"]), st.booleans())
    values = st.sampled_from(WORDS + PIECES)
    return st.builds(Leaf, st.just(attr), st.sampled_from(TEXT_OPS), values)


Tree = Any
_leaves = st.sampled_from(ATTRS).flatmap(_leaf)
_trees: st.SearchStrategy[Tree] = st.recursive(
    _leaves,
    lambda inner: (
        st.tuples(st.sampled_from(["and", "or"]), inner, inner) | st.tuples(st.just("not"), inner)
    ),
    max_leaves=4,
)


def scim_text(tree: Tree) -> str:
    """The tree as a SCIM filter."""
    if isinstance(tree, Leaf):
        a, op = tree.attr, tree.op
        cmp = "pr" if op == "pr" else f"{op} {json.dumps(tree.value)}"
        if a.element:
            return f'{a.scim}[type eq "work" and value {cmp}]'
        return f"{a.scim} {cmp}"
    if tree[0] == "not":
        return f"not ({scim_text(tree[1])})"
    return f"({scim_text(tree[1])} {tree[0]} {scim_text(tree[2])})"


def condition(tree: Tree) -> dict[str, Any]:
    """The tree as a GraphQL Condition."""
    if isinstance(tree, Leaf):
        a = tree.attr
        if tree.op == "pr":
            return {"field": a.field, "op": "PR"}
        found = {"field": a.field, "op": tree.op.upper(), "value": tree.value}
        if a.case_exact:
            found["caseExact"] = True
        if a.element:  # inside a value filter the element must exist, also for ne
            return {"all": [{"field": a.field, "op": "PR"}, found]}
        return found
    if tree[0] == "not":
        return {"not": condition(tree[1])}
    key = "all" if tree[0] == "and" else "any"
    return {key: [condition(tree[1]), condition(tree[2])]}


USERS = (
    "query($w: Condition, $after: String) { users(filter: {where: $w}, first: 100,"
    " after: $after, orderBy: {field: LOGIN_ID}) { edges { node { loginId } }"
    " pageInfo { hasNextPage endCursor } } }"
)


class Directory:
    """The seeded directory and the two doors, over one HTTP client."""

    def __init__(self, http: httpx.AsyncClient, admin: str, scim: str) -> None:
        self.http, self.admin, self.scim = http, admin, scim

    async def graphql(self, query: str, **variables: Any) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.admin}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def over_graphql(self, tree: Tree) -> list[str]:
        found: list[str] = []
        after = None
        while True:
            body = await self.graphql(USERS, w=condition(tree), after=after)
            assert "errors" not in body, body
            users = body["data"]["users"]
            found += [e["node"]["loginId"] for e in users["edges"]]
            if not users["pageInfo"]["hasNextPage"]:
                return found
            after = users["pageInfo"]["endCursor"]

    async def over_scim(self, tree: Tree) -> list[str]:
        search = {"filter": scim_text(tree), "sortBy": "userName", "count": 1000}
        response = await self.http.post(
            "/scim/v2/Users/.search",
            content=json.dumps(search),
            headers={"Authorization": f"Bearer {self.scim}", "Content-Type": SCIM_JSON},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalResults"] == len(body["Resources"])
        return [r["userName"] for r in body["Resources"]]


async def seed(db: Database) -> None:
    """The custom attribute and the 300 users, committed."""
    async with db.transaction() as tx:
        await create_custom_attribute(
            tx,
            actor=owner(),
            variable_name="codename",
            display_name="Codename",
            datatype=Datatype.STRING,
        )
        for i in range(300):
            await create_user(tx, actor=owner(), data=_person(i))


async def _directory(api: Api) -> Directory:
    """The directory seeded for this test's app (once, however many examples run)."""
    found: Directory | None = getattr(api, "seeded_directory", None)
    if found is None:
        admin = await api.token("owner@example.com", "owner")
        async with api.db.transaction() as tx:
            scim = await issue_scim_token(tx, name="idp", ttl_days=30, max_active=2)
        await seed(api.db)
        found = Directory(api.http, admin, scim)
        api.seeded_directory = found  # type: ignore[attr-defined]
    return found


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=_trees)
async def test_graphql_and_scim_list_the_same_users_in_the_same_order(api: Api, tree: Tree) -> None:
    directory = await _directory(api)
    scim = await directory.over_scim(tree)
    assert await directory.over_graphql(tree) == scim, scim_text(tree)


async def test_the_seeded_directory_is_not_trivial(api: Api) -> None:
    """A filter selects some users and not others, on both doors (the property is not vacuous)."""
    directory = await _directory(api)
    tree = ("or", Leaf(ATTRS[0], "co", "%"), Leaf(ATTRS[1], "sw", "STRASSE"))
    scim = await directory.over_scim(tree)
    assert 0 < len(scim) < 300
    assert await directory.over_graphql(tree) == scim


async def test_a_malformed_condition_is_refused_whole(api: Api) -> None:
    directory = await _directory(api)
    query = "query($w: Condition) { users(filter: {where: $w}) { totalCount } }"
    cases = [
        ({"field": "loginId"}, "where: give exactly one of op (with field), all, any and not"),
        ({"op": "EQ", "value": "x"}, "where: a comparison needs a field"),
        ({"field": "nope", "op": "EQ", "value": "x"}, "unknown field 'nope'"),
        (
            {"field": "active", "op": "CO", "value": "x"},
            "active supports only eq/ne with true or false",
        ),
        (
            {"field": "loginId", "op": "EQ", "value": [1]},
            "where: loginId compares with text, a number or a boolean",
        ),
    ]
    for where, message in cases:
        body = await directory.graphql(query, w=where)
        assert body["data"] is None, where
        assert [e["message"] for e in body["errors"]] == [message], where


async def test_viewers_cannot_probe_hidden_values_by_a_condition(api: Api) -> None:
    """`where:` is a filter like the others: a HIDDEN attribute answers no question of a VIEWER
    (app.domain.users.visibility), however the condition is wrapped; its owner may ask."""
    owner_token = await api.token("owner@example.com", "owner")
    hide = (
        'mutation { updateProfileAttribute(input: {name: "title", status: HIDDEN})'
        " { profileAttribute { status } } }"
    )
    assert (await api.run(hide, owner_token))["data"]["updateProfileAttribute"] == {
        "profileAttribute": {"status": "HIDDEN"}
    }
    create = (
        'mutation { createUser(input: {loginId: "h@example.com", title: "Spy"}) { user { id } } }'
    )
    assert (await api.run(create, owner_token))["data"]["createUser"]["user"]["id"]
    viewer = await api.token("viewer@example.com", "viewer")
    query = "query($w: Condition) { users(filter: {where: $w}) { totalCount } }"
    probe = {"field": "profile.title", "op": "EQ", "value": "Spy"}
    for where in (probe, {"not": probe}, {"any": [{"field": "loginId", "op": "PR"}, probe]}):
        refused = await api.run(query, viewer, w=where)
        assert refused == {
            "data": None,
            "errors": refused["errors"],
        }
        assert [e["message"] for e in refused["errors"]] == ["profile attribute 'title' is hidden"]
    allowed = await api.run(query, owner_token, w=probe)
    assert allowed == {"data": {"users": {"totalCount": 1}}}
