#!/usr/bin/env bash
# Start one Celery worker for AZMTH's Dagster steps on this machine, in the foreground (a process manager or a
# Kubernetes Deployment keeps it running). Usage:
#
#   deploy/celery/worker.sh publish 4     # a worker on the publish queue, 4 steps at once
#   deploy/celery/worker.sh metrics 2     # a worker on the nightly metrics queue
#   deploy/celery/worker.sh publish,metrics 2   # both queues: one comma-separated list (Celery 5 keeps only
#                                               # the last of several -Q options)
#
# Needs the code location's environment (AZMTH_DATABASE_URL, AZMTH_SECRET_KEY, the app credentials, the platform
# hosts), DAGSTER_HOME with deploy/dagster.yaml (the runs' PostgreSQL storage), AZMTH_CELERY_BROKER (and
# AZMTH_CELERY_BACKEND, default the broker), and AZMTH_REQUEST_BUDGET_STORE on the same Redis, so every worker
# spends one budget per platform.
set -euo pipefail
queue="${1:?queue: publish or metrics}"
concurrency="${2:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${AZMTH_VENV:-$here/../../.venv}/bin"
export AZMTH_CELERY_BACKEND="${AZMTH_CELERY_BACKEND:-${AZMTH_CELERY_BROKER:?set AZMTH_CELERY_BROKER, e.g. redis://host:6379/0}}"
export PATH="$bin:$PATH"
# -i: the code location is imported once, before the pool forks, not by each task (3.5 s instead of 6 s from a run's
# start to its first platform call in bench/publish_tick.py).
exec "$bin/dagster-celery" worker start -A dagster_celery.app -y "$here/celery.yaml" -q "$queue" \
  -i azmth_pipelines.definitions -n "${queue//,/-}-$$" -- --concurrency "$concurrency"
