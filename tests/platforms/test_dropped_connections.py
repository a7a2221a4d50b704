"""A server may close a kept-alive connection just as the client reuses it: reads go again, writes never do."""

import asyncio

import httpx
import pytest

from azmth_pipelines.integrations.common.errors import TransientError
from azmth_pipelines.integrations.common.http import CONNECTION_LIMITS
from azmth_pipelines.integrations.x.client import XClient

pytestmark = pytest.mark.anyio

TOKEN = "token-abc123"


def _drops_first_request(methods: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        if len(methods) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if request.method == "GET":
            return httpx.Response(200, json={"data": {"id": "42", "name": "Nova", "username": "nova"}})
        return httpx.Response(201, json={"data": {"id": "1899", "text": "Out now"}})

    return httpx.MockTransport(handler)


async def test_a_read_on_a_dropped_connection_is_sent_again_once() -> None:
    methods: list[str] = []
    async with XClient("https://x.test", transport=_drops_first_request(methods)) as x:
        user = await x.me(TOKEN)
    assert user.id == "42"
    assert methods == ["GET", "GET"]


async def test_a_write_on_a_dropped_connection_is_never_sent_again() -> None:
    methods: list[str] = []
    async with XClient("https://x.test", transport=_drops_first_request(methods)) as x:
        with pytest.raises(TransientError) as caught:
            await x.create_post(TOKEN, "Out now")
    assert methods == ["POST"]
    assert caught.value.may_have_succeeded  # the platform may have posted it: the ledger will not repost blindly


async def test_a_read_dropped_twice_fails_as_transient() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        raise httpx.ReadError("connection reset", request=request)

    async with XClient("https://x.test", transport=httpx.MockTransport(handler)) as x:
        with pytest.raises(TransientError) as caught:
            await x.me(TOKEN)
    assert methods == ["GET", "GET"]
    assert not caught.value.may_have_succeeded


async def test_a_call_with_no_free_connection_in_time_is_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A publish call must go out within its attempt's lease: one stuck behind a full pool gives up unsent."""
    monkeypatch.setattr("azmth_pipelines.integrations.common.http.SLOT_WAIT_S", 0.05)
    release = asyncio.Event()
    methods: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        await release.wait()
        return httpx.Response(200, json={"data": {"id": "42", "name": "Nova", "username": "nova"}})

    async with XClient("https://x.test", transport=httpx.MockTransport(slow)) as x:
        busy = [asyncio.create_task(x.me(TOKEN)) for _ in range(CONNECTION_LIMITS.max_connections)]
        await asyncio.sleep(0.01)
        with pytest.raises(TransientError) as caught:
            await x.create_post(TOKEN, "Out now")
        release.set()
        await asyncio.gather(*busy)
    assert "POST" not in methods
    assert not caught.value.may_have_succeeded  # never sent: a plain retry cannot post twice
