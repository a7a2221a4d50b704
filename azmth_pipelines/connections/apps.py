"""Our app's credentials on each platform (the developer-portal client id and secret): given, or from the env."""

import os
from dataclasses import dataclass, field

from azmth_pipelines.connections.errors import AppNotConfigured
from azmth_pipelines.vocabulary import Platform


@dataclass(frozen=True)
class AppCredentials:
    platform: Platform
    client_id: str
    # None only where a public client authenticates with PKCE alone (the provider's needs_app_secret).
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, platform: Platform, client_id: str | None, client_secret: str | None) -> "AppCredentials":
        """The platform's app credentials from these values; AppNotConfigured, naming the variables, when incomplete."""
        # Imported here: the providers import this module.
        from azmth_pipelines.connections.providers import provider_class

        provider = provider_class(platform)
        id_variable, secret_variable = provider.app_variables
        client_id = (client_id or "").strip()
        client_secret = (client_secret or "").strip() or None
        if not client_id or (client_secret is None and provider.needs_app_secret):
            needed = f"{id_variable} and {secret_variable}" if provider.needs_app_secret else id_variable
            raise AppNotConfigured(
                f"{platform.label} app credentials are not configured: set {needed} "
                f"(from the app's page in the {platform.label} developer portal)."
            )
        return cls(platform, client_id, client_secret)

    @classmethod
    def from_env(cls, platform: Platform) -> "AppCredentials":
        from azmth_pipelines.connections.providers import provider_class

        id_variable, secret_variable = provider_class(platform).app_variables
        return cls.of(platform, os.environ.get(id_variable), os.environ.get(secret_variable))
