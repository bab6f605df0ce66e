"""Operator actions run by the CLI as the system actor."""

from __future__ import annotations

from app.db import Tx
from app.domain.access.api_tokens import create_api_token
from app.domain.access.roles import grant_roles
from app.domain.access.scim_tokens import create_scim_token
from app.domain.types import SYSTEM, Actor
from app.domain.users.service import UserCreate, create_user
from app.domain.users.store import find_user_by_login


async def issue_admin_token(
    tx: Tx,
    *,
    login_id: str,
    role: str,
    actor: Actor = SYSTEM,
    ttl_days: int | None = None,
    max_ttl_days: int = 365,
) -> str:
    """Create the LOCAL user if missing, grant ``role``, return a new admin API token (expiring
    after ``ttl_days``, 90 when omitted). Raises InvalidValue for a lifetime out of range."""
    user = await find_user_by_login(tx, login_id)
    if user is None:
        user = await create_user(tx, actor=actor, data=UserCreate(login_id=login_id))
    await grant_roles(tx, actor=actor, roles=[role.upper()], user_ids=[user.id])
    _, secret = await create_api_token(
        tx,
        actor=actor,
        user_id=user.id,
        name=f"cli:{login_id}",
        ttl_days=ttl_days,
        max_ttl_days=max_ttl_days,
    )
    return secret


async def issue_scim_token(
    tx: Tx, *, name: str, ttl_days: int, max_active: int, actor: Actor = SYSTEM
) -> str:
    """Enable provisioning if needed and return a new SCIM token."""
    _, secret = await create_scim_token(
        tx, actor=actor, name=name, ttl_days=ttl_days, max_active=max_active, enable=True
    )
    return secret
