"""Fixtures for the platform client tests: a real loopback HTTP server and canned-answer transports."""

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from azmth_pipelines.media.samples import make_image, make_video
from tests.platforms.loopback import Loopback, Reply, Request


@dataclass(frozen=True)
class PublicMedia:
    base_url: str
    directory: Path

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def loopback() -> Iterator[Callable[[Callable[[Request], Reply]], Loopback]]:
    """Start a loopback server answering with the given handler; stopped after the test."""
    servers: list[Loopback] = []

    def start(handler: Callable[[Request], Reply]) -> Loopback:
        server = Loopback(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def public_media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicMedia]:
    """Sample media on a loopback static server: the "public URLs" platforms fetch from."""
    directory = tmp_path_factory.mktemp("public_media")
    make_image(directory / "portrait.jpg", 640, 800)
    make_image(directory / "square.jpg", 640, 640)
    make_video(directory / "reel.mp4", seconds=4, width=360, height=640, fps=30)
    handler = functools.partial(_QuietFiles, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield PublicMedia(f"http://127.0.0.1:{server.server_address[1]}", directory)
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
