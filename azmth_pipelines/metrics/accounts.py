"""Daily account numbers per connection: followers, following, post count, total likes where offered.

What each platform offers, and how it is read, is its account snapshot reader
(integrations/<platform>/metrics.py `read_account`, found through the registry); the account's posts are read by
its `list_posts` (metrics/account_posts.py).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.models import SocialConnection
from azmth_pipelines.integrations.common.errors import PlatformError
from azmth_pipelines.integrations.common.metrics import AccountPostPages, KnownCounts
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.metrics.clients import MetricsClients, open_clients
from azmth_pipelines.metrics.credentials import Credential, CredentialBook
from azmth_pipelines.metrics.report import MAX_PROBLEM_LINES, PullReport, pull_clock
from azmth_pipelines.metrics.retry import CallCounter, with_retries
from azmth_pipelines.metrics.store import Spool, replace_account_partition
from azmth_pipelines.metrics.sync import PullSettings
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform

_CONNECTION_PAGE = 200
T = TypeVar("T")


def connection_pages(sessions: sessionmaker[Session]) -> Iterator[list[tuple[int, int, Platform]]]:
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
        client = self.clients[credential.platform]
        return await integration(credential.platform).metrics.read_account(self._call, client, credential)

    def list_posts(self, credential: Credential, known: KnownCounts) -> AccountPostPages:
        """Every post of the account, a page at a time, with its counts (`known`: those read tonight already)."""
        client = self.clients[credential.platform]
        return integration(credential.platform).metrics.list_posts(self._call, client, credential, known)


# A day's pull into the spool: (partition_date, sessions, cipher, settings, report, spool).
DayPull = Callable[
    [date, sessionmaker[Session], TokenCipher, PullSettings, PullReport, Spool], Coroutine[Any, Any, None]
]
# The day's rows becoming the spool's: (sessions, partition_date, spool) -> rows written.
DayReplace = Callable[[sessionmaker[Session], date, Spool], int]


def sync_day(
    partition_date: date,
    pull: DayPull,
    replace: DayReplace,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """Pull a daily table's day into a spool, then replace the partition's rows with it (the account tables)."""
    settings = settings or PullSettings()
    cipher = cipher or TokenCipher.from_settings()
    report = PullReport()
    with Spool() as spool:
        asyncio.run(pull(partition_date, sessions, cipher, settings, report, spool))
        started = time.perf_counter()
        report.rows_written = replace(sessions, partition_date, spool)
        report.write_s = time.perf_counter() - started
    return report


def sync_account_snapshots(
    partition_date: date,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
) -> PullReport:
    """One snapshot per connection for the day, replacing the partition's earlier ones."""
    return sync_day(
        partition_date, _read_all, replace_account_partition, sessions=sessions, cipher=cipher, settings=settings
    )


async def _read_all(
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
    report.count_pull(started)


async def _one(reader: AccountReader, credential: Credential) -> dict[str, Any] | str:
    if credential.unusable:
        return credential.unusable
    try:
        return await reader.read(credential)
    except PlatformError as error:
        return str(error)
