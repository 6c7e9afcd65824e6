"""Run a port's coroutine to completion in a test (pytest-asyncio is not used)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Drive ``coro`` on a fresh event loop and return its result."""
    return asyncio.run(coro)
