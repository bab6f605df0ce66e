"""/Users and /Users/{id} (RFC 7644 §3.3, §3.4.1, §3.5, §3.6): parse, one domain call, map."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response

from app.domain.groups.lookups import groups_of_users
from app.domain.guard import writes as guard
from app.domain.types import UserRecord
from app.domain.users.provisioning import (
    ProvisionedUser,
    ignored_by_source,
    provision_create_user,
    provision_delete_user,
    provision_update_user,
)
from app.domain.users.store import load_user, user_with_groups
from app.errors import AlreadyExists, InvalidValue, RosterError
from app.scim.dialects import normalise_patch, normalise_resource
from app.scim.errors import invalid_value
from app.scim.guarded import held
from app.scim.mapping import ScimUserInput, UserMapping
from app.scim.params import not_modified, query_projection
from app.scim.patch import UserShape, apply_user_patch
from app.scim.pipeline import Call, Op, Session, Written, read
from app.scim.projection import Projection
from app.scim.wire import etag, no_content, scim_json


def _input(session: Session, body: Any, ignored: list[str]) -> ScimUserInput:
    doc = normalise_resource(body, session.mapping.vocabulary, ignored)
    return session.mapping.read(doc)


def _provisioned(found: ScimUserInput, *, replace: bool) -> ProvisionedUser:
    if not isinstance(found.login_id, str) or not found.login_id.strip():
        raise invalid_value("userName is required and must be a non-empty string")
    if found.external_id is not None and not isinstance(found.external_id, str):
        raise invalid_value("externalId must be a string")
    profile = (
        found.profile if replace else {k: v for k, v in found.profile.items() if v is not None}
    )
    return ProvisionedUser(
        found.login_id, found.external_id, found.active, dict(profile), scim_extras=found.extras
    )


def scim_names(exc: RosterError, mapping: UserMapping) -> RosterError:
    """A domain error whose detail also names the SCIM attributes at fault."""
    if not isinstance(exc, InvalidValue | AlreadyExists) or not exc.fields:
        return exc
    names = ["userName" if f == "loginId" else mapping.scim_path(f) for f in exc.fields]
    return type(exc)(f"{', '.join(names)}: {exc.message}", exc.fields)


async def render_user(
    session: Session,
    base: str,
    user: UserRecord,
    proj: Projection,
    *,
    fresh: bool = False,
    groups: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The projected resource; reads the user's groups only when they are returned (and were
    not read with the user)."""
    if groups is None:
        groups = []
        if proj.wants("groups") and not fresh:
            found = await groups_of_users(session.tx, [user.id])
            groups = [(g.id, g.display_name) for g in found[user.id]]
    return proj.apply(session.mapping.render(user, base, groups))


async def _written(
    s: Session,
    op: Op,
    user: UserRecord,
    ignored: tuple[list[str], ProvisionedUser],
    *,
    created: bool = False,
) -> Written:
    """The response of a write: the resource (none in Bulk), ETag, and Location on create;
    the event lists what was ignored, rule 5's local values included."""
    doc = await render_user(s, op.base, user, op.proj, fresh=created) if op.render else {}
    headers = {"ETag": etag(user.version)}
    if created:
        headers["Location"] = f"{op.base}/Users/{user.id}"
    paths, data = ignored
    local = ignored_by_source(user.is_local, s.catalogue, data.profile)
    paths = [*paths, *(s.mapping.scim_path(name) for name in local)]
    response = scim_json(doc, 201 if created else 200, headers)
    return Written(response, user.id, user.external_id, ignored=paths)


async def get_user(call: Call) -> Response:
    """GET /Users/{id}; If-None-Match answers 304."""
    user_id, proj = call.request.path_params["id"], query_projection(call)

    async def work(s: Session) -> Response:
        groups = None
        if proj.wants("groups"):
            user, groups = await user_with_groups(s.tx, user_id)
        else:
            user = await load_user(s.tx, user_id)
        cached = not_modified(call, user.version)
        if cached is not None:
            return cached
        doc = await render_user(s, call.base, user, proj, groups=groups)
        return scim_json(doc, 200, {"ETag": etag(user.version)})

    return await read(call, work, single=True)


async def user_create(s: Session, op: Op) -> Written:
    """Create (or restore) a user: POST /Users and Bulk POST."""
    ignored: list[str] = []
    data = _provisioned(_input(s, op.body(), ignored), replace=False)
    try:
        user, _ = await provision_create_user(s.tx, actor=s.actor, data=data)
    except RosterError as exc:
        raise scim_names(exc, s.mapping) from exc
    return await _written(s, op, user, (ignored, data), created=True)


async def user_replace(s: Session, op: Op) -> Written:
    """Replace a user: attributes not sent are cleared; read-only ones are kept."""
    assert op.resource_id is not None
    ignored: list[str] = []
    data = _provisioned(_input(s, op.body(), ignored), replace=True)
    stored = None
    if data.active is False:  # a deactivation? (rule 19)
        stored = await load_user(s.tx, op.resource_id, for_update=True)
    return await _update(
        s, op, stored, (ignored, data), method="PUT", expected_version=op.expected_version
    )


async def _update(
    s: Session,
    op: Op,
    stored: UserRecord | None,
    ignored: tuple[list[str], ProvisionedUser],
    *,
    method: str,
    expected_version: int | None,
) -> Written:
    """Apply a PUT or PATCH, unless the guard holds it (rule 19; ``stored`` None: the write
    cannot be destructive, so the guard is not asked)."""
    assert op.resource_id is not None
    data = ignored[1]
    if stored is not None:
        detail = await held(s, guard.user_update(s.actor, stored, data, method))
        if detail is not None:
            return replace(await _written(s, op, stored, ignored), held=detail)
    try:
        user = await provision_update_user(
            s.tx,
            actor=s.actor,
            user_id=op.resource_id,
            data=data,
            expected_version=expected_version,
        )
    except RosterError as exc:
        raise scim_names(exc, s.mapping) from exc
    return await _written(s, op, user, ignored)


def _changes(before: ScimUserInput, after: ScimUserInput) -> ProvisionedUser:
    """Only what the PATCH changed; the domain touches nothing else."""
    if not isinstance(after.login_id, str) or not after.login_id.strip():
        raise invalid_value("userName is required and cannot be removed")
    touch = {
        name
        for name, old, new in (
            ("loginId", before.login_id, after.login_id),
            ("externalId", before.external_id, after.external_id),
            ("active", before.active, after.active),
        )
        if old != new
    }
    if after.external_id is not None and not isinstance(after.external_id, str):
        raise invalid_value("externalId must be a string")
    profile = {k: v for k, v in after.profile.items() if v != before.profile.get(k)}
    extras = after.extras if after.extras != before.extras else None
    return ProvisionedUser(
        after.login_id, after.external_id, after.active, profile, frozenset(touch), extras
    )


async def user_patch(s: Session, op: Op) -> Written:
    """Modify a user (RFC 7644 §3.5.2); answers 200 with the resource."""
    assert op.resource_id is not None
    ignored: list[str] = []
    ops = normalise_patch(op.body(), "User", ignored)
    user = await load_user(s.tx, op.resource_id, for_update=True)
    before = s.mapping.core(user)
    after = apply_user_patch(before, ops, UserShape.of(s.mapping), ignored)
    data = _changes(s.mapping.read(before), s.mapping.read(after))
    expected = user.version if op.expected_version is None else op.expected_version
    return await _update(s, op, user, (ignored, data), method="PATCH", expected_version=expected)


async def user_delete(s: Session, op: Op) -> Written:
    """Soft-delete a user (PRODUCT rule 8); 204, then 404."""
    assert op.resource_id is not None
    stored = await load_user(s.tx, op.resource_id, for_update=True)
    detail = await held(s, guard.user_delete(s.actor, stored))
    if detail is not None:
        return Written(no_content(), stored.id, stored.external_id, held=detail)
    user = await provision_delete_user(
        s.tx, actor=s.actor, user_id=op.resource_id, expected_version=op.expected_version
    )
    return Written(no_content(), user.id, user.external_id)
