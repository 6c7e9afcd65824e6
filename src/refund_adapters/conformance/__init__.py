"""The conformance kit: the contract every port implementation must meet, as pytest base classes.

Intent: a storefront, processor or ledger adapter written outside this project plugs into the
engine safely only if it behaves like the ones inside it: pages that lose nothing, writes that
are harmless to repeat (even after a lost answer), refunds that never exceed what was paid,
reads that hold what decisions need. Each contract is a class of tests; subclass it in your
test suite, implement its one factory method, and pytest runs the whole contract against your
adapter::

    from refund_adapters.conformance import StorefrontContract


    class TestMyStorefront(StorefrontContract):
        supports_store_credit = False

        def make_storefront(self, capabilities):
            self.standin = my_standin_holding_order_1001()
            return MyStorefront(client=..., base_url=self.standin.base_url)

        def lose_next_response(self):  # optional: the lost-response cases
            self.standin.lose_next_write_response()

The contracts and what a subclass provides:

========================  ==================================  ===================================
contract                  factory (required)                  options and hooks
========================  ==================================  ===================================
:class:`StorefrontContract`  ``make_storefront(capabilities)``  ``kind``, ``name``,
                                                              ``supports_store_credit``,
                                                              ``refuses_over_refunds``;
                                                              ``lose_next_response()``
:class:`LedgerContract`   ``make_ledger(snapshot)``           ``lose_next_response()``
:class:`RefundSourceContract`  ``make_source(events)``        ``supports_payment_failures``,
                                                              ``storefront_events``;
                                                              ``listed_event_id(event)``
:class:`PayoutSourceContract`  ``make_payouts(payouts)``      (none)
:class:`JournalContract`  ``make_journal(folder)``            (none)
:class:`InboxContract`    ``make_inbox(folder)``              (none)
========================  ==================================  ===================================

Every contract also has ``on_teardown(callback)``: a factory that starts something (a loopback
server, a client) registers how to stop it, and it is stopped after the test, pass or fail.
Hooks act on the port the factory made last in the test.

The same classes run in this project over every adapter it ships and over the in-memory fakes
of :mod:`refund_core.testing`, in-process and over loopback HTTP. Needs pytest
(``pip install "refund-sync[conformance]"``). The builders the contracts use are public too
(:mod:`refund_adapters.conformance.builders`).
"""

from ._journal import InboxContract, JournalContract
from ._ledger import LedgerContract, contract_snapshot
from ._payout_source import PayoutSourceContract, contract_payout
from ._refund_source import RefundSourceContract
from ._run import run
from ._storefront import (
    CUSTOMER_ID,
    ORDER_REF,
    ORDER_TOTAL,
    StorefrontContract,
    refund_action,
    store_credit_action,
)

__all__ = [
    "CUSTOMER_ID",
    "ORDER_REF",
    "ORDER_TOTAL",
    "InboxContract",
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
