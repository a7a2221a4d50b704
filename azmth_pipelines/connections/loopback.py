"""The loopback redirect target of a desktop OAuth flow: one HTTP listener on 127.0.0.1 for one callback.

RFC 8252 7.3: native apps receive the authorization response on a loopback IP with a port of their choosing.
TikTok's desktop Login Kit accepts only localhost / 127.0.0.1 redirect URIs (wildcard port allowed); X and
Meta match the registered URI exactly, so register http://127.0.0.1:<port>/callback and pass that port.
"""

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

CALLBACK_PATH = "/callback"

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>AZMTH</title></head>"
    "<body style='font-family:sans-serif'><h1>{title}</h1><p>You can close this tab and return to the terminal.</p>"
    "</body></html>"
)


class _Server(HTTPServer):
    callback_url: str | None = None
    received: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if urlsplit(self.path).path.rstrip("/") != CALLBACK_PATH or self.server.received.is_set():
            # Browsers also ask for /favicon.ico; only the first callback counts.
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        self.server.callback_url = f"http://{host}:{port}{self.path}"
        self.server.received.set()
        body = _PAGE.format(title="Authorization received").encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default handler logs every request line to stderr, and the callback's query holds the code.
        return


class LoopbackCallback:
    """`with LoopbackCallback(port) as cb:` send the browser to cb.redirect_uri, then `cb.wait(timeout)`."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, port), _Handler)
        self._server.received = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="azmth-oauth-callback", daemon=True)
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    def _serve(self) -> None:
        self._server.timeout = 0.2
        while not self._stop.is_set() and not self._server.received.is_set():
            self._server.handle_request()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._server.server_close()

    def wait(self, timeout_s: float) -> str | None:
        """The full callback URL the browser was redirected to, or None when none came in time."""
        if not self._server.received.wait(timeout_s):
            return None
        return self._server.callback_url
