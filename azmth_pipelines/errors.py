"""The one exception root of the product, and its four branches.

Every error the product raises for a caller to act on derives from `AzmthError`, through the branch that says who
can fix it:

- `ArtistFixableError`  the artist's own input or account: a value that breaks a rule (`DomainError` and its
                        `ValidationError`, `NotFound`, `ConnectRefused`), a bad CSV row or header (`BadRow`,
                        `MissingColumns`), a dead connection or a missing scope (`AuthError`, `ScopeMissing`,
                        `TokenDecryptionError`): reconnect, grant, or correct and try again
- `PlatformFailure`     a platform refused or failed a call (`PlatformError` and its classes in
                        `integrations/common/errors.py`); `AuthError` is also artist-fixable
- `MediaFailure`        a file that cannot be read, converted or published as it is (`MediaError`)
- `ConfigurationError`  our side is set up wrong: app credentials, keys or settings an operator must fix

The command line turns any of them into its one-line `error: ...` and exit code 1 (`cli/output.py`).

Signals that never leave the module that raises them (`LeaseLost`, `Preflight` in the runner) and a broken
invariant (`IllegalMove` in the state machine, a bug) are not part of this hierarchy, so that no handler of
`AzmthError` can swallow them.
"""


class AzmthError(Exception):
    """Any error the product raises on purpose, with a message meant for whoever has to act on it."""


class ArtistFixableError(AzmthError):
    """The artist can fix it: correct the input, reconnect the account or grant the missing scope."""


class PlatformFailure(AzmthError):
    """A platform refused or failed a call."""


class MediaFailure(AzmthError):
    """A media file that cannot be read, converted or published as it is."""


class ConfigurationError(AzmthError):
    """Our own setup is wrong (app credentials, keys, settings): an operator must fix it, not the artist."""
