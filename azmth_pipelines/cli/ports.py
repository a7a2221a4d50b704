"""Loopback ports for the local servers (`azmth sandbox serve`, `azmth media serve`, `azmth dev`).

On a shared machine the default ports are often taken; the OS says only "[Errno 98] Address already in use",
so the commands bind first and name the port and the way out themselves.
"""

import errno
import socket


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} is in use on {host}")
        self.host = host
        self.port = port


def is_port_taken(error: OSError) -> bool:
    return error.errno == errno.EADDRINUSE


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for a server to serve on (port 0: any free one); PortInUse when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Lets a server restart on its port while the last run's connections sit in TIME_WAIT; a port another
    # process listens on still refuses.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if is_port_taken(exc):
            raise PortInUse(host, port) from None
        raise
    return sock


def free_port(host: str = "127.0.0.1", preferred: int = 0) -> int:
    """`preferred` when nothing listens on it, else a port the OS picks as free."""
    for port in (preferred, 0) if preferred else (0,):
        try:
            with listening_socket(host, port) as sock:
                return int(sock.getsockname()[1])
        except PortInUse:
            continue
    raise AssertionError("the OS always has a free port for port 0")
