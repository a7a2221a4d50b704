"""A static HTTP server for the media store directory, on loopback, for the demo and tests.

Production serves the same directory from a bucket/CDN instead. Starlette's StaticFiles does the HTTP work
(HEAD, Range, ETag, content types), which platform fetchers rely on; uvicorn runs it in a background thread.
"""

import socket
import threading
import time
from pathlib import Path

import uvicorn

# StaticFiles opens files with anyio.open_file, which anyio imports lazily on first use. Resolving it here, at
# import time in the importing thread, keeps that import out of the server thread, where it raced with imports
# in the main thread (seen under pytest: "SystemError: AST constructor recursion depth mismatch").
from anyio import open_file as _resolve_anyio_open_file  # noqa: F401
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

_START_TIMEOUT_S = 10.0


class MediaServer:
    """Serves `root` at http://host:port/<path>/...; port 0 picks a free port. start()/stop() or `with`."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 0, path: str = "/media") -> None:
        self.root = Path(root)
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/") if path.strip("/") else ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to hand to MediaStore(public_url=...)."""
        return f"http://{self.host}:{self.port}{self.path}"

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        files = StaticFiles(directory=self.root)
        app = Starlette(routes=[Mount(self.path or "/", app=files)])
        # Bind first so the caller learns the real port before any request can race the startup.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="azmth-media-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The media server on {self.host}:{self.port} did not start.")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT_S)
        self._server = None
        self._thread = None

    def __enter__(self) -> "MediaServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
