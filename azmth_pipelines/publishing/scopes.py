"""The write scopes publishing needs, per platform and post options (the FAQ: publishing needs a reconnect
that grants them; a missing one is a "reconnect and grant X" error before any call)."""

from typing import Any

from azmth_pipelines.vocabulary import Platform, TikTokMode


def required_write_scopes(platform: Platform, options: dict[str, Any], has_media: bool) -> list[str]:
    match platform:
        case Platform.TIKTOK:
            # Direct posts need video.publish; the drafts inbox (and photo MEDIA_UPLOAD) need video.upload.
            return ["video.upload"] if options.get("mode") == TikTokMode.INBOX.value else ["video.publish"]
        case Platform.INSTAGRAM:
            return ["instagram_content_publish"]
        case Platform.THREADS:
            return ["threads_content_publish"]
        case Platform.X:
            return ["tweet.write", "media.write"] if has_media else ["tweet.write"]
    return []


def missing_write_scope(platform: Platform, options: dict[str, Any], granted: set[str], has_media: bool) -> str | None:
    for scope in required_write_scopes(platform, options, has_media):
        if scope not in granted:
            return scope
    return None
