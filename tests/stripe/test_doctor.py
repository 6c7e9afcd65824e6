"""refund-sync doctor for Stripe: holds on the stand-in as it is, fails where an account differs."""

from __future__ import annotations

from typing import Any

import httpx

import refund_core as rc
from refund_adapters._doctor import Check, Verdict
from refund_adapters.stripe import STRIPE_VERSION, StripeClient, StripeDoctor, StripeStandIn
from tests.builders import at
from tests.contracts._run import run
from tests.stripe.factories import no_sleep
from tests.stripe_contract import assert_all_exchanges_valid


def _standin(**options: Any) -> StripeStandIn:
    refund = rc.RefundEvent(
        source="stripe",
        refund_id="re_doctor",
        amount=rc.Money.of("12.00", "USD"),
        created_at=at("2026-03-01"),
        status=rc.RefundStatus.SUCCEEDED,
        payment_ref="ch_doctor",
    )
    return StripeStandIn.from_events([refund], **options)


def _doctor(
    standin: StripeStandIn,
    *,
    key: str | None = None,
    mode: str = "test",
    currencies: tuple[str, ...] | None = ("USD", "EUR"),
) -> dict[str, Check]:
    client = StripeClient(
        httpx.AsyncClient(transport=standin.transport()),
        key or standin.api_key,
        sleep=no_sleep,
    )
    checks = run(StripeDoctor(client, expected_mode=mode, ledger_currencies=currencies).run())
    return {check.name: check for check in checks}


def test_the_doctor_passes_on_the_stand_in_as_it_is() -> None:
    """A test key where test mode is expected, a served version, a currency the ledger books."""
    standin = _standin()
    checks = _doctor(standin)
    assert list(checks) == ["credentials", "api-version", "key-mode", "account-currency"]
    assert {c.verdict for c in checks.values()} == {Verdict.HOLDS}
    assert STRIPE_VERSION in checks["api-version"].evidence
    assert "USD" in checks["account-currency"].evidence
    assert {e.request.method for e in standin.exchanges} == {"GET"}  # read-only


def test_every_exchange_of_the_doctor_matches_stripes_spec() -> None:
    """The account and balance answers it reads are Stripe's own shapes (OpenAPI + fixtures)."""
    standin = _standin()
    _doctor(standin)
    assert assert_all_exchanges_valid(standin) == 2


def test_a_test_key_where_live_is_expected_fails() -> None:
    """The account's configuration says live; the key and Stripe's answer say test."""
    check = _doctor(_standin(), mode="live")["key-mode"]
    assert check.failed
    assert "livemode false" in check.evidence
    assert "mode = 'test'" in check.remedy


def test_a_live_key_where_live_is_expected_holds() -> None:
    """A live-mode stand-in (sk_live_ key): balance.livemode true, the prefix agrees."""
    check = _doctor(_standin(api_key="sk_live_standin"), mode="live")["key-mode"]
    assert check.verdict is Verdict.HOLDS
    assert "livemode true" in check.evidence


def test_a_refused_version_fails_and_stops_the_checks() -> None:
    """A Stripe that does not know the pinned version answers 400; nothing else can be read."""
    standin = _standin(unknown_versions=[STRIPE_VERSION])
    checks = _doctor(standin)
    assert checks["api-version"].failed
    assert "Invalid Stripe API version" in checks["api-version"].evidence
    assert "key-mode" not in checks
    assert len(standin.exchanges) == 1


def test_a_refused_key_fails_the_credentials_only() -> None:
    """A wrong key: one check, failed, and no word of the key in the evidence."""
    checks = _doctor(_standin(), key="sk_test_not_the_key")
    assert list(checks) == ["credentials"]
    assert checks["credentials"].failed
    assert "sk_test" not in checks["credentials"].evidence


def test_a_currency_the_ledger_does_not_book_fails() -> None:
    """An account settling in JPY when the ledger books USD and EUR only."""
    check = _doctor(_standin(default_currency="jpy"))["account-currency"]
    assert check.failed
    assert "JPY" in check.evidence
    assert "JPY" in check.remedy


def test_without_ledger_currencies_the_currency_is_not_observable() -> None:
    """A ledger that lists no currencies: the doctor says what it saw, it does not pass it."""
    check = _doctor(_standin(), currencies=None)["account-currency"]
    assert check.verdict is Verdict.NOT_OBSERVABLE
    assert "USD" in check.evidence


def test_the_key_mode_is_read_from_the_prefix_without_showing_the_key() -> None:
    """Secret and restricted keys of both modes; any other key has no known mode."""
    http = httpx.AsyncClient()
    modes = {
        key: StripeClient(http, key).key_mode
        for key in ("sk_live_1", "rk_live_1", "sk_test_1", "rk_test_1", "pk_live_1")
    }
    assert modes == {
        "sk_live_1": "live",
        "rk_live_1": "live",
        "sk_test_1": "test",
        "rk_test_1": "test",
        "pk_live_1": None,
    }
