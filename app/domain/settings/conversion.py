"""Converting IdP-owned users and groups to LOCAL (rule 11), record by record (settings
package: leaving an IdP, `app.domain.settings.authentication`, needs it; its SQL is in
`app.domain.settings.store`).

A record whose externalId a LOCAL record already holds (externalId is unique per owner, and a
deleted LOCAL user keeps its externalId for rule 8's restore) cannot become LOCAL; it is
reported, naming both records, and the others are converted. A dry run reports the same
without writing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from app.db import Row, Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, record_audit
from app.domain.settings import store
from app.domain.types import Actor, AuthProvider, Change
from app.domain.users.store import row_to_user, save_user


@dataclass(frozen=True, slots=True)
class Holder:
    """The LOCAL record that already holds an externalId."""

    id: str
    label: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Conversion:
    """One record: converted (in a dry run, would be), or why not, naming the colliding one."""

    target_type: str
    target_id: str
    label: str
    auth_provider: str
    converted: bool
    error: str | None = None
    conflicting_id: str | None = None


@dataclass(slots=True)
class ConversionReport:
    """Every record considered, users first, each in id order."""

    dry_run: bool
    items: list[Conversion] = field(default_factory=list)

    def converted(self, target_type: str) -> int:
        """How many records of this type were (or, in a dry run, would be) converted."""
        return sum(1 for c in self.items if c.converted and c.target_type == target_type)


async def _local_holders(tx: Tx, table: str, external_ids: list[str]) -> dict[str, Holder]:
    """LOCAL records of ``table`` holding these externalIds, by externalId (one statement)."""
    if not external_ids:
        return {}
    rows = await store.local_holder_rows(tx, table, external_ids)
    return {
        r["external_id"]: Holder(r["id"], r["label"], r["deleted_at"] is not None) for r in rows
    }


def _refusal(kind: str, label: str, external_id: str, holder: Holder) -> str:
    deleted = ", deleted" if holder.deleted else ""
    return (
        f"{kind} {label!r} stays with its IdP: LOCAL {kind} {holder.label!r}"
        f" (id {holder.id}{deleted}) already has externalId {external_id!r}"
    )


def _check(holders: dict[str, Holder], kind: str, row: Row, label: str) -> Conversion | None:
    """The refusal when a LOCAL record holds the row's externalId; otherwise this record
    claims it (two IdP records converted in one run cannot end up sharing it either)."""
    ext = row["external_id"]
    if ext is None:
        return None
    holder = holders.get(ext)
    if holder is None:
        holders[ext] = Holder(row["id"], label)
        return None
    reason = _refusal(kind, label, ext, holder)
    return Conversion(
        kind.capitalize(), row["id"], label, row["auth_provider"], False, reason, holder.id
    )


async def _make_user_local(tx: Tx, row: Row) -> None:
    user = row_to_user(row)
    await save_user(
        tx, replace(user, auth_provider=AuthProvider.LOCAL), expected_version=user.version
    )


async def _make_group_local(tx: Tx, row: Row) -> None:
    await store.make_group_local(tx, row["id"])


async def _convert(
    tx: Tx,
    actor: Actor,
    report: ConversionReport,
    kind: str,
    *,
    rows: list[Row],
    make_local: Callable[[Tx, Row], Awaitable[None]],
) -> None:
    """Convert the IdP-owned rows of one kind ("user" or "group"), each audited, and report
    each; a row whose externalId a LOCAL record holds is reported and skipped."""
    label_column = "login_id" if kind == "user" else "display_name"
    holders = await _local_holders(
        tx, f"{kind}s", [r["external_id"] for r in rows if r["external_id"]]
    )
    for row in rows:
        label, before = row[label_column], row["auth_provider"]
        refused = _check(holders, kind, row, label)
        if refused is not None:
            report.items.append(refused)
            continue
        if not report.dry_run:
            await make_local(tx, row)
            await record_audit(
                tx,
                actor=actor,
                action=f"{kind}.convertToLocal",
                target=AuditTarget(kind.capitalize(), row["id"], label),
                changes=[Change("authProvider", before, "LOCAL")],
            )
        report.items.append(Conversion(kind.capitalize(), row["id"], label, before, True))


async def convert_to_local(
    tx: Tx,
    *,
    actor: Actor,
    user_ids: Sequence[str] | None = None,
    include_groups: bool = True,
    dry_run: bool = False,
) -> ConversionReport:
    """Make IdP-owned users (all, or the given ones) and, for all, groups LOCAL, each audited.

    A record that cannot be converted is reported and the others are converted; ``dry_run``
    reports without writing. Raises Forbidden.
    """
    require_writer(actor)
    report = ConversionReport(dry_run=dry_run)
    users = await store.idp_user_rows(tx, user_ids)
    await _convert(tx, actor, report, "user", rows=users, make_local=_make_user_local)
    if include_groups and user_ids is None:
        groups = await store.idp_group_rows(tx)
        await _convert(tx, actor, report, "group", rows=groups, make_local=_make_group_local)
    return report
