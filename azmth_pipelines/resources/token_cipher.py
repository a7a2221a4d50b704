"""The token cipher as a Dagster resource: the keys that open the platform tokens stored at rest."""

from dagster import ConfigurableResource
from pydantic import Field

from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.token_cipher import TokenCipher


class TokenCipherResource(ConfigurableResource):
    """The keys of the stored tokens; left empty, AZMTH_SECRET_KEY or the local key file (token_cipher.py)."""

    secret_key: str | None = Field(
        default=None,
        description="Fernet keys separated by commas, newest first, as in AZMTH_SECRET_KEY (bind it with EnvVar); "
        "empty = AZMTH_SECRET_KEY, or the local key file.",
    )

    def cipher(self) -> TokenCipher:
        if not self.secret_key:
            return TokenCipher.from_settings()
        keys = [key.strip() for key in self.secret_key.split(",") if key.strip()]
        if not keys:
            raise ConfigurationError("the token_cipher resource's secret_key holds no key")
        return TokenCipher(keys)
