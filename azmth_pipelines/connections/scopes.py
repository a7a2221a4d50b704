"""What each connection asks for: read scopes first, write scopes only when the artist opts into publishing.

The scopes themselves are each platform's (integrations/<platform>/oauth.py, with their sources).
"""

from azmth_pipelines.vocabulary import Platform


def requested_scopes(platform: Platform, *, publish: bool) -> list[str]:
    """The scopes a connect asks for, in a stable order."""
    # Imported here: the providers' package imports connections.apps, which this package's __init__ loads.
    from azmth_pipelines.connections.providers import provider_class

    provider = provider_class(platform)
    return list(provider.read_scopes) + (list(provider.write_scopes) if publish else [])


def parse_scope_list(value: str | None) -> list[str]:
    """A granted-scope string: TikTok separates with commas, X with spaces (RFC 6749)."""
    if not value:
        return []
    return sorted({part for part in value.replace(",", " ").split() if part})
