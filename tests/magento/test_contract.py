"""The Storefront contract (refund_adapters.conformance) over the Magento adapter and stand-in.

Run twice: in-process (the stand-in as an httpx transport) and over loopback HTTP (the stand-in
served on 127.0.0.1, the adapter pointed at it by its base URL). The lost-response hook drops the
answer of the refund POST itself, after Magento made the credit memo.
"""

from __future__ import annotations

import refund_core as rc
from refund_adapters.conformance import StorefrontContract
from refund_adapters.magento import BearerToken, MagentoStandIn, MagentoStorefront
from tests.contracts.faults import WriteFaults, http_write
from tests.magento.factories import TOKEN, Sleeps, contract_standin, storefront_over


class TestMagentoStorefront(StorefrontContract):
    """Magento: refunds once per external ID by comment marker; no store credit over REST."""

    name = "magento"
    supports_store_credit = False
    standin: MagentoStandIn
    faults: WriteFaults

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A Magento adapter over a freshly seeded stand-in, in-process."""
        self.standin = contract_standin()
        self.faults = WriteFaults(self.standin, http_write)
        return storefront_over(self.standin, capabilities=capabilities)

    def lose_next_response(self) -> None:
        """The next refund POST makes its credit memo; its answer never arrives."""
        self.faults.lose_next_write()
        self.on_teardown(self.faults.assert_spent)


class TestMagentoStorefrontOverLoopback(TestMagentoStorefront):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    def make_storefront(self, capabilities: rc.StorefrontCapabilities) -> rc.Storefront:
        """A Magento adapter whose base URL is a loopback server of a fresh stand-in."""
        self.standin = contract_standin()
        self.faults = WriteFaults(self.standin, http_write)
        server = self.standin.serve().start()
        self.on_teardown(server.stop)
        return MagentoStorefront(
            base_url=server.base_url,
            auth=BearerToken(TOKEN),
            capabilities=capabilities,
            sleep=Sleeps(),
        )
