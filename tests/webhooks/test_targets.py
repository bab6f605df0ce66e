"""The SSRF rule (issue 16, item 5): only http(s); loopback, private, link-local,
unique-local, multicast and unspecified targets refused unless allow-listed; checked when an
endpoint is saved and again at send time."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from app.domain.webhooks.targets import AllowList, check_target, is_public
from app.errors import InvalidValue
from app.webhooks import sender
from tests.graphql.conftest import Api
from tests.webhooks.conftest import create_endpoint
from tests.webhooks.receiver import Receiver

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/x",
        "https://10.0.0.5/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/x",
    ],
)
async def test_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        await check_target(url, AllowList())
    assert url in refused.value.message
    host = urlsplit(url).hostname
    allowed = AllowList.parse(f"{host}, 127.0.0.0/8, ::1/128, fd00::/8, 10.0.0.0/8")
    assert (await check_target(url, allowed)).url == url


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x/", "example.com/x", ""]
)
async def test_only_http_and_https(url: str) -> None:
    with pytest.raises(InvalidValue, match="http"):
        await check_target(url, AllowList.parse("example.com"))


async def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(InvalidValue, match="credentials"):
        await check_target("http://user:pw@127.0.0.1/", AllowList.parse("127.0.0.1"))


async def test_graphql_refuses_loopback_without_allow_list(api: Api, receiver: Receiver) -> None:
    token = await api.token("owner@example.com")
    for url in (receiver.url(), "http://169.254.169.254/", "ftp://example.com/"):
        payload = await create_endpoint(api, token, url=url)
        assert payload["endpoint"] is None and payload["secret"] is None
        [error] = payload["userErrors"]
        assert error["code"] == "INVALID_VALUE" and error["field"] == "url"
        assert url in error["message"]


async def test_graphql_allows_an_allow_listed_receiver(hooked: Api, receiver: Receiver) -> None:
    token = await hooked.token("owner@example.com")
    payload = await create_endpoint(hooked, token, url=receiver.url())
    assert payload["userErrors"] == [] and payload["endpoint"]["url"] == receiver.url()


async def test_checked_again_at_send_time(receiver: Receiver) -> None:
    async with sender.client() as http:
        sent = await sender.send(http, receiver.url(), b"{}", {}, AllowList())
        assert sent.status_code is None and "127.0.0.1" in (sent.error or "")
        assert receiver.seen == []
        sent = await sender.send(http, receiver.url(), b"{}", {}, AllowList.parse("127.0.0.1"))
    assert sent.status_code == 200 and len(receiver.seen) == 1
    assert receiver.seen[0].headers["host"] == f"127.0.0.1:{receiver.port}"


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.plan = lambda n, path: 307
    async with sender.client() as http:
        sent = await sender.send(http, receiver.url(), b"{}", {}, AllowList.parse("127.0.0.1"))
    assert sent.status_code == 307 and len(receiver.seen) == 1
