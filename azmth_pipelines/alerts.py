"""Alerts that reach ops outside the UI, by email: a failed publish window or nightly metrics run (a blocking
asset check that fails, such as a nightly pull that read nothing while posts were live, fails its run too), and
connections that need the artist to reconnect.

Off unless AZMTH_ALERT_TO is set: `alert_sensors()` then returns the sensors and sensors.py adds them to the code
location. The mail goes through smtplib rather than dagster.make_email_on_run_failure_sensor, which only speaks
SSL or STARTTLS with a login and cannot reach a plain relay on the host (the usual setup, and the tests' server).
"""

import json
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import dagster as dg

from azmth_pipelines.connections.listing import connection_views
from azmth_pipelines.per_platform import PlatformState
from azmth_pipelines.publishing.run_numbers import metric_name
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import ConnectionStatus, Platform

PARTITION_TAG = "dagster/partition"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
SMTP_TLS_MODES = ("none", "starttls", "ssl")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
# The lines of a failed publish step name each platform post as "post 12 x: ..." (publishing/runner.py RunSummary).
# The states a failed window leaves a platform in that ops should hear about.
_NEEDS_OPS = (PlatformState.FAILED, PlatformState.RETRYING, PlatformState.UNCONFIRMED)


@dataclass(frozen=True)
class AlertMail:
    """Where alerts go and how they are sent, from the AZMTH_ALERT_* variables."""

    recipients: tuple[str, ...]
    sender: str
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_tls: str = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    ui_url: str = DEFAULT_UI_URL

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> "AlertMail | None":
        """None when AZMTH_ALERT_TO is unset or empty: alerts are off."""
        env = os.environ if env is None else env
        recipients = tuple(r.strip() for r in env.get("AZMTH_ALERT_TO", "").split(",") if r.strip())
        if not recipients:
            return None
        tls = env.get("AZMTH_ALERT_SMTP_TLS", "none").strip().lower() or "none"
        if tls not in SMTP_TLS_MODES:
            raise ValueError(f"AZMTH_ALERT_SMTP_TLS: {tls!r} is not one of {', '.join(SMTP_TLS_MODES)}")
        port = env.get("AZMTH_ALERT_SMTP_PORT", "").strip()
        return cls(
            recipients=recipients,
            sender=env.get("AZMTH_ALERT_FROM", "").strip() or "azmth-pipelines@localhost",
            smtp_host=env.get("AZMTH_ALERT_SMTP_HOST", "").strip() or "localhost",
            smtp_port=int(port) if port else _DEFAULT_PORTS[tls],
            smtp_tls=tls,
            smtp_user=env.get("AZMTH_ALERT_SMTP_USER") or None,
            smtp_password=env.get("AZMTH_ALERT_SMTP_PASSWORD") or None,
            ui_url=(env.get("AZMTH_DAGSTER_UI_URL", "").strip() or DEFAULT_UI_URL).rstrip("/"),
        )

    def run_link(self, run_id: str) -> str:
        return f"{self.ui_url}/runs/{run_id}"

    def send(self, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = subject
        message.set_content(body)
        server: smtplib.SMTP
        if self.smtp_tls == "ssl":
            server = smtplib.SMTP_SSL(self.smtp_host, self.smtp_port, context=ssl.create_default_context(), timeout=30)
        else:
            server = smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=30)
        with server:
            if self.smtp_tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if self.smtp_user:
                server.login(self.smtp_user, self.smtp_password or "")
            server.send_message(message)


def failed_platform_posts(context: dg.RunFailureSensorContext) -> list[str]:
    """The "post 12 x: ..." lines of the run's failed publish steps (their `summary` metadata)."""
    lines: list[str] = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        failure = data.user_failure_data if data is not None else None
        summary = failure.metadata.get("summary") if failure is not None else None
        if isinstance(summary, dg.JsonMetadataValue) and isinstance(summary.value, dict):
            lines.extend(str(line) for line in summary.value.get("needs_ops", []))
    return lines


def failed_checks(context: dg.RunFailureSensorContext) -> list[str]:
    """The run's failed asset checks in their own words: a blocking one is what failed a nightly metrics run."""
    records = context.instance.get_records_for_run(
        context.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    lines = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event is not None else None
        if evaluation is not None and not evaluation.passed:
            what = evaluation.description or "failed"
            lines.append(
                f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} ({evaluation.severity.value}): {what}"
            )
    return lines


def failed_platforms(context: dg.RunFailureSensorContext) -> list[str]:
    """The platforms with a post left failed, retrying or unconfirmed, from the failed publish steps' counts
    (`<platform>_<state>` metadata, publishing/run_numbers.py)."""
    found = set()
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        metadata = data.user_failure_data.metadata if data is not None and data.user_failure_data else {}
        for platform in Platform:
            for state in _NEEDS_OPS:
                count = metadata.get(metric_name(platform, state))
                if isinstance(count, dg.IntMetadataValue) and (count.value or 0) > 0:
                    found.add(platform.value)
    return sorted(found)


def _failure_text(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    if data is not None and data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    if data is not None and data.error is not None:
        return data.error.message
    return event.message or ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def failure_message(mail: AlertMail, context: dg.RunFailureSensorContext) -> tuple[str, str]:
    """The subject and body of the mail for a failed run: its window, the platforms that failed, a link to it."""
    run = context.dagster_run
    window = run.tags.get(PARTITION_TAG, "(no partition)")
    posts = failed_platform_posts(context)
    platforms = failed_platforms(context)
    subject = f"[azmth] {run.job_name} failed for {window}" + (f": {', '.join(platforms)}" if platforms else "")
    body = [
        f"{run.job_name} failed for window {window}.",
        f"Failed platforms: {', '.join(platforms) if platforms else 'none named (see the run)'}",
        f"Run: {mail.run_link(run.run_id)}",
        "",
    ]
    if posts:
        body += ["Platform posts that need ops:", *(f"  {line}" for line in posts[:50]), ""]
    steps = [f"  {event.step_key}: {_first_line(_failure_text(event))}" for event in context.get_step_failure_events()]
    body += ["What failed:", *(steps or [f"  {context.failure_event.message}"])]
    checks = failed_checks(context)
    if checks:
        body += ["", "Asset checks that failed:", *(f"  {line}" for line in checks)]
    body.append("Re-execute the run from the Dagster UI to retry its failed platforms now.")
    return subject, "\n".join(body)


def needs_reconnect_message(mail: AlertMail, connections: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    subject = f"[azmth] {len(connections)} connection(s) need the artist to reconnect"
    body = [
        "These connections can no longer publish or pull metrics until the artist connects again "
        "(azmth connect PLATFORM --artist ID):",
        *(
            f"  connection {c['id']}: artist {c['artist_id']}, {c['platform']}"
            + (f" @{c['username']}" if c["username"] else "")
            + (f": {c['status_reason']}" if c["status_reason"] else "")
            for c in connections
        ),
        "",
        f"Dagster: {mail.ui_url}",
    ]
    return subject, "\n".join(body)


def alert_sensors(mail: AlertMail | None = None) -> list[dg.SensorDefinition]:
    """The alert sensors, running by default; none when alerts are off (AZMTH_ALERT_TO unset)."""
    mail = mail if mail is not None else AlertMail.from_environment()
    if mail is None:
        return []
    from azmth_pipelines.assets.metrics import metrics_nightly_job
    from azmth_pipelines.ops.publish import publish_job

    @dg.run_failure_sensor(
        name="email_on_failed_run",
        monitored_jobs=[publish_job, metrics_nightly_job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Emails AZMTH_ALERT_TO when a publish window or a nightly metrics run fails.",
    )
    def email_on_failed_run(context: dg.RunFailureSensorContext) -> None:
        subject, body = failure_message(mail, context)
        mail.send(subject, body)

    @dg.sensor(
        name="email_on_needs_reconnect",
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Emails AZMTH_ALERT_TO once per connection that comes to need a reconnect.",
    )
    def email_on_needs_reconnect(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SkipReason:
        with database.session() as session:
            broken = [c for c in connection_views(session) if c["status"] == ConnectionStatus.NEEDS_RECONNECT.value]
        # The cursor holds the connections already reported; one that was reconnected drops out of it, so breaking
        # again is reported again.
        reported = set(json.loads(context.cursor)) if context.cursor else set()
        new = [c for c in broken if c["id"] not in reported]
        if new:
            mail.send(*needs_reconnect_message(mail, new))
        context.update_cursor(json.dumps(sorted(c["id"] for c in broken)))
        return dg.SkipReason(f"emailed about {len(new)} connection(s)" if new else "no new connection to report")

    return [email_on_failed_run, email_on_needs_reconnect]
