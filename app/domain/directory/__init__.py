"""The directory query engine: one way to select, order and page users and groups.

Both adapters speak the same predicate language (`predicates`): the SCIM layer builds it from a
filter, the GraphQL layer from its ``filter:`` input (`admin`). One set of fields (`fields`)
names what may be compared and holds its SQL; one compiler (`compiler`) turns a predicate into a
two-valued SQL condition with bound values; one keyset pager (`pager`) reads every page after or
before a position, which one codec (`cursor`) makes opaque (SCIM signs and dates it,
app.scim.cursors); offset pages (SCIM ``startIndex``) and counts use the same conditions
(`search`). Every statement is assembled in `store`.
"""

from __future__ import annotations

from app.domain.directory.admin import (
    GroupFilter,
    Order,
    UserFilter,
    count_groups,
    count_users,
    group_predicate,
    list_groups,
    list_users,
    user_predicate,
)
from app.domain.directory.cursor import Position, decode_cursor, encode_cursor
from app.domain.directory.pager import Page, PageRequest, Seek, SeekPage
from app.domain.directory.predicates import (
    FALSE,
    OPS,
    TRUE,
    And,
    Compare,
    Const,
    Not,
    Op,
    Or,
    Predicate,
    Present,
    Scalar,
    and_,
    has_member,
    member_of,
    not_,
    or_,
)
from app.domain.directory.search import (
    GROUP_SORTS,
    USER_SORTS,
    GroupPairs,
    UserSearch,
    search_groups,
    search_users,
    seek_groups,
    seek_users,
)

__all__ = [
    "FALSE",
    "GROUP_SORTS",
    "OPS",
    "TRUE",
    "USER_SORTS",
    "And",
    "Compare",
    "Const",
    "GroupFilter",
    "GroupPairs",
    "Not",
    "Op",
    "Or",
    "Order",
    "Page",
    "PageRequest",
    "Position",
    "Predicate",
    "Present",
    "Scalar",
    "Seek",
    "SeekPage",
    "UserFilter",
    "UserSearch",
    "and_",
    "count_groups",
    "count_users",
    "decode_cursor",
    "encode_cursor",
    "group_predicate",
    "has_member",
    "list_groups",
    "list_users",
    "member_of",
    "not_",
    "or_",
    "search_groups",
    "search_users",
    "seek_groups",
    "seek_users",
    "user_predicate",
]
