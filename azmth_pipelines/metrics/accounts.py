"""Daily account numbers per connection: followers, following, post count, total likes where offered.

TikTok: user/info (follower_count, following_count, video_count, likes_count with user.info.stats) and
every video's counts through video/list (kept in `raw.videos`, compact). Instagram: the IG user's
followers_count, follows_count, media_count. Threads: followers_count from threads_insights. X: users/me
public_metrics (followers daily on every tier: reading posts is what tiers restrict, and that happens in
the post pulls). X's user `like_count` counts likes the account gave, not received, so total_likes is None.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.metrics.clients import MetricsClients, open_clients
from azmth_pipelines.metrics.credentials import Credential, CredentialBook
from azmth_pipelines.metrics.report import MAX_PROBLEM_LINES, PullReport
from azmth_pipelines.metrics.retry import CallCounter, with_retries
from azmth_pipelines.metrics.store import Spool, replace_account_partition
from azmth_pipelines.metrics.sync import PullSettings
from azmth_pipelines.platforms.errors import PlatformError
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform

_CONNECTION_PAGE = 200
T = TypeVar("T")


def _connection_pages(sessions: sessionmaker[Session]) -> Iterator[list[tuple[int, int, Platform]]]:
    last_id = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(SocialConnection.id, SocialConnection.artist_id, SocialConnection.platform)
                .where(SocialConnection.id > last_id)
                .order_by(SocialConnection.id)
                .limit(_CONNECTION_PAGE)
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield [(row.id, row.artist_id, Platform(row.platform)) for row in rows]


class AccountReader:
    def __init__(self, clients: MetricsClients, settings: PullSettings, counter: CallCounter) -> None:
        self.clients = clients
        self.settings = settings
        self.counter = counter
        self._gate = asyncio.Semaphore(settings.concurrency)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._gate:
            return await with_retries(call, self.settings.retry, self.counter)

    async def read(self, credential: Credential) -> dict[str, Any]:
        """The snapshot's columns (followers, following, post_count, total_likes, raw)."""
        token = credential.token or ""
        account_id = credential.external_account_id
        match credential.platform:
            case Platform.TIKTOK:
                return await self._tiktok(token, credential.granted_scopes)
            case Platform.INSTAGRAM:
                info = await self._call(lambda: self.clients.instagram.account(token, account_id))
                return {
                    "followers": info.followers_count,
                    "following": info.follows_count,
                    "post_count": info.media_count,
                    "total_likes": None,
                    "raw": {
                        "followers_count": info.followers_count,
                        "follows_count": info.follows_count,
                        "media_count": info.media_count,
                    },
                }
            case Platform.THREADS:
                followers = await self._call(lambda: self.clients.threads.followers_count(token, account_id))
                return {
                    "followers": followers,
                    "following": None,
                    "post_count": None,
                    "total_likes": None,
                    "raw": {"followers_count": followers},
                }
            case Platform.X:
                user = await self._call(lambda: self.clients.x.me(token))
                m = user.metrics
                return {
                    "followers": m.followers_count,
                    "following": m.following_count,
                    "post_count": m.tweet_count,
                    "total_likes": None,
                    "raw": {"public_metrics": m.__dict__},
                }
        raise AssertionError(f"unknown platform {credential.platform}")

    async def _tiktok(self, token: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        client = self.clients.tiktok
        # user/info fails as a whole when a field's scope is missing: ask only the granted scopes' fields.
        info_scopes = [s for s in scopes if s.startswith("user.info.")] or ["user.info.basic"]
        info = await self._call(lambda: client.user_info(token, info_scopes))
        raw: dict[str, Any] = {
            "follower_count": info.follower_count,
            "following_count": info.following_count,
            "video_count": info.video_count,
            "likes_count": info.likes_count,
        }
        if "video.list" in scopes:
            videos: list[list[Any]] = []
            cursor: int | None = None
            while True:
                page = await self._call(lambda c=cursor: client.list_videos_page(token, cursor=c))
                videos.extend([v.id, v.view_count, v.like_count, v.comment_count, v.share_count] for v in page.videos)
                if not page.has_more or page.cursor is None or page.cursor == cursor:
                    break
                cursor = page.cursor
            raw["videos_columns"] = ["id", "view_count", "like_count", "comment_count", "share_count"]
            raw["videos"] = videos
        return {
            "followers": info.follower_count,
            "following": info.following_count,
            "post_count": info.video_count,
            "total_likes": info.likes_count,
            "raw": raw,
        }


def sync_account_snapshots(
    partition_date: date,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """One snapshot per connection for the day, replacing the partition's earlier ones."""
    settings = settings or PullSettings()
    cipher = cipher or TokenCipher.from_settings()
    report = PullReport()
    with Spool() as spool:
        asyncio.run(_read_all(partition_date, sessions, cipher, settings, report, spool))
        started = time.perf_counter()
        report.rows_written = replace_account_partition(sessions, partition_date, spool)
        report.write_s = time.perf_counter() - started
    return report


async def _read_all(
    partition_date: date,
    sessions: sessionmaker[Session],
    cipher: TokenCipher,
    settings: PullSettings,
    report: PullReport,
    spool: Spool,
) -> None:
    started = time.perf_counter()
    counter = CallCounter()
    book = CredentialBook(sessions, cipher)
    async with open_clients(settings.factories) as clients:
        reader = AccountReader(clients, settings, counter)
        for page in _connection_pages(sessions):
            book.load((artist_id, platform) for _, artist_id, platform in page)
            credentials = [c for _, artist_id, platform in page if (c := book.get(artist_id, platform))]
            results = await asyncio.gather(*(_one(reader, c) for c in credentials))
            rows = []
            for credential, outcome in zip(credentials, results, strict=True):
                report.targets += 1
                if isinstance(outcome, str):
                    report.problems["reconnect" if credential.unusable else "error"] += 1
                    if len(report.problem_lines) < MAX_PROBLEM_LINES:
                        line = f"connection {credential.connection_id} {credential.platform.value}: {outcome}"
                        report.problem_lines.append(line)
                    continue
                rows.append(
                    {
                        "connection_id": credential.connection_id,
                        "captured_at": settings.clock(),
                        "partition_date": partition_date,
                        **outcome,
                    }
                )
            spool.add(rows)
    report.api_calls += counter.calls
    report.retries += counter.retries
    report.pull_s += time.perf_counter() - started


async def _one(reader: AccountReader, credential: Credential) -> dict[str, Any] | str:
    if credential.unusable:
        return credential.unusable
    try:
        return await reader.read(credential)
    except PlatformError as error:
        return str(error)
