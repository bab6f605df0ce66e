"""Schema extensions: the request's read transaction and the error policy."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.errors import RosterError
from app.graphql.context import Context

log = logging.getLogger("roster.graphql")
# graphql-core's suggestions: " Did you mean 'a', 'b', or 'c'?" (names hold no '?').
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


class RequestTransaction(SchemaExtension):
    """A query runs in one read transaction shared by all its fields and DataLoaders.

    Mutations open one write transaction per field instead (see mutations/base.py), and
    subscriptions read per event.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context.context
        if not isinstance(ctx, Context) or ctx.tx is not None or not self._is_query():
            yield
            return
        async with ctx.db.transaction(write=False) as tx:
            ctx.tx = tx
            try:
                yield
            finally:
                ctx.tx = None

    def _is_query(self) -> bool:
        try:
            return self.execution_context.operation_type is OperationType.QUERY
        except RuntimeError:
            return False


class ErrorPolicy(SchemaExtension):
    """Domain errors keep their message and code; anything unexpected is logged and masked.

    An error without a path is the request's own fault (a syntax or validation error, a
    variable that does not coerce: graphql-core keeps the scalar's exception as its original
    error) and is never masked. While introspection is off, suggestions are cut from every
    message: they would name the schema that introspection hides.
    """

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._hide(self._map(e)) for e in errors]

    def _hide(self, error: GraphQLError) -> GraphQLError:
        if not self.hide_suggestions or "Did you mean" not in error.message:
            return error
        return GraphQLError(
            _SUGGESTION.sub("", error.message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=error.extensions,
        )

    def _map(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError) or error.path is None:
            return error
        if isinstance(original, RosterError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": original.code, "fields": list(original.fields)},
            )
        ctx = self.execution_context.context
        request_id = getattr(ctx, "request_id", None)
        log.error(
            "unexpected error in %s (request id %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=original,
        )
        return GraphQLError(
            f"Unexpected error (request id {request_id}).",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
