"""A Meta container (Instagram, Threads) whose status reads PUBLISHED after the publish call's answer was lost.

The container's status is the platform's own word that the post is live; what the lost answer held was only the
new media's id, looked for among the account's latest posts by its caption.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar

from azmth_pipelines.platforms.errors import PlatformError
from azmth_pipelines.publishing.outcomes import Failed, Outcome, Published
from azmth_pipelines.publishing.publishers.remote_time import remote_time
from azmth_pipelines.vocabulary import Platform

# Meta's clock and ours may disagree a little: a post this much older than the request is still looked at.
CLOCK_SKEW = timedelta(minutes=5)


class ListedPost(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def timestamp(self) -> str | None: ...

    @property
    def permalink(self) -> str | None: ...


P = TypeVar("P", bound=ListedPost)


def published_since(
    posts: Sequence[P], caption: str, requested_at: object, text_of: Callable[[P], str | None]
) -> P | None:
    """The one listed post with this caption made since the request; None when none or several match, or the
    caption is empty (nothing to tell posts apart by)."""
    wanted = caption.strip()
    if not wanted:
        return None
    since = remote_time(requested_at)
    matches = [
        post
        for post in posts
        if (text_of(post) or "").strip() == wanted
        and (since is None or (created := remote_time(post.timestamp)) is None or created >= since - CLOCK_SKEW)
    ]
    return matches[0] if len(matches) == 1 else None


async def publish_finished(publish: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """Publish a container a check found processed but never published (the publish call was not carried out, so
    publishing now is safe). A clear refusal ends the attempt failed, since nothing went live; any other error leaves
    the publication in doubt for the next check."""
    try:
        return await publish()
    except PlatformError as error:
        if error.retryable or error.may_have_succeeded:
            raise
        return Failed.from_platform_error(error)


def published_without_its_reply(platform: Platform, container_id: str) -> Published:
    """Live, says the container, but its media id is not to be found: recorded published (never failed, never
    posted again) with the container id standing in; metrics cannot be read for it, the artist sees it is live."""
    return Published(
        remote_id=container_id,
        detail={
            "container_id": container_id,
            "media_id_unknown": True,
            "note": f"{platform.label} published container {container_id}; its post was not found among the latest",
        },
    )
