"""Work order inside a run: every account gets a turn before any account gets its second."""

from azmth_pipelines.publishing.planner import WorkItem, round_robin_by_account
from azmth_pipelines.vocabulary import Platform


def test_round_robin_visits_every_account_before_any_second_item() -> None:
    items = [
        WorkItem(artist_id=artist, post_id=post, platform=platform)
        for artist in (1, 2)
        for post in range(artist * 10, artist * 10 + 3)
        for platform in (Platform.X, Platform.INSTAGRAM)
    ]
    ordered = list(round_robin_by_account(items))

    assert sorted(ordered, key=items.index) == items  # each item exactly once
    accounts = {(i.artist_id, i.platform) for i in items}
    assert {(i.artist_id, i.platform) for i in ordered[: len(accounts)]} == accounts
    for account in accounts:  # an account's own items keep their order
        mine = [i.post_id for i in ordered if (i.artist_id, i.platform) == account]
        assert mine == sorted(mine)
