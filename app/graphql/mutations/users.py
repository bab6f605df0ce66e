# mypy: disable-error-code="untyped-decorator"
# (strawberry.field/mutation(...) with arguments is typed Any: it doubles as a dataclass field)
"""User mutations: create, update (rule 3), status, delete, restore, convert to LOCAL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from strawberry import UNSET

from app.db import Tx
from app.domain.settings.conversion import Conversion, ConversionReport, convert_to_local
from app.domain.types import Actor, UserRecord
from app.domain.users import service as user_rules
from app.graphql.context import Info
from app.graphql.errors import UserError, UserErrorCode
from app.graphql.ids import decode_id, decode_ids, to_global_id
from app.graphql.mutations.base import Payload, run_mutation
from app.graphql.types.builtin import BuiltinProfileInput, builtin_input
from app.graphql.types.catalogue import AttributeValueInput, custom_values
from app.graphql.types.users import User


def _profile(data: BuiltinProfileInput, custom: list[AttributeValueInput] | None) -> dict[str, Any]:
    return {**builtin_input(data), **custom_values(custom)}


@strawberry.input(name="CreateUserInput", description="A new LOCAL user.")
class CreateUserInput(BuiltinProfileInput):
    """Input of createUser."""

    login_id: str = strawberry.field(description="Login name, unique case-insensitively.")
    external_id: str | None = strawberry.field(default=None, description="External id.")
    active: bool = strawberry.field(default=True, description="Start ACTIVE (else INACTIVE).")
    notes: str | None = strawberry.field(default=None, description="Admin notes.")
    custom_attributes: list[AttributeValueInput] | None = strawberry.field(
        default=None, description="Values of custom attributes."
    )


@strawberry.input(
    name="UpdateUserInput",
    description="An edit applied as a whole or not at all; absent fields are kept, null clears.",
)
class UpdateUserInput(BuiltinProfileInput):
    """Input of updateUser."""

    id: strawberry.ID = strawberry.field(description="Global id of the user.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with VERSION_CONFLICT unless the user is at it."
    )
    login_id: str | None = strawberry.field(default=UNSET, description="New login name.")
    external_id: str | None = strawberry.field(default=UNSET, description="New external id.")
    notes: str | None = strawberry.field(default=UNSET, description="Admin notes.")
    custom_attributes: list[AttributeValueInput] | None = strawberry.field(
        default=None, description="Values of custom attributes (null value clears one)."
    )

    def values(self) -> dict[str, Any]:
        """Every field the input names, by domain field name."""
        out = _profile(self, self.custom_attributes)
        for name, value in (
            ("loginId", self.login_id),
            ("externalId", self.external_id),
            ("notes", self.notes),
        ):
            if value is not UNSET:
                out[name] = value
        return out


@strawberry.type(name="UserPayload", description="The user a mutation wrote, or why not.")
class UserPayload(Payload):
    """Result of a user mutation (each mutation names its own subclass)."""

    user: User | None = strawberry.field(description="The user after the change; null if refused.")


@strawberry.type(name="CreateUserPayload", description="Result of createUser.")
class CreateUserPayload(UserPayload):
    """Result of createUser."""


@strawberry.type(name="UpdateUserPayload", description="Result of updateUser.")
class UpdateUserPayload(UserPayload):
    """Result of updateUser."""


@strawberry.type(name="SetUserStatusPayload", description="Result of setUserStatus.")
class SetUserStatusPayload(UserPayload):
    """Result of setUserStatus."""


@strawberry.type(name="DeleteUserPayload", description="Result of deleteUser (the deleted user).")
class DeleteUserPayload(UserPayload):
    """Result of deleteUser."""


@strawberry.type(name="RestoreUserPayload", description="Result of restoreUser.")
class RestoreUserPayload(UserPayload):
    """Result of restoreUser."""


@strawberry.input(name="SetUserStatusInput", description="Deactivate or reactivate a user.")
class SetUserStatusInput:
    """Input of setUserStatus (allowed for IdP-owned users: an emergency lock)."""

    id: strawberry.ID = strawberry.field(description="Global id of the user.")
    active: bool = strawberry.field(description="true: ACTIVE, false: INACTIVE.")
    reason: str = strawberry.field(description="Why (required; audited).")


@strawberry.input(name="DeleteUserInput", description="The user to soft-delete.")
class DeleteUserInput:
    """Input of deleteUser."""

    id: strawberry.ID = strawberry.field(description="Global id of the user.")


@strawberry.input(name="RestoreUserInput", description="The deleted user to restore.")
class RestoreUserInput:
    """Input of restoreUser."""

    id: strawberry.ID = strawberry.field(description="Global id of the deleted user.")


@strawberry.input(name="ConvertUsersToLocalInput", description="Make IdP-owned records LOCAL.")
class ConvertUsersToLocalInput:
    """Input of convertUsersToLocal (rule 11)."""

    user_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These users; null converts every IdP-owned user and group."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Report what would be converted, and what not, changing nothing."
    )


@strawberry.type(
    name="ConversionResult",
    description="One record convertUsersToLocal considered: converted, or why not.",
)
class ConversionResult:
    """The outcome for one user or group."""

    id: strawberry.ID = strawberry.field(description="Global id of the user or group.")
    type_name: str = strawberry.field(name="type", description="User or Group.")
    label: str = strawberry.field(description="Its loginId or displayName.")
    previous_auth_provider: str = strawberry.field(description="The IdP that owned it.")
    converted: bool = strawberry.field(
        description="Now LOCAL (in a dry run: would be); false when refused (see error)."
    )
    error: UserError | None = strawberry.field(
        description="Why it stays with its IdP, naming the colliding LOCAL record."
    )
    conflicting_id: strawberry.ID | None = strawberry.field(
        description="Global id of the LOCAL record that already holds its externalId."
    )

    @staticmethod
    def of(item: Conversion) -> ConversionResult:
        """The GraphQL view of a domain conversion outcome."""
        error = None
        if item.error is not None:
            error = UserError(
                code=UserErrorCode.ALREADY_EXISTS,
                field="externalId",
                fields=["externalId"],
                message=item.error,
            )
        conflicting = item.conflicting_id
        return ConversionResult(
            id=strawberry.ID(to_global_id(item.target_type, item.target_id)),
            type_name=item.target_type,
            label=item.label,
            previous_auth_provider=item.auth_provider,
            converted=item.converted,
            error=error,
            conflicting_id=(
                None
                if conflicting is None
                else strawberry.ID(to_global_id(item.target_type, conflicting))
            ),
        )


@strawberry.type(
    name="ConvertUsersToLocalPayload",
    description="Which records became LOCAL (or would, in a dry run), and which could not.",
)
class ConvertUsersToLocalPayload(Payload):
    """Result of convertUsersToLocal."""

    converted_users: int = strawberry.field(description="Users converted (dry run: would be).")
    converted_groups: int = strawberry.field(description="Groups converted (dry run: would be).")
    dry_run: bool = strawberry.field(description="Nothing was changed: a report only.")
    results: list[ConversionResult] = strawberry.field(
        description="Each record considered, users then groups, in id order."
    )


P = TypeVar("P", bound=UserPayload)


def _user_payload(info: Info, cls: type[P], result: tuple[Any, list[UserError]]) -> P:
    record, errors = result
    return cls(user=User.of(record, info.context) if record else None, user_errors=errors)


async def _on_user(
    info: Info, cls: type[P], global_id: str, rule: Callable[..., Awaitable[UserRecord]]
) -> P:
    """Run ``rule`` (delete or restore) on the user with this global id."""

    async def act(tx: Tx, actor: Actor) -> UserRecord:
        return await rule(tx, actor=actor, user_id=decode_id(global_id, "User"))

    return _user_payload(info, cls, await run_mutation(info, act))


@strawberry.type(name="UserMutations", description="User mutations.")
class UserMutations:
    """Mutations on users."""

    @strawberry.mutation(description="Create a LOCAL user.")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        data = user_rules.UserCreate(
            login_id=input.login_id,
            profile=_profile(input, input.custom_attributes),
            external_id=input.external_id,
            active=input.active,
            notes=input.notes,
        )

        async def act(tx: Tx, actor: Actor) -> Any:
            return await user_rules.create_user(tx, actor=actor, data=data)

        return _user_payload(info, CreateUserPayload, await run_mutation(info, act))

    @strawberry.mutation(
        description="Edit a user; touching an IdP-owned field refuses all with MANAGED_BY_IDP."
    )
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            data = user_rules.UserUpdate(input.values(), input.expected_version)
            user_id = decode_id(input.id, "User")
            return await user_rules.update_user(tx, actor=actor, user_id=user_id, data=data)

        return _user_payload(info, UpdateUserPayload, await run_mutation(info, act))

    @strawberry.mutation(description="Deactivate or reactivate a user, with a reason.")
    async def set_user_status(self, info: Info, input: SetUserStatusInput) -> SetUserStatusPayload:
        async def act(tx: Tx, actor: Actor) -> Any:
            return await user_rules.set_user_status(
                tx,
                actor=actor,
                user_id=decode_id(input.id, "User"),
                active=input.active,
                reason=input.reason,
            )

        return _user_payload(info, SetUserStatusPayload, await run_mutation(info, act))

    @strawberry.mutation(description="Soft-delete a LOCAL user (IdP-owned: MANAGED_BY_IDP).")
    async def delete_user(self, info: Info, input: DeleteUserInput) -> DeleteUserPayload:
        return await _on_user(info, DeleteUserPayload, input.id, user_rules.delete_user)

    @strawberry.mutation(description="Undo the deletion of a LOCAL user.")
    async def restore_user(self, info: Info, input: RestoreUserInput) -> RestoreUserPayload:
        return await _on_user(info, RestoreUserPayload, input.id, user_rules.restore_user)

    @strawberry.mutation(
        description="Make IdP-owned users (and, for all, groups) LOCAL, each audited; a record"
        " whose externalId a LOCAL record holds is reported and the others converted."
    )
    async def convert_users_to_local(
        self, info: Info, input: ConvertUsersToLocalInput
    ) -> ConvertUsersToLocalPayload:
        async def act(tx: Tx, actor: Actor) -> ConversionReport:
            ids = None if input.user_ids is None else decode_ids(input.user_ids, "User", "userIds")
            return await convert_to_local(tx, actor=actor, user_ids=ids, dry_run=input.dry_run)

        report, errors = await run_mutation(info, act)
        if report is None:
            report = ConversionReport(dry_run=input.dry_run)
        return ConvertUsersToLocalPayload(
            converted_users=report.converted("User"),
            converted_groups=report.converted("Group"),
            dry_run=report.dry_run,
            results=[ConversionResult.of(item) for item in report.items],
            user_errors=errors,
        )
