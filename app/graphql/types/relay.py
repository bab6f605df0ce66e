# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""One Relay connection for every list: `Connection[T]` and `Edge[T]` (named `TConnection` and
`TEdge` in the schema), over a domain page and its cursors (app.domain.directory's codec)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, cast

import strawberry

from app.db import Tx
from app.domain.directory import Page
from app.graphql.context import Info
from app.graphql.types.common import PageInfo

T = TypeVar("T")

# How many a list holds: known (an int), or counted only if totalCount is selected.
Count = Callable[[], Awaitable[int]] | int


def count_later(info: Info, count: Callable[[Tx], Awaitable[int]]) -> Count:
    """A list's total, counted in a read of its own only if totalCount is selected."""

    async def counted() -> int:
        async with info.context.read() as tx:
            return await count(tx)

    return counted


@strawberry.type(description="An item of a connection with its cursor (Relay edge).")
class Edge(Generic[T]):
    """Relay edge."""

    cursor: str = strawberry.field(description="Opaque cursor of this edge (for after/before).")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (Relay connection); edges are built if selected.")
class Connection(Generic[T]):
    """Relay connection: the page's items, their cursors, paging state and a total."""

    def _edges(self) -> list[Edge[T]]:
        return [Edge(cursor=c, node=n) for c, n in zip(self.edge_cursors, self.nodes, strict=True)]

    def _total_count(self) -> int:
        return self.count if isinstance(self.count, int) else cast(int, self.count())

    # Annotated resolvers (not decorated methods) keep the fields in this order in the SDL.
    edges: list[Edge[T]] = strawberry.field(
        resolver=_edges, description="The items with their cursors."
    )
    nodes: list[T] = strawberry.field(description="The items of this page (edges without cursors).")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int = strawberry.field(
        resolver=_total_count, description="How many items the list holds (all pages)."
    )
    edge_cursors: strawberry.Private[list[str]]
    count: strawberry.Private[Count]


def parts(page: Page[Any]) -> dict[str, Any]:
    """The connection fields of a domain page, but the nodes (``page_info``, ``edge_cursors``)."""
    return {"page_info": PageInfo.of(page), "edge_cursors": page.cursors}
