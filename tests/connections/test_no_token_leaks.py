"""No token leaves the cipher: not into the database (except encrypted), a log line, a Dagster event, a
staff_error payload or an exception's text, across connects, refreshes and failures of both."""

import asyncio
import json
import logging
import traceback
from datetime import timedelta
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import select

from azmth_pipelines.assets.connections import refresh_connections_job
from azmth_pipelines.connections.errors import AuthorizationFailed
from azmth_pipelines.connections.refresh import RefreshOutcome, refresh_connection
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import Base, SocialConnection, StaffError
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import ConnectionStatus, Platform
from azmth_sandbox.testing import SandboxHandle
from tests.connections.conftest import Browser, Connect

CIPHERTEXT_COLUMNS = {"access_token_ciphertext", "refresh_token_ciphertext"}


def database_text() -> str:
    """Every column of every row of every table, as text; the two ciphertext columns aside."""
    chunks = []
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if column not in CIPHERTEXT_COLUMNS and value is not None:
                        chunks.append(json.dumps(value, default=str) if isinstance(value, dict | list) else str(value))
    return "\n".join(chunks)


def exception_text(error: BaseException) -> str:
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    platform_error = getattr(error, "error", None)
    if platform_error is not None:
        parts += [str(platform_error), repr(platform_error), json.dumps(platform_error.payload, default=str)]
    return "\n".join(parts)


def connection_id(platform: Platform) -> int:
    with session_scope() as session:
        return session.scalars(select(SocialConnection.id).where(SocialConnection.platform == platform)).one()


def stored_tokens(platform: Platform) -> tuple[str | None, str | None]:
    cipher = TokenCipher.from_settings()
    with session_scope() as session:
        row = session.scalars(select(SocialConnection).where(SocialConnection.platform == platform)).one()
        return cipher.decrypt(row.access_token_ciphertext), cipher.decrypt(row.refresh_token_ciphertext)


def test_tokens_never_reach_the_database_logs_events_or_exceptions(
    oauth_apps: SandboxHandle,
    connect: Connect,
    browser: Browser,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[BaseException] = []
    for platform in Platform:
        oauth_apps.create_account(platform.value, f"nova_{platform.value}")
        connect(platform, publish=True)

    # A connect whose code expired before the exchange, and one fed a code bound to another PKCE challenge.
    def late(url: str) -> None:
        callback = browser.redirect_from(url)
        oauth_apps.advance_clock(601)
        browser.deliver(callback)

    for platform in (Platform.TIKTOK, Platform.THREADS, Platform.INSTAGRAM, Platform.X):
        with pytest.raises(AuthorizationFailed) as refused:
            connect(platform, open_url=late)
        failures.append(refused.value)

    # The artist revokes our access on X, Instagram and Threads; TikTok's refresh first meets an outage.
    for platform in (Platform.X, Platform.INSTAGRAM, Platform.THREADS):
        oauth_apps.revoke_token(str(stored_tokens(platform)[0]))
    oauth_apps.set_fault("tiktok", "status_5xx", 503, scope="/v2/oauth/token/", times=1)
    assert asyncio.run(refresh_connection(connection_id(Platform.TIKTOK), force=True)).outcome is (
        RefreshOutcome.RETRY_LATER
    )
    for platform in (Platform.INSTAGRAM, Platform.THREADS):
        with session_scope() as session:
            meta = session.get(SocialConnection, connection_id(platform))
            assert meta is not None and meta.access_token_expires_at is not None
            week_left = meta.access_token_expires_at - timedelta(days=6)
        result = asyncio.run(refresh_connection(connection_id(platform), now=week_left))
        assert result.outcome is RefreshOutcome.NEEDS_RECONNECT, result

    # The hourly job: TikTok refreshes (its refresh token rotates), X fails on the revoked grant.
    with session_scope() as session:
        tiktok = session.get(SocialConnection, connection_id(Platform.TIKTOK))
        assert tiktok is not None and tiktok.access_token_expires_at is not None
        now = tiktok.access_token_expires_at - timedelta(minutes=60)
    instance = dg.DagsterInstance.ephemeral()
    run = refresh_connections_job.execute_in_process(
        run_config={"ops": {"refresh_expiring_tokens": {"config": {"now": now.isoformat()}}}},
        resources=code_location_resources(DatabaseResource(url=database_url)),
        instance=instance,
    )
    assert run.output_for_node("refresh_expiring_tokens") == {"refreshed": 1, "needs_reconnect": 1}
    with session_scope() as session:
        statuses = {r.platform: r.status for r in session.scalars(select(SocialConnection))}
        assert statuses[Platform.TIKTOK] is ConnectionStatus.CONNECTED
        assert statuses[Platform.X] is ConnectionStatus.NEEDS_RECONNECT
        assert len(session.scalars(select(StaffError)).all()) == 3

    secrets = _recognizable_secrets(oauth_apps)
    assert len(secrets) > 20  # every token and code the platforms issued in this test, old and new
    haystacks: dict[str, str] = {
        "database": database_text(),
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "dagster events": "\n".join(str(event) for event in instance.all_logs(run.run_id)),
        "exceptions": "\n".join(exception_text(error) for error in failures),
    }
    assert "needs_reconnect" in haystacks["dagster events"]  # the events do say what happened
    for where, text in haystacks.items():
        leaked = [name for name, secret in secrets.items() if secret in text]
        assert not leaked, f"{len(leaked)} secrets found in {where}, e.g. {leaked[:3]}"


def _recognizable_secrets(sandbox: SandboxHandle) -> dict[str, str]:
    state: Any = sandbox.state
    secrets = {f"token {i}": value for i, value in enumerate(state.tokens)}
    secrets |= {f"code {i}": value for i, value in enumerate(state.codes)}
    secrets |= {f"{p.value} client secret": f"sandbox-{p.value}-secret" for p in Platform}
    return secrets
