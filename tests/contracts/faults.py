"""The contracts' lost-response hook, aimed at a stand-in's next *write*.

``StandIn.lose_response_next()`` loses the answer of the next request, whatever it is. An adapter
reads before it writes (Magento searches the order and its credit memos, Shopify reads the order,
NetSuite looks records up), so arming it before a write would lose a read, which the adapter
simply retries, and the write would never be tested. :class:`WriteFaults` waits for the request
``is_write`` picks, lets the stand-in process it, and only then arms the loss, so exactly that
answer is dropped. It wraps the stand-in's own ``handle``, so it works in-process and over
loopback alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from refund_adapters._standin import StandIn

__all__ = ["WriteFaults", "graphql_mutation", "http_write", "netsuite_write"]


def http_write(request: httpx.Request) -> bool:
    """A POST, PUT, PATCH or DELETE (Magento's refunds are its only POSTs)."""
    return request.method in {"POST", "PUT", "PATCH", "DELETE"}


def netsuite_write(request: httpx.Request) -> bool:
    """A record write to NetSuite: not a SuiteQL query (a POST that only reads)."""
    return http_write(request) and "/query/" not in request.url.path


def graphql_mutation(request: httpx.Request) -> bool:
    """A GraphQL request whose document is a mutation (Shopify's ``refundCreate``...)."""
    if request.method != "POST":
        return False
    try:
        document = json.loads(request.content).get("query", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(document, str) and document.lstrip().startswith("mutation")


class WriteFaults:
    """Loses the answer of the stand-in's next write: processed, then the connection drops."""

    def __init__(self, standin: StandIn, is_write: Callable[[httpx.Request], bool]) -> None:
        self.pending = 0
        #: Writes whose answers were lost so far.
        self.lost = 0
        inner = standin.handle

        async def handle(request: httpx.Request) -> httpx.Response:
            response = await inner(request)
            if self.pending and is_write(request):
                self.pending -= 1
                self.lost += 1
                # Armed after the write was processed: StandIn drops this very answer.
                standin.lose_response_next()
            return response

        standin.handle = handle  # type: ignore[method-assign]  # this one stand-in only

    def lose_next_write(self) -> None:
        """Drop the answer of the next write the stand-in processes."""
        self.pending += 1

    def assert_spent(self) -> None:
        """Every loss asked for hit a write (a hook that never fired would test nothing)."""
        assert self.pending == 0, f"{self.pending} lost answer(s) asked for, no write came"
        assert self.lost >= 1
