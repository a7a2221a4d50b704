"""Writing a post and publishing it refuse the same things in the same words: the web app writes rows directly,
so publishing checks again what the domain checked when the post was written."""

import pytest

from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.vocabulary import Platform
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


def test_publishing_refuses_a_post_with_more_files_than_a_platform_takes_and_publishes_the_others(
    studio: Studio,
) -> None:
    """Five pictures: X takes four (the web app wrote them without the write-time check); Threads takes all five."""
    pictures = [studio.media.portrait_jpeg] * 5
    with pytest.raises(ValidationError) as written:
        studio.post(["x", "threads"], media=pictures)
    post_id = studio.post(["x", "threads"], media=pictures, as_web_app=True)
    studio.tick(AFTER_T0)
    per_platform = studio.per_platform(post_id)
    assert (per_platform["x"]["state"], per_platform["x"]["attempts"]) == ("failed", 1)
    assert per_platform["x"]["last_error"]["message"] == written.value.message
    assert per_platform["threads"]["state"] == "published"
    assert not studio.published(Platform.X)
