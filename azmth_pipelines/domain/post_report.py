"""What a person wants to know about a post, per platform: state, caption, media, link, attempts, the last
error in the platform's words, the latest engagement with its change since the previous pull, and freshness.

`azmth post show` and `azmth post list` both read engagement through `latest_engagement`, so they agree.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost, PublishAttempt, SocialPostMetrics
from azmth_pipelines.domain.posts import post_view, resolved_caption
from azmth_pipelines.per_platform import PlatformEntry
from azmth_pipelines.vocabulary import Platform

COUNTS = ("views", "likes", "comments", "shares", "saves")


@dataclass(frozen=True)
class Engagement:
    captured_at: datetime
    source: str
    counts: dict[str, int | None]


def latest_engagement(
    session: Session, post_ids: Iterable[int]
) -> dict[tuple[int, str], tuple[Engagement, Engagement | None]]:
    """The latest snapshot and the one before it, per (post, platform)."""
    ids = list(post_ids)
    if not ids:
        return {}
    ranked = (
        select(
            SocialPostMetrics,
            func.row_number()
            .over(
                partition_by=(SocialPostMetrics.post_id, SocialPostMetrics.platform),
                order_by=(SocialPostMetrics.captured_at.desc(), SocialPostMetrics.id.desc()),
            )
            .label("rank"),
        )
        .where(SocialPostMetrics.post_id.in_(ids))
        .subquery()
    )
    snapshot = select(ranked).where(ranked.c.rank <= 2).order_by(ranked.c.post_id, ranked.c.platform, ranked.c.rank)
    found: dict[tuple[int, str], list[Engagement]] = {}
    for row in session.execute(snapshot).mappings():
        platform = str(row["platform"].value)
        # The subquery keeps the columns' types: captured_at comes back aware (UTC), platform and source as enums.
        engagement = Engagement(
            captured_at=row["captured_at"],
            source=str(row["source"].value),
            counts={name: row[name] for name in COUNTS},
        )
        found.setdefault((row["post_id"], platform), []).append(engagement)
    return {key: (pair[0], pair[1] if len(pair) > 1 else None) for key, pair in found.items()}


def age_words(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _engagement_view(pair: tuple[Engagement, Engagement | None] | None, now: datetime) -> dict[str, Any] | None:
    if pair is None:
        return None
    latest, previous = pair
    change = None
    if previous is not None:
        change = {name: _difference(latest.counts[name], previous.counts[name]) for name in COUNTS}
    return {
        **latest.counts,
        "captured_at": latest.captured_at.isoformat(),
        "source": latest.source,
        "age": age_words(latest.captured_at, now),
        "change_since_previous": change,
    }


def post_report(session: Session, post: ContentPost, *, now: datetime) -> dict[str, Any]:
    """The full picture of one post; the CLI prints it and `--json` gives it as is."""
    engagement = latest_engagement(session, [post.id])
    attempts = session.scalars(
        select(PublishAttempt)
        .where(PublishAttempt.post_id == post.id)
        .order_by(PublishAttempt.platform, PublishAttempt.attempt_number)
    ).all()
    view = post_view(post)
    platforms: dict[str, Any] = {}
    for name in post.platforms:
        platform = Platform(name)
        entry = PlatformEntry.from_json((post.per_platform or {}).get(name))
        platforms[name] = {
            "state": entry.state.value,
            "caption": resolved_caption(post, platform),
            "media": [
                {"media_asset_id": m["media_asset_id"], "kind": m["kind"], "crop": m["crops"].get(name)}
                for m in view["media"]
            ],
            "remote_id": entry.remote_id,
            "permalink": entry.permalink,
            "detail": entry.detail,
            "attempts": [
                {
                    "number": a.attempt_number,
                    "started_at": a.started_at.isoformat(),
                    "finished_at": a.finished_at.isoformat() if a.finished_at else None,
                    "outcome": a.outcome,
                    "error": a.error_message,
                    "manual": a.manual,
                }
                for a in attempts
                if a.platform is platform
            ],
            "last_error": entry.last_error,
            "next_retry_at": entry.next_retry_at.isoformat() if entry.next_retry_at else None,
            "engagement": _engagement_view(engagement.get((post.id, name)), now),
        }
    return {**view, "per_platform": platforms}


def list_rows(session: Session, posts: list[ContentPost], *, now: datetime) -> list[dict[str, Any]]:
    """One line per post with each platform's state and latest engagement (the same numbers `show` gives)."""
    engagement = latest_engagement(session, [p.id for p in posts])
    rows = []
    for post in posts:
        view = post_view(post)
        view["engagement"] = {name: _engagement_view(engagement.get((post.id, name)), now) for name in post.platforms}
        rows.append(view)
    return rows


def _difference(new: int | None, old: int | None) -> int | None:
    """A count's change since the previous pull; None when either pull could not read it."""
    return None if new is None or old is None else new - old
