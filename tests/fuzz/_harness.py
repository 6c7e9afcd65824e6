"""The fuzz harness: record an adapter's answers, replay them mutated, classify what comes out.

A :class:`Target` is a name, a way to *record* (run the adapter's call once against its
stand-in, keeping every answer it got) and the *call* itself, which takes an httpx transport.
:func:`run_mutated` replays the recorded answers in order with one of them mutated (see
:mod:`._mutate`) and classifies the result:

* ``ok`` - the call returned;
* ``typed`` - it raised one of the library's errors (:class:`refund_core.RefundSyncError`);
* ``untyped`` - it raised anything else: a bug at the boundary;
* ``runaway`` - it kept asking for more (a paging loop that never ends), kept sleeping, or ran
  past the wall-clock ceiling: a hang.

Requests beyond the recording are answered with the last recorded answer of the same method and
path (a page that says "more" again), up to a ceiling. Targets that are not HTTP (scenario and
config readers, webhook verifiers) use :func:`classify` on a plain call.

Counts are kept per target in :data:`STATS` for the session report (``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import traceback
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx

import refund_core as rc

__all__ = [
    "STATS",
    "Exchange",
    "NotApplicable",
    "Outcome",
    "Runaway",
    "Stats",
    "Target",
    "classify",
    "record",
    "replay_transport",
    "run_mutated",
]

ROOT = Path(__file__).resolve().parents[2]

#: Requests a replayed call may send beyond its recording before it counts as a runaway loop.
EXTRA_REQUESTS = 60
#: Sleeps a replayed call may ask for (backoff, pacing) before it counts as a runaway.
MAX_SLEEPS = 500
#: Wall-clock seconds one input may take.
WALL_CEILING_S = 20


class NotApplicable(Exception):  # noqa: N818 - a harness signal, not an error
    """The input cannot reach the target at all (e.g. JSON that no TOML file could hold)."""


class Runaway(BaseException):
    """The call did not end: too many requests or sleeps, or too much time."""


@attrs.frozen
class Exchange:
    """One request the adapter sent and the answer it got."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def is_json(self) -> bool:
        """Whether the answer is a JSON document (what mutations work on)."""
        return bool(self.body) and self.body.lstrip()[:1] in (b"{", b"[")


@attrs.frozen
class Outcome:
    """What one input did: ``kind`` (see the module) and, for a bug, where it came from."""

    kind: str
    error: str = ""
    where: str = ""

    @property
    def is_bug(self) -> bool:
        """Whether this input found a bug (an untyped exception or a hang)."""
        return self.kind in ("untyped", "runaway")


@attrs.define
class Stats:
    """Inputs tried and bugs found, per target."""

    inputs: int = 0
    ok: int = 0
    typed: int = 0
    untyped: int = 0
    runaway: int = 0
    #: distinct bugs: "TypeError at src/.../x.py:12" -> how many inputs hit it
    distinct: dict[str, int] = attrs.field(factory=dict)

    def add(self, outcome: Outcome) -> None:
        """Count one input (an input the target cannot even receive is not counted)."""
        if outcome.kind == "skipped":
            return
        self.inputs += 1
        setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)
        if outcome.is_bug:
            label = f"{outcome.error} at {outcome.where}"
            self.distinct[label] = self.distinct.get(label, 0) + 1


STATS: dict[str, Stats] = {}


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's own code in ``exc``'s traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/src/refund_" in f.filename]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return "?"
    name = frame.filename
    with contextlib.suppress(ValueError):
        name = str(Path(name).resolve().relative_to(ROOT))
    return f"{name}:{frame.lineno}"


@contextlib.contextmanager
def _wall_ceiling(seconds: int) -> Iterator[None]:
    """Raise :class:`Runaway` in this (main) thread after ``seconds``: a loop that never yields."""

    def expire(_signum: int, _frame: object) -> None:
        raise Runaway(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def classify(call: Callable[[], Any]) -> Outcome:
    """Run ``call`` under the wall-clock ceiling and classify how it ended."""
    try:
        with _wall_ceiling(WALL_CEILING_S):
            call()
    except Runaway as exc:
        return Outcome("runaway", f"runaway: {exc}", _where(exc))
    except NotApplicable:
        return Outcome("skipped")
    except rc.RefundSyncError:
        return Outcome("typed")
    except Exception as exc:
        return Outcome("untyped", type(exc).__name__, _where(exc))
    return Outcome("ok")


class _Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                response.status_code,
                tuple(
                    (k, v)
                    for k, v in response.headers.items()
                    if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
                ),
                body,
            )
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body)


Call = Callable[[httpx.AsyncBaseTransport, "Sleeper"], Awaitable[Any]]


class Sleeper:
    """An injected ``sleep`` (and monotonic clock) that never waits, but counts: a ceiling."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps = 0

    def __call__(self) -> float:
        """The simulated monotonic time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Let simulated time pass; too many sleeps in one input is a runaway."""
        self.sleeps += 1
        if self.sleeps > MAX_SLEEPS:
            raise Runaway(f"slept {self.sleeps} times (last asked {seconds!r} s)")
        if isinstance(seconds, int | float) and not math.isnan(seconds) and seconds > 0:
            # Real timers have a granularity: even the shortest sleep lets a microsecond pass.
            self.now += min(max(seconds, 1e-6), 1e9)


@attrs.frozen
class Target:
    """An adapter call to fuzz: ``call(transport, sleeper)`` consumes the answers."""

    name: str
    call: Call
    #: the transport of a freshly seeded stand-in (recording runs against it once)
    standin: Callable[[], httpx.AsyncBaseTransport]


def record(target: Target) -> tuple[Exchange, ...]:
    """Run the target once against its stand-in; every exchange, in order."""
    recorder = _Recorder(target.standin())
    asyncio.run(target.call(recorder, Sleeper()))
    if not recorder.exchanges:
        raise AssertionError(f"{target.name}: the call sent no request; nothing to fuzz")
    return tuple(recorder.exchanges)


def replay_transport(
    exchanges: tuple[Exchange, ...], replaced: dict[int, bytes]
) -> httpx.AsyncBaseTransport:
    """Answer requests with the recorded answers in order, ``replaced`` bodies swapped in."""
    sent = [0]

    async def handle(request: httpx.Request) -> httpx.Response:
        number = sent[0]
        sent[0] += 1
        await request.aread()
        if number < len(exchanges):
            index = number
        else:
            if number >= len(exchanges) + EXTRA_REQUESTS:
                raise Runaway(f"{number} requests, {len(exchanges)} recorded")
            same = [
                i
                for i, ex in enumerate(exchanges)
                if ex.method == request.method and ex.path == request.url.path
            ]
            index = same[-1] if same else len(exchanges) - 1
        exchange = exchanges[index]
        body = replaced.get(index, exchange.body)
        return httpx.Response(exchange.status, headers=list(exchange.headers), content=body)

    return httpx.MockTransport(handle)


def run_mutated(
    target: Target, exchanges: tuple[Exchange, ...], replaced: dict[int, bytes]
) -> Outcome:
    """Replay ``exchanges`` with ``replaced`` answers to ``target``'s call; classify the end."""
    sleeper = Sleeper()
    transport = replay_transport(exchanges, replaced)
    return classify(lambda: asyncio.run(target.call(transport, sleeper)))
