"""Every post of every connected account, per day: account_post_metrics.

Each account's posts come from its platform's lister (integrations/<platform>/metrics.py `list_posts`), a page at a
time: a page is spooled to disk as it arrives, so neither an account nor the night is ever held in memory, and the
day's rows replace the partition's in one transaction at the end (metrics/store.py). A post AZMTH published gets its
content_post id, matched by the platform's id. Where the night's pull of social_post_metrics has already read one of
AZMTH's posts, the listing takes those counts instead of reading the post's insights again (Instagram and Threads read
insights one post a call: at a million posts, a million calls a night saved).

An account whose listing fails keeps the posts read before the failure, and the report says which account stopped
and why; an X account whose access level does not list posts has no rows (a `tier` problem, not an error).
"""

import asyncio
from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import ContentPost, SocialPostMetrics
from azmth_pipelines.errors import PlatformFailure
from azmth_pipelines.integrations.common.metrics import COUNT_NAMES, AccountPost, AccountPostsRefused, PostCounts
from azmth_pipelines.metrics.accounts import AccountReader, connection_pages, sync_day
from azmth_pipelines.metrics.clients import open_clients
from azmth_pipelines.metrics.credentials import Credential, CredentialBook
from azmth_pipelines.metrics.pull import problem_kind
from azmth_pipelines.metrics.report import MAX_PROBLEM_LINES, PullReport, pull_clock
from azmth_pipelines.metrics.retry import CallCounter
from azmth_pipelines.metrics.store import Spool, replace_account_posts_partition
from azmth_pipelines.metrics.sync import PullSettings
from azmth_pipelines.metrics.targets import live_targets
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import MetricSource, Platform, PostStatus

# (artist id, platform, platform's post id) -> content_post.id
PublishedIds = dict[tuple[int, Platform, str], int]
# (content_post.id, platform) -> the counts the night's pull stored
NightCounts = dict[tuple[int, Platform], PostCounts]
# Posts per query of the night's counts (bound parameters stay far below SQLite's limit).
_COUNTS_CHUNK = 500


def sync_account_posts(
    partition_date: date,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """The day's rows of every connected account's posts, replacing the partition's earlier ones (targets: accounts)."""
    return sync_day(
        partition_date, _list_all, replace_account_posts_partition, sessions=sessions, cipher=cipher, settings=settings
    )


def published_ids(session: Session, artist_ids: Iterable[int]) -> PublishedIds:
    """The platform ids of the artists' published posts (soft-deleted ones too: the post is still AZMTH's)."""
    rows = session.execute(
        select(ContentPost.id, ContentPost.artist_id, ContentPost.per_platform).where(
            ContentPost.artist_id.in_(sorted(set(artist_ids))), ContentPost.status == PostStatus.POSTED
        )
    )
    return {
        (target.artist_id, target.platform, target.remote_id): target.post_id
        for row in rows
        for target in live_targets(row.id, row.artist_id, row.per_platform)
    }


def night_counts(session: Session, partition_date: date, post_ids: Iterable[int]) -> NightCounts:
    """The counts the nightly pull stored for the posts in the day's partition (social_post_metrics)."""
    wanted = sorted(set(post_ids))
    counts: NightCounts = {}
    for start in range(0, len(wanted), _COUNTS_CHUNK):
        rows = session.scalars(
            select(SocialPostMetrics).where(
                and_(
                    SocialPostMetrics.post_id.in_(wanted[start : start + _COUNTS_CHUNK]),
                    SocialPostMetrics.source == MetricSource.NIGHTLY,
                    SocialPostMetrics.partition_date == partition_date,
                )
            )
        )
        for row in rows:
            values = {name: getattr(row, name) for name in COUNT_NAMES}
            counts[(row.post_id, Platform(row.platform))] = PostCounts(**values, raw=dict(row.raw or {}))
    return counts


async def _list_all(
    partition_date: date,
    sessions: sessionmaker[Session],
    cipher: TokenCipher,
    settings: PullSettings,
    report: PullReport,
    spool: Spool,
) -> None:
    started = pull_clock()
    counter = CallCounter()
    book = CredentialBook(sessions, cipher)
    async with open_clients(settings.client_factory) as clients:
        reader = AccountReader(clients, settings, counter)
        for page in connection_pages(sessions):
            book.load((artist_id, platform) for _, artist_id, platform in page)
            credentials = [c for _, artist_id, platform in page if (c := book.get(artist_id, platform))]
            with sessions() as session:
                ours = published_ids(session, (c.artist_id for c in credentials))
                night = night_counts(session, partition_date, ours.values())
            account = _AccountLister(reader, partition_date, settings, ours, night, report, spool)
            await asyncio.gather(*(account.list(credential) for credential in credentials))
    report.api_calls += counter.calls
    report.retries += counter.retries
    report.count_pull(started)


class _AccountLister:
    """Streams one page of connections' posts into the spool, page by page."""

    def __init__(
        self,
        reader: AccountReader,
        partition_date: date,
        settings: PullSettings,
        ours: PublishedIds,
        night: NightCounts,
        report: PullReport,
        spool: Spool,
    ) -> None:
        self.reader = reader
        self.partition_date = partition_date
        self.settings = settings
        self.ours = ours
        self.night = night
        self.report = report
        self.spool = spool

    def _problem(self, kind: str, line: str) -> None:
        self.report.problems[kind] += 1
        if len(self.report.problem_lines) < MAX_PROBLEM_LINES:
            self.report.problem_lines.append(line)

    async def list(self, credential: Credential) -> None:
        self.report.targets += 1
        where = f"connection {credential.connection_id} {credential.platform.value}"
        if credential.unusable:
            self._problem("reconnect", f"{where}: {credential.unusable}")
            return
        # A post can move from one page to the next while the listing pages (newer posts push it down): each is
        # kept once. Only the ids are remembered, not the rows.
        seen: set[str] = set()
        listed = 0
        try:
            async for posts in self.reader.list_posts(credential, partial(self._known, credential)):
                rows = [self._row(credential, post) for post in posts if post.remote_id not in seen]
                seen.update(post.remote_id for post in posts)
                listed += len(rows)
                self.spool.add(rows)
        except AccountPostsRefused as refused:
            self._problem("tier", f"{where}: {refused}")
        except PlatformFailure as error:
            kept = f" ({listed} post(s) read before it are kept)" if listed else ""
            self._problem(problem_kind(error), f"{where}: {error}{kept}")

    def _known(self, credential: Credential, remote_id: str) -> PostCounts | None:
        post_id = self.ours.get((credential.artist_id, credential.platform, remote_id))
        return None if post_id is None else self.night.get((post_id, credential.platform))

    def _row(self, credential: Credential, post: AccountPost) -> dict[str, Any]:
        raw: dict[str, Any] = {"type": post.native_type, **post.counts.raw}
        if post.problem:
            raw["problem"] = post.problem
            where = f"connection {credential.connection_id} {credential.platform.value}"
            self._problem("counts", f"{where} post {post.remote_id}: {post.problem}")
        return {
            "partition_date": self.partition_date,
            "connection_id": credential.connection_id,
            "platform": credential.platform,
            "remote_post_id": post.remote_id,
            "post_id": self.ours.get((credential.artist_id, credential.platform, post.remote_id)),
            "posted_at": post.posted_at,
            "permalink": post.permalink,
            "media_kind": post.kind,
            "captured_at": self.settings.clock(),
            **post.counts.as_columns(),
            "raw": raw,
        }
