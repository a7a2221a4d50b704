"""Publishing a window's items: open the platform clients, build the publishers, run them.

The one entry point the Dagster op, the CLI and the tests share.
"""

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.types import utcnow
from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.planner import WorkItem
from azmth_pipelines.publishing.publishers import build_publishers
from azmth_pipelines.publishing.runner import PublishRunner, RunSummary
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform


async def publish_items(
    items: list[WorkItem],
    *,
    sessions: sessionmaker[Session],
    clients: Mapping[Platform, PlatformClient],
    store: MediaStore,
    cipher: TokenCipher,
    run_id: str | None,
    manual: bool,
    clock: Callable[[], datetime] = utcnow,
) -> RunSummary:
    needed = {item.platform for item in items}
    # Database commits and media preparation run in worker threads; the default pool (cores + 4) would queue
    # them behind each other while dozens of platform calls wait on them.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=16, thread_name_prefix="publish"))
    async with AsyncExitStack() as stack:
        opened = {p: await stack.enter_async_context(clients[p]) for p in needed}
        runner = PublishRunner(
            sessions,
            build_publishers(opened, store),
            media_root=store.root,
            cipher=cipher,
            run_id=run_id,
            manual=manual,
            clock=clock,
        )
        return await runner.run(items)
