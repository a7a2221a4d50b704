"""A metrics studio: a migrated database, the sandbox over HTTP, one artist connected on each platform, and
helpers that publish real posts in the sandbox and record them as published content_post rows."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.connections import save_connection
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.metrics.retry import RetryPolicy
from azmth_pipelines.metrics.sync import PullSettings
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform, PostStatus
from azmth_sandbox.state import Post
from azmth_sandbox.testing import SandboxAccount, SandboxHandle

# Retries in tests wait milliseconds, not the production second.
FAST = PullSettings(retry=RetryPolicy(backoff_s=0.01), concurrency=4, page_size=3)


@dataclass
class MetricsStudio:
    sandbox: SandboxHandle
    database_url: str
    artist_id: int
    accounts: dict[Platform, SandboxAccount] = field(default_factory=dict)
    _n: int = 0

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.database_url)

    def connect(self, platform: Platform, **options: Any) -> SandboxAccount:
        account = self.sandbox.create_account(platform.value, f"nova_{platform.value}", **options)
        with session_scope() as session:
            save_connection(
                session,
                artist_id=self.artist_id,
                platform=platform.value,
                external_account_id=account.remote_id,
                username=account.username,
                access_token=account.access_token,
                granted_scopes=account.scopes,
                cipher=TokenCipher.from_settings(),
            )
        self.accounts[platform] = account
        return account

    def _text(self) -> str:
        self._n += 1
        return f"Night Drive out Friday #{self._n}"

    def publish_remote(self, platform: Platform, *, product_type: str = "FEED") -> str:
        """A live post on the platform: through the client where text posts exist (X, Threads), else
        recorded in the sandbox's state as its publish flow would (TikTok and Instagram need media)."""
        account = self.accounts[platform]
        if platform is Platform.X:
            return asyncio.run(_x_post(account.access_token, self._text()))
        if platform is Platform.THREADS:
            return asyncio.run(_threads_post(account.access_token, self._text()))
        state = self.sandbox.state
        remote_id = state.new_id(platform.value)
        sandbox_account = state.account_by_remote(platform.value, account.remote_id)
        assert sandbox_account is not None
        state.record_post(
            Post(
                platform=platform.value,
                account_id=sandbox_account.id,
                remote_id=remote_id,
                text=self._text(),
                media=["clip.mp4"],
                media_type="VIDEO",
                published_at=state.now(),
                product_type="DIRECT_POST" if platform is Platform.TIKTOK else product_type,
            )
        )
        return remote_id

    def add_post(
        self,
        remote_ids: dict[Platform, str],
        *,
        published_at: datetime | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        published_at = published_at or datetime.now(UTC) - timedelta(minutes=5)
        per_platform = {
            p.value: {"state": "published", "attempts": 1, "remote_id": rid, "settled_at": published_at.isoformat()}
            for p, rid in remote_ids.items()
        }
        with session_scope() as session:
            post = ContentPost(
                artist_id=self.artist_id,
                body="Night Drive out Friday",
                platforms=[p.value for p in remote_ids],
                scheduled_for=published_at,
                status=PostStatus.POSTED,
                per_platform=per_platform,
                platform_options=options or {},
            )
            session.add(post)
            session.flush()
            return post.id

    def publish(self, *platforms: Platform, published_at: datetime | None = None, **kwargs: Any) -> int:
        return self.add_post({p: self.publish_remote(p) for p in platforms}, published_at=published_at, **kwargs)

    def set_published_at(self, post_id: int, published_at: datetime) -> None:
        with session_scope() as session:
            post = session.get(ContentPost, post_id)
            assert post is not None
            post.per_platform = {
                name: {**entry, "settled_at": published_at.isoformat()} for name, entry in post.per_platform.items()
            }


async def _x_post(token: str, text: str) -> str:
    async with XClient() as client:
        return (await client.create_post(token, text)).id


async def _threads_post(token: str, text: str) -> str:
    async with ThreadsClient() as client:
        container = await client.create_text_container(token, text=text)
        for _ in range(100):
            if (await client.container_status(token, container)).is_ready:
                break
            await asyncio.sleep(0.02)
        return await client.publish(token, container)


@pytest.fixture
def studio(sandbox: SandboxHandle, database_url: str) -> MetricsStudio:
    sandbox.configure(processing_delay_s=0)
    with session_scope() as session:
        artist_id = create_artist(session, name="Nova", timezone="Europe/Berlin").id
    return MetricsStudio(sandbox=sandbox, database_url=database_url, artist_id=artist_id)


@pytest.fixture
def connected(studio: MetricsStudio) -> MetricsStudio:
    for platform in Platform:
        studio.connect(platform)
    return studio
