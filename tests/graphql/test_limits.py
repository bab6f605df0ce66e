"""Abuse limits of the admin API: query cost (nodes), page size, depth, tokens.

The node limit (app/graphql/limits.py) counts, for each connection, its page size times the
page sizes of the connections around it: a query is refused before it runs, whatever the data.
"""

from __future__ import annotations

from typing import Any

from tests.graphql.conftest import Api

THREE_LEVELS = (
    "query Wide {{ users{a} {{ nodes {{ groups{b} {{ nodes {{ members{c} {{ nodes {{ id }} }} }} }}"
    " }} }} }}"
)


def _nodes_error(body: dict[str, Any], name: str, cost: int) -> None:
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["message"] == (
        f"'{name}' may return up to {cost} nodes; the limit is 50000 (each connection counts its"
        " first/last times those it is nested in: ask for smaller pages)"
    )


async def test_nested_default_pages_are_over_the_node_limit(api: Api, owner: str) -> None:
    # 100 users, 100 groups each, 100 members each: 100 + 10,000 + 1,000,000 nodes.
    response = await api.post(THREE_LEVELS.format(a="", b="", c=""), owner, {})
    _nodes_error(response.json(), "Wide", 1_010_100)


async def test_smaller_pages_pass(api: Api, owner: str) -> None:
    # 10 + 100 + 1,000 nodes
    query = THREE_LEVELS.format(a="(first: 10)", b="(first: 10)", c="(first: 10)")
    body = await api.run(query, owner)
    assert body == {"data": {"users": {"nodes": [{"groups": {"nodes": []}}]}}}


async def test_a_variable_page_size_counts_as_the_cap(api: Api, owner: str) -> None:
    query = (
        "query Vars($n: Int) { users(first: $n) { nodes { groups(first: $n) { nodes {"
        " members(first: 5) { nodes { id } } } } } } }"
    )
    response = await api.post(query, owner, {"n": 1})
    _nodes_error(response.json(), "Vars", 100 + 10_000 + 50_000)


async def test_aliases_and_fragments_are_counted(api: Api, owner: str) -> None:
    fragment = "fragment G on User { groups { nodes { members(first: 3) { nodes { id } } } } }"
    parts = " ".join(f"a{i}: users {{ nodes {{ ...G }} }}" for i in range(2))
    # per alias: 100 users + 100·100 groups + 100·100·3 members = 40,100; twice: 80,200
    response = await api.post(f"query Frag {{ {parts} }} {fragment}", owner, {})
    _nodes_error(response.json(), "Frag", 80_200)


async def test_page_size_cap_on_nested_connections(api: Api, owner: str) -> None:
    body = await api.run(
        "{ users(first: 1) { nodes { groups(first: 101) { totalCount } } } }", owner
    )
    assert body["data"] is None
    assert body["errors"][0]["message"] == "first must be between 0 and 100 (the page-size cap)"
    body = await api.run("{ auditLog(first: 101) { nodes { action } } }", owner)
    assert body["errors"][0]["message"] == "first must be between 0 and 100 (the page-size cap)"
    body = await api.run("{ users(last: 101) { totalCount } }", owner)
    assert body["errors"][0]["message"] == "last must be between 0 and 100 (the page-size cap)"


async def test_token_limit(api: Api, owner: str) -> None:
    query = "{ " + " ".join("viewer { loginId }" for _ in range(1300)) + " }"
    response = await api.post(query, owner, {})
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Syntax Error: Document contains more than 5000 tokens."
                " Parsing aborted.",
                "locations": [{"line": 1, "column": 23751}],
            }
        ],
    }
