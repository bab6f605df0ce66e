"""Domain vocabulary: enums, the acting principal, the records services return, and how an
edit that may clear values applies (`merged`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Keep(Enum):
    """The value of an input the caller omitted: the stored value is kept (rule 18)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def merged(stored: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with each given key set, or removed when given as None (rule 18)."""
    out = dict(stored)
    for key, value in given.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class AuthProvider(StrEnum):
    """Who owns a record: this service (LOCAL, shown as "Roster") or an identity provider."""

    LOCAL = "LOCAL"
    OKTA = "OKTA"
    ENTRA_ID = "ENTRA_ID"
    ONELOGIN = "ONELOGIN"
    JUMPCLOUD = "JUMPCLOUD"
    GOOGLE = "GOOGLE"
    PING = "PING"
    SAML = "SAML"
    OIDC = "OIDC"
    LDAP = "LDAP"
    CUSTOM = "CUSTOM"


class AuthType(StrEnum):
    """The deployment's authentication type: INTERNAL (no IdP) or one IdP."""

    INTERNAL = "INTERNAL"
    OKTA = "OKTA"
    ENTRA_ID = "ENTRA_ID"
    ONELOGIN = "ONELOGIN"
    JUMPCLOUD = "JUMPCLOUD"
    GOOGLE = "GOOGLE"
    PING = "PING"
    SAML = "SAML"
    OIDC = "OIDC"
    LDAP = "LDAP"
    CUSTOM = "CUSTOM"


class UserStatus(StrEnum):
    """Lifecycle state of a live user."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class SourcePriority(StrEnum):
    """Which system masters a profile attribute of an IdP-owned user."""

    INHERIT_FROM_IDP = "INHERIT_FROM_IDP"
    INHERIT_FROM_LOCAL = "INHERIT_FROM_LOCAL"


class AttributeStatus(StrEnum):
    """Whether a profile attribute is shown."""

    VISIBLE = "VISIBLE"
    HIDDEN = "HIDDEN"


class Datatype(StrEnum):
    """Datatype of a profile attribute."""

    STRING = "string"
    NUMBER = "number"
    STRING_ARRAY = "string_array"
    IDENTIFIER = "identifier"


class ActorKind(StrEnum):
    """Who performs a write, as the audit log names it."""

    ADMIN = "ADMIN"
    SCIM = "SCIM"
    SYSTEM = "SYSTEM"


ADMIN_ROLES = ("OWNER", "ADMIN", "VIEWER")


@dataclass(frozen=True, slots=True)
class Actor:
    """The principal behind a request: an admin user, a SCIM token, or the system (CLI)."""

    kind: ActorKind
    id: str | None
    label: str
    roles: frozenset[str] = frozenset()
    request_id: str | None = None

    @property
    def is_owner(self) -> bool:
        """Holds OWNER (or is the system)."""
        return self.kind is ActorKind.SYSTEM or "OWNER" in self.roles

    @property
    def can_write(self) -> bool:
        """May run admin mutations (OWNER or ADMIN, or the system)."""
        return self.kind is ActorKind.SYSTEM or bool({"OWNER", "ADMIN"} & self.roles)


SYSTEM = Actor(ActorKind.SYSTEM, None, "system")

ProfileValue = str | float | int | list[str] | None


@dataclass(frozen=True, slots=True)
class UserLock:
    """Rule 17's emergency lock: why, by whom and when, and the ``active`` the IdP wants."""

    reason: str
    locked_by_id: str | None
    locked_at: str
    idp_active: bool


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored (immutable: a change is a new record, `dataclasses.replace`)."""

    id: str
    login_id: str
    external_id: str | None
    auth_provider: AuthProvider
    status: UserStatus
    status_reason: str | None
    profile: dict[str, Any]
    notes: str | None
    version: int
    created_at: str
    updated_at: str
    last_provisioned_at: str | None
    deleted_at: str | None = None
    # What the IdP sent over SCIM that no profile attribute maps (app.scim.extras); only the
    # SCIM adapter reads it.
    scim_extras: dict[str, Any] = field(default_factory=dict)
    lock: UserLock | None = None

    @property
    def is_local(self) -> bool:
        """Owned by this service."""
        return self.auth_provider == AuthProvider.LOCAL

    @property
    def active(self) -> bool:
        """Status is ACTIVE."""
        return self.status == UserStatus.ACTIVE

    @property
    def idp_active(self) -> bool:
        """The ``active`` SCIM reads back: the IdP's own value while a lock holds (rule 17)."""
        return self.active if self.lock is None else self.lock.idp_active

    @property
    def audit_target(self) -> AuditTarget:
        """What the audit log names: the user, labelled with its loginId."""
        return AuditTarget("User", self.id, self.login_id)


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group as stored (members are read separately, page by page); a write returns a new
    record (`dataclasses.replace`)."""

    id: str
    display_name: str
    external_id: str | None
    auth_provider: AuthProvider
    member_count: int
    version: int
    created_at: str
    updated_at: str
    last_provisioned_at: str | None
    # None: created before revision 0006 with no audit entry.
    created_by_kind: ActorKind | None = None

    @property
    def is_local(self) -> bool:
        """Owned by this service."""
        return self.auth_provider == AuthProvider.LOCAL

    @property
    def audit_target(self) -> AuditTarget:
        """What the audit log names: the group, labelled with its (new) name."""
        return AuditTarget("Group", self.id, self.display_name)


@dataclass(frozen=True, slots=True)
class AuditTarget:
    """What an audit entry is about: the kind (User, Group, ApiToken...), its id (None for a
    write to many, or to a singleton), and a label that stays readable once the record is gone.
    Records that are audited offer theirs as ``audit_target``."""

    type: str
    id: str | None
    label: str | None = None

    @property
    def audit_target(self) -> AuditTarget:
        """Itself, so that `record_audit` takes a target or an audited record alike."""
        return self


@dataclass(slots=True)
class Change:
    """One changed field for the audit log."""

    field: str
    before: Any
    after: Any


@dataclass(slots=True)
class MembershipResult:
    """Outcome of a membership set operation."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
