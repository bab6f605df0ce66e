"""The SCIM query-string parser gives what Starlette's QueryParams gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from app.scim.text import query_params

_PIECES = st.sampled_from(
    ["filter", "=", "&", "&&", "+", "%20", "%22", "%", "%zz", "%C3%A9", "é", "a", ";", "count"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=12))
def test_query_params_match_starlette(pieces: list[str]) -> None:
    raw = "".join(pieces).encode("utf-8", "surrogatepass")
    assert query_params(raw) == dict(QueryParams(raw))


def test_query_params_of_a_filter() -> None:
    raw = b"filter=userName+eq+%22a%40x.com%22&count=0&count=5&attributes"
    assert query_params(raw) == {
        "filter": 'userName eq "a@x.com"',
        "count": "5",
        "attributes": "",
    }
