# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""unlockUser: lift rule 17's emergency lock (docs/rules.md)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.db import Tx
from app.domain.types import Actor
from app.domain.users.locks import unlock_user
from app.graphql.context import Info
from app.graphql.ids import decode_id
from app.graphql.mutations.base import run_mutation
from app.graphql.mutations.users import UserPayload
from app.graphql.types.users import User


@strawberry.input(name="UnlockUserInput", description="The locked user to unlock.")
class UnlockUserInput:
    """Input of unlockUser."""

    id: strawberry.ID = strawberry.field(description="Global id of the user.")


@strawberry.type(name="UnlockUserPayload", description="Result of unlockUser.")
class UnlockUserPayload(UserPayload):
    """Result of unlockUser."""


@strawberry.type(name="LockMutations", description="Emergency lock mutations.")
class LockMutations:
    """Mutations on emergency locks."""

    @strawberry.mutation(
        description="Lift a user's emergency lock and apply the `active` value its IdP wants"
        " (audited; the rights of setUserStatus on that user)."
    )
    async def unlock_user(self, info: Info, input: UnlockUserInput) -> UnlockUserPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            return await unlock_user(tx, actor=actor, user_id=decode_id(input.id, "User"))

        record, errors = await run_mutation(info, act)
        user = User.of(record, info.context) if record else None
        return UnlockUserPayload(user=user, user_errors=errors)
