"""Tiny helpers to talk to a Stripe stand-in from tests, in-process or over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn
from tests.contracts._run import run

BASE_URL = "https://api.stripe.com"
AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}

#: A stand-in (in-process transport) or the base URL of a loopback server.
Target = StripeStandIn | str


def _client(target: Target) -> httpx.AsyncClient:
    if isinstance(target, str):
        return httpx.AsyncClient(base_url=target)
    return httpx.AsyncClient(base_url=BASE_URL, transport=target.transport())


def call(
    target: Target,
    method: str,
    path: str,
    *,
    params: Any = None,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One request, with the stand-in's API key unless ``headers`` replace it."""

    async def go() -> httpx.Response:
        async with _client(target) as client:
            merged = {**AUTH, **(headers or {})}
            return await client.request(method, path, params=params, data=data, headers=merged)

    return run(go())


def call_many(target: Target, gets: Sequence[tuple[str, Any]]) -> list[httpx.Response | str]:
    """Several GETs (path, params) at once; a transport error comes back as its class name."""

    async def go() -> list[httpx.Response | str]:
        async with _client(target) as client:
            results = await asyncio.gather(
                *(client.get(path, params=params, headers=AUTH) for path, params in gets),
                return_exceptions=True,
            )
        return [r if isinstance(r, httpx.Response) else type(r).__name__ for r in results]

    return run(go())
