"""Authlib's httpx OAuth 2 client, imported once without its httpx2 deprecation notice.

Authlib 1.9 warns on import (AuthlibDeprecationWarning) that its httpx integration will move to httpx2. We pin
httpx 0.28, so the notice is noise on every CLI run; only that one warning is silenced, and only here.
authlib.deprecate is imported first because importing it installs an "always" filter that would
otherwise override ours.
"""

import warnings

from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from authlib.common.urls import add_params_to_qs
from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response
from authlib.oauth2.rfc7636 import create_s256_code_challenge

__all__ = [
    "AsyncOAuth2Client",
    "MismatchingStateException",
    "MissingCodeException",
    "add_params_to_qs",
    "create_s256_code_challenge",
    "parse_authorization_code_response",
]
