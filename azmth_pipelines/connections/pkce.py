"""PKCE (RFC 7636) verifiers and challenges: S256 with the RFC's base64url encoding, or the SHA-256 digest
hex-encoded, a variant a platform may ask for (integrations/tiktok/oauth.py).
"""

import hashlib
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
