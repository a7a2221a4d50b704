"""The Dagster side and what analysts read: the nightly asset's metadata and checks, the 06:00 check,
account snapshots, the SQL views and per-platform freshness."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from sqlalchemy import select, text
from typer.testing import CliRunner

from azmth_pipelines.assets.checks import counts_not_negative, counts_only_grow, no_duplicate_snapshots
from azmth_pipelines.assets.metrics import (
    account_metrics_snapshot,
    account_post_metrics,
    metrics_freshness_job,
    social_post_metrics,
    yesterday_partition_present,
)
from azmth_pipelines.cli.metrics import metrics_app
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import AccountMetricsSnapshot, AccountPostMetrics, SocialConnection, SocialPostMetrics
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.metrics.freshness import post_metrics_freshness
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import MetricSource, Platform
from tests.metrics.conftest import MetricsStudio

D = date(2026, 11, 27)


def _resources(database_url: str) -> dict:
    return code_location_resources(DatabaseResource(url=database_url))


def test_nightly_asset_reports_row_count_schema_and_warns_when_a_count_shrinks(connected: MetricsStudio) -> None:
    post_id = connected.publish(Platform.X, Platform.TIKTOK)
    with session_scope() as session:  # the night before, X reported far more likes than it will now
        session.add(
            SocialPostMetrics(
                post_id=post_id,
                platform=Platform.X,
                remote_post_id="1",
                captured_at=datetime.now(UTC) - timedelta(days=1),
                source=MetricSource.NIGHTLY,
                partition_date=D - timedelta(days=1),
                likes=1_000_000,
                raw={},
            )
        )

    result = dg.materialize(
        [social_post_metrics, counts_not_negative, no_duplicate_snapshots, counts_only_grow],
        partition_key=D.isoformat(),
        resources=_resources(connected.database_url),
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success  # a WARN never fails the run
    [materialization] = result.asset_materializations_for_node("social_post_metrics")
    assert materialization.metadata["dagster/row_count"].value == 2
    schema = social_post_metrics.specs_by_key[social_post_metrics.key].metadata["dagster/column_schema"]
    assert {"views", "likes", "comments", "shares", "saves", "source"} <= {c.name for c in schema.columns}
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["counts_not_negative"].passed and checks["no_duplicate_snapshots"].passed
    shrink = checks["counts_only_grow"]
    assert not shrink.passed and shrink.severity == dg.AssetCheckSeverity.WARN
    assert shrink.metadata["shrunk_counts"].value == 1


def test_yesterdays_partition_check_fails_until_the_partition_is_materialized(connected: MetricsStudio) -> None:
    instance = dg.DagsterInstance.ephemeral()
    defs = dg.Definitions(
        assets=[social_post_metrics],
        asset_checks=[yesterday_partition_present],
        jobs=[metrics_freshness_job],
        resources=_resources(connected.database_url),
    )
    job = defs.resolve_job_def("metrics_freshness_job")

    def evaluation() -> bool:
        run = job.execute_in_process(instance=instance)
        [check] = run.get_asset_check_evaluations()
        return check.passed

    assert evaluation() is False
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    dg.materialize([social_post_metrics], partition_key=yesterday, instance=instance, resources=defs.resources)
    assert evaluation() is True


def test_account_posts_asset_writes_the_day_and_reports_it(connected: MetricsStudio) -> None:
    tiktok_post = connected.publish(Platform.TIKTOK)
    connected.publish(Platform.X)
    resources = _resources(connected.database_url)

    for _ in range(2):  # a re-run replaces the day
        result = dg.materialize([account_post_metrics], partition_key=D.isoformat(), resources=resources)
        assert result.success

    (materialization,) = result.asset_materializations_for_node("account_post_metrics")
    assert materialization.metadata["dagster/row_count"].value == 2
    assert materialization.metadata["targets"].value == 4  # every connected account was listed
    with session_scope() as session:
        rows = session.execute(select(AccountPostMetrics.platform, AccountPostMetrics.post_id)).all()
    assert sorted((Platform(platform), post_id) for platform, post_id in rows) == sorted(
        [(Platform.TIKTOK, tiktok_post), (Platform.X, tiktok_post + 1)]
    )


def test_account_snapshot_reads_every_platform_and_replaces_its_day(connected: MetricsStudio) -> None:
    for _ in range(3):
        connected.publish(Platform.TIKTOK)
    resources = _resources(connected.database_url)

    for _ in range(2):  # a re-run replaces the day
        assert dg.materialize([account_metrics_snapshot], partition_key=D.isoformat(), resources=resources).success

    with session_scope() as session:
        rows = session.execute(
            select(SocialConnection.platform, AccountMetricsSnapshot).join(
                SocialConnection, SocialConnection.id == AccountMetricsSnapshot.connection_id
            )
        ).all()
    by_platform = {Platform(platform): snapshot for platform, snapshot in rows}
    assert len(rows) == 4 and set(by_platform) == set(Platform)
    assert all(s.followers is not None and s.partition_date == D for s in by_platform.values())
    tiktok = by_platform[Platform.TIKTOK]
    assert tiktok.post_count == 3 and tiktok.total_likes is not None
    assert by_platform[Platform.THREADS].following is None  # Threads offers no such number
    assert by_platform[Platform.X].total_likes is None  # X's like_count is likes given, not received


def test_views_give_the_latest_snapshot_and_one_row_per_day(connected: MetricsStudio) -> None:
    post_id = connected.publish(Platform.X)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    captures = [day + timedelta(hours=1), day + timedelta(hours=20), day + timedelta(days=1, hours=3)]
    with session_scope() as session:
        for views, captured_at in enumerate(captures, start=1):
            session.add(
                SocialPostMetrics(
                    post_id=post_id,
                    platform=Platform.X,
                    remote_post_id="1",
                    captured_at=captured_at,
                    source=MetricSource.MANUAL,
                    views=views * 100,
                    raw={},
                )
            )

    with session_scope() as session:
        latest = session.execute(text("select post_id, platform, views, source from post_metrics_latest")).all()
        daily = session.execute(text("select day, views from post_metrics_daily order by day")).all()

    assert [(r.post_id, r.platform, r.views, r.source) for r in latest] == [(post_id, "x", 300, "manual")]
    assert [(str(r.day), r.views) for r in daily] == [("2026-11-20", 200), ("2026-11-21", 300)]


def test_freshness_gives_each_platforms_latest_capture_and_age(connected: MetricsStudio) -> None:
    post_id = connected.publish(Platform.X, Platform.THREADS)
    runner = CliRunner()
    assert runner.invoke(metrics_app, ["refresh", str(post_id)]).exit_code == 0

    with session_scope() as session:
        freshness = post_metrics_freshness(session, post_id, now=datetime.now(UTC) + timedelta(minutes=10))

    assert set(freshness) == {Platform.X, Platform.THREADS}
    for entry in freshness.values():
        assert entry.source is MetricSource.MANUAL
        assert timedelta(minutes=9) < entry.age < timedelta(minutes=11)
    shown = runner.invoke(metrics_app, ["freshness", str(post_id), "--json"])
    assert shown.exit_code == 0 and '"platform": "x"' in shown.output


def test_refreshing_an_unknown_post_says_so(connected: MetricsStudio) -> None:
    result = CliRunner().invoke(metrics_app, ["refresh", "999"])
    assert result.exit_code == 1 and "post 999 not found" in result.output
