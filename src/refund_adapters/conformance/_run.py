"""Run a port's coroutine to completion from a synchronous test (no pytest-asyncio needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run"]

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Drive ``coro`` on a fresh event loop and return its result.

    A fresh loop per call is deliberate: it proves the adapter survives being driven from several
    ``asyncio.run`` calls, as the engine's synchronous entry points do.
    """
    return asyncio.run(coro)
