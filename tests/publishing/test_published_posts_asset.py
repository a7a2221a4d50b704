"""Publishing in the asset graph: a window's run materializes its `published_posts` partition, with its platform
posts by platform and state, only once every shard ended without platform trouble; a failed window stays
unmaterialized until a re-run of it completes."""

import dagster as dg

from azmth_pipelines.ops.publish import published_posts
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio


def _materializations(studio: Studio, partition: str) -> list[dict[str, object]]:
    records = studio.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=published_posts.key, asset_partitions=[partition]), limit=10
    ).records
    found = []
    for record in records:
        materialization = record.asset_materialization
        assert materialization is not None
        found.append({name: value.value for name, value in materialization.metadata.items()})
    return found


def test_a_window_that_published_materializes_its_partition_with_its_numbers(studio: Studio) -> None:
    studio.post(["x", "threads"])
    studio.post(["threads"])

    [run] = studio.tick(AFTER_T0, shard_count=2)

    assert run.success
    [numbers] = _materializations(studio, run.partition_key)
    assert numbers["threads_published"] == 2 and numbers["x_published"] == 1
    assert numbers["total_published"] == 3 and numbers["total_failed"] == 0


def test_a_failed_window_stays_unmaterialized_until_its_rerun_completes(studio: Studio) -> None:
    studio.post(["x", "threads"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    [run] = studio.tick(AFTER_T0)
    assert not run.success
    assert _materializations(studio, run.partition_key) == []

    studio.sandbox.clear_faults()
    rerun = studio.rerun(run)

    assert rerun.success
    [numbers] = _materializations(studio, run.partition_key)
    assert numbers["x_published"] == 1 and numbers["x_retrying"] == 0
    assert len(studio.published(Platform.X)) == 1


def test_a_window_with_nothing_to_publish_is_materialized_as_done_with_zeros(studio: Studio) -> None:
    from azmth_pipelines.definitions import defs
    from azmth_pipelines.publishing.windows import partition_key

    empty = partition_key(AFTER_T0)
    result = defs.resolve_job_def("publish_job").execute_in_process(
        partition_key=empty, instance=studio.instance, raise_on_error=False
    )

    assert result.success
    [numbers] = _materializations(studio, empty)
    assert numbers["total_published"] == 0 and set(numbers.values()) == {0}


def test_a_window_run_by_the_tick_can_be_reexecuted_from_failure_as_the_ui_does(studio: Studio) -> None:
    # `azmth publish tick` runs windows in its own process; its runs show in the UI, where ops re-execute a failed
    # one from failure: the steps that succeeded must have left their outputs where that re-execution reads them.
    post_id = studio.post(["x", "threads"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    [run] = studio.tick(AFTER_T0)
    assert not run.success
    studio.sandbox.clear_faults()

    job = dg.build_reconstructable_job("azmth_pipelines.definitions", "publish_job_with_resources")
    rerun = dg.execute_job(
        job,
        instance=studio.instance,
        run_config={"execution": {"config": {"in_process": {}}}},
        tags={"dagster/partition": run.partition_key},
        reexecution_options=dg.ReexecutionOptions.from_failure(run.run_id, studio.instance),
    )

    assert rerun.success
    assert studio.per_platform(post_id)["x"]["state"] == "published"
    assert len(studio.published(Platform.X)) == 1
    [numbers] = _materializations(studio, run.partition_key)
    assert numbers["x_published"] == 1
