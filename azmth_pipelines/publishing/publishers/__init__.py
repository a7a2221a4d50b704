"""The platforms' publishers, all of the same shape (publishing.job.Publisher), built from the registry."""

from collections.abc import Mapping

from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Publisher
from azmth_pipelines.vocabulary import Platform


def build_publishers(clients: Mapping[Platform, PlatformClient], store: MediaStore) -> dict[Platform, Publisher]:
    return {platform: integration(platform).publisher(client, store) for platform, client in clients.items()}
