"""Errors the domain raises; the CLI prints them and exits non-zero, having written nothing."""

from azmth_pipelines.errors import ArtistFixableError


class DomainError(ArtistFixableError):
    """A request the domain refuses, with a message meant for the person who made it."""


class ValidationError(DomainError):
    """One field broke one rule: `str()` names both, e.g. "upc: UPC 123456789013: check digit should be 2"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(DomainError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key
