"""Which publish runs are ops re-runs, judged on the runs Dagster itself makes: the UI's GraphQL API launching and
re-executing them, and the run-retry daemon relaunching a run whose worker crashed (deploy/dagster.yaml)."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.auto_run_reexecution.auto_run_reexecution import consume_new_runs_for_automatic_reexecution
from dagster_graphql.test.utils import execute_dagster_graphql
from sqlalchemy import update

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.ops.publish import SCHEDULED, TRIGGER_TAG, is_manual
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.publishing.state import PlatformEntry, PlatformState
from azmth_pipelines.publishing.windows import WINDOW, partition_key
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio

LOCATION = "azmth_pipelines"
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
REEXECUTE = """mutation($params: ReexecutionParams!) { launchRunReexecution(reexecutionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


@dataclass
class Deployment:
    """The code location behind Dagster's webserver and daemon, in process; runs are queued, never executed."""

    workspace: WorkspaceProcessContext

    def launch(self, tags: dict[str, str]) -> dg.DagsterRun:
        """A publish run of T0's window, launched as the UI (or, tagged, the schedule) launches it."""
        selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": "publish_job"}
        tags = {"dagster/partition": partition_key(T0), **tags}
        params = {
            "selector": selector,
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        return self._run(self._graphql(LAUNCH, params)["launchRun"])

    def crash(self, run: dg.DagsterRun) -> None:
        """Its run worker is lost, as run monitoring reports it."""
        failure = JobFailureData(error=None, failure_reason=RunFailureReason.RUN_WORKER_RESTART)
        self.workspace.instance.report_run_failed(run, "run worker lost", failure)

    def automatic_retry(self, run: dg.DagsterRun) -> dg.DagsterRun:
        """What the run-retry daemon launches for a run that failed."""
        instance = self.workspace.instance
        record = instance.get_run_record_by_id(run.run_id)
        assert record is not None
        list(consume_new_runs_for_automatic_reexecution(self.workspace, [record], logging.getLogger(__name__)))
        retried = instance.get_run_by_id(run.run_id)
        assert retried is not None and "dagster/auto_retry_run_id" in retried.tags, "the daemon did not retry it"
        return self._stored(retried.tags["dagster/auto_retry_run_id"])

    def reexecute(self, run: dg.DagsterRun) -> dg.DagsterRun:
        """ "Re-execute from failure" in the UI."""
        params = {"parentRunId": run.run_id, "strategy": "FROM_FAILURE"}
        return self._run(self._graphql(REEXECUTE, params)["launchRunReexecution"])

    def _graphql(self, query: str, params: dict[str, Any]) -> dict[str, Any]:
        result = execute_dagster_graphql(self.workspace.create_request_context(), query, {"params": params})
        assert not result.errors, result.errors
        return result.data

    def _run(self, launched: dict[str, Any]) -> dg.DagsterRun:
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return self._stored(launched["run"]["runId"])

    def _stored(self, run_id: str) -> dg.DagsterRun:
        run = self.workspace.instance.get_run_by_id(run_id)
        assert run is not None
        return run


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    overrides = {
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"},
        # As deploy/dagster.yaml: one retry, for crashed run workers only.
        "run_retries": {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False},
    }
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="azmth_pipelines.definitions"), location_name=LOCATION
    )
    with (
        instance_for_test(overrides=overrides) as instance,
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
    ):
        yield Deployment(workspace)


def _manual(run: dg.DagsterRun) -> bool:
    return is_manual(dg.build_op_context(run_tags=run.tags))


def test_only_a_person_launching_or_re_executing_a_run_makes_it_an_ops_rerun(deployment: Deployment) -> None:
    scheduled = deployment.launch({TRIGGER_TAG: SCHEDULED})
    deployment.crash(scheduled)
    automatic_retry = deployment.automatic_retry(scheduled)
    deployment.crash(automatic_retry)

    assert not _manual(scheduled)
    assert not _manual(automatic_retry)
    assert _manual(deployment.launch({}))
    assert _manual(deployment.reexecute(scheduled))
    assert _manual(deployment.reexecute(automatic_retry))


def test_dagster_retrying_a_crashed_run_leaves_unconfirmed_platforms_and_retry_times_alone(
    studio: Studio, deployment: Deployment
) -> None:
    """An unconfirmed publication may be live and only a person may try it again; a retry waits for its time."""
    post_id = studio.post(["x", "threads"])
    unconfirmed = PlatformEntry(state=PlatformState.UNCONFIRMED, attempts=1)
    retrying = PlatformEntry(state=PlatformState.RETRYING, attempts=1, next_retry_at=AFTER_T0 + WINDOW)
    with session_scope() as session:
        session.execute(
            update(ContentPost)
            .where(ContentPost.id == post_id)
            .values(per_platform={"x": unconfirmed.to_json(), "threads": retrying.to_json()})
        )
    crashed = deployment.launch({TRIGGER_TAG: SCHEDULED})
    deployment.crash(crashed)
    automatic_retry = deployment.automatic_retry(crashed)

    _execute_with_tags_of(studio, automatic_retry)

    per_platform = studio.per_platform(post_id)
    assert (per_platform["x"]["state"], per_platform["x"]["attempts"]) == ("unconfirmed", 1)
    assert (per_platform["threads"]["state"], per_platform["threads"]["attempts"]) == ("retrying", 1)
    assert studio.published(Platform.X) == [] and studio.published(Platform.THREADS) == []


def _execute_with_tags_of(studio: Studio, run: dg.DagsterRun) -> None:
    """Execute `run`'s publish job in process (the test's database and sandbox), as tagged as `run`."""
    from azmth_pipelines.definitions import defs

    defs.resolve_job_def("publish_job").execute_in_process(
        partition_key=run.tags["dagster/partition"],
        instance=studio.instance,
        tags=run.tags,
        run_config=publish_config(AFTER_T0),
        raise_on_error=False,
    )
