"""The 15-minute publish job: plan a window, fan its work out in shards, publish each shard.

Thin wiring: what to publish and how lives in azmth_pipelines.publishing.
"""

import asyncio
import resource
from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from azmth_pipelines.db.types import utcnow
from azmth_pipelines.publishing.invalid_rows import record_invalid_rows
from azmth_pipelines.publishing.planner import WorkItem, shard_items, work_in_window
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

# Set by the schedule; a run without it (launched or re-executed from the UI) is an ops re-run.
TRIGGER_TAG = "azmth/trigger"
SCHEDULED = "schedule"
# Dagster's tags. Every re-execution carries its parent run's id, whether a person or the run-retry daemon (crashed
# run workers, deploy/dagster.yaml) launched it; only the daemon's carries a retry number: the daemon and the UI
# tell automatic retries apart by it (dagster/_daemon/auto_run_reexecution).
PARENT_RUN_TAG = "dagster/parent_run_id"
AUTOMATIC_RETRY_TAG = "dagster/retry_number"


class PublishConfig(dg.Config):
    shard_count: int = 1
    # The time the run acts at (ISO 8601); empty means now. `azmth publish tick --now` and tests set it.
    now: str = ""

    def clock(self) -> Callable[[], datetime]:
        if not self.now:
            return utcnow
        fixed = datetime.fromisoformat(self.now).astimezone(UTC)
        return lambda: fixed


def is_manual(context: dg.OpExecutionContext) -> bool:
    """Whether a person launched or re-executed the run: only then may it retry failed and unconfirmed platforms
    and skip retry timing. Dagster retrying a crashed run worker is no person and acts as the schedule would
    (an unconfirmed platform may be live: retrying it could post twice)."""
    tags = context.run_tags
    if AUTOMATIC_RETRY_TAG in tags:
        return False
    return tags.get(TRIGGER_TAG) != SCHEDULED or PARENT_RUN_TAG in tags


@dg.op(out=dg.DynamicOut(list[WorkItem]))
def plan_window(context: dg.OpExecutionContext, config: PublishConfig, database: DatabaseResource):
    """The window's due (post, platform) pairs, split into shards by artist."""
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


@dg.op
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
    metadata: dict[str, dg.MetadataValue] = {
        "summary": dg.MetadataValue.json(result),
        **{f"state/{state}": dg.MetadataValue.int(count) for state, count in sorted(summary.states.items())},
        # The step process's high-water mark: a shard's memory should not grow with the window's size.
        "peak_rss_mb": dg.MetadataValue.float(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)),
    }
    if summary.needs_ops:
        raise dg.Failure(
            description=f"{len(summary.needs_ops)} platform post(s) hit platform trouble or are unconfirmed "
            "(retries run on later ticks; re-executing this run retries now, unconfirmed ones too: check those on "
            "the platform first, they may be live):\n" + "\n".join(summary.needs_ops[:50]),
            metadata=metadata,
        )
    return dg.Output(result, metadata=metadata)


def _forkserver_config(config: dict) -> dict:
    return {**config, "start_method": {"forkserver": {"preload_modules": ["azmth_pipelines.definitions"]}}}


# Each step process forks from a server that imported the code location once, instead of starting a fresh
# interpreter that imports it again: the window's shards start calling platforms ~5 s sooner (bench/publish_tick.py).
# Run config may still set `max_concurrent` (the shards worked at once).
publish_executor = dg.multiprocess_executor.configured(
    _forkserver_config,
    name="forkserver_multiprocess",
    config_schema={"max_concurrent": dg.Field(int, is_required=False)},
)


@dg.job(partitions_def=publish_windows, executor_def=publish_executor, tags={"azmth/job": "publish"})
def publish_job():
    """Publish every post whose scheduled time falls in the 15-minute window (the partition)."""
    plan_window().map(publish_shard)
