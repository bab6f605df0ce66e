"""Provisioning health (issue 15 item 4): is the IdP calling, failing, tested, about to lose
its token?

Per SCIM token: when it was last used, its requests and errors over the last 24 hours, its
last error, whether it expires within `EXPIRY_NOTICE_DAYS` (``expires_soon``, and a WARNING
log line once a day, shared by every worker through ``scim_tokens.expiry_warned_at``), and when
the IdP's connection test was last seen (`is_connection_probe`). For the whole service: SCIM
writes and write errors per hour over the last 7 days. Counting happens in memory
(`app.domain.provisioning.usage`); `record_usage` adds it to the shared rows.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.db import Tx
from app.domain.clock import now_iso
from app.domain.provisioning import health_store as store
from app.domain.provisioning.usage import HOUR, LastError, UsageBatch

log = logging.getLogger("roster.provisioning")

EXPIRY_NOTICE_DAYS = 14
SERIES_HOURS = 7 * 24
KEEP_HOURS = 8 * 24  # usage rows older than this are dropped at flush time

# Okta's "Test API Credentials" and Entra ID's "Test Connection" look up a user that cannot
# exist: `userName eq "<random GUID>"` (Okta may append a domain). A real lookup names a person.
_RANDOM_NAME = re.compile(
    r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(@[^\s@]+)?$", re.I
)
_USERNAME_EQ = re.compile(r'^\s*username\s+eq\s+"([^"]*)"\s*$', re.I)


@dataclass(frozen=True, slots=True)
class TokenHealth:
    """The health figures of one SCIM token."""

    token_id: str
    name: str
    expires_at: str
    revoked: bool
    last_used_at: str | None
    requests_24h: int
    errors_24h: int
    last_error: LastError | None
    connection_tested_at: str | None
    seconds_to_expiry: int
    expires_soon: bool


@dataclass(frozen=True, slots=True)
class HourCount:
    """SCIM writes and write errors in one UTC hour."""

    hour: str
    writes: int
    errors: int


@dataclass(frozen=True, slots=True)
class ProvisioningHealth:
    """Every token's health and the writes of the last 7 days, hour by hour."""

    tokens: list[TokenHealth]
    series: list[HourCount]

    @property
    def expiring_soon(self) -> list[TokenHealth]:
        """Live tokens that expire within `EXPIRY_NOTICE_DAYS`."""
        return [t for t in self.tokens if t.expires_soon]


def is_connection_probe(filter_text: str | None, total: int) -> bool:
    """The IdP's connection test: a `userName eq` filter for a random name that found nobody."""
    if total or not filter_text:
        return False
    found = _USERNAME_EQ.match(filter_text)
    return found is not None and _RANDOM_NAME.match(found.group(1)) is not None


def _hours_ago(hours: int) -> int:
    return (int(time.time()) // HOUR - hours) * HOUR


def _seconds_until(iso: str, now: datetime) -> int:
    at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int((at - now).total_seconds())


async def token_health(tx: Tx) -> list[TokenHealth]:
    """Every SCIM token's health, newest token first."""
    now = datetime.now(UTC)
    usage = await store.usage_since(tx, store.hour_iso(_hours_ago(23)))
    out = []
    for row in await store.token_rows(tx):
        seconds = _seconds_until(row["expires_at"], now)
        live = row["revoked_at"] is None and seconds > 0
        requests, errors = usage.get(row["id"], (0, 0))
        out.append(
            TokenHealth(
                token_id=row["id"],
                name=row["name"],
                expires_at=row["expires_at"],
                revoked=row["revoked_at"] is not None,
                last_used_at=row["last_used_at"],
                requests_24h=requests,
                errors_24h=errors,
                last_error=store.last_error_of(row),
                connection_tested_at=row["tested_at"],
                seconds_to_expiry=max(seconds, 0),
                expires_soon=live and seconds <= EXPIRY_NOTICE_DAYS * 86400,
            )
        )
    return out


async def provisioning_health(tx: Tx) -> ProvisioningHealth:
    """Token health and the per-hour write series of the last 7 days (oldest hour first)."""
    first = _hours_ago(SERIES_HOURS - 1)
    found = await store.writes_per_hour(tx, store.hour_iso(first))
    series = []
    for i in range(SERIES_HOURS):
        hour = store.hour_iso(first + i * HOUR)
        writes, errors = found.get(hour, (0, 0))
        series.append(HourCount(hour, writes, errors))
    return ProvisioningHealth(await token_health(tx), series)


async def record_usage(tx: Tx, batch: UsageBatch) -> None:
    """Add what a process counted (taken from its `UsageBuffer`) to the shared rows, and drop
    rows past retention. The caller gives the batch back to the buffer if the transaction
    does not commit (`app.health_task.flush_usage`)."""
    if batch:
        await store.add_usage(tx, batch)
    await store.drop_usage_before(tx, store.hour_iso(_hours_ago(KEEP_HOURS)))


async def warn_expiring_tokens(tx: Tx) -> list[str]:
    """Log a WARNING for each live token expiring within `EXPIRY_NOTICE_DAYS`, at most once
    a day per token whatever the number of workers; the names warned about."""
    now = datetime.now(UTC)
    now_text = now_iso()
    soon = (now + timedelta(days=EXPIRY_NOTICE_DAYS)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    day_ago = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    warned = []
    for row in await store.live_tokens(tx, now_text):
        if row["expires_at"] > soon:
            continue
        if await store.claim_expiry_warning(tx, row["id"], now=now_text, before=day_ago):
            log.warning(
                "SCIM token %r expires at %s: create a new token and give it to the IdP",
                row["name"],
                row["expires_at"],
                extra={"fields": {"token_id": row["id"], "expires_at": row["expires_at"]}},
            )
            warned.append(row["name"])
    return warned


async def token_expiry_seconds(tx: Tx) -> list[tuple[str, str, int]]:
    """(id, name, seconds to expiry) of every live SCIM token, for /metrics."""
    now = datetime.now(UTC)
    rows = await store.live_tokens(tx, now_iso())
    return [(r["id"], r["name"], _seconds_until(r["expires_at"], now)) for r in rows]
