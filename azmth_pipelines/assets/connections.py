"""The hourly token refresh: a job with one op, and its schedule. Thin wiring over azmth_pipelines.connections.

definitions.py and schedules.py wire in `refresh_connections_job` and `refresh_connections_schedule`; the op takes
the `database`, `app_credentials` (our app on each platform, bound to the AZMTH_*_CLIENT_* / *_APP_* variables)
and `token_cipher` resources.
"""

import asyncio
from collections import Counter
from datetime import UTC, datetime

import dagster as dg

from azmth_pipelines.connections.refresh import RefreshOutcome, refresh_due_connections
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.owners import OWNER_TAGS
from azmth_pipelines.resources.apps import AppCredentialsResource
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource


class RefreshConfig(dg.Config):
    # The time the run acts at (ISO 8601); empty means now. Tests set it to move "ahead of expiry".
    now: str = ""


@dg.op(description="Refresh every connection whose token expires within its platform's lead time.")
def refresh_expiring_tokens(
    context: dg.OpExecutionContext,
    config: RefreshConfig,
    database: DatabaseResource,
    app_credentials: AppCredentialsResource,
    token_cipher: TokenCipherResource,
) -> dict[str, int]:
    now = datetime.fromisoformat(config.now).astimezone(UTC) if config.now else utcnow()
    results = asyncio.run(
        refresh_due_connections(
            now=now,
            database_url=database.resolved_url,
            cipher=token_cipher.cipher(),
            apps=app_credentials.credentials(),
        )
    )
    for result in results:
        line = (
            f"connection {result.connection_id} ({result.platform.value}, artist {result.artist_id}): "
            f"{result.outcome.value}" + (f": {result.detail}" if result.detail else "")
        )
        if result.outcome in (RefreshOutcome.NEEDS_RECONNECT, RefreshOutcome.RETRY_LATER):
            context.log.warning(line)
        else:
            context.log.info(line)
    counts = Counter(result.outcome.value for result in results)
    context.add_output_metadata({outcome.value: counts.get(outcome.value, 0) for outcome in RefreshOutcome})
    return dict(counts)


@dg.job(
    executor_def=dg.in_process_executor,
    description="Refresh platform tokens ahead of expiry; mark connections that only the artist can fix.",
    tags=OWNER_TAGS,
)
def refresh_connections_job() -> None:
    refresh_expiring_tokens()


refresh_connections_schedule = dg.ScheduleDefinition(
    name="refresh_connections_schedule",
    job=refresh_connections_job,
    # Hourly, off the quarter-hours the publish tick uses. Each provider's refresh_lead is sized
    # for this interval: a 2-hour token is always caught with more than an hour left.
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly: refresh platform tokens that expire soon.",
    tags=OWNER_TAGS,
)
