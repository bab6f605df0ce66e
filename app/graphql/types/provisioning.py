# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""The provisioning page: switch, SCIM endpoint, tokens, counters and the event log."""

from __future__ import annotations

import strawberry

from app.domain.access.scim_tokens import list_scim_tokens
from app.domain.guard.review import guard_status, list_held
from app.domain.guard.store import count_held
from app.domain.provisioning.events_store import (
    count_provisioning_events,
    list_provisioning_events,
    provisioning_stats,
)
from app.domain.provisioning.health import provisioning_health
from app.domain.provisioning.model import EventFilter
from app.graphql.context import Info
from app.graphql.filters import ProvisioningEventFilterInput
from app.graphql.types.activity import ProvisioningEventConnection, ProvisioningStatsType
from app.graphql.types.admin import ScimToken
from app.graphql.types.common import page_request
from app.graphql.types.guard import DeprovisioningGuard, HeldWriteConnection
from app.graphql.types.health import ProvisioningHealthType
from app.graphql.types.links import read_log
from app.graphql.types.relay import count_later


@strawberry.type(name="Provisioning", description="SCIM provisioning state.")
class Provisioning:
    """What the provisioning page of a console shows."""

    enabled: bool = strawberry.field(description="SCIM provisioning is on.")
    scim_base_url: str = strawberry.field(description="The SCIM base URL to give the IdP.")

    @strawberry.field(description="Every SCIM token, newest first (secrets are never shown).")
    async def tokens(self, info: Info) -> list[ScimToken]:
        async with info.context.read() as tx:
            records = await list_scim_tokens(tx)
        return [ScimToken.of(t) for t in records]

    @strawberry.field(description="Token health and SCIM writes per hour over the last 7 days.")
    async def health(self, info: Info) -> ProvisioningHealthType:
        async with info.context.read() as tx:
            return ProvisioningHealthType(health=await provisioning_health(tx))

    @strawberry.field(description="Owned records per provider and SCIM traffic of the last 24h.")
    async def stats(self, info: Info) -> ProvisioningStatsType:
        async with info.context.read() as tx:
            stats = await provisioning_stats(tx)
        return ProvisioningStatsType.of(stats)

    @strawberry.field(description="The provisioning event log, newest first.")
    async def events(
        self,
        info: Info,
        filter: ProvisioningEventFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProvisioningEventConnection:
        domain_filter = filter.to_domain() if filter else EventFilter()
        page, count = await read_log(
            info, domain_filter, (first, after), list_provisioning_events, count_provisioning_events
        )
        return ProvisioningEventConnection.of(page, count)

    @strawberry.field(description="The deprovisioning guard (rule 19): state, threshold, settings.")
    async def guard(self, info: Info) -> DeprovisioningGuard:
        async with info.context.read() as tx:
            return DeprovisioningGuard.of(await guard_status(tx))

    @strawberry.field(description="Writes held by the deprovisioning guard, oldest first.")
    async def held_writes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> HeldWriteConnection:
        async with info.context.read() as tx:
            page = await list_held(tx, page=page_request(info, first, after))

        return HeldWriteConnection.of(page, count_later(info, count_held))
