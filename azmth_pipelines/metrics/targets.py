"""What to read: published posts per platform, streamed from the database in keyset pages.

A target is one (post, platform) that is live: the post is not soft-deleted and its `per_platform` entry
says published with a remote id. Pages are keyset by content_post.id, so a sync of 100,000 posts never
holds more than one page of posts in memory and each page is one range scan of the primary key.

The page's query has only conditions on the id, and the posted/not-deleted filter is applied to the rows read:
with `status = 'posted'` in the query, SQLite (no statistics) reads the page through ix_content_post_recent
(status, updated_at), i.e. every posted post above the last id, sorted, for each page: 0.1-0.5 s a page at
1,000,000 posts, the whole sync's event loop stopped meanwhile, quadratic in N.
"""

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.per_platform import PlatformEntry, PlatformState
from azmth_pipelines.vocabulary import Platform, PostStatus

DEFAULT_PAGE_SIZE = 500


@dataclass(frozen=True)
class PostRange:
    """Posts by id, `start` included, `end` excluded (None: no end): one slice of a nightly pull, one step."""

    start: int = 0
    end: int | None = None

    def holds(self, post_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        lower = post_id >= self.start
        return lower if self.end is None else lower & (post_id < self.end)


EVERY_POST = PostRange()


def _live(query: Select[Any]) -> Select[Any]:
    return query.where(ContentPost.status == PostStatus.POSTED, ContentPost.deleted_at.is_(None))


def post_ranges(session: Session, posts_per_range: int) -> list[PostRange]:
    """Contiguous ranges covering every post id, each starting at a posted post and holding `posts_per_range` posted,
    non-deleted posts (the last one the rest): the first starts at 0 and the last has no end, so together they
    cover posts published after this read too."""
    numbered = _live(select(ContentPost.id, func.row_number().over(order_by=ContentPost.id).label("n"))).subquery()
    starts = list(
        session.scalars(select(numbered.c.id).where((numbered.c.n - 1) % posts_per_range == 0).order_by(numbered.c.id))
    )[1:]
    bounds = [0, *starts]
    return [PostRange(start, end) for start, end in zip(bounds, [*starts, None], strict=True)]


@dataclass(frozen=True)
class Target:
    post_id: int
    artist_id: int
    platform: Platform
    remote_id: str
    published_at: datetime | None = None
    # Instagram placement (feed/reels/stories): which insights metrics exist for the media.
    placement: str | None = None

    @property
    def key(self) -> tuple[int, Platform]:
        return (self.post_id, self.platform)


def live_targets(
    post_id: int, artist_id: int, per_platform: dict[str, Any], options: dict[str, Any] | None = None
) -> list[Target]:
    """The post's platforms that are published with a remote id (a TikTok post id can come later)."""
    targets = []
    for name, data in (per_platform or {}).items():
        try:
            entry = PlatformEntry.from_json(data)
        except (AttributeError, TypeError, ValueError):
            continue  # not an entry the publish flow wrote: nothing of it is live
        if entry.state is not PlatformState.PUBLISHED or not entry.remote_id:
            continue
        try:
            platform = Platform(name)
        except ValueError:
            continue
        platform_options = (options or {}).get(name) or {}
        targets.append(
            Target(
                post_id=post_id,
                artist_id=artist_id,
                platform=platform,
                remote_id=str(entry.remote_id),
                published_at=entry.settled_at,
                placement=platform_options.get("placement") if isinstance(platform_options, dict) else None,
            )
        )
    return targets


def iter_target_pages(
    sessions: sessionmaker[Session],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    post_ids: Collection[int] | None = None,
    platforms: Collection[Platform] | None = None,
    posts: PostRange = EVERY_POST,
) -> Iterator[list[Target]]:
    """Pages of live targets of posted, non-deleted posts in `posts`, in post id order; each page is its own read."""
    last_id = posts.start - 1
    while True:
        query = (
            select(
                ContentPost.id,
                ContentPost.artist_id,
                ContentPost.per_platform,
                ContentPost.platform_options,
                ContentPost.status,
                ContentPost.deleted_at,
            )
            .where(ContentPost.id > last_id, posts.holds(ContentPost.id))
            .order_by(ContentPost.id)
            .limit(page_size)
        )
        if post_ids is not None:
            query = query.where(ContentPost.id.in_(list(post_ids)))
        with sessions() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        last_id = rows[-1].id
        page = [
            target
            for row in rows
            if row.status == PostStatus.POSTED and row.deleted_at is None
            for target in live_targets(row.id, row.artist_id, row.per_platform, row.platform_options)
            if platforms is None or target.platform in platforms
        ]
        if page:
            yield page
        if len(rows) < page_size:
            return
