"""The write scopes publishing needs, per platform and post options (`azmth connect --publish` asks for them; a
missing one is a "reconnect and grant X" error before any call). Each platform's are its provider's
(integrations/<platform>/oauth.py `publish_scopes`)."""

from typing import Any

from azmth_pipelines.integrations.registry import integration
from azmth_pipelines.vocabulary import Platform


def required_write_scopes(platform: Platform, options: dict[str, Any], has_media: bool) -> list[str]:
    return integration(platform).oauth.publish_scopes(options, has_media)


def missing_write_scope(platform: Platform, options: dict[str, Any], granted: set[str], has_media: bool) -> str | None:
    for scope in required_write_scopes(platform, options, has_media):
        if scope not in granted:
            return scope
    return None
