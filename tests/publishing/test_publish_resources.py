"""The publish job takes everything it calls through its resources: where each platform's API lives, the media
store and the token keys. Configured there, a run publishes even when the environment points elsewhere."""

import os

import pytest
from cryptography.fernet import Fernet

from azmth_pipelines.definitions import code_location_resources
from azmth_pipelines.ops.publish import SCHEDULED, TRIGGER_TAG, publish_job
from azmth_pipelines.ops.tick import publish_config
from azmth_pipelines.resources.media import MediaStoreResource
from azmth_pipelines.resources.platforms import PlatformApisResource
from azmth_pipelines.resources.token_cipher import TokenCipherResource
from azmth_pipelines.vocabulary import Platform
from tests.publishing.conftest import AFTER_T0, Studio

# Where the sandbox serves each platform's API (azmth_sandbox/config.py sandbox_env).
SANDBOX_API_VARIABLES = {
    Platform.TIKTOK: "AZMTH_TIKTOK_API_URL",
    Platform.INSTAGRAM: "AZMTH_INSTAGRAM_API_URL",
    Platform.THREADS: "AZMTH_THREADS_API_URL",
    Platform.X: "AZMTH_X_API_URL",
}
NOWHERE = "http://127.0.0.1:9"


def test_the_publish_job_publishes_through_the_apis_store_and_keys_its_resources_hold(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_id = studio.post(["instagram", "threads", "x", "tiktok"], media=[studio.media.portrait_jpeg])
    base_urls = {platform.value: os.environ[variable] for platform, variable in SANDBOX_API_VARIABLES.items()}
    keys = os.environ["AZMTH_SECRET_KEY"]
    # The environment now points at nothing that works: no platform host, an empty media store, another key.
    for variable in SANDBOX_API_VARIABLES.values():
        monkeypatch.setenv(variable, NOWHERE)
    monkeypatch.setenv("AZMTH_MEDIA_DIR", str(studio.store.root.parent / "elsewhere"))
    monkeypatch.setenv("AZMTH_PUBLIC_MEDIA_URL", f"{NOWHERE}/media")
    monkeypatch.setenv("AZMTH_SECRET_KEY", Fernet.generate_key().decode())
    resources = {
        **code_location_resources(),
        "platform_apis": PlatformApisResource(base_urls=base_urls),
        "media_store": MediaStoreResource(root=str(studio.store.root), public_url=studio.store.public_url),
        "token_cipher": TokenCipherResource(secret_key=keys),
    }

    result = publish_job.execute_in_process(
        partition_key="2026-11-02-17:00",
        run_config=publish_config(AFTER_T0),
        tags={TRIGGER_TAG: SCHEDULED},
        resources=resources,
        instance=studio.instance,
        raise_on_error=False,
    )

    assert result.success
    states = {platform: entry["state"] for platform, entry in studio.per_platform(post_id).items()}
    assert states == {platform.value: "published" for platform in Platform}
    for platform in Platform:
        assert len(studio.published(platform)) == 1
