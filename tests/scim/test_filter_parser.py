"""The SCIM filter parser (RFC 7644 §3.4.2.2): trees, dialects and error details."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scim2_models.path import ScimFilter

from app.scim.filter_ast import (
    AttrPath,
    Comparison,
    Literal,
    Logical,
    Negation,
    Node,
    Presence,
    Selection,
)
from app.scim.filter_parser import MAX_DEPTH, _simple, parse_filter, parse_filter_slowly
from app.scim.filters import FilterError

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def render(node: Node) -> str:
    """The filter as scim2-models renders its own tree, to compare the two parsers."""
    if isinstance(node, Comparison):
        return f"{node.path.text} {node.op} {json.dumps(node.value.value)}"
    if isinstance(node, Presence):
        return f"{node.path.text} pr"
    if isinstance(node, Negation):
        return f"not ({render(node.term)})"
    if isinstance(node, Selection):
        return f"{node.path.text}[{render(node.filter)}]"
    parts = [
        f"({render(t)})"
        if node.op == "and" and isinstance(t, Logical) and t.op == "or"
        else render(t)
        for t in node.terms
    ]
    return f" {node.op} ".join(parts)


RFC_EXAMPLES = [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    f'{CORE}:userName sw "J"',
    "title pr",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    f'schemas eq "{ENT}"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"]'
    ' or ims[type eq "xmpp" and value co "@foo.com"]',
    "a eq 1 or b eq -2.5e3 and not (c eq null) and d eq false",
    'x eq "tab\\t quote\\" \\u00e9"',
]


@pytest.mark.parametrize("text", RFC_EXAMPLES)
def test_rfc_examples_parse_as_scim2_models_parses_them(text: str) -> None:
    assert render(parse_filter(text)) == str(ScimFilter(text).ast)


def test_precedence_is_not_then_and_then_or() -> None:
    tree = parse_filter("a pr or b pr and not (c pr) or d pr")
    assert render(tree) == "a pr or b pr and not (c pr) or d pr"
    assert isinstance(tree, Logical) and tree.op == "or" and len(tree.terms) == 3
    middle = tree.terms[1]
    assert isinstance(middle, Logical) and middle.op == "and"
    assert render(parse_filter("(a pr or b pr) and c pr")) == "(a pr or b pr) and c pr"


def test_tolerated_dialects() -> None:
    # Unquoted values (Entra documentation), any letter case, no space after "not".
    assert render(parse_filter("externalId eq jyoung")) == 'externalId eq "jyoung"'
    assert render(parse_filter('USERNAME EQ "a" AND Active Eq TRUE')) == (
        'USERNAME eq "a" and Active eq true'
    )
    assert render(parse_filter("not(a pr)")) == "not (a pr)"
    # Entra's emails[type eq "work"].value eq "x" reads as one value filter.
    assert render(parse_filter('emails[type eq "work"].value eq "x"')) == (
        'emails[type eq "work" and value eq "x"]'
    )
    assert render(parse_filter("members[value eq 2819c223-7f76]")) == (
        'members[value eq "2819c223-7f76"]'
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "the filter is empty"),
        ("userName eq", 'expected a value after "eq" at position 11, found the end of the filter'),
        ('userName eq "abc', "unterminated string starting at position 12"),
        (
            '(userName eq "a"',
            'expected ")" at position 16 to close "(" at position 0, found the end of the filter',
        ),
        ('userName xx "a"', 'unknown operator "xx" at position 9'),
        ('userName eq "a" zz', 'expected "and" or "or" at position 16, found "zz"'),
        ('userName eq "a")', 'expected "and" or "or" at position 15, found ")"'),
        ('not userName eq "a"', 'expected "(" after "not" at position 4'),
        (
            'emails[type eq "work"',
            'expected "]" at position 21 to close "[" at position 6, found the end of the filter',
        ),
        ('userName eq "a\\qb"', "invalid \\escape at position 14"),
        (
            "userName",
            'expected an operator after "userName" at position 8, found the end of the filter',
        ),
        ('eq "x"', 'expected an operator after "eq" at position 3, found "x"'),
        ('"x" eq userName', 'expected an attribute name at position 0, found "x"'),
        ('a.b.c eq "x"', 'invalid attribute path "a.b.c" at position 0'),
        (
            'userName eq "a" and',
            "expected an attribute name at position 19, found the end of the filter",
        ),
        (
            'emails[value eq "a" and ims[value pr]]',
            "a value filter cannot hold another one (position 27)",
        ),
        (
            "name.givenName[value pr]",
            'a value filter cannot follow the sub-attribute "name.givenName" at position 14',
        ),
        ("a eq 1e999", "number out of range at position 5"),
        ("userName eq and", 'expected a value after "eq" at position 12, found "and"'),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, detail: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_filter(text)
    assert err.value.detail == detail


def test_nesting_is_capped_at_fifty() -> None:
    deep = "(" * MAX_DEPTH + "a pr" + ")" * MAX_DEPTH
    assert render(parse_filter(deep)) == "a pr"
    with pytest.raises(FilterError) as err:
        parse_filter("(" + deep + ")")
    assert err.value.detail == "the filter nests deeper than 50 levels at position 51"
    with pytest.raises(FilterError, match="deeper than 50"):
        parse_filter("not (" * 51 + "a pr" + ")" * 51)


# Random RFC-valid filters: both parsers must accept them and read the same tree. Values hold
# no control character, which Roster refuses (app/scim/text.py; test_control_characters_...).
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6)
_names = st.sampled_from(["userName", "name.givenName", "emails", "title", f"{ENT}:department"])
_values = st.one_of(
    _TEXT,
    st.integers(-99, 99),
    st.booleans(),
    st.none(),
)
_ops = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
_leaf = st.one_of(
    st.builds(lambda n, o, v: f"{n} {o} {json.dumps(v)}", _names, _ops, _values),
    st.builds(lambda n: f"{n} pr", _names),
    st.builds(lambda v: f'emails[type eq "work" and value co {json.dumps(v)}]', _TEXT),
)
_filters = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} and {b}", inner, inner),
        st.builds(lambda a, b: f"({a}) or {b}", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=8,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(_filters)
def test_agrees_with_scim2_models_on_random_valid_filters(text: str) -> None:
    assert render(parse_filter(text)) == str(ScimFilter(text).ast)


_NAMES = st.sampled_from(
    ["userName", "not", "NOT", "and", "emails.value", f"{ENT}:department", "a.b.c", "9x", "x$"]
)
_OPS = st.sampled_from(["eq", "EQ", "Sw", "co", "pr", "gt", "xx", "eqx"])
_RAW_STRINGS = st.one_of(
    st.text(max_size=8).map(json.dumps),
    st.sampled_from(['"a\\"b"', '"\\q"', '"a\nb"', '"\\u00e9"', '"a\\\\"', '"unterminated']),
)
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\n"])


def _outcome(parse: object, text: str) -> object:
    try:
        return parse(text)  # type: ignore[operator]
    except FilterError as exc:
        return ("error", exc.detail)


@settings(max_examples=600, deadline=None)
@given(st.tuples(_SPACE, _NAMES, _SPACE, _OPS, _SPACE, _RAW_STRINGS, _SPACE))
def test_the_simple_filter_shortcut_gives_the_parsers_tree_or_error(parts: tuple[str]) -> None:
    text = "".join(parts)
    assert _outcome(parse_filter, text) == _outcome(parse_filter_slowly, text)


def test_the_simple_filter_shortcut_keeps_positions() -> None:
    text = '  userName  EQ "bjensen"'
    node = _simple(text)
    assert node == parse_filter_slowly(text)
    assert node == Comparison(
        AttrPath(None, "userName", None, 2, "userName"),
        "eq",
        Literal("bjensen", '"bjensen"', 15),
        12,
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('title eq "a\\u0000"', "the string at position 9 contains the NUL character (U+0000)"),
        ('title eq "\\u001f"', "the string at position 9 contains the control character U+001F"),
        ('title eq "\\ud800"', "the string at position 9 contains a lone surrogate (U+D800)"),
        ('(title eq "\\udfffx")', "the string at position 10 contains a lone surrogate (U+DFFF)"),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused(text: str, detail: str) -> None:
    for parse in (parse_filter, parse_filter_slowly):
        with pytest.raises(FilterError) as err:
            parse(text)
        assert err.value.detail == detail
    assert parse_filter('title eq "a\\tb\\n"') == parse_filter_slowly('title eq "a\\tb\\n"')
