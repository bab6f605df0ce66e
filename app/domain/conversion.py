"""Converting IdP-owned users and groups to LOCAL (rule 11), record by record.

A record whose externalId a LOCAL record already holds (externalId is unique per owner, and a
deleted LOCAL user keeps its externalId for rule 8's restore) cannot become LOCAL; it is
reported, naming both records, and the others are converted. A dry run reports the same
without writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.db import Row, Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import record_audit
from app.domain.clock import now_iso
from app.domain.types import Actor, AuthProvider, Change
from app.domain.users.store import USER_COLUMNS, row_to_user, save_user


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


async def _user_rows(tx: Tx, user_ids: Sequence[str] | None) -> list[Row]:
    where = "auth_provider <> 'LOCAL' AND deleted_at IS NULL"
    if user_ids is None:
        return await tx.fetch(f"SELECT {USER_COLUMNS} FROM users WHERE {where} ORDER BY id")
    d = tx.dialect
    return await tx.fetch(
        f"SELECT {USER_COLUMNS} FROM users WHERE {d.in_list('id', 'ids')} AND {where} ORDER BY id",
        {"ids": d.list_param(list(user_ids))},
    )


async def _local_holders(tx: Tx, table: str, external_ids: list[str]) -> dict[str, Holder]:
    """LOCAL records of ``table`` holding these externalIds, by externalId (one statement)."""
    if not external_ids:
        return {}
    d = tx.dialect
    label, deleted = ("login_id", "deleted_at") if table == "users" else ("display_name", "NULL")
    rows = await tx.fetch(
        f"SELECT external_id, id, {label} AS label, {deleted} AS deleted_at FROM {table}"
        f" WHERE auth_provider = 'LOCAL' AND {d.in_list('external_id', 'ext')}",
        {"ext": d.list_param(external_ids)},
    )
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


async def _convert_users(tx: Tx, actor: Actor, rows: list[Row], report: ConversionReport) -> None:
    holders = await _local_holders(
        tx, "users", [r["external_id"] for r in rows if r["external_id"]]
    )
    for row in rows:
        user = row_to_user(row)
        before = user.auth_provider.value
        refused = _check(holders, "user", row, user.login_id)
        if refused is not None:
            report.items.append(refused)
            continue
        if not report.dry_run:
            local = replace(user, auth_provider=AuthProvider.LOCAL)
            await save_user(tx, local, expected_version=user.version)
            await record_audit(
                tx,
                actor=actor,
                action="user.convertToLocal",
                target_type="User",
                target_id=user.id,
                target_label=user.login_id,
                changes=[Change("authProvider", before, "LOCAL")],
            )
        report.items.append(Conversion("User", user.id, user.login_id, before, True))


async def _convert_groups(tx: Tx, actor: Actor, report: ConversionReport) -> None:
    rows = await tx.fetch(
        "SELECT id, display_name, external_id, auth_provider FROM groups"
        " WHERE auth_provider <> 'LOCAL' ORDER BY id"
    )
    holders = await _local_holders(
        tx, "groups", [r["external_id"] for r in rows if r["external_id"]]
    )
    for g in rows:
        refused = _check(holders, "group", g, g["display_name"])
        if refused is not None:
            report.items.append(refused)
            continue
        if not report.dry_run:
            await tx.execute(
                "UPDATE groups SET auth_provider = 'LOCAL', version = version + 1,"
                " updated_at = :now WHERE id = :id",
                {"id": g["id"], "now": now_iso()},
            )
            await record_audit(
                tx,
                actor=actor,
                action="group.convertToLocal",
                target_type="Group",
                target_id=g["id"],
                target_label=g["display_name"],
                changes=[Change("authProvider", g["auth_provider"], "LOCAL")],
            )
        report.items.append(
            Conversion("Group", g["id"], g["display_name"], g["auth_provider"], True)
        )


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
    await _convert_users(tx, actor, await _user_rows(tx, user_ids), report)
    if include_groups and user_ids is None:
        await _convert_groups(tx, actor, report)
    return report
