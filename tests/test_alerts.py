"""Ops hear of a failed publish window and of connections that need a reconnect by email, through a real SMTP
server on loopback; with AZMTH_ALERT_TO unset there is no alert at all."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import update

from azmth_pipelines.alerts import AlertMail, alert_sensors
from azmth_pipelines.assets.checks import ASSET_CHECKS
from azmth_pipelines.assets.metrics import (
    account_metrics_snapshot,
    account_post_metrics,
    metrics_nightly_job,
    social_post_metrics,
)
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import ConnectionStatus, Platform
from azmth_sandbox.testing import SandboxHandle
from tests.metrics.conftest import MetricsStudio
from tests.publishing.conftest import AFTER_T0, T0, Studio, demo_media, studio  # noqa: F401 (fixtures)

UI_URL = "https://dagster.azmth.example"


class Inbox:
    """Every message the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or b""))
        return "250 Message accepted for delivery"


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _mail(port: int) -> AlertMail:
    env = {
        "AZMTH_ALERT_TO": "ops@azmth.example, oncall@azmth.example",
        "AZMTH_ALERT_FROM": "pipelines@azmth.example",
        "AZMTH_ALERT_SMTP_HOST": "127.0.0.1",
        "AZMTH_ALERT_SMTP_PORT": str(port),
        "AZMTH_DAGSTER_UI_URL": UI_URL + "/",
    }
    mail = AlertMail.from_environment(env)
    assert mail is not None
    return mail


def _sensor(mail: AlertMail, name: str) -> dg.SensorDefinition:
    return next(sensor for sensor in alert_sensors(mail) if sensor.name == name)


def _failed_run_context(instance: dg.DagsterInstance, run_id: str) -> dg.RunFailureSensorContext:
    """What the daemon hands the run-failure sensor for this run."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    [failure] = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    assert failure.event_log_entry.dagster_event is not None
    return dg.build_run_status_sensor_context(
        sensor_name="email_on_failed_run",
        dagster_event=failure.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
    ).for_run_failure()


def test_alerts_are_off_without_a_recipient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZMTH_ALERT_SMTP_HOST", "mail.example")
    monkeypatch.delenv("AZMTH_ALERT_TO", raising=False)
    assert AlertMail.from_environment() is None
    assert alert_sensors() == []


def test_a_failed_publish_window_emails_its_window_platforms_and_run_link(
    studio: Studio,  # noqa: F811
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    post_id = studio.post(["x", "threads"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    [run] = studio.tick(AFTER_T0)
    assert not run.success
    context = _failed_run_context(studio.instance, run.run_id)

    _sensor(_mail(port), "email_on_failed_run")(context)

    [message] = inbox.messages
    body = _text(message)
    window = partition_key(T0)
    assert window in message["Subject"] and "x" in message["Subject"]
    assert message["To"] == "ops@azmth.example, oncall@azmth.example"
    assert f"window {window}" in body
    assert "Failed platforms: x\n" in body  # threads published: it is not named
    assert f"{UI_URL}/runs/{run.run_id}" in body
    assert f"post {post_id} x: " in body


def test_a_connection_that_needs_a_reconnect_is_emailed_once(
    studio: Studio,  # noqa: F811
    smtp_server: tuple[Inbox, int],
    database_url: str,
) -> None:
    inbox, port = smtp_server
    sensor = _sensor(_mail(port), "email_on_needs_reconnect")
    database = DatabaseResource(url=database_url)

    def evaluate(cursor: str | None) -> str | None:
        context = dg.build_sensor_context(instance=studio.instance, cursor=cursor, resources={"database": database})
        sensor(context)
        return context.cursor

    def mark(platform: Platform, status: ConnectionStatus) -> None:
        with session_scope() as session:
            session.execute(
                update(SocialConnection)
                .where(SocialConnection.artist_id == studio.artist_id, SocialConnection.platform == platform)
                .values(status=status, status_reason="the token was revoked")
            )

    cursor = evaluate(None)
    assert inbox.messages == []
    mark(Platform.TIKTOK, ConnectionStatus.NEEDS_RECONNECT)
    cursor = evaluate(cursor)
    cursor = evaluate(cursor)  # the next hour: still broken, already reported
    [first] = inbox.messages
    assert "tiktok" in _text(first)

    mark(Platform.X, ConnectionStatus.NEEDS_RECONNECT)
    cursor = evaluate(cursor)
    second = _text(inbox.messages[1])
    assert ", x" in second and "tiktok" not in second

    mark(Platform.TIKTOK, ConnectionStatus.CONNECTED)  # reconnected, then broken again: reported again
    cursor = evaluate(cursor)
    mark(Platform.TIKTOK, ConnectionStatus.NEEDS_RECONNECT)
    evaluate(cursor)
    assert len(inbox.messages) == 3 and "tiktok" in _text(inbox.messages[2])


def test_a_nightly_pull_that_read_nothing_while_posts_were_live_is_emailed(
    sandbox: SandboxHandle, database_url: str, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    with session_scope() as session:
        artist_id = create_artist(session, name="Nova", timezone="Europe/Berlin").id
    metrics = MetricsStudio(sandbox=sandbox, database_url=database_url, artist_id=artist_id)
    metrics.connect(Platform.THREADS)
    metrics.publish(Platform.THREADS, published_at=datetime(2026, 11, 26, 12, tzinfo=UTC))
    sandbox.set_fault("threads", "status_5xx", value="503", scope="metrics")
    instance = dg.DagsterInstance.ephemeral()
    defs = dg.Definitions(
        assets=[social_post_metrics, account_metrics_snapshot, account_post_metrics],
        asset_checks=ASSET_CHECKS,
        jobs=[metrics_nightly_job],
        resources=code_location_resources(DatabaseResource(url=database_url)),
    )
    run = defs.resolve_job_def("metrics_nightly_job").execute_in_process(
        partition_key="2026-11-27", instance=instance, raise_on_error=False
    )
    assert not run.success

    _sensor(_mail(port), "email_on_failed_run")(_failed_run_context(instance, run.run_id))

    [message] = inbox.messages
    body = _text(message)
    assert "metrics_nightly_job failed for 2026-11-27" in message["Subject"]
    assert (
        "nightly_pull_read_posts (ERROR): the pull of 2026-11-27 read nothing while 1 platform post(s) were live"
        in body
    )
    assert f"{UI_URL}/runs/{run.run_id}" in body
