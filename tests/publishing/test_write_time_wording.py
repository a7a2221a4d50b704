"""Writing a post and publishing it refuse the same things in the same words: the web app writes rows directly,
so publishing checks again what the domain checked when the post was written."""

import pytest

from azmth_pipelines.domain.errors import ValidationError
from tests.publishing.conftest import AFTER_T0, Studio


@pytest.mark.parametrize(
    ("platform", "post"),
    [
        ("x", {"body": "x" * 300}),
        ("threads", {"body": "la " * 200}),
        ("instagram", {"body": "No picture yet"}),
        ("tiktok", {"body": "No clip yet"}),
    ],
)
def test_publishing_refuses_a_caption_or_missing_media_in_the_words_writing_did(
    studio: Studio, platform: str, post: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as written:
        studio.post([platform], **post)
    post_id = studio.post([platform], as_web_app=True, **post)
    studio.tick(AFTER_T0)
    entry = studio.per_platform(post_id)[platform]
    assert entry["state"] == "failed"
    assert entry["last_error"]["message"] == written.value.message
