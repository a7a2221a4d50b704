"""Dagster resources for the four platform clients: configuration only, the clients do the work.

Each resource opens a client per use (`async with resource.client() as c:`), because an httpx.AsyncClient
belongs to the event loop that first used it and Dagster may run each op in its own loop. App credentials
come from the environment through `dagster.EnvVar` and are optional, so a local run without them loads.
"""

import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient

_API_URL_HELP = "Base URL of the API; empty = the platform host variable (hosts.py) or the real host."


class TikTokResource(ConfigurableResource):
    api_url: str | None = Field(default=None, description=_API_URL_HELP)
    client_key: str | None = None
    client_secret: str | None = None

    def client(self) -> TikTokClient:
        return TikTokClient(self.api_url or None)


class InstagramResource(ConfigurableResource):
    api_url: str | None = Field(default=None, description=_API_URL_HELP)
    app_id: str | None = None
    app_secret: str | None = None

    def client(self) -> InstagramClient:
        return InstagramClient(self.api_url or None)


class ThreadsResource(ConfigurableResource):
    api_url: str | None = Field(default=None, description=_API_URL_HELP)
    app_id: str | None = None
    app_secret: str | None = None

    def client(self) -> ThreadsClient:
        return ThreadsClient(self.api_url or None)


class XResource(ConfigurableResource):
    api_url: str | None = Field(default=None, description=_API_URL_HELP)
    client_id: str | None = None
    client_secret: str | None = None

    def client(self) -> XClient:
        return XClient(self.api_url or None)


def _env(name: str) -> str | None:
    # EnvVar fails the run when its variable is unset, so only set variables become EnvVars.
    return EnvVar(name) if os.environ.get(name) else None


def platform_resources() -> dict[str, ConfigurableResource]:
    """The four resources keyed tiktok / instagram / threads / x, credentials bound to AZMTH_* variables."""
    return {
        "tiktok": TikTokResource(
            client_key=_env("AZMTH_TIKTOK_CLIENT_KEY"), client_secret=_env("AZMTH_TIKTOK_CLIENT_SECRET")
        ),
        "instagram": InstagramResource(app_id=_env("AZMTH_META_APP_ID"), app_secret=_env("AZMTH_META_APP_SECRET")),
        "threads": ThreadsResource(app_id=_env("AZMTH_THREADS_APP_ID"), app_secret=_env("AZMTH_THREADS_APP_SECRET")),
        "x": XResource(client_id=_env("AZMTH_X_CLIENT_ID"), client_secret=_env("AZMTH_X_CLIENT_SECRET")),
    }
