"""Follow-up pulls through the sensor: +60 s and +24 h happen once each, refresh requests are served and
marked handled, and several posts share one run."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select

from azmth_pipelines.assets.metrics import metrics_followup_job, metrics_followup_sensor
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import MetricsRefreshRequest, SocialPostMetrics
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.metrics.conftest import MetricsStudio


class SensorDriver:
    """Evaluates the sensor as the daemon would (cursor carried between ticks) and runs what it requests."""

    def __init__(self, database_url: str) -> None:
        self.instance = dg.DagsterInstance.ephemeral()
        self.resources = code_location_resources(DatabaseResource(url=database_url))
        self.cursor: str | None = None
        self.run_keys: list[str] = []

    def tick(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"database": self.resources["database"]}
        )
        result = metrics_followup_sensor(context)
        self.cursor = context.cursor
        return [] if isinstance(result, dg.SkipReason) else list(result)

    def tick_and_run(self) -> list[dg.RunRequest]:
        requests = self.tick()
        for request in requests:
            self.run_keys.append(request.run_key or "")
            outcome = metrics_followup_job.execute_in_process(
                run_config=request.run_config, instance=self.instance, resources=self.resources
            )
            assert outcome.success
        return requests


def _sources(post_id: int) -> list[tuple[Platform, MetricSource]]:
    with session_scope() as session:
        rows = session.execute(
            select(SocialPostMetrics.platform, SocialPostMetrics.source).where(SocialPostMetrics.post_id == post_id)
        ).all()
    return sorted((Platform(r.platform), MetricSource(r.source)) for r in rows)


@pytest.fixture
def driver(database_url: str) -> SensorDriver:
    return SensorDriver(database_url)


def test_post_is_pulled_once_at_60_seconds_and_once_at_24_hours(connected: MetricsStudio, driver: SensorDriver) -> None:
    just_now = connected.publish(Platform.X, Platform.THREADS, published_at=datetime.now(UTC) - timedelta(seconds=5))
    assert driver.tick_and_run() == []  # not 60 s old yet

    connected.set_published_at(just_now, datetime.now(UTC) - timedelta(seconds=61))
    [first] = driver.tick_and_run()
    assert _sources(just_now) == [(Platform.THREADS, MetricSource.ON_PUBLISH), (Platform.X, MetricSource.ON_PUBLISH)]
    assert driver.tick_and_run() == []  # already pulled: nothing more
    assert SensorDriver(connected.database_url).tick() == []  # a fresh cursor agrees: the database decides

    connected.sandbox.advance_clock(3600)
    connected.set_published_at(just_now, datetime.now(UTC) - timedelta(hours=24, seconds=1))
    [second] = driver.tick_and_run()
    assert driver.tick_and_run() == []

    assert _sources(just_now) == [
        (Platform.THREADS, MetricSource.DAY1),
        (Platform.THREADS, MetricSource.ON_PUBLISH),
        (Platform.X, MetricSource.DAY1),
        (Platform.X, MetricSource.ON_PUBLISH),
    ]
    assert first.run_key != second.run_key
    runs = driver.instance.get_runs()
    assert len(runs) == 2
    observations = driver.instance.fetch_observations(dg.AssetKey("social_post_metrics"), limit=10).records
    assert sorted(o.asset_observation.metadata["source"].value for o in observations) == ["day1", "on_publish"]


def test_a_requested_pull_is_not_requested_again_while_its_run_is_pending(
    connected: MetricsStudio, driver: SensorDriver
) -> None:
    connected.publish(Platform.X, published_at=datetime.now(UTC) - timedelta(seconds=90))

    assert len(driver.tick()) == 1  # requested, run not started yet
    assert driver.tick() == []


def test_several_due_posts_share_one_run(connected: MetricsStudio, driver: SensorDriver) -> None:
    posts = [connected.publish(Platform.X, published_at=datetime.now(UTC) - timedelta(minutes=2)) for _ in range(5)]

    [request] = driver.tick_and_run()

    assert request.tags["azmth/followups"] == "5"
    assert all(_sources(p) == [(Platform.X, MetricSource.ON_PUBLISH)] for p in posts)


def test_refresh_request_is_served_and_marked_handled(connected: MetricsStudio, driver: SensorDriver) -> None:
    old = connected.publish(Platform.THREADS, published_at=datetime.now(UTC) - timedelta(days=10))
    with session_scope() as session:
        request = MetricsRefreshRequest(post_id=old)
        session.add(request)
        session.flush()
        request_id = request.id

    [run] = driver.tick_and_run()

    assert run.tags["azmth/refreshes"] == "1"
    assert _sources(old) == [(Platform.THREADS, MetricSource.MANUAL)]
    with session_scope() as session:
        assert session.get(MetricsRefreshRequest, request_id).handled_at is not None  # type: ignore[union-attr]
    assert driver.tick_and_run() == []


def test_deleted_post_gets_no_follow_up(connected: MetricsStudio, driver: SensorDriver) -> None:
    from azmth_pipelines.db.models import ContentPost
    from azmth_pipelines.db.types import utcnow

    post_id = connected.publish(Platform.X, published_at=datetime.now(UTC) - timedelta(minutes=2))
    with session_scope() as session:
        session.get(ContentPost, post_id).deleted_at = utcnow()  # type: ignore[union-attr]

    assert driver.tick() == []
