"""The conformance kit: the contract every port implementation must meet, as pytest base classes.

Intent: a storefront, processor or ledger adapter written outside this project plugs into the
engine safely only if it behaves like the ones inside it: pages that lose nothing, writes that
are harmless to repeat, reads that hold what decisions need. Each contract is a class of tests;
subclass it in your test suite, implement its one factory method, and pytest runs the whole
contract against your adapter::

    from refund_adapters.conformance import StorefrontContract


    class TestMyStorefront(StorefrontContract):
        supports_store_credit = False

        def make_storefront(self, capabilities):
            return MyStorefront(client=..., base_url=my_standin.base_url)

The same classes run in this project over every adapter it ships and over the in-memory fakes
of :mod:`refund_core.testing`. Needs pytest (``pip install "refund-sync[conformance]"``). The
builders the contracts use are public too (:mod:`refund_adapters.conformance.builders`).
"""

from ._journal import JournalContract
from ._ledger import LedgerContract, contract_snapshot
from ._payout_source import PayoutSourceContract, contract_payout
from ._refund_source import RefundSourceContract
from ._run import run
from ._storefront import (
    CUSTOMER_ID,
    ORDER_REF,
    StorefrontContract,
    refund_action,
    store_credit_action,
)

__all__ = [
    "CUSTOMER_ID",
    "ORDER_REF",
    "JournalContract",
    "LedgerContract",
    "PayoutSourceContract",
    "RefundSourceContract",
    "StorefrontContract",
    "contract_payout",
    "contract_snapshot",
    "refund_action",
    "run",
    "store_credit_action",
]
