"""Platform connections: OAuth connect flows, token refresh ahead of expiry, and token key rotation.

Plain Python (no Dagster). The CLI (`azmth connect`, `azmth connections list`, `azmth keys rotate`) and the
hourly refresh job (assets/connections.py) call these:

- `connect_account(...)`           flow.py: browser consent -> loopback callback -> stored connection
- `refresh_due_connections(...)`   refresh.py: every connection near expiry; `refresh_connection` for one
- `rotate_token_keys(...)`         keys.py: re-encrypt every token under the newest AZMTH_SECRET_KEY key
- `connection_views(...)`          listing.py: status, scopes and expiry per connection (never a token)
"""

from azmth_pipelines.connections.errors import (
    NO_INSTAGRAM_BUSINESS_ACCOUNT,
    AppNotApproved,
    AuthorizationFailed,
    CallbackTimeout,
    ConnectRefused,
    ConsentDenied,
    NoInstagramBusinessAccount,
    StateMismatch,
)
from azmth_pipelines.connections.flow import ConnectResult, connect_account
from azmth_pipelines.connections.keys import KeyRotationRefused, RotationReport, rotate_token_keys
from azmth_pipelines.connections.listing import connection_views
from azmth_pipelines.connections.refresh import (
    REFRESH_LEAD,
    RefreshOutcome,
    RefreshResult,
    refresh_connection,
    refresh_due_connections,
)
from azmth_pipelines.connections.scopes import requested_scopes

__all__ = [
    "NO_INSTAGRAM_BUSINESS_ACCOUNT",
    "REFRESH_LEAD",
    "AppNotApproved",
    "AuthorizationFailed",
    "CallbackTimeout",
    "ConnectRefused",
    "ConnectResult",
    "ConsentDenied",
    "KeyRotationRefused",
    "NoInstagramBusinessAccount",
    "RefreshOutcome",
    "RefreshResult",
    "RotationReport",
    "StateMismatch",
    "connect_account",
    "connection_views",
    "refresh_connection",
    "refresh_due_connections",
    "requested_scopes",
    "rotate_token_keys",
]
