"""Caption rules per platform, checked when a post is written and again before any call, so a caption a platform
would refuse is refused with the fix instead of burning retries (limits from platforms/<platform>/limits.py)."""

import re

from twitter_text import parse_tweet

from azmth_pipelines.platforms.instagram import limits as instagram
from azmth_pipelines.platforms.threads import limits as threads
from azmth_pipelines.platforms.tiktok import limits as tiktok
from azmth_pipelines.platforms.x import limits as x
from azmth_pipelines.vocabulary import MediaKind, Platform

_HASHTAG = re.compile(r"(?<!\w)#\w+")
_MENTION = re.compile(r"(?<!\w)@[\w.]+")
_FIX = "shorten it or set a {label} caption override"


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def caption_problem(platform: Platform, caption: str, *, media_kinds: list[MediaKind]) -> str | None:
    """Why `platform` would refuse the caption, worded with the fix; None when it is fine."""
    fix = _FIX.format(label=platform.label)
    match platform:
        case Platform.X:
            weighted = parse_tweet(caption).weightedLength
            if weighted > x.TEXT_MAX_WEIGHTED:
                return (
                    f"X: caption is {weighted} characters as X counts them (links 23, emoji 2); "
                    f"at most {x.TEXT_MAX_WEIGHTED} - {fix}"
                )
        case Platform.THREADS:
            # Threads counts emoji by their UTF-8 bytes (create-posts doc): count the same way.
            size = sum(len(ch.encode()) if ord(ch) > 0xFFFF else 1 for ch in caption)
            if size > threads.TEXT_MAX_CHARS:
                return f"Threads: caption is {size} characters; at most {threads.TEXT_MAX_CHARS} - {fix}"
            if not caption.strip() and not media_kinds:
                return "Threads: a text post needs text - write a body or a Threads caption"
        case Platform.INSTAGRAM:
            if len(caption) > instagram.CAPTION_MAX_CHARS:
                return f"Instagram: caption is {len(caption)} characters; at most {instagram.CAPTION_MAX_CHARS} - {fix}"
            hashtags = len(_HASHTAG.findall(caption))
            if hashtags > instagram.CAPTION_MAX_HASHTAGS:
                return f"Instagram: {hashtags} hashtags; at most {instagram.CAPTION_MAX_HASHTAGS} - remove some"
            mentions = len(_MENTION.findall(caption))
            if mentions > instagram.CAPTION_MAX_MENTIONS:
                return f"Instagram: {mentions} @mentions; at most {instagram.CAPTION_MAX_MENTIONS} - remove some"
        case Platform.TIKTOK:
            photo = bool(media_kinds) and media_kinds[0] is MediaKind.IMAGE
            limit = tiktok.PHOTO_DESCRIPTION_MAX_UTF16 if photo else tiktok.VIDEO_TITLE_MAX_UTF16
            units = _utf16_units(caption)
            if units > limit:
                return f"TikTok: caption is {units} characters; at most {limit} - {fix}"
    return None
