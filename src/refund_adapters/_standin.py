"""The machinery every local vendor stand-in shares: fault injection, transport, loopback server.

A stand-in is a stateful imitation of a vendor API (Stripe, NetSuite, Shopify ...) written as one
async function from an :class:`httpx.Request` to an :class:`httpx.Response`. The same object then
serves two ways: in-process as an httpx transport (``client = httpx.AsyncClient(
transport=standin.transport())``), and as a real HTTP/1.1 server on 127.0.0.1 (``with
standin.serve() as server: ... server.base_url``) for end-to-end runs over loopback.

Faults are injected in front of the vendor logic, as the network and the vendor's edge would
produce them: added latency, a concurrency limit (requests over it get the vendor's own
"too many concurrent requests" answer), scripted error statuses, connections dropped before the
request is processed, and responses lost after it was processed (the write happened, the client
never heard).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import httpx

__all__ = ["Faults", "LoopbackServer", "StandIn", "json_response"]


@attrs.define
class Faults:
    """What the stand-in does to requests before (or after) its own logic sees them."""

    #: Seconds added to every request while it counts as in flight.
    latency_s: float = 0.0
    #: Requests in flight beyond this get :meth:`StandIn.over_limit_response`.
    concurrency_limit: int | None = None
    #: Scripted answers served instead of the next requests, oldest first.
    scripted: list[httpx.Response] = attrs.field(factory=list)
    #: Connections to drop before the request is processed (the request had no effect).
    drops: int = 0
    #: Requests to process and then drop the connection (the effect happened, unheard).
    lost_responses: int = 0


class _Dropped(Exception):  # noqa: N818 - a signal to the transport or server, not an error
    """The connection is to be closed without a response."""


class StandIn:
    """Base class of a stateful vendor stand-in; subclasses implement :meth:`handle`."""

    #: A name for logs and errors.
    service = "stand-in"

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.rejected_over_limit = 0
        self._lock = threading.Lock()

    # -- what subclasses provide -------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """The vendor's own behaviour for one request (the body is already read)."""
        raise NotImplementedError

    def over_limit_response(self) -> httpx.Response:
        """The vendor's answer to a request over the concurrency limit (default: a bare 429)."""
        return httpx.Response(429, json={"error": "too many concurrent requests"})

    # -- fault scripting ---------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` instead of processing them."""
        for _ in range(times):
            self.faults.scripted.append(
                httpx.Response(status, headers=dict(headers or {}), json=json_body)
            )

    def drop_next(self, times: int = 1) -> None:
        """Drop the next ``times`` connections before their requests are processed."""
        self.faults.drops += times

    def lose_response_next(self, times: int = 1) -> None:
        """Process the next ``times`` requests, then drop the connection instead of answering."""
        self.faults.lost_responses += times

    # -- the request pipeline ----------------------------------------------------------------

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        """Apply the faults, then the vendor logic; raise :class:`_Dropped` to drop."""
        await request.aread()
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            over = (
                self.faults.concurrency_limit is not None
                and self.in_flight > self.faults.concurrency_limit
            )
        try:
            if self.faults.latency_s:
                await asyncio.sleep(self.faults.latency_s)
            if over:
                self.rejected_over_limit += 1
                return self.over_limit_response()
            with self._lock:
                scripted = self.faults.scripted.pop(0) if self.faults.scripted else None
                drop = self.faults.drops > 0
                if drop:
                    self.faults.drops -= 1
            if drop:
                raise _Dropped
            if scripted is not None:
                return scripted
            response = await self.handle(request)
            with self._lock:
                lose = self.faults.lost_responses > 0
                if lose:
                    self.faults.lost_responses -= 1
            if lose:
                raise _Dropped
            return response
        finally:
            with self._lock:
                self.in_flight -= 1

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process httpx transport: no sockets, same behaviour as the server."""
        return _InProcessTransport(self)

    def serve(self, port: int = 0) -> LoopbackServer:
        """A real HTTP server on 127.0.0.1 (``port`` 0 picks a free one); a context manager."""
        return LoopbackServer(self, port=port)


class _InProcessTransport(httpx.AsyncBaseTransport):
    def __init__(self, standin: StandIn) -> None:
        self._standin = standin

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._standin(request)
        except _Dropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


class LoopbackServer:
    """Serve a stand-in over HTTP/1.1 on 127.0.0.1 from a background thread with its own loop.

    Keep-alive, ``Content-Length`` bodies (no chunked uploads: no client here sends them), one
    request at a time per connection and any number of connections at once.
    """

    def __init__(self, standin: StandIn, *, port: int = 0) -> None:
        self._standin = standin
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: point an adapter's base URL here."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="standin-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise RuntimeError(f"stand-in server failed to start: {self._error}")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop, server = self._loop, self._server
        if loop is not None and server is not None:
            loop.call_soon_threadsafe(server.close)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", self._port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except OSError as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks))
            loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader, self.port)
                if request is None:
                    break
                try:
                    response = await self._standin(request)
                except _Dropped:
                    break
                except Exception as exc:  # a stand-in bug must show up, not hang the client
                    response = httpx.Response(
                        500, json={"error": f"stand-in failure: {type(exc).__name__}: {exc}"}
                    )
                body = await response.aread()
                keep_alive = request.headers.get("connection", "").lower() != "close"
                writer.write(_encode_response(response, body, keep_alive=keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader, port: int) -> httpx.Request | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    host = next((v for k, v in headers if k.lower() == "host"), f"127.0.0.1:{port}")
    return httpx.Request(method, f"http://{host}{target}", headers=headers, content=body)


def _encode_response(response: httpx.Response, body: bytes, *, keep_alive: bool) -> bytes:
    skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{k}: {v}" for k, v in response.headers.multi_items() if k.lower() not in skip]
    lines.append(f"Content-Length: {len(body)}")
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A JSON response with Decimals written as strings.

    Stand-ins that must send JSON numbers (as Magento does) format their bodies themselves.
    """
    text = json.dumps(payload, default=_decimal_as_text)
    merged = {"content-type": "application/json", **(headers or {})}
    return httpx.Response(status, content=text.encode(), headers=merged)


def _decimal_as_text(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
