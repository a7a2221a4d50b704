"""One OAuth provider per platform, all of the same shape (base.Provider)."""

from typing import Any

from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.providers.base import Provider
from azmth_pipelines.connections.providers.instagram import InstagramProvider
from azmth_pipelines.connections.providers.threads import ThreadsProvider
from azmth_pipelines.connections.providers.tiktok import TikTokProvider
from azmth_pipelines.connections.providers.x import XProvider
from azmth_pipelines.vocabulary import Platform

PROVIDERS: dict[Platform, type[Provider]] = {
    Platform.TIKTOK: TikTokProvider,
    Platform.INSTAGRAM: InstagramProvider,
    Platform.THREADS: ThreadsProvider,
    Platform.X: XProvider,
}


def provider_for(platform: Platform, app: AppCredentials | None = None, **options: Any) -> Provider:
    """The platform's provider with our app's credentials (from the environment unless given)."""
    return PROVIDERS[platform](app or AppCredentials.from_env(platform), **options)


__all__ = ["PROVIDERS", "Provider", "provider_for"]
