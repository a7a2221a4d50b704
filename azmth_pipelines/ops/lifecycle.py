"""The daily purge of posts deleted over 30 days ago."""

import dagster as dg

from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.lifecycle import purge_expired
from azmth_pipelines.owners import OWNER_TAGS
from azmth_pipelines.resources.database import DatabaseResource


@dg.op
def purge_deleted_posts(context: dg.OpExecutionContext, database: DatabaseResource) -> dg.Output[list[int]]:
    """Delete for good, one transaction per post, every post soft-deleted over 30 days ago."""
    report = purge_expired(database.sessions(), now=utcnow())
    context.log.info(f"purged {len(report.purged)} post(s); releases to roll up again: {sorted(report.release_ids)}")
    return dg.Output(
        report.purged,
        metadata={"purged": len(report.purged), "releases_touched": dg.MetadataValue.json(sorted(report.release_ids))},
    )


@dg.job(tags={"azmth/job": "lifecycle", **OWNER_TAGS})
def purge_job():
    """Purge posts whose 30-day restore window has passed."""
    purge_deleted_posts()


purge_schedule = dg.ScheduleDefinition(
    name="purge_schedule",
    job=purge_job,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Daily at 04:30 UTC: purge posts deleted over 30 days ago.",
    tags=OWNER_TAGS,
)
