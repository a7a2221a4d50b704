"""What the data team reads in the Dagster UI: every job, schedule, sensor and column says what it is, every one
names its owner, roll-up runs show a job name, and the names the README tells ops to click on exist."""

import re
from pathlib import Path

import dagster as dg

from azmth_pipelines.definitions import defs
from azmth_pipelines.owners import DATA_TEAM, OWNER_TAGS

README = Path(__file__).resolve().parents[1] / "README.md"
REPOSITORY = defs.get_repository_def()
# Dagster's implicit job for materializing assets from the UI: no definition of ours to describe.
IMPLICIT_JOB = "__ASSET_JOB"
JOBS = [job for job in REPOSITORY.get_all_jobs() if job.name != IMPLICIT_JOB]


def test_every_job_schedule_and_sensor_says_what_it_does() -> None:
    described = [*JOBS, *REPOSITORY.schedule_defs, *REPOSITORY.sensor_defs]
    assert [d.name for d in described if not (d.description or "").strip()] == []


def test_every_column_of_every_table_is_described() -> None:
    graph = defs.resolve_asset_graph()
    undescribed = []
    for key in graph.get_all_asset_keys():
        schema = graph.get(key).metadata.get("dagster/column_schema")
        assert isinstance(schema, dg.TableSchema), f"{key.to_user_string()} has no column schema"
        undescribed += [f"{key.to_user_string()}.{c.name}" for c in schema.columns if not (c.description or "").strip()]
    assert undescribed == []


def test_schedules_and_sensors_name_their_owner() -> None:
    # Their `owners` parameter is beta in Dagster 1.13, so the owner is a tag (metadata on the nightly schedule, whose
    # tags Dagster only stamps on runs).
    for definition in [*REPOSITORY.schedule_defs, *REPOSITORY.sensor_defs]:
        owner = definition.tags.get("azmth/owner") or getattr(definition.metadata.get("azmth/owner"), "text", None)
        assert owner == DATA_TEAM, definition.name


def test_jobs_stamp_their_owner_on_every_run() -> None:
    for job in JOBS:
        assert OWNER_TAGS.items() <= job.tags.items(), job.name


def test_rollup_runs_show_the_rollup_job_not_the_implicit_asset_job() -> None:
    sensor = REPOSITORY.get_sensor_def("release_rollup_sensor")
    assert sensor.job_name == "release_rollup_job"
    assert {dg.AssetKey("release_rollup"), dg.AssetKey("release_post_contribution")} <= set(
        REPOSITORY.get_job("release_rollup_job").asset_layer.executable_asset_keys
    )


def test_every_job_schedule_and_sensor_the_readme_names_exists() -> None:
    named = set(re.findall(r"`([a-z0-9_]+_(?:job|schedule|sensor))`", README.read_text()))
    defined = {d.name for d in [*JOBS, *REPOSITORY.schedule_defs, *REPOSITORY.sensor_defs]}
    assert named, "the README names no job, schedule or sensor"
    assert named - defined == set()
