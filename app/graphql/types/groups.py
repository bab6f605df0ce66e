# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""The Group type: identity, members (keyset pages), roles and capabilities."""

from __future__ import annotations

from functools import lru_cache

import strawberry

from app.domain.access.capabilities import Capability, viewer_can, viewer_cannot_update_reasons
from app.domain.access.decision import Target, group_view
from app.domain.directory import Page, PageRequest, decode_cursor, encode_cursor
from app.domain.types import GroupRecord
from app.graphql.context import Info
from app.graphql.scalars import DateTime
from app.graphql.types.common import PageInfo
from app.graphql.types.relay import Connection, Count, parts
from app.graphql.types.users import (
    CannotUpdateReason,
    RecordFields,
    UserConnection,
    reasons_of,
    record_fields,
)


@strawberry.type(name="Group", description="A set of users; roles granted to it reach members.")
class Group(RecordFields):
    """A group."""

    record: strawberry.Private[GroupRecord]
    display_name: str = strawberry.field(description="Name, unique case-insensitively.")
    external_id: str | None = strawberry.field(description="The IdP's id of this group.")
    member_count: int = strawberry.field(description="Number of members.")
    created_at: DateTime = strawberry.field(description="When the group was created.")
    updated_at: DateTime = strawberry.field(description="When the group last changed.")
    last_provisioned_at: DateTime | None = strawberry.field(
        description="When an IdP last wrote this group over SCIM."
    )

    @staticmethod
    def of(rec: GroupRecord) -> Group:
        """The GraphQL view of a stored group."""
        return Group(
            display_name=rec.display_name,
            member_count=rec.member_count,
            **record_fields("Group", rec),
        )

    @strawberry.field(
        description="Members in user id order (keyset pages; totalCount = memberCount)."
    )
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        cap = info.context.settings.graphql_max_page_size
        size = _size(first, cap)
        after_id = decode_cursor(after, "after")[1] if after else None
        key = (self.record.id, after_id, size + 1)
        users = await info.context.loaders.group_members.load(key)
        return await UserConnection.from_records(
            info, users[:size], len(users) > size, self.record.member_count
        )

    @strawberry.field(description="Roles granted to this group (members hold them too).")
    async def roles(self, info: Info) -> list[str]:
        return await info.context.loaders.group_roles.load(self.record.id)

    # Each is the domain's answer (app.domain.access.capabilities), as the mutations' `require`.

    @strawberry.field(description="The viewer may rename this group and change its members.")
    async def viewer_can_update(self, info: Info) -> bool:
        return viewer_can(info.context.actor, Capability.UPDATE_GROUP, await self._target(info))

    @strawberry.field(
        description="The viewer may delete this group (LOCAL groups; one holding OWNER: an OWNER)."
    )
    async def viewer_can_delete(self, info: Info) -> bool:
        return viewer_can(info.context.actor, Capability.DELETE_GROUP, await self._target(info))

    @strawberry.field(description="The viewer may grant and revoke roles of this group.")
    async def viewer_can_grant_roles(self, info: Info) -> bool:
        return viewer_can(
            info.context.actor, Capability.GRANT_GROUP_ROLES, await self._target(info)
        )

    @strawberry.field(description="Why the viewer cannot change this group.")
    async def viewer_cannot_update_reasons(self, info: Info) -> list[CannotUpdateReason]:
        target = await self._target(info)
        return reasons_of(viewer_cannot_update_reasons(info.context.actor, target))

    async def _target(self, info: Info) -> Target:
        roles = await info.context.loaders.group_roles.load(self.record.id)
        return group_view(self.record, roles)


@lru_cache(maxsize=128)
def _size(first: int | None, cap: int) -> int:
    """The page size for ``first`` (memoised: every user of a page asks the same)."""
    return PageRequest(first=first, max_size=cap).size()


@strawberry.type(name="GroupConnection", description="A page of groups (Relay connection).")
class GroupConnection(Connection[Group]):
    """Relay connection over groups; edges are built only when selected."""

    @staticmethod
    def of(page: Page[GroupRecord], count: Count) -> GroupConnection:
        """A connection over a domain page."""
        return GroupConnection(nodes=[Group.of(g) for g in page.items], count=count, **parts(page))

    @staticmethod
    def from_list(
        info: Info, groups: list[GroupRecord], first: int | None, after: str | None
    ) -> GroupConnection:
        """A page over a user's groups, already loaded in id order.

        Users in the same groups share one connection, and each group's view is built once a
        request.
        """
        ctx = info.context
        key = (*(g.id for g in groups), first, after)
        page: GroupConnection | None = ctx.group_pages.get(key)
        if page is None:
            page = ctx.group_pages[key] = _group_page(info, groups, first, after)
        return page


def _group_page(
    info: Info, groups: list[GroupRecord], first: int | None, after: str | None
) -> GroupConnection:
    size = _size(first, info.context.settings.graphql_max_page_size)
    rest = groups
    if after:
        after_id = decode_cursor(after, "after")[1]
        rest = [g for g in groups if g.id > after_id]
    views = info.context.group_views
    nodes, cursors = [], []
    for g in rest[:size]:
        view = views.get(g.id)
        if view is None:
            view = views[g.id] = (Group.of(g), encode_cursor(g.id, g.id))
        nodes.append(view[0])
        cursors.append(view[1])
    page_info = PageInfo(
        has_next_page=len(rest) > size,
        has_previous_page=bool(after),
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return GroupConnection(
        nodes=nodes, page_info=page_info, edge_cursors=cursors, count=len(groups)
    )
