"""Running one mutation field as one transaction, refusals mapped to userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from app.db import Tx
from app.domain.types import Actor
from app.errors import RosterError
from app.graphql.context import Info
from app.graphql.errors import UserError, is_user_error, to_user_errors

T = TypeVar("T")


@strawberry.interface(
    name="Payload",
    description="What every mutation answers: its result, or userErrors saying why not.",
)
class Payload:
    """The base of every mutation payload."""

    user_errors: list[UserError] = strawberry.field(
        description="Why nothing changed (empty when the mutation was applied)."
    )


async def run_mutation(
    info: Info, action: Callable[[Tx, Actor], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run ``action`` in its own write transaction; an expected refusal rolls it back.

    Outages (database unavailable) are not user errors and propagate to the error policy.
    """
    ctx = info.context
    ctx.forget_prefetched()
    try:
        async with ctx.db.transaction() as tx:
            result = await action(tx, ctx.actor)
    except RosterError as exc:
        if not is_user_error(exc):
            raise
        return None, to_user_errors(exc)
    return result, []
