"""The port contracts over the Stripe adapter and its stand-in; every exchange fits Stripe's spec.

The RefundSource and PayoutSource contracts run over stand-ins seeded straight from the core
models, in-process and over loopback HTTP, and every request and answer of each test is
validated against the OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import httpx
import pytest

import refund_core as rc
from refund_adapters.conformance import PayoutSourceContract, RefundSourceContract
from refund_adapters.stripe import StripeClient, StripePayoutSource, StripeRefundSource
from refund_adapters.stripe._standin import DEFAULT_API_KEY, StripeStandIn
from tests.builders import M, at, payment_failure, stripe_refund
from tests.contracts._run import run
from tests.stripe.factories import client_for, no_sleep
from tests.stripe_contract import assert_all_exchanges_valid

#: Builds a StripeClient talking to a stand-in.
Connect = Callable[[StripeStandIn], StripeClient]


@pytest.fixture(params=["in_process", "loopback"])
def connect(request: pytest.FixtureRequest) -> Iterator[Connect]:
    """A function building a StripeClient for a stand-in, in-process or over loopback."""
    servers = []

    def build(standin: StripeStandIn) -> StripeClient:
        if request.param == "in_process":
            return client_for(standin)
        server = standin.serve().start()
        servers.append(server)
        # no pooled connections: each test step runs its own event loop (contracts._run.run)
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        return StripeClient(http, DEFAULT_API_KEY, base_url=server.base_url, sleep=no_sleep)

    yield build
    for server in servers:
        server.stop()


def _scenario() -> StripeStandIn:
    standin = StripeStandIn.from_events(
        [
            stripe_refund("re_1", "10.00", created="2026-03-01", charge="ch_1"),
            stripe_refund("re_2", "5.00", created="2026-03-02", charge="ch_1"),
            stripe_refund("re_3", "7.00", created="2026-03-02", charge="ch_2"),
            stripe_refund("re_jpy", "900", created="2026-03-03", charge="ch_3", currency="JPY"),
            payment_failure("txn_fail_1", "20.00", charge="ch_ach", failed="2026-03-04"),
        ]
    )
    standin.fail_refund("re_3", "expired_or_canceled_card", at=at("2026-03-05"))
    standin.add_charge(M("12.00 USD"), charge_id="ch_pend", created=at("2026-03-01"))
    standin.add_refund(
        "ch_pend", M("12.00 USD"), refund_id="re_pend", created=at("2026-03-02"), status="pending"
    )
    standin.change_refund_status("re_pend", "succeeded", at=at("2026-03-05"))
    standin.seed_payouts(
        [
            rc.Payout(
                source="stripe",
                payout_id="po_1",
                amount=M("87.00 USD"),
                arrival_at=at("2026-03-06"),
                entries=[
                    rc.BalanceEntry("txn_c", rc.BalanceEntryKind.CHARGE, M("100.00 USD"), "ch_9"),
                    rc.BalanceEntry("txn_f", rc.BalanceEntryKind.FEE, M("-3.00 USD"), "ch_9"),
                    rc.BalanceEntry(
                        "txn_r",
                        rc.BalanceEntryKind.REFUND,
                        M("-10.00 USD"),
                        "re_9",
                        charge_created_at=at("2026-01-01"),
                    ),
                ],
            )
        ]
    )
    return standin


def test_refund_source_exchanges_all_match_the_spec(connect: Connect) -> None:
    """Paging every refund and failure through the adapter: every exchange validates."""
    standin = _scenario()
    source = StripeRefundSource(connect(standin))

    async def every_page() -> list[rc.SourceEvent]:
        # one event loop for the whole walk: the client's pooled connections belong to it
        seen: list[rc.SourceEvent] = []
        token = None
        while True:
            page = await source.list_events(since=at("2026-01-01"), page_token=token, limit=2)
            seen.extend(page.items)
            token = page.next_token
            if token is None:
                return seen

    seen = run(every_page())
    keys = {event.key.event_id for event in seen}
    assert {"re_1", "re_2", "re_3", "re_jpy", "re_pend"} <= keys
    assert any(isinstance(event, rc.PaymentFailure) for event in seen)
    assert assert_all_exchanges_valid(standin) >= 2


def test_payout_source_exchanges_all_match_the_spec(connect: Connect) -> None:
    """Reading payouts and their balance transactions: every exchange validates."""
    standin = _scenario()
    source = StripePayoutSource(connect(standin))
    page = run(source.list_payouts(since=at("2026-03-01"), page_token=None, limit=10))
    assert [payout.payout_id for payout in page.items] == ["po_1"]
    assert assert_all_exchanges_valid(standin) >= 2


def test_client_post_survives_a_lost_response_and_stays_in_contract(connect: Connect) -> None:
    """A refund POST whose answer is lost is retried with its key and replayed, all valid."""
    standin = _scenario()
    standin.add_charge(M("30.00 USD"), charge_id="ch_post")
    standin.lose_response_next()
    client = connect(standin)
    body = run(
        client.post(
            "/v1/refunds",
            {"charge": "ch_post", "amount": 1200, "metadata": {"external_id": "x-1"}},
            external_id="x-1",
        )
    )
    assert body["amount"] == 1200
    assert standin.charges["ch_post"]["amount_refunded"] == 1200
    assert standin.exchanges[-1].response is not None
    assert standin.exchanges[-1].response.headers["Idempotent-Replayed"] == "true"
    assert_all_exchanges_valid(standin)


class _ValidatesExchanges:
    """After each contract test, every exchange with the stand-ins it built must validate.

    With ``loopback`` the stand-in is served on 127.0.0.1 and the client pointed at it by its
    base URL; the server is stopped by the contract's ``on_teardown``.
    """

    standins: list[StripeStandIn]
    loopback = False

    @pytest.fixture(autouse=True)
    def _validate_every_exchange(self) -> Iterator[None]:
        self.standins = []
        yield
        for standin in self.standins:
            assert_all_exchanges_valid(standin)

    def _client(self, standin: StripeStandIn) -> StripeClient:
        self.standins.append(standin)
        if not self.loopback:
            return client_for(standin)
        server = standin.serve().start()
        self.on_teardown(server.stop)  # type: ignore[attr-defined]  # the contract's hook
        # no pooled connections: each contract step runs its own event loop (contracts._run.run)
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        return StripeClient(http, DEFAULT_API_KEY, base_url=server.base_url, sleep=no_sleep)


class TestRefundSourceOverFromEvents(_ValidatesExchanges, RefundSourceContract):
    """The RefundSource contract over ``StripeStandIn.from_events``, every exchange in spec."""

    def make_source(self, events: Iterable[rc.SourceEvent]) -> rc.RefundSource:
        """The adapter over a stand-in seeded straight from the core events."""
        return StripeRefundSource(self._client(StripeStandIn.from_events(events)))


class TestPayoutSourceOverFromPayouts(_ValidatesExchanges, PayoutSourceContract):
    """The PayoutSource contract over ``StripeStandIn.from_payouts``, every exchange in spec."""

    def make_payouts(self, payouts: Iterable[rc.Payout]) -> rc.PayoutSource:
        """The adapter over a stand-in seeded straight from the core payouts."""
        return StripePayoutSource(self._client(StripeStandIn.from_payouts(payouts)))


class TestRefundSourceOverLoopback(TestRefundSourceOverFromEvents):
    """The RefundSource contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True


class TestPayoutSourceOverLoopback(TestPayoutSourceOverFromPayouts):
    """The PayoutSource contract with the stand-in served over HTTP on 127.0.0.1."""

    loopback = True
