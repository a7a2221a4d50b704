"""Hosts come from one environment variable each, read when a client is built; resources stay thin."""

import dagster as dg
import pytest

from azmth_pipelines.integrations.common.hosts import Host, PlatformHosts, host_url
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.resources.platforms import XResource, platform_resources

pytestmark = pytest.mark.anyio

ALL_HOST_VARIABLES = [host.value for host in Host]


@pytest.fixture
def clean_env(monkeypatch):
    for name in [*ALL_HOST_VARIABLES, "AZMTH_X_CLIENT_ID", "AZMTH_X_CLIENT_SECRET"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_real_hosts(clean_env):
    hosts = PlatformHosts.from_env()
    assert hosts.tiktok_api == "https://open.tiktokapis.com"
    assert hosts.instagram_api == "https://graph.facebook.com/v25.0"
    assert hosts.threads_api == "https://graph.threads.net"
    assert hosts.x_api == "https://api.x.com"
    assert hosts.x_auth == "https://x.com"


async def test_clients_read_their_host_variable_at_construction(clean_env):
    clean_env.setenv("AZMTH_TIKTOK_API_URL", "http://127.0.0.1:9/tiktok/")
    clean_env.setenv("AZMTH_INSTAGRAM_API_URL", "http://127.0.0.1:9/graph/v25.0")
    clean_env.setenv("AZMTH_THREADS_API_URL", "http://127.0.0.1:9/threads")
    clean_env.setenv("AZMTH_X_API_URL", "http://127.0.0.1:9/x")
    clients = [TikTokClient(), InstagramClient(), ThreadsClient(), XClient()]
    assert [c.base_url for c in clients] == [
        "http://127.0.0.1:9/tiktok",
        "http://127.0.0.1:9/graph/v25.0",
        "http://127.0.0.1:9/threads",
        "http://127.0.0.1:9/x",
    ]
    for client in clients:
        await client.aclose()
    assert host_url(Host.FACEBOOK_AUTH) == "https://www.facebook.com"


def test_resources_load_without_credentials_and_bind_them_when_set(clean_env):
    resources = platform_resources()
    assert resources["x"].client_id is None

    clean_env.setenv("AZMTH_X_CLIENT_ID", "x-client-id")
    clean_env.setenv("AZMTH_X_API_URL", "http://127.0.0.1:9/x")
    seen = {}

    @dg.asset
    def x_probe(x: XResource) -> None:
        seen["client_id"] = x.client_id
        seen["base_url"] = x.client().base_url

    result = dg.materialize([x_probe], resources={"x": platform_resources()["x"]})
    assert result.success
    assert seen == {"client_id": "x-client-id", "base_url": "http://127.0.0.1:9/x"}
