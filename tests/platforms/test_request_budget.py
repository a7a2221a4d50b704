"""The app's request budgets, shared through Redis by every client that holds the same store (as the shards and
Celery workers do, each with its own): a documented limit is never overspent, and a platform that says a limit is
spent keeps every client off it until its reset, counted at the sandbox."""

import uuid

import pytest

from azmth_pipelines.errors import ConfigurationError
from azmth_pipelines.integrations.common.budget import BudgetRule, RequestBudget
from azmth_pipelines.integrations.common.errors import RateLimited
from azmth_pipelines.integrations.instagram.client import InstagramClient
from azmth_pipelines.integrations.registry import request_budgets
from azmth_pipelines.integrations.tiktok.client import TikTokClient
from azmth_pipelines.integrations.x.client import XClient
from azmth_sandbox.testing import SandboxHandle
from tests.fixtures.redis import redis_url

pytestmark = pytest.mark.anyio


def _budget(rules: dict[str, list[BudgetRule]] | None = None, namespace: str | None = None) -> RequestBudget:
    """A budget as one worker sees it: its own object, on the store every worker shares."""
    return RequestBudget(rules or {}, storage_uri=redis_url(), namespace=namespace or "t", max_wait_s=1.0)


def _fresh_namespace() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _served(sandbox: SandboxHandle, platform: str) -> int:
    return sandbox.requests_served().get(platform, 0)


async def test_two_workers_never_post_more_than_the_apps_budget_between_them(sandbox: SandboxHandle) -> None:
    namespace = _fresh_namespace()
    rules = {"x": [BudgetRule("create_post_per_app", "POST", "/2/tweets", "3/hour", "app")]}
    accounts = [sandbox.create_account("x", f"budget{n}") for n in range(2)]
    workers = [XClient() for _ in range(2)]
    for worker in workers:
        worker.budget = _budget(rules, namespace)
    before = _served(sandbox, "x")
    posted, refused = 0, []
    for n in range(6):
        worker, account = workers[n % 2], accounts[n % 2]
        try:
            await worker.create_post(account.access_token, f"post {n} {namespace}")
            posted += 1
        except RateLimited as exc:
            refused.append(exc)
    assert posted == 3 and len(refused) == 3
    assert _served(sandbox, "x") - before == 3  # the refused ones never left
    assert all(exc.retry_after_s is not None and 3000 < exc.retry_after_s <= 3600 for exc in refused)
    for worker in workers:
        await worker.aclose()


async def test_an_x_429_keeps_every_worker_off_that_account_until_its_reset(sandbox: SandboxHandle) -> None:
    namespace = _fresh_namespace()
    limited, other = sandbox.create_account("x", "limited"), sandbox.create_account("x", "other")
    first, second = XClient(), XClient()
    first.budget, second.budget = _budget(namespace=namespace), _budget(namespace=namespace)
    sandbox.set_fault("x", "rate_limit", 600, scope="publish", times=1)
    try:
        with pytest.raises(RateLimited):
            await first.create_post(limited.access_token, "first")
        before = _served(sandbox, "x")
        with pytest.raises(RateLimited) as held:
            await second.create_post(limited.access_token, "second")
        assert _served(sandbox, "x") == before  # held by the other worker's 429, not asked
        assert held.value.retry_after_s is not None and 590 < held.value.retry_after_s <= 601
        await second.create_post(other.access_token, "another account is not held")
        assert _served(sandbox, "x") == before + 1
    finally:
        sandbox.clear_faults()
        await first.aclose()
        await second.aclose()


async def test_meta_at_its_app_limit_keeps_every_worker_off_the_whole_app(sandbox: SandboxHandle) -> None:
    namespace = _fresh_namespace()
    accounts = [sandbox.create_account("instagram", f"ig{n}") for n in range(2)]
    first, second = InstagramClient(), InstagramClient()
    first.budget, second.budget = _budget(namespace=namespace), _budget(namespace=namespace)
    # Code 4 with X-App-Usage at 100 %: the app's own limit, with no reset named.
    sandbox.set_fault("instagram", "rate_limit", times=1)
    try:
        with pytest.raises(RateLimited):
            await first.account(accounts[0].access_token, accounts[0].remote_id)
        before = _served(sandbox, "instagram")
        with pytest.raises(RateLimited):
            await second.account(accounts[1].access_token, accounts[1].remote_id)
        assert _served(sandbox, "instagram") == before
    finally:
        sandbox.clear_faults()
        await first.aclose()
        await second.aclose()


async def test_a_tiktok_429_holds_that_endpoint_a_minute_for_everyone_and_no_other(sandbox: SandboxHandle) -> None:
    namespace = _fresh_namespace()
    accounts = [sandbox.create_account("tiktok", f"tt{n}") for n in range(2)]
    first, second = TikTokClient(), TikTokClient()
    first.budget, second.budget = _budget(namespace=namespace), _budget(namespace=namespace)
    sandbox.set_fault("tiktok", "rate_limit", scope="/v2/video/list/", times=1)
    try:
        with pytest.raises(RateLimited):
            await first.list_videos_page(accounts[0].access_token)
        before = _served(sandbox, "tiktok")
        with pytest.raises(RateLimited) as held:
            await second.list_videos_page(accounts[1].access_token)
        assert _served(sandbox, "tiktok") == before
        assert held.value.retry_after_s is not None and 50 < held.value.retry_after_s <= 60
        await second.user_info(accounts[1].access_token)  # another endpoint goes on
        assert _served(sandbox, "tiktok") == before + 1
    finally:
        sandbox.clear_faults()
        await first.aclose()
        await second.aclose()


async def test_a_budget_that_frees_within_the_wait_is_waited_for_not_refused() -> None:
    budget = RequestBudget(
        {"x": [BudgetRule("burst", "GET", "/2/users/me", "2/second", "app")]},
        storage_uri="memory://",
        max_wait_s=5.0,
    )
    for _ in range(5):
        await budget.spend("x", "GET", "/2/users/me", "account")  # the third waits about a second, none refused


def test_the_documented_budgets_can_be_changed_or_dropped_by_name_and_a_wrong_name_is_refused() -> None:
    budgets = request_budgets("x.create_post_per_app=10000/day,x.create_post_per_user=off")
    assert [(rule.name, rule.limit) for rule in budgets["x"]] == [("create_post_per_app", "10000/day")]
    assert {rule.limit for rule in budgets["tiktok"]} == {"600/minute"}
    with pytest.raises(ConfigurationError, match=r"names no budget x\.create_posts"):
        request_budgets("x.create_posts=1/day")
    with pytest.raises(ValueError):
        BudgetRule("typo", "POST", "/2/tweets", "100/fortnight", "app")
