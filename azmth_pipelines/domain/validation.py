"""Field rules shared by every write: identifiers, platforms, zones and times."""

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from azmth_pipelines.domain.errors import ValidationError
from azmth_pipelines.vocabulary import Platform

# ISO 3901: country (2 letters), registrant (3 alphanumerics), year (2 digits), designation (5 digits).
_ISRC = re.compile(r"^([A-Z]{2})-?([A-Z0-9]{3})-?(\d{2})-?(\d{5})$")


def isrc(value: str) -> str:
    """Return the ISRC in its stored 12-character form (hyphens optional on input)."""
    candidate = value.strip().upper()
    match = _ISRC.match(candidate)
    if not match:
        raise ValidationError(
            "isrc", f"ISRC {value!r} is not CC-XXX-YY-NNNNN (country, registrant, year, 5-digit designation)"
        )
    return "".join(match.groups())


def gtin_check_digit(payload: str) -> int:
    """GS1 check digit for the digits before it: weights 3,1,3,... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def upc(value: str) -> str:
    """A UPC-A (12 digits) or EAN-13 with a correct check digit."""
    digits = value.strip().replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (12, 13):
        raise ValidationError("upc", f"UPC {value}: must be 12 digits (UPC-A) or 13 digits (EAN-13)")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise ValidationError("upc", f"UPC {digits}: check digit should be {expected}")
    return digits


def platform(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        supported = ", ".join(p.value for p in Platform)
        raise ValidationError("platforms", f"unknown platform {value!r}; supported: {supported}") from None


def platforms(values: Iterable[str]) -> list[Platform]:
    chosen: list[Platform] = []
    for value in values:
        p = platform(value)
        if p not in chosen:
            chosen.append(p)
    if not chosen:
        raise ValidationError("platforms", "choose at least one platform")
    return chosen


def timezone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("timezone", f"{value!r} is not an IANA timezone such as Europe/Berlin") from None
    return value


def aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, f"{value.isoformat()} has no timezone; give an offset or a zone")
    return value


def parse_local_time(field: str, text: str, timezone: str) -> datetime:
    """ISO 8601 from a person: with an offset it is taken as is, without one it is read in `timezone`."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, f"{text!r} is not an ISO 8601 time such as 2026-12-01T18:30") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value


def non_empty(field: str, value: str, max_length: int | None = None) -> str:
    value = value.strip()
    if not value:
        raise ValidationError(field, "must not be empty")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(field, f"is {len(value)} characters; at most {max_length}")
    return value
