"""Schema extensions: the request's read transaction and the error policy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.errors import RosterError
from app.graphql.context import Context

log = logging.getLogger("roster.graphql")


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
    """Domain errors keep their message and code; anything unexpected is logged and masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._map(e) for e in errors]

    def _map(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
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
