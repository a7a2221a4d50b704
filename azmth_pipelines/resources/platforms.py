"""The platforms' APIs as one Dagster resource: where each platform's API lives; the clients do the work.

Clients come from the registry (integrations/registry.py), so this resource names no platform. It opens a client
per use (`async with platform_apis.client(platform) as c:`), because an httpx.AsyncClient belongs to the event
loop that first used it and Dagster may run each op in its own loop.
"""

from dagster import ConfigurableResource
from pydantic import Field

from azmth_pipelines.config import settings
from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.integrations.common.budget import RequestBudget
from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.integrations.registry import integration, request_budgets
from azmth_pipelines.vocabulary import Platform


def platform_of(key: str) -> Platform:
    """The platform a resource's config key names (tiktok, instagram, threads, x)."""
    try:
        return Platform(key)
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise ConfigurationError(f"{key!r} is not a platform; the keys are {known}") from None


class PlatformApisResource(ConfigurableResource):
    """Every platform's API client, built through the registry."""

    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Base URL of a platform's API by platform (tiktok, instagram, threads, x); a platform left out "
        "uses its host variable (integrations/common/hosts.py) or the real host.",
    )

    request_budget_store: str | None = Field(
        default=None,
        description="Where the app's request budgets are counted: memory:// (per process) or redis://host:6379/N "
        "(shared by every shard and worker, needed with more than one); default AZMTH_REQUEST_BUDGET_STORE.",
    )

    def client(self, platform: Platform, budget: RequestBudget | None = None) -> PlatformClient:
        urls = {platform_of(key): url for key, url in self.base_urls.items()}
        client = integration(platform).client(urls.get(platform) or None)
        client.budget = budget or self.budget()
        return client

    def clients(self) -> dict[Platform, PlatformClient]:
        """One client per platform, not opened yet: enter the ones you use (`async with`). They spend one budget."""
        budget = self.budget()
        return {platform: self.client(platform, budget) for platform in Platform}

    def budget(self) -> RequestBudget:
        """The documented request budgets (with AZMTH_REQUEST_BUDGETS' changes), counted in the store; a new one per
        use, as its connections belong to the event loop that uses them."""
        config = settings()
        store = self.request_budget_store or config.request_budget_store
        return RequestBudget(request_budgets(config.request_budgets), storage_uri=store)
