# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""The User type: identity, lifecycle, every built-in attribute, and capabilities as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from app.domain.access.capabilities import (
    Capability,
    editable_attributes,
    viewer_can,
    viewer_cannot_update_reasons,
)
from app.domain.access.decision import Denial, Target, user_view
from app.domain.directory import Page, encode_cursor
from app.domain.settings.catalogue import Catalogue
from app.domain.types import AuthProvider, GroupRecord, UserRecord, UserStatus
from app.domain.users.service import locked_fields as idp_locked_fields
from app.domain.users.visibility import visible_profile
from app.graphql.context import Context, Info
from app.graphql.ids import to_global_id
from app.graphql.prefetch import Later, prefetch_users
from app.graphql.scalars import DateTime
from app.graphql.types.builtin import BuiltinProfile, builtin_values
from app.graphql.types.catalogue import ProfileAttributeValue, ValueSource
from app.graphql.types.common import ExactType, Node
from app.graphql.types.locks import LockFields
from app.graphql.types.refs import GroupConnectionRef, group_connection_type
from app.graphql.types.relay import Connection, Count, parts

T = TypeVar("T")


# Enum members by stored value: a dict lookup per user instead of an Enum call.
PROVIDERS = {p.value: p for p in AuthProvider}


def record_fields(type_name: str, rec: UserRecord | GroupRecord) -> dict[str, Any]:
    """The fields a User and a Group view take alike from their stored record."""
    provisioned = rec.last_provisioned_at
    return {
        "record": rec,
        "id": strawberry.ID(to_global_id(type_name, rec.id)),
        "database_id": rec.id,
        "external_id": rec.external_id,
        "auth_provider": PROVIDERS[rec.auth_provider],
        "version": rec.version,
        "created_at": DateTime(rec.created_at),
        "updated_at": DateTime(rec.updated_at),
        "last_provisioned_at": DateTime(provisioned) if provisioned else None,
    }


@strawberry.type(name="RecordFields", description="What a User and a Group both show.")
class RecordFields(Node, ExactType):
    """The fields a User and a Group declare alike (`record_fields` fills them)."""

    database_id: str = strawberry.field(description="The raw UUID (the SCIM resource id).")
    auth_provider: AuthProvider = strawberry.field(description="Owner: LOCAL or an IdP.")
    version: int = strawberry.field(description="Grows with every write (the SCIM ETag).")


_STATUSES = {s.value: s for s in UserStatus}


@strawberry.enum(name="CannotUpdateReason", description="Why the viewer cannot change a record.")
class CannotUpdateReason(Enum):
    """Reasons listed by viewerCannotUpdateReasons."""

    INSUFFICIENT_ROLE = "INSUFFICIENT_ROLE"
    MANAGED_BY_IDP = "MANAGED_BY_IDP"
    DELETED = "DELETED"


def owner_decision(info: Info, rec: UserRecord, decide: Callable[[Target], T]) -> T | Awaitable[T]:
    """``decide`` on the domain's view of the user: at once when the page's roles were
    prefetched, else once its roles are loaded (whether it holds OWNER matters, rule 14)."""
    ctx = info.context
    roles = ctx.user_roles.get(rec.id)
    if roles is not None:
        return decide(user_view(ctx.actor, rec, roles.effective))

    async def later() -> T:
        loaded = await ctx.loaders.user_roles.load(rec.id)
        return decide(user_view(ctx.actor, rec, loaded.effective))

    return Later(later)


def reasons_of(denials: list[Denial]) -> list[CannotUpdateReason]:
    """The GraphQL enum values of the domain's denials."""
    return [CannotUpdateReason(d.value) for d in denials]


def _profile_values(
    info: Info, user: UserRecord, catalogue: Catalogue
) -> list[ProfileAttributeValue]:
    locked = idp_locked_fields(user, catalogue)
    editable = editable_attributes(
        info.context.actor, user, (a.name for a in catalogue.attributes), locked
    )
    idp = not user.is_local
    profile = visible_profile(user.profile, info.context.hidden)
    return [
        ProfileAttributeValue(
            name=a.name,
            display_name=a.display_name,
            datatype=a.datatype,
            value=JSON(user.login_id if a.name == "loginId" else profile.get(a.name)),
            source=ValueSource.IDP if idp and a.name in locked else ValueSource.LOCAL,
            editable=a.name in editable,
            visible=a.status.value == "VISIBLE",
        )
        for a in catalogue.attributes
    ]


@strawberry.type(name="User", description="A person in the ledger.")
class User(RecordFields, BuiltinProfile, LockFields):
    """A user; built-in attribute fields are null when unset."""

    record: strawberry.Private[UserRecord]
    login_id: str = strawberry.field(description="Login name (SCIM userName), unique.")
    external_id: str | None = strawberry.field(description="The IdP's id of this user.")
    status: UserStatus = strawberry.field(description="ACTIVE or INACTIVE.")
    status_reason: str | None = strawberry.field(description="Reason of the last status change.")
    notes: str | None = strawberry.field(description="Admin notes (always locally editable).")
    created_at: DateTime = strawberry.field(description="When the user was created.")
    updated_at: DateTime = strawberry.field(description="When the user last changed.")
    last_provisioned_at: DateTime | None = strawberry.field(
        description="When an IdP last wrote this user over SCIM."
    )
    deleted_at: DateTime | None = strawberry.field(
        description="When the user was soft-deleted (only listed with includeDeleted)."
    )

    @staticmethod
    def of(rec: UserRecord, ctx: Context) -> User:
        """The GraphQL view of a stored user (roles from the request's prefetch, else later)."""
        roles = ctx.user_roles.get(rec.id)
        return User(
            login_id=rec.login_id,
            status=_STATUSES[rec.status],
            status_reason=rec.status_reason,
            notes=rec.notes,
            deleted_at=DateTime(rec.deleted_at) if rec.deleted_at else None,
            roles=roles.direct if roles is not None else _later_roles(ctx, rec.id, False),
            effective_roles=roles.effective
            if roles is not None
            else _later_roles(ctx, rec.id, True),
            **record_fields("User", rec),
            **builtin_values(visible_profile(rec.profile, ctx.hidden)),  # type: ignore[arg-type]
        )

    # Resolvers below answer synchronously from what prefetch_users loaded for the page, and
    # hand the executor an awaitable (the DataLoader path) only for users built elsewhere.

    def _profile(self, info: Info) -> list[ProfileAttributeValue]:
        catalogue = info.context.cached_catalogue
        if catalogue is None:
            return cast(list[ProfileAttributeValue], _later_profile(info, self.record))
        return _profile_values(info, self.record, catalogue)

    # Annotated (not decorated) so that the published SDL keeps its field order.
    profile: list[ProfileAttributeValue] = strawberry.field(
        resolver=_profile,
        description="Every catalogue attribute with its value, source, editability.",
    )
    roles: list[str] = strawberry.field(description="Roles granted directly to this user.")
    effective_roles: list[str] = strawberry.field(
        description="Roles held directly or through any group."
    )

    @strawberry.field(description="Groups the user belongs to, in id order.")
    def groups(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> GroupConnectionRef:
        groups = info.context.user_groups.get(self.record.id)
        if groups is None:
            return cast(GroupConnectionRef, _later_groups(info, self.record.id, first, after))
        return group_connection_type().from_list(info, groups, first, after)

    # Each is the domain's answer (app.domain.access.capabilities), as the mutations' `require`.

    @strawberry.field(
        description="The viewer may change some of this user (see profile.editable, lockedFields)."
    )
    def viewer_can_update(self, info: Info) -> bool:
        return self._can(info, Capability.UPDATE_USER)

    @strawberry.field(
        description="The viewer may delete this user (LOCAL users; one holding OWNER: an OWNER)."
    )
    def viewer_can_delete(self, info: Info) -> bool:
        return self._can(info, Capability.DELETE_USER)

    @strawberry.field(
        description="The viewer may deactivate or reactivate this user, IdP-owned ones included"
        " (one holding OWNER: an OWNER)."
    )
    def viewer_can_change_status(self, info: Info) -> bool:
        return self._can(info, Capability.CHANGE_USER_STATUS)

    @strawberry.field(description="Why some or all of this user cannot be changed by the viewer.")
    def viewer_cannot_update_reasons(self, info: Info) -> list[CannotUpdateReason]:
        actor = info.context.actor
        return cast(
            list[CannotUpdateReason],
            owner_decision(
                info,
                self.record,
                lambda t: reasons_of(viewer_cannot_update_reasons(actor, t)),
            ),
        )

    def _can(self, info: Info, capability: Capability) -> bool:
        actor = info.context.actor
        return cast(
            bool, owner_decision(info, self.record, lambda t: viewer_can(actor, capability, t))
        )

    @strawberry.field(description="Fields the user's IdP owns: updateUser refuses to change them.")
    async def locked_fields(self, info: Info) -> list[str]:
        return sorted(idp_locked_fields(self.record, await info.context.catalogue()))


async def _later_profile(info: Info, user: UserRecord) -> list[ProfileAttributeValue]:
    return _profile_values(info, user, await info.context.catalogue())


def _later_roles(ctx: Context, user_id: str, effective: bool) -> list[str]:
    async def load() -> list[str]:
        roles = await ctx.loaders.user_roles.load(user_id)
        return roles.effective if effective else roles.direct

    return cast(list[str], Later(load))


async def _later_groups(
    info: Info, user_id: str, first: int | None, after: str | None
) -> GroupConnectionRef:
    groups = await info.context.loaders.user_groups.load(user_id)
    return group_connection_type().from_list(info, groups, first, after)


@strawberry.type(name="UserConnection", description="A page of users (Relay connection).")
class UserConnection(Connection[User]):
    """Relay connection over users; edges are built only when selected."""

    @staticmethod
    async def of(info: Info, page: Page[UserRecord], count: Count) -> UserConnection:
        """A connection over a domain page (prefetching what the selection needs)."""
        await prefetch_users(info, page.items)
        ctx = info.context
        return UserConnection(
            nodes=[User.of(u, ctx) for u in page.items], count=count, **parts(page)
        )

    @staticmethod
    async def from_records(
        info: Info, users: list[UserRecord], has_next: bool, total: int
    ) -> UserConnection:
        """A connection over members read with a user-id keyset."""
        cursors = [encode_cursor(u.id, u.id) for u in users]
        page = Page(users, cursors, has_next, False)
        return await UserConnection.of(info, page, total)
