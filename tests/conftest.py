"""Shared test setup: Hypothesis profiles and a guard that keeps tests off the real network.

Hypothesis profiles (pick one with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``default`` - 100 examples per property, random seed; for local runs.
* ``ci`` - 200 examples, no deadline (shared CI machines are slow and noisy), derandomized so a
  CI run is reproducible, and failing examples printed as a ``@reproduce_failure`` blob.
  ``noxfile.py`` selects it when the ``CI`` environment variable is set.

PostgreSQL: ``postgres_url``, ``postgres_schema`` and ``own_schema`` (``tests/postgres_server.py``)
give a test the real server, skipping (or failing under ``REFUND_SYNC_REQUIRE_POSTGRES``) when
it cannot be reached.

Network guard: every test runs with ``socket.socket.connect`` patched to refuse any address that
is not loopback (``127.0.0.0/8``, ``::1``, ``localhost``) or a Unix socket. Adapters are tested
against fakes or ``httpx.MockTransport``; a test that reaches for the internet fails loudly.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest
from hypothesis import settings

from tests.postgres_server import own_schema, postgres_schema, postgres_url

__all__ = ["own_schema", "postgres_schema", "postgres_url"]  # fixtures for every test

settings.register_profile("default", max_examples=100)
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_real_connect = socket.socket.connect


def _is_loopback(sock: socket.socket, address: Any) -> bool:
    """Tell whether ``sock.connect(address)`` stays on this machine."""
    if sock.family == getattr(socket, "AF_UNIX", object()):
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.partition("%")[0])  # drop an IPv6 scope id
    except ValueError:
        return False  # any other host name could resolve anywhere
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any non-loopback ``socket.connect`` in a test raise instead of going out."""

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(self, address):
            raise RuntimeError(f"tests must not use the network (connect to {address!r})")
        _real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
