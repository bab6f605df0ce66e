# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""Rule 17's emergency lock as the admin API shows it: `User.emergencyLock`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from app.domain.types import UserLock, UserRecord
from app.domain.users.store import find_user
from app.graphql.context import Info
from app.graphql.scalars import DateTime
from app.graphql.types.refs import UserRef, user_type


@strawberry.type(
    name="EmergencyLock",
    description="An admin's deactivation of an IdP-owned user that holds whatever the IdP sends"
    " (docs/rules.md rule 17); unlockUser lifts it.",
)
class EmergencyLock:
    """A lock, read from the user record (the admin who set it is read on demand)."""

    lock: strawberry.Private[UserLock]

    async def _locked_by(self, info: Info) -> UserRef | None:
        if self.lock.locked_by_id is None:
            return None
        async with info.context.read() as tx:
            found = await find_user(tx, self.lock.locked_by_id)
        return None if found is None else user_type().of(found, info.context)

    # Annotated resolvers keep the published SDL's field order.
    reason: str = strawberry.field(description="Why the admin locked the user.")
    locked_at: DateTime = strawberry.field(description="When the lock was set.")
    locked_by: UserRef | None = strawberry.field(
        resolver=_locked_by, description="The admin who set it; null if that user is gone."
    )
    idp_active: bool = strawberry.field(
        description="The `active` value the IdP wants (what SCIM reads back); unlockUser"
        " applies it."
    )

    @staticmethod
    def of(lock: UserLock) -> EmergencyLock:
        """The GraphQL view of a stored lock."""
        return EmergencyLock(
            lock=lock,
            reason=lock.reason,
            locked_at=DateTime(lock.locked_at),
            idp_active=lock.idp_active,
        )


@strawberry.type(name="LockFields", description="The lock fields of a user.")
class LockFields:
    """A mixin of `User`: its emergency lock (kept apart so the User type stays small)."""

    if TYPE_CHECKING:
        record: UserRecord

    def _emergency_lock(self) -> EmergencyLock | None:
        lock = self.record.lock
        return None if lock is None else EmergencyLock.of(lock)

    emergency_lock: EmergencyLock | None = strawberry.field(
        resolver=_emergency_lock,
        description="The emergency lock holding this user inactive (rule 17); null when none.",
    )
