"""Everything that knows one platform, one folder per platform, every folder of the same shape.

Per platform (tiktok/, instagram/, threads/, x/): `client.py` (async httpx, token passed per call), `errors.py`
(the one function that sorts a failure into retry / permanent / reconnect / rate-limited), `limits.py`
(documented limits and rules, the caption rule among them), `models.py` (frozen dataclasses), `publisher.py`,
`oauth.py` (the OAuth provider: flow, scopes, app variables), `metrics.py` (post metrics and account snapshot
readers); extras where a platform needs them (tiktok/chunks.py, x/text.py).

`meta/` is what Instagram and Threads (both Graph APIs) share: the base client, the container flow, the error
envelope and usage headers, the token exchange. `common/` is platform-neutral plumbing (transport, the error
hierarchy, hosts, redaction, polling). `registry.py` is the one place the rest of the code asks for a
platform's client, publisher, provider, readers and rules.
"""
