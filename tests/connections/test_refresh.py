"""Tokens are refreshed ahead of expiry; a refresh the platform refuses asks the artist to reconnect."""

import asyncio
import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select

from azmth_pipelines.assets.connections import refresh_connections_job
from azmth_pipelines.connections.refresh import (
    RefreshOutcome,
    RefreshResult,
    refresh_connection,
    refresh_due_connections,
)
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection, StaffError
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.integrations.registry import CREDENTIAL_VARIABLES, integration
from azmth_pipelines.resources.apps import AppCredentialsResource, PlatformApp
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import ConnectionStatus, Platform
from azmth_sandbox.testing import SandboxHandle
from tests.connections.conftest import Connect


def row(connection_id: int) -> SocialConnection:
    with session_scope() as session:
        found = session.get(SocialConnection, connection_id)
        assert found is not None
        session.expunge(found)
        return found


def tokens(connection_id: int) -> tuple[str | None, str | None]:
    current, cipher = row(connection_id), TokenCipher.from_settings()
    return cipher.decrypt(current.access_token_ciphertext), cipher.decrypt(current.refresh_token_ciphertext)


def refresh_now(connection_id: int) -> RefreshResult:
    return asyncio.run(refresh_connection(connection_id, force=True))


def just_before_expiry(connection_id: int, platform: Platform) -> datetime:
    expires = row(connection_id).access_token_expires_at
    assert expires is not None
    return expires - integration(platform).oauth.refresh_lead + timedelta(minutes=1)


def test_tiktok_refresh_rotates_the_refresh_token_and_stores_both_new_tokens(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id
    old_access, old_refresh = tokens(connection)

    result = refresh_now(connection)

    assert result.outcome is RefreshOutcome.REFRESHED
    new_access, new_refresh = tokens(connection)
    assert new_access != old_access and new_refresh != old_refresh
    state = oauth_apps.state
    assert state.token(old_refresh).revoked  # rotated: the platform no longer honours the old one
    assert not state.token(new_refresh).revoked and not state.token(new_access).revoked
    # The rotated token works for the next refresh, which proves it was stored, not just received.
    assert refresh_now(connection).outcome is RefreshOutcome.REFRESHED
    assert row(connection).status is ConnectionStatus.CONNECTED


def test_only_connections_near_expiry_are_refreshed(oauth_apps: SandboxHandle, connect: Connect) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id
    before = tokens(connection)

    early = asyncio.run(refresh_due_connections(now=datetime.now(UTC)))
    assert early == [] and tokens(connection) == before

    due = asyncio.run(refresh_due_connections(now=just_before_expiry(connection, Platform.TIKTOK)))
    assert [(r.connection_id, r.outcome) for r in due] == [(connection, RefreshOutcome.REFRESHED)]
    assert tokens(connection) != before


def test_x_refreshes_with_offline_access(oauth_apps: SandboxHandle, connect: Connect) -> None:
    oauth_apps.create_account("x", "nova")
    connection = connect(Platform.X).connection_id
    old_access, old_refresh = tokens(connection)

    assert refresh_now(connection).outcome is RefreshOutcome.REFRESHED
    new_access, new_refresh = tokens(connection)
    assert new_access != old_access and new_refresh not in (None, old_refresh)


def test_x_without_offline_access_needs_a_reconnect_once_its_token_expires(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    account = oauth_apps.create_account("x", "nova")
    oauth_apps.set_oauth_user("x", account.id, granted_scopes=["tweet.read", "users.read"])
    connection = connect(Platform.X).connection_id
    expires = row(connection).access_token_expires_at
    assert expires is not None and tokens(connection)[1] is None

    assert asyncio.run(refresh_due_connections(now=expires - timedelta(minutes=30)))[0].outcome is (
        RefreshOutcome.NOT_DUE
    )
    [result] = asyncio.run(refresh_due_connections(now=expires + timedelta(seconds=1)))
    assert result.outcome is RefreshOutcome.NEEDS_RECONNECT
    marked = row(connection)
    assert marked.status is ConnectionStatus.NEEDS_RECONNECT and "offline.access" in (marked.status_reason or "")


def test_instagram_re_exchanges_and_threads_refreshes_their_long_lived_tokens(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    for platform in (Platform.INSTAGRAM, Platform.THREADS):
        oauth_apps.create_account(platform.value, "nova")
    instagram = connect(Platform.INSTAGRAM).connection_id
    threads = connect(Platform.THREADS).connection_id
    before = {c: tokens(c)[0] for c in (instagram, threads)}
    oauth_apps.advance_clock(25 * 3600)  # Threads refreshes only tokens at least 24 hours old

    for connection, platform in ((instagram, Platform.INSTAGRAM), (threads, Platform.THREADS)):
        result = asyncio.run(refresh_connection(connection, now=just_before_expiry(connection, platform)))
        assert result.outcome is RefreshOutcome.REFRESHED, result.detail
        access = tokens(connection)[0]
        assert access != before[connection]
        issued = oauth_apps.state.token(access)
        assert issued is not None and issued.long_lived


@pytest.mark.parametrize(("platform", "revoke"), [(Platform.TIKTOK, "access"), (Platform.X, "refresh")])
def test_a_revoked_grant_met_during_refresh_marks_the_connection_with_the_reason(
    platform: Platform, revoke: str, oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account(platform.value, "nova")
    connection = connect(platform).connection_id
    access, refresh = tokens(connection)
    oauth_apps.revoke_token(access if revoke == "access" else str(refresh))  # the artist removed our app

    result = refresh_now(connection)

    assert result.outcome is RefreshOutcome.NEEDS_RECONNECT
    marked = row(connection)
    assert marked.status is ConnectionStatus.NEEDS_RECONNECT
    assert marked.status_reason and f"{platform.label} refused to refresh" in marked.status_reason
    assert tokens(connection) == (access, refresh)  # nothing half-written
    with session_scope() as session:
        staff = session.scalars(select(StaffError).where(StaffError.platform == platform)).all()
        assert len(staff) == 1 and staff[0].http_status is not None
    # Marked connections are left alone by the schedule until the artist reconnects.
    assert asyncio.run(refresh_due_connections(now=just_before_expiry(connection, platform))) == []


def test_an_expired_meta_token_needs_a_reconnect_without_calling(oauth_apps: SandboxHandle, connect: Connect) -> None:
    oauth_apps.create_account("instagram", "nova")
    connection = connect(Platform.INSTAGRAM).connection_id
    expires = row(connection).access_token_expires_at
    assert expires is not None

    [result] = asyncio.run(refresh_due_connections(now=expires + timedelta(hours=1)))

    assert result.outcome is RefreshOutcome.NEEDS_RECONNECT
    assert "expired" in (row(connection).status_reason or "")


def test_a_platform_outage_during_refresh_is_retried_later_not_marked(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id
    before = tokens(connection)
    oauth_apps.set_fault("tiktok", "status_5xx", 503, scope="/v2/oauth/token/", times=1)

    assert refresh_now(connection).outcome is RefreshOutcome.RETRY_LATER
    assert row(connection).status is ConnectionStatus.CONNECTED and tokens(connection) == before
    assert refresh_now(connection).outcome is RefreshOutcome.REFRESHED


def test_two_refreshes_racing_leave_the_connection_connected_with_working_tokens(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id

    async def race() -> list[RefreshResult]:
        return list(
            await asyncio.gather(refresh_connection(connection, force=True), refresh_connection(connection, force=True))
        )

    outcomes = sorted(r.outcome for r in asyncio.run(race()))
    assert RefreshOutcome.REFRESHED in outcomes
    final = row(connection)
    assert final.status is ConnectionStatus.CONNECTED
    access, refresh = tokens(connection)
    assert not oauth_apps.state.token(access).revoked and not oauth_apps.state.token(refresh).revoked


def test_the_hourly_job_refreshes_what_is_due(oauth_apps: SandboxHandle, connect: Connect, database_url: str) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id
    before = tokens(connection)
    now = just_before_expiry(connection, Platform.TIKTOK)

    run = refresh_connections_job.execute_in_process(
        run_config={"ops": {"refresh_expiring_tokens": {"config": {"now": now.isoformat()}}}},
        resources=code_location_resources(DatabaseResource(url=database_url)),
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert run.success
    assert run.output_for_node("refresh_expiring_tokens") == {"refreshed": 1}
    assert tokens(connection) != before


def test_the_hourly_job_refreshes_with_the_app_and_keys_its_resources_hold(
    oauth_apps: SandboxHandle, connect: Connect, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_apps.create_account("tiktok", "nova")
    connection = connect(Platform.TIKTOK).connection_id
    before = tokens(connection)
    now = just_before_expiry(connection, Platform.TIKTOK)
    keys = os.environ["AZMTH_SECRET_KEY"]
    # Neither the app's variables nor the token key are in the environment: only the resources hold them.
    for variable in (*CREDENTIAL_VARIABLES[Platform.TIKTOK], "AZMTH_SECRET_KEY"):
        monkeypatch.delenv(variable)
    resources = {
        **code_location_resources(DatabaseResource(url=database_url)),
        "app_credentials": AppCredentialsResource(
            apps={"tiktok": PlatformApp(client_id="sandbox-tiktok-client", client_secret="sandbox-tiktok-secret")}
        ),
        "token_cipher": TokenCipherResource(secret_key=keys),
    }

    run = refresh_connections_job.execute_in_process(
        run_config={"ops": {"refresh_expiring_tokens": {"config": {"now": now.isoformat()}}}},
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert run.output_for_node("refresh_expiring_tokens") == {"refreshed": 1}
    monkeypatch.setenv("AZMTH_SECRET_KEY", keys)
    assert tokens(connection) != before


def test_a_threads_token_younger_than_a_day_is_not_refreshed_nor_marked(
    oauth_apps: SandboxHandle, connect: Connect
) -> None:
    oauth_apps.create_account("threads", "nova")
    connection = connect(Platform.THREADS).connection_id
    before = tokens(connection)

    result = refresh_now(connection)  # forced, e.g. `azmth connections refresh --connection`

    assert result.outcome is RefreshOutcome.NOT_DUE
    assert row(connection).status is ConnectionStatus.CONNECTED and tokens(connection) == before
