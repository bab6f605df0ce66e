"""The GraphQL↔SCIM equivalence property (tests/graphql/test_directory_equivalence.py) against
a real `roster serve` process, on each engine: the seeded directory is committed by this
process, read by the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from app.db import Database
from tests.e2e.conftest import Live
from tests.graphql.test_directory_equivalence import Directory, Tree, _trees, scim_text, seed


@pytest.fixture
async def directory(live: Live, clean_db: Database) -> AsyncIterator[Directory]:
    """The server's directory seeded with the adversarial users, and a client for it."""
    await seed(clean_db)
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as http:
        yield Directory(http, live.admin, live.scim)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=_trees)
async def test_a_real_server_lists_the_same_users_over_graphql_and_scim(
    directory: Directory, tree: Tree
) -> None:
    scim = await directory.over_scim(tree)
    assert await directory.over_graphql(tree) == scim, scim_text(tree)
