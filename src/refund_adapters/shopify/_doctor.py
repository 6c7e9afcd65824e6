"""``refund-sync doctor`` for Shopify: what the Shopify adapters assume about the shop, checked.

Read-only: one Admin GraphQL query (:data:`~._queries.DOCTOR`), never a mutation. The checks:

1. ``credentials``: the access token is accepted (``X-Shopify-Access-Token``);
2. ``api-version``: the pinned version (:data:`~._client.API_VERSION`) is still supported.
   Shopify lists the versions it serves in ``publicApiVersions`` (``ApiVersion.supported``,
   Admin schema 2026-01), answers every request in ``X-Shopify-API-Version`` with the version it
   used, and serves a request for an unsupported version with the oldest supported one instead
   ("falls forward"; help.shopify.com/en/api/versioning/migration-guide,
   shopify.dev/docs/api/usage/versioning). Each stable version is supported at least 12 months
   from its release;
3. ``access-scopes``: the scopes the adapters need are granted to the app's installation
   (``currentAppInstallation.accessScopes``): ``read_orders`` to read orders and refunds (Admin
   schema: the ``Order`` note and the ``refunds/create`` topic), ``write_orders`` to create
   refunds (the ``Order`` note). A ``write_`` scope includes its ``read_`` one, as Shopify's own
   library counts them (Shopify/shopify-app-js ``AuthScopes``);
4. ``store-credit``, when the account asks for store credit: the shop uses new customer
   accounts (``shop.customerAccountsV2.customerAccountsVersion``), which refunds to store credit
   need (shopify.dev/changelog/refund-to-store-credit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from refund_adapters._doctor import Check, Confidence, Verdict, read_answer
from refund_adapters._http import UpstreamAuthError

from . import _queries as q
from ._client import SERVICE, ShopifyAdminClient

__all__ = ["READ_SCOPES", "WRITE_SCOPES", "ShopifyDoctor"]

#: What reading orders and their refunds needs.
READ_SCOPES = ("read_orders",)
#: What creating refunds needs, besides reading.
WRITE_SCOPES = ("write_orders",)

_ENDPOINT = "POST graphql.json RefundSyncDoctor"


@attrs.frozen
class _ApiVersion:
    handle: str
    supported: bool


@attrs.frozen
class _AccessScope:
    handle: str


@attrs.frozen
class _Installation:
    access_scopes: tuple[_AccessScope, ...]


@attrs.frozen
class _CustomerAccounts:
    customer_accounts_version: str


@attrs.frozen
class _Shop:
    customer_accounts_v2: _CustomerAccounts


@attrs.frozen
class _Answer:
    """``data`` of :data:`~._queries.DOCTOR`, field names as Shopify's in snake_case."""

    public_api_versions: tuple[_ApiVersion, ...]
    current_app_installation: _Installation
    shop: _Shop


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


def _supported_until(handle: str) -> str:
    """The first day a stable version may be retired (12 months after its release)."""
    year, _, month = handle.partition("-")
    if not (year.isdigit() and month.isdigit()):
        return ""
    return f"{int(year) + 1}-{month}-01"


class ShopifyDoctor:
    """The checks of one shop (see the module docstring).

    ``writes`` says whether the account creates refunds in Shopify (a storefront), not only
    reads them. ``store_credit_asked_by`` names what asks for refunds to store credit (the
    storefront's ``store_credit``, the account's ``gift_card_as_store_credit``); empty when
    nothing does, and the store credit check is left out.
    """

    def __init__(
        self,
        client: ShopifyAdminClient,
        *,
        writes: bool,
        store_credit_asked_by: Iterable[str] = (),
    ) -> None:
        self.client = client
        self.writes = writes
        self.store_credit_asked_by = tuple(store_credit_asked_by)

    async def run(self) -> tuple[Check, ...]:
        """Every check, in order; the credentials check alone when the token is refused."""
        try:
            data = await self.client.execute(q.DOCTOR, {}, operation="RefundSyncDoctor")
        except UpstreamAuthError as exc:
            return (
                _check(
                    "credentials",
                    "the access token may call the shop's Admin API",
                    "X-Shopify-Access-Token (shopify.dev/docs/api/admin/getting-started)",
                    Confidence.ORACLE,
                    Verdict.FAILS,
                    f"HTTP {exc.status}: {exc}",
                    "check the token in the environment variable the adapter table names and "
                    "that the app is still installed on the shop",
                ),
            )
        answer = read_answer(data, _Answer, service=SERVICE, endpoint=_ENDPOINT, camel_case=True)
        checks = [
            _check(
                "credentials",
                "the access token may call the shop's Admin API",
                "X-Shopify-Access-Token (shopify.dev/docs/api/admin/getting-started)",
                Confidence.ORACLE,
                Verdict.HOLDS,
                f"{self.client.shop} answered the doctor's query",
            ),
            self._version(answer),
            self._scopes(answer),
        ]
        if self.store_credit_asked_by:
            checks.append(self._store_credit(answer))
        return tuple(checks)

    def _version(self, answer: _Answer) -> Check:
        pinned = self.client.api_version
        assumption = f"Shopify still supports the pinned Admin API version {pinned}"
        fact = (
            "publicApiVersions.supported (Admin schema 2026-01); X-Shopify-API-Version names the "
            "version an answer was made with, an unsupported one falls forward "
            "(help.shopify.com/en/api/versioning/migration-guide); 12 months of support "
            "(shopify.dev/docs/api/usage/versioning)"
        )
        listed: Mapping[str, bool] = {v.handle: v.supported for v in answer.public_api_versions}
        served = self.client.served_version
        supported = ", ".join(handle for handle, ok in listed.items() if ok) or "none"
        header = (
            f"answers carry X-Shopify-API-Version {served}"
            if served is not None
            else "answers carry no X-Shopify-API-Version"
        )
        remedy = (
            f"Shopify answers {pinned} requests with another version's behaviour: upgrade "
            "refund-sync to a release that speaks a supported version"
        )
        if served is not None and served != pinned:
            return _check(
                "api-version",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"{header}: Shopify fell forward from {pinned}; supported: {supported}",
                remedy,
            )
        if not listed.get(pinned, False):
            state = "listed as unsupported" if pinned in listed else "not listed"
            return _check(
                "api-version",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"{pinned} is {state}; supported: {supported}",
                remedy,
            )
        until = _supported_until(pinned)
        return _check(
            "api-version",
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS,
            f"{pinned} is listed as supported; {header}"
            + (f"; supported at least until {until}" if until else ""),
        )

    def _scopes(self, answer: _Answer) -> Check:
        needed = READ_SCOPES + (WRITE_SCOPES if self.writes else ())
        jobs = "read orders and refunds" + (" and create refunds" if self.writes else "")
        granted = {scope.handle for scope in answer.current_app_installation.access_scopes}
        # A write_ scope includes its read_ scope (Shopify/shopify-app-js AuthScopes).
        effective = granted | {
            "read_" + scope.removeprefix("write_")
            for scope in granted
            if scope.startswith("write_")
        }
        missing = [scope for scope in needed if scope not in effective]
        assumption = f"the app may {jobs}: scopes {', '.join(needed)}"
        fact = (
            "currentAppInstallation.accessScopes (Admin schema 2026-01); read_orders, "
            "write_orders for Order and refunds (Admin schema: Order note, refunds/create topic)"
        )
        shown = ", ".join(sorted(granted)) or "none"
        old_orders = (
            ""
            if "read_all_orders" in granted
            else "; read_all_orders is not granted: orders "
            "older than 60 days cannot be read (Admin schema: Order note)"
        )
        if missing:
            return _check(
                "access-scopes",
                assumption,
                fact,
                Confidence.MULTI,
                Verdict.FAILS,
                f"missing: {', '.join(missing)}; granted: {shown}{old_orders}",
                "grant the missing scopes to the app (its configuration, then the merchant "
                "approves them) and run the doctor again",
            )
        return _check(
            "access-scopes",
            assumption,
            fact,
            Confidence.MULTI,
            Verdict.HOLDS,
            f"granted: {shown}{old_orders}",
        )

    def _store_credit(self, answer: _Answer) -> Check:
        version = answer.shop.customer_accounts_v2.customer_accounts_version
        asked = " and ".join(self.store_credit_asked_by)
        assumption = f"the shop can refund to store credit ({asked} asks for it)"
        fact = (
            "refunds to store credit need new customer accounts (shopify.dev/changelog/"
            "refund-to-store-credit); shop.customerAccountsV2.customerAccountsVersion"
        )
        if version != "NEW_CUSTOMER_ACCOUNTS":
            return _check(
                "store-credit",
                assumption,
                fact,
                Confidence.ORACLE,
                Verdict.FAILS,
                f"customerAccountsVersion {version}",
                "turn on new customer accounts in the shop's settings (Customer accounts), or "
                "stop asking for store credit (store_credit = false; gift-card parts then "
                "become manual actions, NSC-8)",
            )
        return _check(
            "store-credit",
            assumption,
            fact,
            Confidence.ORACLE,
            Verdict.HOLDS,
            "customerAccountsVersion NEW_CUSTOMER_ACCOUNTS",
        )
