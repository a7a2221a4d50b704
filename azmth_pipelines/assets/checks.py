"""Asset checks on what the metrics and roll-up tables hold: each runs in the runs that materialize its asset (the
nightly job, the roll-up sensor's runs) and on its own from the asset's Checks tab.

Checks are not partitioned (a partitioned check is a preview feature in Dagster 1.13): each reads the partition of
the run it is in, and checks yesterday (UTC), or every release, when launched on its own.

definitions.py wires in `ASSET_CHECKS`.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg
from sqlalchemy import Row, and_, func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.assets.metrics import account_metrics_snapshot, account_post_metrics, social_post_metrics
from azmth_pipelines.assets.releases import CAMPAIGN, CONTRIBUTION
from azmth_pipelines.db.models import (
    AccountMetricsSnapshot,
    ContentPost,
    ReleaseCampaignRollup,
    ReleasePostContribution,
    SocialConnection,
    SocialPostMetrics,
)
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.executors import METRICS_QUEUE, QUEUE_TAG
from azmth_pipelines.integrations.common.metrics import COUNT_NAMES
from azmth_pipelines.metrics.quality import (
    accounts_not_listed,
    duplicate_snapshots,
    negative_count_rows,
    shrinking_account_post_counts,
    shrinking_counts,
    unmatched_azmth_posts,
)
from azmth_pipelines.metrics.targets import iter_target_pages
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import MetricSource, Platform

PARTITION_TAG = "dagster/partition"
ACCOUNT_COUNTS = ("followers", "following", "post_count", "total_likes")


def checked_day(context: dg.AssetCheckExecutionContext) -> date:
    """The daily partition the run is for; yesterday (UTC) for a check launched on its own."""
    key = context.run.tags.get(PARTITION_TAG) or context.run.tags.get("dagster/asset_partition_range_end")
    return date.fromisoformat(key) if key else utcnow().date() - timedelta(days=1)


def checked_releases(context: dg.AssetCheckExecutionContext) -> list[int] | None:
    """The release the run rolled up; None (every release) for a range run or a check launched on its own."""
    key = context.run.tags.get(PARTITION_TAG)
    return [int(key)] if key else None


# --- social_post_metrics --------------------------------------------------------------------------------------


def live_posts_on(sessions: sessionmaker[Session], day: date) -> int:
    """(post, platform) pairs published (with a remote id) by the end of `day` and live now: what the nightly
    pull of `day` reads."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    return sum(
        1
        for page in iter_target_pages(sessions)
        for target in page
        if target.published_at is None or _utc(target.published_at) < end
    )


def _utc(moment: datetime) -> datetime:
    # SQLite hands stored UTC times back without an offset.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def nightly_rows(session: Session, day: date) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                SocialPostMetrics.source == MetricSource.NIGHTLY, SocialPostMetrics.partition_date == day
            )
        )
        or 0
    )


@dg.asset_check(
    asset=social_post_metrics,
    name="nightly_pull_read_posts",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    blocking=True,
    description="The night's pull wrote a snapshot when posts were live that day: a pull that read nothing (a "
    "platform down, every token refused) fails the nightly run, which emails ops when alerts are on.",
)
def nightly_pull_read_posts(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    day = checked_day(context)
    with database.session() as session:
        rows = nightly_rows(session, day)
    if rows:
        # Counting the live posts reads every published post: only worth it when the night wrote nothing.
        return dg.AssetCheckResult(passed=True, metadata={"partition": day.isoformat(), "nightly_rows": rows})
    live = live_posts_on(database.sessions(), day)
    passed = live == 0
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"partition": day.isoformat(), "nightly_rows": rows, "live_posts": live},
        description=None if passed else f"the pull of {day} read nothing while {live} platform post(s) were live",
    )


@dg.asset_check(
    asset=social_post_metrics,
    name="counts_not_negative",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="No count is below 0.",
)
def counts_not_negative(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    with database.session() as session:
        negatives = negative_count_rows(session, checked_day(context))
    return dg.AssetCheckResult(passed=negatives == 0, metadata={"negative_rows": negatives})


@dg.asset_check(
    asset=social_post_metrics,
    name="no_duplicate_snapshots",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="One row per (post, platform, captured_at, source), one nightly row per post and platform.",
)
def no_duplicate_snapshots(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    with database.session() as session:
        duplicates = duplicate_snapshots(session, checked_day(context))
    return dg.AssetCheckResult(passed=duplicates == 0, metadata={"duplicate_groups": duplicates})


@dg.asset_check(
    asset=social_post_metrics,
    name="counts_only_grow",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="Counts did not drop from the previous night by more than a little (WARN).",
)
def counts_only_grow(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    with database.session() as session:
        shrunk, samples = shrinking_counts(session, checked_day(context))
    return dg.AssetCheckResult(
        passed=shrunk == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"shrunk_counts": shrunk, "samples": dg.MetadataValue.json([s.__dict__ for s in samples])},
    )


# --- account_metrics_snapshot ---------------------------------------------------------------------------------


@dg.asset_check(
    asset=account_metrics_snapshot,
    name="account_counts_not_negative",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="No follower, following, post or like count is below 0.",
)
def account_counts_not_negative(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    day = checked_day(context)
    counts = [getattr(AccountMetricsSnapshot, name) for name in ACCOUNT_COUNTS]
    with database.session() as session:
        bad = session.scalars(
            select(AccountMetricsSnapshot.connection_id).where(
                AccountMetricsSnapshot.partition_date == day, or_(*(c < 0 for c in counts))
            )
        ).all()
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={"partition": day.isoformat(), "negative_rows": len(bad), "connections": sorted(set(bad))[:50]},
    )


@dg.asset_check(
    asset=account_metrics_snapshot,
    name="one_snapshot_per_connection_and_day",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="Each connection has at most one snapshot in a day's partition.",
)
def one_snapshot_per_connection_and_day(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    day = checked_day(context)
    with database.session() as session:
        doubled = session.scalars(
            select(AccountMetricsSnapshot.connection_id)
            .where(AccountMetricsSnapshot.partition_date == day)
            .group_by(AccountMetricsSnapshot.connection_id)
            .having(func.count() > 1)
        ).all()
    return dg.AssetCheckResult(
        passed=not doubled,
        metadata={"partition": day.isoformat(), "connections_with_several": sorted(doubled)[:50]},
    )


@dg.asset_check(
    asset=account_metrics_snapshot,
    name="x_access_tier_recorded",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    # The post pull records the tier from X's answers: in one run the check waits for it (on Celery workers it
    # could otherwise run while the pull's steps are still going).
    additional_deps=[social_post_metrics],
    description="Every X account read that day has its API access tier recorded on the connection (what the "
    "pulls' rate limits are sized by).",
)
def x_access_tier_recorded(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    day = checked_day(context)
    with database.session() as session:
        missing = session.scalars(
            select(SocialConnection.id)
            .join(AccountMetricsSnapshot, AccountMetricsSnapshot.connection_id == SocialConnection.id)
            .where(
                AccountMetricsSnapshot.partition_date == day,
                SocialConnection.platform == Platform.X,
                SocialConnection.x_access_tier.is_(None),
            )
            .distinct()
        ).all()
    return dg.AssetCheckResult(
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"partition": day.isoformat(), "x_connections_without_tier": sorted(missing)[:50]},
    )


# --- account_post_metrics ---------------------------------------------------------------------------------------
# Counts below 0 and two rows of one post in a day cannot be written: the table's CHECK and UNIQUE constraints refuse
# them. What can go wrong is what the listings leave out; the night's post pull, which reads AZMTH's posts by id, is
# the yardstick (each check waits for it in the nightly run).


@dg.asset_check(
    asset=account_post_metrics,
    name="every_account_with_live_posts_listed",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    additional_deps=[social_post_metrics],
    description="Every account whose AZMTH posts the night's pull read has its posts listed that day: an account "
    "with none lost its day's rows (the run's log says why).",
)
def every_account_with_live_posts_listed(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    day = checked_day(context)
    with database.session() as session:
        missing = accounts_not_listed(session, day)
    return dg.AssetCheckResult(
        passed=not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"partition": day.isoformat(), "connections_not_listed": missing[:50]},
        description=None if not missing else f"{len(missing)} account(s) with live posts have no rows on {day}",
    )


@dg.asset_check(
    asset=account_post_metrics,
    name="azmth_posts_matched",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    additional_deps=[social_post_metrics],
    description="On each listed account, every AZMTH post the night's pull read is a row carrying its post_id (WARN: "
    "Instagram stories and X posts beyond the latest 3,200 are not listed by the platforms).",
)
def azmth_posts_matched(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    day = checked_day(context)
    with database.session() as session:
        unmatched, samples = unmatched_azmth_posts(session, day)
    return dg.AssetCheckResult(
        passed=unmatched == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "partition": day.isoformat(),
            "unmatched_posts": unmatched,
            "samples": dg.MetadataValue.json(samples),
        },
    )


@dg.asset_check(
    asset=account_post_metrics,
    name="account_post_counts_only_grow",
    op_tags={QUEUE_TAG: METRICS_QUEUE},
    description="Account posts' counts did not drop from the day before by more than a little (WARN).",
)
def account_post_counts_only_grow(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    with database.session() as session:
        shrunk, samples = shrinking_account_post_counts(session, checked_day(context))
    return dg.AssetCheckResult(
        passed=shrunk == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"shrunk_counts": shrunk, "samples": dg.MetadataValue.json([s.__dict__ for s in samples])},
    )


# --- release_rollup ---------------------------------------------------------------------------------------------

Counts = tuple[int | None, ...]


def _sum(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def rollup_mismatches(session: Session, release_ids: list[int] | None) -> list[str]:
    """Campaign totals (day NULL) that differ from the same sums over the analyst view post_metrics_latest (each
    tagged live post's latest snapshot): per platform, and `all` over the platforms."""
    names = ", ".join(f"SUM({name}) AS {name}" for name in COUNT_NAMES)
    scope = "" if release_ids is None else f"AND release_id IN ({', '.join(str(int(r)) for r in release_ids)})"
    view_rows: list[Row] = list(
        session.execute(
            text(
                f"SELECT release_id, platform, {names} FROM post_metrics_latest "
                f"WHERE release_id IS NOT NULL {scope} GROUP BY release_id, platform"
            )
        )
    )
    expected: dict[tuple[int, str], Counts] = {(r[0], str(r[1])): tuple(r[2:]) for r in view_rows}
    by_release: dict[int, list[Counts]] = defaultdict(list)
    for (release_id, _), counts in expected.items():
        by_release[release_id].append(counts)
    for release_id, rows in by_release.items():
        expected[(release_id, "all")] = tuple(_sum([row[i] for row in rows]) for i in range(len(COUNT_NAMES)))
    query = select(
        ReleaseCampaignRollup.release_id,
        ReleaseCampaignRollup.platform,
        *(getattr(ReleaseCampaignRollup, name) for name in COUNT_NAMES),
    ).where(ReleaseCampaignRollup.day.is_(None))
    if release_ids is not None:
        query = query.where(ReleaseCampaignRollup.release_id.in_(release_ids))
    actual: dict[tuple[int, str], Counts] = {(r[0], r[1]): tuple(r[2:]) for r in session.execute(query)}
    nothing: Counts = (None,) * len(COUNT_NAMES)
    mismatches = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(key, nothing), actual.get(key, nothing)
        if want != got:
            release_id, platform = key
            mismatches.append(f"release {release_id} {platform}: roll-up {got}, post_metrics_latest {want}")
    return mismatches


@dg.asset_check(
    asset=CAMPAIGN.key,
    name="totals_match_analyst_views",
    description="Each release's campaign totals (views, likes, comments, shares, saves per platform and overall) "
    "equal the sums over the analyst view post_metrics_latest of its tagged live posts (docs/releases.md).",
)
def totals_match_analyst_views(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    releases = checked_releases(context)
    with database.session() as session:
        mismatches = rollup_mismatches(session, releases)
    return dg.AssetCheckResult(
        passed=not mismatches,
        metadata={
            "releases": "all" if releases is None else ", ".join(map(str, releases)),
            "mismatches": len(mismatches),
            "samples": dg.MetadataValue.json(mismatches[:20]),
        },
    )


def orphan_contributions(session: Session, release_ids: list[int] | None) -> list[tuple[int, int, str]]:
    """Contribution rows whose post is gone, soft-deleted or no longer tagged with the row's release."""
    c, post = ReleasePostContribution, ContentPost
    query = (
        select(c.release_id, c.post_id, c.platform)
        .outerjoin(post, post.id == c.post_id)
        .where(or_(post.id.is_(None), post.deleted_at.is_not(None), post.release_id.is_distinct_from(c.release_id)))
        .order_by(c.release_id, c.post_id, c.platform)
    )
    if release_ids is not None:
        query = query.where(and_(c.release_id.in_(release_ids)))
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


@dg.asset_check(
    asset=CONTRIBUTION.key,
    name="no_orphan_contributions",
    description="release_post_contribution holds no row for a post that was deleted or moved to another release.",
)
def no_orphan_contributions(context: dg.AssetCheckExecutionContext, database: DatabaseResource) -> dg.AssetCheckResult:
    releases = checked_releases(context)
    with database.session() as session:
        orphans = orphan_contributions(session, releases)
    return dg.AssetCheckResult(
        passed=not orphans,
        metadata={
            "orphan_rows": len(orphans),
            "samples": dg.MetadataValue.json([f"release {r} post {p} {pl}" for r, p, pl in orphans[:20]]),
        },
    )


POST_METRICS_CHECKS = [nightly_pull_read_posts, counts_not_negative, no_duplicate_snapshots, counts_only_grow]
ACCOUNT_CHECKS = [account_counts_not_negative, one_snapshot_per_connection_and_day, x_access_tier_recorded]
ACCOUNT_POST_CHECKS = [every_account_with_live_posts_listed, azmth_posts_matched, account_post_counts_only_grow]
ROLLUP_CHECKS = [totals_match_analyst_views, no_orphan_contributions]
ASSET_CHECKS = [*POST_METRICS_CHECKS, *ACCOUNT_CHECKS, *ACCOUNT_POST_CHECKS, *ROLLUP_CHECKS]
