"""Validation of a document: the linear limit checks first, then graphql-core's rules, bounded.

Order and bounds, so that no document up to the token limit keeps a worker busy:

1. ``check_limits`` (app/graphql/limits.py): spreads, duplicate response names, expanded
   size, depth, aliases, nodes, in one pass linear in the document. A refusal here ends it.
2. graphql-core's rules, with OverlappingFieldsCanBeMerged on a small complexity budget
   (graphql-core's default, 500,000 units, is about a second of work) and a CPU-time budget
   on the whole walk, checked at every node.

Results are cached per query text (the same text always validates the same way), and
suggestions ("Did you mean ...?") are left out while introspection is off: they would name
the schema that introspection hides.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import ASTValidationRule, ValidationContext, ValidationRule
from graphql.validation.rules.overlapping_fields_can_be_merged import (
    OverlappingFieldsCanBeMergedRule,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.graphql.limits import Limits, check_limits

OVERLAP_BUDGET = 50_000  # units of graphql-core's budget: about 0.1 s of comparisons
TOO_COMPLEX = (
    "the query is too complex to validate (too many fields to compare for merging): "
    "select each field once and use fewer fragments"
)


class _BudgetedOverlappingFields(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule with a smaller budget: it compares every pair of same-named fields."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET


def _time_budget(seconds: float) -> type[ValidationRule]:
    """A rule that aborts the walk once it has used ``seconds`` of CPU (checked at every node).

    CPU time of this thread, not wall-clock time: what the budget protects is the worker's
    processor, and a worker that another process kept off the CPU must not refuse a query.
    """

    class TimeBudget(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.deadline = time.thread_time() + seconds

        def enter(self, *_: Any) -> None:
            if time.thread_time() > self.deadline:
                used = f"{seconds * 1000:.0f} ms"
                raise ValidationAbortedError(
                    f"validation used more than {used} of CPU: the query is refused"
                )

    return TimeBudget


class Validator:
    """Validation for one schema's settings, with an LRU cache of results per query text."""

    def __init__(self, limits: Limits, *, budget_seconds: float, hide_suggestions: bool) -> None:
        self.limits = limits
        self.hide_suggestions = hide_suggestions
        self.budget_rule = _time_budget(budget_seconds)
        self.cache: OrderedDict[tuple[str, tuple[type[ASTValidationRule], ...]], Any] = (
            OrderedDict()
        )
        self.cache_size = 256

    def rules(
        self, rules: Sequence[type[ASTValidationRule]]
    ) -> tuple[type[ASTValidationRule], ...]:
        """The request's rules with the budgets in place."""
        swapped = [
            _BudgetedOverlappingFields if r is OverlappingFieldsCanBeMergedRule else r
            for r in rules
        ]
        return (self.budget_rule, *swapped, MaybeNullValidationRule, OneOfInputValidationRule)

    def run(
        self, schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[Any], ...]
    ) -> list[GraphQLError]:
        """The document's errors: limits first, then graphql-core's rules if they pass."""
        errors = check_limits(schema, document, self.limits)
        if errors:
            return errors
        errors = validate(
            schema, document, self.rules(rules), hide_suggestions=self.hide_suggestions
        )
        return [
            GraphQLError(TOO_COMPLEX) if e.message == "Validation aborted." else e for e in errors
        ]

    def cached(
        self, schema: GraphQLSchema, query: str | None, document: DocumentNode, rules: Any
    ) -> list[GraphQLError]:
        """``run``, remembered for the last ``cache_size`` query texts."""
        if query is None:
            return self.run(schema, document, tuple(rules))
        key = (query, tuple(rules))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self.run(schema, document, tuple(rules))
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        return list(found)


class CheckedValidation(SchemaExtension):
    """Replaces strawberry's validation step with ``Validator.cached``."""

    def __init__(self, validator: Validator) -> None:
        super().__init__()
        self.validator = validator

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        assert ec.graphql_document is not None
        ec.pre_execution_errors = self.validator.cached(
            ec.schema._schema, ec.query, ec.graphql_document, ec.validation_rules
        )
        yield
