"""Caption rules per platform, checked before any call so a too-long caption fails with the fix."""

from twitter_text import parse_tweet

from azmth_pipelines.vocabulary import MediaKind, Platform


def caption_problem(platform: Platform, caption: str, *, media_kinds: list[MediaKind]) -> str | None:
    if platform is Platform.X:
        weighted = parse_tweet(caption).weightedLength
        if weighted > 280:
            return f"X: caption is {weighted} characters as X counts them (links 23, emoji 2); at most 280"
    return None
