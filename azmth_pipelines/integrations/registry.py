"""Per platform, its integration: client, publisher, OAuth provider, metrics readers and rules. One line each.

The rest of the code asks here ("the platform's publisher / reader / caption rule") instead of branching on a
platform's name; a fifth platform is one more folder under integrations/ and one more line below.
"""

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azmth_pipelines.connections.providers.base import Provider
from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.integrations.common.budget import BudgetRule
from azmth_pipelines.integrations.common.http import PlatformClient
from azmth_pipelines.integrations.common.metrics import MetricsReaders
from azmth_pipelines.integrations.common.options import PostOptions
from azmth_pipelines.integrations.common.rules import Rules
from azmth_pipelines.integrations.instagram import limits as instagram_limits
from azmth_pipelines.integrations.instagram import metrics as instagram_metrics
from azmth_pipelines.integrations.instagram import options as instagram_options
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.instagram.media_fixes import MEDIA_FIXES as INSTAGRAM_MEDIA_FIXES
from azmth_pipelines.integrations.instagram.oauth import InstagramProvider
from azmth_pipelines.integrations.instagram.publisher import InstagramPublisher
from azmth_pipelines.integrations.threads import limits as threads_limits
from azmth_pipelines.integrations.threads import metrics as threads_metrics
from azmth_pipelines.integrations.threads import options as threads_options
from azmth_pipelines.integrations.threads.client import ThreadsClient
from azmth_pipelines.integrations.threads.oauth import ThreadsProvider
from azmth_pipelines.integrations.threads.publisher import ThreadsPublisher
from azmth_pipelines.integrations.tiktok import limits as tiktok_limits
from azmth_pipelines.integrations.tiktok import metrics as tiktok_metrics
from azmth_pipelines.integrations.tiktok import options as tiktok_options
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.tiktok.oauth import TikTokProvider
from azmth_pipelines.integrations.tiktok.publisher import TikTokPublisher
from azmth_pipelines.integrations.x import limits as x_limits
from azmth_pipelines.integrations.x import metrics as x_metrics
from azmth_pipelines.integrations.x import options as x_options
from azmth_pipelines.integrations.x.client import XClient
from azmth_pipelines.integrations.x.oauth import XProvider
from azmth_pipelines.integrations.x.publisher import XPublisher
from azmth_pipelines.media.store import MediaStore
from azmth_pipelines.publishing.job import Publisher
from azmth_pipelines.publishing.media_prep import MediaFix
from azmth_pipelines.vocabulary import MediaKind, Platform

_FIX = "shorten it or set a {label} caption override"


@dataclass(frozen=True)
class Integration:
    client: Callable[[str | None], PlatformClient]  # base URL; None: the host from the env (common/hosts.py)
    publisher: Callable[[Any, MediaStore], Publisher]  # takes this integration's own client
    oauth: type[Provider]
    metrics: MetricsReaders  # post metrics reader and account snapshot reader
    rules: Rules  # limits.py: what a caption, a file and a post's files must be
    options: PostOptions  # options.py: what the artist may choose per post, and how the choices meet the media
    # The platform's own fixes publishing applies to a file, by the auto_fix a media check names (beyond the
    # JPEG re-encode every platform gets; publishing/media_prep.py).
    media_fixes: Mapping[str, MediaFix] = field(default_factory=dict)
    # The documented request limits the whole app keeps to, across workers (common/budget.py). Meta's publishing
    # quota is not among them: the publishers read it live from the platform.
    request_budgets: Sequence[BudgetRule] = ()


INTEGRATIONS: dict[Platform, Integration] = {
    Platform.TIKTOK: Integration(
        TikTokClient,
        TikTokPublisher,
        TikTokProvider,
        tiktok_metrics.READERS,
        tiktok_limits.RULES,
        tiktok_options.OPTIONS,
        request_budgets=tiktok_limits.REQUEST_BUDGETS,
    ),
    Platform.INSTAGRAM: Integration(
        InstagramClient,
        InstagramPublisher,
        InstagramProvider,
        instagram_metrics.READERS,
        instagram_limits.RULES,
        instagram_options.OPTIONS,
        INSTAGRAM_MEDIA_FIXES,
    ),
    Platform.THREADS: Integration(
        ThreadsClient,
        ThreadsPublisher,
        ThreadsProvider,
        threads_metrics.READERS,
        threads_limits.RULES,
        threads_options.OPTIONS,
    ),
    Platform.X: Integration(
        XClient,
        XPublisher,
        XProvider,
        x_metrics.READERS,
        x_limits.RULES,
        x_options.OPTIONS,
        request_budgets=x_limits.REQUEST_BUDGETS,
    ),
}

# Tables over all platforms, for callers that list them (the CLI, tests).
READ_SCOPES = {platform: found.oauth.read_scopes for platform, found in INTEGRATIONS.items()}
WRITE_SCOPES = {platform: found.oauth.write_scopes for platform, found in INTEGRATIONS.items()}
CREDENTIAL_VARIABLES = {platform: found.oauth.app_variables for platform, found in INTEGRATIONS.items()}


def request_budgets(changes: str = "") -> dict[str, list[BudgetRule]]:
    """Every platform's documented budgets, with `changes` applied ("x.create_post_per_app=10000/day", comma-separated;
    "off" drops a rule), as AZMTH_REQUEST_BUDGETS gives them for an app whose tier has other numbers."""
    wanted: dict[tuple[str, str], str] = {}
    for change in filter(None, (part.strip() for part in changes.split(","))):
        name, _, limit = change.partition("=")
        platform, _, rule_name = name.strip().partition(".")
        wanted[(platform, rule_name)] = limit.strip()
    known = {(p.value, rule.name) for p, found in INTEGRATIONS.items() for rule in found.request_budgets}
    if unknown := sorted(f"{p}.{r}" for p, r in set(wanted) - known):
        names = ", ".join(sorted(f"{p}.{r}" for p, r in known))
        raise ConfigurationError(f"AZMTH_REQUEST_BUDGETS names no budget {', '.join(unknown)}; the budgets are {names}")
    budgets: dict[str, list[BudgetRule]] = {}
    for platform, found in INTEGRATIONS.items():
        rules = []
        for rule in found.request_budgets:
            limit = wanted.get((platform.value, rule.name), rule.limit)
            if limit != "off":
                rules.append(dataclasses.replace(rule, limit=limit))
        budgets[platform.value] = rules
    return budgets


def integration(platform: Platform) -> Integration:
    return INTEGRATIONS[platform]


def caption_problem(platform: Platform, caption: str, *, media_kinds: Sequence[MediaKind]) -> str | None:
    """Why `platform` would refuse the caption, worded with the fix; None when it is fine. Checked when a post
    is written and again before any call, so a caption a platform would refuse is refused with the fix instead
    of burning retries."""
    return INTEGRATIONS[platform].rules.caption(caption, media_kinds, _FIX.format(label=platform.label))
