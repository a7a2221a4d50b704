"""Instagram Path B: hand the post to the artist to finish in the Instagram app.

Used when the API route is closed (no professional account, refused media, quota). Meta documents sharing
into the app only from native apps holding a local file: Android intents with EXTRA_STREAM and iOS
Document Interaction / pasteboard ("Sharing to Feed", "Sharing to Stories" at
developers.facebook.com/docs/instagram-platform/sharing-to-feed and /docs/instagram/sharing-to-stories).
No documented link takes a remote media URL, so the artist first saves our copy to the phone, then the link
opens Instagram's camera/composer where the saved video is first in the gallery. `instagram://camera` is the
long-standing Instagram "iPhone Hooks" scheme (also registered by the Android app); it is not on Meta's current
pages (UNCONFIRMED), hence the web fallback.
"""

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from azmth_pipelines.media.crop import CropSpec, crop_image
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import JobMedia
from azmth_pipelines.vocabulary import MediaKind

INSTAGRAM_APP_LINK = "instagram://camera"
INSTAGRAM_WEB_FALLBACK = "https://www.instagram.com/"
_PLACEMENT_WORDS = {"reels": "Reel", "story": "Story", "feed": "post"}


@dataclass(frozen=True)
class Handoff:
    download_url: str
    deep_link: str
    instructions: str
    sha256: str = ""
    caption: str | None = None
    fallback_url: str = INSTAGRAM_WEB_FALLBACK


def instagram_handoff(
    store: MediaStore, media: Path, *, placement: str = "reels", caption: str | None = None
) -> Handoff:
    """Put `media` in the store (idempotent) and say, step by step, how to post it from the phone."""
    stored = store.put_file(media)
    what = _PLACEMENT_WORDS.get(placement, "post")
    kind = "video" if stored.content_type.startswith("video/") else "picture"
    steps = [
        f"1. On your phone, open {stored.url} and save the {kind} to your camera roll.",
        f"2. Tap the Instagram link to open Instagram's camera (or open the app and tap +), choose {what}, "
        "and pick the file you just saved - it is the newest in your gallery.",
    ]
    if caption:
        steps.append(f"3. Paste this caption and tap Share:\n{caption}")
    else:
        steps.append("3. Add your caption and tap Share.")
    return Handoff(
        download_url=stored.url,
        deep_link=INSTAGRAM_APP_LINK,
        instructions="\n".join(steps),
        sha256=stored.sha256,
        caption=caption,
    )


async def handoff_for(item: JobMedia, store: MediaStore, *, placement: str, caption: str) -> Handoff:
    """The artist's own copy (with their crop) and the way into the app."""
    path = item.path
    with tempfile.TemporaryDirectory(prefix="azmth-handoff-") as tmp:
        if item.kind is MediaKind.IMAGE and item.crop:
            path = await asyncio.to_thread(
                lambda: crop_image(item.path, CropSpec.from_dict(item.crop or {}), Path(tmp) / "handoff.jpg").path
            )
        return await asyncio.to_thread(instagram_handoff, store, path, placement=placement, caption=caption)
