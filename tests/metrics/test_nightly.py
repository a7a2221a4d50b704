"""The nightly snapshot: one row per live post and platform, NULL where a platform has no number,
re-runs replace only their own partition, and what cannot be read is reported, not fatal."""

from datetime import date

from sqlalchemy import func, select, text

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost, SocialConnection, SocialPostMetrics
from azmth_pipelines.db.types import utcnow
from azmth_pipelines.metrics.followups import refresh_post_metrics
from azmth_pipelines.metrics.sync import sync_nightly
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.metrics.conftest import FAST, MetricsStudio

D = date(2026, 11, 27)


def _rows(source: MetricSource | None = None) -> list[SocialPostMetrics]:
    with session_scope() as session:
        query = select(SocialPostMetrics).order_by(SocialPostMetrics.post_id, SocialPostMetrics.platform)
        if source is not None:
            query = query.where(SocialPostMetrics.source == source)
        return list(session.scalars(query))


def test_nightly_writes_one_snapshot_per_live_post_and_platform_with_null_where_no_number(
    connected: MetricsStudio,
) -> None:
    everywhere = connected.publish(*Platform)
    x_only = connected.publish(Platform.X)
    connected.sandbox.advance_clock(3600)  # let engagement grow (X tokens live 2 h)

    report = sync_nightly(D, sessions=connected.sessions, settings=FAST)

    rows = _rows(MetricSource.NIGHTLY)
    assert report.problem_count == 0
    assert {(r.post_id, r.platform) for r in rows} == {(everywhere, p) for p in Platform} | {(x_only, Platform.X)}
    assert all(r.partition_date == D for r in rows)
    by_platform = {r.platform: r for r in rows if r.post_id == everywhere}
    for row in rows:
        assert row.views is not None and row.views > 0
        assert row.likes is not None and row.comments is not None and row.shares is not None
    # TikTok's Display API and Threads have no saves count: NULL, never a made-up 0.
    assert by_platform[Platform.TIKTOK].saves is None
    assert by_platform[Platform.THREADS].saves is None
    assert by_platform[Platform.INSTAGRAM].saves is not None
    assert by_platform[Platform.X].saves is not None  # bookmarks
    x = by_platform[Platform.X]
    public = x.raw["public_metrics"]
    assert x.views == public["impression_count"]
    assert x.shares == public["retweet_count"] + public["quote_count"]


def test_rerunning_a_nightly_partition_replaces_it_and_leaves_other_rows_alone(connected: MetricsStudio) -> None:
    post_id = connected.publish(Platform.X, Platform.THREADS)
    sync_nightly(date(2026, 11, 26), sessions=connected.sessions, settings=FAST)
    refresh_post_metrics(post_id, sessions=connected.sessions, now=utcnow(), settings=FAST)
    sync_nightly(D, sessions=connected.sessions, settings=FAST)
    before = _rows()
    first_d = {(r.post_id, r.platform, r.captured_at) for r in before if r.partition_date == D}

    connected.sandbox.advance_clock(3600)
    report = sync_nightly(D, sessions=connected.sessions, settings=FAST)

    after = _rows()
    assert report.rows_written == 2
    assert len(after) == len(before) == 6
    again_d = [r for r in after if r.partition_date == D]
    assert len(again_d) == 2  # replaced, not added to
    assert not first_d & {(r.post_id, r.platform, r.captured_at) for r in again_d}
    untouched = [(r.id, r.views) for r in before if r.partition_date != D]
    assert [(r.id, r.views) for r in after if r.partition_date != D] == untouched
    assert sum(r.source == MetricSource.MANUAL for r in after) == 2


def test_deleted_post_is_skipped_and_hidden_from_the_analyst_views(connected: MetricsStudio) -> None:
    live = connected.publish(Platform.X)
    deleted = connected.publish(Platform.X)
    sync_nightly(date(2026, 11, 26), sessions=connected.sessions, settings=FAST)
    with session_scope() as session:
        session.get(ContentPost, deleted).deleted_at = utcnow()  # type: ignore[union-attr]

    sync_nightly(D, sessions=connected.sessions, settings=FAST)

    assert [r.post_id for r in _rows(MetricSource.NIGHTLY) if r.partition_date == D] == [live]
    with session_scope() as session:
        for view in ("post_metrics_latest", "post_metrics_daily"):
            post_ids = {row.post_id for row in session.execute(text(f"select post_id from {view}"))}
            assert post_ids == {live}, view


def test_tier_limited_x_account_is_recorded_and_flows_after_an_upgrade(studio: MetricsStudio) -> None:
    account = studio.connect(Platform.X, tier="free")
    studio.connect(Platform.THREADS)
    studio.publish(Platform.X, Platform.THREADS)

    first = sync_nightly(D, sessions=studio.sessions, settings=FAST)

    assert first.problems == {"tier": 1}
    assert [r.platform for r in _rows(MetricSource.NIGHTLY)] == [Platform.THREADS]
    with session_scope() as session:
        tier = session.scalar(select(SocialConnection.x_access_tier).where(SocialConnection.platform == Platform.X))
    assert tier == "free"

    studio.sandbox.update_account(account.id, tier="basic")
    second = sync_nightly(D, sessions=studio.sessions, settings=FAST)

    assert second.problem_count == 0
    assert sorted(r.platform for r in _rows(MetricSource.NIGHTLY)) == [Platform.THREADS, Platform.X]
    with session_scope() as session:
        tier = session.scalar(select(SocialConnection.x_access_tier).where(SocialConnection.platform == Platform.X))
    assert tier == "read_access"


def test_rate_limited_reads_are_waited_out_within_the_pull(connected: MetricsStudio) -> None:
    for _ in range(3):
        connected.publish(Platform.TIKTOK, Platform.INSTAGRAM)
    connected.sandbox.set_fault("tiktok", "rate_limit", scope="metrics", times=2)
    connected.sandbox.set_fault("instagram", "rate_limit", scope="metrics", times=1)

    report = sync_nightly(D, sessions=connected.sessions, settings=FAST)

    assert report.problem_count == 0
    assert report.retries == 3
    assert len(_rows(MetricSource.NIGHTLY)) == 6


def test_a_post_that_cannot_be_read_is_reported_and_the_rest_are_written(connected: MetricsStudio) -> None:
    good = connected.publish(Platform.INSTAGRAM, Platform.TIKTOK)
    gone = connected.add_post({Platform.INSTAGRAM: "17841400000000001", Platform.TIKTOK: "7391122000000000001"})
    connected.sandbox.set_fault("threads", "status_5xx", value="503", scope="metrics")
    broken = connected.publish(Platform.THREADS)

    report = sync_nightly(D, sessions=connected.sessions, settings=FAST)

    assert {(r.post_id, r.platform) for r in _rows(MetricSource.NIGHTLY)} == {
        (good, Platform.INSTAGRAM),
        (good, Platform.TIKTOK),
    }
    assert report.problems == {"error": 2, "not_found": 1}
    assert any(f"post {gone} tiktok (not_found)" in line for line in report.problem_lines)
    assert any(f"post {broken} threads (error)" in line for line in report.problem_lines)


def test_instagram_story_is_read_with_story_metrics_and_has_no_likes(connected: MetricsStudio) -> None:
    remote_id = connected.publish_remote(Platform.INSTAGRAM, product_type="STORY")
    connected.add_post({Platform.INSTAGRAM: remote_id}, options={"instagram": {"placement": "stories"}})
    connected.sandbox.advance_clock(3600)

    sync_nightly(D, sessions=connected.sessions, settings=FAST)

    [row] = _rows(MetricSource.NIGHTLY)
    assert row.views is not None and row.shares is not None
    assert row.likes is None and row.comments is None and row.saves is None


def test_nightly_pages_through_many_posts(connected: MetricsStudio) -> None:
    for _ in range(7):
        connected.publish(Platform.X)

    report = sync_nightly(D, sessions=connected.sessions, settings=FAST)  # page_size 3: three pages

    assert report.rows_written == 7
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(SocialPostMetrics)) == 7
