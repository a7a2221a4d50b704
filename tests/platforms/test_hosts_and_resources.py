"""Hosts come from one environment variable each, read when a client is built; resources stay thin."""

import dagster as dg
import pytest

from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.integrations.common.hosts import Host, host_url
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.resources.apps import AppCredentialsResource
from azmth_pipelines.resources.platforms import PlatformApisResource
from azmth_pipelines.vocabulary import Platform

pytestmark = pytest.mark.anyio

ALL_HOST_VARIABLES = [host.value for host in Host]


@pytest.fixture
def clean_env(monkeypatch):
    for name in [*ALL_HOST_VARIABLES, "AZMTH_X_CLIENT_ID", "AZMTH_X_CLIENT_SECRET"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_real_hosts(clean_env):
    assert host_url(Host.TIKTOK_API) == "https://open.tiktokapis.com"
    assert host_url(Host.INSTAGRAM_API) == "https://graph.facebook.com/v25.0"
    assert host_url(Host.THREADS_API) == "https://graph.threads.net"
    assert host_url(Host.X_API) == "https://api.x.com"
    assert host_url(Host.X_AUTH) == "https://x.com"


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


def test_app_credentials_load_without_variables_and_bind_them_when_set(clean_env):
    assert AppCredentialsResource.from_environment().apps["x"].client_id is None

    clean_env.setenv("AZMTH_X_CLIENT_ID", "x-client-id")
    resource = AppCredentialsResource.from_environment()
    seen = {}

    @dg.asset
    def app_probe(app_credentials: AppCredentialsResource) -> None:
        seen["x"] = app_credentials.credentials()[Platform.X].client_id

    assert dg.materialize([app_probe], resources={"app_credentials": resource}).success
    assert seen == {"x": "x-client-id"}
    # Bound to the variable, not to its value: the value never enters the run's config.
    assert "x-client-id" not in repr(resource.apps)


def test_platform_apis_take_a_base_url_per_platform_else_the_host_variable(clean_env):
    clean_env.setenv("AZMTH_X_API_URL", "http://127.0.0.1:9/x")
    seen = {}

    @dg.asset
    def api_probe(platform_apis: PlatformApisResource) -> None:
        seen.update({platform: client.base_url for platform, client in platform_apis.clients().items()})

    resource = PlatformApisResource(base_urls={"tiktok": "http://127.0.0.1:9/tiktok/"})
    assert dg.materialize([api_probe], resources={"platform_apis": resource}).success
    assert seen == {
        Platform.TIKTOK: "http://127.0.0.1:9/tiktok",
        Platform.INSTAGRAM: "https://graph.facebook.com/v25.0",
        Platform.THREADS: "https://graph.threads.net",
        Platform.X: "http://127.0.0.1:9/x",
    }
    with pytest.raises(ConfigurationError, match="'tiktk' is not a platform"):
        PlatformApisResource(base_urls={"tiktk": "http://127.0.0.1:9"}).client(Platform.X)
