"""A loopback media server with real sample files, standing in for the public URLs platforms fetch from."""

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from azmth_pipelines.media.samples import make_image, make_video
from azmth_sandbox.testing import SandboxAccount, SandboxHandle


@dataclass(frozen=True)
class MediaServer:
    base_url: str
    directory: Path

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    directory = tmp_path_factory.mktemp("media")
    make_image(directory / "square.jpg", 640, 640)
    make_image(directory / "portrait.jpg", 640, 800)
    make_image(directory / "panorama.jpg", 1200, 400)
    make_image(directory / "square.png", 640, 640, fmt="PNG")
    make_video(directory / "reel.mp4", seconds=4, width=360, height=640, fps=30)
    (directory / "notes.txt").write_text("not media")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MediaServer(f"http://127.0.0.1:{server.server_address[1]}", directory)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=30, trust_env=False) as client:
        yield client


def bearer(account: SandboxAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


def poll(fetch, done, *, attempts: int = 400, pause_s: float = 0.025):  # type: ignore[no-untyped-def]
    """Call fetch() until done(result); processing runs in the background, so tests poll like clients."""
    import time

    result = fetch()
    for _ in range(attempts):
        if done(result):
            return result
        time.sleep(pause_s)
        result = fetch()
    raise AssertionError(f"still not done after {attempts} polls: {result}")
