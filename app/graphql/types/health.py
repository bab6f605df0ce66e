# mypy: disable-error-code="untyped-decorator"
# (strawberry.field(...) with arguments is typed Any: it doubles as a dataclass field)
"""Provisioning health: tokens about to expire, traffic of the last 24 hours, hourly writes."""

from __future__ import annotations

import strawberry

from app.domain.provisioning.health import ProvisioningHealth
from app.graphql.context import Info
from app.graphql.scalars import DateTime
from app.graphql.types.admin import ScimToken


@strawberry.type(name="ProvisioningHour", description="SCIM writes in one UTC hour.")
class ProvisioningHour:
    """One point of the 7-day series."""

    hour: DateTime = strawberry.field(description="The start of the hour (UTC).")
    writes: int = strawberry.field(description="SCIM writes (a Bulk operation counts as one).")
    errors: int = strawberry.field(description="Of those, the writes that failed.")


@strawberry.type(
    name="ProvisioningHealth",
    description="Is the IdP calling, failing, tested, about to lose its token?",
)
class ProvisioningHealthType:
    """The health figures of the provisioning page (figures of other workers arrive within
    `ROSTER_HEALTH_FLUSH_SECONDS`)."""

    health: strawberry.Private[ProvisioningHealth]

    @strawberry.field(description="Live SCIM tokens that expire within 14 days.")
    async def expiring_soon(self, info: Info) -> list[ScimToken]:
        ids = [t.token_id for t in self.health.expiring_soon]
        found = await info.context.loaders.scim_tokens.load_many(ids)
        return [ScimToken.of(rec) for rec in found if rec is not None]

    @strawberry.field(description="SCIM requests of every token in the last 24 hours.")
    def request_count_24h(self) -> int:
        return sum(t.requests_24h for t in self.health.tokens)

    @strawberry.field(description="Of those, the requests answered with an error.")
    def error_count_24h(self) -> int:
        return sum(t.errors_24h for t in self.health.tokens)

    @strawberry.field(description="When a connection test of the IdP was last seen (any token).")
    def connection_tested_at(self) -> DateTime | None:
        seen = [t.connection_tested_at for t in self.health.tokens if t.connection_tested_at]
        return DateTime(max(seen)) if seen else None

    @strawberry.field(
        description="SCIM writes and write errors per hour over the last 7 days, oldest first "
        "(168 points, the current hour last)."
    )
    def series(self) -> list[ProvisioningHour]:
        return [
            ProvisioningHour(hour=DateTime(p.hour), writes=p.writes, errors=p.errors)
            for p in self.health.series
        ]
