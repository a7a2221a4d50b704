"""Scrub credentials out of httpx's own log lines.

httpx logs every request at INFO as `HTTP Request: GET <url> "HTTP/1.1 200 OK"`, and the documented Meta
calls carry secrets in the URL: fb_exchange_token and client_secret (get-long-lived), access_token
(th_exchange_token, th_refresh_token, Graph reads). httpcore's DEBUG lines echo response headers. A filter
on those loggers rewrites such lines through the shared redaction rules before any handler sees them.
(Logger filters are not inherited, hence the explicit list of httpcore's module loggers.)
"""

import logging

from azmth_pipelines.integrations.common.redaction import redact_text

_LOGGERS = ("httpx", "httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactCredentials()


def install() -> None:
    """Idempotent: adds the filter once to each logger httpx and httpcore write to."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
