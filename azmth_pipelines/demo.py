"""Sample content for `azmth demo`: one artist, one release and posts that exercise every publish path."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from azmth_pipelines.db.models import Artist, ContentPost, Release
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.connections import save_connection
from azmth_pipelines.domain.lifecycle import purge_post
from azmth_pipelines.domain.posts import MediaInput, create_post
from azmth_pipelines.domain.releases import ChecklistInput, MarketingSectionInput, create_release
from azmth_pipelines.media.samples import make_image, make_video
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.token_cipher import TokenCipher
from azmth_pipelines.vocabulary import Platform
from azmth_sandbox.testing import SandboxAccount, SandboxHandle


@dataclass(frozen=True)
class DemoMedia:
    portrait_jpeg: Path
    panorama_jpeg: Path
    clip_with_audio: Path
    clip_silent: Path


def make_demo_media(folder: Path) -> DemoMedia:
    return DemoMedia(
        portrait_jpeg=make_image(folder / "portrait-4x5.jpg", 1080, 1350),
        # 2.4:1 is wider than Instagram's 1.91:1 limit: that post crops it for Instagram (refused without the crop).
        panorama_jpeg=make_image(folder / "panorama-2.4x1.jpg", 1440, 600),
        clip_with_audio=make_video(folder / "clip-audio.mp4", seconds=4, width=360, height=640, audio=True),
        clip_silent=make_video(folder / "clip-silent.mp4", seconds=4, width=360, height=640, audio=False),
    )


def connect_sandbox_accounts(
    session: Session,
    *,
    artist_id: int,
    sandbox: SandboxHandle,
    cipher: TokenCipher,
    platforms: list[Platform] | None = None,
) -> dict[Platform, SandboxAccount]:
    """Give the artist a sandbox account on each platform, connected with publishing scopes (no OAuth dance)."""
    accounts = {}
    for platform in platforms or list(Platform):
        account = sandbox.create_account(platform.value, f"artist{artist_id}_{platform.value}")
        save_connection(
            session,
            artist_id=artist_id,
            platform=platform.value,
            external_account_id=account.remote_id,
            username=account.username,
            access_token=account.access_token,
            refresh_token=account.refresh_token,
            granted_scopes=account.scopes,
            cipher=cipher,
        )
        accounts[platform] = account
    return accounts


DEMO_ARTIST = "Demo Artist"
DEMO_RELEASE = "Night Drive"


def demo_artist(session: Session) -> Artist:
    """The demo's artist: the one an earlier `azmth demo` or `azmth dev` created, else a new one."""
    found = session.scalars(select(Artist).where(Artist.name == DEMO_ARTIST).order_by(Artist.id).limit(1)).first()
    return found or create_artist(session, name=DEMO_ARTIST, timezone="Europe/Berlin")


def connect_demo_artist(session: Session, *, sandbox: SandboxHandle, cipher: TokenCipher) -> Artist:
    """The demo's artist, its four connections (re)pointed at accounts on this sandbox with fresh tokens.

    The sandbox keeps its accounts in memory, so tokens from an earlier sandbox mean nothing to this one; the
    connections are replaced in place (one per platform), never added.
    """
    artist = demo_artist(session)
    connect_sandbox_accounts(session, artist_id=artist.id, sandbox=sandbox, cipher=cipher)
    return artist


def _demo_release(session: Session, artist_id: int, scheduled_for: datetime) -> Release:
    found = session.scalars(
        select(Release).where(Release.artist_id == artist_id, Release.title == DEMO_RELEASE).order_by(Release.id)
    ).first()
    if found is not None:
        found.release_date = (scheduled_for + timedelta(days=7)).date()
        return found
    return create_release(
        session,
        artist_id=artist_id,
        title=DEMO_RELEASE,
        isrc="US-S1Z-26-00001",
        upc="123456789012",
        release_date=(scheduled_for + timedelta(days=7)).date(),
        presave_url="https://presave.example/night-drive",
        checklist=[ChecklistInput("Master delivered"), ChecklistInput("Artwork approved")],
        marketing_plan=[MarketingSectionInput("Teasers", "Three short clips in release week.")],
    )


def _demo_posts(media: DemoMedia, release_id: int) -> list[dict[str, Any]]:
    return [
        dict(
            platforms=["instagram", "threads", "x", "tiktok"],
            body="Night Drive is out Friday. Pre-save now!",
            caption_overrides={"x": "Night Drive, Friday. Pre-save: https://presave.example/night-drive"},
            media=[MediaInput(media.portrait_jpeg)],
            release_id=release_id,
        ),
        dict(
            platforms=["instagram", "tiktok", "x"],
            body="Studio session, sound on",
            media=[MediaInput(media.clip_with_audio)],
            release_id=release_id,
        ),
        dict(
            platforms=["instagram"],
            body="Silent teaser (Instagram gets a silent audio track, Path A)",
            platform_options={"instagram": {"path": "A", "placement": "reels"}},
            media=[MediaInput(media.clip_silent)],
        ),
        dict(
            platforms=["tiktok"],
            body="Finish this one in the TikTok app",
            platform_options={"tiktok": {"mode": "inbox"}},
            media=[MediaInput(media.clip_with_audio)],
        ),
        dict(
            platforms=["instagram", "threads"],
            body="Panorama from the tour bus",
            media=[MediaInput(media.panorama_jpeg, crops={"instagram": {"aspect": "4:5"}})],
        ),
        dict(platforms=["threads", "x"], body="Text only: thank you for 10k!"),
    ]


def seed_demo(
    session: Session,
    *,
    scheduled_for: datetime,
    media: DemoMedia,
    store: MediaStore,
    sandbox: SandboxHandle,
    cipher: TokenCipher,
) -> list[ContentPost]:
    """The demo artist (connected to this sandbox), its release and posts, all due at `scheduled_for`.

    Run again, it reuses the artist, its connections and the release, and replaces the posts an earlier run
    wrote: those were published to an earlier sandbox, which is gone with everything it knew about them.
    """
    artist = connect_demo_artist(session, sandbox=sandbox, cipher=cipher)
    release = _demo_release(session, artist.id, scheduled_for)
    posts = _demo_posts(media, release.id)
    bodies = {post["body"] for post in posts}
    for earlier in session.scalars(
        select(ContentPost).where(ContentPost.artist_id == artist.id, ContentPost.body.in_(bodies))
    ):
        purge_post(session, earlier)
    return [
        create_post(session, artist_id=artist.id, scheduled_for=scheduled_for, status="scheduled", store=store, **post)
        for post in posts
    ]
