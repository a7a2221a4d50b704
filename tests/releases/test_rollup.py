"""Release roll-ups equal what a person computes by hand from the snapshots, pre-saves and streams; moving
a post moves its numbers; a deleted post drops out; re-running replaces rather than adds."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.db.models import ReleaseCampaignRollup, ReleasePostContribution
from azmth_pipelines.domain.lifecycle import delete_posts
from azmth_pipelines.domain.releases import tag_posts
from azmth_pipelines.releases import rollup
from azmth_pipelines.releases.presaves import record_presave
from azmth_pipelines.releases.rollup import _records, compute_rollups, rollup_releases
from azmth_pipelines.releases.streams import import_streams
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.releases.conftest import ReleaseStudio, at, write_csv

X, TIKTOK, INSTAGRAM = Platform.X, Platform.TIKTOK, Platform.INSTAGRAM


class Campaign:
    """Two releases: Night Drive (P1 on X and TikTok, P2 on Instagram) and Afterglow (P3 on X)."""

    def __init__(self, studio: ReleaseStudio, tmp_path: Path) -> None:
        self.night_drive = studio.release("Night Drive", presave_url="https://presave.example/nd")
        self.afterglow = studio.release("Afterglow")
        self.p1 = studio.post(self.night_drive, [X, TIKTOK])
        self.p2 = studio.post(self.night_drive, [INSTAGRAM])
        self.p3 = studio.post(self.afterglow, [X])
        s = studio.snapshot
        s(self.p1, X, at(1, 10), views=100, likes=10, comments=1, shares=2, saves=3)
        s(self.p1, X, at(1, 20), views=120, likes=12, comments=1, shares=2, saves=3)  # day 1's last
        s(self.p1, X, at(3, 10), views=200, likes=20, comments=4, shares=5, saves=6)
        s(self.p1, TIKTOK, at(2, 10), views=1000, likes=50, comments=5, shares=5, saves=None)
        s(self.p1, TIKTOK, at(3, 10), views=1500, likes=80, comments=6, shares=9, saves=None)
        s(self.p2, INSTAGRAM, at(2, 10), views=300, likes=30, comments=3, shares=1, saves=7)
        s(self.p3, X, at(2, 10), views=999, likes=99, comments=9, shares=9, saves=9)
        with session_scope() as session:
            for n, (hour_day, kind, src) in enumerate(
                [
                    (at(2, 10), "presave", f"p{self.p1}-x"),
                    (at(2, 11), "presave", f"p{self.p1}-tiktok"),
                    (at(2, 12), "click", f"p{self.p1}-x"),
                    (at(3, 9), "presave", None),  # unattributed
                    (at(3, 10), "presave", f"p{self.p2}-instagram"),
                ]
            ):
                record_presave(
                    session, release_id=self.night_drive, event_id=f"e{n}", occurred_at=hour_day, kind=kind, src=src
                )
            import_streams(
                session,
                write_csv(
                    tmp_path / "streams.csv",
                    """
isrc,date,store,country,streams
USS1Z2600001,2026-12-02,Spotify,US,100
USS1Z2600001,2026-12-02,Spotify,DE,50
USS1Z2600001,2026-12-02,Apple Music,US,25
USS1Z2600001,2026-12-04,Spotify,US,70
USS1Z2600002,2026-12-04,Spotify,US,5000
""",
                ),
            )

    def rollup(self) -> None:
        rollup_releases(session_factory(), [self.night_drive, self.afterglow])


COLUMNS = (
    "post_platforms",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "engagements",
    "presaves",
    "clicks",
    "streams",
)


def campaign_rows(release_id: int) -> dict[tuple[date | None, str], tuple[Any, ...]]:
    with session_scope() as session:
        rows = session.scalars(select(ReleaseCampaignRollup).where(ReleaseCampaignRollup.release_id == release_id))
        return {(r.day, r.platform): tuple(getattr(r, c) for c in COLUMNS) for r in rows}


def contributions(release_id: int) -> dict[tuple[int, str], tuple[Any, ...]]:
    with session_scope() as session:
        rows = session.scalars(select(ReleasePostContribution).where(ReleasePostContribution.release_id == release_id))
        return {
            (r.post_id, r.platform): (r.views, r.engagements, r.presaves, r.clicks, round(r.engagement_share or 0, 4))
            for r in rows
        }


@pytest.fixture
def campaign(studio: ReleaseStudio, tmp_path: Path) -> Campaign:
    return Campaign(studio, tmp_path)


def test_campaign_totals_and_daily_series_equal_hand_computed_numbers(campaign: Campaign) -> None:
    campaign.rollup()
    rows = campaign_rows(campaign.night_drive)
    #                      pairs views likes com shares saves eng presaves clicks streams
    assert rows[(None, "x")] == (1, 200, 20, 4, 5, 6, 35, 1, 1, None)
    assert rows[(None, "tiktok")] == (1, 1500, 80, 6, 9, None, 95, 1, 0, None)
    assert rows[(None, "instagram")] == (1, 300, 30, 3, 1, 7, 41, 1, 0, None)
    assert rows[(None, "all")] == (3, 2000, 130, 13, 15, 13, 171, 4, 1, 245)
    # Daily: each post's gain since its previous day's last snapshot, with pre-saves and streams alongside.
    assert rows[(date(2026, 12, 1), "all")] == (1, 120, 12, 1, 2, 3, 18, 0, 0, None)
    assert rows[(date(2026, 12, 2), "all")] == (2, 1300, 80, 8, 6, 7, 101, 2, 1, 175)
    assert rows[(date(2026, 12, 3), "all")] == (2, 580, 38, 4, 7, 3, 52, 2, 0, None)
    assert rows[(date(2026, 12, 4), "all")] == (0, None, None, None, None, None, None, 0, 0, 70)
    assert rows[(date(2026, 12, 3), "x")] == (1, 80, 8, 3, 3, 3, 17, 0, 0, None)
    daily_all = [v for (day, platform), v in rows.items() if day is not None and platform == "all"]
    assert sum(v[6] or 0 for v in daily_all) == rows[(None, "all")][6]  # the gains add up to the total

    assert contributions(campaign.night_drive) == {
        (campaign.p1, "x"): (200, 35, 1, 1, round(35 / 171, 4)),
        (campaign.p1, "tiktok"): (1500, 95, 1, 0, round(95 / 171, 4)),
        (campaign.p2, "instagram"): (300, 41, 1, 0, round(41 / 171, 4)),
    }
    assert campaign_rows(campaign.afterglow)[(None, "all")] == (1, 999, 99, 9, 9, 9, 126, 0, 0, 5000)


def test_a_post_moved_to_another_release_moves_its_numbers(campaign: Campaign) -> None:
    campaign.rollup()
    with session_scope() as session:
        tag_posts(session, campaign.afterglow, [campaign.p1])  # a published post: the tag is ours to change
    campaign.rollup()

    night_drive, afterglow = campaign_rows(campaign.night_drive), campaign_rows(campaign.afterglow)
    assert night_drive[(None, "all")] == (1, 300, 30, 3, 1, 7, 41, 4, 1, 245)
    # Pre-saves through P1's TikTok link still count for Night Drive's TikTok row; its engagement is gone.
    assert night_drive[(None, "tiktok")] == (0, None, None, None, None, None, None, 1, 0, None)
    assert afterglow[(None, "x")] == (2, 1199, 119, 13, 14, 15, 161, 0, 0, None)
    assert afterglow[(None, "tiktok")] == (1, 1500, 80, 6, 9, None, 95, 0, 0, None)
    # P1's pre-saves were for Night Drive's link: they stay there, no longer credited to the moved post.
    assert set(contributions(campaign.night_drive)) == {(campaign.p2, "instagram")}
    assert set(contributions(campaign.afterglow)) == {(campaign.p1, "x"), (campaign.p1, "tiktok"), (campaign.p3, "x")}


def test_a_soft_deleted_post_drops_out_of_totals_series_and_contributions(campaign: Campaign) -> None:
    with session_scope() as session:
        delete_posts(session, [campaign.p2], now=at(4))
    campaign.rollup()

    rows = campaign_rows(campaign.night_drive)
    assert rows[(None, "all")][:7] == (2, 1700, 100, 10, 14, 6, 130)
    assert rows[(date(2026, 12, 2), "all")][:2] == (1, 1000)
    assert rows.get((date(2026, 12, 2), "instagram")) is None
    assert set(contributions(campaign.night_drive)) == {(campaign.p1, "x"), (campaign.p1, "tiktok")}


def test_rerunning_a_rollup_replaces_its_rows_and_leaves_other_releases_alone(campaign: Campaign) -> None:
    campaign.rollup()
    before = (campaign_rows(campaign.night_drive), campaign_rows(campaign.afterglow))
    rollup_releases(session_factory(), [campaign.night_drive])
    rollup_releases(session_factory(), [campaign.night_drive])
    assert (campaign_rows(campaign.night_drive), campaign_rows(campaign.afterglow)) == before
    with session_scope() as session:
        count = len(session.scalars(select(ReleaseCampaignRollup.id)).all())
    assert count == len(before[0]) + len(before[1])


def test_rows_copied_in_many_small_slices_are_the_same_rows(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign.rollup()
    whole = [(campaign_rows(r), contributions(r)) for r in (campaign.night_drive, campaign.afterglow)]
    monkeypatch.setattr(rollup, "COPY_SLICE_ROWS", 2)  # PostgreSQL: every few rows a slice of CSV of its own
    campaign.rollup()
    assert [(campaign_rows(r), contributions(r)) for r in (campaign.night_drive, campaign.afterglow)] == whole


def reference_rollup(release_ids: list[int]) -> tuple[dict[Any, tuple[Any, ...]], dict[Any, tuple[Any, ...]]]:
    """The documented rules computed in plain Python from post_metrics_daily: (per release, day and platform:
    pairs and gains; per release, post and platform: the latest snapshot's counts)."""
    names = ("views", "likes", "comments", "shares", "saves")
    with session_scope() as session:
        rows = session.execute(
            text(f"SELECT release_id, post_id, platform, day, {', '.join(names)} FROM post_metrics_daily")
        ).all()
    pairs: dict[tuple[int, int, str], list[Any]] = {}
    for row in sorted(rows, key=lambda r: (r.post_id, r.platform, str(r.day))):
        if row.release_id in release_ids:
            pairs.setdefault((row.release_id, row.post_id, row.platform), []).append(row)
    daily: dict[tuple[int, date, str], list[Any]] = {}
    latest = {}
    for (release_id, post_id, platform), days in pairs.items():
        previous: tuple[Any, ...] = (None,) * len(names)
        for row in days:
            counts = tuple(getattr(row, n) for n in names)
            gains = [None if c is None else c - (p or 0) for c, p in zip(counts, previous, strict=True)]
            day = row.day if isinstance(row.day, date) else date.fromisoformat(row.day)
            for key in ((release_id, day, platform), (release_id, day, "all")):
                daily.setdefault(key, []).append(gains)
            previous = counts
        latest[(release_id, post_id, platform)] = previous

    def total(values: list[Any]) -> Any:
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    return {k: (len(g), *(total(list(c)) for c in zip(*g, strict=True))) for k, g in daily.items()}, latest


def computed_rollup(
    release_ids: list[int], **options: Any
) -> tuple[dict[Any, tuple[Any, ...]], dict[Any, tuple[Any, ...]]]:
    names = ["post_platforms", "views", "likes", "comments", "shares", "saves"]
    with session_scope() as session:
        rollups = compute_rollups(session, release_ids, **options)
    days = rollups.campaign[rollups.campaign["day"].notna()]
    daily = {(r["release_id"], r["day"], r["platform"]): tuple(r[n] for n in names) for r in _records(days)}
    latest = {
        (r["release_id"], r["post_id"], r["platform"]): tuple(r[n] for n in names[1:])
        for r in _records(rollups.contributions)
    }
    return daily, latest


def untidy_snapshots(studio: ReleaseStudio) -> tuple[list[int], int]:
    """Several snapshots a day, two at the same moment from different sources, counts that go missing and
    come back, skipped days, an untagged and a deleted post, and a second release."""
    night_drive, afterglow = studio.release("Night Drive"), studio.release("Afterglow")
    p1, p2 = studio.post(night_drive, [X, TIKTOK]), studio.post(night_drive, [INSTAGRAM])
    untagged, deleted, other = studio.post(None, [X]), studio.post(night_drive, [X]), studio.post(afterglow, [X])
    s = studio.snapshot
    s(p1, X, at(1, 8), views=10, likes=1, comments=0, shares=0, saves=0)
    s(p1, X, at(1, 20), views=30, likes=None, comments=2, shares=1, saves=0)  # the day's last: likes unknown
    s(p1, X, at(1, 12), views=20, likes=2, comments=1, shares=0, saves=0)
    s(p1, X, at(3, 9), views=50, likes=5, comments=3, shares=1, saves=1)  # day 2 skipped
    s(p1, X, at(4, 9), views=60, likes=6, comments=3, shares=2, saves=1, source=MetricSource.NIGHTLY)
    s(p1, X, at(4, 9), views=65, likes=7, comments=3, shares=2, saves=2, source=MetricSource.MANUAL)  # later id
    s(p1, TIKTOK, at(2, 23), views=100, likes=10, comments=1, shares=1, saves=None)
    s(p1, TIKTOK, at(3, 1), views=90, likes=11, comments=1, shares=1, saves=None)  # views shrank
    s(p2, INSTAGRAM, at(1, 10), views=None, likes=3, comments=None, shares=None, saves=1)
    s(p2, INSTAGRAM, at(2, 10), views=None, likes=4, comments=None, shares=None, saves=3)
    s(untagged, X, at(2, 10), views=1000, likes=100, comments=10, shares=10, saves=10)
    s(deleted, X, at(2, 10), views=2000, likes=200, comments=20, shares=20, saves=20)
    s(other, X, at(2, 10), views=7, likes=1, comments=0, shares=0, saves=0)
    s(other, X, at(3, 10), views=9, likes=1, comments=1, shares=0, saves=0)
    with session_scope() as session:
        delete_posts(session, [deleted], now=at(5))
    return [night_drive, afterglow], p1


def test_daily_gains_and_latest_snapshots_follow_the_daily_view(studio: ReleaseStudio) -> None:
    release_ids, p1 = untidy_snapshots(studio)
    expected_daily, expected_latest = reference_rollup(release_ids)
    # The rules as a person reads them: the day's last snapshot (by time, then by row), gains since the
    # previous day with one, a missing count is no gain.
    assert expected_daily[(release_ids[0], date(2026, 12, 1), "x")] == (1, 30, None, 2, 1, 0)
    assert expected_daily[(release_ids[0], date(2026, 12, 3), "x")] == (1, 20, 5, 1, 0, 1)
    assert expected_latest[(release_ids[0], p1, "x")] == (65, 7, 3, 2, 2)
    assert computed_rollup(release_ids) == (expected_daily, expected_latest)


def test_a_big_batch_split_by_post_over_connections_gives_the_same_rollup(
    studio: ReleaseStudio, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_ids, _ = untidy_snapshots(studio)
    rollup_releases(session_factory(), release_ids)
    whole = [(campaign_rows(r), contributions(r)) for r in release_ids]

    monkeypatch.setattr(rollup, "POST_FILTER_LIMIT", 0)  # every batch counts as big: split by post id
    assert computed_rollup(release_ids, connections=3) == reference_rollup(release_ids)
    rollup_releases(session_factory(), release_ids)
    assert [(campaign_rows(r), contributions(r)) for r in release_ids] == whole
