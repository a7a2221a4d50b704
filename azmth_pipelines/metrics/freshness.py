"""How old a post's numbers are, per platform (shown by `azmth post show`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from azmth_pipelines.db.types import utcnow
from azmth_pipelines.domain.post_report import latest_engagement
from azmth_pipelines.vocabulary import MetricSource, Platform


@dataclass(frozen=True)
class PlatformFreshness:
    platform: Platform
    captured_at: datetime
    age: timedelta
    source: MetricSource

    def as_dict(self) -> dict[str, object]:
        return {
            "platform": self.platform.value,
            "captured_at": self.captured_at.isoformat(),
            "age_s": int(self.age.total_seconds()),
            "source": self.source.value,
        }


def post_metrics_freshness(
    session: Session, post_id: int, now: datetime | None = None
) -> dict[Platform, PlatformFreshness]:
    """Per platform, the latest snapshot's time, its age at `now` and which pull wrote it; platforms with
    no snapshot yet are absent. Read through the same query `azmth post show` and `list` use."""
    now = now or utcnow()
    result: dict[Platform, PlatformFreshness] = {}
    for (_, name), (latest, _previous) in latest_engagement(session, [post_id]).items():
        platform = Platform(name)
        result[platform] = PlatformFreshness(
            platform, latest.captured_at, now - latest.captured_at, MetricSource(latest.source)
        )
    return result
