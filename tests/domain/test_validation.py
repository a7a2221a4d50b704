"""Field rules the web app and the CLI are held to."""

from datetime import UTC, datetime

import pytest

from azmth_pipelines.domain import validation
from azmth_pipelines.domain.errors import ValidationError


@pytest.mark.parametrize("text", ["US-S1Z-99-00001", "USS1Z9900001", "us-s1z-99-00001", " GB-AAA-26-12345 "])
def test_isrc_with_or_without_hyphens_is_stored_in_12_characters(text: str) -> None:
    stored = validation.isrc(text)
    assert len(stored) == 12 and stored == stored.upper() and "-" not in stored


@pytest.mark.parametrize("text", ["US-S1Z-99-0001", "1S-S1Z-99-00001", "US-S1Z-9X-00001", "", "USS1Z99000012"])
def test_malformed_isrc_names_the_rule(text: str) -> None:
    with pytest.raises(ValidationError, match=r"isrc: ISRC .* is not CC-XXX-YY-NNNNN"):
        validation.isrc(text)


def test_upc_with_a_wrong_check_digit_says_which_digit_is_right() -> None:
    with pytest.raises(ValidationError) as error:
        validation.upc("123456789013")
    assert str(error.value) == "upc: UPC 123456789013: check digit should be 2"


@pytest.mark.parametrize("code", ["123456789012", "036000291452", "4006381333931"])
def test_valid_upc_a_and_ean_13_are_accepted(code: str) -> None:
    assert validation.upc(code) == code


@pytest.mark.parametrize("code", ["12345678901", "12345678901A", "12345678901234"])
def test_upc_of_the_wrong_length_or_with_letters_is_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="12 digits"):
        validation.upc(code)


def test_platforms_are_the_four_supported_ones_without_duplicates() -> None:
    assert [p.value for p in validation.platforms(["X", "tiktok", "x"])] == ["x", "tiktok"]
    with pytest.raises(ValidationError, match="unknown platform 'facebook'"):
        validation.platforms(["facebook"])
    with pytest.raises(ValidationError, match="at least one"):
        validation.platforms([])


def test_naive_local_time_is_read_in_the_artists_timezone() -> None:
    scheduled = validation.parse_local_time("scheduled_for", "2026-07-01T18:00", "Europe/Berlin")
    assert scheduled.astimezone(UTC) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    explicit = validation.parse_local_time("scheduled_for", "2026-07-01T18:00+00:00", "Europe/Berlin")
    assert explicit.astimezone(UTC) == datetime(2026, 7, 1, 18, 0, tzinfo=UTC)


def test_unknown_timezone_and_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone: 'Mars/Olympus' is not an IANA timezone"):
        validation.timezone_name("Mars/Olympus")
    with pytest.raises(ValidationError, match=r"scheduled_for: .* has no timezone"):
        validation.aware("scheduled_for", datetime(2026, 1, 1))
