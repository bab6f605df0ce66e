"""What the viewer may do to a user or a group, as the admin API's capability fields show it.

Every answer is the decision's (`app.domain.access.decision.may`), so a field says yes exactly
when the mutation it stands for would pass `require`. The resolvers build the record's `Target`
(`user_view`, `group_view`) from what they loaded, call one function here, and map the result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum

from app.domain.access.decision import Action, Denial, Target, cannot_update_reasons, may, user_view
from app.domain.types import Actor, UserRecord


class Capability(StrEnum):
    """A capability field (viewerCan...) of a user or a group."""

    UPDATE_USER = "updateUser"
    DELETE_USER = "deleteUser"
    CHANGE_USER_STATUS = "changeUserStatus"
    UPDATE_GROUP = "updateGroup"
    DELETE_GROUP = "deleteGroup"
    GRANT_GROUP_ROLES = "grantGroupRoles"


# The acts each capability stands for: it holds when the decision allows all of them.
_ACTIONS: dict[Capability, tuple[Action, ...]] = {
    Capability.UPDATE_USER: (Action.UPDATE_USER,),
    Capability.DELETE_USER: (Action.DELETE_USER,),
    Capability.CHANGE_USER_STATUS: (Action.CHANGE_USER_STATUS,),
    # Updating a group is renaming it and changing its members.
    Capability.UPDATE_GROUP: (Action.UPDATE_GROUP, Action.ADD_MEMBERS, Action.REMOVE_MEMBERS),
    Capability.DELETE_GROUP: (Action.DELETE_GROUP,),
    Capability.GRANT_GROUP_ROLES: (Action.GRANT_ROLES,),
}

# The act whose refusal for the actor's role viewerCannotUpdateReasons lists, by target kind.
_UPDATE = {"user": Action.UPDATE_USER, "group": Action.ADD_MEMBERS}


def viewer_can(actor: Actor, capability: Capability, target: Target) -> bool:
    """Whether the decision allows ``actor`` every act of ``capability`` on ``target``."""
    return all(may(actor, action, target).allowed for action in _ACTIONS[capability])


def viewer_cannot_update_reasons(actor: Actor, target: Target) -> list[Denial]:
    """Why some or all of the user or group is closed to ``actor`` (`cannot_update_reasons`)."""
    return cannot_update_reasons(actor, _UPDATE[target.kind], target)


def editable_attributes(
    actor: Actor, user: UserRecord, names: Iterable[str], locked: Collection[str]
) -> frozenset[str]:
    """The profile attributes of ``user`` that ``actor`` may change: none unless the decision
    allows updating the user, and never one its IdP owns (``locked``). Updating a user does not
    depend on whether it holds OWNER (rule 14 guards the rest), so its roles are not needed."""
    if not may(actor, Action.UPDATE_USER, user_view(actor, user, ())).allowed:
        return frozenset()
    return frozenset(name for name in names if name not in locked)
