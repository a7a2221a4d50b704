"""The data team's view of the catalog: the web app's tables feed the nightly metrics, which feed the release
roll-ups and the two tables they write; every asset has an owner; the nightly assets promise freshness."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from azmth_pipelines.definitions import defs
from azmth_pipelines.owners import DATA_ONCALL, DATA_TEAM

CONTENT_POST = dg.AssetKey(["app", "content_post"])
SOCIAL_CONNECTION = dg.AssetKey(["app", "social_connection"])
RELEASE = dg.AssetKey(["app", "release"])
PRESAVE_EVENT = dg.AssetKey(["app", "presave_event"])
RELEASE_STREAM_DAILY = dg.AssetKey(["app", "release_stream_daily"])
PUBLISHED_POSTS = dg.AssetKey("published_posts")
POST_METRICS = dg.AssetKey("social_post_metrics")
ACCOUNT_SNAPSHOT = dg.AssetKey("account_metrics_snapshot")
CAMPAIGN_ROLLUP = dg.AssetKey("release_rollup")
CONTRIBUTION = dg.AssetKey("release_post_contribution")


def _parents(key: dg.AssetKey) -> set[dg.AssetKey]:
    return set(defs.resolve_asset_graph().get(key).parent_keys)


def _spec(key: dg.AssetKey) -> dg.AssetSpec:
    return defs.resolve_assets_def(key).specs_by_key[key]


def test_nightly_metrics_read_the_app_tables_they_really_read() -> None:
    assert _parents(POST_METRICS) == {PUBLISHED_POSTS, SOCIAL_CONNECTION}
    assert _parents(PUBLISHED_POSTS) == {CONTENT_POST, SOCIAL_CONNECTION}
    assert _parents(ACCOUNT_SNAPSHOT) == {SOCIAL_CONNECTION}


def test_release_rollups_read_post_metrics_releases_presaves_and_streams() -> None:
    inputs = {POST_METRICS, CONTENT_POST, RELEASE, PRESAVE_EVENT, RELEASE_STREAM_DAILY}
    assert _parents(CAMPAIGN_ROLLUP) == inputs
    assert _parents(CONTRIBUTION) == inputs


def test_both_tables_the_rollup_writes_are_in_the_catalog_with_their_columns() -> None:
    rollup = defs.resolve_assets_def(CAMPAIGN_ROLLUP)
    assert set(rollup.keys) == {CAMPAIGN_ROLLUP, CONTRIBUTION}  # one run writes both, in one transaction
    for key, table in ((CAMPAIGN_ROLLUP, "release_campaign_rollup"), (CONTRIBUTION, "release_post_contribution")):
        metadata = _spec(key).metadata
        assert metadata["dagster/table_name"] == table
        columns = {column.name for column in metadata["dagster/column_schema"].columns}
        assert {"release_id", "platform", "views"} <= columns


def test_app_tables_are_external_and_described_from_the_schema() -> None:
    for key in (CONTENT_POST, SOCIAL_CONNECTION, RELEASE, PRESAVE_EVENT, RELEASE_STREAM_DAILY):
        assets_def = defs.resolve_assets_def(key)
        assert not assets_def.is_materializable, f"{key.to_user_string()}: Dagster never writes the app's tables"
        spec = _spec(key)
        assert spec.group_name == "app_tables" and spec.description
        assert spec.metadata["dagster/table_name"] == key.path[-1]
        assert spec.metadata["dagster/column_schema"].columns


def test_every_asset_has_the_data_team_as_owner() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert set(graph.get(key).owners) == {DATA_TEAM, DATA_ONCALL}, key.to_user_string()


def test_nightly_assets_promise_a_materialization_within_26_hours() -> None:
    for key in (POST_METRICS, ACCOUNT_SNAPSHOT):
        policy = _spec(key).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy), key.to_user_string()
        assert policy.fail_window.to_timedelta() == timedelta(hours=26)


LOCATION = "azmth_pipelines"
ASSET_NODE = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { __typename
    ... on AssetNode { dependencyKeys { path } dependedByKeys { path } owners {
        ... on TeamAssetOwner { team } ... on UserAssetOwner { email } } } } }"""


@pytest.fixture(scope="module")
def workspace() -> Iterator[WorkspaceProcessContext]:
    """The code location as the webserver loads it, answering the UI's GraphQL queries in process."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="azmth_pipelines.definitions"), location_name=LOCATION
    )
    with instance_for_test() as instance, WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as ws:
        yield ws


def test_the_ui_draws_publishing_to_post_metrics_to_rollup(workspace: WorkspaceProcessContext) -> None:
    result = execute_dagster_graphql(
        workspace.create_request_context(), ASSET_NODE, {"key": {"path": ["social_post_metrics"]}}
    )
    assert not result.errors, result.errors
    node = result.data["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", node
    assert {"path": ["published_posts"]} in node["dependencyKeys"]
    assert {"path": ["release_rollup"]} in node["dependedByKeys"]
    assert {"path": ["release_post_contribution"]} in node["dependedByKeys"]
    assert {"team": "data"} in node["owners"] and {"email": DATA_ONCALL} in node["owners"]
