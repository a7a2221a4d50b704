"""account_post_metrics: every post of every connected account, per day, AZMTH's or not, read through the
platforms' listings page by page (more posts than a page on every platform), on SQLite and PostgreSQL."""

from datetime import date, timedelta

from sqlalchemy import func, select, text

from azmth_pipelines.db.models import AccountPostMetrics, SocialConnection, SocialPostMetrics
from azmth_pipelines.metrics.account_posts import sync_account_posts
from azmth_pipelines.metrics.sync import sync_nightly
from azmth_pipelines.vocabulary import AccountPostKind, MetricSource, Platform
from azmth_sandbox.state import Post
from tests.metrics.conftest import FAST, MetricsStudio

DAY = date(2026, 12, 5)
COUNTS = ("views", "likes", "comments", "shares", "saves")
# More than one page of each listing: TikTok 20 videos a page, the Graph edges and X's timeline 100 posts.
OUTSIDE_POSTS = {Platform.TIKTOK: 45, Platform.INSTAGRAM: 120, Platform.THREADS: 105, Platform.X: 130}
NATIVE = {
    Platform.TIKTOK: ("VIDEO", "DIRECT_POST"),
    Platform.INSTAGRAM: ("CAROUSEL_ALBUM", "FEED"),
    Platform.THREADS: ("TEXT_POST", "THREADS"),
    Platform.X: ("TEXT", "TWEET"),
}


def post_outside_azmth(studio: MetricsStudio, platform: Platform, count: int, *, days_ago: int = 2) -> list[str]:
    """Posts the artist made on the platform without AZMTH, as the platform holds them."""
    state = studio.sandbox.state
    account = state.account_by_remote(platform.value, studio.accounts[platform].remote_id)
    assert account is not None
    media_type, product_type = NATIVE[platform]
    ids = []
    for n in range(count):
        remote_id = state.new_id(platform.value)
        state.record_post(
            Post(
                platform=platform.value,
                account_id=account.id,
                remote_id=remote_id,
                text=f"studio diary {n}",
                media=[],
                media_type=media_type,
                published_at=state.now() - 86400 * (n + days_ago),
                product_type=product_type,
            )
        )
        ids.append(remote_id)
    return ids


def rows(studio: MetricsStudio, day: date = DAY) -> list[AccountPostMetrics]:
    with studio.sessions() as session:
        return list(
            session.scalars(
                select(AccountPostMetrics)
                .where(AccountPostMetrics.partition_date == day)
                .order_by(AccountPostMetrics.platform, AccountPostMetrics.remote_post_id)
            )
        )


def test_every_post_of_every_account_is_a_row_and_azmths_posts_carry_their_post_id(connected: MetricsStudio) -> None:
    ours = {platform: connected.publish(platform) for platform in Platform}
    outside = {platform: post_outside_azmth(connected, platform, n) for platform, n in OUTSIDE_POSTS.items()}

    report = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    assert report.problem_count == 0, report.problem_lines
    assert report.targets == 4
    written = rows(connected)
    assert report.rows_written == len(written) == sum(OUTSIDE_POSTS.values()) + 4
    by_platform: dict[Platform, list[AccountPostMetrics]] = {}
    for row in written:
        by_platform.setdefault(Platform(row.platform), []).append(row)
    for platform in Platform:
        listed = by_platform[platform]
        # Every post once, though the listing took several pages.
        assert len({row.remote_post_id for row in listed}) == len(listed) == OUTSIDE_POSTS[platform] + 1
        assert {row.remote_post_id for row in listed} >= set(outside[platform])
        matched = [row for row in listed if row.post_id is not None]
        assert [row.post_id for row in matched] == [ours[platform]], platform
        assert all(row.permalink and row.posted_at and row.views is not None for row in listed), platform

    # What the artist made outside AZMTH is typed as the platform typed it.
    outside_kinds = {Platform(r.platform): r.media_kind for r in written if r.post_id is None}
    assert outside_kinds == {
        Platform.TIKTOK: AccountPostKind.VIDEO,
        Platform.INSTAGRAM: AccountPostKind.CAROUSEL,
        Platform.THREADS: AccountPostKind.TEXT,
        Platform.X: AccountPostKind.TEXT,
    }
    # The platforms that have no saves count say so with NULL, never 0.
    assert all(row.saves is None for row in by_platform[Platform.TIKTOK] + by_platform[Platform.THREADS])
    assert all(row.saves is not None for row in by_platform[Platform.INSTAGRAM] + by_platform[Platform.X])


def test_azmths_posts_have_the_same_counts_as_the_nightly_pull_reads(connected: MetricsStudio) -> None:
    # A month old: the sandbox's counts have stopped growing, so the two reads a moment apart see the same numbers.
    for platform in Platform:
        (remote_id,) = post_outside_azmth(connected, platform, 1, days_ago=30)
        connected.add_post({platform: remote_id})
    sync_nightly(DAY, sessions=connected.sessions, settings=FAST)
    sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    with connected.sessions() as session:
        nightly = {
            (row.post_id, Platform(row.platform)): tuple(getattr(row, c) for c in COUNTS)
            for row in session.scalars(
                select(SocialPostMetrics).where(
                    SocialPostMetrics.source == MetricSource.NIGHTLY, SocialPostMetrics.partition_date == DAY
                )
            )
        }
    listed = {(row.post_id, Platform(row.platform)): tuple(getattr(row, c) for c in COUNTS) for row in rows(connected)}
    assert len(nightly) == 4
    assert listed == nightly


def test_a_day_is_replaced_not_added_to_and_other_days_stay(connected: MetricsStudio) -> None:
    connected.publish(Platform.X, Platform.THREADS)
    post_outside_azmth(connected, Platform.INSTAGRAM, 3)
    sync_account_posts(DAY - timedelta(days=1), sessions=connected.sessions, settings=FAST)
    sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)
    first = [(r.remote_post_id, r.post_id, r.likes) for r in rows(connected)]
    connected.sandbox.advance_clock(3000)  # the counts move on (within X's 2-hour token)

    again = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    second = rows(connected)
    assert again.rows_written == len(second) == len(first) == 5
    assert [(r.remote_post_id, r.post_id) for r in second] == [(rid, pid) for rid, pid, _ in first]
    assert sum(r.likes or 0 for r in second) > sum(likes or 0 for _, _, likes in first)
    assert len(rows(connected, DAY - timedelta(days=1))) == 5


def test_an_x_account_without_read_access_has_no_rows_and_the_rest_are_read(studio: MetricsStudio) -> None:
    studio.connect(Platform.X, tier="free")
    studio.connect(Platform.THREADS)
    studio.publish(Platform.X, Platform.THREADS)

    report = sync_account_posts(DAY, sessions=studio.sessions, settings=FAST)

    assert [Platform(r.platform) for r in rows(studio)] == [Platform.THREADS]
    assert dict(report.problems) == {"tier": 1}
    assert "X access level does not include reading posts" in report.problem_lines[0]


def test_a_failing_listing_costs_only_its_account(connected: MetricsStudio) -> None:
    for platform in Platform:
        connected.publish(platform)
    connected.sandbox.set_fault("instagram", "http_status", value="400", scope="/media$")

    report = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    assert {Platform(r.platform) for r in rows(connected)} == {Platform.TIKTOK, Platform.THREADS, Platform.X}
    assert dict(report.problems) == {"error": 1}
    assert f"connection {_connection_id(connected, Platform.INSTAGRAM)} instagram" in report.problem_lines[0]


def test_a_post_whose_insights_are_refused_keeps_its_row_with_null_counts_and_the_reason(
    connected: MetricsStudio,
) -> None:
    old, *_ = post_outside_azmth(connected, Platform.INSTAGRAM, 4)
    post = connected.sandbox.state.post("instagram", old)
    assert post is not None
    post.extra["before_business_conversion"] = True

    report = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    instagram = {r.remote_post_id: r for r in rows(connected) if r.platform == Platform.INSTAGRAM}
    assert len(instagram) == 4
    refused = instagram.pop(old)
    assert all(getattr(refused, c) is None for c in COUNTS)
    assert "Media Posted Before Business Account Conversion" in refused.raw["problem"]
    assert all(r.views is not None and "problem" not in r.raw for r in instagram.values())
    assert dict(report.problems) == {"counts": 1}


def test_a_connection_that_needs_a_reconnect_is_reported_and_the_others_are_read(connected: MetricsStudio) -> None:
    post_outside_azmth(connected, Platform.TIKTOK, 2)
    post_outside_azmth(connected, Platform.X, 2)
    with connected.sessions.begin() as session:
        connection = session.get(SocialConnection, _connection_id(connected, Platform.TIKTOK))
        assert connection is not None
        connection.status = "needs_reconnect"

    report = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    assert [Platform(r.platform) for r in rows(connected)] == [Platform.X, Platform.X]
    assert dict(report.problems) == {"reconnect": 1}


def test_the_latest_view_gives_each_account_posts_last_day(connected: MetricsStudio) -> None:
    connected.publish(Platform.THREADS)
    older, newer = post_outside_azmth(connected, Platform.X, 2)
    sync_account_posts(DAY - timedelta(days=1), sessions=connected.sessions, settings=FAST)
    connected.sandbox.state.x_deleted.add(newer)  # deleted on X after that day: it keeps its last row
    sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    with connected.sessions() as session:
        latest = session.execute(
            text(
                "SELECT platform, remote_post_id, partition_date, artist_id FROM account_posts_latest "
                "ORDER BY platform, remote_post_id"
            )
        ).all()
        total = session.scalar(select(func.count()).select_from(AccountPostMetrics))
    days = {row.remote_post_id: _day(row.partition_date) for row in latest}
    assert days[older] == DAY
    assert days[newer] == DAY - timedelta(days=1)
    assert len(latest) == 3 and total == 5
    assert {row.artist_id for row in latest} == {connected.artist_id}


def _day(value: date | str) -> date:
    # SQLite hands a view's date column back as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _connection_id(studio: MetricsStudio, platform: Platform) -> int:
    with studio.sessions() as session:
        found = session.scalar(
            select(SocialConnection.id).where(
                SocialConnection.artist_id == studio.artist_id, SocialConnection.platform == platform
            )
        )
    assert found is not None
    return found


def test_a_rate_limited_or_failing_page_is_retried_and_nothing_is_lost(connected: MetricsStudio) -> None:
    post_outside_azmth(connected, Platform.TIKTOK, 45)
    post_outside_azmth(connected, Platform.X, 130)
    connected.sandbox.set_fault("tiktok", "rate_limit", scope="/video/list/", times=2)
    connected.sandbox.set_fault("x", "status_5xx", value="503", scope="/tweets", times=1)

    report = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    assert report.problem_count == 0, report.problem_lines
    assert report.retries == 3
    listed = rows(connected)
    assert sum(r.platform == Platform.TIKTOK for r in listed) == 45
    assert sum(r.platform == Platform.X for r in listed) == 130


def test_azmths_instagram_and_threads_posts_read_tonight_are_taken_from_the_nightly_pull_not_read_again(
    connected: MetricsStudio,
) -> None:
    post_id = connected.publish(Platform.INSTAGRAM, Platform.THREADS)
    post_outside_azmth(connected, Platform.INSTAGRAM, 3)
    post_outside_azmth(connected, Platform.THREADS, 2)
    # The day before has no nightly rows: every post's insights are read.
    before = sync_account_posts(DAY - timedelta(days=1), sessions=connected.sessions, settings=FAST)
    sync_nightly(DAY, sessions=connected.sessions, settings=FAST)
    connected.sandbox.advance_clock(3000)  # a second read would see other numbers

    tonight = sync_account_posts(DAY, sessions=connected.sessions, settings=FAST)

    assert before.problem_count == tonight.problem_count == 0
    assert before.api_calls - tonight.api_calls == 2  # one insights call each on Instagram and Threads
    with connected.sessions() as session:
        nightly = {
            Platform(row.platform): (tuple(getattr(row, c) for c in COUNTS), row.raw)
            for row in session.scalars(
                select(SocialPostMetrics).where(
                    SocialPostMetrics.post_id == post_id, SocialPostMetrics.partition_date == DAY
                )
            )
        }
    ours = {Platform(r.platform): r for r in rows(connected) if r.post_id == post_id}
    assert set(ours) == set(nightly) == {Platform.INSTAGRAM, Platform.THREADS}
    for platform, row in ours.items():
        counts, raw = nightly[platform]
        assert tuple(getattr(row, c) for c in COUNTS) == counts
        assert row.raw == {"type": row.raw["type"], **raw}
    earlier = {r.remote_post_id: r.views for r in rows(connected, DAY - timedelta(days=1)) if r.post_id is None}
    later = {r.remote_post_id: r.views for r in rows(connected) if r.post_id is None}
    assert sum(v or 0 for v in later.values()) > sum(v or 0 for v in earlier.values())  # the others read again
