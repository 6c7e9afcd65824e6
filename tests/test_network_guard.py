"""Tests for the network guard in conftest.py."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connect_is_blocked() -> None:
    """Connecting to a routable address raises before any packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with pytest.raises(RuntimeError, match="must not use the network"):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1, never routable


def test_host_name_connect_is_blocked() -> None:
    """A host name other than localhost could resolve anywhere, so it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with pytest.raises(RuntimeError, match="must not use the network"):
            sock.connect(("example.com", 443))


def test_loopback_connect_is_allowed() -> None:
    """Tests may still talk to a server on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            accepted, _ = server.accept()
            accepted.close()
            assert client.getpeername() == server.getsockname()
