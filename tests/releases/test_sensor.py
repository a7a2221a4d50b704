"""The release_rollup sensor adds a partition per release and asks for roll-ups when a release's inputs
change; the asset then writes the tables, one partition or a batch of them in one run."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import delete, func, select

from azmth_pipelines.assets import releases as release_assets
from azmth_pipelines.assets.releases import release_rollup, release_rollup_sensor, release_rollup_weekly_full_schedule
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ReleaseCampaignRollup, SocialPostMetrics
from azmth_pipelines.domain.lifecycle import delete_posts
from azmth_pipelines.domain.releases import tag_posts
from azmth_pipelines.releases.presaves import record_presave
from azmth_pipelines.releases.streams import import_streams
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import Platform
from tests.releases.conftest import ReleaseStudio, at, write_csv


class Ticks:
    """Sensor evaluations against one test instance, carrying the cursor and applying partition requests
    as the daemon would."""

    def __init__(self, database_url: str, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.database_url = database_url
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"database": DatabaseResource(url=self.database_url)},
        )
        result = release_rollup_sensor(context)
        assert isinstance(result, dg.SensorResult)
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        self.cursor = result.cursor
        return result

    def requested(self) -> list[str]:
        return sorted(r.partition_key or "" for r in self.tick().run_requests or [])

    @property
    def partitions(self) -> list[str]:
        return list(self.instance.get_dynamic_partitions("release"))

    def materialize(self, **kwargs: object) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [release_rollup],
            instance=self.instance,
            resources={"database": DatabaseResource(url=self.database_url)},
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def ticks(database_url: str) -> Iterator[Ticks]:
    # A test instance with a reference on disk, which schedule contexts need (an ephemeral one has none).
    with dg.instance_for_test() as instance:
        yield Ticks(database_url, instance)


def total_views(release_id: int) -> int | None:
    with session_scope() as session:
        return session.scalar(
            select(ReleaseCampaignRollup.views).where(
                ReleaseCampaignRollup.release_id == release_id,
                ReleaseCampaignRollup.day.is_(None),
                ReleaseCampaignRollup.platform == "all",
            )
        )


def rollup_rows(release_id: int) -> int:
    with session_scope() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ReleaseCampaignRollup)
                .where(ReleaseCampaignRollup.release_id == release_id)
            )
            or 0
        )


def test_sensor_adds_a_partition_per_release_and_requests_rollups_when_inputs_change(
    studio: ReleaseStudio, ticks: Ticks, tmp_path: Path
) -> None:
    nd, ag = studio.release("Night Drive"), studio.release("Afterglow")
    p1 = studio.post(nd, [Platform.X])
    p2 = studio.post(ag, [Platform.X])

    assert ticks.requested() == [str(nd), str(ag)]  # new releases: a partition and a first roll-up each
    assert ticks.partitions == [str(nd), str(ag)]
    assert ticks.requested() == []  # nothing changed since

    studio.snapshot(p1, Platform.X, at(2), views=10, likes=1)
    assert ticks.requested() == [str(nd)]  # a new snapshot of one of its posts
    result = ticks.materialize(partition_key=str(nd))
    assert result.success and rollup_rows(nd) > 0

    with session_scope() as session:
        record_presave(session, release_id=ag, event_id="e1", occurred_at=at(3), src=f"p{p2}-x")
    assert ticks.requested() == [str(ag)]

    _import_streams(tmp_path, "USS1Z2600002")  # Afterglow's ISRC
    assert ticks.requested() == [str(ag)]

    with session_scope() as session:
        tag_posts(session, ag, [p1])  # moved: both the old and the new release change
    assert ticks.requested() == [str(nd), str(ag)]
    ticks.materialize(partition_key=str(nd))
    ticks.materialize(partition_key=str(ag))

    with session_scope() as session:
        delete_posts(session, [p1], now=at(4))  # it sits in Afterglow's stored roll-up
    assert ticks.requested() == [str(ag)]

    third = studio.release("Third")
    assert ticks.requested() == [str(third)]
    assert ticks.partitions == [str(nd), str(ag), str(third)]


def _import_streams(tmp_path: Path, isrc: str) -> None:
    with session_scope() as session:
        import_streams(
            session,
            write_csv(tmp_path / "streams.csv", f"isrc,date,store,country,streams\n{isrc},2026-12-02,Spotify,US,9\n"),
        )


def test_many_stale_releases_are_rolled_up_in_one_run_over_a_partition_range(
    studio: ReleaseStudio, ticks: Ticks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_assets, "SINGLE_RUN_ABOVE", 2)
    releases = [studio.release(f"R{n}") for n in range(4)]
    for release in releases:
        studio.snapshot(studio.post(release, [Platform.X]), Platform.X, at(2), views=5)

    [request] = ticks.tick().run_requests or []
    assert request.partition_key_range == dg.PartitionKeyRange(str(releases[0]), str(releases[-1]))
    result = ticks.materialize(tags=request.tags)

    assert result.success
    materializations = [  # one run, every partition
        m
        for m in result.asset_materializations_for_node("release_rollup")
        if m.asset_key == dg.AssetKey("release_rollup")
    ]
    assert sorted(m.partition or "" for m in materializations) == sorted(str(r) for r in releases)
    assert materializations[0].metadata["releases"].value == 4
    assert all(rollup_rows(r) > 0 for r in releases)


def test_the_weekly_full_run_recomputes_every_release_from_what_the_marks_cannot_see(
    studio: ReleaseStudio, ticks: Ticks
) -> None:
    nd, ag = studio.release("Night Drive"), studio.release("Afterglow")
    p1, p2 = studio.post(nd, [Platform.X]), studio.post(ag, [Platform.X])
    studio.snapshot(p1, Platform.X, at(2), views=10)
    studio.snapshot(p1, Platform.X, at(3), views=30)
    studio.snapshot(p2, Platform.X, at(2), views=7)
    ticks.tick()
    assert ticks.materialize(tags=_range(nd, ag)).success
    assert total_views(nd) == 30
    # A snapshot row deleted by hand: no id above the marks, so the sensor's roll-up sees no change.
    with session_scope() as session:
        session.execute(delete(SocialPostMetrics).where(SocialPostMetrics.post_id == p1, SocialPostMetrics.views == 30))
    assert ticks.requested() == []
    assert ticks.materialize(tags=_range(nd, ag)).success
    assert total_views(nd) == 30  # stale

    context = dg.build_schedule_context(
        instance=ticks.instance, scheduled_execution_time=at(6).replace(hour=5, minute=0)
    )
    request = release_rollup_weekly_full_schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key_range == dg.PartitionKeyRange(str(nd), str(ag))
    result = ticks.materialize(tags=request.tags, run_config=request.run_config)

    assert result.success
    assert total_views(nd) == 10 and total_views(ag) == 7
    [materialization, *_] = result.asset_materializations_for_node("release_rollup")
    assert materialization.metadata["recomputed_every_day"].value == 2


def test_the_weekly_full_run_skips_before_any_release_exists(ticks: Ticks) -> None:
    context = dg.build_schedule_context(instance=ticks.instance)
    assert isinstance(release_rollup_weekly_full_schedule(context), dg.SkipReason)


def _range(first: int, last: int) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}
