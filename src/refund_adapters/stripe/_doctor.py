"""``refund-sync doctor`` for Stripe: what the Stripe adapters assume about the account, checked.

Read-only: two GETs (``/v1/account``, ``/v1/balance``), never a write. The checks, in order:

1. ``credentials``: the key is accepted (``Authorization: Bearer``, docs.stripe.com/keys);
2. ``api-version``: Stripe serves the pinned ``Stripe-Version``. An unknown version is refused
   with 400 "Invalid Stripe API version: ..." (stripe-java#682, pay-rails#680,
   stripe-samples/link#58); an accepted one is echoed in the answer's ``Stripe-Version`` header
   (stripe-node's RequestSender reads it into ``lastResponse.apiVersion``);
3. ``key-mode``: live or test, from the key's prefix (``sk_live_``/``rk_live_`` live,
   ``sk_test_``/``rk_test_`` test, docs.stripe.com/keys) and from ``livemode`` on the balance
   (OpenAPI ``balance.livemode``), against the mode the account's configuration expects;
4. ``account-currency``: the account's ``default_currency`` (OpenAPI ``account``), the currency
   its balance settles in, is one the ledger is configured for.

When the key or the version is refused, the checks after it cannot run and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs
import httpx

from refund_adapters._decode import UpstreamDataError, parse_json
from refund_adapters._doctor import Check, Confidence, Verdict, read_answer

from ._client import SERVICE, StripeClient

__all__ = ["StripeDoctor"]

T = TypeVar("T")

_KEY_FACT = "key prefixes sk_live_/rk_live_ (live), sk_test_/rk_test_ (test): docs.stripe.com/keys"


@attrs.frozen
class _Account:
    """``account`` (OpenAPI): what the doctor reads of it."""

    id: str
    default_currency: str | None = None


@attrs.frozen
class _Balance:
    """``balance`` (OpenAPI): ``livemode`` is required there."""

    livemode: bool


def _check(  # noqa: PLR0917 - a report row: its columns in reading order
    name: str,
    assumption: str,
    fact: str,
    confidence: Confidence,
    verdict: Verdict,
    evidence: str,
    remedy: str = "",
) -> Check:
    return Check(SERVICE, name, assumption, fact, confidence, verdict, evidence, remedy)


def _decoded(response: httpx.Response, cls: type[T]) -> T:
    endpoint = f"GET {response.request.url.path}"
    value = parse_json(
        response.content,
        service=SERVICE,
        endpoint=endpoint,
        status=response.status_code,
        request_id=response.headers.get("request-id"),
    )
    return read_answer(value, cls, service=SERVICE, endpoint=endpoint)


def _error_message(response: httpx.Response) -> str:
    """Stripe's ``error.message`` of a refusal (empty when the body has none)."""
    try:
        body = parse_json(response.content, service=SERVICE, endpoint="error answer")
    except UpstreamDataError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""


class StripeDoctor:
    """The checks of one Stripe account (see the module docstring).

    ``expected_mode`` is ``live`` or ``test``: the mode the account's configuration says its
    data is in. ``ledger_currencies`` are the ISO codes the ledger can book (None when the
    ledger does not say, and the currency check cannot compare).
    """

    def __init__(
        self,
        client: StripeClient,
        *,
        expected_mode: str = "live",
        ledger_currencies: Iterable[str] | None = None,
    ) -> None:
        if expected_mode not in ("live", "test"):
            raise ValueError(f"expected_mode must be 'live' or 'test', got {expected_mode!r}")
        self.client = client
        self.expected_mode = expected_mode
        self.ledger_currencies = (
            None if ledger_currencies is None else frozenset(c.upper() for c in ledger_currencies)
        )

    async def run(self) -> tuple[Check, ...]:
        """Every check, in order; fewer when the key or the pinned version is refused."""
        answer = await self.client.get_answer("/v1/account")
        if answer.status_code in (401, 403):
            return (self._credentials(answer),)
        version = self._version(answer)
        if answer.status_code != 200:
            return (self._credentials(answer), version)
        account = _decoded(answer, _Account)
        balance_answer = await self.client.get_answer("/v1/balance")
        livemode = (
            _decoded(balance_answer, _Balance).livemode
            if balance_answer.status_code == 200
            else None
        )
        return (
            self._credentials(answer),
            version,
            self._mode(livemode, balance_answer.status_code),
            self._currency(account),
        )

    def _credentials(self, answer: httpx.Response) -> Check:
        assumption = "the configured secret key may read the account"
        fact = "Bearer secret or restricted key: docs.stripe.com/keys"
        if answer.status_code in (401, 403):
            return _check(
                "credentials",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"GET /v1/account answered HTTP {answer.status_code}",
                "check the key in the environment variable the adapter table names; a "
                "restricted key needs read access to the account, balance, charges, refunds, "
                "disputes, events, payouts and balance transactions",
            )
        if answer.status_code != 200:
            return _check(
                "credentials",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.NOT_OBSERVABLE,
                f"GET /v1/account answered HTTP {answer.status_code} before the key was judged",
            )
        return _check(
            "credentials",
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS,
            "GET /v1/account was answered",
        )

    def _version(self, answer: httpx.Response) -> Check:
        pinned = self.client.api_version
        assumption = f"Stripe serves the pinned API version {pinned} (sent as Stripe-Version)"
        fact = (
            "unknown versions are refused with 400 'Invalid Stripe API version' (stripe-java#682, "
            "pay-rails#680, stripe-samples/link#58); the answer's Stripe-Version header is the "
            "version used (stripe-node RequestSender)"
        )
        used = answer.headers.get("stripe-version")
        message = _error_message(answer) if answer.status_code != 200 else ""
        if answer.status_code == 400 and "api version" in message.lower():
            return _check(
                "api-version",
                assumption,
                fact,
                Confidence.MULTI,
                Verdict.FAILS,
                f"GET /v1/account answered 400: {message}",
                "this Stripe does not know the version the library pins: upgrade Stripe's side "
                "or report it; nothing is read or written until it is served",
            )
        if answer.status_code != 200:
            return _check(
                "api-version",
                assumption,
                fact,
                Confidence.MULTI,
                Verdict.NOT_OBSERVABLE,
                f"GET /v1/account answered HTTP {answer.status_code}"
                + (f": {message}" if message else ""),
            )
        if used is not None and used != pinned:
            return _check(
                "api-version",
                assumption,
                fact,
                Confidence.MULTI,
                Verdict.FAILS,
                f"the answer was made with Stripe-Version {used}, not {pinned}",
                "something between the library and Stripe changes the version header (a proxy?): "
                "answers would not have the shapes the adapter reads",
            )
        return _check(
            "api-version",
            assumption,
            fact,
            Confidence.MULTI,
            Verdict.HOLDS,
            f"accepted; the answer carries Stripe-Version {used}"
            if used is not None
            else "accepted (the answer carries no Stripe-Version header to compare)",
        )

    def _mode(self, livemode: bool | None, balance_status: int) -> Check:
        expected = self.expected_mode
        assumption = f"the key is a {expected}-mode key (the account's mode = {expected!r})"
        fact = f"{_KEY_FACT}; balance.livemode (OpenAPI balance)"
        by_key = self.client.key_mode
        by_answer = None if livemode is None else ("live" if livemode else "test")
        seen = (
            f"GET /v1/balance livemode {str(livemode).lower()} ({by_answer} mode)"
            if livemode is not None
            else f"GET /v1/balance answered HTTP {balance_status}"
        )
        evidence = f"key prefix: {by_key or 'unknown'}; {seen}"
        if by_key is not None and by_answer is not None and by_key != by_answer:
            return _check(
                "key-mode",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                evidence + ": the key and Stripe's answer disagree",
                "check base_url: the answers do not come from the Stripe the key belongs to",
            )
        observed = by_answer or by_key
        if observed is None:
            return _check(
                "key-mode",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.NOT_OBSERVABLE,
                evidence,
            )
        if observed != expected:
            return _check(
                "key-mode",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                evidence,
                f"use a {expected}-mode key, or set mode = {observed!r} in the adapter table if "
                f"this account is meant to sync {observed}-mode data",
            )
        return _check("key-mode", assumption, fact, Confidence.ORACLE, Verdict.HOLDS, evidence)

    def _currency(self, account: _Account) -> Check:
        assumption = "the account's default (settlement) currency is one the ledger books"
        fact = "account.default_currency (OpenAPI account); ledger currencies: configuration"
        currency = (account.default_currency or "").upper()
        if not currency:
            return _check(
                "account-currency",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.NOT_OBSERVABLE,
                f"account {account.id} shows no default_currency",
            )
        if self.ledger_currencies is None:
            return _check(
                "account-currency",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.NOT_OBSERVABLE,
                f"account {account.id} settles in {currency}; the ledger lists no currencies to "
                "compare with",
            )
        known = ", ".join(sorted(self.ledger_currencies)) or "none"
        if currency not in self.ledger_currencies:
            return _check(
                "account-currency",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"account {account.id} settles in {currency}; the ledger books {known}",
                f"add {currency} to the ledger's currencies (NetSuite: its internal ID under "
                "[accounts.ledger].currencies)",
            )
        return _check(
            "account-currency",
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS,
            f"account {account.id} settles in {currency}; the ledger books {known}",
        )
