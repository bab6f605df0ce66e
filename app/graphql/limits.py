"""A cost limit on queries: the nodes a query may return, as GitHub's GraphQL API counts them.

Each connection field (a field with a ``first`` argument) may return as many nodes as its
page size times the page sizes of the connections it is nested in; a query's cost is the sum
over its connections. ``users(first: 100) { nodes { groups(first: 100) { nodes { members {
... } } } } }`` may return 100 + 100·100 + 100·100·100 nodes and is refused before it runs.

It is a validation rule, and validation results are cached per document, so it cannot see
variable values: ``first: $n`` counts as the page-size cap, as does an omitted ``first``
(what the resolvers then use). A query deeper than the depth limit is left to that limiter.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)


class _TooDeep(Exception):
    """The query is deeper than the depth limit: QueryDepthLimiter reports it."""


class _Walk:
    """One operation's cost."""

    def __init__(self, context: ValidationContext, page_size: int, max_depth: int) -> None:
        self.context = context
        self.page_size = page_size
        self.max_depth = max_depth

    def page(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value in ("first", "last"):
                value = arg.value
                if isinstance(value, IntValueNode):
                    return max(0, min(int(value.value), self.page_size))
                return self.page_size  # a variable (or null): the cap
        return self.page_size

    def cost(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType | None,
        factor: int,
        depth: int,
        fragments: frozenset[str],
    ) -> int:
        if depth > self.max_depth:
            raise _TooDeep
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, factor, depth, fragments)
            elif isinstance(node, InlineFragmentNode):
                kind = (
                    self.type_named(node.type_condition.name.value)
                    if node.type_condition
                    else parent
                )
                total += self.cost(node.selection_set, kind, factor, depth, fragments)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in fragments:
                fragment = self.context.get_fragment(node.name.value)
                if fragment is not None:
                    kind = self.type_named(fragment.type_condition.name.value)
                    seen = fragments | {node.name.value}
                    total += self.cost(fragment.selection_set, kind, factor, depth, seen)
        return total

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        factor: int,
        depth: int,
        fragments: frozenset[str],
    ) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0  # an unknown field: FieldsOnCorrectTypeRule reports it
        total = 0
        if "first" in definition.args:
            factor *= self.page(node)
            total += factor
        if node.selection_set is not None:
            kind = get_named_type(definition.type)
            total += self.cost(node.selection_set, kind, factor, depth + 1, fragments)
        return total

    def type_named(self, name: str) -> GraphQLNamedType | None:
        return self.context.schema.get_type(name)


def max_nodes_rule(max_nodes: int, page_size: int, max_depth: int) -> type[ValidationRule]:
    """The validation rule refusing operations that may return more than ``max_nodes`` nodes."""

    class MaxNodes(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            walk = _Walk(self.context, page_size, max_depth)
            try:
                cost = walk.cost(node.selection_set, root, 1, 1, frozenset())
            except _TooDeep:
                return
            if cost > max_nodes:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"'{name}' may return up to {cost} nodes; the limit is {max_nodes} "
                        "(each connection counts its first/last times those it is nested in: "
                        "ask for smaller pages)",
                        node,
                    )
                )

    return MaxNodes
