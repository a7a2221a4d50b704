"""The 15-minute publish job: plan a window, fan its work out in shards, publish each shard.

Thin wiring: what to publish and how lives in azmth_pipelines.publishing.
"""

import asyncio
import resource
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import dagster as dg

from azmth_pipelines.assets.app_tables import content_post, social_connection, table_schema
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.executors import PUBLISH_QUEUE, QUEUE_TAG, work_executor
from azmth_pipelines.owners import OWNER_TAGS, OWNERS
from azmth_pipelines.publishing.invalid_rows import record_invalid_rows
from azmth_pipelines.publishing.planner import WorkItem, shard_items, work_in_window
from azmth_pipelines.publishing.run_numbers import PLATFORM_COUNT_NAMES, platform_counts, state_totals
from azmth_pipelines.publishing.service import publish_items
from azmth_pipelines.publishing.windows import FIRST_WINDOW, PARTITION_KEY_FORMAT, window_from_key
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.media import MediaStoreResource
from azmth_pipelines.resources.platforms import PlatformApisResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource

publish_windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule="*/15 * * * *",
    start=FIRST_WINDOW,
    fmt=PARTITION_KEY_FORMAT,
    timezone="UTC",
)

# Publishing in the asset graph, between the app's tables and the metrics that read what was published. The job
# stays an op job (plan, shards, record) so its claims, leases and re-run rules stay as they are; it reports a
# materialization of the window's partition once every shard ended without needing ops.
published_posts = dg.AssetSpec(
    key="published_posts",
    description="The platform posts of each 15-minute publish window (content_post.per_platform), written by "
    "publish_job: a window's partition is materialized when all its shards ended without platform trouble, with "
    "its platform posts by platform and state. A failed window stays unmaterialized until a re-execution of it "
    "completes.",
    deps=[content_post, social_connection],
    partitions_def=publish_windows,
    group_name="publishing",
    owners=OWNERS,
    kinds={"sql"},
    # The table the publish job owns: one row per attempt (the ledger); the states it settles go to per_platform.
    metadata={"dagster/table_name": "publish_attempt", "dagster/column_schema": table_schema("publish_attempt")},
)

# Set by the schedule; a run without it (launched or re-executed from the UI) is an ops re-run.
TRIGGER_TAG = "azmth/trigger"
SCHEDULED = "schedule"
# Dagster's tags. Every re-execution carries its parent run's id, whether a person or the run-retry daemon (crashed
# run workers, deploy/dagster.yaml) launched it; only the daemon's carries a retry number: the daemon and the UI
# tell automatic retries apart by it (dagster/_daemon/auto_run_reexecution).
PARENT_RUN_TAG = "dagster/parent_run_id"
AUTOMATIC_RETRY_TAG = "dagster/retry_number"
# The partitions view of publish_job (dagster_graphql fetch_partition_sets) counts only runs tagged with both the
# partition and the job's partition set, from this code location's repository; Dagster adds the partition set to runs
# it plans itself (schedule, launchpad, execute_in_process) but not to a GraphQL launch that names only the partition.
PARTITION_TAG = "dagster/partition"
PARTITION_SET_TAG = "dagster/partition_set"
PUBLISH_PARTITION_SET = "publish_job_partition_set"
# Dagster stamps it on runs launched through the code location (schedule, UI, GraphQL); an in-process run has no such
# origin and needs it given. The location name is the one in workspace.yaml.
REPOSITORY_LABEL_TAG = ".dagster/repository"
REPOSITORY_LABEL = "__repository__@azmth_pipelines"
RUN_TOTAL_TAG_PREFIX = "azmth/"


class PublishConfig(dg.Config):
    shard_count: int = 1
    # The time the run acts at (ISO 8601); empty means now. `azmth publish tick --now` and tests set it.
    now: str = ""

    def clock(self) -> Callable[[], datetime]:
        if not self.now:
            return utcnow
        fixed = datetime.fromisoformat(self.now).astimezone(UTC)
        return lambda: fixed


def window_run_tags(key: str, *, scheduled: bool, in_process: bool = False) -> dict[str, str]:
    """The tags of a publish run of window `key`, so the partitions view counts it whoever launched it: the schedule
    (`scheduled`), or `azmth publish tick` and the demo, which run it in this process (`in_process`)."""
    tags = {PARTITION_TAG: key, PARTITION_SET_TAG: PUBLISH_PARTITION_SET}
    if scheduled:
        tags[TRIGGER_TAG] = SCHEDULED
    if in_process:
        tags[REPOSITORY_LABEL_TAG] = REPOSITORY_LABEL
    return tags


def is_manual(context: dg.OpExecutionContext) -> bool:
    """Whether a person launched or re-executed the run: only then may it retry failed and unconfirmed platforms
    and skip retry timing. Dagster retrying a crashed run worker is no person and acts as the schedule would
    (an unconfirmed platform may be live: retrying it could post twice)."""
    tags = context.run_tags
    if AUTOMATIC_RETRY_TAG in tags:
        return False
    return tags.get(TRIGGER_TAG) != SCHEDULED or PARENT_RUN_TAG in tags


@dg.op(out=dg.DynamicOut(list[WorkItem]), tags={QUEUE_TAG: PUBLISH_QUEUE})
def plan_window(context: dg.OpExecutionContext, config: PublishConfig, database: DatabaseResource):
    """The window's due (post, platform) pairs, split into shards by artist."""
    if context.run_tags.get(PARTITION_SET_TAG) != PUBLISH_PARTITION_SET:
        # A launch that named only the partition (a GraphQL client): counted in the partitions view from now on.
        context.instance.add_run_tags(context.run_id, {PARTITION_SET_TAG: PUBLISH_PARTITION_SET})
    window = window_from_key(context.partition_key)
    now = config.clock()()
    with database.session() as session:
        work = work_in_window(session, window, now=now, manual=is_manual(context))
        record_invalid_rows(session, work.invalid_rows, now=now)
    for row in work.invalid_rows:
        context.log.warning(row.message)
    context.log.info(f"window {context.partition_key}: {len(work.items)} platform posts to work")
    for index, shard in enumerate(shard_items(work.items, config.shard_count)):
        yield dg.DynamicOutput(shard, mapping_key=f"shard_{index}")


@dg.op(tags={QUEUE_TAG: PUBLISH_QUEUE})
def publish_shard(
    context: dg.OpExecutionContext,
    items: list[WorkItem],
    config: PublishConfig,
    database: DatabaseResource,
    platform_apis: PlatformApisResource,
    media_store: MediaStoreResource,
    token_cipher: TokenCipherResource,
) -> dg.Output[dict]:
    """Publish one shard's items concurrently; fails the step when a platform failed, after recording it."""
    summary = asyncio.run(
        publish_items(
            items,
            sessions=database.sessions(),
            clients=platform_apis.clients(),
            store=media_store.store(),
            cipher=token_cipher.cipher(),
            run_id=context.run_id,
            manual=is_manual(context),
            clock=config.clock(),
        )
    )
    result = summary.as_dict()
    with database.session() as session:
        counts = platform_counts(session, items)
    metadata: dict[str, dg.MetadataValue] = {
        "summary": dg.MetadataValue.json(result),
        **{name: dg.MetadataValue.int(count) for name, count in counts.items()},
        # The step process's high-water mark: a shard's memory should not grow with the window's size.
        "peak_rss_mb": dg.MetadataValue.float(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)),
    }
    if summary.needs_ops:
        raise dg.Failure(
            description=f"{len(summary.needs_ops)} platform post(s) need ops (platform trouble or unconfirmed "
            f"publications); this shard's platform posts now stand {_by_state(summary.states)}. Retrying ones get "
            "their next attempt on a later tick; re-executing this run retries now, unconfirmed ones too: check those "
            "on the platform first, they may be live.\n" + "\n".join(summary.needs_ops[:50]),
            metadata=metadata,
        )
    return dg.Output({**result, "counts": counts}, metadata=metadata)


@dg.op(tags={QUEUE_TAG: PUBLISH_QUEUE})
def record_window(context: dg.OpExecutionContext, shards: list[dict]) -> None:
    """The window's `published_posts` partition, materialized with its platform posts by platform and state (the
    shards' numbers summed); runs only once every shard succeeded, in this run or the one it re-executes."""
    counts: Counter[str] = Counter()
    for shard in shards:
        # A re-execution may read shard outputs its parent wrote before shards carried their counts.
        counts.update(shard.get("counts", {}))
    numbers = {**counts, **{f"total_{state}": total for state, total in state_totals(counts).items()}}
    context.log_event(
        dg.AssetMaterialization(
            asset_key=published_posts.key,
            partition=context.partition_key,
            metadata={name: dg.MetadataValue.int(value) for name, value in sorted(numbers.items())},
        )
    )


def run_total_tags(events: Iterable[dg.DagsterEvent]) -> dict[str, str]:
    """The run's totals by state (`azmth/published` = "12"), summed over its shards' `<platform>_<state>` numbers
    (on a shard's output, or on its failure): run tags, searchable in the runs list. Summed once every shard has
    ended, where the whole run is seen: the tick for in-process runs, sensors.py for launched ones (shards may run on
    different machines)."""
    counts: Counter[str] = Counter()
    for event in events:
        if event.is_successful_output:
            metadata = event.step_output_data.metadata
        elif event.is_step_failure and event.step_failure_data.user_failure_data is not None:
            metadata = event.step_failure_data.user_failure_data.metadata
        else:
            continue
        counts.update(
            {
                name: value.value or 0
                for name, value in metadata.items()
                if name in PLATFORM_COUNT_NAMES and isinstance(value, dg.IntMetadataValue)
            }
        )
    if not counts:
        return {}
    return {f"{RUN_TOTAL_TAG_PREFIX}{state}": str(count) for state, count in state_totals(counts).items()}


def _by_state(states: dict[str, int]) -> str:
    return ", ".join(f"{count} {state}" for state, count in sorted(states.items()) if count)


# This machine's processes by default (a window's shards side by side), Celery workers with AZMTH_EXECUTOR=celery.
publish_executor = work_executor("publish_executor", "multiprocess")


@dg.job(partitions_def=publish_windows, executor_def=publish_executor, tags={"azmth/job": "publish", **OWNER_TAGS})
def publish_job():
    """Publish every post whose scheduled time falls in the 15-minute window (the partition)."""
    record_window(plan_window().map(publish_shard).collect())
