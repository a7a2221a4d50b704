"""The publish_job partitions view tells the truth about every window, however its run was launched: read through the
same GraphQL query the UI's partitions view sends, against this code location loaded as the webserver loads it."""

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster_graphql.test.utils import execute_dagster_graphql
from typer.testing import CliRunner

from azmth_pipelines.cli.main import app
from azmth_pipelines.ops.publish import PARTITION_SET_TAG, PUBLISH_PARTITION_SET, window_run_tags
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, T0, Studio

LOCATION = "azmth_pipelines"
REPOSITORY = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
PARTITION_STATUSES = """query($repository: RepositorySelector!, $name: String!) {
    partitionSetOrError(repositorySelector: $repository, partitionSetName: $name) {
    __typename ... on PartitionSet { partitionStatusesOrError { __typename
        ... on PartitionStatuses { results { partitionName runStatus runId } } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message } } }"""


@dataclasses.dataclass
class Webserver:
    workspace: WorkspaceProcessContext

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = execute_dagster_graphql(self.workspace.create_request_context(), query, variables)
        assert not result.errors, result.errors
        return dict(result.data)

    def window_status(self, key: str) -> tuple[str | None, str | None]:
        """The run status and run id the partitions view shows for window `key`."""
        variables = {"repository": REPOSITORY, "name": PUBLISH_PARTITION_SET}
        statuses = self.graphql(PARTITION_STATUSES, variables)["partitionSetOrError"]
        results = statuses["partitionStatusesOrError"]["results"]
        shown = next(r for r in results if r["partitionName"] == key)
        return shown["runStatus"], shown["runId"]


@pytest.fixture
def webserver() -> Iterator[Webserver]:
    # Runs launched through GraphQL execute at once, in this process: the launch path of the UI and of API clients.
    overrides = {
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"},
        "run_launcher": {
            "module": "dagster._core.launcher.sync_in_memory_run_launcher",
            "class": "SyncInMemoryRunLauncher",
        },
    }
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="azmth_pipelines.definitions"), location_name=LOCATION
    )
    with (
        instance_for_test(overrides=overrides) as instance,
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
    ):
        yield Webserver(workspace)


def test_a_failed_window_shows_failed_and_then_succeeded_once_rerun(studio: Studio, webserver: Webserver) -> None:
    """`azmth publish tick` and the demo run windows in process; the partitions view counts their runs all the same."""
    studio = dataclasses.replace(studio, instance=webserver.workspace.instance)
    studio.post(["x", "threads"])
    window = partition_key(T0)
    studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")  # X retries: platform trouble fails the run

    [failed] = studio.tick(AFTER_T0)
    assert not failed.success
    assert webserver.window_status(window) == ("FAILURE", failed.run_id)

    studio.sandbox.clear_faults()
    [retried] = studio.tick(AFTER_T0 + timedelta(minutes=15))
    assert retried.partition_key == window and retried.success
    assert webserver.window_status(window) == ("SUCCESS", retried.run_id)
    assert len(studio.published(Platform.X)) == 1


def test_a_run_launched_with_only_the_partition_tag_is_counted(studio: Studio, webserver: Webserver) -> None:
    """An API client that names only dagster/partition: Dagster adds no partition set, the run adds it itself."""
    studio.post(["threads"])
    window = partition_key(T0)
    params = {
        "selector": {**REPOSITORY, "jobName": "publish_job"},
        "runConfigData": publish_config(AFTER_T0),
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": window}]},
    }
    launched = webserver.graphql(LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    run = webserver.workspace.instance.get_run_by_id(run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[PARTITION_SET_TAG] == PUBLISH_PARTITION_SET
    assert webserver.window_status(window) == ("SUCCESS", run_id)


def test_in_process_runs_name_the_code_location_of_workspace_yaml() -> None:
    """The partitions view counts runs of its own code location only; in-process runs must name the one the webserver
    and daemon load (workspace.yaml), or the tick's and the demo's runs vanish from it again."""
    workspace = yaml.safe_load((Path(__file__).resolve().parents[2] / "workspace.yaml").read_text())
    [location] = workspace["load_from"]
    label = window_run_tags(partition_key(T0), scheduled=True, in_process=True)[".dagster/repository"]
    assert label == f"__repository__@{location['python_module']['location_name']}"


def test_the_windows_report_shows_each_windows_posts_states_and_latest_run(
    studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`azmth publish windows`: what ops read instead of the partitions view of every window since the first."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        studio = dataclasses.replace(studio, instance=instance)
        studio.post(["x", "threads"])
        studio.post(["threads"])
        studio.sandbox.set_fault("x", "status_5xx", 503, scope="publish")
        [run] = studio.tick(AFTER_T0)

        result = CliRunner().invoke(app, ["publish", "windows", "--since", T0.isoformat(), "--json"])

    assert result.exit_code == 0, result.output
    [window] = json.loads(result.stdout)
    assert window["window"] == partition_key(T0) and window["posts"] == 2
    assert window["states"] == {"threads": {"published": 2}, "x": {"retrying": 1}}
    assert (window["run_status"], window["run_id"]) == ("FAILURE", run.run_id)
    assert window["run_url"].endswith(f"/runs/{run.run_id}")
