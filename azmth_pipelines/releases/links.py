"""Tracked pre-save links: each tagged post gets its own variant of the release's link per platform, so a
pre-save can be traced back to the post (and platform) that drove it.

The variant only adds one query parameter, `src=p<post id>-<platform>`; everything else in the release's
link (the service's own parameters, a fragment) is kept as it was.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azmth_pipelines.db.models import ContentPost, Release
from azmth_pipelines.vocabulary import Platform

SOURCE_PARAMETER = "src"
_SOURCE = re.compile(r"^p(\d+)-([a-z]+)$")


@dataclass(frozen=True)
class LinkSource:
    post_id: int
    platform: Platform

    @property
    def value(self) -> str:
        return f"p{self.post_id}-{self.platform.value}"


def tracked_link(presave_url: str, post_id: int, platform: Platform | str) -> str:
    """The release's pre-save link with `src=p<post>-<platform>` set (replacing any src already there)."""
    source = LinkSource(post_id, Platform(platform))
    parts = urlsplit(presave_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SOURCE_PARAMETER]
    query.append((SOURCE_PARAMETER, source.value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_source(value: str | None) -> LinkSource | None:
    """`p123-instagram` -> LinkSource(123, instagram); None for anything else (the row stays unattributed)."""
    if not value:
        return None
    match = _SOURCE.match(value.strip().lower())
    if not match:
        return None
    try:
        return LinkSource(int(match.group(1)), Platform(match.group(2)))
    except ValueError:
        return None


def source_of_link(url: str) -> str | None:
    """The src parameter of a link a fan followed, as the pre-save service reports it."""
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == SOURCE_PARAMETER:
            return value
    return None


def presave_links_for_post(post: ContentPost, release: Release | None) -> dict[Platform, str]:
    """The link to put in each platform's caption of a post: empty when the post promotes no release or the
    release has no pre-save link yet. Publishing calls this when it renders captions."""
    if release is None or not release.presave_url or post.release_id != release.id:
        return {}
    return {Platform(p): tracked_link(release.presave_url, post.id, p) for p in post.platforms}
