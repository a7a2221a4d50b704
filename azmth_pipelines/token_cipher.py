"""Tokens at rest: Fernet encryption under AZMTH_SECRET_KEY, with key rotation through MultiFernet.

AZMTH_SECRET_KEY holds one or more Fernet keys separated by commas, newest first: new ciphertexts use the
first, and any of them decrypts, so a key can be rotated without downtime (`azmth keys rotate` re-encrypts).
Without the variable (local runs and the demo), a key is generated once into AZMTH_HOME/secret.key (mode
0600); production must set the variable.
"""

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from azmth_pipelines.config import settings
from azmth_pipelines.errors import ArtistFixableError, ConfigurationError


class TokenDecryptionError(ArtistFixableError):
    """A stored token no key can open: the key was lost or rotated out; the artist must reconnect."""


def _local_key_file(home: Path) -> str:
    path = home / "secret.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_text().strip()


def configured_keys() -> list[str]:
    current = settings()
    raw = current.secret_key or _local_key_file(current.home)
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ConfigurationError("AZMTH_SECRET_KEY is set but holds no key")
    return keys


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls) -> "TokenCipher":
        return cls(configured_keys())

    def encrypt(self, token: str | None) -> str | None:
        return None if token is None else self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            message = "a stored token cannot be decrypted with the configured keys"
            raise TokenDecryptionError(message) from None

    def rotate(self, ciphertext: str | None) -> str | None:
        """Re-encrypt under the newest key (MultiFernet.rotate keeps the original timestamp)."""
        if ciphertext is None:
            return None
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            message = "a stored token cannot be decrypted with the configured keys"
            raise TokenDecryptionError(message) from None
