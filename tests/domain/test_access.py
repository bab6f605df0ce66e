"""The authorization decision as a table: who may do what to whom (rules 3, 9, 10, 14)."""

from __future__ import annotations

import pytest

from app.domain.access.capabilities import (
    Capability,
    editable_attributes,
    viewer_can,
    viewer_cannot_update_reasons,
)
from app.domain.access.decision import Action, Denial, Target, cannot_update_reasons, may
from app.domain.types import Actor, ActorKind, AuthProvider, UserRecord, UserStatus
from app.errors import Forbidden, ManagedByIdp, NotFound, ProtectedAdmin

OWNER = Actor(ActorKind.ADMIN, "o", "owner", frozenset({"OWNER"}))
ADMIN = Actor(ActorKind.ADMIN, "a", "admin", frozenset({"ADMIN"}))
VIEWER = Actor(ActorKind.ADMIN, "v", "viewer", frozenset({"VIEWER"}))
SCIM = Actor(ActorKind.SCIM, "t", "scim:okta")

PLAIN_USER = Target("user")
OWNER_USER = Target("user", holds_owner=True)
IDP_USER = Target("user", provider="OKTA", is_local=False)
OWNER_GROUP = Target("group", holds_owner=True)
SCIM_GROUP = Target("group", idp_members=True, roles=frozenset({"OWNER"}))
IDP_GROUP = Target("group", provider="OKTA", is_local=False, idp_members=True)
OWNER_ROLE = Target("roles", roles=frozenset({"OWNER"}))


@pytest.mark.parametrize(
    ("actor", "action", "target", "error", "reason"),
    [
        (ADMIN, Action.ADD_MEMBERS, OWNER_GROUP, Forbidden, "only an OWNER may change the members"),
        (ADMIN, Action.REMOVE_MEMBERS, OWNER_GROUP, Forbidden, "only an OWNER may change the"),
        (ADMIN, Action.DELETE_GROUP, OWNER_GROUP, Forbidden, "only an OWNER may delete a group"),
        (ADMIN, Action.GRANT_ROLES, OWNER_ROLE, Forbidden, "only an OWNER may grant the OWNER"),
        (ADMIN, Action.REVOKE_ROLES, OWNER_ROLE, Forbidden, "only an OWNER may revoke the OWNER"),
        (OWNER, Action.GRANT_ROLES, SCIM_GROUP, Forbidden, "OWNER cannot be granted to a group"),
        (ADMIN, Action.DELETE_USER, OWNER_USER, Forbidden, "only an OWNER may delete a user"),
        (ADMIN, Action.RESTORE_USER, OWNER_USER, Forbidden, "only an OWNER may restore a user"),
        (ADMIN, Action.CHANGE_USER_STATUS, OWNER_USER, Forbidden, "only an OWNER may change the"),
        (ADMIN, Action.CREATE_USER_TOKEN, OWNER_USER, Forbidden, "only an OWNER may create a"),
        (ADMIN, Action.REVOKE_USER_TOKEN, OWNER_USER, Forbidden, "only an OWNER may revoke an"),
        (VIEWER, Action.UPDATE_USER, PLAIN_USER, Forbidden, "this token is read-only (VIEWER)"),
        (OWNER, Action.DELETE_USER, IDP_USER, ManagedByIdp, "user is managed by OKTA: delete"),
        (OWNER, Action.ADD_MEMBERS, IDP_GROUP, ManagedByIdp, "group is managed by OKTA: change"),
        (OWNER, Action.UPDATE_USER, Target("user", deleted=True), NotFound, "the user is deleted"),
        (SCIM, Action.ADD_MEMBERS, OWNER_GROUP, ProtectedAdmin, "the group holds OWNER: SCIM"),
        (SCIM, Action.REMOVE_MEMBERS, OWNER_GROUP, ProtectedAdmin, "the group holds OWNER: SCIM"),
        (SCIM, Action.DELETE_GROUP, OWNER_GROUP, ProtectedAdmin, "the group holds OWNER: SCIM"),
        (SCIM, Action.DELETE_USER, OWNER_USER, ProtectedAdmin, "SCIM cannot delete a user"),
        (SCIM, Action.CHANGE_USER_STATUS, OWNER_USER, ProtectedAdmin, "SCIM cannot deactivate"),
        (SCIM, Action.RESTORE_USER, OWNER_USER, ProtectedAdmin, "SCIM cannot restore a user"),
        (SCIM, Action.GRANT_ROLES, PLAIN_USER, ProtectedAdmin, "SCIM cannot grant or revoke"),
    ],
)
def test_refusals_name_their_error_and_reason(
    actor: Actor, action: Action, target: Target, error: type[Exception], reason: str
) -> None:
    decision = may(actor, action, target)
    assert (decision.allowed, decision.error) == (False, error)
    assert decision.reason.startswith(reason)


@pytest.mark.parametrize(
    ("actor", "action", "target"),
    [
        (OWNER, Action.ADD_MEMBERS, OWNER_GROUP),
        (OWNER, Action.DELETE_USER, OWNER_USER),
        (OWNER, Action.GRANT_ROLES, OWNER_ROLE),
        (ADMIN, Action.ADD_MEMBERS, Target("group")),
        (ADMIN, Action.UPDATE_USER, OWNER_USER),  # a profile edit changes no one's power
        (ADMIN, Action.UPDATE_GROUP, OWNER_GROUP),  # nor does a rename
        (ADMIN, Action.CHANGE_USER_STATUS, IDP_USER),  # the emergency lock (rule 3)
        (ADMIN, Action.REVOKE_USER_TOKEN, Target("user", holds_owner=True, own=True)),
        (ADMIN, Action.GRANT_ROLES, Target("group", idp_members=True, roles=frozenset({"pager"}))),
        (SCIM, Action.ADD_MEMBERS, Target("group")),
        (SCIM, Action.DELETE_USER, PLAIN_USER),
    ],
)
def test_what_stays_allowed(actor: Actor, action: Action, target: Target) -> None:
    assert may(actor, action, target).allowed


def test_cannot_update_reasons_are_listed_in_a_stable_order() -> None:
    deleted_idp = Target("user", provider="OKTA", is_local=False, deleted=True)
    assert cannot_update_reasons(VIEWER, Action.UPDATE_USER, deleted_idp) == [
        Denial.INSUFFICIENT_ROLE,
        Denial.MANAGED_BY_IDP,
        Denial.DELETED,
    ]
    assert cannot_update_reasons(ADMIN, Action.ADD_MEMBERS, OWNER_GROUP) == [
        Denial.INSUFFICIENT_ROLE
    ]
    assert cannot_update_reasons(OWNER, Action.ADD_MEMBERS, OWNER_GROUP) == []


# The capability fields (app.domain.access.capabilities): the decision's answers, by field.

LOCAL_GROUP = Target("group")


@pytest.mark.parametrize(
    ("actor", "capability", "target", "allowed"),
    [
        (ADMIN, Capability.UPDATE_USER, PLAIN_USER, True),
        (VIEWER, Capability.UPDATE_USER, PLAIN_USER, False),
        (ADMIN, Capability.UPDATE_USER, OWNER_USER, True),  # rule 14 guards the rest
        (OWNER, Capability.UPDATE_USER, Target("user", deleted=True), False),
        (ADMIN, Capability.DELETE_USER, OWNER_USER, False),
        (OWNER, Capability.DELETE_USER, OWNER_USER, True),
        (OWNER, Capability.DELETE_USER, IDP_USER, False),
        (ADMIN, Capability.CHANGE_USER_STATUS, IDP_USER, True),
        (ADMIN, Capability.CHANGE_USER_STATUS, OWNER_USER, False),
        (ADMIN, Capability.UPDATE_GROUP, LOCAL_GROUP, True),
        # renaming is allowed, changing the members of a group holding OWNER is not
        (ADMIN, Capability.UPDATE_GROUP, OWNER_GROUP, False),
        (OWNER, Capability.UPDATE_GROUP, OWNER_GROUP, True),
        (OWNER, Capability.UPDATE_GROUP, IDP_GROUP, False),
        (ADMIN, Capability.DELETE_GROUP, OWNER_GROUP, False),
        (VIEWER, Capability.DELETE_GROUP, LOCAL_GROUP, False),
        (ADMIN, Capability.GRANT_GROUP_ROLES, LOCAL_GROUP, True),
        (VIEWER, Capability.GRANT_GROUP_ROLES, LOCAL_GROUP, False),
    ],
)
def test_capabilities_are_the_decisions_answers(
    actor: Actor, capability: Capability, target: Target, allowed: bool
) -> None:
    assert viewer_can(actor, capability, target) is allowed


def test_cannot_update_reasons_ask_the_update_of_each_kind() -> None:
    # A user: updating it (an ADMIN may update a user who holds OWNER).
    assert viewer_cannot_update_reasons(ADMIN, OWNER_USER) == []
    assert viewer_cannot_update_reasons(VIEWER, IDP_USER) == [
        Denial.INSUFFICIENT_ROLE,
        Denial.MANAGED_BY_IDP,
    ]
    # A group: changing its members (only an OWNER for a group holding OWNER).
    assert viewer_cannot_update_reasons(ADMIN, OWNER_GROUP) == [Denial.INSUFFICIENT_ROLE]
    assert viewer_cannot_update_reasons(OWNER, OWNER_GROUP) == []


def _user(provider: str = "LOCAL", deleted_at: str | None = None) -> UserRecord:
    return UserRecord(
        id="u",
        login_id="ann",
        external_id=None,
        auth_provider=AuthProvider(provider),
        status=UserStatus.ACTIVE,
        status_reason=None,
        profile={},
        notes=None,
        version=1,
        created_at="t",
        updated_at="t",
        last_provisioned_at=None,
        deleted_at=deleted_at,
    )


def test_editable_attributes_leave_out_what_the_idp_owns() -> None:
    names = ("loginId", "email", "costCenter")
    assert editable_attributes(ADMIN, _user(), names, ()) == set(names)
    assert editable_attributes(ADMIN, _user("OKTA"), names, {"loginId", "email"}) == {"costCenter"}
    assert editable_attributes(VIEWER, _user(), names, ()) == frozenset()
    assert editable_attributes(OWNER, _user(deleted_at="t"), names, ()) == frozenset()
