"""`azmth connect`: the authorization-code flow against the sandbox's OAuth endpoints, over real HTTP."""

import re

import pytest
from sqlalchemy import func, select

from azmth_pipelines.connections.errors import AuthorizationFailed, ConsentDenied, StateMismatch
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.integrations.instagram.oauth import NO_INSTAGRAM_BUSINESS_ACCOUNT, NoInstagramBusinessAccount
from azmth_pipelines.integrations.registry import READ_SCOPES, WRITE_SCOPES
from azmth_pipelines.integrations.tiktok.oauth import AppNotApproved
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import ConnectionStatus, Platform
from azmth_sandbox.testing import SandboxHandle
from tests.connections.conftest import ALL_PLATFORMS, Browser, Connect, query, with_query

SCOPE_SEPARATOR = {Platform.TIKTOK: ",", Platform.INSTAGRAM: ",", Platform.THREADS: ",", Platform.X: " "}


def stored(platform: Platform) -> SocialConnection | None:
    with session_scope() as session:
        row = session.scalars(select(SocialConnection).where(SocialConnection.platform == platform)).one_or_none()
        if row is not None:
            session.expunge(row)
        return row


def connection_count() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(SocialConnection)) or 0)


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_first_connection_asks_read_scopes_and_stores_the_account_with_encrypted_tokens(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    account = oauth_apps.create_account(platform.value, f"nova_{platform.value}")

    result = connect(platform)

    asked = browser.last_authorize_params()["scope"].split(SCOPE_SEPARATOR[platform])
    assert asked == list(READ_SCOPES[platform])
    assert not set(asked) & set(WRITE_SCOPES[platform])
    row = stored(platform)
    assert row is not None and row.status is ConnectionStatus.CONNECTED
    assert (row.external_account_id, row.username) == (account.remote_id, f"nova_{platform.value}")
    assert set(READ_SCOPES[platform]) <= set(row.granted_scopes) == set(result.granted_scopes)
    access = TokenCipher.from_settings().decrypt(row.access_token_ciphertext)
    assert access is not None and access not in (row.access_token_ciphertext or "")
    issued = oauth_apps.state.token(access)
    assert issued is not None and issued.account_id == account.id and not issued.revoked
    assert row.access_token_expires_at is not None


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_publish_reconnect_asks_for_the_write_scopes_and_replaces_the_connection(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    oauth_apps.create_account(platform.value, f"nova_{platform.value}")
    connect(platform)

    result = connect(platform, publish=True)

    asked = set(browser.last_authorize_params()["scope"].split(SCOPE_SEPARATOR[platform]))
    assert set(WRITE_SCOPES[platform]) <= asked
    assert set(WRITE_SCOPES[platform]) <= set(result.granted_scopes)
    assert result.missing_scopes == []
    assert connection_count() == 1


@pytest.mark.parametrize(
    ("platform", "granted"),
    [
        (Platform.TIKTOK, ["user.info.basic", "video.list", "video.upload"]),
        (Platform.X, ["tweet.read", "users.read", "offline.access", "tweet.write"]),
    ],
)
def test_scopes_the_artist_unticked_are_not_stored_as_granted(
    platform: Platform, granted: list[str], oauth_apps: SandboxHandle, connect: Connect
) -> None:
    account = oauth_apps.create_account(platform.value, "nova")
    oauth_apps.set_oauth_user(platform.value, account.id, granted_scopes=granted)

    result = connect(platform, publish=True)

    assert result.granted_scopes == sorted(granted)
    row = stored(platform)
    assert row is not None and row.granted_scopes == sorted(granted)
    assert set(result.missing_scopes) == (set(READ_SCOPES[platform]) | set(WRITE_SCOPES[platform])) - set(granted)


def test_instagram_and_threads_store_the_long_lived_token(oauth_apps: SandboxHandle, connect: Connect) -> None:
    for platform in (Platform.INSTAGRAM, Platform.THREADS):
        oauth_apps.create_account(platform.value, "nova")
        connect(platform)
        row = stored(platform)
        assert row is not None
        issued = oauth_apps.state.token(TokenCipher.from_settings().decrypt(row.access_token_ciphertext))
        assert issued is not None and issued.long_lived, platform
        assert row.access_token_expires_at is not None and row.created_at is not None
        lifetime = row.access_token_expires_at - row.created_at
        assert lifetime.days >= 59, platform  # ~60 days (get-long-lived, long-lived-tokens)


def test_x_sends_an_s256_pkce_challenge(oauth_apps: SandboxHandle, connect: Connect, browser: Browser) -> None:
    oauth_apps.create_account("x", "nova")
    connect(Platform.X)
    params = browser.last_authorize_params()
    assert params["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])  # base64url(SHA-256), RFC 7636


@pytest.mark.parametrize(("encoding", "pattern"), [("hex", r"[0-9a-f]{64}"), ("base64url", r"[A-Za-z0-9_-]{43}")])
def test_tiktok_pkce_challenge_encoding_is_a_setting(
    encoding: str,
    pattern: str,
    oauth_apps: SandboxHandle,
    connect: Connect,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZMTH_TIKTOK_PKCE_ENCODING", encoding)
    oauth_apps.create_account("tiktok", "nova")
    connect(Platform.TIKTOK)
    params = browser.last_authorize_params()
    assert "client_key" in params and "client_id" not in params  # login-kit: the app is client_key
    assert params["code_challenge_method"] == "S256"
    assert re.fullmatch(pattern, params["code_challenge"])


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_a_callback_with_a_state_we_did_not_send_is_refused(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    oauth_apps.create_account(platform.value, "nova")

    def forged_callback(url: str) -> None:
        browser.deliver(with_query(browser.redirect_from(url), state="not-the-state-we-sent"))

    with pytest.raises(StateMismatch, match="did not carry the state"):
        connect(platform, open_url=forged_callback)
    assert connection_count() == 0


@pytest.mark.parametrize("platform", [Platform.X, Platform.TIKTOK])
def test_a_code_issued_for_another_pkce_challenge_is_refused(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    """An injected code (authorized with an attacker's challenge) fails the exchange: our verifier does not match."""
    oauth_apps.create_account(platform.value, "nova")

    def inject_foreign_code(url: str) -> None:
        foreign = browser.redirect_from(with_query(url, code_challenge="A" * 43))
        browser.deliver(foreign)

    with pytest.raises(AuthorizationFailed, match="refused to complete the connection") as refused:
        connect(platform, open_url=inject_foreign_code)
    assert "verifier" in str(refused.value).lower() or "challenge" in str(refused.value).lower()
    assert connection_count() == 0


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_declined_consent_connects_nothing(platform: Platform, oauth_apps: SandboxHandle, connect: Connect) -> None:
    account = oauth_apps.create_account(platform.value, "nova")
    oauth_apps.set_oauth_user(platform.value, account.id, decision="deny")

    with pytest.raises(ConsentDenied, match="declined"):
        connect(platform)
    assert connection_count() == 0


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_an_expired_code_is_refused(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    oauth_apps.create_account(platform.value, "nova")

    def late_callback(url: str) -> None:
        callback = browser.redirect_from(url)
        oauth_apps.advance_clock(601)  # codes live 10 minutes at most (X: 30 s)
        browser.deliver(callback)

    with pytest.raises(AuthorizationFailed):
        connect(platform, open_url=late_callback)
    assert connection_count() == 0


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_a_code_is_single_use(
    platform: Platform, oauth_apps: SandboxHandle, connect: Connect, browser: Browser
) -> None:
    oauth_apps.create_account(platform.value, "nova")
    codes: list[str] = []

    def remember_code(url: str) -> None:
        callback = browser.redirect_from(url)
        codes.append(query(callback)["code"])
        browser.deliver(callback)

    first = connect(platform, open_url=remember_code)

    def replay_first_code(url: str) -> None:
        sent = query(url)
        browser.deliver(with_query(sent["redirect_uri"], code=codes[0], state=sent["state"]))

    with pytest.raises(AuthorizationFailed):
        connect(platform, open_url=replay_first_code)
    row = stored(platform)
    assert row is not None and row.id == first.connection_id and row.status is ConnectionStatus.CONNECTED


def test_instagram_without_a_business_account_stops_with_the_faq_message(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("instagram", "nova", has_ig_business_account=False)

    with pytest.raises(NoInstagramBusinessAccount) as refused:
        connect(Platform.INSTAGRAM)
    assert str(refused.value) == NO_INSTAGRAM_BUSINESS_ACCOUNT
    assert str(refused.value) == (
        "No Instagram Business account found: convert your Instagram to Business or Creator, link it to a "
        "Facebook Page in Meta Business Suite, then retry"
    )
    assert connection_count() == 0


def test_unaudited_tiktok_app_refuses_a_user_who_is_not_a_test_user(
    oauth_apps: SandboxHandle, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_app("tiktok", "unaudited-key", "unaudited-secret", audited=False)
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_KEY", "unaudited-key")
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_SECRET", "unaudited-secret")
    oauth_apps.create_account("tiktok", "stranger", is_test_user=False)

    with pytest.raises(AppNotApproved, match="app review") as refused:
        connect(Platform.TIKTOK)
    assert "test users" in str(refused.value)
    assert connection_count() == 0


def test_unaudited_tiktok_app_still_connects_its_test_users(
    oauth_apps: SandboxHandle, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_app("tiktok", "unaudited-key", "unaudited-secret", audited=False)
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_KEY", "unaudited-key")
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_SECRET", "unaudited-secret")
    oauth_apps.create_account("tiktok", "tester", is_test_user=True)

    assert connect(Platform.TIKTOK).username == "tester"
