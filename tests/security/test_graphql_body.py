"""Hostile JSON bodies on /graphql, against a real server on each engine: a 400 naming the
problem, never a 500 or a masked "Unexpected error", and nothing stored.

Strawberry decodes bodies with ``json.loads``, which accepts a lone surrogate (that no database
column can hold: the resolver crashed) and recurses into a RecursionError on a few thousand
nested brackets (a 500). `app.graphql.app.RosterGraphQL.parse_json` decodes with orjson and
bounds nesting at 32 levels instead.
"""

from __future__ import annotations

import httpx
import orjson

from tests.e2e.conftest import Live

CREATE = "mutation($n: String!) { createGroup(input: {displayName: $n}) { userErrors { code } } }"
SEARCH = "query($n: String!) { users(filter: {search: $n}) { totalCount } }"
UNPARSABLE = "Unable to parse request body as JSON: "
TOO_DEEP = "the request body nests deeper than 32 levels"


def _body(query: str, variable: bytes) -> bytes:
    """A request whose variable ``n`` is the JSON text ``variable``."""
    return orjson.dumps({"query": query, "variables": {"n": "@n"}}).replace(b'"@n"', variable)


async def test_lone_surrogates_and_deep_nesting_are_400(live: Live) -> None:
    requests = [
        (_body(CREATE, b'"\\ud800"'), UNPARSABLE + "no low surrogate in string: line 1 column 118"),
        (
            _body(SEARCH, b'"a\\udfff"'),
            UNPARSABLE + "invalid high surrogate in string: line 1 column 97",
        ),
        (_body(CREATE, b"[" * 40 + b"]" * 40), TOO_DEEP),
        (
            _body(CREATE, b"[" * 5000 + b"]" * 5000),
            UNPARSABLE + "depth limit exceeded: line 1 column 1140",
        ),
    ]
    headers = {"Authorization": f"Bearer {live.admin}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=live.base, headers=headers, timeout=30) as client:
        answers = [
            (r.status_code, r.text.split(" (char")[0])
            for r in [await client.post("/graphql", content=c) for c, _ in requests]
        ]
        deep_get = await client.get(
            "/graphql", params={"query": SEARCH, "variables": '{"n": ' + "[" * 40 + "]" * 40 + "}"}
        )
        groups = await client.post("/graphql", json={"query": "{ groups { totalCount } }"})
    assert answers == [(400, expected) for _, expected in requests]
    assert (deep_get.status_code, deep_get.text) == (400, TOO_DEEP)
    assert groups.json() == {"data": {"groups": {"totalCount": 0}}}
