"""Release roll-ups in Dagster: the `release_rollup` multi-asset, partitioned by release id, writing two tables
(assets `release_rollup`, the release_campaign_rollup table, and `release_post_contribution`), its job and the
sensor that adds a partition for every new release and asks for roll-ups when their inputs change, and a weekly
full recompute. Thin wiring over azmth_pipelines.releases.

definitions.py and sensors.py wire these objects in: assets `release_rollup` and `release_post_contribution`
(one multi-asset), job `release_rollup_job`, sensor `release_rollup_sensor`, schedule
`release_rollup_weekly_full_schedule`.
"""

import warnings
from typing import Any

import dagster as dg
from pydantic import Field

from azmth_pipelines.assets.app_tables import content_post, presave_event, release, release_stream_daily, table_schema
from azmth_pipelines.assets.metrics import social_post_metrics
from azmth_pipelines.owners import OWNER_TAGS, OWNERS
from azmth_pipelines.releases.changes import RollupCursor, release_ids, releases_to_refresh
from azmth_pipelines.resources.database import DatabaseResource

release_partitions = dg.DynamicPartitionsDefinition(name="release")

# More stale releases than this in one tick go into a single run over a range of partitions (the asset
# computes a batch with one query per input); fewer get one run each, which reads better in the UI.
SINGLE_RUN_ABOVE = 10

_COUNT = "NULL where no tagged post's platform has the number (docs/releases.md)."
CAMPAIGN_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("release_id", "integer", description="release.id (the partition key)."),
        dg.TableColumn("day", "date", description="UTC day of the daily series; NULL on the totals rows."),
        dg.TableColumn("platform", "varchar", description="tiktok, instagram, threads, x or all."),
        dg.TableColumn("post_platforms", "integer", description="(post, platform) pairs with numbers."),
        *(dg.TableColumn(c, "bigint", description=_COUNT) for c in ("views", "likes", "comments", "shares", "saves")),
        dg.TableColumn("engagements", "bigint", description="likes + comments + shares + saves."),
        dg.TableColumn("presaves", "bigint", description="Pre-save events."),
        dg.TableColumn("clicks", "bigint", description="Pre-save link clicks."),
        dg.TableColumn("streams", "bigint", description="Distributor streams of the ISRC (platform all only)."),
        dg.TableColumn("computed_at", "timestamptz", description="When this roll-up was computed (UTC)."),
    ]
)


# What the roll-up reads: each tagged post's latest snapshot, the posts and releases that tag them, pre-saves
# and the distributor's streams. A release's roll-up reads every day of social_post_metrics, whatever its date.
_ROLLUP_INPUTS: list[dg.AssetDep | dg.AssetSpec] = [
    dg.AssetDep(social_post_metrics, partition_mapping=dg.AllPartitionMapping()),
    content_post,
    release,
    presave_event,
    release_stream_daily,
]


def _written_table(key: str, table_name: str, schema: dg.TableSchema, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        description=description,
        deps=_ROLLUP_INPUTS,
        group_name="releases",
        kinds={"sql", "pandas"},
        owners=OWNERS,
        metadata={"dagster/table_name": table_name, "dagster/column_schema": schema},
    )


CAMPAIGN = _written_table(
    "release_rollup",
    "release_campaign_rollup",
    CAMPAIGN_SCHEMA,
    "A release campaign's numbers (table release_campaign_rollup): per platform and overall totals from each "
    "tagged post's latest snapshot, and a daily series of engagement gains, pre-saves and streams side by side. "
    "Each run replaces its releases' rows in one transaction (docs/releases.md).",
)
CONTRIBUTION = _written_table(
    "release_post_contribution",
    "release_post_contribution",
    table_schema("release_post_contribution"),
    "What each tagged post brought to its release, per platform: its latest snapshot and the pre-saves its "
    "tracked link drove. Written with release_campaign_rollup, in the same transaction.",
)

_ASSET: dict[str, Any] = dict(
    specs=[CAMPAIGN, CONTRIBUTION],
    partitions_def=release_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)


class ReleaseRollupConfig(dg.Config):
    """Run config of release_rollup (Launchpad: `ops: release_rollup: config: full: true`)."""

    full: bool = Field(
        default=False,
        description="Recompute every day of the run's releases. Default: each release from the earliest day whose "
        "inputs changed since its last roll-up (docs/releases.md).",
    )


def _release_rollup(
    context: dg.AssetExecutionContext, database: DatabaseResource, config: ReleaseRollupConfig
) -> tuple[dg.MaterializeResult, dg.MaterializeResult]:
    """Roll up the run's releases into release_campaign_rollup and release_post_contribution, each from the
    earliest day whose inputs changed (every day with `full`); a backfill of many releases runs once and
    computes them together."""
    # Imported here: pandas costs ~0.5 s, and every process that loads the code location (each publish run's
    # worker and step server among them) would pay it for an asset only the roll-up runs need.
    from azmth_pipelines.releases.rollup import rollup_releases

    keys = context.partition_keys
    report = rollup_releases(database.sessions(), [int(key) for key in keys], full=config.full)
    counts = {
        "releases": dg.MetadataValue.int(report.releases),
        "recomputed_every_day": dg.MetadataValue.int(report.full),
        "recomputed_from_a_day": dg.MetadataValue.int(report.incremental),
        "unchanged": dg.MetadataValue.int(report.unchanged),
    }
    return (
        dg.MaterializeResult(
            asset_key=CAMPAIGN.key,
            metadata={"dagster/row_count": dg.MetadataValue.int(report.campaign_rows), **counts},
        ),
        dg.MaterializeResult(
            asset_key=CONTRIBUTION.key,
            metadata={"dagster/row_count": dg.MetadataValue.int(report.contribution_rows), **counts},
        ),
    )


with warnings.catch_warnings():
    # `backfill_policy` is beta in Dagster 1.13; one run rolling up many releases is what we want from it.
    warnings.simplefilter("ignore", dg.BetaWarning)
    release_rollup = dg.multi_asset(name="release_rollup", **_ASSET)(_release_rollup)

# A named job rather than the sensor's asset selection, so roll-up runs show a job name, not __ASSET_JOB.
release_rollup_job = dg.define_asset_job(
    "release_rollup_job",
    selection=[release_rollup],
    description="Roll up release campaigns: release_campaign_rollup and release_post_contribution per release.",
    tags={"azmth/job": "release_rollup", **OWNER_TAGS},
)


def _run_requests(stale_keys: list[str], ordered_keys: list[str], token: str) -> list[dg.RunRequest]:
    if len(stale_keys) <= SINGLE_RUN_ABOVE:
        return [dg.RunRequest(partition_key=key, run_key=f"release-{key}-{token}") for key in stale_keys]
    # Dynamic partitions keep the order they were added in; the range from the first to the last stale
    # release covers them all (recomputing the fresh ones in between is cheap in a batch).
    position = {key: i for i, key in enumerate(ordered_keys)}
    start, end = min(stale_keys, key=position.__getitem__), max(stale_keys, key=position.__getitem__)
    return [
        dg.RunRequest(
            run_key=f"releases-{start}-{end}-{token}",
            tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
        )
    ]


@dg.sensor(
    job=release_rollup_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 60 s: add a roll-up partition per new release, drop deleted ones, and roll up releases whose "
    "posts, metrics, pre-saves or streams changed.",
    tags=OWNER_TAGS,
)
def release_rollup_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    """Adds a release_rollup partition per new release (and drops deleted releases' partitions), and asks
    for roll-ups of releases whose posts got new metric snapshots, pre-saves or streams, or whose posts
    moved or were deleted."""
    with database.session() as session:
        wanted = [str(i) for i in release_ids(session)]
        stale, cursor = releases_to_refresh(session, RollupCursor.from_json(context.cursor))
    existing = context.instance.get_dynamic_partitions(release_partitions.name or "release")
    new = [key for key in wanted if key not in set(existing)]
    gone = sorted(set(existing) - set(wanted), key=int)
    ordered = [key for key in existing if key not in gone] + new
    position = {key: i for i, key in enumerate(ordered)}
    stale_keys = sorted({str(i) for i in stale} & set(wanted) | set(new), key=position.__getitem__)
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if new:
        requests.append(release_partitions.build_add_request(new))
    if gone:
        requests.append(release_partitions.build_delete_request(gone))
    return dg.SensorResult(
        run_requests=_run_requests(stale_keys, ordered, cursor.token) if stale_keys else [],
        dynamic_partitions_requests=requests,
        cursor=cursor.to_json(),
    )


FULL_ROLLUP_RUN_CONFIG = {"ops": {"release_rollup": {"config": {"full": True}}}}


@dg.schedule(
    cron_schedule="0 5 * * 0",
    job=release_rollup_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    tags=OWNER_TAGS,
    description="Sundays at 05:00 UTC: recompute every release's roll-up, every day of it, in one run. The sensor's "
    "roll-ups start from the earliest changed day their marks show; this catches what marks can't: a snapshot "
    "committed after a roll-up that had already seen higher ids (parallel nightly steps), deleted snapshot or "
    "stream rows.",
)
def release_rollup_weekly_full_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    keys = list(context.instance.get_dynamic_partitions(release_partitions.name or "release"))
    if not keys:
        return dg.SkipReason("no release has a roll-up partition yet")
    week = context.scheduled_execution_time.strftime("%G-W%V")
    # Dynamic partitions keep the order they were added in: the first to the last covers them all.
    return dg.RunRequest(
        run_key=f"releases-full-{week}",
        run_config=FULL_ROLLUP_RUN_CONFIG,
        tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
    )
