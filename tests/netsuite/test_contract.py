"""The NetSuite adapter over its stand-in meets the Ledger contract of the conformance kit.

Run twice: in-process (the stand-in as an httpx transport) and over loopback HTTP (the stand-in
served on 127.0.0.1, the client pointed at it by its base URL). The lost-response hook drops the
answer of the next record write (a create, transform or update; SuiteQL queries are reads).
"""

from __future__ import annotations

import httpx

import refund_core as rc
from refund_adapters.conformance import LedgerContract
from refund_adapters.netsuite import NetSuiteClient, NetSuiteLedger, NetSuiteStandIn
from tests.contracts.faults import WriteFaults, netsuite_write
from tests.netsuite.factories import rig


async def _no_sleep(_seconds: float) -> None:
    """Backoff without waiting."""


class TestNetSuiteLedgerContract(LedgerContract):
    """Every Ledger contract test, run against NetSuiteLedger + NetSuiteStandIn."""

    faults: WriteFaults

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """The adapter over a fresh stand-in seeded with ``snapshot``."""
        setup = rig(snapshot)
        self.faults = WriteFaults(setup.standin, netsuite_write)
        return setup.ledger

    def lose_next_response(self) -> None:
        """The next record write is made in NetSuite; its answer never arrives."""
        self.faults.lose_next_write()
        self.on_teardown(self.faults.assert_spent)


class TestNetSuiteLedgerContractOverLoopback(TestNetSuiteLedgerContract):
    """The same contract with the stand-in served over HTTP on 127.0.0.1."""

    def make_ledger(self, snapshot: rc.LedgerSnapshot) -> rc.Ledger:
        """The adapter whose base URL is a loopback server of a fresh seeded stand-in."""
        standin = NetSuiteStandIn.from_snapshot(snapshot)
        self.faults = WriteFaults(standin, netsuite_write)
        server = standin.serve().start()
        self.on_teardown(server.stop)
        client = NetSuiteClient(
            # A client per event loop (the contract runs one loop per call), keeping no idle
            # connection: nothing closes a loop's client when its loop ends.
            lambda: httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)),
            base_url=f"{server.base_url}/services/rest",
            sleep=_no_sleep,
        )
        return NetSuiteLedger(
            client,
            undeposited_funds_account=standin.undeposited_funds_account,
            currencies=standin.currency_ids,
            tax_codes=standin.tax_rates,
        )
