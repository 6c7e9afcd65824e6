"""What the contract classes share: cleaning up what a factory started, and the fault hook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

__all__ = ["ContractBase", "LostResponseHook", "expect_refusal"]

E = TypeVar("E", bound=BaseException)


def expect_refusal(call: Callable[[], object], error: type[E], what: str) -> E:
    """Call ``call()``, which must raise ``error``; fail naming what the port did instead.

    ``pytest.raises`` would only say "DID NOT RAISE"; a contract failure must show what the
    adapter returned, so the author of the adapter sees at once what it did wrong.
    """
    try:
        returned = call()
    except error as exc:
        return exc
    pytest.fail(
        f"{what}: expected a typed refusal ({error.__module__}.{error.__qualname__}), "
        f"but the port returned {returned!r}",
        pytrace=False,
    )


class ContractBase:
    """Teardown for the contracts: :meth:`on_teardown` registers what to stop after a test.

    A factory that starts something (a loopback server, a client, a temporary database) calls
    ``self.on_teardown(server.stop)``; after the test, pass or fail, the callbacks run last
    registered first. pytest makes a fresh instance of the class for every test, so what a
    factory keeps on ``self`` belongs to that one test.
    """

    _teardowns: list[Callable[[], object]]

    @pytest.fixture(autouse=True)
    def _conformance_teardown(self) -> Iterator[None]:
        """Run the registered callbacks after each test, newest first, even when one fails."""
        self._teardowns = []
        yield
        failures: list[BaseException] = []
        while self._teardowns:
            cleanup = self._teardowns.pop()
            try:
                cleanup()
            except Exception as exc:  # keep stopping the rest; report the first failure after
                failures.append(exc)
        if failures:
            raise failures[0]

    def on_teardown(self, cleanup: Callable[[], object]) -> None:
        """Call ``cleanup()`` after the current test (e.g. ``server.stop``)."""
        self._teardowns.append(cleanup)


class LostResponseHook:
    """The optional fault hook of the write contracts (storefronts and ledgers).

    Implement :meth:`lose_next_response` to let the contract check that a write whose answer
    never arrived, then repeated with the same external ID, creates nothing new. Left as it is,
    the lost-response cases are skipped, saying the hook is missing.
    """

    def lose_next_response(self) -> None:
        """Make the next write of the port made last apply, and its answer never arrive.

        With a local stand-in built on :class:`refund_adapters._standin.StandIn` this is
        ``standin.lose_response_next()``: the request is processed, then the connection is
        dropped. The port may then raise (a :class:`refund_core.RefundSyncError`, as the engine
        expects) or recover by itself; either way the repeat must find what the first call did.
        """
        pytest.skip(
            f"{type(self).__name__} does not implement lose_next_response(): the lost-response "
            "cases need a hook that lets the next write apply and loses its answer (e.g. a "
            "stand-in's lose_response_next())"
        )
