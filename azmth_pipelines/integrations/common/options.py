"""The shape of a platform's post options (its options.py `OPTIONS`): what the artist may choose, the defaults,
and the platform's own rules on how the choices meet the post's media.

Stored in `content_post.platform_options` as {platform: {option: value}}; domain/post_options.py checks a post's
options against every targeted platform's spec, and domain/publishable.py asks the spec how publishing will
treat the post's media.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from azmth_pipelines.vocabulary import MediaKind

YES_OR_NO: tuple[bool, ...] = (True, False)


class Misfit(NamedTuple):
    """An option the post's media cannot take, and why, worded for the artist with the platform's name."""

    option: str
    message: str


def _fits(options: Mapping[str, Any], kinds: Sequence[MediaKind]) -> Misfit | None:
    return None


def _feed(options: Mapping[str, Any], kinds: Sequence[MediaKind]) -> str:
    return "feed"


def _published(options: Mapping[str, Any]) -> bool:
    return False


@dataclass(frozen=True)
class PostOptions:
    # Each option the platform takes, with its allowed values; any other option or value is refused at write time.
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # What publishing uses for an option the post leaves out.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Options only a video post has; a photo post naming one is refused.
    video_only: tuple[str, ...] = ()
    # The platform's own rule on options (as `effective` gives them) against the post's media kinds.
    misfit: Callable[[Mapping[str, Any], Sequence[MediaKind]], Misfit | None] = _fits
    # The placement the post's files are checked for (media/checks.py PLACEMENTS).
    placement: Callable[[Mapping[str, Any], Sequence[MediaKind]], str] = _feed
    # Whether these options hand the post to the artist to finish in the platform's app: publishing then
    # checks none of its media.
    handed_off: Callable[[Mapping[str, Any]], bool] = _published
