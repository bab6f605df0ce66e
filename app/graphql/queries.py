# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Root query fields: parse, one domain read in the request's transaction, map."""

from __future__ import annotations

from dataclasses import replace

import strawberry

from app.db import Tx
from app.domain import directory
from app.domain.access.api_tokens import list_api_tokens
from app.domain.access.scim_tokens import provisioning_enabled
from app.domain.audit.entries import AuditFilter
from app.domain.audit.entries_store import (
    audit_entry_by_id,
    count_audit_entries,
    list_audit_entries,
)
from app.domain.directory import GroupFilter, UserFilter
from app.domain.groups.lookups import groups_by_ids
from app.domain.outbox.store import count_events_after, events_after
from app.domain.provisioning.events_store import provisioning_event_by_id
from app.domain.settings.authentication import get_auth_settings
from app.domain.users.store import find_user, find_user_by_login
from app.errors import InvalidValue
from app.graphql.context import Context, Info
from app.graphql.filters import (
    AuditLogFilterInput,
    GroupFilterInput,
    GroupOrderInput,
    UserFilterInput,
    UserOrderInput,
    order_of,
)
from app.graphql.ids import decode_id, parse_global_id
from app.graphql.prefetch import prefetch_users
from app.graphql.types.activity import ProvisioningEvent
from app.graphql.types.admin import ApiToken, AuthenticationSettings, Viewer
from app.graphql.types.audit import AuditEntry, AuditEntryConnection
from app.graphql.types.catalogue import ProfileAttribute
from app.graphql.types.common import Node, page_request
from app.graphql.types.enums import EventType
from app.graphql.types.events import EventConnection, page_size, parse_cursor
from app.graphql.types.groups import Group, GroupConnection
from app.graphql.types.links import linked, read_log
from app.graphql.types.provisioning import Provisioning
from app.graphql.types.relay import count_later
from app.graphql.types.users import User, UserConnection
from app.graphql.types.webhooks import WebhookQueries


async def _logged(ctx: Context, tx: Tx, type_name: str, raw: str) -> Node | None:
    """A user (live only), an audit entry or a provisioning event by raw id."""
    if type_name == "User":
        user = await find_user(tx, raw)
        return User.of(user, ctx) if user else None
    if type_name == "AuditEntry":
        entry = await audit_entry_by_id(tx, raw)
        return AuditEntry.of(entry, ctx.hidden) if entry else None
    event = await provisioning_event_by_id(tx, raw)
    return ProvisioningEvent.of(event) if event else None


@strawberry.type(name="Query", description="Reads of the admin API (any admin role).")
class Query(WebhookQueries):
    """Root query type."""

    @strawberry.field(description="The authenticated admin.")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.actor)

    @strawberry.field(description="Any object by its global id; null when it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, raw = parse_global_id(id)
        if type_name in ("User", "AuditEntry", "ProvisioningEvent"):
            async with info.context.read() as tx:
                return await _logged(info.context, tx, type_name, raw)
        return await linked(info, type_name, raw)

    @strawberry.field(description="Users as a Relay connection (keyset pages, capped size).")
    async def users(
        self,
        info: Info,
        *,
        filter: UserFilterInput | None = None,
        order_by: UserOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> UserConnection:
        domain_filter = replace(
            filter.to_domain() if filter else UserFilter(), hidden=info.context.hidden
        )
        window = page_request(info, first, after, last, before)
        async with info.context.read() as tx:
            page = await directory.list_users(
                tx, filter=domain_filter, order=order_of(order_by, "CREATED_AT"), page=window
            )

        count = count_later(info, lambda tx: directory.count_users(tx, filter=domain_filter))
        return await UserConnection.of(info, page, count)

    @strawberry.field(
        description="One live user by global id or by loginId (any case, any Unicode normal form)."
    )
    async def user(
        self, info: Info, id: strawberry.ID | None = None, login_id: str | None = None
    ) -> User | None:
        if (id is None) == (login_id is None):
            raise InvalidValue("pass exactly one of id and loginId", fields=["id", "loginId"])
        async with info.context.read() as tx:
            if id is not None:
                found = await find_user(tx, decode_id(id, "User"))
            else:
                found = await find_user_by_login(tx, login_id or "")
        if found is None:
            return None
        await prefetch_users(info, [found])
        return User.of(found, info.context)

    @strawberry.field(description="Groups as a Relay connection (keyset pages, capped size).")
    async def groups(
        self,
        info: Info,
        *,
        filter: GroupFilterInput | None = None,
        order_by: GroupOrderInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> GroupConnection:
        domain_filter = filter.to_domain() if filter else GroupFilter()
        window = page_request(info, first, after, last, before)
        async with info.context.read() as tx:
            page = await directory.list_groups(
                tx, filter=domain_filter, order=order_of(order_by, "DISPLAY_NAME"), page=window
            )

        count = count_later(info, lambda tx: directory.count_groups(tx, filter=domain_filter))
        return GroupConnection.of(page, count)

    @strawberry.field(description="One group by global id; null when it does not exist.")
    async def group(self, info: Info, id: strawberry.ID) -> Group | None:
        raw = decode_id(id, "Group")
        async with info.context.read() as tx:
            found = await groups_by_ids(tx, [raw])
        return Group.of(found[raw]) if raw in found else None

    @strawberry.field(description="The authentication settings (secret values never returned).")
    async def authentication_settings(self, info: Info) -> AuthenticationSettings:
        async with info.context.read() as tx:
            return AuthenticationSettings.of(await get_auth_settings(tx))

    @strawberry.field(description="The Profile Editor catalogue, in display order.")
    async def profile_attributes(self, info: Info) -> list[ProfileAttribute]:
        return [ProfileAttribute.of(a) for a in (await info.context.catalogue()).attributes]

    @strawberry.field(description="SCIM provisioning state, tokens, counters and event log.")
    async def provisioning(self, info: Info) -> Provisioning:
        async with info.context.read() as tx:
            enabled = await provisioning_enabled(tx)
        base = info.context.settings.base_url + "/scim/v2"
        return Provisioning(enabled=enabled, scim_base_url=base)

    @strawberry.field(description="Admin API tokens of every admin, newest first.")
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        async with info.context.read() as tx:
            return [ApiToken.of(t) for t in await list_api_tokens(tx)]

    @strawberry.field(
        description="Downstream events (rule 20), oldest first from a cursor: every committed"
        " change, numbered without gaps; the cursor is the event's sequence number."
    )
    async def events(
        self,
        info: Info,
        after: str | None = None,
        types: list[EventType] | None = None,
        first: int | None = None,
    ) -> EventConnection:
        start, size = parse_cursor(after), page_size(info, first)
        wanted = [t.value for t in types or ()]
        async with info.context.read() as tx:
            events = await events_after(tx, start, size + 1, wanted)

        async def count() -> int:
            async with info.context.read() as tx:
                return await count_events_after(tx, start, wanted)

        more = len(events) > size
        await info.context.catalogue()  # which attributes are HIDDEN from this reader
        return EventConnection.of(events[:size], more, start, count, info.context.hidden)

    @strawberry.field(description="The audit log, newest first.")
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection:
        domain_filter = filter.to_domain() if filter else AuditFilter()
        page, count = await read_log(
            info, domain_filter, (first, after), list_audit_entries, count_audit_entries
        )
        return AuditEntryConnection.of(page, count, info.context.hidden)
