"""What an Instagram post lets the artist choose: Path A (the API) or B (handed to the artist to post from the
app), the placement, and whether a Reel is also shown in the feed."""

from collections.abc import Mapping, Sequence
from typing import Any, Final

from azmth_pipelines.integrations.common.options import YES_OR_NO, Misfit, PostOptions
from azmth_pipelines.vocabulary import InstagramPath, MediaKind

PLACEMENTS: Final = ("feed", "reels", "stories")
# Post options say "stories" (as the Graph API's STORIES); the media checks say "story".
_CHECKED_AS: Final = {"feed": "feed", "reels": "reels", "stories": "story"}


def placement_of(options: Mapping[str, Any], first: MediaKind | None) -> str:
    """Where an Instagram post goes: the chosen placement, else a video is a Reel (feed VIDEO was retired in
    Nov 2023: a video in the feed is published as a Reel) and a picture a feed post."""
    return options.get("placement") or ("reels" if first is MediaKind.VIDEO else "feed")


def checked_as(placement: str) -> str:
    """The placement as media/checks.py names it."""
    return _CHECKED_AS.get(placement, placement)


def _checked_placement(options: Mapping[str, Any], kinds: Sequence[MediaKind]) -> str:
    return checked_as(placement_of(options, kinds[0])) if kinds else "feed"


def handed_off(options: Mapping[str, Any]) -> bool:
    """Path B: the artist posts it from the app, so publishing prepares no media for the API."""
    return options.get("path") == InstagramPath.B.value


def misfit(options: Mapping[str, Any], kinds: Sequence[MediaKind]) -> Misfit | None:
    """A placement the post's files cannot fill, or share_to_feed off a Reel.

    A Reel on a still image is left to the media checks (media/checks.py), which word it as publishing does.
    """
    chosen = placement_of(options, kinds[0] if kinds else None)
    if chosen in ("reels", "stories") and len(kinds) > 1:
        one = "a Reel is one video" if chosen == "reels" else "a story is one photo or video"
        return Misfit("placement", f"Instagram: {one}; this post has {len(kinds)} - keep one or post them to the feed")
    if "share_to_feed" in options and (chosen != "reels" or list(kinds) != [MediaKind.VIDEO]):
        return Misfit("share_to_feed", "Instagram: share_to_feed applies to Reels only")
    return None


OPTIONS = PostOptions(
    choices={
        "path": tuple(p.value for p in InstagramPath),
        "placement": PLACEMENTS,
        "share_to_feed": YES_OR_NO,
    },
    defaults={"path": InstagramPath.A.value},
    misfit=misfit,
    placement=_checked_placement,
    handed_off=handed_off,
)
