"""15-minute publish windows of `scheduled_for`, in UTC: the publish job's partitions."""

from datetime import UTC, datetime, timedelta

WINDOW = timedelta(minutes=15)
# The publish job's first partition. Dagster knows no window before it, so it also holds every post scheduled
# earlier (an old import, a typo in the year): those are published as late posts, never a tick-stopping error.
FIRST_WINDOW = datetime(2026, 1, 1, tzinfo=UTC)
# Dagster's key format for sub-daily time windows.
PARTITION_KEY_FORMAT = "%Y-%m-%d-%H:%M"


def window_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def publish_window(scheduled_for: datetime) -> datetime:
    """The publish window (partition) whose run publishes a post scheduled at `scheduled_for`."""
    return max(window_start(scheduled_for), FIRST_WINDOW)


def nearest_tick(moment: datetime) -> datetime:
    """The window boundary nearest `moment`: the publish schedule ticks on every boundary."""
    return window_start(moment + WINDOW / 2)


def tick_at_or_after(moment: datetime) -> datetime:
    """The first window boundary at or after `moment`: every run of that tick starts after `moment`."""
    start = window_start(moment)
    return start if start == moment else start + WINDOW


def window_bounds(start: datetime) -> tuple[datetime | None, datetime]:
    """The `scheduled_for` range a window's run publishes; the first window has no lower bound (see FIRST_WINDOW)."""
    start = window_start(start)
    return (None if start <= FIRST_WINDOW else start), start + WINDOW


def partition_key(start: datetime) -> str:
    return window_start(start).strftime(PARTITION_KEY_FORMAT)


def window_from_key(key: str) -> datetime:
    return datetime.strptime(key, PARTITION_KEY_FORMAT).replace(tzinfo=UTC)
