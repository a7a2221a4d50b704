"""The one exception the media layer raises.

Its message is shown to the artist as is, so it is a whole sentence that says what is wrong with the file and
what to do about it; `code` is a stable machine-readable reason for callers and tests.
"""

from azmth_pipelines.errors import MediaFailure


class MediaError(MediaFailure):
    """A media file that cannot be read, converted or published as it is."""

    def __init__(self, message: str, *, code: str = "media_invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
