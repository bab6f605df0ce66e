"""One transport-neutral error hierarchy. Edges map it once: GraphQL userErrors, SCIM errors."""

from __future__ import annotations

from collections.abc import Sequence


class RosterError(Exception):
    """Base of every expected error. ``code`` is stable; ``fields`` names what is at fault."""

    code = "INTERNAL"

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)


class NotFound(RosterError):
    """The record does not exist (or is deleted and so invisible)."""

    code = "NOT_FOUND"


class AlreadyExists(RosterError):
    """A uniqueness rule was violated (loginId, displayName, externalId per provider)."""

    code = "ALREADY_EXISTS"


class InvalidValue(RosterError):
    """A value is malformed, too long, of the wrong datatype or names an unknown attribute."""

    code = "INVALID_VALUE"


class ManagedByIdp(RosterError):
    """The change touches attributes (or a lifecycle step) that the record's IdP owns."""

    code = "MANAGED_BY_IDP"


class Mutability(RosterError):
    """The change targets something that cannot change through this channel."""

    code = "MUTABILITY"


class Forbidden(RosterError):
    """The actor may not do this."""

    code = "FORBIDDEN"


class LastOwner(RosterError):
    """The change would leave the deployment without an active OWNER."""

    code = "LAST_OWNER"


class ProtectedAdmin(RosterError):
    """SCIM tried to deactivate or delete an OWNER, or to change roles."""

    code = "PROTECTED_ADMIN"


class IdpLocked(RosterError):
    """Authentication cannot switch while records owned by the current IdP exist."""

    code = "IDP_LOCKED"


class TokenLimitReached(RosterError):
    """No more active SCIM tokens may exist."""

    code = "TOKEN_LIMIT_REACHED"


class VersionConflict(RosterError):
    """The record's version is not the one the caller expected."""

    code = "VERSION_CONFLICT"


class ProvisioningDisabled(RosterError):
    """SCIM provisioning is turned off."""

    code = "PROVISIONING_DISABLED"


class Unauthenticated(RosterError):
    """No valid credential."""

    code = "UNAUTHENTICATED"


class DatabaseUnavailable(RosterError):
    """The database cannot be reached or is busy; the caller should retry."""

    code = "UNAVAILABLE"
