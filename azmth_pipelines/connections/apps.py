"""Our app's credentials on each platform (the developer-portal client id and secret), from the environment."""

import os
from dataclasses import dataclass, field

from azmth_pipelines.connections.errors import ConnectRefused
from azmth_pipelines.vocabulary import Platform

# (id variable, secret variable) per platform; Instagram logs in through the Meta (Facebook) app.
CREDENTIAL_VARIABLES: dict[Platform, tuple[str, str]] = {
    Platform.TIKTOK: ("AZMTH_TIKTOK_CLIENT_KEY", "AZMTH_TIKTOK_CLIENT_SECRET"),
    Platform.INSTAGRAM: ("AZMTH_META_APP_ID", "AZMTH_META_APP_SECRET"),
    Platform.THREADS: ("AZMTH_THREADS_APP_ID", "AZMTH_THREADS_APP_SECRET"),
    Platform.X: ("AZMTH_X_CLIENT_ID", "AZMTH_X_CLIENT_SECRET"),
}


@dataclass(frozen=True)
class AppCredentials:
    platform: Platform
    client_id: str
    # None only for X, whose public clients authenticate with PKCE alone (oauth-2-0/authorization-code).
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, platform: Platform) -> "AppCredentials":
        id_variable, secret_variable = CREDENTIAL_VARIABLES[platform]
        client_id = os.environ.get(id_variable, "").strip()
        client_secret = os.environ.get(secret_variable, "").strip() or None
        if not client_id or (client_secret is None and platform is not Platform.X):
            needed = id_variable if platform is Platform.X else f"{id_variable} and {secret_variable}"
            raise ConnectRefused(
                f"{platform.label} app credentials are not configured: set {needed} "
                f"(from the app's page in the {platform.label} developer portal)."
            )
        return cls(platform, client_id, client_secret)
