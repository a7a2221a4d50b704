"""The code location: every asset, job, schedule, sensor and resource, built in one place."""

import dagster as dg

from azmth_pipelines.assets.app_tables import app_tables
from azmth_pipelines.assets.checks import ASSET_CHECKS
from azmth_pipelines.assets.connections import refresh_connections_job
from azmth_pipelines.assets.metrics import (
    account_metrics_snapshot,
    account_post_metrics,
    metrics_followup_job,
    metrics_freshness_job,
    metrics_nightly_job,
    social_post_metrics,
    yesterday_partition_present,
)
from azmth_pipelines.assets.releases import release_rollup, release_rollup_job
from azmth_pipelines.ops.lifecycle import purge_job
from azmth_pipelines.ops.publish import publish_job, published_posts
from azmth_pipelines.resources.apps import AppCredentialsResource
from azmth_pipelines.resources.database import DatabaseResource
from azmth_pipelines.resources.media import MediaStoreResource
from azmth_pipelines.resources.platforms import PlatformApisResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource
from azmth_pipelines.schedules import all_schedules
from azmth_pipelines.sensors import all_sensors


def code_location_resources(database: DatabaseResource | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every resource the ops, assets, schedules and sensors take, by key; each defaults to the environment."""
    return {
        "database": database or DatabaseResource(),
        "platform_apis": PlatformApisResource(),
        "app_credentials": AppCredentialsResource.from_environment(),
        "media_store": MediaStoreResource(),
        "token_cipher": TokenCipherResource(),
    }


defs = dg.Definitions(
    assets=[
        *app_tables,
        published_posts,
        social_post_metrics,
        account_metrics_snapshot,
        account_post_metrics,
        release_rollup,
    ],
    asset_checks=[yesterday_partition_present, *ASSET_CHECKS],
    jobs=[
        publish_job,
        metrics_nightly_job,
        metrics_followup_job,
        metrics_freshness_job,
        refresh_connections_job,
        purge_job,
        release_rollup_job,
    ],
    schedules=all_schedules(),
    sensors=all_sensors(),
    resources=code_location_resources(),
)


def publish_job_with_resources() -> dg.JobDefinition:
    """The publish job with its resources bound, importable by name: what a multiprocess or cluster executor
    rebuilds in each step process (dg.build_reconstructable_job("azmth_pipelines.definitions", this name))."""
    return defs.resolve_job_def("publish_job")
