"""One publisher per platform, all of the same shape (publishing.job.Publisher)."""

from collections.abc import Mapping

from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.platforms.http import PlatformClient
from azmth_pipelines.publishing.job import Publisher
from azmth_pipelines.publishing.publishers.instagram import InstagramPublisher
from azmth_pipelines.publishing.publishers.threads import ThreadsPublisher
from azmth_pipelines.publishing.publishers.tiktok import TikTokPublisher
from azmth_pipelines.publishing.publishers.x import XPublisher
from azmth_pipelines.vocabulary import Platform

_PUBLISHERS = {
    Platform.TIKTOK: TikTokPublisher,
    Platform.INSTAGRAM: InstagramPublisher,
    Platform.THREADS: ThreadsPublisher,
    Platform.X: XPublisher,
}


def build_publishers(clients: Mapping[Platform, PlatformClient], store: MediaStore) -> dict[Platform, Publisher]:
    return {platform: _PUBLISHERS[platform](client, store) for platform, client in clients.items()}  # type: ignore[arg-type]
