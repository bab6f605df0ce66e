# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""The audit log: entries as Relay nodes linking to their actor and target."""

from __future__ import annotations

from typing import Annotated, Any, Protocol, cast

import strawberry
from strawberry.scalars import JSON

from app.domain.audit.entries import AuditEntryRecord
from app.domain.types import ActorKind
from app.domain.users.visibility import MASK, masks_change
from app.graphql.context import Info
from app.graphql.ids import to_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.admin import ScimToken
from app.graphql.types.common import Node
from app.graphql.types.enums import AuditAction
from app.graphql.types.links import linked, linked_node, log_cursors, log_total_count
from app.graphql.types.relay import Connection, Count, parts
from app.graphql.types.users import User

_ONE = " Kept for one release."
_ACTOR_TYPES = {k.value: k for k in ActorKind}


@strawberry.type(name="SystemActor", description="Roster itself or its operator's CLI.")
class SystemActor:
    """The actor of a SYSTEM entry."""

    label: str = strawberry.field(description="What acted, e.g. cli or retention.")


AuditActor = Annotated[
    User | ScimToken | SystemActor,
    strawberry.union(
        "AuditActor", description="Who wrote: an admin user, a SCIM token, or the system."
    ),
]


class Acted(Protocol):
    """A record that names who wrote it: an audit entry or an outbox event."""

    @property
    def actor_type(self) -> str: ...

    @property
    def actor_id(self) -> str | None: ...

    @property
    def actor_label(self) -> str: ...


async def load_actor(info: Info, record: Acted) -> AuditActor | None:
    """The actor of an audit entry or event: the system, or the admin user or SCIM token
    (null when it is gone)."""
    if record.actor_type == ActorKind.SYSTEM.value:
        return SystemActor(label=record.actor_label)
    kind = "User" if record.actor_type == ActorKind.ADMIN.value else "ScimToken"
    return cast(AuditActor | None, await linked_node(info, kind, record.actor_id))


@strawberry.type(name="AuditChange", description="One changed field.")
class AuditChange:
    """Before and after of one field."""

    field: str = strawberry.field(description="The field (profile values as profile.<name>).")
    before: JSON | None = strawberry.field(description="Value before the write.")
    after: JSON | None = strawberry.field(description="Value after the write.")


def _change(c: dict[str, Any], hidden: frozenset[str]) -> AuditChange:
    if masks_change(c["field"], hidden):
        return AuditChange(field=c["field"], before=JSON(MASK), after=JSON(MASK))
    return AuditChange(field=c["field"], before=c["before"], after=c["after"])


@strawberry.type(name="AuditEntry", description="One admin or SCIM write.")
class AuditEntry(Node):
    """An audit log entry; ``actor`` and ``target`` load through the request's loaders."""

    record: strawberry.Private[AuditEntryRecord]
    database_id: str = strawberry.field(description="The raw entry id.")
    at: DateTime = strawberry.field(description="When the write committed.")
    actor_type: ActorKind = strawberry.field(description="Who wrote: ADMIN, SCIM or SYSTEM.")

    async def _actor(self, info: Info) -> AuditActor | None:
        return await load_actor(info, self.record)

    async def _target(self, info: Info) -> Node | None:
        return await linked(info, self.record.target_type, self.record.target_id)

    actor: AuditActor | None = strawberry.field(
        resolver=_actor,
        description="The admin user, SCIM token or system that wrote; null when it is gone.",
    )
    actor_id: str | None = strawberry.field(
        description="Raw id of the admin user or SCIM token.",
        deprecation_reason=f"Use actor (a User, ScimToken or SystemActor).{_ONE}",
    )
    actor_label: str = strawberry.field(description="Login of the admin or name of the token.")
    action: str = strawberry.field(
        description="What happened, e.g. user.update.", deprecation_reason=f"Use kind.{_ONE}"
    )
    kind: AuditAction = strawberry.field(description="What happened.")
    target_type: str = strawberry.field(description="Kind of the target, e.g. User.")
    target_id: str | None = strawberry.field(
        description="Raw id of the target (kept once the target is gone)."
    )
    target: Node | None = strawberry.field(
        resolver=_target,
        description="The user, group, token or attribute written; null when it is gone or"
        " has no node (settings, the log itself).",
    )
    target_label: str | None = strawberry.field(description="Label of the target.")
    changes: list[AuditChange] = strawberry.field(description="Changed fields.")
    reason: str | None = strawberry.field(description="Reason given (status changes).")
    request_id: str | None = strawberry.field(description="Request id of the write.")

    @staticmethod
    def of(a: AuditEntryRecord, hidden: frozenset[str] = frozenset()) -> AuditEntry:
        """The GraphQL view of an entry; values of ``hidden`` attributes are masked."""
        return AuditEntry(
            record=a,
            id=strawberry.ID(to_global_id("AuditEntry", a.id)),
            database_id=a.id,
            at=DateTime(a.at),
            actor_type=_ACTOR_TYPES[a.actor_type],
            actor_id=a.actor_id,
            actor_label=a.actor_label,
            action=a.action,
            kind=AuditAction.of(a.action),
            target_type=a.target_type,
            target_id=a.target_id,
            target_label=a.target_label,
            changes=[_change(c, hidden) for c in a.changes],
            reason=a.reason,
            request_id=a.request_id,
        )


@strawberry.type(name="AuditEntryConnection", description="A page of audit entries, newest first.")
class AuditEntryConnection(Connection[AuditEntry]):
    """Relay connection over audit entries."""

    total_count: int = log_total_count("Entries")
    cursors: list[str] = log_cursors()

    @staticmethod
    def of(page: Any, count: Count, hidden: frozenset[str] = frozenset()) -> AuditEntryConnection:
        """A connection over a domain page (values of ``hidden`` attributes masked)."""
        nodes = [AuditEntry.of(a, hidden) for a in page.items]
        return AuditEntryConnection(nodes=nodes, count=count, **parts(page))
