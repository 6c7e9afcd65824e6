"""Builders for the Amazon adapter's tests.

A fake clock, a source wired to a stand-in, and the refund-source contract's factory
(``amazon_refund_source``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import refund_core as rc
from refund_adapters._http import RetryPolicy
from refund_adapters._pacing import RatePacer
from refund_adapters.amazon import AmazonRefundSource, AmazonStandIn, FinancesApi, LwaCredentials

#: A wall-clock "now" after every contract event (they are in early 2026) and before 2027.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

CREDENTIALS = LwaCredentials(
    client_id="amzn1.application-oa2-client.standin",
    client_secret="standin-client-secret",
    refresh_token="Atzr|standin-refresh-token",
)


class FakeClock:
    """A wall clock that moves only when told, and a monotonic clock that sleeping advances."""

    def __init__(self, wall: datetime = NOW) -> None:
        self.wall = wall
        self.monotonic_s = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The wall-clock time."""
        return self.wall

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return self.monotonic_s

    async def sleep(self, seconds: float) -> None:
        """Record the wait and let monotonic time pass, without really waiting."""
        self.sleeps.append(seconds)
        # Real timers have a granularity; without one, a float-rounding shortfall of one ulp in
        # the pacer's bucket would ask for a sleep too small to move this clock at all.
        self.monotonic_s += max(seconds, 1e-6)

    def advance(self, delta: timedelta) -> None:
        """Let wall and monotonic time pass together."""
        self.wall += delta
        self.monotonic_s += delta.total_seconds()


def standin(clock: FakeClock, **options: Any) -> AmazonStandIn:
    """An Amazon stand-in on ``clock``, with the given options."""
    return AmazonStandIn(clock=clock.now, monotonic=clock.monotonic, **options)


def source_for(
    standin: AmazonStandIn,
    clock: FakeClock,
    *,
    api: FinancesApi | str = FinancesApi.V2024_06_19,
    client_factory: Callable[[], httpx.AsyncClient] | None = None,
    policy: RetryPolicy | None = None,
    pacer: RatePacer | None = None,
    **options: Any,
) -> AmazonRefundSource:
    """An adapter talking to ``standin`` in-process, paced on ``clock`` (no real waiting)."""
    plan = {"2024-06-19": (0.5, 10), "v0": (0.5, 30)}[FinancesApi(api).value]
    if pacer is None:
        pacer = RatePacer(plan[0], plan[1], clock=clock.monotonic, sleep=clock.sleep)
    return AmazonRefundSource(
        CREDENTIALS,
        api=api,
        clock=clock.now,
        sleep=clock.sleep,
        pacer=pacer,
        policy=policy or RetryPolicy(),
        client_factory=client_factory or (lambda: httpx.AsyncClient(transport=standin.transport())),
        **options,
    )


def amazon_refund_source(events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
    """The refund-source contract's factory: the real adapter over a stand-in holding events."""
    clock = FakeClock()
    seeded = AmazonStandIn.from_events(events, clock=clock.now, monotonic=clock.monotonic)
    return source_for(seeded, clock)


async def raw_request(
    amazon: AmazonStandIn,
    method: str,
    path: str,
    *,
    token: str | None = None,
    data: dict[str, str] | None = None,
) -> httpx.Response:
    """One request straight to the stand-in, without the adapter."""
    headers = {"x-amz-access-token": token} if token is not None else {}
    async with httpx.AsyncClient(transport=amazon.transport()) as client:
        return await client.request(
            method, f"https://sellingpartnerapi-na.amazon.com{path}", headers=headers, data=data
        )


async def fresh_token(amazon: AmazonStandIn) -> str:
    """An access token from the stand-in's LWA endpoint."""
    response = await raw_request(
        amazon,
        "POST",
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": CREDENTIALS.refresh_token,
            "client_id": CREDENTIALS.client_id,
            "client_secret": CREDENTIALS.client_secret,
        },
    )
    token: str = response.json()["access_token"]
    return token


def prime_token(source: AmazonRefundSource, amazon: AmazonStandIn) -> None:
    """Fetch the source's access token now, so scripted faults hit Finances calls, not LWA."""

    async def fetch() -> None:
        async with httpx.AsyncClient(transport=amazon.transport()) as client:
            await source.tokens.access_token(client)

    asyncio.run(fetch())
