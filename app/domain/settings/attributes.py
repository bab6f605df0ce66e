"""The Profile Editor's edits (settings package): an attribute's settings, adding and removing
custom attributes.

Each edit bumps the catalogue version (every worker reads the catalogue again) and is audited.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any

from app.db import Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, diff, record_audit
from app.domain.clock import now_iso
from app.domain.settings import store
from app.domain.settings.catalogue import (
    ALWAYS_VISIBLE,
    CUSTOM_URN,
    Attribute,
    catalogue_changed,
    get_catalogue,
)
from app.domain.settings.values import check_string
from app.domain.types import Actor, AttributeStatus, Change, Datatype, SourcePriority
from app.errors import AlreadyExists, InvalidValue, NotFound

_VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def _snapshot(attr: Attribute) -> dict[str, Any]:
    return {
        "displayName": attr.display_name,
        "description": attr.description,
        "sourcePriority": attr.source_priority.value,
        "status": attr.status.value,
    }


def _columns(attr: Attribute) -> dict[str, Any]:
    """The attribute as its catalogue row's columns."""
    row = asdict(attr)
    for key in ("datatype", "source_priority", "status"):
        row[key] = row[key].value
    return row


def _clean_display_name(value: str) -> str:
    """A display name trimmed; raises InvalidValue when it is not text or is empty."""
    display_name = check_string("displayName", value, 255).strip()
    if not display_name:
        raise InvalidValue("displayName must not be empty", fields=["displayName"])
    return display_name


async def _check_display_name_free(tx: Tx, display_name: str, except_name: str = "") -> None:
    """Raises AlreadyExists when another attribute has this display name (any letter case)."""
    taken = await store.name_with_display_name(tx, display_name, except_name)
    if taken is not None:
        raise AlreadyExists(
            f"another attribute ({taken}) already has the display name {display_name!r}",
            fields=["displayName"],
        )


async def _existing(tx: Tx, name: str) -> Attribute:
    attr = (await get_catalogue(tx)).get(name)
    if attr is None:
        raise NotFound(f"no profile attribute named {name!r}", fields=["name"])
    return attr


async def _changed(tx: Tx, actor: Actor, verb: str, attr: Attribute, changes: list[Change]) -> None:
    """After an edit: bump the catalogue version and audit ``profileAttribute.<verb>``."""
    await catalogue_changed(tx)
    await record_audit(
        tx,
        actor=actor,
        action=f"profileAttribute.{verb}",
        target=AuditTarget("ProfileAttribute", attr.name, attr.display_name),
        changes=changes,
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
    current = await _existing(tx, name)
    if status is AttributeStatus.HIDDEN and name in ALWAYS_VISIBLE:
        raise InvalidValue(f"{name} is managed by the system and is always visible", ["status"])
    if display_name is not None:
        display_name = _clean_display_name(display_name)
        await _check_display_name_free(tx, display_name, name)
    updated = replace(
        current,
        display_name=display_name if display_name is not None else current.display_name,
        description=(
            check_string("description", description)
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
    await store.update_attribute(tx, name, _columns(updated))
    await _changed(tx, actor, "update", updated, changes)
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
    display_name = _clean_display_name(display_name)
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
        description=check_string("description", description),
        builtin=False,
        source_priority=SourcePriority.INHERIT_FROM_IDP,
        status=AttributeStatus.VISIBLE,
        scim_path=f"{CUSTOM_URN}:{variable_name}",
        position=1000 + len(catalogue.attributes),
        version=1,
        created_at=now,
        updated_at=now,
    )
    await store.insert_attribute(tx, _columns(attr))
    await _changed(
        tx, actor, "create", attr, diff({}, {"datatype": attr.datatype.value, **_snapshot(attr)})
    )
    return attr


async def delete_custom_attribute(tx: Tx, *, actor: Actor, name: str) -> Attribute:
    """Remove a custom attribute and its values; raises NotFound, InvalidValue (built-in)."""
    require_writer(actor)
    attr = await _existing(tx, name)
    if attr.builtin:
        raise InvalidValue(f"{name} is built in and cannot be deleted", fields=["name"])
    await store.delete_attribute(tx, name)
    await _changed(
        tx, actor, "delete", attr, diff({"datatype": attr.datatype.value, **_snapshot(attr)}, {})
    )
    return attr
