"""Filter and ordering inputs of the lists, and their translation to domain filters."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.domain.audit.entries import AuditFilter
from app.domain.directory import TRUE, GroupFilter, Order, UserFilter
from app.domain.provisioning.model import EventFilter
from app.domain.types import AuthProvider, UserStatus
from app.errors import InvalidValue
from app.graphql.conditions import ConditionInput
from app.graphql.ids import decode_id, parse_global_id
from app.graphql.scalars import DateTime
from app.graphql.types.common import OrderDirection


@strawberry.input(name="AttributeFilterInput", description="A profile attribute equal to a value.")
class AttributeFilterInput:
    """Exact match on one profile attribute (numbers compare by their text)."""

    name: str = strawberry.field(description="Attribute variable name, e.g. department.")
    value: str = strawberry.field(description="The value to match exactly.")


@strawberry.input(name="UserFilter", description="Conditions on users, combined with AND.")
class UserFilterInput:
    """Filter of users(filter:)."""

    search: str | None = strawberry.field(
        default=None, description="Text in loginId, first/last/display name or email (any case)."
    )
    status: list[UserStatus] | None = strawberry.field(default=None, description="Any of these.")
    auth_provider: list[AuthProvider] | None = strawberry.field(
        default=None, description="Owned by any of these."
    )
    group_id: strawberry.ID | None = strawberry.field(default=None, description="Member of it.")
    role: str | None = strawberry.field(
        default=None, description="Holds this role, directly or through a group."
    )
    attribute: AttributeFilterInput | None = strawberry.field(
        default=None, description="A profile attribute equals a value."
    )
    created_after: DateTime | None = strawberry.field(
        default=None, description="Created at or after."
    )
    created_before: DateTime | None = strawberry.field(default=None, description="Created before.")
    updated_after: DateTime | None = strawberry.field(
        default=None, description="Changed at or after."
    )
    updated_before: DateTime | None = strawberry.field(default=None, description="Changed before.")
    include_deleted: bool = strawberry.field(
        default=False, description="Also list soft-deleted users (deletedAt set)."
    )
    where: ConditionInput | None = strawberry.field(
        default=None, description="Any further condition (the predicates SCIM filters use)."
    )

    def to_domain(self) -> UserFilter:
        """The domain filter; raises InvalidValue for a bad group id."""
        attr = (self.attribute.name, self.attribute.value) if self.attribute else None
        return UserFilter(
            search=self.search,
            statuses=[s.value for s in self.status or []],
            providers=[p.value for p in self.auth_provider or []],
            group_id=decode_id(self.group_id, "Group", "groupId") if self.group_id else None,
            role=self.role,
            attribute=attr,
            created_from=self.created_after,
            created_to=self.created_before,
            updated_from=self.updated_after,
            updated_to=self.updated_before,
            include_deleted=self.include_deleted,
            where=self.where.to_domain() if self.where else TRUE,
        )


@strawberry.enum(name="UserOrderField", description="Sort keys of users.")
class UserOrderField(Enum):
    """What users sort by (then by id)."""

    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    LOGIN_ID = "LOGIN_ID"


@strawberry.input(name="OrderInput", description="The direction every orderBy input takes.")
class OrderInput:
    """The part of an orderBy input that is the same for every list (its sort key is not)."""

    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Direction."
    )


@strawberry.input(name="UserOrder", description="Ordering of users.")
class UserOrderInput(OrderInput):
    """orderBy of users."""

    field: UserOrderField = strawberry.field(
        default=UserOrderField.CREATED_AT, description="Sort key."
    )


@strawberry.input(name="GroupFilter", description="Conditions on groups, combined with AND.")
class GroupFilterInput:
    """Filter of groups(filter:)."""

    search: str | None = strawberry.field(default=None, description="Text in the name.")
    auth_provider: list[AuthProvider] | None = strawberry.field(
        default=None, description="Owned by any of these."
    )
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="Has this user as a member."
    )
    role: str | None = strawberry.field(default=None, description="Was granted this role.")
    where: ConditionInput | None = strawberry.field(
        default=None, description="Any further condition (the predicates SCIM filters use)."
    )

    def to_domain(self) -> GroupFilter:
        """The domain filter."""
        return GroupFilter(
            search=self.search,
            providers=[p.value for p in self.auth_provider or []],
            member_id=decode_id(self.member_id, "User", "memberId") if self.member_id else None,
            role=self.role,
            where=self.where.to_domain() if self.where else TRUE,
        )


@strawberry.enum(name="GroupOrderField", description="Sort keys of groups.")
class GroupOrderField(Enum):
    """What groups sort by (then by id)."""

    CREATED_AT = "CREATED_AT"
    DISPLAY_NAME = "DISPLAY_NAME"


@strawberry.input(name="GroupOrder", description="Ordering of groups.")
class GroupOrderInput(OrderInput):
    """orderBy of groups."""

    field: GroupOrderField = strawberry.field(
        default=GroupOrderField.DISPLAY_NAME, description="Sort key."
    )


def order_of(value: UserOrderInput | GroupOrderInput | None, default: str) -> Order:
    """The domain order of an orderBy input."""
    if value is None:
        return Order(default)
    return Order(value.field.value, value.direction is OrderDirection.DESC)


@strawberry.input(name="ProvisioningEventFilter", description="Conditions on provisioning events.")
class ProvisioningEventFilterInput:
    """Filter of provisioning events (and of the subscription)."""

    outcome: list[str] | None = strawberry.field(
        default=None, description="Any of SUCCESS, WARNING, ERROR."
    )
    resource_type: str | None = strawberry.field(default=None, description="User or Group.")
    resource_id: str | None = strawberry.field(default=None, description="Raw resource id.")
    since: DateTime | None = strawberry.field(default=None, description="At or after.")
    until: DateTime | None = strawberry.field(default=None, description="Before.")

    def to_domain(self) -> EventFilter:
        """The domain filter."""
        return EventFilter(
            outcomes=list(self.outcome or []),
            resource_type=self.resource_type,
            resource_id=self.resource_id,
            since=self.since,
            until=self.until,
        )


@strawberry.input(name="AuditLogFilter", description="Conditions on audit entries.")
class AuditLogFilterInput:
    """Filter of auditLog(filter:)."""

    actor: str | None = strawberry.field(
        default=None, description="Actor: raw or global user id, SCIM token id, or login/label."
    )
    target: str | None = strawberry.field(default=None, description="Target: raw or global id.")
    action: str | None = strawberry.field(
        default=None, description="Action, e.g. user.update; a trailing dot matches a prefix."
    )
    from_: DateTime | None = strawberry.field(name="from", default=None, description="At or after.")
    to: DateTime | None = strawberry.field(default=None, description="Before.")

    def to_domain(self) -> AuditFilter:
        """The domain filter (global ids are unwrapped)."""
        return AuditFilter(
            actor=_raw(self.actor),
            target=_raw(self.target),
            action=self.action,
            since=self.from_,
            until=self.to,
        )


def _raw(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_global_id(value)[1]
    except InvalidValue:
        return value
