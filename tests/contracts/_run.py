"""Run a port's coroutine to completion in a test: the conformance kit's ``run``, re-exported."""

from refund_adapters.conformance import run

__all__ = ["run"]
