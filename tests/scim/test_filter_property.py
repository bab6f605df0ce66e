"""Property: SCIM filters select in SQL exactly what a direct reading of RFC 7644 selects."""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Tx
from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from app.domain.users.service import UserCreate, create_user
from tests.scim.test_filter_search import ROSTER, _users
from tests.support import owner

# The property: for random people and random filters, the database returns exactly the users a
# direct reading of RFC 7644 §3.4.2.2 over the SCIM representation selects.

_TEXT = st.text(alphabet="aAbB", min_size=1, max_size=2)


@dataclass
class Person:
    login: str
    external_id: str | None
    active: bool
    first: str | None
    email: str | None
    second: str | None
    level: int | None

    def profile(self) -> dict[str, Any]:
        values = {
            "firstName": self.first,
            "email": self.email,
            "secondEmail": self.second,
            "level": self.level,
        }
        return {k: v for k, v in values.items() if v is not None}

    def emails(self) -> list[dict[str, Any]]:
        out = []
        if self.email is not None:
            out.append({"type": "work", "value": self.email, "primary": True})
        if self.second is not None:
            out.append({"type": "home", "value": self.second, "primary": False})
        return out


def _people() -> st.SearchStrategy[list[Person]]:
    mail = st.none() | st.builds(lambda t: f"{t}@x.io", _TEXT)
    person = st.builds(
        Person,
        login=_TEXT,
        external_id=st.none() | _TEXT,
        active=st.booleans(),
        first=st.none() | _TEXT,
        email=mail,
        second=mail,
        level=st.none() | st.integers(-2, 2),
    )
    return st.lists(person, min_size=3, max_size=6)


@dataclass
class Leaf:
    attr: str  # userName, externalId, name.givenName, level, active, emails.value, emails
    op: str
    value: Any = None
    inner: list[Leaf] = field(default_factory=list)  # for emails[...]: conjunction of leaves

    def text(self) -> str:
        if self.attr == "emails[]":
            return "emails[" + " and ".join(leaf.text() for leaf in self.inner) + "]"
        name = f"{ROSTER}:level" if self.attr == "level" else self.attr
        return f"{name} pr" if self.op == "pr" else f"{name} {self.op} {json.dumps(self.value)}"


_STR_OPS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"])
_NUM_OPS = st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "pr"])
_VALUE = st.text(alphabet="aAbB@.xio", max_size=3)
_leaves = st.one_of(
    st.builds(
        Leaf,
        st.sampled_from(["userName", "externalId", "name.givenName", "emails.value"]),
        _STR_OPS,
        _VALUE,
    ),
    st.builds(Leaf, st.just("level"), _NUM_OPS, st.integers(-2, 2)),
    st.builds(Leaf, st.just("active"), st.sampled_from(["eq", "ne"]), st.booleans()),
    st.builds(
        lambda inner: Leaf("emails[]", "", inner=inner),
        st.lists(
            st.one_of(
                st.builds(
                    Leaf,
                    st.just("type"),
                    st.sampled_from(["eq", "ne"]),
                    st.sampled_from(["work", "HOME"]),
                ),
                st.builds(Leaf, st.just("value"), _STR_OPS, _VALUE),
                st.builds(Leaf, st.just("primary"), st.just("eq"), st.booleans()),
            ),
            min_size=1,
            max_size=2,
        ),
    ),
)
Tree = Leaf | tuple[str, Any, Any]
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), inner, inner),
        st.tuples(st.just("not"), inner, st.none()),
    ),
    max_leaves=5,
)


def _render(tree: Tree) -> str:
    if isinstance(tree, Leaf):
        return tree.text()
    op, a, b = tree
    if op == "not":
        return f"not ({_render(a)})"
    return f"({_render(a)}) {op} ({_render(b)})"


OPERATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _cmp(actual: Any, op: str, value: Any, exact: bool = False) -> bool:
    if op == "pr":
        return actual is not None and actual != ""
    if actual is None:
        return op == "ne"
    if isinstance(actual, str) and not exact:
        actual, value = actual.lower(), value.lower()
    if op in ("co", "sw", "ew"):
        return bool(
            {"co": value in actual, "sw": actual.startswith(value)}.get(op, actual.endswith(value))
        )
    return bool(OPERATORS[op](actual, value))


def _element(leaf: Leaf, element: dict[str, Any]) -> bool:
    if leaf.attr == "primary":
        return bool(element["primary"] == leaf.value)
    return _cmp(element.get(leaf.attr), leaf.op, leaf.value)


def _leaf(leaf: Leaf, p: Person) -> bool:
    if leaf.attr == "emails[]":
        return any(all(_element(i, e) for i in leaf.inner) for e in p.emails())
    if leaf.attr == "emails.value":
        if leaf.op == "ne":
            return not any(_cmp(e["value"], "eq", leaf.value) for e in p.emails())
        return any(_cmp(e["value"], leaf.op, leaf.value) for e in p.emails())
    if leaf.attr == "active":
        return bool((p.active == leaf.value) == (leaf.op == "eq"))
    actual: dict[str, Any] = {"userName": p.login, "externalId": p.external_id}
    actual.update({"name.givenName": p.first, "level": p.level})
    return _cmp(actual[leaf.attr], leaf.op, leaf.value, exact=leaf.attr == "externalId")


def _holds(tree: Tree, p: Person) -> bool:
    if isinstance(tree, Leaf):
        return _leaf(tree, p)
    op, a, b = tree
    if op == "not":
        return not _holds(a, p)
    if op == "and":
        return _holds(a, p) and _holds(b, p)
    return _holds(a, p) or _holds(b, p)


class _Rollback(Exception):
    pass


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=_people(), trees=st.lists(_trees, min_size=3, max_size=6))
async def test_search_agrees_with_a_reference_evaluator(
    tx: Tx, people: list[Person], trees: list[Tree]
) -> None:
    try:
        async with tx.savepoint():
            await _check(tx, people, trees)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        # The rolled-back custom attribute must not stay in the per-process catalogue memo.
        tx.cache.pop("catalogue", None)


async def _check(tx: Tx, people: list[Person], trees: list[Tree]) -> None:
    await create_custom_attribute(
        tx, actor=owner(), variable_name="level", display_name="Level", datatype=Datatype.NUMBER
    )
    for i, p in enumerate(people):
        p.login = f"{p.login}{i}"
        p.external_id = None if p.external_id is None else f"{p.external_id}{i}"
        data = UserCreate(
            login_id=p.login, external_id=p.external_id, active=p.active, profile=p.profile()
        )
        await create_user(tx, actor=owner(), data=data)
    for tree in trees:
        text = _render(tree)
        expected = sorted(p.login.lower() for p in people if _holds(tree, p))
        found = await _users(tx, text, sort="loginId")
        assert [f.lower() for f in found] == expected, text
