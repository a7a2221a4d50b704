"""The asset checks the data team sees on the metrics and roll-up tables: each passes on good data and fails on
the bad data it is about, evaluated in real runs on a real database."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import update

from azmth_pipelines.assets.checks import ACCOUNT_CHECKS, ACCOUNT_POST_CHECKS, ROLLUP_CHECKS, nightly_pull_read_posts
from azmth_pipelines.assets.metrics import (
    account_metrics_snapshot,
    account_post_metrics,
    metrics_nightly_job,
    social_post_metrics,
)
from azmth_pipelines.assets.releases import release_rollup
from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import AccountMetricsSnapshot, ReleaseCampaignRollup, SocialConnection
from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.lifecycle import delete_posts
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.vocabulary import Platform
from tests.metrics.conftest import MetricsStudio
from tests.releases.conftest import ReleaseStudio, at

D = date(2026, 11, 27)


def _nightly(studio: MetricsStudio, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=[social_post_metrics, account_metrics_snapshot, account_post_metrics],
        asset_checks=[nightly_pull_read_posts, *ACCOUNT_CHECKS, *ACCOUNT_POST_CHECKS],
        jobs=[metrics_nightly_job],
        resources=code_location_resources(DatabaseResource(url=studio.database_url)),
    )
    return defs.resolve_job_def("metrics_nightly_job").execute_in_process(
        partition_key=D.isoformat(), instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_good_night_passes_every_check_and_reports_the_partitions_rows(connected: MetricsStudio) -> None:
    connected.publish(Platform.X, Platform.TIKTOK, published_at=datetime(2026, 11, 26, 12, tzinfo=UTC))
    served_before = sum(connected.sandbox.requests_served().values())

    result = _nightly(connected)

    assert result.success
    checks = _checks(result)
    assert {"nightly_pull_read_posts", "account_counts_not_negative", "one_snapshot_per_connection_and_day"} <= set(
        checks
    )
    assert {check.check_key.name for check in ACCOUNT_POST_CHECKS} <= set(checks)
    failed = {name: e.metadata for name, e in checks.items() if not e.passed}
    assert failed == {}
    assert checks["nightly_pull_read_posts"].metadata["partition"].value == D.isoformat()
    [posts] = result.asset_materializations_for_node("social_post_metrics")
    assert posts.metadata["dagster/row_count"].value == 2 == posts.metadata["rows_written"].value
    assert posts.metadata["targets"].value == 2 and posts.metadata["problems"].value == 0
    # The run's API calls are the requests the platforms served for it, every one counted once.
    [accounts] = result.asset_materializations_for_node("account_metrics_snapshot")
    [account_posts] = result.asset_materializations_for_node("account_post_metrics")
    assert account_posts.metadata["dagster/row_count"].value == 2
    calls = sum(m.metadata["api_calls"].value for m in (posts, accounts, account_posts))
    assert calls == sum(connected.sandbox.requests_served().values()) - served_before > 0


def test_a_nightly_pull_that_read_nothing_while_posts_were_live_fails_the_run(connected: MetricsStudio) -> None:
    connected.publish(Platform.THREADS, published_at=datetime(2026, 11, 26, 12, tzinfo=UTC))
    connected.sandbox.set_fault("threads", "status_5xx", value="503", scope="metrics")

    result = _nightly(connected)

    check = _checks(result)["nightly_pull_read_posts"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["live_posts"].value == 1 and check.metadata["nightly_rows"].value == 0
    [posts] = result.asset_materializations_for_node("social_post_metrics")
    assert posts.metadata["targets"].value == 1 and posts.metadata["problems"].value == 1
    assert not result.success  # blocking: the failed run is what the run-failure alert emails about


def test_a_night_with_nothing_live_reads_nothing_and_passes(connected: MetricsStudio) -> None:
    connected.publish(Platform.THREADS, published_at=datetime(2026, 11, 29, 12, tzinfo=UTC))  # after the night
    connected.sandbox.set_fault("threads", "status_5xx", value="503", scope="metrics")

    assert _checks(_nightly(connected))["nightly_pull_read_posts"].passed


def test_account_checks_fail_on_negative_counts_doubled_days_and_an_unknown_x_tier(connected: MetricsStudio) -> None:
    connected.publish(Platform.X)
    instance = dg.DagsterInstance.ephemeral()
    assert _checks(_nightly(connected, instance))["x_access_tier_recorded"].passed
    with session_scope() as session:
        snapshot = next(s for s in session.query(AccountMetricsSnapshot).all() if s.partition_date == D)
        session.add(
            AccountMetricsSnapshot(
                connection_id=snapshot.connection_id,
                captured_at=snapshot.captured_at + timedelta(seconds=1),  # a second pull of the same day
                partition_date=D,
                followers=-3,
                raw={},
            )
        )
        session.execute(update(SocialConnection).values(x_access_tier=None))

    # The checks alone, as the asset's Checks tab launches them, for the day the nightly run wrote.
    checks_only = dg.define_asset_job("account_checks", selection=dg.AssetSelection.checks(*ACCOUNT_CHECKS))
    defs = dg.Definitions(
        assets=[account_metrics_snapshot],
        asset_checks=ACCOUNT_CHECKS,
        jobs=[checks_only],
        resources=code_location_resources(DatabaseResource(url=connected.database_url)),
    )
    result = defs.resolve_job_def("account_checks").execute_in_process(
        instance=instance, tags={"dagster/partition": D.isoformat()}
    )
    checks = _checks(result)

    assert not checks["account_counts_not_negative"].passed
    assert not checks["one_snapshot_per_connection_and_day"].passed
    x_tier = checks["x_access_tier_recorded"]
    assert not x_tier.passed and x_tier.severity == dg.AssetCheckSeverity.WARN


def test_a_follow_up_observation_reports_rows_written_not_the_tables_row_count(connected: MetricsStudio) -> None:
    from azmth_pipelines.assets.metrics import MetricsFollowUpConfig, metrics_followup_job

    post_id = connected.publish(Platform.X)
    defs = dg.Definitions(
        jobs=[metrics_followup_job], resources=code_location_resources(DatabaseResource(url=connected.database_url))
    )
    result = defs.resolve_job_def("metrics_followup_job").execute_in_process(
        run_config=dg.RunConfig(
            ops={"pull_followup_metrics": MetricsFollowUpConfig(followups=[f"{post_id}:x:on_publish"])}
        ),
        instance=dg.DagsterInstance.ephemeral(),
    )

    [observation] = [e.asset_observation_data.asset_observation for e in result.all_events if e.is_asset_observation]
    assert "dagster/row_count" not in observation.metadata
    assert observation.metadata["rows_written"].value == 1


# --- release roll-ups -----------------------------------------------------------------------------------------


@pytest.fixture
def releases(database_url: str) -> ReleaseStudio:
    with session_scope() as session:
        artist_id = create_artist(session, name="Nova", timezone="Europe/Berlin").id
    return ReleaseStudio(database_url=database_url, artist_id=artist_id)


def _roll_up(
    releases: ReleaseStudio, instance: dg.DagsterInstance, release_id: int
) -> dict[str, dg.AssetCheckEvaluation]:
    """The roll-up of one release as the sensor's runs do it, with the roll-up checks."""
    instance.add_dynamic_partitions("release", [str(release_id)])
    result = dg.materialize(
        [release_rollup, *ROLLUP_CHECKS],
        partition_key=str(release_id),
        instance=instance,
        resources={"database": DatabaseResource(url=releases.database_url)},
    )
    assert result.success
    return _checks(result)


def _checks_alone(releases: ReleaseStudio, instance: dg.DagsterInstance) -> dict[str, dg.AssetCheckEvaluation]:
    """The roll-up checks launched on their own (every release), as from the asset's Checks tab."""
    job = dg.define_asset_job("rollup_checks", selection=dg.AssetSelection.checks(*ROLLUP_CHECKS))
    defs = dg.Definitions(
        assets=[release_rollup],
        asset_checks=ROLLUP_CHECKS,
        jobs=[job],
        resources={"database": DatabaseResource(url=releases.database_url)},
    )
    return _checks(defs.resolve_job_def("rollup_checks").execute_in_process(instance=instance))


def test_rollup_totals_equal_the_analyst_view_and_have_no_orphans(releases: ReleaseStudio) -> None:
    release_id = releases.release()
    first = releases.post(release_id, [Platform.X, Platform.TIKTOK])
    second = releases.post(release_id, [Platform.X])
    releases.snapshot(first, Platform.X, at(2), views=100, likes=5)
    releases.snapshot(first, Platform.X, at(3), views=150, likes=7)  # the latest one counts
    releases.snapshot(first, Platform.TIKTOK, at(3), views=40, likes=2, saves=None)
    releases.snapshot(second, Platform.X, at(3), views=10, likes=1)

    checks = _roll_up(releases, dg.DagsterInstance.ephemeral(), release_id)

    assert checks["totals_match_analyst_views"].passed, checks["totals_match_analyst_views"].metadata
    assert checks["no_orphan_contributions"].passed


def test_rollup_checks_fail_on_a_total_that_drifted_and_on_a_deleted_posts_rows(releases: ReleaseStudio) -> None:
    release_id = releases.release()
    kept = releases.post(release_id, [Platform.X])
    deleted = releases.post(release_id, [Platform.THREADS])
    releases.snapshot(kept, Platform.X, at(2), views=100, likes=5)
    releases.snapshot(deleted, Platform.THREADS, at(2), views=30, likes=3)
    instance = dg.DagsterInstance.ephemeral()
    _roll_up(releases, instance, release_id)

    with session_scope() as session:  # the post goes, and no roll-up has run since
        delete_posts(session, [deleted], now=at(4))
    checks = _checks_alone(releases, instance)
    assert not checks["no_orphan_contributions"].passed
    assert checks["no_orphan_contributions"].metadata["orphan_rows"].value == 1
    assert not checks["totals_match_analyst_views"].passed  # `all` and threads still count the deleted post

    _roll_up(releases, instance, release_id)  # the sensor's next run
    with session_scope() as session:  # a roll-up written wrong
        session.execute(
            update(ReleaseCampaignRollup)
            .where(ReleaseCampaignRollup.day.is_(None), ReleaseCampaignRollup.platform == "x")
            .values(views=99)
        )
    checks = _checks_alone(releases, instance)
    assert checks["no_orphan_contributions"].passed
    drift = checks["totals_match_analyst_views"]
    assert not drift.passed and drift.metadata["mismatches"].value == 1
