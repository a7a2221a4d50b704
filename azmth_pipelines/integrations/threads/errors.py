"""Threads failure rules: the shared Graph rules (meta/errors.py); Threads documents no subcode table of its own.

Source: developers.facebook.com/docs/threads/troubleshooting (Graph-style error object).
"""

from collections.abc import Iterable

from azmth_pipelines.integrations.common.errors import Disposition, PlatformError, error_for
from azmth_pipelines.integrations.common.http import ApiResponse
from azmth_pipelines.integrations.meta.errors import graph_error
from azmth_pipelines.vocabulary import Platform

PLATFORM = Platform.THREADS

# posts doc, container error_message: a download can fail on a transient network problem; every other
# value (INVALID_*, FAILED_PROCESSING_*) is a property of the media itself.
_RETRYABLE_CONTAINER_ERRORS = frozenset({"FAILED_DOWNLOADING_VIDEO", "UNKNOWN"})


def threads_error(answer: ApiResponse, *, secrets: Iterable[str] = ()) -> PlatformError | None:
    """Threads answers the Graph error object, sorted by the shared Graph rules (no subcode table)."""
    return graph_error(answer, platform=PLATFORM, secrets=secrets)


def container_error(container_id: str, status: str, error_message: str | None) -> PlatformError:
    """The error for a container that ended ERROR or EXPIRED."""
    retry = status == "EXPIRED" or (error_message or "UNKNOWN") in _RETRYABLE_CONTAINER_ERRORS
    return error_for(
        Disposition.RETRY if retry else Disposition.PERMANENT,
        f"container {container_id} ended {status}: {error_message or 'no detail'}",
        platform=PLATFORM,
        code=error_message,
        payload={"container_id": container_id, "status": status, "error_message": error_message},
    )
