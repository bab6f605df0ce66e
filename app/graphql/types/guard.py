# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""The deprovisioning guard (rule 19): its state and settings, and the writes it holds."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.domain.directory import Page
from app.domain.guard.model import GuardStatus, ReleaseOutcome
from app.domain.guard.model import HeldWrite as HeldRecord
from app.graphql.context import Info
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.admin import ScimToken
from app.graphql.types.enums import ScimMethod, describe
from app.graphql.types.groups import Group
from app.graphql.types.links import linked_node
from app.graphql.types.relay import Connection, Count, parts
from app.graphql.types.users import User


class DeprovisioningGuardState(Enum):
    """Whether destructive IdP writes are applied or held."""

    ARMED = "ARMED"
    TRIPPED = "TRIPPED"
    OFF = "OFF"


describe(
    DeprovisioningGuardState,
    "DeprovisioningGuardState",
    "Whether destructive IdP writes are applied or held (rule 19).",
    {
        "ARMED": "Destructive IdP writes are counted and applied up to the threshold.",
        "TRIPPED": "The threshold was exceeded: destructive IdP writes are held until an admin"
        " releases or discards them.",
        "OFF": "The guard is switched off: every IdP write is applied.",
    },
)


class HeldWriteKind(Enum):
    """What a held write would do."""

    DEACTIVATE_USER = "DEACTIVATE_USER"
    DELETE_USER = "DELETE_USER"
    REMOVE_MEMBERS = "REMOVE_MEMBERS"


describe(
    HeldWriteKind,
    "HeldWriteKind",
    "What a held destructive IdP write would do.",
    {
        "DEACTIVATE_USER": "Deactivate an active user (active=false in a PUT or PATCH).",
        "DELETE_USER": "Delete a user (SCIM DELETE).",
        "REMOVE_MEMBERS": "Remove members from (or replace the members of) a group that grants"
        " roles.",
    },
)


@strawberry.type(
    name="DeprovisioningGuard",
    description="Rule 19: destructive IdP writes beyond a threshold within a sliding window"
    " are held, not applied, until an admin releases or discards them.",
)
class DeprovisioningGuard:
    """The guard's state, threshold and settings."""

    state: DeprovisioningGuardState = strawberry.field(description="Armed, tripped or off.")
    enabled: bool = strawberry.field(description="The guard is switched on.")
    threshold: int = strawberry.field(
        description="How many destructive IdP writes the window allows now: the larger of"
        " `percent` of the live IdP-owned users and `minimum`; one more trips the guard."
    )
    percent: float = strawberry.field(description="Percent of live IdP-owned users (default 5).")
    minimum: int = strawberry.field(description="Least threshold, in writes (default 20).")
    window: int = strawberry.field(
        description="Length of the sliding window, in minutes (default 60)."
    )
    counted: int = strawberry.field(
        description=(
            "Destructive IdP writes counted within the window so far. Far below the threshold"
            " a worker reserves a block of writes ahead; the block counts in full until the"
            " worker settles it (within a quarter of a second), then as the writes applied."
        )
    )
    held_count: int = strawberry.field(description="Writes held, waiting for an admin.")
    tripped_at: DateTime | None = strawberry.field(
        description="When the guard tripped (null unless TRIPPED)."
    )

    @staticmethod
    def of(s: GuardStatus) -> DeprovisioningGuard:
        """The GraphQL view of the guard."""
        return DeprovisioningGuard(
            state=DeprovisioningGuardState(s.state.value),
            enabled=s.settings.enabled,
            threshold=s.threshold,
            percent=s.settings.percent,
            minimum=s.settings.minimum,
            window=s.settings.window_minutes,
            counted=s.counted,
            held_count=s.held_count,
            tripped_at=DateTime(s.tripped_at) if s.tripped_at else None,
        )


@strawberry.type(name="HeldWrite", description="A destructive IdP write held by the guard.")
class HeldWriteNode:
    """A held write; ``user``, ``group`` and ``token`` load through the request's loaders."""

    record: strawberry.Private[HeldRecord]
    id: strawberry.ID = strawberry.field(description="Global id (for release or discard).")
    database_id: str = strawberry.field(description="The raw id of the held write.")
    kind: HeldWriteKind = strawberry.field(description="What it would do.")
    method: ScimMethod = strawberry.field(description="The SCIM method the IdP sent.")
    resource_id: str = strawberry.field(description="Raw id of the user or group it targets.")
    change: JSON = strawberry.field(
        description="What applying it would write (the provisioned values or member change)."
    )
    held_at: DateTime = strawberry.field(description="When the IdP first sent it.")
    last_sent_at: DateTime = strawberry.field(description="When the IdP last sent it.")
    repeats: int = strawberry.field(description="How many repeats joined this entry.")
    position: int = strawberry.field(description="Its place in the order of release.")
    request_id: str | None = strawberry.field(description="Request id of the first sending.")

    async def _user(self, info: Info) -> User | None:
        if self.record.resource_type != "User":
            return None
        return cast(User | None, await linked_node(info, "User", self.record.resource_id))

    async def _group(self, info: Info) -> Group | None:
        if self.record.resource_type != "Group":
            return None
        return cast(Group | None, await linked_node(info, "Group", self.record.resource_id))

    async def _token(self, info: Info) -> ScimToken | None:
        return cast(ScimToken | None, await linked_node(info, "ScimToken", self.record.token_id))

    user: User | None = strawberry.field(
        resolver=_user, description="The user it targets (null for a group, or when gone)."
    )
    group: Group | None = strawberry.field(
        resolver=_group, description="The group it targets (null for a user, or when gone)."
    )
    token: ScimToken | None = strawberry.field(
        resolver=_token, description="The SCIM token that sent it (null when gone)."
    )

    @staticmethod
    def of(h: HeldRecord) -> HeldWriteNode:
        """The GraphQL view of a held write."""
        return HeldWriteNode(
            record=h,
            id=strawberry.ID(to_global_id("HeldWrite", h.id)),
            database_id=h.id,
            kind=HeldWriteKind(h.kind.value),
            method=ScimMethod(h.method),
            resource_id=h.resource_id,
            change=JSON(h.payload),
            held_at=DateTime(h.first_at),
            last_sent_at=DateTime(h.last_at),
            repeats=h.repeats,
            position=h.seq,
            request_id=h.request_id,
        )


@strawberry.type(name="HeldWriteConnection", description="A page of held writes, oldest first.")
class HeldWriteConnection(Connection[HeldWriteNode]):
    """Relay connection over held writes."""

    @staticmethod
    def of(page: Page[HeldRecord], count: Count) -> HeldWriteConnection:
        """A connection over a domain page."""
        return HeldWriteConnection(
            nodes=[HeldWriteNode.of(h) for h in page.items], count=count, **parts(page)
        )


@strawberry.type(name="HeldWriteOutcome", description="What releasing one held write did.")
class HeldWriteOutcome:
    """One released write: applied, or refused by a rule (reported, not forced)."""

    held_write: HeldWriteNode = strawberry.field(description="The write (no longer held).")
    applied: bool = strawberry.field(description="It was applied.")
    error: str | None = strawberry.field(description="Why it could not be applied.")

    @staticmethod
    def of(o: ReleaseOutcome) -> HeldWriteOutcome:
        """The GraphQL view of an outcome."""
        return HeldWriteOutcome(
            held_write=HeldWriteNode.of(o.held), applied=o.applied, error=o.error
        )
