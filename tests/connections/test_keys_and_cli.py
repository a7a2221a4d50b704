"""`azmth keys rotate`, `azmth connections list` and `azmth connect` as a person runs them."""

import json
import os
import webbrowser

import pytest
import typer
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from azmth_pipelines.cli.connections import connect, connections_app, keys_app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.token_cipher import TokenCipher, TokenDecryptionError
from azmth_pipelines.vocabulary import Platform
from azmth_sandbox.testing import SandboxHandle
from tests.connections.conftest import Browser, Connect

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    # Registered as cli/main.py registers them.
    app = typer.Typer()
    app.command("connect")(connect)
    app.add_typer(connections_app, name="connections")
    app.add_typer(keys_app, name="keys")
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ciphertexts() -> list[tuple[str | None, str | None]]:
    with session_scope() as session:
        rows = session.scalars(select(SocialConnection).order_by(SocialConnection.id))
        return [(r.access_token_ciphertext, r.refresh_token_ciphertext) for r in rows]


def test_key_rotation_re_encrypts_every_token_under_the_newest_key(
    oauth_apps: SandboxHandle, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    for platform in (Platform.TIKTOK, Platform.X):
        oauth_apps.create_account(platform.value, "nova")
        connect(platform)
    old_key = TokenCipher.from_settings()
    plaintexts = [(old_key.decrypt(a), old_key.decrypt(r)) for a, r in ciphertexts()]
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("AZMTH_SECRET_KEY", f"{new_key},{os.environ['AZMTH_SECRET_KEY']}")  # newest first

    code, out, _ = cli("keys", "rotate", "--json")

    assert code == 0 and json.loads(out) == {"connections": 2, "tokens": 4}
    only_new = TokenCipher([new_key])
    assert [(only_new.decrypt(a), only_new.decrypt(r)) for a, r in ciphertexts()] == plaintexts
    with pytest.raises(TokenDecryptionError):
        old_key.decrypt(ciphertexts()[0][0])


def test_key_rotation_refuses_and_writes_nothing_when_a_token_is_unreadable(
    oauth_apps: SandboxHandle, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connect(Platform.TIKTOK)
    before = ciphertexts()
    monkeypatch.setenv("AZMTH_SECRET_KEY", Fernet.generate_key().decode())  # the old key was dropped too early

    code, _, err = cli("keys", "rotate")

    assert code == 1 and "keep the old key" in err
    assert ciphertexts() == before


def test_connections_list_shows_state_scopes_and_expiry_but_never_a_token(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    account = oauth_apps.create_account("x", "nova")
    oauth_apps.set_oauth_user("x", account.id, granted_scopes=["tweet.read", "users.read", "offline.access"])
    connect(Platform.X)
    cipher = TokenCipher.from_settings()
    [(access, refresh)] = [(cipher.decrypt(a), cipher.decrypt(r)) for a, r in ciphertexts()]

    code, out, _ = cli("connections", "list", "--json")
    [view] = json.loads(out)
    assert code == 0
    assert view["platform"] == "x" and view["username"] == "nova" and view["status"] == "connected"
    assert view["granted_scopes"] == ["offline.access", "tweet.read", "users.read"]
    assert view["access_token_expires_at"] and view["has_refresh_token"] is True
    code, text, _ = cli("connections", "list")
    for shown in (out, text):
        assert access not in shown and str(refresh) not in shown and "ciphertext" not in shown
    assert "@nova" in text and "connected" in text


def test_connect_command_reports_the_connection_and_the_write_scope_still_missing(
    oauth_apps: SandboxHandle, artist_id: int, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = oauth_apps.create_account("tiktok", "nova")
    oauth_apps.set_oauth_user(
        "tiktok", account.id, granted_scopes=["user.info.basic", "user.info.profile", "video.list", "video.upload"]
    )
    monkeypatch.setattr(webbrowser, "open", browser.approve)  # the browser is the artist's, not ours

    code, out, err = cli("connect", "tiktok", "--artist", str(artist_id), "--publish", "--port", "0")

    assert code == 0, err
    assert "Connected TikTok account @nova" in out
    assert "Not granted: user.info.stats, video.publish." in out
    assert "needs video.publish" in out and f"--artist {artist_id} --publish" in out
    assert "Open this page to connect TikTok" in err


def test_connect_command_explains_an_unaudited_tiktok_app_without_a_traceback(
    oauth_apps: SandboxHandle, artist_id: int, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_app("tiktok", "unaudited-key", "unaudited-secret", audited=False)
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_KEY", "unaudited-key")
    monkeypatch.setenv("AZMTH_TIKTOK_CLIENT_SECRET", "unaudited-secret")
    oauth_apps.create_account("tiktok", "stranger", is_test_user=False)
    monkeypatch.setattr(webbrowser, "open", browser.approve)

    code, out, err = cli("connect", "tiktok", "--artist", str(artist_id), "--port", "0")

    assert code == 1 and out == ""
    assert err.count("\n") <= 3 and "Traceback" not in err
    assert "error: TikTok refused this account" in err and "test users" in err


def test_connect_command_for_instagram_without_business_account_prints_the_faq_message(
    oauth_apps: SandboxHandle, artist_id: int, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_account("instagram", "nova", has_ig_business_account=False)
    monkeypatch.setattr(webbrowser, "open", browser.approve)

    code, _, err = cli("connect", "instagram", "--artist", str(artist_id), "--port", "0")

    assert code == 1
    assert err.endswith(
        "error: No Instagram Business account found: convert your Instagram to Business or Creator, link it to a "
        "Facebook Page in Meta Business Suite, then retry\n"
    )


def test_connect_command_refuses_an_unknown_artist_before_opening_a_browser(
    oauth_apps: SandboxHandle, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webbrowser, "open", browser.approve)
    code, _, err = cli("connect", "x", "--artist", "999", "--port", "0")
    assert code == 1 and "artist 999 not found" in err and browser.authorize_urls == []


def test_connections_refresh_command_refreshes_one_connection_on_demand(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id

    code, out, _ = cli("connections", "refresh", "--connection", str(connection), "--json")

    assert code == 0
    [view] = json.loads(out)
    assert (view["connection_id"], view["platform"], view["outcome"]) == (connection, "tiktok", "refreshed")
