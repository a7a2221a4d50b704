"""Where a job's steps run: on this machine (processes forked from a preloaded server, or this process), or as
Celery tasks on workers over Redis when AZMTH_EXECUTOR=celery (deploy/celery/). Run config can pick either per run:

    execution: {config: {celery: {broker: redis://..., backend: redis://...}}}

Workers take tasks from a queue per kind of work (`QUEUE_TAG` on the ops, assets and checks): `publish` for the
publish job's planning and shards, `metrics` for the nightly pull and its checks, so a slow night never holds up a
publish window. A step without the tag would go to dagster-celery's own `dagster` queue, which no worker consumes.
"""

import os
from typing import Any, Literal

import dagster as dg
from dagster_celery import celery_executor

from azmth_pipelines.errors import ConfigurationError

QUEUE_TAG = "dagster-celery/queue"
PUBLISH_QUEUE = "publish"
METRICS_QUEUE = "metrics"
WORKER_QUEUES = (PUBLISH_QUEUE, METRICS_QUEUE)
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"

Local = Literal["multiprocess", "in_process"]


def celery_config(broker: str | None = None, backend: str | None = None) -> dict[str, Any]:
    """The executor's `celery` config: AZMTH_CELERY_BROKER (Redis), results in AZMTH_CELERY_BACKEND or the broker. A
    worker is started with the same values (deploy/celery/celery.yaml), or it never sees the tasks."""
    broker = broker or os.environ.get("AZMTH_CELERY_BROKER") or DEFAULT_BROKER
    return {"broker": broker, "backend": backend or os.environ.get("AZMTH_CELERY_BACKEND") or broker}


def _default_execution(local: Local) -> dict[str, Any]:
    chosen = os.environ.get("AZMTH_EXECUTOR", "").strip() or local
    if chosen == "celery":
        return {"celery": celery_config()}
    if chosen in ("multiprocess", "in_process"):
        return {local: {}}
    raise ConfigurationError(f"AZMTH_EXECUTOR is {chosen!r}; it is celery, or unset for this machine's processes")


def _forkserver(config: dict[str, Any]) -> dict[str, Any]:
    # Each step process forks from a server that imported the code location once, instead of starting a fresh
    # interpreter that imports it again: a window's shards start calling platforms ~5 s sooner (bench/publish_tick.py).
    if config.get("start_method"):
        return config
    return {**config, "start_method": {"forkserver": {"preload_modules": ["azmth_pipelines.definitions"]}}}


def work_executor(name: str, local: Local) -> dg.ExecutorDefinition:
    """An executor that runs steps on this machine (`local`: multiprocess or in_process) or on Celery workers,
    by run config; the default is `local` unless AZMTH_EXECUTOR=celery."""
    choices = {
        "multiprocess": dg.multiprocess_executor,
        "in_process": dg.in_process_executor,
        "celery": celery_executor,
    }

    @dg.executor(
        name=name,
        config_schema=dg.Field(
            dg.Selector({kind: definition.config_schema.as_field() for kind, definition in choices.items()}),
            default_value=_default_execution(local),
        ),
        requirements=lambda config: [] if "in_process" in config else list(dg.multiple_process_executor_requirements()),
    )
    def _executor(init_context: dg.InitExecutorContext) -> dg.Executor:
        kind, chosen = next(iter(init_context.executor_config.items()))
        config = dict(chosen) if isinstance(chosen, dict) else {}
        if kind == "multiprocess":
            config = _forkserver(config)
        inner = dg.InitExecutorContext(
            job=init_context.job,
            executor_def=choices[kind],
            executor_config=config,
            instance=init_context.instance,
        )
        return choices[kind].executor_creation_fn(inner)  # type: ignore[misc]

    return _executor
