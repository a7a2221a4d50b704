"""Connections against the sandbox's OAuth endpoints: our app registered, an artist, and a scripted browser.

`browser` plays the artist at the consent page: it follows the authorize URL to the platform, which (in the
sandbox) answers with a redirect to our loopback listener, and follows that too, as a real browser would.
Tests that need a misbehaving browser (a tampered state, a late callback) give connect() their own open_url.
"""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from azmth_pipelines.connections.flow import ConnectResult, connect_account
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.integrations.registry import CREDENTIAL_VARIABLES
from azmth_pipelines.vocabulary import Platform
from azmth_sandbox.testing import SandboxHandle

ALL_PLATFORMS = list(Platform)


class Browser:
    def __init__(self) -> None:
        self.http = httpx.Client(timeout=10, trust_env=False)
        self.authorize_urls: list[str] = []

    def close(self) -> None:
        self.http.close()

    def approve(self, url: str) -> None:
        """The artist clicks through: platform consent page, then the redirect to our callback."""
        self.authorize_urls.append(url)
        self.http.get(url, follow_redirects=True)

    def redirect_from(self, url: str) -> str:
        """Where the platform sends the browser after consent (not followed)."""
        self.authorize_urls.append(url)
        response = self.http.get(url, follow_redirects=False)
        assert response.status_code in (302, 303), response.text
        return str(response.headers["location"])

    def deliver(self, callback_url: str) -> None:
        self.http.get(callback_url)

    def last_authorize_params(self) -> dict[str, str]:
        return query(self.authorize_urls[-1])


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    params = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **changes}
    return urlunsplit(parts._replace(query=urlencode(params)))


@pytest.fixture
def oauth_apps(sandbox: SandboxHandle, database_url: str, monkeypatch: pytest.MonkeyPatch) -> SandboxHandle:
    """Our app's credentials are the sandbox's default app on each platform; a fresh token key."""
    for platform, (id_variable, secret_variable) in CREDENTIAL_VARIABLES.items():
        monkeypatch.setenv(id_variable, f"sandbox-{platform.value}-client")
        monkeypatch.setenv(secret_variable, f"sandbox-{platform.value}-secret")
    monkeypatch.setenv("AZMTH_SECRET_KEY", Fernet.generate_key().decode())
    return sandbox


@pytest.fixture
def artist_id(oauth_apps: SandboxHandle) -> int:
    with session_scope() as session:
        return create_artist(session, name="Nova", timezone="Europe/Berlin").id


@pytest.fixture
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


Connect = Callable[..., ConnectResult]


@pytest.fixture
def connect(artist_id: int, browser: Browser) -> Connect:
    """connect(platform, publish=False, open_url=browser.approve, **options) -> ConnectResult."""

    def run(platform: Platform, *, open_url: Callable[[str], None] | None = None, **options: Any) -> ConnectResult:
        options.setdefault("timeout_s", 10.0)
        return asyncio.run(
            connect_account(
                artist_id=options.pop("artist_id", artist_id),
                platform=platform,
                open_url=open_url or browser.approve,
                port=0,
                **options,
            )
        )

    return run
