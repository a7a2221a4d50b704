"""What a token endpoint gave us and whose account it is, with the tokens kept out of repr()."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)
    access_expires_at: datetime | None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None
    # What the platform says was granted; None when its token response does not say (Meta).
    scopes: list[str] | None = None
    # The account id some token responses carry (TikTok open_id, Threads user_id).
    account_id: str | None = None


@dataclass(frozen=True)
class Identity:
    external_account_id: str
    username: str | None


def expires_at(now: datetime, seconds: Any) -> datetime | None:
    """`now + expires_in`; None when the platform gave no (or no usable) lifetime."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        return None
    try:
        value = float(seconds)
    except ValueError:
        return None
    return now + timedelta(seconds=value) if value > 0 else None
