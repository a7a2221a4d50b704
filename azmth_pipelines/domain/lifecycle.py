"""Soft delete in any status, restore within 30 days, and the daily purge after that (`azmth post delete ID...`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import ContentPost, StaffError
from azmth_pipelines.domain.errors import NotFound, ValidationError

RESTORE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class PurgeReport:
    purged: list[int]
    release_ids: set[int]


def _posts(session: Session, post_ids: Iterable[int]) -> list[ContentPost]:
    ids = list(dict.fromkeys(post_ids))
    found = {p.id: p for p in session.scalars(select(ContentPost).where(ContentPost.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("post", ", ".join(map(str, missing)))
    return [found[i] for i in ids]


def delete_posts(session: Session, post_ids: Iterable[int], *, now: datetime) -> list[ContentPost]:
    """Soft-delete posts in any status; already deleted ones keep their original deletion time."""
    posts = _posts(session, post_ids)
    for post in posts:
        if post.deleted_at is None:
            post.deleted_at = now
    session.flush()
    return posts


def restore_posts(session: Session, post_ids: Iterable[int], *, now: datetime) -> list[ContentPost]:
    """Bring deleted posts back as they were; refused (all or nothing) once any is past the 30 days."""
    posts = _posts(session, post_ids)
    for post in posts:
        if post.deleted_at is not None and now - post.deleted_at > RESTORE_WINDOW:
            raise ValidationError(
                "deleted_at", f"post {post.id} was deleted on {post.deleted_at:%Y-%m-%d}, over 30 days ago"
            )
    for post in posts:
        post.deleted_at = None
    session.flush()
    return posts


def purge_expired(sessions: sessionmaker[Session], *, now: datetime) -> PurgeReport:
    """Delete for good every post deleted over 30 days ago, one transaction per post.

    The post's attempts, metrics and refresh requests go with it (ON DELETE CASCADE); its staff errors
    are deleted too, since they hold the platform's copy of the post's content.
    """
    with sessions() as session:
        expired = list(
            session.execute(
                select(ContentPost.id, ContentPost.release_id).where(ContentPost.deleted_at < now - RESTORE_WINDOW)
            )
        )
    purged, releases = [], set()
    for post_id, release_id in expired:
        with sessions.begin() as session:
            post = session.get(ContentPost, post_id)
            if post is None or post.deleted_at is None or post.deleted_at >= now - RESTORE_WINDOW:
                continue  # restored or purged meanwhile
            purge_post(session, post)
        purged.append(post_id)
        if release_id is not None:
            releases.add(release_id)
    return PurgeReport(purged, releases)


def purge_post(session: Session, post: ContentPost) -> None:
    """Delete one post for good, with its attempts, metrics and refresh requests (ON DELETE CASCADE) and its
    staff errors, which hold the platform's copy of the post's content."""
    session.execute(delete(StaffError).where(StaffError.post_id == post.id))
    session.delete(post)
    session.flush()
