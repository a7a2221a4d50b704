"""Each client end to end against the running platform sandbox over loopback HTTP: publish, then read back.

The clients get nothing but the AZMTH_*_URL variables the `sandbox` fixture sets, exactly as production
gets nothing but the real hosts.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from azmth_pipelines.integrations.common.errors import AuthError, PermanentError, RateLimited
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.tiktok.chunks import ChunkPlan
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.tiktok.models import VideoPostInfo
from azmth_pipelines.integrations.x.client import XClient

pytestmark = pytest.mark.anyio
T = TypeVar("T")


async def poll(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], attempts: int = 200) -> T:
    """Poll like a client does (the sandbox processes in the background); short pauses keep tests fast."""
    result = await fetch()
    for _ in range(attempts):
        if done(result):
            return result
        await asyncio.sleep(0.05)
        result = await fetch()
    raise AssertionError(f"still not done after {attempts} polls: {result}")


async def test_tiktok_direct_post_file_upload_then_metrics(sandbox, public_media):
    account = sandbox.create_account("tiktok", "loud_artist")
    token = account.access_token
    video = public_media.directory / "reel.mp4"
    async with TikTokClient() as tiktok:
        info = await tiktok.creator_info(token)
        plan = ChunkPlan.for_size(video.stat().st_size)
        init = await tiktok.init_direct_video(
            token, VideoPostInfo(privacy_level=info.privacy_level_options[0], title="New single"), plan
        )
        assert init.upload_url is not None
        await tiktok.upload_video(init.upload_url, video, plan)
        status = await poll(lambda: tiktok.publish_status(token, init.publish_id), lambda s: s.is_terminal)
        assert status.status == "PUBLISH_COMPLETE", status
        status = await poll(lambda: tiktok.publish_status(token, init.publish_id), lambda s: bool(s.post_ids))
        [post_id] = status.post_ids
        videos = await tiktok.query_videos(token, [post_id])
        listed = [v.id async for v in tiktok.iter_videos(token)]
        user = await tiktok.user_info(token, account.scopes)
    assert [v.id for v in videos] == [post_id] and videos[0].view_count is not None
    assert post_id in listed
    assert user.open_id


async def test_tiktok_failures_come_back_typed(sandbox):
    banned = sandbox.create_account("tiktok", "banned", posting_blocked="spam_risk_too_many_posts")
    revoked = sandbox.create_account("tiktok", "gone")
    sandbox.revoke_token(revoked.access_token)
    async with TikTokClient() as tiktok:
        with pytest.raises(PermanentError) as spam:
            await tiktok.creator_info(banned.access_token)
        with pytest.raises(AuthError):
            await tiktok.creator_info(revoked.access_token)
    assert spam.value.code == "spam_risk_too_many_posts" and spam.value.http_status == 200


async def test_instagram_image_post_then_insights(sandbox, public_media):
    account = sandbox.create_account("instagram", "band_official")
    token = account.access_token
    async with InstagramClient() as instagram:
        [linked] = [a for a in await instagram.linked_accounts(token) if a.ig_user_id]
        ig_user_id = linked.ig_user_id
        container = await instagram.create_image_container(
            token, ig_user_id, image_url=public_media.url("portrait.jpg"), caption="Tour dates!"
        )
        await poll(lambda: instagram.container_status(token, container), lambda s: s.is_ready or s.is_failed)
        media_id = await instagram.publish(token, ig_user_id, container)
        media = await instagram.media(token, media_id)
        insights = await instagram.media_insights(token, media_id)
        limit = await instagram.publishing_limit(token, ig_user_id)
        profile = await instagram.account(token, ig_user_id)
    assert ig_user_id == account.remote_id
    assert media.caption == "Tour dates!" and media.media_product_type == "FEED" and media.permalink
    assert insights.likes is not None
    assert limit.quota_usage == 1 and limit.quota_total
    assert profile.followers_count is not None
    assert instagram.latest_usage is not None


async def test_threads_text_post_then_insights(sandbox):
    account = sandbox.create_account("threads", "band_threads")
    token = account.access_token
    async with ThreadsClient() as threads:
        container = await threads.create_text_container(token, text="Out now")
        await poll(lambda: threads.container_status(token, container), lambda s: s.is_ready or s.is_failed)
        media_id = await threads.publish(token, container)
        insights = await threads.media_insights(token, media_id)
        followers = await threads.followers_count(token)
        limit = await threads.publishing_limit(token)
    assert insights.likes is not None
    assert followers is not None
    assert limit.quota_usage == 1


async def test_x_post_with_uploaded_image_then_metrics(sandbox, public_media):
    account = sandbox.create_account("x", "band_x")
    token = account.access_token
    async with XClient(max_poll_interval_s=0.05) as x:
        chunked = await x.upload_media(
            token, public_media.directory / "square.jpg", media_type="image/jpeg", media_category="tweet_image"
        )
        chunked = await x.wait_for_media(token, chunked, max_wait_s=30)
        simple = await x.wait_for_media(
            token, await x.upload_image(token, public_media.directory / "square.jpg", media_type="image/jpeg")
        )
        post = await x.create_post(token, "Launch day!", media_ids=[chunked.id, simple.id])
        read = await x.tweets(token, [post.id, "1"])
        me = await x.me(token)
    assert read.available
    assert [t.id for t in read.tweets] == [post.id] and read.tweets[0].public_metrics is not None
    assert [e.resource_id for e in read.errors] == ["1"]
    assert me.metrics.followers_count is not None


async def test_x_write_only_tier_and_rate_limits_are_typed(sandbox):
    free = sandbox.create_account("x", "free_tier", tier="free")
    sandbox.set_limits(x_create_tweets_per_15min=1)
    async with XClient() as x:
        read = await x.tweets(free.access_token, ["1"])
        await x.create_post(free.access_token, "first")
        with pytest.raises(RateLimited) as limited:
            await x.create_post(free.access_token, "second")
    assert not read.available and read.unavailable.kind == "client-forbidden"
    assert limited.value.retry_after_s is not None and limited.value.retry_after_s > 0
