"""Our app's credentials on each platform as a Dagster resource, bound to the AZMTH_* variables.

`from_environment()` binds each platform's variables (its provider's `app_variables`, through the registry) as
`dagster.EnvVar`s, so the values never enter the run's config and an unset variable does not stop the code
location from loading.
"""

import os

from dagster import Config, ConfigurableResource, EnvVar
from pydantic import Field

from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.errors import AppNotConfigured
from azmth_pipelines.integrations.registry import CREDENTIAL_VARIABLES
from azmth_pipelines.resources.platforms import platform_of
from azmth_pipelines.vocabulary import Platform


class PlatformApp(Config):
    """Our app on one platform, from its developer portal."""

    client_id: str | None = None
    client_secret: str | None = None


class AppCredentialsResource(ConfigurableResource):
    """Our app's client id and secret by platform (tiktok, instagram, threads, x)."""

    apps: dict[str, PlatformApp] = Field(
        default_factory=dict,
        description="By platform; a platform left out or incomplete is read from its variables when a provider "
        "is built, and the error names the ones to set.",
    )

    @classmethod
    def from_environment(cls) -> "AppCredentialsResource":
        return cls(
            apps={
                platform.value: PlatformApp(client_id=_env(id_variable), client_secret=_env(secret_variable))
                for platform, (id_variable, secret_variable) in CREDENTIAL_VARIABLES.items()
            }
        )

    def credentials(self) -> dict[Platform, AppCredentials]:
        """The complete credentials by platform. The others are left out: the provider then reads the platform's
        variables itself and refuses with the names of the missing ones (connections/providers), which a refresh
        reports per connection instead of failing the whole run."""
        found = {}
        for key, app in self.apps.items():
            platform = platform_of(key)
            try:
                found[platform] = AppCredentials.of(platform, app.client_id, app.client_secret)
            except AppNotConfigured:
                continue
        return found


def _env(name: str) -> str | None:
    # EnvVar fails the run when its variable is unset, so only set variables become EnvVars.
    return EnvVar(name) if os.environ.get(name) else None
