"""The conformance kit's pytest plugin, loaded through the ``pytest11`` entry point.

It does two things for a suite that runs the contracts of :mod:`refund_adapters.conformance`:

- registers the kit for pytest's assertion rewriting *before* the kit is imported, so a failed
  check shows the values the adapter returned instead of a bare ``AssertionError`` (this module
  sits outside the kit's package on purpose: importing it must not import the kit);
- heads every failure of a contract test with the contract's name and the promise the test
  checks (its docstring), so a report says which contract broke and why it matters.

Installed with the distribution; nothing happens for a test that is not a contract's.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

__all__ = ["pytest_runtest_makereport"]

pytest.register_assert_rewrite("refund_adapters.conformance")

_KIT = "refund_adapters.conformance."


def _contract_of(item: pytest.Item) -> str | None:
    """The contract a test item belongs to (``StorefrontContract``), or None."""
    cls = getattr(item, "cls", None)
    if cls is None:
        return None
    for base in cls.__mro__:
        name: str = base.__name__
        if base.__module__.startswith(_KIT) and name.endswith("Contract"):
            return name
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add a 'contract' section naming the contract and its promise to each failure."""
    report = yield
    if report.failed:
        contract = _contract_of(item)
        if contract is not None:
            function = getattr(item, "function", None)
            promise = (getattr(function, "__doc__", None) or "").strip().splitlines()
            subject = getattr(item, "cls", type(None)).__name__
            text = f"{subject} broke {contract}.{item.name.split('[')[0]}"
            if promise:
                text += f": {promise[0]}"
            report.sections.append(("contract", text))
    return report
