"""Graph API answers Instagram and Threads share: container status, publishing quota, insight values."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from azmth_pipelines.integrations.meta.errors import as_int


class ContainerState(StrEnum):
    """A media container's status (Instagram's status_code, Threads' status)."""

    EXPIRED = "EXPIRED"
    ERROR = "ERROR"
    FINISHED = "FINISHED"
    IN_PROGRESS = "IN_PROGRESS"
    PUBLISHED = "PUBLISHED"


@dataclass(frozen=True)
class ContainerStatus:
    id: str
    state: str
    # Why it failed: Instagram's `status` text (often naming a 2207xxx subcode), Threads' error_message
    # (FAILED_DOWNLOADING_VIDEO, INVALID_ASPEC_RATIO (sic), ... posts doc).
    detail: str | None

    @classmethod
    def from_json(cls, body: Any, *, state_field: str, detail_field: str) -> "ContainerStatus":
        return cls(id=str(body.get("id") or ""), state=str(body[state_field]), detail=body.get(detail_field))

    @property
    def is_ready(self) -> bool:
        return self.state == ContainerState.FINISHED

    @property
    def is_failed(self) -> bool:
        return self.state in (ContainerState.ERROR, ContainerState.EXPIRED)


@dataclass(frozen=True)
class PublishingLimit:
    """content_publishing_limit / threads_publishing_limit: read quota_total live, the docs disagree."""

    quota_usage: int
    quota_total: int | None
    quota_duration_s: int | None
    reply_quota_usage: int | None = None
    reply_quota_total: int | None = None

    @property
    def remaining(self) -> int | None:
        return None if self.quota_total is None else max(0, self.quota_total - self.quota_usage)

    @classmethod
    def from_json(cls, body: Any) -> "PublishingLimit":
        entry = body["data"][0]
        config = entry.get("config") or {}
        reply_config = entry.get("reply_config") or {}
        return cls(
            quota_usage=int(entry.get("quota_usage") or 0),
            quota_total=as_int(config.get("quota_total")),
            quota_duration_s=as_int(config.get("quota_duration")),
            reply_quota_usage=as_int(entry.get("reply_quota_usage")),
            reply_quota_total=as_int(reply_config.get("quota_total")),
        )


def insight_values(body: Any) -> dict[str, int | None]:
    """{metric name: value} from an insights answer; lifetime `values[0]` or `total_value`."""
    result: dict[str, int | None] = {}
    for entry in body.get("data") or []:
        name = entry["name"]
        if isinstance(entry.get("total_value"), dict):
            value = entry["total_value"].get("value")
        else:
            values = entry.get("values") or []
            value = values[-1].get("value") if values else None
        result[name] = int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return result
