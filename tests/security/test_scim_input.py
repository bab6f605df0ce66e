"""Hostile input over SCIM, against a real server on each engine: every answer a 400 with a
SCIM error naming what is wrong, never a 500, and nothing stored.

Two attack classes (docs/security.md, "Garbage and oversized input"):

- strings holding a control character or a lone surrogate (PostgreSQL refuses U+0000, orjson
  refuses surrogates), in every place a client puts a string: filters in the query string and
  in .search bodies, PATCH paths and values, POST/PUT bodies, Bulk data, sortBy, attributes;
- nesting a client controls (filters, PATCH paths, JSON bodies, Bulk data) deep enough to
  exhaust Python's recursion limit.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from tests.e2e.conftest import Live

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
DEEP = 900  # JSON nesting: under orjson's own limit (1024), far over Python's recursion budget


def error(detail: str, scim_type: str) -> dict[str, Any]:
    """The whole SCIM Error body of a 400."""
    return {"schemas": [ERROR], "status": "400", "scimType": scim_type, "detail": detail}


def patch(*ops: dict[str, Any]) -> bytes:
    return orjson.dumps({"schemas": [PATCH_OP], "Operations": list(ops)})


def nested(doc: dict[str, Any], depth: int, leaf: bytes = b'"x"') -> bytes:
    """``doc`` as JSON, its "@deep" value replaced by ``leaf`` inside ``depth`` arrays (built as
    text: orjson itself refuses to encode more than 255 levels)."""
    return orjson.dumps(doc).replace(b'"@deep"', b"[" * depth + leaf + b"]" * depth)


async def _answers(
    live: Live, requests: list[tuple[str, str, bytes | None]]
) -> tuple[list[tuple[int, Any]], bool]:
    """(status, body) of each request, after creating the user they target; and whether the
    users are afterwards what they were before."""
    headers = live.scim_headers()
    async with httpx.AsyncClient(
        base_url=live.base + "/scim/v2", headers=headers, timeout=30
    ) as client:
        body = {
            "schemas": [USER],
            "userName": "alice@example.com",
            "title": "Engineer",
            "emails": [{"type": "work", "value": "alice@example.com", "primary": True}],
        }
        created = await client.post("/Users", content=orjson.dumps(body))
        assert created.status_code == 201, created.text
        uid = created.json()["id"]
        before = [(await client.get(f"/Users/{uid}")).json(), (await client.get("/Users")).json()]
        answers = []
        for method, path, content in requests:
            response = await client.request(method, path.format(id=uid), content=content)
            answers.append((response.status_code, response.json()))
        after = [(await client.get(f"/Users/{uid}")).json(), (await client.get("/Users")).json()]
    return answers, after == before


def _filter_path(literal: str) -> bytes:
    """A PATCH replacing the work email's value, the element chosen by ``value eq <literal>``
    (``literal`` is filter text: a backslash in it is a filter string escape)."""
    return patch({"op": "replace", "path": f"emails[value eq {literal}].value", "value": "x@y.z"})


async def test_control_characters_and_lone_surrogates_are_400(live: Live) -> None:
    requests: list[tuple[str, str, bytes | None, dict[str, Any]]] = [
        # PATCH value filters: a raw control character, then the filter's own \u escapes
        *[
            (
                "PATCH",
                "/Users/{id}",
                _filter_path(f'"a{char}b"'),
                error(f"Operations[0].path contains {what}", "invalidValue"),
            )
            for char, what in (("\x01", "the control character U+0001"), ("\x00", NUL))
        ],
        *[
            (
                "PATCH",
                "/Users/{id}",
                _filter_path(f'"{escape}"'),
                error(
                    f'invalid value filter [value eq "{escape}"]: the string at position 9'
                    f" contains {what}",
                    "invalidFilter",
                ),
            )
            for escape, what in (
                ("a\\u0001b", "the control character U+0001"),
                ("a\\u0000b", NUL),
                ("\\ud800", "a lone surrogate (U+D800)"),
                ("\\udfff\\ud800", "a lone surrogate (U+DFFF)"),
            )
        ],
        # a lone surrogate as the JSON body's own escape: refused by the JSON decoder
        (
            "PATCH",
            "/Users/{id}",
            patch({"op": "replace", "path": "title", "value": "x"}).replace(b'"x"', b'"\\ud800"'),
            error(
                "the request body is not valid JSON: no low surrogate in string:"
                " line 1 column 116 (char 115)",
                "invalidSyntax",
            ),
        ),
        (
            "PATCH",
            "/Users/{id}",
            patch({"op": "replace", "path": "title", "value": "a\x07b"}),
            error("Operations[0].value contains the control character U+0007", "invalidValue"),
        ),
        # filters: query string, .search body
        (
            "GET",
            "/Users?filter=" + _q('userName eq "\\ud800"'),
            None,
            error("the string at position 12 contains a lone surrogate (U+D800)", "invalidFilter"),
        ),
        (
            "GET",
            "/Users?filter=" + _q('userName eq "a\\u0002"'),
            None,
            error(
                "the string at position 12 contains the control character U+0002", "invalidFilter"
            ),
        ),
        (
            "GET",
            "/Users?filter=" + _q('userName eq "a\x02"'),
            None,
            error("the filter parameter contains the control character U+0002", "invalidFilter"),
        ),
        (
            "POST",
            "/Users/.search",
            orjson.dumps({"schemas": [SEARCH], "filter": 'userName sw "\\udc00"'}),
            error("the string at position 12 contains a lone surrogate (U+DC00)", "invalidFilter"),
        ),
        (
            "POST",
            "/.search",
            orjson.dumps({"schemas": [SEARCH], "filter": 'userName sw "a\\u0000"'}),
            error(f"the string at position 12 contains {NUL}", "invalidFilter"),
        ),
        (
            "POST",
            "/Users/.search",
            orjson.dumps({"schemas": [SEARCH], "sortBy": "userName\x1b"}),
            error("sortBy contains the control character U+001B", "invalidValue"),
        ),
        # sortBy, attributes
        (
            "GET",
            "/Users?sortBy=" + _q("userName\x00"),
            None,
            error(f"the sortBy parameter contains {NUL}", "invalidValue"),
        ),
        (
            "GET",
            "/Users?attributes=" + _q("userName,\x7f\x01"),
            None,
            error("the attributes parameter contains the control character U+0001", "invalidValue"),
        ),
        # POST and PUT bodies, Bulk data
        (
            "POST",
            "/Users",
            orjson.dumps({"schemas": [USER], "userName": "b@example.com", "nickName": "a\x1fb"}),
            error("nickName contains the control character U+001F", "invalidValue"),
        ),
        (
            "PUT",
            "/Users/{id}",
            orjson.dumps({"schemas": [USER], "userName": "alice@example.com", "title": "\x00"}),
            error(f"title contains {NUL}", "invalidValue"),
        ),
        (
            "POST",
            "/Users",
            orjson.dumps({"schemas": [USER], "userName": "c@example.com", "x\x01": "1"}),
            error(
                "a name in the request body contains the control character U+0001", "invalidValue"
            ),
        ),
        (
            "POST",
            "/Bulk",
            orjson.dumps(
                {
                    "schemas": [BULK],
                    "Operations": [
                        {
                            "method": "POST",
                            "path": "/Users",
                            "bulkId": "b1",
                            "data": {"schemas": [USER], "userName": "d@example.com\x00"},
                        }
                    ],
                }
            ),
            error(f"Operations[0].data.userName contains {NUL}", "invalidValue"),
        ),
    ]
    answers, unchanged = await _answers(live, [(m, p, c) for m, p, c, _ in requests])
    wrong = [
        (method, path[:50], answer)
        for (method, path, _, expected), answer in zip(requests, answers, strict=True)
        if answer != (400, expected)
    ]
    assert wrong == []
    assert unchanged


NUL = "the NUL character (U+0000)"


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


async def test_deep_nesting_is_400_naming_the_limit(live: Live) -> None:
    parens = "(" * 500 + 'type eq "work"' + ")" * 500
    nots = "not (" * 500 + 'type eq "work"' + ")" * 500
    too_deep = "the request body nests deeper than 32 levels"
    requests: list[tuple[str, str, bytes | None, dict[str, Any]]] = [
        (
            "PATCH",
            "/Users/{id}",
            patch({"op": "replace", "path": f"emails[{parens}].value", "value": "x@y.z"}),
            error(
                f"invalid value filter [{parens[:60]}…]: the filter nests deeper than 50 levels"
                " at position 51",
                "invalidFilter",
            ),
        ),
        (
            "PATCH",
            "/Users/{id}",
            patch({"op": "replace", "path": f"emails[{nots}].value", "value": "x@y.z"}),
            error(
                f"invalid value filter [{nots[:60]}…]: the filter nests deeper than 50 levels"
                " at position 255",
                "invalidFilter",
            ),
        ),
        (
            "GET",
            "/Users?filter=" + _q("(" * 500 + 'userName eq "a"' + ")" * 500),
            None,
            error("the filter nests deeper than 50 levels at position 51", "invalidFilter"),
        ),
        (
            "POST",
            "/Groups/.search",
            orjson.dumps({"filter": "not (" * 500 + 'displayName eq "a"' + ")" * 500}),
            error("the filter nests deeper than 50 levels at position 255", "invalidFilter"),
        ),
        (
            "PATCH",
            "/Users/{id}",
            nested(
                {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "title", "value": "@deep"}],
                },
                DEEP,
            ),
            error(too_deep, "invalidSyntax"),
        ),
        (
            "POST",
            "/Users",
            nested({"schemas": [USER], "userName": "e@example.com", "title": "@deep"}, DEEP),
            error(too_deep, "invalidSyntax"),
        ),
        (
            "POST",
            "/Bulk",
            nested(
                {
                    "schemas": [BULK],
                    "Operations": [{"method": "PATCH", "path": "/Users/x", "data": "@deep"}],
                },
                DEEP,
                b"{}",
            ),
            error(too_deep, "invalidSyntax"),
        ),
        (
            "POST",
            "/Users/.search",
            nested({"schemas": [SEARCH], "attributes": "@deep"}, DEEP),
            error(too_deep, "invalidSyntax"),
        ),
        # deep but within the limit: the mapping refuses the value, and does not crash
        (
            "POST",
            "/Users",
            nested({"schemas": [USER], "userName": "f@example.com", "title": "@deep"}, 30),
            error("title: title must be a string", "invalidValue"),
        ),
    ]
    answers, unchanged = await _answers(live, [(m, p, c) for m, p, c, _ in requests])
    wrong = [
        (method, path[:50], answer)
        for (method, path, _, expected), answer in zip(requests, answers, strict=True)
        if answer != (400, expected)
    ]
    assert wrong == []
    assert unchanged
