"""Pull posts' metrics and store them: the nightly partition, and appended snapshots (follow-ups, manual).

Every entry point is synchronous (asyncio.run inside), for Dagster ops, the CLI and the benchmark alike.
"""

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.types import utcnow
from azmth_pipelines.metrics.clients import ClientFactory, open_clients
from azmth_pipelines.metrics.credentials import CredentialBook
from azmth_pipelines.metrics.pull import MetricsPuller, PagePull, Snapshot
from azmth_pipelines.metrics.report import PullReport, pull_clock
from azmth_pipelines.metrics.retry import RetryPolicy
from azmth_pipelines.metrics.store import (
    Spool,
    append_snapshots,
    record_x_tiers,
    replace_nightly_partition,
    snapshot_row,
)
from azmth_pipelines.metrics.targets import DEFAULT_PAGE_SIZE, EVERY_POST, PostRange, Target, iter_target_pages
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import MetricSource


@dataclass(frozen=True)
class PullSettings:
    client_factory: ClientFactory | None = None  # None: each platform's host from the environment
    concurrency: int = 16  # calls in flight per platform
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    page_size: int = DEFAULT_PAGE_SIZE
    clock: Callable[[], datetime] = utcnow


async def _pull_pages(
    pages: Iterable[list[Target]],
    sessions: sessionmaker[Session],
    cipher: TokenCipher,
    settings: PullSettings,
    report: PullReport,
    keep: Callable[[list[Snapshot]], None],
) -> None:
    """Pull page after page, reading the next page while the calls of the one before are in flight.

    Reading a page (its query, its credentials) and keeping the previous page's rows block the event loop;
    one page behind, they no longer leave every connection idle between pages. At most two pages are held,
    and pages are reported and kept in their order."""
    started = pull_clock()
    credentials = CredentialBook(sessions, cipher)
    async with open_clients(settings.client_factory) as clients:
        puller = MetricsPuller(clients, concurrency=settings.concurrency, retry=settings.retry, clock=settings.clock)
        pending: list[tuple[int, asyncio.Task[PagePull]]] = []

        async def take_oldest() -> None:
            size, task = pending.pop(0)
            pulled = await task
            report.add_page(size, pulled)
            keep(pulled.snapshots)

        try:
            for page in pages:
                pending.append((len(page), asyncio.create_task(puller.pull(page, credentials))))
                if len(pending) > 1:
                    await take_oldest()
            while pending:
                await take_oldest()
        finally:
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
        report.api_calls += puller.counter.calls
        report.retries += puller.counter.retries
    report.count_pull(started)


def sync_nightly(
    partition_date: date,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
    posts: PostRange = EVERY_POST,
) -> PullReport:
    """One nightly snapshot per live published post and platform of `posts`, replacing the partition's nightly rows
    of those posts (a slice of the night, one of several steps; every post by default)."""
    settings = settings or PullSettings()
    cipher = cipher or TokenCipher.from_settings()
    report = PullReport()
    with Spool() as spool:

        def keep(snapshots: list[Snapshot]) -> None:
            spool.add([snapshot_row(s, MetricSource.NIGHTLY, partition_date) for s in snapshots])

        pages = iter_target_pages(sessions, page_size=settings.page_size, posts=posts)
        asyncio.run(_pull_pages(pages, sessions, cipher, settings, report, keep))
        started = time.perf_counter()
        report.rows_written = replace_nightly_partition(sessions, partition_date, spool, posts)
        with sessions.begin() as session:
            record_x_tiers(session, report.x_tiers, settings.clock())
        report.write_s = time.perf_counter() - started
    return report


def pull_and_append(
    targets: list[Target],
    source: MetricSource,
    *,
    sessions: sessionmaker[Session],
    cipher: TokenCipher | None = None,
    settings: PullSettings | None = None,
    after_write: Callable[[Session], None] | None = None,
) -> PullReport:
    """Read `targets` now and append one snapshot each with `source` (follow-ups and manual refreshes).

    `after_write` runs in the same transaction as the insert (e.g. marking refresh requests handled)."""
    settings = settings or PullSettings()
    cipher = cipher or TokenCipher.from_settings()
    report = PullReport()
    rows: list[dict] = []

    def keep(snapshots: list[Snapshot]) -> None:
        rows.extend(snapshot_row(s, source) for s in snapshots)

    if targets:
        asyncio.run(_pull_pages(_pages(targets, settings.page_size), sessions, cipher, settings, report, keep))
    started = time.perf_counter()
    with sessions.begin() as session:
        report.rows_written = append_snapshots(session, rows)
        record_x_tiers(session, report.x_tiers, settings.clock())
        if after_write is not None:
            after_write(session)
    report.write_s = time.perf_counter() - started
    return report


def _pages(targets: list[Target], size: int) -> Iterator[list[Target]]:
    for start in range(0, len(targets), size):
        yield targets[start : start + size]
