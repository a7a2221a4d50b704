"""A studio for publishing tests: a migrated database, the sandbox, a media server, one connected artist."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from cryptography.fernet import Fernet

from azmth_pipelines.db.engine import session_factory, session_scope
from azmth_pipelines.db.models import ContentPost, PublishAttempt
from azmth_pipelines.demo import DemoMedia, connect_sandbox_accounts, make_demo_media
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.posts import MediaInput, create_post
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.media.server import MediaServer
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.ops.tick import TickRun, publish_config, run_tick
from azmth_pipelines.publishing.ledger import Ledger, Stage
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform, PostStatus
from azmth_sandbox.testing import SandboxAccount, SandboxHandle

# A window start; posts are due in it and the tick after it closes works them.
# In the past: Dagster only knows windows that have closed by the real clock.
T0 = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
AFTER_T0 = T0 + timedelta(minutes=15, seconds=5)


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> DemoMedia:
    return make_demo_media(tmp_path_factory.mktemp("demo-media"))


@dataclass
class Studio:
    sandbox: SandboxHandle
    store: MediaStore
    artist_id: int
    accounts: dict[Platform, SandboxAccount]
    media: DemoMedia
    instance: dg.DagsterInstance

    def post(
        self,
        platforms: list[str],
        *,
        media: list[Path] = (),  # type: ignore[assignment]
        at: datetime = T0,
        crops: dict[str, dict[str, Any]] | None = None,
        as_web_app: bool = False,
        **kwargs: Any,
    ) -> int:
        """A scheduled post. `as_web_app` writes it as the web app may, without the domain's write-time checks, for
        what only publishing's own checks refuse (it is written as a draft, then scheduled on the row)."""
        with session_scope() as session:
            post = create_post(
                session,
                artist_id=self.artist_id,
                platforms=platforms,
                body=kwargs.pop("body", "Night Drive out Friday"),
                media=[MediaInput(p, crops=crops or {}) for p in media],
                scheduled_for=at,
                status="draft" if as_web_app else "scheduled",
                store=self.store,
                **kwargs,
            )
            post.status = PostStatus.SCHEDULED
            return post.id

    def tick(self, now: datetime, shard_count: int = 1) -> list[TickRun]:
        from azmth_pipelines.definitions import defs

        return run_tick(defs, self.instance, now=now, fixed_clock=True, shard_count=shard_count).runs

    def tick_as_deployed(self, tick: datetime, *, runs_start_after: timedelta) -> list[TickRun]:
        """A tick as the daemon runs it: the schedule evaluated at the tick's own time, its runs acting a little
        later (queued, launched, started)."""
        from azmth_pipelines.definitions import defs
        from azmth_pipelines.schedules import publish_schedule

        context = dg.build_schedule_context(instance=self.instance, scheduled_execution_time=tick)
        requests = publish_schedule(context, database=defs.resources["database"])
        if isinstance(requests, dg.SkipReason):
            return []
        job = defs.resolve_job_def("publish_job")
        runs = []
        for request in requests:
            result = job.execute_in_process(
                partition_key=request.partition_key,
                tags=request.tags,
                run_config=publish_config(tick + runs_start_after),
                instance=self.instance,
                raise_on_error=False,
            )
            runs.append(TickRun(request.partition_key or "", result.run_id, result.success))
        return runs

    def rerun(self, run: TickRun) -> dg.ExecuteInProcessResult:
        """Ops re-executes the run of a window from the UI: the whole job, same partition, tagged as its
        re-execution."""
        from azmth_pipelines.definitions import defs

        parent = self.instance.get_run_by_id(run.run_id)
        assert parent is not None
        return defs.resolve_job_def("publish_job").execute_in_process(
            partition_key=run.partition_key,
            instance=self.instance,
            tags={**parent.tags, "dagster/parent_run_id": run.run_id, "dagster/root_run_id": run.run_id},
            raise_on_error=False,
        )

    def per_platform(self, post_id: int) -> dict[str, Any]:
        return self.row(post_id).per_platform

    def row(self, post_id: int) -> ContentPost:
        with session_scope() as session:
            post = session.get(ContentPost, post_id)
            assert post is not None
            session.expunge(post)
            return post

    def attempts(self, post_id: int, platform: Platform) -> list[PublishAttempt]:
        from sqlalchemy import select

        with session_scope() as session:
            rows = session.scalars(
                select(PublishAttempt)
                .where(PublishAttempt.post_id == post_id, PublishAttempt.platform == platform)
                .order_by(PublishAttempt.attempt_number)
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    def published(self, platform: Platform) -> list[dict[str, Any]]:
        return self.sandbox.published(platform.value, self.accounts[platform].id)

    def die_after_requesting(self, post_id: int, remote_ids: dict[str, Any] | None = None) -> None:
        """What a run killed after asking X to post leaves behind: an attempt at publish_requested, never finished."""
        ledger = Ledger(session_factory())
        claim = ledger.claim(post_id, Platform.X, now=AFTER_T0, run_id="dead", manual=False)
        assert claim is not None
        ledger.checkpoint(claim, Stage.PUBLISH_REQUESTED, remote_ids or {"media_ids": []}, now=AFTER_T0)

    def tweet(self, text: str) -> str:
        """Posts to the artist's X account directly: the call a dead run made, which landed."""

        async def create() -> str:
            async with XClient() as client:
                return (await client.create_post(self.accounts[Platform.X].access_token, text)).id

        return asyncio.run(create())


@pytest.fixture
def studio(
    sandbox: SandboxHandle,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    demo_media: DemoMedia,
) -> Iterator[Studio]:
    media_dir = tmp_path / "media"
    with MediaServer(media_dir) as server:
        monkeypatch.setenv("AZMTH_MEDIA_DIR", str(media_dir))
        monkeypatch.setenv("AZMTH_PUBLIC_MEDIA_URL", server.url)
        monkeypatch.setenv("AZMTH_SECRET_KEY", Fernet.generate_key().decode())
        sandbox.configure(tiktok_verified_url_prefixes=[server.url])
        store = MediaStore(media_dir, server.url)
        with session_scope() as session:
            artist = create_artist(session, name="Nova", timezone="Europe/Berlin")
            accounts = connect_sandbox_accounts(
                session, artist_id=artist.id, sandbox=sandbox, cipher=TokenCipher.from_settings()
            )
            artist_id = artist.id
        yield Studio(sandbox, store, artist_id, accounts, demo_media, dg.DagsterInstance.ephemeral())
