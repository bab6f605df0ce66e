"""Query limits checked in one pass that is linear in the document, before any other rule.

What a query may ask for: its depth (fields nested in fields), aliases, fields once its
fragments are expanded, how often one selection set selects the same response name, how many
fragment spreads it holds, and the nodes it may return (as GitHub's GraphQL API counts them:
each connection field, one with a ``first`` argument, may return its page size times the page
sizes of the connections it is nested in; ``users(first: 100) { nodes { groups(first: 100) {
nodes { members { ... } } } } }`` may return 100 + 100·100 + 100·100·100 nodes).

Each fragment's summary (depth, aliases, fields, nodes per unit of page factor) is computed
once and reused at every spread, so ``fragment F0 on Query { ...F1 ...F1 }``, 24 levels deep,
costs 25 summaries, not 2**24 walks, while still counting the 2**24 expansions it stands for.
Results are refusals with a message; graphql-core's own rules run only on what passes.

Validation results are cached per document, so the pass cannot see variable values:
``first: $n`` counts as the page-size cap, as does an omitted ``first`` (what the resolvers
then use).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

TOO_DEEP = 1 << 30  # the depth a walk reports once it went past the limit and stopped


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one deployment (from Settings)."""

    max_depth: int
    max_aliases: int
    max_fields: int
    max_duplicates: int
    max_spreads: int
    max_nodes: int
    page_size: int


@dataclass(frozen=True, slots=True)
class Summary:
    """What a selection set asks for; fragments are counted every time they are spread."""

    depth: int = 0  # levels of fields below it (strawberry's QueryDepthLimiter count)
    aliases: int = 0
    fields: int = 0
    nodes: int = 0  # connection nodes, for a page factor of 1 (they scale linearly)

    def __add__(self, other: Summary) -> Summary:
        return Summary(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.fields + other.fields,
            self.nodes + other.nodes,
        )


class Refused(Exception):
    """A limit the document is over (its message is the client's error)."""


def _response_names(selections: SelectionSetNode) -> Counter[str]:
    """Response names of a selection set, inline fragments flattened (as graphql-core and the
    executor merge them)."""
    names: Counter[str] = Counter()
    stack = [selections]
    while stack:
        for node in stack.pop().selections:
            if isinstance(node, FieldNode):
                names[(node.alias or node.name).value] += 1
            elif isinstance(node, InlineFragmentNode):
                stack.append(node.selection_set)
    return names


class _Pass:
    """One document's summaries, each fragment's computed once."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self.operation = "anonymous"
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, Summary] = {}
        self.active: set[str] = set()

    def page(self, node: FieldNode) -> int:
        for arg in node.arguments or ():
            if arg.name.value in ("first", "last"):
                if isinstance(arg.value, IntValueNode):
                    return max(0, min(int(arg.value.value), self.limits.page_size))
                return self.limits.page_size  # a variable (or null): the cap
        return self.limits.page_size

    def selection_set(
        self, selections: SelectionSetNode, parent: GraphQLNamedType | None, level: int
    ) -> Summary:
        self.check_duplicates(selections)
        return self.selections(selections, parent, level)

    def selections(
        self, selections: SelectionSetNode, parent: GraphQLNamedType | None, level: int
    ) -> Summary:
        total = Summary()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, level)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(node.selection_set, kind, level)
            elif isinstance(node, FragmentSpreadNode):
                total += self.spread(node.name.value, level)
        return total

    def check_duplicates(self, selections: SelectionSetNode) -> None:
        names = _response_names(selections)
        if not names:
            return
        name, count = names.most_common(1)[0]
        if count > self.limits.max_duplicates:
            raise Refused(
                f"'{self.operation}' selects '{name}' {count} times in one selection set; "
                f"the limit is {self.limits.max_duplicates} (select each field once)"
            )

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, level: int) -> Summary:
        if level > self.limits.max_depth:
            return Summary(depth=TOO_DEEP)  # past the limit: refused, no need to look further
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        inner = Summary()
        if node.selection_set is not None:
            kind = get_named_type(definition.type) if definition else None
            inner = self.selection_set(node.selection_set, kind, level + 1)
        nodes = inner.nodes
        if definition is not None and "first" in definition.args:
            nodes = self.page(node) * (1 + inner.nodes)
        # Introspection fields do not count towards the depth (as in QueryDepthLimiter).
        nested = node.selection_set is not None and not node.name.value.startswith("__")
        depth = 1 + inner.depth if nested else 0
        return Summary(depth, inner.aliases + (node.alias is not None), 1 + inner.fields, nodes)

    def spread(self, name: str, level: int) -> Summary:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return Summary()  # unknown or cyclic: graphql-core's rules report it
        if name not in self.memo:
            self.active.add(name)
            kind = self.schema.get_type(fragment.type_condition.name.value)
            self.memo[name] = self.selection_set(fragment.selection_set, kind, level)
            self.active.discard(name)
        return self.memo[name]


def count_spreads(document: DocumentNode) -> int:
    """Fragment spreads written in the document (no recursion: the parser allows deep nesting)."""
    count = 0
    stack: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        for node in stack.pop().selections:
            if isinstance(node, FragmentSpreadNode):
                count += 1
            elif node.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(node.selection_set)  # type: ignore[attr-defined]
    return count


def _summarise(walk: _Pass, node: OperationDefinitionNode) -> Summary:
    walk.operation = name = node.name.value if node.name else "anonymous"
    summary = walk.selection_set(node.selection_set, walk.schema.get_root_type(node.operation), 1)
    if summary.fields > walk.limits.max_fields:
        raise Refused(
            f"'{name}' expands to {summary.fields} fields (each fragment counted every time it "
            f"is spread); the limit is {walk.limits.max_fields}"
        )
    return summary


def _errors(
    operations: list[tuple[OperationDefinitionNode, Summary]], limits: Limits
) -> list[GraphQLError]:
    """Depth errors, then the alias count of the document, then node counts (the order of the
    rules these checks replace: strawberry's depth and alias limiters, then ours)."""
    errors: list[GraphQLError] = []
    too_deep: set[int] = set()
    for i, (node, summary) in enumerate(operations):
        if summary.depth > limits.max_depth:
            name = node.name.value if node.name else "anonymous"
            message = f"'{name}' exceeds maximum operation depth of {limits.max_depth}"
            errors.append(GraphQLError(message, node))
            too_deep.add(i)
    aliases = sum(summary.aliases for _, summary in operations)
    if aliases > limits.max_aliases:
        errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {limits.max_aliases}"))
    for i, (node, summary) in enumerate(operations):
        if i not in too_deep and summary.nodes > limits.max_nodes:
            name = node.name.value if node.name else "anonymous"
            message = (
                f"'{name}' may return up to {summary.nodes} nodes; the limit is "
                f"{limits.max_nodes} (each connection counts its first/last times those it is "
                "nested in: ask for smaller pages)"
            )
            errors.append(GraphQLError(message, node))
    return errors


def check_limits(
    schema: GraphQLSchema, document: DocumentNode, limits: Limits
) -> list[GraphQLError]:
    """The errors of a document over a limit (empty when within every limit).

    Spreads, duplicate response names and the expanded size are checked first and alone: past
    them, graphql-core's own rules would be slow (OverlappingFieldsCanBeMerged compares
    every pair of fields sharing a response name).
    """
    spreads = count_spreads(document)
    if spreads > limits.max_spreads:
        message = f"{spreads} fragment spreads found; the limit is {limits.max_spreads}"
        return [GraphQLError(message)]
    walk = _Pass(schema, document, limits)
    try:
        operations = [
            (d, _summarise(walk, d))
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
    except Refused as exc:
        return [GraphQLError(str(exc))]
    return _errors(operations, limits)
