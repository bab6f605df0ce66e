"""The schema: root types, limits, caches. `sdl()` prints the published contract."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.graphql.extensions import ErrorPolicy, RequestTransaction
from app.graphql.limits import Limits
from app.graphql.mutations.groups import GroupMutations
from app.graphql.mutations.guard import GuardMutations
from app.graphql.mutations.locks import LockMutations
from app.graphql.mutations.settings import SettingsMutations
from app.graphql.mutations.tokens import TokenMutations
from app.graphql.mutations.users import UserMutations
from app.graphql.mutations.webhooks import WebhookMutations
from app.graphql.queries import Query
from app.graphql.scalars import SCALARS
from app.graphql.subscriptions import Subscription
from app.graphql.types import enum_values  # noqa: F401 - describes the enums' values
from app.graphql.types.activity import ProvisioningEvent
from app.graphql.types.admin import ApiToken, ScimToken
from app.graphql.types.audit import AuditEntry, SystemActor
from app.graphql.types.catalogue import ProfileAttribute
from app.graphql.types.groups import Group
from app.graphql.types.users import User
from app.graphql.validation import CheckedValidation, Validator
from app.settings import Settings


@strawberry.type(
    name="Mutation",
    description="Writes of the admin API (OWNER or ADMIN); each field is one transaction.",
)
class Mutation(
    UserMutations,
    GroupMutations,
    SettingsMutations,
    TokenMutations,
    LockMutations,
    GuardMutations,
    WebhookMutations,
):
    """Root mutation type."""


class RosterSchema(strawberry.Schema):
    """A schema whose errors are logged once, by `ErrorPolicy` (unexpected ones only)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def _validator(settings: Settings) -> Validator:
    limits = Limits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_fields=settings.graphql_max_fields,
        max_duplicates=settings.graphql_max_duplicate_fields,
        max_spreads=settings.graphql_max_fragment_spreads,
        max_nodes=settings.graphql_max_nodes,
        page_size=settings.graphql_max_page_size,
    )
    return Validator(
        limits,
        budget_seconds=settings.graphql_validation_budget_ms / 1000,
        hide_suggestions=not settings.graphql_introspection,
    )


def _extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Fresh extensions per request around one Validator, whose cache outlives requests.

    The token limit bounds the parser; the Validator checks the limits in one linear pass
    before graphql-core's rules (app/graphql/validation.py).
    """
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(ParserCache, maxsize=256),
        partial(CheckedValidation, _validator(settings)),
        RequestTransaction,
        partial(ErrorPolicy, hide_suggestions=not settings.graphql_introspection),
    ]
    if not settings.graphql_introspection:
        extensions.insert(2, DisableIntrospection)
    return extensions


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The executable schema with the limits of ``settings``."""
    settings = settings or Settings(_env_file=None)
    options: dict[str, Any] = {
        "types": [
            User,
            Group,
            ScimToken,
            ApiToken,
            ProfileAttribute,
            AuditEntry,
            ProvisioningEvent,
            SystemActor,
        ]
    }
    return RosterSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=_extensions(settings),
        config=StrawberryConfig(scalar_map=SCALARS),
        **options,
    )


def sdl() -> str:
    """The printed schema (what `make schema` writes to schema/graphql/schema.graphql)."""
    return build_schema().as_str() + "\n"
