"""The code location loads: what `dagster dev` and the daemon import."""

from collections.abc import Iterator

import dagster as dg
from dagster._core.definitions.graph_definition import Node

from azmth_pipelines.definitions import defs


def test_code_location_loads_and_validates() -> None:
    dg.Definitions.validate_loadable(defs)
    assert set(defs.resources) == {"database", "platform_apis", "app_credentials", "media_store", "token_cipher"}


def test_every_step_that_can_run_on_celery_names_a_queue_the_workers_consume() -> None:
    # dagster-celery sends an untagged step to its own "dagster" queue, which no worker started by
    # deploy/celery/worker.sh consumes: the run would wait for that step forever.
    from azmth_pipelines.executors import QUEUE_TAG, WORKER_QUEUES

    def ops(graph: dg.GraphDefinition) -> Iterator[Node]:
        for node in graph.nodes:
            if isinstance(node.definition, dg.GraphDefinition):
                yield from ops(node.definition)  # a graph-backed asset's steps are its ops
            else:
                yield node

    unserved = {
        (job.name, node.name): node.tags.get(QUEUE_TAG)
        for job in defs.resolve_all_job_defs()
        if job.executor_def.name in ("publish_executor", "metrics_executor")
        for node in ops(job.graph)
        if node.tags.get(QUEUE_TAG) not in WORKER_QUEUES
    }
    assert not unserved
