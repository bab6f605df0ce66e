"""SCIM filters and sortBy (RFC 7644 §3.4.2.2, §3.4.2.3) turned into directory predicates.

`parse_user_filter` / `parse_group_filter` parse the filter (`app.scim.filter_parser`) and
resolve each attribute path against the schema and the Profile Editor catalogue
(`app.scim.paths`); the result is an `app.domain.directory.Predicate` that the domain compiles to
SQL. Multi-valued attributes are evaluated in part here: ``emails[type eq "work" and value co
"@x.com"]`` becomes ``profile.email co "@x.com" and profile.email pr``, because the element
type is known from the mapping. Semantics for multi-valued attributes: a comparison matches
when any element matches; ``ne`` outside brackets matches when no element equals the value.

Errors are `FilterError` (400 invalidFilter); its ``detail`` names what is wrong and where.
"""

from __future__ import annotations

from typing import cast

from app.domain.directory import (
    FALSE,
    TRUE,
    Compare,
    Op,
    Predicate,
    Present,
    and_,
    not_,
    or_,
)
from app.domain.settings.catalogue import Catalogue
from app.scim.filter_ast import (
    AttrPath,
    Comparison,
    FilterError,
    Logical,
    Negation,
    Node,
    Presence,
    Selection,
)
from app.scim.filter_parser import parse_attr_path, parse_filter
from app.scim.filter_values import coerce, const_matches
from app.scim.paths import (
    GROUP_URN,
    USER_URN,
    Complex,
    Element,
    Key,
    Multi,
    Relation,
    Resolved,
    Schemas,
    Target,
    group_schema,
    user_schema,
)

__all__ = ["FilterError", "parse_group_filter", "parse_sort", "parse_user_filter"]

Scope = dict[str, Target]


class _Resolver:
    def __init__(self, schema: dict[Key, Resolved], core_urn: str) -> None:
        self.schema = schema
        self.core = core_urn.lower()

    def lookup(self, path: AttrPath) -> Resolved:
        """The attribute a path names (without its sub-attribute); raises FilterError."""
        found = self.schema.get(((path.uri or self.core).lower(), path.attr.lower()))
        if found is None:
            raise FilterError(f'unknown attribute "{path.text}" at position {path.pos}')
        return found

    def resolve(self, node: Node, scope: Scope | None = None) -> Predicate:
        if isinstance(node, Logical):
            items = [self.resolve(t, scope) for t in node.terms]
            return and_(items) if node.op == "and" else or_(items)
        if isinstance(node, Negation):
            return not_(self.resolve(node.term, scope))
        if isinstance(node, Selection):
            if scope is not None:  # the parser refuses nesting; a scope has no selections
                raise FilterError(f"a value filter cannot hold another one ({node.path.pos})")
            return self.selection(node)
        if scope is not None:
            return self.leaf(node, _in_scope(scope, node.path))
        return self.leaf_at_root(node)

    def leaf(self, node: Comparison | Presence, target: Target) -> Predicate:
        if isinstance(node, Presence):
            return _present(target)
        return _compare(target, node)

    def leaf_at_root(self, node: Comparison | Presence) -> Predicate:
        path = node.path
        found = self.lookup(path)
        if isinstance(found, Target):
            if path.sub is not None:
                raise FilterError(f'unknown attribute "{path.text}" at position {path.pos}')
            return self.leaf(node, found)
        if isinstance(found, Complex):
            return self.complex_leaf(node, found)
        if isinstance(found, Relation):
            return _relation_leaf(node, found)
        if isinstance(found, Schemas):
            return _schemas_leaf(node, found)
        return self.multi_leaf(node, found)

    def complex_leaf(self, node: Comparison | Presence, found: Complex) -> Predicate:
        sub = node.path.sub or found.default_sub
        if sub is None:
            if isinstance(node, Presence):
                return or_(_present(t) for t in found.subs.values())
            raise FilterError(
                f'"{node.path.text}" at position {node.path.pos} is complex:'
                " compare one of its sub-attributes"
            )
        return self.leaf(node, _in_scope(found.subs, node.path, sub))

    def multi_leaf(self, node: Comparison | Presence, found: Multi) -> Predicate:
        if node.path.sub is None and isinstance(node, Presence):
            return or_(_exists(e) for e in found.elements)
        sub = node.path.sub or found.default_sub
        if sub is None:
            raise FilterError(
                f'"{node.path.text}" at position {node.path.pos} is complex:'
                " compare one of its sub-attributes"
            )
        if sub.lower() not in found.known_subs:
            raise FilterError(f'unknown attribute "{node.path.text}" at position {node.path.pos}')
        if isinstance(node, Comparison) and node.op == "ne":
            eq = Comparison(node.path, "eq", node.value, node.pos)
            return not_(self.multi_leaf(eq, found))
        terms = []
        for element in found.elements:
            scope = _element_scope(element, found)
            target = _in_scope(scope, node.path, sub)
            terms.append(and_([_exists(element), self.leaf(node, target)]))
        return or_(terms)

    def selection(self, node: Selection) -> Predicate:
        found = self.lookup(node.path)
        if isinstance(found, Multi):
            return or_(
                and_([_exists(e), self.resolve(node.filter, _element_scope(e, found))])
                for e in found.elements
            )
        if isinstance(found, Complex):
            exists = or_(_present(t) for t in found.subs.values())
            return and_([exists, self.resolve(node.filter, found.subs)])
        if isinstance(found, Relation):
            return _relation_selection(node.filter, found)
        raise FilterError(
            f'"{node.path.text}" is not multi-valued: it takes no value filter'
            f" (position {node.path.pos})"
        )


def _in_scope(scope: Scope, path: AttrPath, sub: str | None = None) -> Target:
    name = sub if sub is not None else path.attr
    if sub is None and (path.uri is not None or path.sub is not None):
        name = path.text
    found = scope.get(name.lower())
    if found is None:
        raise FilterError(f'unknown attribute "{path.text}" at position {path.pos}')
    return found


def _element_scope(element: Element, multi: Multi) -> Scope:
    scope = {s: Target(None, sortable=False) for s in multi.known_subs}
    scope["type"] = Target(None, const=element.type, sortable=False)
    scope["primary"] = Target(None, "boolean", const=element.primary, sortable=False)
    scope.update(element.subs)
    return scope


def _exists(element: Element) -> Predicate:
    return or_(_present(t) for t in element.subs.values())


def _present(target: Target) -> Predicate:
    if target.field is None:
        return FALSE if target.const is None else TRUE
    return Present(target.field)


def _compare(target: Target, node: Comparison) -> Predicate:
    value = coerce(target, node)
    if target.field is None:
        return TRUE if const_matches(target, node.op, value) else FALSE
    op = cast(Op, node.op)  # the parser admits only the nine operators
    return Compare(target.field, op, value, target.case_exact)


def _relation_leaf(node: Comparison | Presence, found: Relation) -> Predicate:
    sub = (node.path.sub or "value").lower()
    if sub != "value":
        raise FilterError(
            f'"{node.path.text}" is not filterable; use {node.path.attr}.value'
            f" (position {node.path.pos})"
        )
    if isinstance(node, Presence):
        return Present(found.field)
    return _compare(Target(found.field, case_exact=True), node)


def _schemas_leaf(node: Comparison | Presence, found: Schemas) -> Predicate:
    if isinstance(node, Presence):
        return TRUE
    value = node.value.value
    if node.op not in ("eq", "ne") or not isinstance(value, str):
        raise FilterError(f'"schemas" takes eq or ne with a URN (position {node.pos})')
    urn = value.lower()
    fields = found.extensions.get(urn, ())
    has = TRUE if urn == found.core else or_(Present(f) for f in fields)
    return has if node.op == "eq" else not_(has)


def _relation_selection(node: Node, found: Relation) -> Predicate:
    if isinstance(node, Logical) and node.op == "or":
        return or_(_relation_selection(t, found) for t in node.terms)
    if isinstance(node, Presence | Comparison) and node.path.text.lower() == "value":
        if isinstance(node, Comparison) and node.op == "ne":
            raise FilterError(f'"ne" is not supported inside a value filter on {found.field}')
        return _relation_leaf(node, found)
    raise FilterError(
        "a value filter on members or groups takes only value comparisons joined by or"
    )


_USER_RESOLVERS: dict[int, tuple[Catalogue, _Resolver]] = {}


def _user_resolver(catalogue: Catalogue) -> _Resolver:
    # Keyed by version and checked by identity (the request's catalogue is the per-process
    # memo): an lru_cache would hash the whole catalogue on every filter.
    found = _USER_RESOLVERS.get(catalogue.version)
    if found is not None and found[0] is catalogue:
        return found[1]
    if len(_USER_RESOLVERS) >= 16:
        _USER_RESOLVERS.clear()
    resolver = _Resolver(user_schema(catalogue), USER_URN)
    _USER_RESOLVERS[catalogue.version] = (catalogue, resolver)
    return resolver


_GROUPS = _Resolver(group_schema(), GROUP_URN)


def parse_user_filter(text: str, catalogue: Catalogue) -> Predicate:
    """The predicate of a filter on Users; raises FilterError."""
    return _user_resolver(catalogue).resolve(parse_filter(text))


def parse_group_filter(text: str) -> Predicate:
    """The predicate of a filter on Groups; raises FilterError."""
    return _GROUPS.resolve(parse_filter(text))


def parse_sort(sort_by: str, catalogue: Catalogue | None, resource: str = "User") -> str:
    """The domain sort field of a sortBy (RFC 7644 §3.4.2.3); raises FilterError.

    Multi-valued attributes sort by their primary element. The caller answers a FilterError
    here with 400 invalidValue (sortBy is not a filter).
    """
    if resource == "User":
        if catalogue is None:
            raise FilterError("sorting Users needs the catalogue")
        resolver = _user_resolver(catalogue)
    else:
        resolver = _GROUPS
    path = parse_attr_path(sort_by)
    target = _sort_target(resolver.lookup(path), path)
    if target.field is None or not target.sortable:
        raise FilterError(f'invalid sortBy "{sort_by}": the attribute is not sortable')
    return target.field


def _sort_target(found: Resolved, path: AttrPath) -> Target:
    if isinstance(found, Target):
        return found if path.sub is None else Target(None)
    if isinstance(found, Schemas | Relation):
        return Target(None)
    sub = (path.sub or getattr(found, "default_sub", None) or "").lower()
    if isinstance(found, Complex):
        return found.subs.get(sub, Target(None))
    if isinstance(found, Multi):
        primary = next((e for e in found.elements if e.primary), None)
        if primary is not None:
            return primary.subs.get(sub, Target(None))
    return Target(None)
