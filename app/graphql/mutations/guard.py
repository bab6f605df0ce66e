# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""The deprovisioning guard (rule 19): release or discard held writes, change its settings."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar

import strawberry
from strawberry import UNSET

from app.db import Tx
from app.domain.guard import review, store
from app.domain.guard.model import (
    DEFAULT_MINIMUM,
    DEFAULT_PERCENT,
    DEFAULT_WINDOW_MINUTES,
    GuardSettings,
    GuardStatus,
)
from app.domain.types import Actor
from app.errors import InvalidValue
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.guard import DeprovisioningGuard, HeldWriteNode, HeldWriteOutcome

T = TypeVar("T")


@strawberry.input(
    name="HeldWritesInput", description="Which held writes: the given ones, or all when omitted."
)
class HeldWritesInput:
    """Input of releaseHeldWrites and discardHeldWrites."""

    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Global ids of held writes; omitted or null: every one."
    )


@strawberry.type(name="ReleaseHeldWritesPayload", description="Result of releaseHeldWrites.")
class ReleaseHeldWritesPayload(Payload):
    """Result of releaseHeldWrites."""

    outcomes: list[HeldWriteOutcome] = strawberry.field(
        description="Each released write in the order it was applied: applied or why not."
    )
    guard: DeprovisioningGuard | None = strawberry.field(description="The guard afterwards.")


@strawberry.type(name="DiscardHeldWritesPayload", description="Result of discardHeldWrites.")
class DiscardHeldWritesPayload(Payload):
    """Result of discardHeldWrites."""

    discarded: list[HeldWriteNode] = strawberry.field(description="The writes dropped.")
    guard: DeprovisioningGuard | None = strawberry.field(description="The guard afterwards.")


@strawberry.input(
    name="UpdateDeprovisioningGuardInput",
    description="New guard settings: an omitted field keeps its value, null restores the"
    " default (percent 5, minimum 20, window 60 minutes).",
)
class UpdateDeprovisioningGuardInput:
    """Input of updateDeprovisioningGuard."""

    enabled: bool | None = strawberry.field(
        default=UNSET, description="Switch the guard on or off; null keeps it."
    )
    percent: float | None = strawberry.field(
        default=UNSET, description="Percent of live IdP-owned users (above 0, at most 100)."
    )
    minimum: int | None = strawberry.field(default=UNSET, description="Least threshold (>= 1).")
    window: int | None = strawberry.field(
        default=UNSET, description="Sliding window in minutes (1 to 10080)."
    )

    def apply(self, old: GuardSettings) -> GuardSettings:
        """The settings after this input."""

        def pick(value: Any, kept: Any, default: Any) -> Any:
            if value is UNSET:
                return kept
            return default if value is None else value

        return GuardSettings(
            pick(self.enabled, old.enabled, old.enabled),
            float(pick(self.percent, old.percent, DEFAULT_PERCENT)),
            int(pick(self.minimum, old.minimum, DEFAULT_MINIMUM)),
            int(pick(self.window, old.window_minutes, DEFAULT_WINDOW_MINUTES)),
        )


@strawberry.type(name="GuardPayload", description="Result of updateDeprovisioningGuard.")
class GuardPayload(Payload):
    """Result of updateDeprovisioningGuard."""

    guard: DeprovisioningGuard | None = strawberry.field(description="The guard afterwards.")


def _ids(input: HeldWritesInput | None) -> list[str] | None:
    """The raw ids of held writes (not Relay nodes: ``HeldWrite:<uuid>`` in base64)."""
    if input is None or input.ids is None:
        return None
    raw = []
    for value in input.ids:
        try:
            text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
            kind, _, rest = text.partition(":")
            raw.append(str(uuid.UUID(rest)) if kind == "HeldWrite" else "")
        except (binascii.Error, UnicodeError, ValueError):
            raw.append("")
        if not raw[-1]:
            raise InvalidValue(f"ids: {value!r} is not the id of a held write", ["ids"])
    return raw


class _Review(Protocol[T]):
    """`review.release_held` or `review.discard_held`."""

    def __call__(
        self, tx: Tx, *, actor: Actor, ids: Sequence[str] | None = None
    ) -> Awaitable[list[T]]: ...


async def _review(
    info: Info, input: HeldWritesInput | None, decide: _Review[T]
) -> tuple[list[T], DeprovisioningGuard | None, list[UserError]]:
    """Release or discard the held writes ``input`` names: what was done and the guard
    afterwards, or nothing and why not."""

    async def act(tx: Tx, actor: Actor) -> tuple[list[T], GuardStatus]:
        done = await decide(tx, actor=actor, ids=_ids(input))
        return done, await review.guard_status(tx)

    result, errors = await run_mutation(info, act)
    if result is None:
        return [], None, errors
    return result[0], DeprovisioningGuard.of(result[1]), errors


@strawberry.type(name="GuardMutations", description="Deprovisioning guard mutations.")
class GuardMutations:
    """Mutations on the deprovisioning guard (OWNER or ADMIN; audited)."""

    @strawberry.mutation(
        description="Apply held writes (all, or the given ones) in the order the IdP sent them,"
        " each under every rule; one that no longer applies is reported, not forced. The guard"
        " re-arms when none is left (audited as guard.release)."
    )
    async def release_held_writes(
        self, info: Info, input: HeldWritesInput | None = None
    ) -> ReleaseHeldWritesPayload:
        done, guard, errors = await _review(info, input, review.release_held)
        outcomes = [HeldWriteOutcome.of(o) for o in done]
        return ReleaseHeldWritesPayload(outcomes=outcomes, guard=guard, user_errors=errors)

    @strawberry.mutation(
        description="Drop held writes (all, or the given ones) unapplied. The guard re-arms"
        " when none is left (audited as guard.discard)."
    )
    async def discard_held_writes(
        self, info: Info, input: HeldWritesInput | None = None
    ) -> DiscardHeldWritesPayload:
        done, guard, errors = await _review(info, input, review.discard_held)
        nodes = [HeldWriteNode.of(h) for h in done]
        return DiscardHeldWritesPayload(discarded=nodes, guard=guard, user_errors=errors)

    @strawberry.mutation(description="Change the guard's settings (audited as guard.update).")
    async def update_deprovisioning_guard(
        self, info: Info, input: UpdateDeprovisioningGuardInput
    ) -> GuardPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            old, _, _ = await store.read_guard(tx)
            return await review.update_guard_settings(tx, actor=actor, settings=input.apply(old))

        status, errors = await run_mutation(info, act)
        guard = DeprovisioningGuard.of(status) if status else None
        return GuardPayload(guard=guard, user_errors=errors)
