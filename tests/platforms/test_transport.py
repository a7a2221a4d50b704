"""The shared transport on asyncio's own sockets: TLS verification (and a CA trusted through SSL_CERT_FILE),
proxies from the environment, timeouts, redirects, large bodies, lost answers, closed keep-alive connections noticed,
and calls beyond the pool waiting."""

import asyncio
import datetime
import hashlib
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from azmth_pipelines.integrations.common.errors import TransientError
from azmth_pipelines.integrations.common.http import CONNECTION_LIMITS, PlatformClient
from azmth_pipelines.integrations.common.transport import AsyncioBackend, pooled_transport

pytestmark = pytest.mark.anyio

RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class Probe(PlatformClient):
    platform = "probe"

    async def ping(self) -> int:
        return (await self._send("GET", "/ping")).status

    async def upload(self, content: bytes) -> dict:  # type: ignore[type-arg]
        return (await self._send("POST", "/upload", content=content)).body


async def _serve(handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.close()


async def _answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        writer.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a platform's server would present (its own CA here)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


async def test_https_calls_verify_the_certificate_and_keep_the_connection(certificate: tuple[Path, Path]) -> None:
    tls_versions: list[str] = []

    async def answer_over_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls_versions.append(writer.get_extra_info("ssl_object").version())
        await _answer_ok(reader, writer)

    trusting = httpx.create_ssl_context(verify=ssl.create_default_context(cafile=str(certificate[0])))
    async for base_url in _serve(answer_over_tls, tls=_server_tls(certificate)):
        async with Probe(base_url, transport=pooled_transport(CONNECTION_LIMITS, ssl_context=trusting)) as client:
            assert [await client.ping() for _ in range(3)] == [200, 200, 200]
        assert tls_versions in (["TLSv1.3"], ["TLSv1.2"])  # one kept-alive TLS connection served all three
        async with Probe(base_url) as untrusting:  # the system's CAs do not know this certificate
            with pytest.raises(TransientError, match="ConnectError") as refused:
                await untrusting.ping()
            assert not refused.value.may_have_succeeded


async def test_a_large_body_is_sent_whole() -> None:
    async def count_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        digest = hashlib.sha256(await reader.readexactly(length)).hexdigest().encode()
        body = b'{"sha256":"' + digest + b'"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    content = bytes(range(256)) * 40_000  # 10 MB: far past the socket's write buffer, so sending waits on it
    async for base_url in _serve(count_body):
        async with Probe(base_url) as client:
            answer = await client.upload(content)
    assert answer == {"sha256": hashlib.sha256(content).hexdigest()}


async def test_a_platform_that_never_answers_times_out() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)
        writer.close()

    async for base_url in _serve(never_answer):
        async with Probe(base_url, timeout=httpx.Timeout(0.2)) as client:
            with pytest.raises(TransientError, match="ReadTimeout"):
                await client.ping()


async def test_a_refused_connection_never_reached_the_platform() -> None:
    server = await asyncio.start_server(_answer_ok, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with Probe(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(TransientError, match="ConnectError") as refused:
            await client._send("POST", "/publish")
    assert not refused.value.may_have_succeeded


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


async def test_clients_use_the_asyncio_backend_when_no_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    async with Probe("http://platform.test") as client:
        # If an httpx upgrade stops honouring the swapped pool, this fails instead of the speed quietly going.
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, AsyncioBackend)


async def _until_every_idle_connection_saw_its_close(client: PlatformClient, timeout_s: float = 10.0) -> None:
    """Wait until no pooled connection is unaware that the server closed it: each one left in the pool reports itself
    expired (what httpcore checks before reusing one), or the pool already dropped it because the close came with the
    answer. The timeout only guards against a close that never arrives."""
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    async with asyncio.timeout(timeout_s):
        while not all(connection.has_expired() for connection in pool.connections):
            await asyncio.sleep(0.001)


async def test_a_keep_alive_connection_the_server_closed_is_replaced() -> None:
    connections = 0

    async def answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)  # says keep-alive (HTTP/1.1 default), then closes anyway, as servers may
        await writer.drain()
        writer.close()

    async for base_url in _serve(answer_once_then_close):
        async with Probe(base_url) as client:
            assert await client.ping() == 200
            await _until_every_idle_connection_saw_its_close(client)
            # A write is never sent twice (it may have been processed), so only noticing the close keeps it whole.
            assert (await client._send("POST", "/publish")).status == 200
    assert connections == 2


async def test_calls_beyond_the_pool_wait_instead_of_failing() -> None:
    in_flight = peak = 0

    async def slow_keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, peak
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.02)
                in_flight -= 1
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    calls = CONNECTION_LIMITS.max_connections * 4
    async for base_url in _serve(slow_keep_alive):
        async with Probe(base_url) as client:
            statuses = await asyncio.gather(*(client.ping() for _ in range(calls)))
    assert statuses == [200] * calls
    assert peak == CONNECTION_LIMITS.max_connections


async def test_a_write_whose_connection_drops_after_it_was_read_may_have_succeeded() -> None:
    requests = 0

    async def read_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        await reader.readuntil(b"\r\n\r\n")
        requests += 1
        writer.transport.abort()  # the platform got the call, then the connection died before any answer

    async for base_url in _serve(read_then_drop):
        async with Probe(base_url) as client:
            with pytest.raises(TransientError) as lost:
                await client._send("POST", "/publish")
            assert lost.value.may_have_succeeded  # checked with the platform later, never sent again blindly
            assert requests == 1
            with pytest.raises(TransientError) as lost_read:
                await client.ping()
            assert not lost_read.value.may_have_succeeded
            assert requests == 3  # a read is sent again once at once: it changes nothing on the platform


async def test_calls_go_through_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[0])
        writer.write(RESPONSE)
        await writer.drain()
        writer.close()

    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async for proxy_url in _serve(proxy):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        async with Probe("http://api.platform.test") as client:  # a name that resolves nowhere: only the proxy knows
            assert await client.ping() == 200
    assert seen == [b"GET http://api.platform.test/ping HTTP/1.1"]


async def test_a_certificate_authority_named_by_ssl_cert_file_is_trusted(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # How a deployment behind a TLS-inspecting proxy, or a test platform with its own CA, makes its CA trusted.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    async for base_url in _serve(_answer_ok, tls=_server_tls(certificate)):
        async with Probe(base_url) as client:
            assert await client.ping() == 200


async def test_a_redirect_is_returned_not_followed() -> None:
    paths: list[bytes] = []

    async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        paths.append((await reader.readuntil(b"\r\n\r\n")).split(b" ")[1])
        writer.write(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async for base_url in _serve(redirect):
        async with Probe(base_url) as client:
            # A platform API answers calls itself: a redirect means a wrong base URL, and following it would
            # replay the call, and its token, somewhere else.
            assert await client.ping() == 302
    assert paths == [b"/ping"]
