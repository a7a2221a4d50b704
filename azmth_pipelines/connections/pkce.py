"""PKCE (RFC 7636) verifiers and challenges, including TikTok's reported hex-encoded variant.

X requires S256 with the RFC's base64url encoding. TikTok's desktop Login Kit asks for PKCE too, and its
samples are reported to hex-encode the SHA-256 digest instead (platform-apis.md 1.2, UNCONFIRMED), so the
encoding is a setting: AZMTH_TIKTOK_PKCE_ENCODING = hex (default, as TikTok's desktop samples) | base64url.
"""

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from azmth_pipelines.connections._authlib import create_s256_code_challenge


class ChallengeEncoding(StrEnum):
    BASE64URL = "base64url"
    HEX = "hex"


@dataclass(frozen=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str
    method: str = "S256"

    @classmethod
    def new(cls, encoding: ChallengeEncoding = ChallengeEncoding.BASE64URL) -> "Pkce":
        # 64 url-safe bytes of entropy -> 86 characters, inside the RFC's 43-128 and its unreserved alphabet.
        verifier = secrets.token_urlsafe(64)
        if encoding is ChallengeEncoding.HEX:
            challenge = hashlib.sha256(verifier.encode("ascii")).hexdigest()
        else:
            challenge = create_s256_code_challenge(verifier)
        return cls(verifier=verifier, challenge=challenge)


def tiktok_challenge_encoding() -> ChallengeEncoding:
    value = os.environ.get("AZMTH_TIKTOK_PKCE_ENCODING", "").strip().lower() or ChallengeEncoding.HEX.value
    try:
        return ChallengeEncoding(value)
    except ValueError:
        raise ValueError(f"AZMTH_TIKTOK_PKCE_ENCODING must be hex or base64url, not {value!r}") from None
