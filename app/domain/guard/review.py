"""What admins do with the guard (rule 19): read it, set it, release or discard held writes.

Releasing applies each held write, in the order the IdP sent it, through the same domain
function as the SCIM write would have, as the SCIM token that sent it, so every rule still
holds; each runs in its own savepoint and may fail on its own (the user was deleted meanwhile):
it is reported, never forced. Released and discarded writes are dropped; when none is left,
the guard re-arms with a fresh window.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.db import Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, record_audit
from app.domain.directory.pager import Keyset, Page, PageRequest, fetch_page
from app.domain.groups.members import MemberChange
from app.domain.groups.provisioning import provision_update_group
from app.domain.guard import counts, store
from app.domain.guard.leases import book_for
from app.domain.guard.model import (
    GuardSettings,
    GuardState,
    GuardStatus,
    HeldKind,
    HeldWrite,
    ReleaseOutcome,
)
from app.domain.guard.rules import window_start
from app.domain.types import Actor, ActorKind, Change
from app.domain.users.provisioning import (
    ProvisionedUser,
    provision_delete_user,
    provision_update_user,
)
from app.errors import InvalidValue, RosterError

_HELD = f"SELECT {store.HELD_COLUMNS} FROM guard_held"
_ORDER = Keyset("first_at", "id")
MAX_WINDOW_MINUTES = 7 * 24 * 60


async def guard_status(tx: Tx) -> GuardStatus:
    """The settings, the state, the threshold now and the counts."""
    settings, state, tripped_at = await store.read_guard(tx)
    counted, deleted, version = await counts.read_window(tx, window_start(settings))
    threshold = settings.threshold(await counts.live_idp_users(tx, version) + deleted)
    shown = state if settings.enabled else GuardState.OFF
    held = await store.count_held(tx)
    return GuardStatus(settings, shown, tripped_at, threshold, counted, held)


async def list_held(tx: Tx, *, page: PageRequest) -> Page[HeldWrite]:
    """Held writes, first held first; raises InvalidValue (cursor, page size)."""
    return await fetch_page(
        tx,
        select=_HELD,
        where=[],
        params={},
        keyset=_ORDER,
        page=page,
        row_map=store.held_from_row,
    )


async def _apply(tx: Tx, held: HeldWrite) -> None:
    """Apply one held write as its SCIM token would have."""
    name = await store.token_name(tx, held.token_id)
    actor = Actor(ActorKind.SCIM, held.token_id, f"scim:{name}", request_id=held.request_id)
    p = held.payload
    if held.kind is HeldKind.DELETE_USER:
        await provision_delete_user(tx, actor=actor, user_id=held.resource_id)
    elif held.kind is HeldKind.DEACTIVATE_USER:
        data = ProvisionedUser(
            p.get("login_id"),
            p.get("external_id"),
            p.get("active"),
            dict(p.get("profile") or {}),
            frozenset(p.get("touch") or ()),
            p.get("scim_extras"),
        )
        await provision_update_user(tx, actor=actor, user_id=held.resource_id, data=data)
    else:
        change = MemberChange(p.get("replace"), p.get("remove") or (), p.get("add") or ())
        await provision_update_group(
            tx,
            actor=actor,
            group_id=held.resource_id,
            display_name=p.get("display_name"),
            external_id=p.get("external_id"),
            set_external_id=bool(p.get("set_external_id")),
            members=change,
        )


async def _settle(tx: Tx, actor: Actor, action: str, done: Sequence[HeldWrite]) -> None:
    """Drop ``done``, audit it, and re-arm when nothing is held any more."""
    await store.drop_held(tx, [h.id for h in done])
    await record_audit(
        tx,
        actor=actor,
        action=action,
        target=AuditTarget("Provisioning", None, "deprovisioning guard"),
        changes=[Change("heldWrites", len(done), None)],
    )
    if not await store.count_held(tx):
        await store.write_state(tx, GuardState.ARMED, None)
        await counts.clear_counted(tx)


async def _held_for_review(tx: Tx, actor: Actor, ids: Sequence[str] | None) -> list[HeldWrite]:
    """The held writes (all, or ``ids``) in their order, under the guard's lock (writers only)."""
    require_writer(actor)
    await store.read_guard(tx, lock=True)
    return await store.held_in_order(tx, ids)


async def release_held(
    tx: Tx, *, actor: Actor, ids: Sequence[str] | None = None
) -> list[ReleaseOutcome]:
    """Apply the held writes (all, or ``ids``) in their order, audited as guard.release."""
    held = await _held_for_review(tx, actor, ids)
    outcomes: list[ReleaseOutcome] = []
    for write in held:
        try:
            async with tx.savepoint():
                await _apply(tx, write)
        except RosterError as exc:
            outcomes.append(ReleaseOutcome(write, False, exc.message))
        else:
            outcomes.append(ReleaseOutcome(write, True))
    await _settle(tx, actor, "guard.release", held)
    return outcomes


async def discard_held(
    tx: Tx, *, actor: Actor, ids: Sequence[str] | None = None
) -> list[HeldWrite]:
    """Drop the held writes (all, or ``ids``) unapplied, audited as guard.discard."""
    held = await _held_for_review(tx, actor, ids)
    await _settle(tx, actor, "guard.discard", held)
    return held


def _check(settings: GuardSettings) -> None:
    if not 0 < settings.percent <= 100:
        raise InvalidValue("percent must be above 0 and at most 100", fields=["percent"])
    if settings.minimum < 1:
        raise InvalidValue("minimum must be at least 1", fields=["minimum"])
    if not 1 <= settings.window_minutes <= MAX_WINDOW_MINUTES:
        raise InvalidValue(
            f"windowMinutes must be from 1 to {MAX_WINDOW_MINUTES}", fields=["windowMinutes"]
        )


async def update_guard_settings(tx: Tx, *, actor: Actor, settings: GuardSettings) -> GuardStatus:
    """Store new settings, audited as guard.update; raises InvalidValue, Forbidden."""
    require_writer(actor)
    _check(settings)
    before, _, _ = await store.read_guard(tx, lock=True)
    await counts.drain_leases(tx, book_for(tx))
    await store.write_settings(tx, settings)
    changes = [
        Change(name, old, new)
        for name, old, new in (
            ("enabled", before.enabled, settings.enabled),
            ("percent", before.percent, settings.percent),
            ("minimum", before.minimum, settings.minimum),
            ("windowMinutes", before.window_minutes, settings.window_minutes),
        )
        if old != new
    ]
    if changes:
        await record_audit(
            tx,
            actor=actor,
            action="guard.update",
            target=AuditTarget("Provisioning", None, "deprovisioning guard"),
            changes=changes,
        )
    return await guard_status(tx)
