"""Membership rules: set operations whose cost grows with the ids named, not the group size,
what one request's member operations do together, and the OWNER check after a removal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.db import Tx
from app.domain.access.roles import direct_roles, ensure_an_owner_remains
from app.domain.groups import store
from app.domain.types import Change, MembershipResult


@dataclass(slots=True)
class MemberChange:
    """Membership operations of one request, applied in order: replace, remove, add."""

    replace: Sequence[str] | None = None
    remove: Sequence[str] = ()
    add: Sequence[str] = ()


def unique(ids: Iterable[str]) -> list[str]:
    """The ids in first-seen order, without repeats."""
    return list(dict.fromkeys(ids))


async def add_members(
    tx: Tx, *, group_id: str, user_ids: Sequence[str], bump: bool = True
) -> MembershipResult:
    """Add live users to a group; unknown ids are reported, existing members are a no-op.

    ``bump=False`` leaves the group row (count, version) to the caller, which writes it once.
    """
    ids = unique(user_ids)
    result = MembershipResult()
    if not ids:
        return result
    known, added = await store.add_live_memberships(tx, group_id, ids)
    result.unknown = [i for i in ids if i not in known]
    result.added = [i for i in ids if i in added]
    if result.added and bump:
        await store.bump_group(tx, group_id, len(result.added))
    return result


async def remove_members(
    tx: Tx, *, group_id: str, user_ids: Sequence[str], bump: bool = True
) -> MembershipResult:
    """Remove users from a group; removing a non-member is a no-op (``bump``: see add_members)."""
    ids = unique(user_ids)
    result = MembershipResult()
    if not ids:
        return result
    result.removed = await store.delete_memberships(tx, group_id, ids)
    if result.removed and bump:
        await store.bump_group(tx, group_id, -len(result.removed))
    return result


async def replace_members(
    tx: Tx, *, group_id: str, user_ids: Sequence[str], bump: bool = True
) -> MembershipResult:
    """Make the membership exactly these (live) users (``bump``: see add_members)."""
    ids = unique(user_ids)
    removed = await store.delete_memberships(tx, group_id, ids, keep=True)
    if removed and bump:
        await store.bump_group(tx, group_id, -len(removed))
    result = await add_members(tx, group_id=group_id, user_ids=ids, bump=bump)
    result.removed = removed
    return result


async def apply_members(tx: Tx, group_id: str, change: MemberChange) -> MembershipResult:
    """The membership rows only: the caller writes the group row (count, version) once."""
    total = MembershipResult()
    if change.replace is not None:
        step = await replace_members(tx, group_id=group_id, user_ids=change.replace, bump=False)
        total.added += step.added
        total.removed += step.removed
        total.unknown += step.unknown
    if change.remove:
        step = await remove_members(tx, group_id=group_id, user_ids=change.remove, bump=False)
        total.removed += step.removed
    if change.add:
        step = await add_members(tx, group_id=group_id, user_ids=change.add, bump=False)
        total.added += step.added
        total.unknown += step.unknown
    return total


def members_change(result: MembershipResult) -> list[Change]:
    """The audit entry's change of members (none when the membership stayed)."""
    if not (result.added or result.removed):
        return []
    return [Change("members", result.removed or None, result.added or None)]


async def keep_an_owner(tx: Tx, group_id: str, result: MembershipResult) -> None:
    """After members left a group holding OWNER, an OWNER must remain (rule 10); raises
    LastOwner."""
    if result.removed and "OWNER" in await direct_roles(tx, group_id=group_id):
        await ensure_an_owner_remains(tx)


async def remove_user_from_all_groups(tx: Tx, *, user_id: str) -> list[str]:
    """Drop every membership of a user (soft delete); returns the group ids."""
    groups = await store.delete_user_memberships(tx, user_id)
    for group_id in groups:
        await store.bump_group(tx, group_id, -1)
    return groups
