"""Reads shared per account within a run: shared by one connection's posts, never across two connections."""

import asyncio

from azmth_pipelines.integrations.common.errors import AuthError
from azmth_pipelines.integrations.common.per_account import PerAccount
from azmth_pipelines.publishing.job import PublishJob
from azmth_pipelines.vocabulary import Platform


def _job(post_id: int, artist_id: int, token: str) -> PublishJob:
    return PublishJob(
        post_id=post_id,
        artist_id=artist_id,
        platform=Platform.INSTAGRAM,
        caption="Out Friday",
        options={},
        media=[],
        account_id="17841400000003028",  # the same Instagram account, connected by two artists
        access_token=token,
    )


def test_one_connections_posts_share_a_read_and_another_connections_refusal_is_its_own() -> None:
    reads: list[str] = []

    async def read(job: PublishJob) -> str:
        reads.append(job.access_token)
        await asyncio.sleep(0.01)  # both reads in flight at once
        if job.access_token == "revoked":
            raise AuthError("Invalid OAuth access token", platform="instagram")
        return f"quota read with {job.access_token}"

    async def run() -> list[str | BaseException]:
        per_account = PerAccount(read)
        jobs = [_job(1, artist_id=1, token="revoked"), _job(2, artist_id=2, token="valid"), _job(3, 2, "valid")]
        return await asyncio.gather(*(per_account.get(job) for job in jobs), return_exceptions=True)

    revoked, first, second = asyncio.run(run())
    assert isinstance(revoked, AuthError)
    assert first == second == "quota read with valid"
    assert sorted(reads) == ["revoked", "valid"]  # artist 2's two posts shared one read
