"""docs/rules.md rules 11 (one IdP at a time), 12 (SCIM tokens) and 13 (one transaction)."""

from __future__ import annotations

import pytest

from app.db import Database, Tx
from app.domain.access.api_tokens import authenticate_admin
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.access.scim_tokens import (
    authenticate_scim,
    create_scim_token,
    list_scim_tokens,
    revoke_scim_token,
    set_provisioning_enabled,
)
from app.domain.access.tokens import TokenState, hash_token
from app.domain.settings.authentication import (
    configure_authentication,
    convert_users_to_local,
    get_auth_settings,
)
from app.domain.types import AuthType
from app.domain.users.provisioning import ProvisionedUser, provision_create_user
from app.domain.users.service import UserCreate, create_user
from app.errors import (
    AlreadyExists,
    IdpLocked,
    ProvisioningDisabled,
    TokenLimitReached,
    Unauthenticated,
)
from tests.support import owner, scim_actor


async def test_rule11_switching_idp_is_refused_while_it_owns_users(tx: Tx) -> None:
    await configure_authentication(
        tx, actor=owner(), type=AuthType.OKTA, config={"issuer": "https://o"}
    )
    user, _ = await provision_create_user(
        tx, actor=scim_actor(), data=ProvisionedUser(login_id="o@x.com")
    )
    for target in (AuthType.ENTRA_ID, AuthType.INTERNAL):
        with pytest.raises(IdpLocked):
            await configure_authentication(tx, actor=owner(), type=target)
    assert (await get_auth_settings(tx)).type is AuthType.OKTA
    assert await convert_users_to_local(tx, actor=owner()) == (1, 0)
    switched = await configure_authentication(tx, actor=owner(), type=AuthType.ENTRA_ID)
    assert switched.type is AuthType.ENTRA_ID
    actions = await tx.fetch(
        "SELECT action FROM audit_entries WHERE target_id = :id ORDER BY at", {"id": user.id}
    )
    assert [r[0] for r in actions] == ["user.create", "user.convertToLocal"]


async def test_settings_read_once_per_transaction_follow_its_changes_and_savepoints(
    tx: Tx,
) -> None:
    assert (await get_auth_settings(tx)).type is AuthType.INTERNAL
    await configure_authentication(tx, actor=owner(), type=AuthType.OKTA)
    assert (await get_auth_settings(tx)).type is AuthType.OKTA

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with tx.savepoint():
            await configure_authentication(tx, actor=owner(), type=AuthType.ENTRA_ID)
            assert (await get_auth_settings(tx)).type is AuthType.ENTRA_ID
            raise Undo
    assert (await get_auth_settings(tx)).type is AuthType.OKTA


async def test_rule11_secrets_are_write_only(tx: Tx) -> None:
    settings = await configure_authentication(
        tx,
        actor=owner(),
        type=AuthType.OIDC,
        config={"clientId": "abc"},
        secrets={"clientSecret": "s3cr3t"},
    )
    assert (settings.config, settings.secret_names) == ({"clientId": "abc"}, ("clientSecret",))
    assert "s3cr3t" not in repr(settings)
    audit = await tx.fetchval(
        "SELECT changes FROM audit_entries WHERE action = 'authentication.configure'"
    )
    assert "s3cr3t" not in str(audit)


async def test_rule12_tokens_are_hashed_limited_and_revocable(tx: Tx) -> None:
    with pytest.raises(ProvisioningDisabled):
        await create_scim_token(tx, actor=owner(), name="x", ttl_days=365, max_active=2)
    first = await issue_scim_token(tx, name="okta", ttl_days=365, max_active=2)
    await issue_scim_token(tx, name="okta-2", ttl_days=365, max_active=2)
    with pytest.raises(TokenLimitReached):
        await create_scim_token(tx, actor=owner(), name="third", ttl_days=365, max_active=2)
    stored = await tx.fetch("SELECT token_hash FROM scim_tokens")
    assert hash_token(first) in {r[0] for r in stored}
    assert first not in {r[0] for r in stored}
    principal = await authenticate_scim(tx, first)
    revoke = await revoke_scim_token(tx, actor=owner(), token_id=principal.token_id)
    assert revoke.state is TokenState.REVOKED
    with pytest.raises(Unauthenticated):
        await authenticate_scim(tx, first)


async def test_rule12_tokens_expire(tx: Tx) -> None:
    secret = await issue_scim_token(tx, name="short", ttl_days=365, max_active=2)
    await tx.execute("UPDATE scim_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'")
    with pytest.raises(Unauthenticated, match="expired"):
        await authenticate_scim(tx, secret)
    assert [t.state for t in await list_scim_tokens(tx)] == [TokenState.EXPIRED]


async def test_rule12_disabling_provisioning_revokes_every_token(tx: Tx) -> None:
    secret = await issue_scim_token(tx, name="okta", ttl_days=365, max_active=2)
    await set_provisioning_enabled(tx, actor=owner(), enabled=False)
    with pytest.raises(Unauthenticated):
        await authenticate_scim(tx, secret)
    assert [t.state for t in await list_scim_tokens(tx)] == [TokenState.REVOKED]


async def test_rule12_scim_and_admin_tokens_are_not_interchangeable(tx: Tx) -> None:
    scim = await issue_scim_token(tx, name="okta", ttl_days=365, max_active=2)
    admin = await issue_admin_token(tx, login_id="root@x.com", role="owner")
    with pytest.raises(Unauthenticated):
        await authenticate_admin(tx, scim)
    with pytest.raises(Unauthenticated):
        await authenticate_scim(tx, admin)
    actor = await authenticate_admin(tx, admin)
    assert (actor.label, actor.roles) == ("root@x.com", frozenset({"OWNER"}))


async def test_rule13_a_failed_write_changes_nothing(clean_db: Database) -> None:
    async with clean_db.transaction() as tx:
        await create_user(tx, actor=owner(), data=UserCreate(login_id="taken@x.com"))
    with pytest.raises(AlreadyExists):
        async with clean_db.transaction() as tx:
            await create_user(tx, actor=owner(), data=UserCreate(login_id="fresh@x.com"))
            await create_user(tx, actor=owner(), data=UserCreate(login_id="TAKEN@x.com"))
    async with clean_db.transaction() as tx:
        logins = await tx.fetch("SELECT login_id FROM users ORDER BY login_id")
        audits = await tx.fetchval("SELECT COUNT(*) FROM audit_entries")
    assert ([r[0] for r in logins], audits) == (["taken@x.com"], 1)


async def test_rule13_every_write_bumps_version_and_is_audited(tx: Tx) -> None:
    from app.domain.users.service import UserUpdate, update_user

    user = await create_user(tx, actor=owner(), data=UserCreate(login_id="v@x.com"))
    updated = await update_user(
        tx, actor=owner(), user_id=user.id, data=UserUpdate({"title": "Dr"})
    )
    assert (user.version, updated.version) == (1, 2)
    entry = await tx.fetchrow(
        "SELECT actor_label, action, target_id, changes FROM audit_entries"
        " WHERE action = 'user.update'"
    )
    assert entry is not None
    assert (entry["actor_label"], entry["target_id"]) == ("owner@example.com", user.id)
    assert "profile.title" in str(entry["changes"])
