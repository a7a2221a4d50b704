"""Engagement metrics in Dagster: the nightly post and account snapshots, their checks, the 03:00 schedule,
the follow-up sensor and job, and the 06:00 freshness check. Thin wiring over azmth_pipelines.metrics.

definitions.py, schedules.py and sensors.py wire these objects in:
assets `social_post_metrics`, `account_metrics_snapshot`, `account_post_metrics`; jobs `metrics_nightly_job`,
`metrics_followup_job`, `metrics_freshness_job`; schedules `metrics_nightly_schedule` (03:00 UTC),
`metrics_freshness_schedule` (06:00 UTC); sensor `metrics_followup_sensor`; asset check
`yesterday_partition_present`.
"""

from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.assets.app_tables import content_post, social_connection, table_schema
from azmth_pipelines.db.models import AccountMetricsSnapshot, AccountPostMetrics, SocialPostMetrics
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.executors import METRICS_QUEUE, QUEUE_TAG, work_executor
from azmth_pipelines.metrics.account_posts import sync_account_posts
from azmth_pipelines.metrics.accounts import sync_account_snapshots
from azmth_pipelines.metrics.followups import (
    FollowUp,
    RequestedLog,
    due_followups,
    pending_refresh_requests,
    plan_batches,
    pull_followups,
    serve_refresh_requests,
)
from azmth_pipelines.metrics.report import PullReport
from azmth_pipelines.metrics.sync import PullSettings, sync_nightly
from azmth_pipelines.metrics.targets import PostRange, post_ranges
from azmth_pipelines.ops.publish import published_posts
from azmth_pipelines.owners import OWNER_TAGS, OWNERS
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.platforms import PlatformApisResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource
from azmth_pipelines.vocabulary import MetricSource

daily_utc = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")

# The nightly run starts at 03:00 UTC and takes minutes: 26 hours since the last materialization leaves a
# late night's run room before the asset reads as stale. Unlike yesterday_partition_present (yesterday's
# partition, checked at 06:00), this watches the latest materialization of any day.
NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26))

_COUNT_DOC = "NULL where the platform has no such number (docs/metrics.md)."
POST_METRICS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("id", "bigint", description="Row id."),
        dg.TableColumn("post_id", "integer", description="content_post.id."),
        dg.TableColumn("platform", "varchar", description="tiktok, instagram, threads or x."),
        dg.TableColumn("remote_post_id", "varchar", description="The platform's id of the published post."),
        dg.TableColumn("captured_at", "timestamptz", description="When the numbers were read (UTC)."),
        dg.TableColumn("source", "varchar", description="on_publish, day1, nightly or manual."),
        dg.TableColumn("partition_date", "date", description="The nightly partition; NULL for other sources."),
        dg.TableColumn("views", "bigint", description=_COUNT_DOC),
        dg.TableColumn("likes", "bigint", description=_COUNT_DOC),
        dg.TableColumn("comments", "bigint", description=_COUNT_DOC),
        dg.TableColumn("shares", "bigint", description=_COUNT_DOC),
        dg.TableColumn("saves", "bigint", description=_COUNT_DOC),
        dg.TableColumn("raw", "json", description="The platform's numbers as read."),
    ]
)
ACCOUNT_METRICS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("id", "integer", description="Row id."),
        dg.TableColumn("connection_id", "integer", description="social_connection.id."),
        dg.TableColumn("captured_at", "timestamptz", description="When the numbers were read (UTC)."),
        dg.TableColumn("partition_date", "date", description="The daily partition (UTC)."),
        dg.TableColumn("followers", "bigint", description="Followers of the account."),
        dg.TableColumn("following", "bigint", description="NULL on Threads."),
        dg.TableColumn("post_count", "bigint", description="Videos, media or tweets; NULL on Threads."),
        dg.TableColumn("total_likes", "bigint", description="TikTok only (likes_count)."),
        dg.TableColumn("raw", "json", description="The platform's numbers as read."),
    ]
)

_ON_METRICS_QUEUE = {QUEUE_TAG: METRICS_QUEUE}
# Tens of thousands of posts take minutes at the platforms' latencies: steps long enough to outweigh a Celery task's
# start, short enough that a night of a million posts spreads over every worker.
NIGHTLY_POSTS_PER_STEP = 20_000


def _partition_rows(
    session: Session,
    table: type[SocialPostMetrics] | type[AccountMetricsSnapshot] | type[AccountPostMetrics],
    partition_date: date,
) -> int:
    query = select(func.count()).where(table.partition_date == partition_date)
    if table is SocialPostMetrics:
        query = query.where(SocialPostMetrics.source == MetricSource.NIGHTLY)
    return session.scalar(query) or 0


def _settings(platform_apis: PlatformApisResource) -> PullSettings:
    return PullSettings(client_factory=platform_apis.client)


def _report_metadata(report: PullReport, partition_rows: int | None = None) -> dict[str, dg.MetadataValue]:
    # dagster/row_count is what the UI shows as the table's "Row count": the rows the partition holds, given only
    # for a materialization of a partition. What this run wrote is rows_written (a follow-up pull appends a few
    # rows to a table of many, and an observation saying "Row count 3" would misreport the table).
    row_count = {} if partition_rows is None else {"dagster/row_count": dg.MetadataValue.int(partition_rows)}
    return {
        **row_count,
        "rows_written": dg.MetadataValue.int(report.rows_written),
        "targets": dg.MetadataValue.int(report.targets),
        "api_calls": dg.MetadataValue.int(report.api_calls),
        "problems": dg.MetadataValue.int(report.problem_count),
        "report": dg.MetadataValue.json(report.as_dict()),
    }


class NightlySlices(dg.Config):
    # Posts one step pulls: the night's pull runs as that many steps side by side (Celery workers, with
    # AZMTH_EXECUTOR=celery); in process they run one after the other.
    posts_per_step: int = NIGHTLY_POSTS_PER_STEP


@dg.op(
    out=dg.DynamicOut(PostRange),
    tags=_ON_METRICS_QUEUE,
    ins={"posts": dg.In(dg.Nothing), "accounts": dg.In(dg.Nothing)},
)
def plan_nightly_pull(config: NightlySlices, database: DatabaseResource) -> Iterator[dg.DynamicOutput[PostRange]]:
    """The night's posts in ranges of post ids, one step each; together they cover every post id."""
    with database.session() as session:
        ranges = post_ranges(session, config.posts_per_step)
    for posts in ranges:
        yield dg.DynamicOutput(posts, mapping_key=f"posts_from_{posts.start}")


@dg.op(tags=_ON_METRICS_QUEUE)
def pull_nightly_posts(
    context: dg.OpExecutionContext,
    posts: PostRange,
    database: DatabaseResource,
    platform_apis: PlatformApisResource,
    token_cipher: TokenCipherResource,
) -> dg.Output[PullReport]:
    """Pull one range of posts and replace the partition's nightly rows of that range."""
    report = sync_nightly(
        date.fromisoformat(context.partition_key),
        sessions=database.sessions(),
        cipher=token_cipher.cipher(),
        settings=_settings(platform_apis),
        posts=posts,
    )
    if report.problem_count:
        context.log.warning(
            f"{report.problem_count} post(s) not read ({dict(report.problems)}); e.g.\n"
            + "\n".join(report.problem_lines[:10])
        )
    return dg.Output(report, metadata=_report_metadata(report))


@dg.op(tags=_ON_METRICS_QUEUE, out=dg.Out(dg.Nothing))
def record_nightly_pull(
    context: dg.OpExecutionContext, reports: list[PullReport], database: DatabaseResource
) -> Iterator[dg.Output[None]]:
    """The day's materialization: every range's numbers summed, and the rows the partition now holds."""
    with database.session() as session:
        partition_rows = _partition_rows(session, SocialPostMetrics, date.fromisoformat(context.partition_key))
    yield dg.Output(None, metadata=_report_metadata(PullReport.combined(reports), partition_rows))


@dg.graph_asset(
    name="social_post_metrics",
    partitions_def=daily_utc,
    group_name="metrics",
    kinds={"sql"},
    metadata={"dagster/column_schema": POST_METRICS_SCHEMA, "dagster/table_name": "social_post_metrics"},
    # What the pull really reads: the published posts' remote ids (every window's), and their accounts' tokens.
    ins={
        "posts": dg.AssetIn(published_posts.key, partition_mapping=dg.AllPartitionMapping(), dagster_type=dg.Nothing),
        "accounts": dg.AssetIn(social_connection.key, dagster_type=dg.Nothing),
    },
    owners=OWNERS,
)
def _social_post_metrics(posts: None, accounts: None) -> None:
    """One engagement snapshot per live published post and platform per UTC day (source nightly), next to
    the follow-up (on_publish, day1) and manual snapshots. Re-materializing a day replaces that day's
    nightly rows and nothing else. The pull runs as several steps, each a range of posts (config
    posts_per_step), so a big night spreads over the Celery workers."""
    return record_nightly_pull(plan_nightly_pull(posts=posts, accounts=accounts).map(pull_nightly_posts).collect())


# graph_asset takes no freshness policy of its own; the spec carries it as the other nightly asset's does.
social_post_metrics = _social_post_metrics.map_asset_specs(
    lambda spec: spec.replace_attributes(freshness_policy=NIGHTLY_FRESHNESS)
)


@dg.asset(
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    partitions_def=daily_utc,
    group_name="metrics",
    kinds={"sql"},
    metadata={"dagster/column_schema": ACCOUNT_METRICS_SCHEMA, "dagster/table_name": "account_metrics_snapshot"},
    deps=[social_connection],
    owners=OWNERS,
    freshness_policy=NIGHTLY_FRESHNESS,
)
def account_metrics_snapshot(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    platform_apis: PlatformApisResource,
    token_cipher: TokenCipherResource,
) -> dg.MaterializeResult:
    """Daily account numbers per connection: followers, following, post count and (TikTok) total likes.
    Re-materializing a day replaces that day."""
    partition_date = date.fromisoformat(context.partition_key)
    report = sync_account_snapshots(
        partition_date,
        sessions=database.sessions(),
        cipher=token_cipher.cipher(),
        settings=_settings(platform_apis),
    )
    if report.problem_count:
        context.log.warning("accounts not read:\n" + "\n".join(report.problem_lines[:10]))
    with database.session() as session:
        partition_rows = _partition_rows(session, AccountMetricsSnapshot, partition_date)
    return dg.MaterializeResult(metadata=_report_metadata(report, partition_rows))


@dg.asset(
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    partitions_def=daily_utc,
    group_name="metrics",
    kinds={"sql"},
    metadata={
        "dagster/column_schema": table_schema("account_post_metrics"),
        "dagster/table_name": "account_post_metrics",
    },
    # The accounts and their tokens; the posts AZMTH published, to tell its posts from the artist's own; the day's
    # social_post_metrics, whose counts of AZMTH's posts the listing takes instead of reading them again (so in
    # the nightly job this step runs after the pull).
    deps=[social_connection, content_post, social_post_metrics],
    owners=OWNERS,
    freshness_policy=NIGHTLY_FRESHNESS,
)
def account_post_metrics(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    platform_apis: PlatformApisResource,
    token_cipher: TokenCipherResource,
) -> dg.MaterializeResult:
    """Every post of every connected account that day, AZMTH's or not: TikTok's video list, the Instagram user's
    media (with each media's insights), Threads posts (with insights), X posts where the access level allows.
    Same counts and NULL rules as social_post_metrics; post_id names the AZMTH post. Re-materializing a day
    replaces that day (docs/analysts.md)."""
    partition_date = date.fromisoformat(context.partition_key)
    report = sync_account_posts(
        partition_date,
        sessions=database.sessions(),
        cipher=token_cipher.cipher(),
        settings=_settings(platform_apis),
    )
    if report.problem_count:
        context.log.warning(
            f"{report.problem_count} problem(s) ({dict(report.problems)}); e.g.\n"
            + "\n".join(report.problem_lines[:10])
        )
    with database.session() as session:
        partition_rows = _partition_rows(session, AccountPostMetrics, partition_date)
    return dg.MaterializeResult(metadata=_report_metadata(report, partition_rows))


metrics_nightly_job = dg.define_asset_job(
    "metrics_nightly_job",
    selection=[social_post_metrics, account_metrics_snapshot, account_post_metrics],
    # In this process by default; on the Celery workers' metrics queue with AZMTH_EXECUTOR=celery.
    executor_def=work_executor("metrics_executor", "in_process"),
    description="The nightly pull (yesterday, UTC): every live post's engagement, every account's numbers and "
    "every account's posts.",
    tags={"azmth/job": "metrics_nightly", **OWNER_TAGS},
)

# A daily partition's schedule requests the day that just ended: the run at 03:00 UTC is for yesterday.
metrics_nightly_schedule = dg.build_schedule_from_partitioned_job(
    metrics_nightly_job,
    hour_of_day=3,
    minute_of_hour=0,
    name="metrics_nightly_schedule",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Daily at 03:00 UTC: pull yesterday's (UTC) post engagement, account numbers and account posts.",
    # Metadata, not tags: a partitioned job's schedule only stamps its tags on runs (the job's own tags do that).
    metadata=OWNER_TAGS,
)


@dg.asset_check(
    asset=social_post_metrics,
    name="yesterday_partition_present",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="The nightly partition has been materialized: the run's own day in the nightly run, yesterday "
    "(UTC) when the 06:00 job evaluates it.",
)
def yesterday_partition_present(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    # A custom check rather than build_time_partition_freshness_checks (superseded in Dagster 1.13 by
    # FreshnessPolicy, which watches the latest materialization of any partition, not yesterday's).
    # The name stays (renaming a check drops its history); the day is the partition the run is for, so a backfill
    # of last week checks last week's days and not yesterday.
    day = context.run.tags.get("dagster/partition") or (utcnow().date() - timedelta(days=1)).isoformat()
    found = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=social_post_metrics.key, asset_partitions=[day]), limit=1
    )
    return dg.AssetCheckResult(
        passed=bool(found.records),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"partition": day},
        description=None if found.records else f"partition {day} has not been materialized",
    )


metrics_freshness_job = dg.define_asset_job(
    "metrics_freshness_job",
    selection=dg.AssetSelection.checks(yesterday_partition_present),
    executor_def=dg.in_process_executor,
    description="Check that yesterday's nightly social_post_metrics partition was materialized.",
    tags=OWNER_TAGS,
)
metrics_freshness_schedule = dg.ScheduleDefinition(
    name="metrics_freshness_schedule",
    job=metrics_freshness_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Daily at 06:00 UTC: fail yesterday_partition_present if the nightly pull missed yesterday.",
    tags=OWNER_TAGS,
)


# --- Follow-ups and refresh requests -------------------------------------------------------------


class MetricsFollowUpConfig(dg.Config):
    followups: list[str] = []  # "post_id:platform:stage", stage on_publish or day1
    refresh_request_ids: list[int] = []


@dg.op
def pull_followup_metrics(
    context: dg.OpExecutionContext,
    config: MetricsFollowUpConfig,
    database: DatabaseResource,
    platform_apis: PlatformApisResource,
    token_cipher: TokenCipherResource,
) -> dict:
    """Pull the batch's follow-ups and refresh requests; each stage is reported on social_post_metrics.

    Reported as AssetObservations, not materializations: these pulls append rows outside any daily
    partition (partition_date NULL), and a materialization would claim the asset (or a day) was rebuilt,
    moving its freshness and hiding a missed nightly run from the 06:00 check."""
    now = utcnow()
    settings = _settings(platform_apis)
    cipher = token_cipher.cipher()
    sessions = database.sessions()
    reports = {}
    if config.followups:
        items = [FollowUp.from_key(key) for key in config.followups]
        for stage, report in pull_followups(
            items, sessions=sessions, now=now, cipher=cipher, settings=settings
        ).items():
            reports[stage.value] = report
    if config.refresh_request_ids:
        reports["manual"] = serve_refresh_requests(
            config.refresh_request_ids, sessions=sessions, now=now, cipher=cipher, settings=settings
        )
    for source, report in reports.items():
        context.log_event(
            dg.AssetObservation(
                asset_key=social_post_metrics.key,
                metadata={"source": source, **_report_metadata(report)},
            )
        )
        if report.problem_count:
            context.log.warning(f"{source}: not read:\n" + "\n".join(report.problem_lines[:10]))
    return {source: report.as_dict() for source, report in reports.items()}


@dg.job(executor_def=dg.in_process_executor, tags={"azmth/job": "metrics_followup", **OWNER_TAGS})
def metrics_followup_job() -> None:
    """Follow-up pulls (+60 s, +24 h) and the web app's refresh requests, several posts per run."""
    pull_followup_metrics()


# The job by name, not the object: Definitions then binds the resources to the job once, instead of rebuilding this
# sensor around a resource-bound copy (Dagster 1.13's rebuild passes its beta `owners` on and warns on every load).
@dg.sensor(
    job_name=metrics_followup_job.name,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 s: request pulls for posts published 60 s / 24 h ago and for refresh requests.",
    tags=OWNER_TAGS,
)
def metrics_followup_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource):
    now = utcnow()
    log = RequestedLog.from_json(context.cursor)
    with database.session() as session:
        due = due_followups(session, now)
        pending = pending_refresh_requests(session)
    batches = plan_batches(due, pending, log, now)
    context.update_cursor(log.to_json())
    if not batches:
        return dg.SkipReason("no follow-up pulls or refresh requests are due")
    return [
        dg.RunRequest(
            run_key=batch.run_key,
            run_config=dg.RunConfig(
                ops={
                    "pull_followup_metrics": MetricsFollowUpConfig(
                        followups=list(batch.followups), refresh_request_ids=list(batch.refresh_request_ids)
                    )
                }
            ),
            tags={"azmth/followups": str(len(batch.followups)), "azmth/refreshes": str(len(batch.refresh_request_ids))},
        )
        for batch in batches
    ]
