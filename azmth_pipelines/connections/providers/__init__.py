"""The platforms' OAuth providers, all of the same shape (base.Provider), found through the registry."""

from typing import Any

from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.providers.base import Provider
from azmth_pipelines.vocabulary import Platform


def provider_class(platform: Platform) -> type[Provider]:
    """The platform's provider (integrations/<platform>/oauth.py): its scopes, app variables and flow."""
    # Imported here: the registry imports every integration's oauth.py, which import this package.
    from azmth_pipelines.integrations.registry import integration

    return integration(platform).oauth


def provider_for(platform: Platform, app: AppCredentials | None = None, **options: Any) -> Provider:
    """The platform's provider with our app's credentials (from the environment unless given)."""
    return provider_class(platform)(app or AppCredentials.from_env(platform), **options)


__all__ = ["Provider", "provider_class", "provider_for"]
