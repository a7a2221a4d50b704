"""The shape of a platform's rules (its limits.py `RULES`): what a caption, a file and a post's files must be."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from azmth_pipelines.media.checks import Findings, PostFile
from azmth_pipelines.media.probe import MediaProbe
from azmth_pipelines.vocabulary import MediaKind, Platform

# Why the platform would refuse a caption, worded with `fix`; None when it is fine.
CaptionRule = Callable[[str, Sequence[MediaKind], str], str | None]
# Every way one post's files together break the platform's rules (how many, which kinds together).
PostMediaRule = Callable[[Findings, Sequence[PostFile]], None]


class MediaRule(Protocol):
    """Every way one file breaks the platform's documented limits, added to `found`."""

    def __call__(
        self, found: Findings, probe: MediaProbe, *, placement: str, creator_max_s: int | None, premium: bool
    ) -> None: ...


def carousel(max_items: int) -> PostMediaRule:
    """The post rule of a platform whose multi-file post is a carousel of photos and videos in any mix."""

    def post_media(found: Findings, probes: Sequence[PostFile]) -> None:
        if len(probes) > max_items:
            found.add(
                "too_many_media",
                f"a carousel holds up to {max_items} photos and videos; it has {len(probes)} - remove some",
            )

    return post_media


@dataclass(frozen=True)
class Rules:
    platform: Platform
    caption: CaptionRule
    media: MediaRule
    post_media: PostMediaRule
    # What a post needs where text alone makes none (None: a text-only post is fine).
    media_needed: str | None = None
    # The auto fixes publishing applies by itself (publishing/media_prep.py); any other error is the artist's.
    fixed_when_publishing: frozenset[str] = frozenset({"reencode_image", "add_silent_audio"})

    def missing_media(self) -> str | None:
        """Why the platform refuses a post without media, with the fix; None where text alone makes a post."""
        if self.media_needed is None:
            return None
        name = self.platform.label
        return f"{name} needs {self.media_needed}: add media or remove {name} from the post"
