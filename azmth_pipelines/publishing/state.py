"""The publish state machine of one (post, platform): the allowed moves between its states (per_platform.py) and
the retry schedule.

Every write to `content_post.per_platform` goes through `move()`, so the promises that matter (a
published platform is never published again; a failed or unconfirmed one is touched again only by a
manual re-run) are properties of this module alone.
"""

from datetime import datetime, timedelta
from typing import Any

# The entry and its states live in per_platform.py, below every layer that reads entries; the publishing code
# imports them from here too (the same objects).
from azmth_pipelines.per_platform import SETTLED_STATES, PlatformEntry, PlatformState
from azmth_pipelines.per_platform import SUCCESS_STATES as SUCCESS_STATES
from azmth_pipelines.per_platform import state_of as state_of
from azmth_pipelines.publishing.windows import WINDOW, nearest_tick, tick_at_or_after

_AUTOMATIC_MOVES: dict[PlatformState, frozenset[PlatformState]] = {
    PlatformState.PENDING: frozenset({PlatformState.PUBLISHING}),
    PlatformState.PUBLISHING: frozenset(
        {
            # Still in flight: the platform's answer was unclear and a later tick checks with it.
            PlatformState.PUBLISHING,
            PlatformState.PUBLISHED,
            PlatformState.SENT_TO_INBOX,
            PlatformState.HANDED_OFF,
            PlatformState.RETRYING,
            PlatformState.FAILED,
            PlatformState.UNCONFIRMED,
        }
    ),
    PlatformState.RETRYING: frozenset({PlatformState.PUBLISHING}),
    # The creator finishing a TikTok draft turns an inbox delivery into a publication.
    PlatformState.SENT_TO_INBOX: frozenset({PlatformState.PUBLISHED}),
    # Reconciliation can later prove an unconfirmed publication happened.
    PlatformState.UNCONFIRMED: frozenset({PlatformState.PUBLISHED}),
    PlatformState.PUBLISHED: frozenset(),
    PlatformState.HANDED_OFF: frozenset(),
    PlatformState.FAILED: frozenset(),
}
# Only an ops re-run (tagged manual) may try again what the machine gave up on.
_MANUAL_MOVES: dict[PlatformState, frozenset[PlatformState]] = {
    PlatformState.FAILED: frozenset({PlatformState.PUBLISHING}),
    PlatformState.UNCONFIRMED: frozenset({PlatformState.PUBLISHING}),
}

# Waits before retry 1..5: five retries spread over 90 minutes (the README's promise), on the 15-minute ticks.
RETRY_DELAYS = (
    timedelta(minutes=15),
    timedelta(minutes=15),
    timedelta(minutes=15),
    timedelta(minutes=15),
    timedelta(minutes=30),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
RETRY_SPAN = sum(RETRY_DELAYS, timedelta())
# A rate limit that says when it resets is waited for, up to the retries' span plus one tick after the first attempt;
# a reset later than that fails the platform at once, so every platform settles within a bounded time.
RESET_WAIT_LIMIT = RETRY_SPAN + WINDOW


class IllegalMove(Exception):
    """A write that would break the state machine, e.g. publishing an already published platform."""


def can_move(current: PlatformState, target: PlatformState, *, manual: bool = False) -> bool:
    if target in _AUTOMATIC_MOVES[current]:
        return True
    return manual and target in _MANUAL_MOVES.get(current, frozenset())


def move(
    entry: PlatformEntry, target: PlatformState, *, now: datetime, manual: bool = False, **changes: Any
) -> PlatformEntry:
    """The entry after a move to `target`; IllegalMove if the state machine forbids it."""
    if not can_move(entry.state, target, manual=manual):
        raise IllegalMove(f"{entry.state.value} -> {target.value}" + (" (manual)" if manual else ""))
    fields = {**entry.__dict__, **changes, "state": target, "updated_at": now}
    if target in SETTLED_STATES:
        fields["settled_at"] = now
        fields["next_retry_at"] = None
    return PlatformEntry(**fields)


def retry_at(attempts_made: int, last_attempt_at: datetime) -> datetime | None:
    """When the next automatic attempt is due after `attempts_made` attempts; None once retries are spent.

    The tick nearest to the attempt's start plus the delay. A tick looks for due retries at the tick's own time while
    its attempts start seconds to minutes later, so the exact time would just miss the tick it aims at and every
    retry would slip a tick (five retries in 2.75 hours instead of 1.5). Nearest, not next: a retry never comes
    less than half a delay after its attempt.
    """
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return nearest_tick(last_attempt_at + RETRY_DELAYS[attempts_made - 1])


def retry_after_reset(reset_at: datetime, first_attempt_at: datetime) -> datetime | None:
    """When the next attempt is due after a rate limit that resets at `reset_at`; None when that is later than
    RESET_WAIT_LIMIT after the first attempt's tick.

    The first tick at or after the reset, not the nearest one: a tick's runs start after its tick, so every run of that
    tick comes after the reset, while the tick before it may start its runs a few seconds too early.
    """
    due = tick_at_or_after(reset_at)
    if due > nearest_tick(first_attempt_at) + RESET_WAIT_LIMIT:
        return None
    return due


def is_due(entry: PlatformEntry, now: datetime, *, manual: bool = False) -> bool:
    """Whether a run at `now` should start an attempt for this platform."""
    if entry.state is PlatformState.PENDING:
        return True
    if entry.state is PlatformState.RETRYING:
        return manual or entry.next_retry_at is None or entry.next_retry_at <= now
    return manual and entry.state in _MANUAL_MOVES
