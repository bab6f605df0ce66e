"""The Profile Editor: the catalogue of profile attributes and the validation of their values."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

from app.db import CacheKey, Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import diff, record_audit
from app.domain.clock import now_iso
from app.domain.types import Actor, AttributeStatus, Datatype, SourcePriority
from app.errors import AlreadyExists, InvalidValue, NotFound

CUSTOM_URN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
ALWAYS_VISIBLE = frozenset({"loginId", "email", "displayName"})
EMAIL_ATTRIBUTES = frozenset({"email", "secondEmail"})
MAX_LOGIN_ID = 255
MAX_STRING = 2048
MAX_ARRAY = 100
_VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Attribute:
    """One catalogue entry."""

    name: str
    display_name: str
    datatype: Datatype
    description: str
    builtin: bool
    source_priority: SourcePriority
    status: AttributeStatus
    scim_path: str | None
    position: int
    version: int
    created_at: str
    updated_at: str

    @property
    def idp_sourced(self) -> bool:
        """The IdP masters this attribute for IdP-owned users."""
        return self.source_priority is SourcePriority.INHERIT_FROM_IDP


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole catalogue at one ``catalogue_version``."""

    version: int
    attributes: tuple[Attribute, ...]

    def get(self, name: str) -> Attribute | None:
        """The attribute named ``name`` (exact variable name), if any."""
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None

    @property
    def profile_attributes(self) -> tuple[Attribute, ...]:
        """Every attribute stored in the profile document (all but loginId)."""
        return tuple(a for a in self.attributes if a.name != "loginId")


CATALOGUE: CacheKey[Catalogue] = CacheKey("catalogue")
"""The last committed catalogue read by this process (checked against the version first)."""

_SELECT = (
    "SELECT name, display_name, datatype, description, builtin, source_priority, status,"
    " scim_path, position, version, created_at, updated_at FROM profile_attributes"
    " ORDER BY position, name"
)


async def get_catalogue(tx: Tx) -> Catalogue:
    """The current catalogue, served from the per-process memo when its version is current.

    Its version and, until commit, the catalogue itself are also kept in the transaction's memo:
    a SCIM Bulk runs many writes in one transaction and reads neither again.
    """
    version = tx.memo.get("catalogue_version")
    if version is None:
        version = tx.memo["catalogue_version"] = int(
            await tx.fetchval("SELECT catalogue_version FROM service_state WHERE id = 1")
        )
    for cached in (tx.cache.get(CATALOGUE), tx.memo.get("catalogue")):
        if isinstance(cached, Catalogue) and cached.version == version:
            return cached
    rows = await tx.fetch(_SELECT)
    attrs = tuple(
        Attribute(
            name=r["name"],
            display_name=r["display_name"],
            datatype=Datatype(r["datatype"]),
            description=r["description"],
            builtin=bool(r["builtin"]),
            source_priority=SourcePriority(r["source_priority"]),
            status=AttributeStatus(r["status"]),
            scim_path=r["scim_path"],
            position=int(r["position"]),
            version=int(r["version"]),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    )
    catalogue = tx.memo["catalogue"] = Catalogue(version, attrs)
    # Memoise only once committed: a rolled-back change must not leave its catalogue behind
    # under a version number that the next committed change will reuse.
    tx.after_commit(lambda: tx.cache.put(CATALOGUE, catalogue))
    return catalogue


def validate_login_id(value: Any, *, field: str = "loginId") -> str:
    """A trimmed loginId; raises InvalidValue when empty, over-long or not text."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{field} must be a non-empty string", fields=[field])
    text: str = value.strip()
    if len(text) > MAX_LOGIN_ID:
        raise InvalidValue(f"{field} is longer than {MAX_LOGIN_ID} characters", fields=[field])
    if _CONTROL.search(text):
        raise InvalidValue(f"{field} contains control characters", fields=[field])
    return text


def _check_string(name: str, value: Any, limit: int = MAX_STRING) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string", fields=[name])
    if len(value) > limit:
        raise InvalidValue(f"{name} is longer than {limit} characters", fields=[name])
    if "\x00" in value:  # PostgreSQL cannot store it; refused on both engines alike
        raise InvalidValue(f"{name} contains the NUL character (U+0000)", fields=[name])
    return value


MAX_SAFE_INTEGER = 2**53 - 1  # exact in JSON doubles, SQLite INTEGER and PostgreSQL jsonb alike


def _check_number(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(f"{name} must be a number", fields=[name])
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"{name} must be a finite number", fields=[name])
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise InvalidValue(
            f"{name} must be an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER} "
            "(or a decimal number)",
            fields=[name],
        )
    return value


def _check_array(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ARRAY:
        raise InvalidValue(f"{name} must be a list of at most {MAX_ARRAY} strings", fields=[name])
    return [_check_string(name, v) for v in value]


def validate_value(attr: Attribute, value: Any) -> Any:
    """The value normalised for storage; raises InvalidValue naming the attribute."""
    if value is None:
        return None
    if attr.datatype is Datatype.NUMBER:
        return _check_number(attr.name, value)
    if attr.datatype is Datatype.STRING_ARRAY:
        return _check_array(attr.name, value)
    limit = MAX_LOGIN_ID if attr.datatype is Datatype.IDENTIFIER else MAX_STRING
    text = _check_string(attr.name, value, limit)
    if attr.name in EMAIL_ATTRIBUTES:
        text = text.strip()
        if len(text) > 254 or not _EMAIL.match(text):
            raise InvalidValue(f"{attr.name} is not a valid email address", fields=[attr.name])
    return text or None


def validate_profile(catalogue: Catalogue, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial profile; raises InvalidValue naming every unknown attribute first."""
    unknown = sorted(k for k in values if catalogue.get(k) is None or k == "loginId")
    if unknown:
        raise InvalidValue(f"unknown profile attribute(s): {', '.join(unknown)}", fields=unknown)
    out: dict[str, Any] = {}
    for key, value in values.items():
        attr = catalogue.get(key)
        assert attr is not None
        out[key] = validate_value(attr, value)
    return out


async def _bump_catalogue(tx: Tx) -> None:
    tx.memo.pop("catalogue_version", None)
    tx.memo.pop("catalogue", None)
    await tx.execute(
        "UPDATE service_state SET catalogue_version = catalogue_version + 1, updated_at = :now"
        " WHERE id = 1",
        {"now": now_iso()},
    )


def _snapshot(attr: Attribute) -> dict[str, Any]:
    return {
        "displayName": attr.display_name,
        "description": attr.description,
        "sourcePriority": attr.source_priority.value,
        "status": attr.status.value,
    }


async def _check_display_name_free(tx: Tx, display_name: str, except_name: str = "") -> None:
    taken = await tx.fetchval(
        "SELECT name FROM profile_attributes WHERE lower(display_name) = lower(:d) AND name <> :n",
        {"d": display_name, "n": except_name},
    )
    if taken is not None:
        raise AlreadyExists(
            f"another attribute ({taken}) already has the display name {display_name!r}",
            fields=["displayName"],
        )


async def update_profile_attribute(
    tx: Tx,
    *,
    actor: Actor,
    name: str,
    display_name: str | None = None,
    description: str | None = None,
    source_priority: SourcePriority | None = None,
    status: AttributeStatus | None = None,
) -> Attribute:
    """Change the editable settings of an attribute; raises NotFound, InvalidValue, Forbidden."""
    require_writer(actor)
    current = (await get_catalogue(tx)).get(name)
    if current is None:
        raise NotFound(f"no profile attribute named {name!r}", fields=["name"])
    if status is AttributeStatus.HIDDEN and name in ALWAYS_VISIBLE:
        raise InvalidValue(f"{name} is managed by the system and is always visible", ["status"])
    if display_name is not None:
        display_name = _check_string("displayName", display_name, 255).strip()
        if not display_name:
            raise InvalidValue("displayName must not be empty", fields=["displayName"])
        await _check_display_name_free(tx, display_name, name)
    updated = replace(
        current,
        display_name=display_name if display_name is not None else current.display_name,
        description=(
            _check_string("description", description)
            if description is not None
            else current.description
        ),
        source_priority=source_priority or current.source_priority,
        status=status or current.status,
        version=current.version + 1,
        updated_at=now_iso(),
    )
    changes = diff(_snapshot(current), _snapshot(updated))
    if not changes:
        return current
    await tx.execute(
        "UPDATE profile_attributes SET display_name = :d, description = :desc,"
        " source_priority = :sp, status = :st, version = :v, updated_at = :u WHERE name = :n",
        {
            "d": updated.display_name,
            "desc": updated.description,
            "sp": updated.source_priority.value,
            "st": updated.status.value,
            "v": updated.version,
            "u": updated.updated_at,
            "n": name,
        },
    )
    await _bump_catalogue(tx)
    await record_audit(
        tx,
        actor=actor,
        action="profileAttribute.update",
        target_type="ProfileAttribute",
        target_id=name,
        target_label=updated.display_name,
        changes=changes,
    )
    return updated


async def create_custom_attribute(
    tx: Tx,
    *,
    actor: Actor,
    variable_name: str,
    display_name: str,
    datatype: Datatype,
    description: str = "",
) -> Attribute:
    """Add a custom attribute (no migration needed); raises InvalidValue, AlreadyExists."""
    require_writer(actor)
    if not isinstance(variable_name, str) or not _VARIABLE_NAME.match(variable_name):
        raise InvalidValue(
            "variableName must start with a letter and hold only letters, digits and _ "
            "(at most 64)",
            fields=["variableName"],
        )
    display_name = _check_string("displayName", display_name, 255).strip()
    if not display_name:
        raise InvalidValue("displayName must not be empty", fields=["displayName"])
    catalogue = await get_catalogue(tx)
    if any(a.name.lower() == variable_name.lower() for a in catalogue.attributes):
        raise AlreadyExists(
            f"an attribute named {variable_name!r} already exists", fields=["variableName"]
        )
    await _check_display_name_free(tx, display_name)
    now = now_iso()
    attr = Attribute(
        name=variable_name,
        display_name=display_name,
        datatype=datatype,
        description=_check_string("description", description),
        builtin=False,
        source_priority=SourcePriority.INHERIT_FROM_IDP,
        status=AttributeStatus.VISIBLE,
        scim_path=f"{CUSTOM_URN}:{variable_name}",
        position=1000 + len(catalogue.attributes),
        version=1,
        created_at=now,
        updated_at=now,
    )
    await tx.execute(
        "INSERT INTO profile_attributes (name, display_name, datatype, description, builtin,"
        " source_priority, status, scim_path, position, version, created_at, updated_at)"
        " VALUES (:n, :d, :t, :desc, :b, :sp, :st, :p, :pos, 1, :now, :now)",
        {
            "n": attr.name,
            "d": attr.display_name,
            "t": attr.datatype.value,
            "desc": attr.description,
            "b": False,
            "sp": attr.source_priority.value,
            "st": attr.status.value,
            "p": attr.scim_path,
            "pos": attr.position,
            "now": now,
        },
    )
    await _bump_catalogue(tx)
    await record_audit(
        tx,
        actor=actor,
        action="profileAttribute.create",
        target_type="ProfileAttribute",
        target_id=attr.name,
        target_label=attr.display_name,
        changes=diff({}, {"datatype": attr.datatype.value, **_snapshot(attr)}),
    )
    return attr


async def delete_custom_attribute(tx: Tx, *, actor: Actor, name: str) -> Attribute:
    """Remove a custom attribute and its values; raises NotFound, InvalidValue (built-in)."""
    require_writer(actor)
    attr = (await get_catalogue(tx)).get(name)
    if attr is None:
        raise NotFound(f"no profile attribute named {name!r}", fields=["name"])
    if attr.builtin:
        raise InvalidValue(f"{name} is built in and cannot be deleted", fields=["name"])
    await tx.execute("DELETE FROM profile_attributes WHERE name = :n", {"n": name})
    d = tx.dialect
    await tx.execute(
        f"UPDATE users SET profile = {d.json_remove('profile', name)}"
        f" WHERE {d.json_text('profile', name)} IS NOT NULL"
    )
    await _bump_catalogue(tx)
    await record_audit(
        tx,
        actor=actor,
        action="profileAttribute.delete",
        target_type="ProfileAttribute",
        target_id=name,
        target_label=attr.display_name,
        changes=diff({"datatype": attr.datatype.value, **_snapshot(attr)}, {}),
    )
    return attr
