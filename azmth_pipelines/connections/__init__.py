"""Platform connections: OAuth connect flows, token refresh ahead of expiry, and token key rotation.

Plain Python (no Dagster). The CLI (`azmth connect`, `azmth connections list`, `azmth keys rotate`) and the
hourly refresh job (assets/connections.py) call these, from their modules (the package itself imports nothing,
so the platforms' OAuth providers can import its building blocks without a cycle):

- `connect_account(...)`           flow.py: browser consent -> loopback callback -> stored connection
- `refresh_due_connections(...)`   refresh.py: every connection near expiry; `refresh_connection` for one
- `rotate_token_keys(...)`         keys.py: re-encrypt every token under the newest AZMTH_SECRET_KEY key
- `connection_views(...)`          listing.py: status, scopes and expiry per connection (never a token)
"""
