"""Clients for TikTok, Instagram, Threads and X, all of the same shape.

Per platform: `client.py` (async httpx, token passed per call), `models.py` (frozen dataclasses),
`errors.py` (the one function that sorts a failure into retry / permanent / reconnect / rate-limited).
Shared: `errors.py` (the exception hierarchy), `http.py` (transport), `hosts.py` (base URLs from the
environment), `meta.py` (Graph API errors and usage headers for Instagram and Threads), `redaction.py`.
"""
