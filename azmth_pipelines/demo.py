"""Sample content for `azmth demo`: one artist, one release and posts that exercise every publish path."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from azmth_pipelines.db.models import ContentPost
from azmth_pipelines.domain.artists import create_artist
from azmth_pipelines.domain.connections import save_connection
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


def seed_demo(
    session: Session,
    *,
    scheduled_for: datetime,
    media: DemoMedia,
    store: MediaStore,
    sandbox: SandboxHandle,
    cipher: TokenCipher,
) -> list[ContentPost]:
    """Create the demo artist (connected to the sandbox), a release and posts, all due at `scheduled_for`."""
    artist = create_artist(session, name="Demo Artist", timezone="Europe/Berlin")
    connect_sandbox_accounts(session, artist_id=artist.id, sandbox=sandbox, cipher=cipher)
    release = create_release(
        session,
        artist_id=artist.id,
        title="Night Drive",
        isrc="US-S1Z-26-00001",
        upc="123456789012",
        release_date=(scheduled_for + timedelta(days=7)).date(),
        presave_url="https://presave.example/night-drive",
        checklist=[ChecklistInput("Master delivered"), ChecklistInput("Artwork approved")],
        marketing_plan=[MarketingSectionInput("Teasers", "Three short clips in release week.")],
    )

    def post(**kwargs: Any) -> ContentPost:
        return create_post(
            session,
            artist_id=artist.id,
            scheduled_for=scheduled_for,
            status="scheduled",
            store=store,
            **kwargs,
        )

    return [
        post(
            platforms=["instagram", "threads", "x", "tiktok"],
            body="Night Drive is out Friday. Pre-save now!",
            caption_overrides={"x": "Night Drive, Friday. Pre-save: https://presave.example/night-drive"},
            media=[MediaInput(media.portrait_jpeg)],
            release_id=release.id,
        ),
        post(
            platforms=["instagram", "tiktok", "x"],
            body="Studio session, sound on",
            media=[MediaInput(media.clip_with_audio)],
            release_id=release.id,
        ),
        post(
            platforms=["instagram"],
            body="Silent teaser (Instagram gets a silent audio track, Path A)",
            platform_options={"instagram": {"path": "A", "placement": "reels"}},
            media=[MediaInput(media.clip_silent)],
        ),
        post(
            platforms=["tiktok"],
            body="Finish this one in the TikTok app",
            platform_options={"tiktok": {"mode": "inbox"}},
            media=[MediaInput(media.clip_with_audio)],
        ),
        post(
            platforms=["instagram", "threads"],
            body="Panorama from the tour bus",
            media=[MediaInput(media.panorama_jpeg, crops={"instagram": {"aspect": "4:5"}})],
        ),
        post(platforms=["threads", "x"], body="Text only: thank you for 10k!"),
    ]
