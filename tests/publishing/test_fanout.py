"""Scale-out for real: a window's shards run as separate processes (multiprocess executor) and give the same
results as one shard in one process."""

from collections.abc import Iterator
from datetime import timedelta
from multiprocessing import forkserver

import dagster as dg
import pytest

from azmth_pipelines.db.engine import session_scope
from azmth_pipelines.demo import connect_sandbox_accounts
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.posts import create_post
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.publishing.windows import partition_key
from azmth_pipelines.token_cipher import TokenCipher
from tests.publishing.conftest import AFTER_T0, T0, Studio

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_forkserver() -> Iterator[None]:
    """The job's step processes fork from a forkserver, which keeps the environment it started with (a deployment
    starts one per run worker, so per run). A test's database and sandbox reach the steps through env vars, so each
    test gets its own forkserver; multiprocessing has no public call for that."""
    forkserver._forkserver._stop()  # type: ignore[attr-defined]
    yield
    forkserver._forkserver._stop()  # type: ignore[attr-defined]


def _window_of_posts(studio: Studio, artists: list[int], window, tag: str) -> list[int]:  # type: ignore[no-untyped-def]
    posts = []
    with session_scope() as session:
        for artist_id in artists:
            for n in range(2):
                posts.append(
                    create_post(
                        session,
                        artist_id=artist_id,
                        platforms=["x", "threads"],
                        body=f"{tag} artist {artist_id} #{n}",
                        scheduled_for=window,
                        status="scheduled",
                    ).id
                )
    return posts


def _outcome(studio: Studio, posts: list[int]) -> list[tuple[str, ...]]:
    return [tuple(sorted((p, e["state"], e["attempts"]) for p, e in studio.per_platform(i).items())) for i in posts]  # type: ignore[misc]


def test_three_shards_in_three_processes_match_one_shard(studio: Studio) -> None:
    artists = [studio.artist_id]
    with session_scope() as session:
        for name in ("Lumen", "Arlo"):
            artist = create_artist(session, name=name)
            connect_sandbox_accounts(
                session, artist_id=artist.id, sandbox=studio.sandbox, cipher=TokenCipher.from_settings()
            )
            artists.append(artist.id)
    one_window, fanned_window = T0 - timedelta(minutes=15), T0
    one = _window_of_posts(studio, artists, one_window, "one shard")
    fanned = _window_of_posts(studio, artists, fanned_window, "three shards")

    from azmth_pipelines.definitions import defs

    single = defs.resolve_job_def("publish_job").execute_in_process(
        partition_key=partition_key(one_window), run_config=publish_config(AFTER_T0, 1), instance=studio.instance
    )
    assert single.success

    # Step processes rebuild the job by name and reach the database, sandbox and media through the env vars.
    with dg.instance_for_test() as instance:
        job = dg.build_reconstructable_job("azmth_pipelines.definitions", "publish_job_with_resources")
        config = publish_config(AFTER_T0, 3) | {"execution": {"config": {"multiprocess": {"max_concurrent": 3}}}}
        with dg.execute_job(
            job, instance=instance, run_config=config, tags={"dagster/partition": partition_key(fanned_window)}
        ) as result:
            assert result.success
            shard_steps = {
                e.step_key
                for e in result.all_events
                if e.is_step_success and (e.step_key or "").startswith("publish_shard")
            }
            pids = {
                e.pid for e in result.all_events if e.is_step_start and (e.step_key or "").startswith("publish_shard")
            }
    assert len(shard_steps) == 3 and len(pids) == 3
    assert _outcome(studio, fanned) == _outcome(studio, one)
    assert all(state == "published" for row in _outcome(studio, fanned) for _, state, _ in row)
