"""Which event a change yields: the event type of each audit action (rule 20).

An audit action names what was done (``user.deactivate``); the event type names what
happened to the resource, in the past tense a consumer matches on (``user.deactivated``).
Actions that change nothing a downstream service holds (a log purge, benchmark seeding) yield
no event; every other action must be listed here (tests/outbox/test_types.py checks the
audit catalogue against this table).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.types import Change

#: Every event type, with what it means (the docs and the GraphQL enum read this).
EVENT_TYPES: dict[str, str] = {
    "user.created": "A user was created (by an admin, the CLI or the IdP).",
    "user.updated": "A user's profile, login, owner, notes or emergency lock changed.",
    "user.deactivated": "A user became INACTIVE: sessions and keys should end.",
    "user.reactivated": "An INACTIVE user became ACTIVE again.",
    "user.deleted": "A user was deleted (their credentials are revoked).",
    "user.restored": "A deleted user was restored (the IdP's undo, or an admin's).",
    "group.created": "A group was created.",
    "group.updated": "A group's name, externalId or owner changed (members maybe too).",
    "group.deleted": "A group was deleted (roles granted through it are gone).",
    "group.members.added": "Users were added to a group (and nothing else changed).",
    "group.members.removed": "Users were removed from a group (and nothing else changed).",
    "role.granted": "A role was granted to a user or a group.",
    "role.revoked": "A role was revoked from a user or a group.",
    "token.created": "An admin API token or a SCIM token was created.",
    "token.revoked": "An admin API token or a SCIM token was revoked.",
    "settings.updated": (
        "Authentication settings, provisioning, the Profile Editor, the deprovisioning"
        " guard's settings or a webhook endpoint changed."
    ),
}

_BY_ACTION: dict[str, str] = {
    "user.create": "user.created",
    "user.update": "user.updated",
    "user.unlock": "user.updated",
    "user.convertToLocal": "user.updated",
    "user.deactivate": "user.deactivated",
    "user.reactivate": "user.reactivated",
    "user.delete": "user.deleted",
    "user.restore": "user.restored",
    "group.create": "group.created",
    "group.update": "group.updated",
    "group.convertToLocal": "group.updated",
    "group.delete": "group.deleted",
    "group.members.add": "group.members.added",
    "group.members.remove": "group.members.removed",
    "role.grant": "role.granted",
    "role.revoke": "role.revoked",
    "apiToken.create": "token.created",
    "apiToken.revoke": "token.revoked",
    "scimToken.create": "token.created",
    "scimToken.revoke": "token.revoked",
    "provisioning.enable": "settings.updated",
    "provisioning.disable": "settings.updated",
    "authentication.configure": "settings.updated",
    "profileAttribute.create": "settings.updated",
    "profileAttribute.update": "settings.updated",
    "profileAttribute.delete": "settings.updated",
    "guard.update": "settings.updated",
    "webhook.create": "settings.updated",
    "webhook.update": "settings.updated",
    "webhook.delete": "settings.updated",
    "webhook.rotateSecret": "settings.updated",
}

#: Audit actions that yield no event, and why.
NO_EVENT: dict[str, str] = {
    "audit.purge": "housekeeping of the logs, not a change to the directory",
    "directory.seed": "benchmark seeding (roster seed), written in bulk outside the rules",
    "guard.release": "each released write yields its own event as it is applied",
    "guard.discard": "a discarded write never happened",
    "webhook.redeliver": "the deliveries it schedules are its effect; no data changed",
}


def event_type(action: str, changes: Iterable[Change] = ()) -> str | None:
    """The event type of an audit action, or None for an action that yields no event.

    An update is named by what it did when that is more precise: a user update that changed
    only the status is a deactivation or a reactivation (an unlock applying the IdP's
    ``active``), a group update that changed only its members an add or a remove.
    Raises KeyError for an action in neither table (a new action must be classified).
    """
    if action in NO_EVENT:
        return None
    kind = _BY_ACTION[action]
    fields = {c.field: c for c in changes}
    if kind == "user.updated" and "status" in fields:
        after = fields["status"].after
        if after == "INACTIVE":
            return "user.deactivated"
        if after == "ACTIVE" and fields["status"].before == "INACTIVE":
            return "user.reactivated"
    if kind == "group.updated" and set(fields) == {"members"}:
        members = fields["members"]
        if members.before and not members.after:
            return "group.members.removed"
        if members.after and not members.before:
            return "group.members.added"
    return kind
