"""An incremental roll-up (from the earliest day whose inputs changed since the release's last roll-up) stores
exactly the rows a full recompute stores, through nights of snapshots, late snapshots for old days, deleted,
restored, moved and untagged posts, pre-saves and streams for old days and a new ISRC; and it really recomputes
only from that day."""

import json
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from azmth_pipelines.assets.releases import release_rollup
from azmth_pipelines.cli.main import app
from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.db.models import ReleaseCampaignRollup, ReleaseRollupMark, SocialPostMetrics
from azmth_pipelines.domain.lifecycle import delete_posts, restore_posts
from azmth_pipelines.domain.releases import tag_posts, update_release
from azmth_pipelines.releases import rollup
from azmth_pipelines.releases.presaves import record_presave
from azmth_pipelines.releases.rollup import NO_DAYS, RollupReport, rollup_releases, write_rollups
from azmth_pipelines.releases.streams import import_streams
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.releases.conftest import ReleaseStudio, at, write_csv

X, TIKTOK, INSTAGRAM, THREADS = Platform.X, Platform.TIKTOK, Platform.INSTAGRAM, Platform.THREADS
CAMPAIGN_KEYS = ["release_id", "day", "platform"]
CONTRIBUTION_KEYS = ["release_id", "post_id", "platform"]


def stored_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables as frames in key order, without the row ids and computed_at (they differ by design)."""
    with session_scope() as session:
        return _tables(session)


def _tables(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = []
    for table, keys in (("release_campaign_rollup", CAMPAIGN_KEYS), ("release_post_contribution", CONTRIBUTION_KEYS)):
        result = session.execute(text(f"SELECT * FROM {table}"))
        frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys())).drop(
            columns=["id", "computed_at"]
        )
        if "day" in frame:
            frame["day"] = frame["day"].map(lambda d: None if d is None else str(d))
        frames.append(frame.sort_values(keys, na_position="first").reset_index(drop=True))
    return frames[0], frames[1]


def full_recompute_rows(release_ids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a full recompute of every release stores, read back in its own transaction, then rolled back."""
    sessions = session_factory()
    with sessions() as session:
        report = write_rollups(session, release_ids, full=True)
        assert set(report.recomputed_from.values()) == {None}
        rows = _tables(session)
        session.rollback()
    return rows


class Nights:
    """Three releases: Night Drive (P1 on X and TikTok, P2 on Instagram with days missing, P3 on X, P6 on
    Threads measured two days only), Afterglow (P4 on X, first measured on day 3) and Static (P5 on X)."""

    def __init__(self, studio: ReleaseStudio, tmp_path: Path) -> None:
        self.studio, self.tmp_path = studio, tmp_path
        self.night_drive = studio.release("Night Drive")
        self.afterglow = studio.release("Afterglow")
        self.static = studio.release("Static")
        self.releases = [self.night_drive, self.afterglow, self.static]
        self.p1 = studio.post(self.night_drive, [X, TIKTOK])
        self.p2 = studio.post(self.night_drive, [INSTAGRAM])
        self.p3 = studio.post(self.night_drive, [X])
        self.p4 = studio.post(self.afterglow, [X])
        self.p5 = studio.post(self.static, [X])
        self.p6 = studio.post(self.night_drive, [THREADS])
        self.events = 0

    def night(self, day: int) -> None:
        """The nightly pull of `day` (captured at 03:00 the next day, as the nightly partition does)."""
        s, n = self.studio.snapshot, day
        s(self.p1, X, at(day + 1, 3), views=100 * n, likes=10 * n, comments=n, shares=n // 2, saves=n)
        s(self.p1, TIKTOK, at(day + 1, 3), views=1000 * n, likes=50 * n, comments=2 * n, shares=n, saves=None)
        if day not in (3, 5):  # P2's Instagram reads failed on days 3 and 5
            likes = None if day == 2 else 7 * n  # and day 2's answer had no likes
            s(self.p2, INSTAGRAM, at(day + 1, 3), views=None, likes=likes, comments=n, shares=None, saves=2 * n)
        s(self.p3, X, at(day + 1, 3), views=30 * n, likes=3 * n, comments=0, shares=0, saves=0)
        if day >= 3:
            s(self.p4, X, at(day + 1, 3), views=40 * n, likes=4 * n, comments=n, shares=1, saves=1)
        s(self.p5, X, at(day + 1, 3), views=5 * n, likes=n, comments=0, shares=0, saves=0)
        if day <= 2:
            s(self.p6, THREADS, at(day + 1, 3), views=9 * n, likes=n, comments=n, shares=0, saves=None)

    def presave(self, release_id: int, day: int, src: str | None) -> None:
        self.events += 1
        with session_scope() as session:
            record_presave(session, release_id=release_id, event_id=f"e{self.events}", occurred_at=at(day, 15), src=src)

    def streams(self, name: str, rows: str) -> None:
        with session_scope() as session:
            import_streams(session, write_csv(self.tmp_path / name, "isrc,date,store,country,streams\n" + rows))

    def rollup(self) -> RollupReport:
        report = rollup_releases(session_factory(), self.releases)
        stored, full = stored_rows(), full_recompute_rows(self.releases)
        pd.testing.assert_frame_equal(stored[0], full[0], check_dtype=False)
        pd.testing.assert_frame_equal(stored[1], full[1], check_dtype=False)
        return report


def day(n: int) -> date:
    return date(2026, 12, n)


@pytest.fixture(params=["few posts: by post id", "big batch: by release"])
def nights(
    request: pytest.FixtureRequest, studio: ReleaseStudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Nights:
    if request.param.startswith("big"):
        monkeypatch.setattr(rollup, "POST_FILTER_LIMIT", 0)  # every batch reads its posts by release
        monkeypatch.setattr(rollup, "LOOKBACK_DAYS", 0)  # and probes each pair's row before its from-day
    return Nights(studio, tmp_path)


def test_incremental_rollups_store_what_a_full_recompute_stores_from_the_day_inputs_changed(nights: Nights) -> None:
    a, b, c = nights.night_drive, nights.afterglow, nights.static
    for n in (1, 2, 3):
        nights.night(n)
    nights.presave(a, 2, f"p{nights.p1}-x")
    nights.presave(a, 3, None)
    nights.streams("first.csv", "USS1Z2600001,2026-12-02,Spotify,US,100\nUSS1Z2600002,2026-12-03,Spotify,US,40\n")
    first = nights.rollup()
    assert first.recomputed_from == {a: None, b: None, c: None}  # never rolled up: every day

    nights.night(4)  # captured on day 5
    assert nights.rollup().recomputed_from == {a: day(5), b: day(5), c: day(5)}

    nights.night(5)  # P2 has no day-5 snapshot; P6 stopped on day 2 (its latest comes from the stored row)
    nights.studio.snapshot(nights.p1, X, at(3, 22), views=260, likes=26, comments=2, shares=1, saves=2)  # late
    assert nights.rollup().recomputed_from == {a: day(3), b: day(6), c: day(6)}

    # A late manual read for an old day of one release, nothing else: the others are left as they are.
    nights.studio.snapshot(
        nights.p4, X, at(5, 12), source=MetricSource.MANUAL, views=170, likes=17, comments=4, shares=1, saves=1
    )
    report = nights.rollup()
    assert report.recomputed_from == {b: day(5)} and report.unchanged == 2
    with session_scope() as session:
        kept_days = session.scalars(
            select(ReleaseCampaignRollup.day).where(
                ReleaseCampaignRollup.release_id == b, ReleaseCampaignRollup.day < day(5)
            )
        ).all()
        assert kept_days and report.campaign_rows < len(
            session.scalars(select(ReleaseCampaignRollup.id).where(ReleaseCampaignRollup.release_id == b)).all()
        )

    with session_scope() as session:
        delete_posts(session, [nights.p3], now=at(7))
    assert nights.rollup().recomputed_from == {a: day(2)}  # P3's first snapshot: day 2 (captured 03:00)

    with session_scope() as session:
        tag_posts(session, a, [nights.p4])  # moved from Afterglow to Night Drive
    assert nights.rollup().recomputed_from == {a: day(4), b: day(4)}

    nights.presave(a, 2, f"p{nights.p4}-x")  # a pre-save for an old day, through the moved post's link
    assert nights.rollup().recomputed_from == {a: day(2)}

    nights.streams("late.csv", "USS1Z2600002,2026-12-01,Deezer,FR,7\nUSS1Z2600001,2026-12-04,Spotify,US,120\n")
    assert nights.rollup().recomputed_from == {a: day(4), b: day(1)}

    with session_scope() as session:
        restore_posts(session, [nights.p3], now=at(8))
        tag_posts(session, None, [nights.p6])  # untagged
    assert nights.rollup().recomputed_from == {a: day(2)}

    with session_scope() as session:
        update_release(session, c, isrc="USS1Z2600002")  # Static takes Afterglow's recording
    assert nights.rollup().recomputed_from == {c: day(1)}

    with session_scope() as session:
        tag_posts(session, c, [nights.p1])  # Night Drive's busiest post moves; the tags change, no number
        tag_posts(session, a, [nights.p5])
    assert nights.rollup().recomputed_from == {a: day(2), c: day(2)}

    nights.night(6)  # Afterglow has no post left: nothing new for it
    assert nights.rollup().recomputed_from == {a: day(7), c: day(7)}


def test_a_moved_post_with_only_link_events_rewrites_the_contributions_and_no_day(nights: Nights) -> None:
    a, b = nights.night_drive, nights.afterglow
    nights.night(1)
    lonely = nights.studio.post(a, [X])
    nights.presave(a, 1, f"p{lonely}-x")
    nights.rollup()
    with session_scope() as session:
        tag_posts(session, b, [lonely])
    assert nights.rollup().recomputed_from == {a: NO_DAYS}


def test_a_full_rollup_on_demand_recomputes_every_day_and_marks_it(nights: Nights) -> None:
    for n in (1, 2):
        nights.night(n)
    nights.rollup()
    nights.night(3)
    report = rollup_releases(session_factory(), nights.releases, full=True)
    assert report.recomputed_from == dict.fromkeys(nights.releases) and report.full == 3
    with session_scope() as session:
        marks = session.scalars(select(ReleaseRollupMark)).all()
        assert {m.release_id: m.recomputed_from for m in marks} == dict.fromkeys(nights.releases)
    assert nights.rollup().unchanged == 3


def test_ops_ask_for_a_full_recompute_with_the_cli_flag_or_the_assets_run_config(nights: Nights) -> None:
    nights.night(1)
    result = CliRunner().invoke(app, ["release", "rollup", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["full"] == 3
    nights.night(2)
    result = CliRunner().invoke(app, ["release", "rollup", str(nights.night_drive)])
    assert result.exit_code == 0
    assert result.stdout.startswith("1 release(s): 0 recomputed every day, 1 from a day on, 0 unchanged")
    result = CliRunner().invoke(app, ["release", "rollup", "--full", "--json"])
    assert json.loads(result.stdout)["recomputed_from"] == {str(r): None for r in nights.releases}

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("release", [str(nights.static)])
    resources = {"database": DatabaseResource(url=nights.studio.database_url)}
    for config, counts in (({}, (0, 0, 1)), ({"full": True}, (1, 0, 0))):
        run = dg.materialize(
            [release_rollup],
            instance=instance,
            resources=resources,
            partition_key=str(nights.static),
            run_config={"ops": {"release_rollup": {"config": config}}},
        )
        metadata = run.asset_materializations_for_node("release_rollup")[0].metadata
        names = ("recomputed_every_day", "recomputed_from_a_day", "unchanged")
        assert tuple(metadata[n].value for n in names) == counts


def test_a_rerun_of_an_old_nightly_partition_recomputes_from_the_day_after_it(nights: Nights) -> None:
    """Partition P's nightly rows are captured once P has ended; a re-run deletes them and writes new ones (a
    post the platform no longer answers for gets none), captured when the re-run runs."""
    a, s = nights.night_drive, nights.studio

    def nightly(post_id: int, partition: int, captured: object, views: int) -> None:
        with session_scope() as session:
            session.add(
                SocialPostMetrics(
                    post_id=post_id,
                    platform=X,
                    remote_post_id=f"x-{post_id}",
                    captured_at=captured,
                    source=MetricSource.NIGHTLY,
                    partition_date=day(partition),
                    raw={},
                    views=views,
                    likes=views // 10,
                )
            )

    for partition in (1, 2, 3, 4):
        for post_id in (nights.p1, nights.p3):
            nightly(post_id, partition, at(partition + 1, 2), views=100 * partition + post_id)
    # The newest row is not one the re-run deletes: SQLite would give the next row its id again.
    s.snapshot(nights.p2, INSTAGRAM, at(9, 9), source=MetricSource.MANUAL, likes=5)
    nights.rollup()

    with session_scope() as session:  # the re-run of partition 2, four days later
        session.execute(
            delete(SocialPostMetrics).where(
                SocialPostMetrics.partition_date == day(2), SocialPostMetrics.source == MetricSource.NIGHTLY
            )
        )
    nightly(nights.p1, 2, at(7, 4), views=999)  # P3 got no answer this time
    assert nights.rollup().recomputed_from == {a: day(3)}
