"""The scenarios of `python -m bench.plans`: which domain calls it explains, with which values.

Each scenario is a domain function as one API request calls it (SCIM hot paths, and every
GraphQL list with each filter field alone); `SAMPLE` picks real values from the seeded data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from app.db import Database, Tx
from app.domain import audit, directory
from app.domain.access import roles
from app.domain.audit.entries import AuditFilter
from app.domain.audit.entries_store import list_audit_entries
from app.domain.clock import iso_in, new_id
from app.domain.directory import GroupFilter, Order, PageRequest, UserFilter, encode_cursor
from app.domain.groups import members, store
from app.domain.provisioning.events import record_provisioning_event
from app.domain.provisioning.events_store import list_provisioning_events
from app.domain.provisioning.model import EventFilter
from app.domain.types import Actor, ActorKind
from app.domain.users import store as users_store
from app.domain.users.service import set_user_status
from app.scim.filters import parse_group_filter, parse_user_filter

Work = Callable[..., Awaitable[Any]]
# Values of the seeded data the scenarios use; each query may use the values found before it.
SAMPLE = (
    "SELECT count(*) / 2 AS half FROM users WHERE deleted_at IS NULL",
    "SELECT id AS mid, login_id AS login, created_at AS created FROM users"
    " WHERE deleted_at IS NULL ORDER BY id OFFSET :half LIMIT 1",
    "SELECT id AS gid, display_name AS group_name, member_count / 2 AS members FROM groups"
    " ORDER BY member_count DESC, id LIMIT 1",
    "SELECT user_id AS mid_member FROM memberships WHERE group_id = :gid ORDER BY user_id"
    " OFFSET :members LIMIT 1",
    "SELECT (SELECT min(updated_at) FROM users WHERE status = 'INACTIVE') AS changed,"
    " (SELECT actor_id FROM audit_entries WHERE actor_type = 'ADMIN' LIMIT 1) AS admin,"
    " (SELECT count(*) FROM provisioning_events) AS logged",
    "SELECT min(at) AS since, max(at) AS until FROM (SELECT at FROM provisioning_events"
    " ORDER BY at OFFSET :logged / 2 LIMIT :logged / 100) AS w",
    "SELECT array_agg(id) AS non_members FROM (SELECT id FROM users u WHERE deleted_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.group_id = :gid)"
    " ORDER BY id LIMIT 100) AS n",
)


@dataclass
class Scenario:
    """A domain call as one API request makes it; after `measure`, what it measured."""

    name: str
    work: Work
    writes: bool = False
    best_ms: float = 0.0
    outcome: str = ""
    plans: list[tuple[str, str]] = field(default_factory=list)


def scim_scenarios(s: dict[str, Any]) -> list[Scenario]:
    """The SCIM hot paths: get, filters, a deep page, a member page, a member add."""
    cat, ext, deep = s["catalogue"], "ext-" + s["login"].split("@")[0], s["half"] * 2 - 100

    async def users(tx: Tx, **search: Any) -> Any:
        return await directory.UserSearch(catalogue=cat, **search).with_groups(tx)

    eq = [f'userName eq "{s["login"]}"', f'externalId eq "{ext}"']
    named = f'displayName eq "{s["group_name"]}"'
    page = partial(store.member_page, group_id=s["gid"], after=s["mid_member"])
    add = partial(members.add_members, group_id=s["gid"], user_ids=s["non_members"])
    groups = directory.search_groups
    return [
        Scenario("SCIM GET /Users/{id}", partial(users_store.user_with_groups, user_id=s["mid"])),
        *(Scenario(f"SCIM Users {f}", partial(users, where=parse_user_filter(f, cat))) for f in eq),
        Scenario(f"SCIM Users offset {deep}", partial(users, where=directory.TRUE, offset=deep)),
        Scenario("SCIM members of the big group: 1000 after a mid id", partial(page, limit=1000)),
        Scenario("SCIM PATCH: add 100 members to the big group", add, writes=True),
        Scenario(f"SCIM Groups {named}", partial(groups, where=parse_group_filter(named))),
    ]


def filter_cases(s: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(list, label, filter): each filter field alone, valued to match a few rows or most."""
    window = {"since": s["since"], "until": s["until"]}
    return [
        ("users", "none", UserFilter()),
        ("users", "search '4242'", UserFilter(search="4242")),
        ("users", f"search {s['login']!r}", UserFilter(search=s["login"])),
        ("users", "search 'user 1'", UserFilter(search="user 1")),
        ("users", "status INACTIVE", UserFilter(statuses=["INACTIVE"])),
        ("users", "authProvider OKTA", UserFilter(providers=["OKTA"])),
        ("users", "groupId (the big group)", UserFilter(group_id=s["gid"])),
        ("users", "role ADMIN (direct grants)", UserFilter(role="ADMIN")),
        ("users", "role VIEWER (through the big group)", UserFilter(role="VIEWER")),
        ("users", "attribute lastName = '4242'", UserFilter(attribute=("lastName", "4242"))),
        ("users", "createdAfter a day ago", UserFilter(created_from=iso_in(-1))),
        ("users", "createdBefore a day ago", UserFilter(created_to=iso_in(-1))),
        ("users", "updatedAfter the admin writes", UserFilter(updated_from=s["changed"])),
        ("users", "updatedBefore the admin writes", UserFilter(updated_to=s["changed"])),
        ("groups", "search 'group-0'", GroupFilter(search="group-0")),
        ("groups", "authProvider OKTA", GroupFilter(providers=["OKTA"])),
        ("groups", "memberId (a member)", GroupFilter(member_id=s["mid"])),
        ("groups", "role VIEWER", GroupFilter(role="VIEWER")),
        ("auditLog", "actor (the admin: the newest entries)", AuditFilter(actor=s["admin"])),
        ("auditLog", "actor 'system' (the oldest entries)", AuditFilter(actor="system")),
        ("auditLog", "target (a user)", AuditFilter(target=s["mid"])),
        ("auditLog", "action user.deactivate", AuditFilter(action="user.deactivate")),
        ("auditLog", "action 'role.' (a prefix)", AuditFilter(action="role.")),
        ("auditLog", "from/to (1 % of the log)", AuditFilter(**window)),
        ("events", "outcome ERROR", EventFilter(outcomes=["ERROR"])),
        ("events", "resourceType Group", EventFilter(resource_type="Group")),
        ("events", "resourceType Bulk (none logged)", EventFilter(resource_type="Bulk")),
        ("events", "resourceId (a user)", EventFilter(resource_id=s["mid"])),
        ("events", "since/until (1 % of the log)", EventFilter(**window)),
    ]


def graphql_scenarios(s: dict[str, Any]) -> list[Scenario]:
    """The GraphQL lists (first 50) with each filter case, the user orders, a mid cursor."""
    page = PageRequest(first=50)
    users = partial(directory.list_users, page=page)
    groups = partial(directory.list_groups, order=Order("DISPLAY_NAME"), page=page)
    count = directory.count_users
    lists: dict[str, list[tuple[str, Work]]] = {
        "users": [("users", partial(users, order=Order())), ("users.totalCount", count)],
        "groups": [("groups", groups)],
        "auditLog": [("auditLog", partial(list_audit_entries, page=page))],
        "events": [("provisioning.events", partial(list_provisioning_events, page=page))],
    }
    out = [
        Scenario(f"{name}(filter: {label})", partial(work, filter=f))
        for kind, label, f in filter_cases(s)
        for name, work in lists[kind]
    ]
    everyone = partial(users, filter=UserFilter())
    after = PageRequest(first=50, after=encode_cursor(s["created"], s["mid"]))
    for name, order, window in (
        ("orderBy: UPDATED_AT", Order("UPDATED_AT"), page),
        ("orderBy: LOGIN_ID", Order("LOGIN_ID"), page),
        ("orderBy: CREATED_AT DESC", Order(descending=True), page),
        ("after: a mid cursor", Order(), after),
    ):
        out.append(Scenario(f"users({name})", partial(everyone, order=order, page=window)))
    return out


async def add_log(db: Database, ids: list[str], group: str) -> None:
    """What an IdP's initial sync of the directory logs: an event per user (every 20th a group
    PATCH, every 100th a failure) and an audit entry per success; then an admin's writes."""
    scim = Actor(ActorKind.SCIM, new_id(), "okta")
    for start in range(0, len(ids), 5000):
        async with db.transaction() as tx:
            for k, uid in enumerate(ids[start : start + 5000], start):
                kind, rid = ("Group", group) if k % 20 == 0 else ("User", uid)
                err = "userName is already taken" if k % 100 == 1 else None
                await record_provisioning_event(
                    tx, token_id=scim.id, method="PATCH" if kind == "Group" else "POST",
                    resource_type=kind, resource_id=rid, external_id=None,
                    outcome="ERROR" if err else "SUCCESS", status_code=409 if err else 201,
                    error_detail=err, duration_ms=1.0, request_id=None,
                )  # fmt: skip
                action = "group.update" if kind == "Group" else "user.create"
                if not err:
                    await audit.record_audit(
                        tx, actor=scim, action=action, target=audit.AuditTarget(kind, rid)
                    )
    admin = Actor(ActorKind.ADMIN, ids[0], "plans-admin", frozenset({"OWNER"}))
    async with db.transaction() as tx:
        await roles.grant_roles(tx, actor=admin, roles=["ADMIN"], user_ids=ids[1:6])
        await roles.grant_roles(tx, actor=admin, roles=["VIEWER"], group_ids=[group])
        for uid in ids[-200:]:
            await set_user_status(tx, actor=admin, user_id=uid, active=False, reason="left")
