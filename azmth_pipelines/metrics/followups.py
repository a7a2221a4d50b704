"""Follow-up pulls after publishing (+60 s `on_publish`, +24 h `day1`) and the web app's refresh button.

Which follow-ups are due is read from the database (published time in per_platform, existing snapshots),
so a pull that already wrote its row is never due again, whoever asks. The sensor batches due items into
few runs; the run checks again before pulling, so a re-executed run adds nothing twice.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import ContentPost, MetricsRefreshRequest, SocialPostMetrics
from azmth_pipelines.domain.errors import NotFound
from azmth_pipelines.metrics.report import PullReport
from azmth_pipelines.metrics.sync import PullSettings, pull_and_append
from azmth_pipelines.metrics.targets import Target, live_targets
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import MetricSource, Platform, PostStatus

ON_PUBLISH_AFTER = timedelta(seconds=60)
DAY1_AFTER = timedelta(hours=24)
# A +60 s snapshot taken a day late would be mislabelled: past this age only day1 is due. Posts older
# than the lookback are the nightly sync's alone (and the sensor's query stays small).
ON_PUBLISH_UNTIL = DAY1_AFTER
LOOKBACK = timedelta(days=3)
_IN_CHUNK = 500


@dataclass(frozen=True, order=True)
class FollowUp:
    post_id: int
    platform: Platform
    stage: MetricSource  # on_publish or day1

    @property
    def key(self) -> str:
        return f"{self.post_id}:{self.platform.value}:{self.stage.value}"

    @classmethod
    def from_key(cls, key: str) -> "FollowUp":
        post_id, platform, stage = key.split(":")
        return cls(int(post_id), Platform(platform), MetricSource(stage))


def _chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(session: Session, post_ids: Sequence[int], sources: Iterable[MetricSource]) -> set[tuple]:
    """(post_id, platform, source) that already have a snapshot."""
    found: set[tuple] = set()
    for chunk in _chunks(post_ids):
        rows = session.execute(
            select(SocialPostMetrics.post_id, SocialPostMetrics.platform, SocialPostMetrics.source)
            .where(SocialPostMetrics.post_id.in_(chunk), SocialPostMetrics.source.in_(list(sources)))
            .distinct()
        ).all()
        found.update((row.post_id, Platform(row.platform), MetricSource(row.source)) for row in rows)
    return found


def _recent_targets(session: Session, now: datetime, post_ids: Sequence[int] | None = None) -> list[Target]:
    query = select(ContentPost.id, ContentPost.artist_id, ContentPost.per_platform, ContentPost.platform_options).where(
        ContentPost.status == PostStatus.POSTED, ContentPost.deleted_at.is_(None)
    )
    if post_ids is None:
        # Posts publish at (or, after retries, hours after) scheduled_for: the lookback on it is an index
        # range (ix_content_post_due: status, scheduled_for), so the 30 s sensor stays cheap.
        query = query.where(ContentPost.scheduled_for >= now - LOOKBACK)
    else:
        query = query.where(ContentPost.id.in_(list(post_ids)))
    return [
        target
        for row in session.execute(query.order_by(ContentPost.id)).all()
        for target in live_targets(row.id, row.artist_id, row.per_platform, row.platform_options)
    ]


def stage_due(target: Target, now: datetime) -> MetricSource | None:
    if target.published_at is None:
        return None
    age = now - target.published_at
    if ON_PUBLISH_AFTER <= age < ON_PUBLISH_UNTIL:
        return MetricSource.ON_PUBLISH
    if DAY1_AFTER <= age < LOOKBACK:
        return MetricSource.DAY1
    return None


def due_followups(session: Session, now: datetime) -> list[FollowUp]:
    """Every (post, platform, stage) whose time has come and that has no snapshot of that stage yet."""
    candidates = [
        FollowUp(t.post_id, t.platform, stage) for t in _recent_targets(session, now) if (stage := stage_due(t, now))
    ]
    if not candidates:
        return []
    done = _existing(session, sorted({c.post_id for c in candidates}), (MetricSource.ON_PUBLISH, MetricSource.DAY1))
    return sorted(c for c in candidates if (c.post_id, c.platform, c.stage) not in done)


def pull_followups(
    items: Iterable[FollowUp],
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> dict[MetricSource, PullReport]:
    """Pull the follow-ups still missing (one appended snapshot each, source = stage)."""
    by_stage: dict[MetricSource, set[tuple[int, Platform]]] = defaultdict(set)
    for item in items:
        by_stage[item.stage].add((item.post_id, item.platform))
    reports: dict[MetricSource, PullReport] = {}
    for stage, wanted in by_stage.items():
        post_ids = sorted({post_id for post_id, _ in wanted})
        with sessions() as session:
            done = _existing(session, post_ids, (stage,))
            targets = [
                t
                for t in _recent_targets(session, now, post_ids)
                if t.key in wanted and (t.post_id, t.platform, stage) not in done
            ]
        reports[stage] = pull_and_append(targets, stage, sessions=sessions, cipher=cipher, settings=settings)
    return reports


# --- The refresh button (metrics_refresh_request) and `azmth post refresh-metrics` ------------------


def pending_refresh_requests(session: Session, limit: int = 500) -> list[tuple[int, int]]:
    """(request id, post id) of requests not handled yet, oldest first."""
    rows = session.execute(
        select(MetricsRefreshRequest.id, MetricsRefreshRequest.post_id)
        .where(MetricsRefreshRequest.handled_at.is_(None))
        .order_by(MetricsRefreshRequest.requested_at, MetricsRefreshRequest.id)
        .limit(limit)
    ).all()
    return [(row.id, row.post_id) for row in rows]


def serve_refresh_requests(
    request_ids: Sequence[int],
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """Pull every live platform of the requested posts (source manual) and mark the requests handled.

    A request is handled once its pull ran, whatever the platforms answered: errors are in the report, and
    the button can be pressed again."""
    with sessions() as session:
        pending = session.execute(
            select(MetricsRefreshRequest.id, MetricsRefreshRequest.post_id).where(
                MetricsRefreshRequest.id.in_(list(request_ids)), MetricsRefreshRequest.handled_at.is_(None)
            )
        ).all()
        post_ids = sorted({row.post_id for row in pending})
        targets = _recent_targets(session, now, post_ids) if post_ids else []
    handled = [row.id for row in pending]

    def mark_handled(session: Session) -> None:
        if handled:
            session.execute(
                update(MetricsRefreshRequest)
                .where(MetricsRefreshRequest.id.in_(handled), MetricsRefreshRequest.handled_at.is_(None))
                .values(handled_at=now)
            )

    return pull_and_append(
        targets, MetricSource.MANUAL, sessions=sessions, cipher=cipher, settings=settings, after_write=mark_handled
    )


def refresh_post_metrics(
    post_id: int,
    *,
    sessions: sessionmaker[Session],
    now: datetime,
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """Read one post's numbers on every platform it is live on, now (source manual).

    Pending refresh requests for the post are served by this pull too. NotFound for an unknown or deleted
    post."""
    with sessions() as session:
        post = session.get(ContentPost, post_id)
        if post is None or post.deleted_at is not None:
            raise NotFound("post", post_id)
        targets = live_targets(post.id, post.artist_id, post.per_platform, post.platform_options)

    def mark_handled(session: Session) -> None:
        session.execute(
            update(MetricsRefreshRequest)
            .where(MetricsRefreshRequest.post_id == post_id, MetricsRefreshRequest.handled_at.is_(None))
            .values(handled_at=now)
        )

    return pull_and_append(
        targets, MetricSource.MANUAL, sessions=sessions, cipher=cipher, settings=settings, after_write=mark_handled
    )


# --- What the sensor already asked for (its cursor) -------------------------------------------------

# A refresh whose run died is asked again after this long (the web app promised "within a minute").
REFRESH_RETRY_AFTER = timedelta(minutes=10)
BATCH_SIZE = 200


@dataclass
class RequestedLog:
    """Follow-up keys and refresh request ids already put in a run, with when (unix seconds).

    Entries leave the log once the database shows them done (a snapshot or handled_at) or out of their
    window, so the log holds only what is in flight or failed: small, whatever the post volume."""

    followups: dict[str, float]
    refreshes: dict[int, float]

    @classmethod
    def from_json(cls, text: str | None) -> "RequestedLog":
        data = json.loads(text) if text else {}
        return cls(
            followups={str(k): float(v) for k, v in (data.get("followups") or {}).items()},
            refreshes={int(k): float(v) for k, v in (data.get("refreshes") or {}).items()},
        )

    def to_json(self) -> str:
        return json.dumps({"followups": self.followups, "refreshes": self.refreshes}, sort_keys=True)


@dataclass(frozen=True)
class FollowUpBatch:
    followups: tuple[str, ...]
    refresh_request_ids: tuple[int, ...]

    @property
    def run_key(self) -> str:
        # One key per set of (post, platform, stage) items: a batch asked twice is launched once.
        text = ",".join(self.followups) + "|" + ",".join(map(str, self.refresh_request_ids))
        return "metrics-followup:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def plan_batches(
    due: Sequence[FollowUp],
    pending_refreshes: Sequence[tuple[int, int]],
    log: RequestedLog,
    now: datetime,
    batch_size: int = BATCH_SIZE,
) -> list[FollowUpBatch]:
    """The runs to request now (few: up to `batch_size` items each); updates `log` in place."""
    stamp = now.timestamp()
    due_keys = [item.key for item in due]
    due_set = set(due_keys)
    log.followups = {key: at for key, at in log.followups.items() if key in due_set}
    new_keys = [key for key in due_keys if key not in log.followups]
    pending_ids = {request_id for request_id, _ in pending_refreshes}
    log.refreshes = {rid: at for rid, at in log.refreshes.items() if rid in pending_ids}
    retry_before = stamp - REFRESH_RETRY_AFTER.total_seconds()
    new_ids = sorted(rid for rid in pending_ids if log.refreshes.get(rid, 0.0) <= retry_before)
    batches = []
    for start in range(0, max(len(new_keys), 1), batch_size):
        keys = tuple(new_keys[start : start + batch_size])
        ids = tuple(new_ids) if start == 0 else ()
        if keys or ids:
            batches.append(FollowUpBatch(keys, ids))
    log.followups.update(dict.fromkeys(new_keys, stamp))
    log.refreshes.update(dict.fromkeys(new_ids, stamp))
    return batches
