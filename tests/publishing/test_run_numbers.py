"""Every publish run carries its numbers: per platform and state as the step's numeric metadata (charted in the UI),
the run's totals as run tags, named as the states the posts show."""

import dagster as dg

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.definitions import defs
from azmth_pipelines.demo import connect_sandbox_accounts
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.posts import create_post
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.owners import OWNER_TAGS
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.sensors import publish_run_failure_sensor, publish_run_totals_sensor
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio


def _shard_metadata(instance: dg.DagsterInstance, run_id: str) -> list[dict[str, dg.MetadataValue]]:
    """The metadata each publish_shard step recorded: on its output, or on its failure."""
    found = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not (event.step_key or "").startswith("publish_shard"):
            continue
        if event.is_successful_output:
            found.append(dict(event.step_output_data.metadata))
        elif event.is_step_failure and event.step_failure_data.user_failure_data is not None:
            found.append(dict(event.step_failure_data.user_failure_data.metadata))
    return found


def _run_tags(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """The run's azmth/ tags that carry numbers: not its trigger, not the owners every job stamps."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    skipped = {"azmth/trigger", *OWNER_TAGS}
    return {key: value for key, value in run.tags.items() if key.startswith("azmth/") and key not in skipped}


def test_a_retrying_platform_is_counted_as_retrying_never_as_failed(studio: Studio) -> None:
    studio.post(["x", "threads"])
    studio.post(["threads"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")

    [run] = studio.tick(AFTER_T0)

    [metadata] = _shard_metadata(studio.instance, run.run_id)
    numbers = {name: value.value for name, value in metadata.items() if isinstance(value, dg.IntMetadataValue)}
    assert numbers["threads_published"] == 2
    assert numbers["x_retrying"] == 1
    assert numbers["x_failed"] == 0 and numbers["x_published"] == 0
    assert numbers["tiktok_sent_to_inbox"] == numbers["instagram_handed_off"] == numbers["x_unconfirmed"] == 0
    assert _run_tags(studio.instance, run.run_id) == {
        "azmth/job": "publish",
        "azmth/published": "2",
        "azmth/sent_to_inbox": "0",
        "azmth/handed_off": "0",
        "azmth/publishing": "0",
        "azmth/retrying": "1",
        "azmth/failed": "0",
        "azmth/unconfirmed": "0",
    }
    # The run fails (platform trouble ops may act on) and says where the posts stand: X is retrying, not failed.
    assert not run.success and run.states == {"published": 2, "retrying": 1}
    assert run.problems == [p for p in run.problems if ": retrying:" in p] and len(run.problems) == 1
    failure = next(
        e.dagster_event.step_failure_data.user_failure_data
        for e in studio.instance.all_logs(run.run_id)
        if e.dagster_event is not None and e.dagster_event.is_step_failure
    )
    assert failure is not None and failure.description is not None
    assert "now stand 2 published, 1 retrying" in failure.description


def _second_artist_posting_on_threads(studio: Studio) -> None:
    """Another artist with a Threads post due at T0: shards split by artist, so a window of two artists can be two."""
    with session_scope() as session:
        other = create_artist(session, name="Vela", timezone="Europe/Berlin")
        connect_sandbox_accounts(
            session,
            artist_id=other.id,
            sandbox=studio.sandbox,
            cipher=TokenCipher.from_settings(),
            platforms=[Platform.THREADS],
        )
        create_post(
            session,
            artist_id=other.id,
            platforms=["threads"],
            body="Tour dates",
            scheduled_for=T0,
            status="scheduled",
            store=studio.store,
        )


def test_a_run_of_several_shards_tags_the_sum_of_its_shards(studio: Studio) -> None:
    _second_artist_posting_on_threads(studio)
    studio.post(["threads", "x"])

    [run] = studio.tick(AFTER_T0, shard_count=2)

    shards = _shard_metadata(studio.instance, run.run_id)
    assert len(shards) == 2
    assert [m["threads_published"].value for m in shards] == [1, 1]
    assert run.success
    tags = _run_tags(studio.instance, run.run_id)
    assert (tags["azmth/published"], tags["azmth/retrying"], tags["azmth/failed"]) == ("3", "0", "0")


def _launched_run(studio: Studio, shard_count: int) -> dg.DagsterRun:
    """A publish run as the daemon launches it: no tick around it to sum its shards."""
    job = defs.resolve_job_def("publish_job")
    result = job.execute_in_process(
        partition_key=partition_key(T0),
        run_config=publish_config(AFTER_T0, shard_count),
        instance=studio.instance,
        raise_on_error=False,
    )
    run = studio.instance.get_run_by_id(result.run_id)
    assert run is not None
    return run


def _run_ended(studio: Studio, run: dg.DagsterRun, kind: dg.DagsterEventType) -> dg.DagsterEvent:
    [record] = studio.instance.get_records_for_run(run.run_id, of_type=kind).records
    assert record.event_log_entry.dagster_event is not None
    return record.event_log_entry.dagster_event


def test_a_launched_run_of_several_shards_is_tagged_with_their_sum_when_it_ends(studio: Studio) -> None:
    # Shards may run in different processes or machines: only the run's end sees them all.
    _second_artist_posting_on_threads(studio)
    studio.post(["threads", "x"])
    studio.post(["threads"])
    run = _launched_run(studio, shard_count=2)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert "azmth/published" not in run.tags

    context = dg.build_run_status_sensor_context(
        sensor_name=publish_run_totals_sensor.name,
        dagster_event=_run_ended(studio, run, dg.DagsterEventType.RUN_SUCCESS),
        dagster_instance=studio.instance,
        dagster_run=run,
    )
    publish_run_totals_sensor(context)

    tags = _run_tags(studio.instance, run.run_id)
    assert (tags["azmth/published"], tags["azmth/retrying"], tags["azmth/failed"]) == ("4", "0", "0")


def test_a_failed_launched_run_is_tagged_with_what_its_failed_and_its_successful_shards_did(studio: Studio) -> None:
    _second_artist_posting_on_threads(studio)
    studio.post(["threads", "x"])
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
    run = _launched_run(studio, shard_count=2)
    assert run.status == dg.DagsterRunStatus.FAILURE

    context = dg.build_run_status_sensor_context(
        sensor_name=publish_run_failure_sensor.name,
        dagster_event=_run_ended(studio, run, dg.DagsterEventType.RUN_FAILURE),
        dagster_instance=studio.instance,
        dagster_run=run,
    ).for_run_failure()
    publish_run_failure_sensor(context)

    tags = _run_tags(studio.instance, run.run_id)
    assert (tags["azmth/published"], tags["azmth/retrying"], tags["azmth/failed"]) == ("2", "1", "0")
