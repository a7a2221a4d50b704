"""Every error the product raises on purpose has one root, and its branch says who can fix it."""

import pytest

from azmth_pipelines.connections.apps import AppCredentials
from azmth_pipelines.connections.errors import AppNotConfigured, ConnectRefused
from azmth_pipelines.domain.errors import DomainError, NotFound, ValidationError
from azmth_pipelines.errors import (
    ArtistFixableError,
    AzmthError,
    ConfigurationError,
    MediaFailure,
    PlatformFailure,
)
from azmth_pipelines.integrations.common.errors import (
    AuthError,
    PermanentError,
    PlatformError,
    RateLimited,
    ScopeMissing,
    TransientError,
)
from azmth_pipelines.media.errors import MediaError
from azmth_pipelines.releases.csv_import import BadRow, MissingColumns
from azmth_pipelines.token_cipher import TokenDecryptionError
from azmth_pipelines.vocabulary import Platform


@pytest.mark.parametrize(
    ("error", "branch"),
    [
        (DomainError, ArtistFixableError),
        (ValidationError, ArtistFixableError),
        (NotFound, ArtistFixableError),
        (ConnectRefused, ArtistFixableError),
        (BadRow, ArtistFixableError),
        (MissingColumns, ArtistFixableError),
        (TokenDecryptionError, ArtistFixableError),
        (AuthError, ArtistFixableError),
        (ScopeMissing, ArtistFixableError),
        (PlatformError, PlatformFailure),
        (TransientError, PlatformFailure),
        (RateLimited, PlatformFailure),
        (PermanentError, PlatformFailure),
        (AuthError, PlatformFailure),
        (MediaError, MediaFailure),
        (ConfigurationError, AzmthError),
        (AppNotConfigured, ConfigurationError),
    ],
)
def test_each_error_sits_on_the_branch_that_says_who_fixes_it(error: type[Exception], branch: type[AzmthError]) -> None:
    assert issubclass(error, branch) and issubclass(error, AzmthError)


def test_only_a_dead_connection_is_both_a_platform_failure_and_the_artists_to_fix() -> None:
    assert not issubclass(TransientError, ArtistFixableError)
    assert not issubclass(PermanentError, ArtistFixableError)
    assert not issubclass(MediaError, ArtistFixableError)


def test_csv_errors_are_still_value_errors_for_callers_that_catch_those() -> None:
    assert issubclass(BadRow, ValueError) and issubclass(MissingColumns, ValueError)


def test_missing_app_credentials_are_the_operators_to_fix_and_name_the_variables() -> None:
    with pytest.raises(ConfigurationError, match="set AZMTH_X_CLIENT_ID"):
        AppCredentials.of(Platform.X, client_id=None, client_secret=None)
