"""The analysts' guide's seed: a small, deliberately messy dataset every example query in docs/analysts.md runs on.

Written through the ORM models with fixed timestamps (never now()), in this order, so the ids are the same on
SQLite and PostgreSQL (each test starts from an empty database whose sequences restart at 1):

- artists 1 Nova and 2 Kilo; Nova connected on all four platforms (connections 1-4, X on `read_access`), Kilo on
  TikTok (5) and X on the free tier (6: X refuses to list or read its posts, so it has no post rows at all);
- releases 1 "Night Drive" (Nova, out 2026-11-20) and 2 "Low Tide" (Kilo, out 2026-11-27);
- AZMTH posts 1-7: tagged (1, 2, 4, 5, 6) and untagged (3, 7), 4 soft-deleted after it went out, 3 an Instagram
  story (the media edge never lists stories), 6 still scheduled, 5 on Kilo's free-tier X;
- social_post_metrics: the +60 s and +24 h follow-ups, a manual refresh and the nightly rows with skipped nights,
  NULLs where the platform has no such count (TikTok and Threads saves, Instagram story likes/comments/saves,
  Threads views on its first reading) and a wave of Instagram unlikes;
- account_metrics_snapshot per connection and day (TikTok missed 2026-11-20);
- account_post_metrics for the days 2026-11-19..22 (Nova) and 2026-11-25..27 (Kilo), AZMTH's posts next to the
  artists' own, one Instagram reel whose insights could not be read on its last day;
- presave_event (attributed, through a deleted post, unattributed, an unknown src) and release_stream_daily;
- the release roll-ups, computed by the real code (write_rollups).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from azmth_pipelines.db.models import (
    AccountMetricsSnapshot,
    AccountPostMetrics,
    Artist,
    ContentPost,
    PresaveEvent,
    Release,
    ReleaseStreamDaily,
    SocialConnection,
    SocialPostMetrics,
)
from azmth_pipelines.releases.rollup import write_rollups
from azmth_pipelines.vocabulary import AccountPostKind, MetricSource, Platform, PostStatus

TIKTOK, INSTAGRAM, THREADS, X = Platform.TIKTOK, Platform.INSTAGRAM, Platform.THREADS, Platform.X
COUNTS = ("views", "likes", "comments", "shares", "saves")
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(day: date | str, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A UTC time on a day of the seed."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=UTC)


def days(first: str, last: str) -> Iterator[date]:
    day = date.fromisoformat(first)
    while day <= date.fromisoformat(last):
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class Curve:
    """A post's counts over time: each count is (at publish, gained per day), or None where the platform has none.
    The seed's numbers are read off these curves, so AZMTH's snapshots and the account's list agree."""

    views: tuple[int, int] | None
    likes: tuple[int, int] | None
    comments: tuple[int, int] | None
    shares: tuple[int, int] | None
    saves: tuple[int, int] | None

    def counts_at(self, published: datetime, captured: datetime) -> dict[str, int | None]:
        age = (captured - published).total_seconds() / 86400
        out: dict[str, int | None] = {}
        for name in COUNTS:
            start_and_rate = getattr(self, name)
            out[name] = None if start_and_rate is None else start_and_rate[0] + int(start_and_rate[1] * age)
        return out


@dataclass(frozen=True)
class AccountPost:
    connection: int
    platform: Platform
    remote_id: str
    posted_at: datetime
    kind: AccountPostKind
    curve: Curve
    post_id: int | None = None  # the AZMTH post, when AZMTH published it


# AZMTH's posts on each platform: (post id, platform, remote id, published at, curve).
PUBLISHED: list[tuple[int, Platform, str, datetime, Curve]] = [
    (1, TIKTOK, "tt-101", at("2026-11-10", 18, 0, 40), Curve((40, 900), (2, 60), (0, 6), (0, 9), None)),
    (1, INSTAGRAM, "ig-201", at("2026-11-10", 18, 1, 5), Curve((30, 300), (3, 40), (0, 4), (0, 2), (0, 3))),
    (2, X, "x-301", at("2026-11-14", 9, 30, 20), Curve((50, 700), (1, 25), (0, 3), (0, 5), (0, 2))),
    (2, THREADS, "th-401", at("2026-11-14", 9, 30, 50), Curve((20, 150), (1, 12), (0, 2), (0, 1), None)),
    (3, INSTAGRAM, "ig-202", at("2026-11-16", 20, 15, 30), Curve((25, 200), None, None, (0, 1), None)),
    (4, TIKTOK, "tt-102", at("2026-11-18", 18, 0, 30), Curve((60, 400), (4, 30), (0, 2), (0, 3), None)),
    (5, TIKTOK, "tt-501", at("2026-11-25", 17, 0, 45), Curve((80, 500), (5, 50), (1, 5), (0, 7), None)),
    (7, X, "x-302", at("2026-11-21", 19, 0, 15), Curve((10, 300), (0, 9), (0, 1), (0, 2), (0, 1))),
]

# The accounts' own posts, made outside AZMTH (no post_id): (connection, platform, remote id, posted at, kind, curve).
VIDEO, CAROUSEL, TEXT = AccountPostKind.VIDEO, AccountPostKind.CAROUSEL, AccountPostKind.TEXT
OWN_POSTS: list[AccountPost] = [
    AccountPost(*own)
    for own in [
        (1, TIKTOK, "tt-899", at("2026-10-01", 16), VIDEO, Curve((9000, 20), (500, 1), (40, 0), (30, 0), None)),
        (1, TIKTOK, "tt-900", at("2026-11-19", 21), VIDEO, Curve((100, 3000), (10, 250), (1, 20), (0, 40), None)),
        (2, INSTAGRAM, "ig-950", at("2026-11-21", 12), CAROUSEL, Curve((50, 400), (5, 70), (0, 5), (0, 3), (0, 6))),
        (2, INSTAGRAM, "ig-951", at("2026-11-20", 15), VIDEO, Curve((40, 500), (2, 30), (0, 2), (0, 4), (0, 2))),
        (3, THREADS, "th-960", at("2026-11-20", 8), TEXT, Curve(None, (3, 20), (0, 6), (0, 3), None)),
        (4, X, "x-970", at("2026-11-20", 19), TEXT, Curve((200, 1500), (4, 45), (0, 8), (0, 12), (0, 3))),
        (5, TIKTOK, "tt-980", at("2026-11-26", 23, 30), VIDEO, Curve((20, 800), (1, 60), (0, 3), (0, 5), None)),
    ]
]

CONNECTION_OF = {(1, TIKTOK): 1, (1, INSTAGRAM): 2, (1, THREADS): 3, (1, X): 4, (2, TIKTOK): 5, (2, X): 6}
ARTIST_OF_POST = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 1}
KIND_OF = {TIKTOK: VIDEO, INSTAGRAM: AccountPostKind.IMAGE, THREADS: TEXT, X: TEXT}  # what AZMTH's posts are

# Nights each post's nightly pull skipped (a platform outage, a token that needed a refresh).
SKIPPED_NIGHTS = {
    ("tt-101", date(2026, 11, 12)),
    ("ig-201", date(2026, 11, 19)),
    ("x-301", date(2026, 11, 17)),
    ("tt-501", date(2026, 11, 26)),
}
LAST_NIGHT = {1: date(2026, 11, 22), 2: date(2026, 11, 27)}  # by artist: the last nightly partition seeded


def _post_metrics(session: Session) -> None:
    for post_id, platform, remote_id, published, curve in PUBLISHED:
        if platform is X and ARTIST_OF_POST[post_id] == 2:
            continue  # Kilo's X is on the free tier: X refuses to read its posts, so there are no snapshots
        readings: list[tuple[datetime, MetricSource, date | None]] = [
            (published + timedelta(seconds=60), MetricSource.ON_PUBLISH, None),
            (published + timedelta(hours=24), MetricSource.DAY1, None),
        ]
        for night in days(published.date().isoformat(), LAST_NIGHT[ARTIST_OF_POST[post_id]].isoformat()):
            if (remote_id, night) not in SKIPPED_NIGHTS:
                read = at(night + timedelta(days=1), 3, 4, 10)
                readings.append((read, MetricSource.NIGHTLY, night))
        if remote_id == "x-301":
            readings.append((at("2026-11-15", 14, 0), MetricSource.MANUAL, None))  # the web app's Refresh button
        for captured, source, partition in readings:
            counts = curve.counts_at(published, captured)
            if platform is THREADS and source is MetricSource.ON_PUBLISH:
                counts["views"] = None  # Threads' views are "in development": absent from this reading
            if remote_id == "ig-201" and partition == date(2026, 11, 21):
                counts["likes"] = (counts["likes"] or 0) - 45  # a wave of unlikes; the next night it is back
            session.add(
                SocialPostMetrics(
                    post_id=post_id,
                    platform=platform,
                    remote_post_id=remote_id,
                    captured_at=captured,
                    source=source,
                    partition_date=partition,
                    raw={"seed": True},
                    **counts,
                )
            )


def _account_posts() -> list[AccountPost]:
    azmth = [
        AccountPost(
            CONNECTION_OF[(ARTIST_OF_POST[post_id], platform)],
            platform,
            remote_id,
            published,
            KIND_OF[platform],
            curve,
            post_id,
        )
        for post_id, platform, remote_id, published, curve in PUBLISHED
        # An Instagram story is never listed by the media edge; Kilo's free-tier X lists nothing.
        if remote_id != "ig-202" and not (platform is X and ARTIST_OF_POST[post_id] == 2)
    ]
    return azmth + OWN_POSTS


def _account_post_metrics(session: Session) -> None:
    nights = {1: list(days("2026-11-19", "2026-11-22")), 2: list(days("2026-11-25", "2026-11-27"))}
    artist_of_connection = {connection: artist for (artist, _), connection in CONNECTION_OF.items()}
    for post in _account_posts():
        for night in nights[artist_of_connection[post.connection]]:
            read = at(night + timedelta(days=1), 3, 10)
            if post.posted_at >= read:
                continue  # not posted yet when the account was listed
            counts = post.curve.counts_at(post.posted_at, read)
            raw: dict[str, Any] = {"seed": True}
            if post.remote_id == "ig-951" and night == date(2026, 11, 22):
                counts = dict.fromkeys(COUNTS)
                raw = {"problem": "insights not readable: (#10) Not enough viewers for the media to show insights"}
            session.add(
                AccountPostMetrics(
                    partition_date=night,
                    connection_id=post.connection,
                    platform=post.platform,
                    remote_post_id=post.remote_id,
                    post_id=post.post_id,
                    posted_at=post.posted_at,
                    permalink=f"https://{post.platform.value}.example/{post.remote_id}",
                    media_kind=post.kind,
                    captured_at=read,
                    raw=raw,
                    **counts,
                )
            )


def _account_snapshots(session: Session) -> None:
    # (connection, first day, last day, followers on the first day, followers gained per day)
    accounts = [
        (1, "2026-11-18", "2026-11-22", 12_000, 450),
        (2, "2026-11-18", "2026-11-22", 8_200, 120),
        (3, "2026-11-18", "2026-11-22", 1_500, 35),
        (4, "2026-11-18", "2026-11-22", 4_100, 60),
        (5, "2026-11-25", "2026-11-27", 2_300, 80),
        (6, "2026-11-25", "2026-11-27", 700, 5),
    ]
    for connection, first, last, followers, per_day in accounts:
        for n, day in enumerate(days(first, last)):
            if connection == 1 and day == date(2026, 11, 20):
                continue  # TikTok's read failed that night: no row, not a row of NULLs
            threads = connection == 3
            session.add(
                AccountMetricsSnapshot(
                    connection_id=connection,
                    captured_at=at(day + timedelta(days=1), 3, 5),
                    partition_date=day,
                    followers=followers + per_day * n + (n * n * 40 if connection == 1 else 0),
                    following=None if threads else 150 + n,
                    post_count=None if threads else 40 + n,
                    total_likes=210_000 + 3_000 * n if connection in (1, 5) else None,
                    raw={"seed": True},
                )
            )


def _presaves(session: Session) -> None:
    # (release, post, platform, kind, src, when)
    events: list[tuple[int, int | None, Platform | None, str, str | None, datetime]] = [
        (1, 1, TIKTOK, "presave", "p1-tiktok", at("2026-11-11", 10, 0)),
        (1, 1, TIKTOK, "presave", "p1-tiktok", at("2026-11-12", 21, 30)),
        (1, 1, TIKTOK, "click", "p1-tiktok", at("2026-11-12", 21, 29)),
        (1, 1, TIKTOK, "presave", "p1-tiktok", at("2026-11-19", 8, 0)),
        (1, 1, INSTAGRAM, "presave", "p1-instagram", at("2026-11-13", 19, 45)),
        (1, 1, INSTAGRAM, "click", "p1-instagram", at("2026-11-13", 19, 44)),
        (1, 1, INSTAGRAM, "click", "p1-instagram", at("2026-11-18", 7, 15)),
        (1, 2, X, "presave", "p2-x", at("2026-11-14", 12, 0)),
        (1, 2, X, "presave", "p2-x", at("2026-11-20", 0, 5)),
        (1, 2, THREADS, "click", "p2-threads", at("2026-11-15", 9, 0)),
        (1, 4, TIKTOK, "presave", "p4-tiktok", at("2026-11-19", 18, 30)),  # post 4 was deleted on 2026-11-22
        (1, None, None, "presave", "newsletter", at("2026-11-16", 8, 0)),
        (1, None, None, "presave", "newsletter", at("2026-11-20", 8, 0)),
        (1, None, None, "presave", "p99-x", at("2026-11-20", 23, 59)),  # no post 99: kept unattributed
        (2, 5, TIKTOK, "presave", "p5-tiktok", at("2026-11-26", 9, 0)),
        (2, 5, TIKTOK, "click", "p5-tiktok", at("2026-11-26", 8, 59)),
        (2, 5, X, "presave", "p5-x", at("2026-11-26", 20, 0)),
    ]
    for n, (release_id, post_id, platform, kind, src, when) in enumerate(events, start=1):
        session.add(
            PresaveEvent(
                release_id=release_id,
                post_id=post_id,
                platform=platform,
                occurred_at=when,
                kind=kind,
                src=src,
                event_key=f"seed-{n}",
                created_at=when + timedelta(minutes=5),
            )
        )


def _streams(session: Session) -> None:
    night_drive = [("Spotify", "DE", 400, 150), ("Spotify", "US", 900, 300), ("Apple Music", "US", 250, 50)]
    for n, day in enumerate(days("2026-11-20", "2026-11-22")):
        for store, country, first, per_day in night_drive:
            session.add(
                ReleaseStreamDaily(
                    isrc="USS1Z2600001",
                    day=day,
                    store=store,
                    country=country,
                    streams=first + per_day * n,
                    imported_at=at("2026-11-24", 6),
                )
            )
    for n, day in enumerate(days("2026-11-27", "2026-11-28")):
        session.add(
            ReleaseStreamDaily(
                isrc="USS1Z2600002",
                day=day,
                store="Spotify",
                country="US",
                streams=120 + 60 * n,
                imported_at=at("2026-11-30", 6),
            )
        )


def seed(session: Session) -> None:
    """Write the dataset and its roll-ups, and commit."""
    for name, timezone in (("Nova", "Europe/Berlin"), ("Kilo", "America/New_York")):
        session.add(Artist(name=name, timezone=timezone, created_at=CREATED))
    session.flush()
    for (artist_id, platform), connection_id in sorted(CONNECTION_OF.items(), key=lambda item: item[1]):
        username = {1: "nova", 2: "kilo"}[artist_id]
        session.add(
            SocialConnection(
                id=connection_id,
                artist_id=artist_id,
                platform=platform,
                external_account_id=f"{platform.value}-{username}",
                username=username,
                granted_scopes=[],
                x_access_tier=("read_access" if artist_id == 1 else "free") if platform is X else None,
                created_at=CREATED,
                updated_at=CREATED,
            )
        )
    session.flush()
    releases = [
        (1, "Night Drive", "USS1Z2600001", None, date(2026, 11, 20)),
        (2, "Low Tide", "USS1Z2600002", "036000291452", date(2026, 11, 27)),
    ]
    for artist_id, title, isrc, upc, release_date in releases:
        session.add(
            Release(
                artist_id=artist_id,
                title=title,
                isrc=isrc,
                upc=upc,
                release_date=release_date,
                presave_url=f"https://presave.example/{title.lower().replace(' ', '-')}",
                created_at=CREATED,
                updated_at=CREATED,
            )
        )
    session.flush()
    _posts(session)
    _post_metrics(session)
    _account_snapshots(session)
    _account_post_metrics(session)
    _presaves(session)
    _streams(session)
    session.flush()
    write_rollups(session, [1, 2])
    session.commit()


def _posts(session: Session) -> None:
    by_post: dict[int, dict[str, Any]] = {}
    for post_id, platform, remote_id, published, _ in PUBLISHED:
        entry = {"state": "published", "attempts": 1, "remote_id": remote_id, "settled_at": published.isoformat()}
        by_post.setdefault(post_id, {})[platform.value] = entry
    # (post, release, scheduled for, status, deleted at, options)
    posts: list[tuple[int, int | None, datetime, PostStatus, datetime | None, dict[str, Any]]] = [
        (1, 1, at("2026-11-10", 18, 0), PostStatus.POSTED, None, {}),
        (2, 1, at("2026-11-14", 9, 30), PostStatus.POSTED, None, {}),
        (3, None, at("2026-11-16", 20, 15), PostStatus.POSTED, None, {"instagram": {"placement": "stories"}}),
        (4, 1, at("2026-11-18", 18, 0), PostStatus.POSTED, at("2026-11-22", 10, 0), {}),
        (5, 2, at("2026-11-25", 17, 0), PostStatus.POSTED, None, {}),
        (6, 2, at("2026-12-10", 12, 0), PostStatus.SCHEDULED, None, {}),
        (7, None, at("2026-11-21", 19, 0), PostStatus.POSTED, None, {}),
    ]
    for post_id, release_id, scheduled_for, status, deleted_at, options in posts:
        per_platform = by_post.get(post_id, {})
        session.add(
            ContentPost(
                id=post_id,
                artist_id=ARTIST_OF_POST[post_id],
                body=f"Post {post_id}",
                platforms=list(per_platform) or ["tiktok"],
                scheduled_for=scheduled_for,
                status=status,
                per_platform=per_platform,
                platform_options=options,
                release_id=release_id,
                created_at=CREATED,
                updated_at=deleted_at or scheduled_for,
                deleted_at=deleted_at,
            )
        )
    session.flush()
