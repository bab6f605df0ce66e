"""The SQL of provisioning health: per-hour usage rows and the health columns of SCIM tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from app.db import Row, Tx
from app.domain.provisioning.usage import LastError, UsageBatch


def hour_iso(epoch: int) -> str:
    """The stored form of an hour given in epoch seconds (the fixed-width timestamp format)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:00:00.000000Z")


async def add_usage(tx: Tx, batch: UsageBatch) -> None:
    """Add a batch's counts to the per-hour rows; keep each token's newest error and probe."""
    for (token_id, hour), (requests, errors, writes, write_errors) in batch.counts.items():
        await tx.execute(
            "INSERT INTO scim_token_usage (token_id, hour, requests, errors, writes, write_errors)"
            " VALUES (:t, :h, :r, :e, :w, :we) ON CONFLICT (token_id, hour) DO UPDATE SET"
            " requests = scim_token_usage.requests + excluded.requests,"
            " errors = scim_token_usage.errors + excluded.errors,"
            " writes = scim_token_usage.writes + excluded.writes,"
            " write_errors = scim_token_usage.write_errors + excluded.write_errors",
            {"t": token_id, "h": hour_iso(hour), "r": requests, "e": errors}
            | {"w": writes, "we": write_errors},
        )
    for token_id, error in batch.last_errors.items():
        await tx.execute(
            "UPDATE scim_tokens SET last_error_at = :at, last_error_status = :s,"
            " last_error_detail = :d"
            " WHERE id = :id AND (last_error_at IS NULL OR last_error_at < :at)",
            {"id": token_id, "at": error.at, "s": error.status, "d": error.detail[:500]},
        )
    for token_id, at in batch.probes.items():
        await tx.execute(
            "UPDATE scim_tokens SET tested_at = :at"
            " WHERE id = :id AND (tested_at IS NULL OR tested_at < :at)",
            {"id": token_id, "at": at},
        )


async def drop_usage_before(tx: Tx, hour: str) -> int:
    """Delete usage rows older than ``hour``."""
    return await tx.execute("DELETE FROM scim_token_usage WHERE hour < :h", {"h": hour})


_HEALTH_COLUMNS = (
    "id, name, expires_at, revoked_at, last_used_at, last_error_at, last_error_status,"
    " last_error_detail, tested_at"
)


async def token_rows(tx: Tx) -> list[Row]:
    """Every SCIM token's health columns, newest first."""
    return await tx.fetch(
        f"SELECT {_HEALTH_COLUMNS} FROM scim_tokens ORDER BY created_at DESC, id DESC"
    )


async def _sums_since(tx: Tx, hour: str, key: str, counts: str) -> dict[str, tuple[int, int]]:
    """The two usage ``counts`` (a SQL pair) summed per ``key`` since ``hour`` (inclusive)."""
    rows = await tx.fetch(
        f"SELECT {key}, {counts} FROM scim_token_usage WHERE hour >= :h GROUP BY {key}",
        {"h": hour},
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def usage_since(tx: Tx, hour: str) -> dict[str, tuple[int, int]]:
    """(requests, errors) per token since ``hour`` (inclusive)."""
    return await _sums_since(tx, hour, "token_id", "SUM(requests), SUM(errors)")


async def writes_per_hour(tx: Tx, hour: str) -> dict[str, tuple[int, int]]:
    """(writes, write errors) of every token together, per hour since ``hour``."""
    return await _sums_since(tx, hour, "hour", "SUM(writes), SUM(write_errors)")


async def live_tokens(tx: Tx, now: str) -> list[Row]:
    """(id, name, expires_at) of the tokens neither revoked nor expired."""
    return await tx.fetch(
        "SELECT id, name, expires_at FROM scim_tokens"
        " WHERE revoked_at IS NULL AND expires_at > :now ORDER BY expires_at, id",
        {"now": now},
    )


async def claim_expiry_warning(tx: Tx, token_id: str, *, now: str, before: str) -> bool:
    """Mark the token warned at ``now`` unless a warning was logged after ``before``: one
    conditional UPDATE, so of several workers exactly one wins each day."""
    count = await tx.execute(
        "UPDATE scim_tokens SET expiry_warned_at = :now WHERE id = :id"
        " AND (expiry_warned_at IS NULL OR expiry_warned_at <= :before)",
        {"id": token_id, "now": now, "before": before},
    )
    return count > 0


def last_error_of(row: Row) -> LastError | None:
    """The last error columns of a token row, if any."""
    if row["last_error_at"] is None:
        return None
    return LastError(row["last_error_at"], int(row["last_error_status"]), row["last_error_detail"])
