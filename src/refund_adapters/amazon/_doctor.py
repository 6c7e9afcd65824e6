"""``refund-sync doctor`` for Amazon: what the refund source assumes about the seller, checked.

Read-only: ``listTransactions`` (or, on v0, ``listFinancialEvents``) over the account's recent
months, never anything else. The 2024-06-19 Finances model leaves two things the adapter relies
on undocumented, so they are observed on the account's own transactions:

- ``refund.transaction-type``: which ``transactionType`` refunds carry. The model's only listed
  value is ``Shipment`` ("Possible value: Shipment"); the adapter reads the types in its
  ``refund_transaction_types`` (by default ``Refund``, in no public source). A refund is
  recognised by its ``REFUND_ID`` related identifier (one of the model's documented names), so
  a refund under another type is seen and named.
- ``refund.breakdown-names``: the names of a refund's breakdown leaves. The model documents
  none, and its own example spells ``Principle``; the adapter reads v0's ``ChargeType`` names
  (``Principal``, ``Tax``, ``ShippingCharge`` ..., financesV0 ``ChargeComponent``), taking an
  item's goods only from ``Principal``, ``Tax``, ``Giftwrap``, ``GiftwrapTax``. A customer-money
  leaf of another name would be counted as an adjustment, and the refund lose its lines.

With no refund in the months looked at, both are *not observable*: never a pass. On v0 the
operation itself is the assumption (``api.v0``): it is removed on 2027-08-27.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import attrs

from refund_adapters._doctor import Check, Confidence, Verdict, read_answer
from refund_adapters._http import UpstreamAuthError

from ._mapping import LINE_CHARGE_TYPES, SHIPPING_CHARGE_TYPES, _Part, breakdown_part
from ._source import MAX_WINDOW, V0_REMOVAL_DATE, AmazonRefundSource, FinancesApi

__all__ = ["KNOWN_CHARGE_NAMES", "V0_CHARGE_TYPES", "AmazonDoctor"]

SERVICE = "amazon"

#: The charge types financesV0.json documents (``ChargeComponent``): the names the adapter reads.
V0_CHARGE_TYPES = frozenset(
    {
        "Principal",
        "Tax",
        "MarketplaceFacilitatorTax-Principal",
        "MarketplaceFacilitatorTax-Shipping",
        "MarketplaceFacilitatorTax-Giftwrap",
        "MarketplaceFacilitatorTax-Other",
        "Discount",
        "TaxDiscount",
        "CODItemCharge",
        "CODItemTaxCharge",
        "CODOrderCharge",
        "CODOrderTaxCharge",
        "CODShippingCharge",
        "CODShippingTaxCharge",
        "ShippingCharge",
        "ShippingTax",
        "Goodwill",
        "Giftwrap",
        "GiftwrapTax",
        "RestockingFee",
        "ReturnShipping",
        "PointsFee",
        "GenericDeduction",
        "FreeReplacementReturnShipping",
        "PaymentMethodFee",
        "ExportCharge",
        "SAFE-TReimbursement",
        "TCS-CGST",
        "TCS-SGST",
        "TCS-IGST",
        "TCS-UTGST",
        "PaidthroughEBT",
    }
)
#: Every customer-money leaf name the adapter knows ("Shipping" is its 2024-06-19 spelling).
KNOWN_CHARGE_NAMES = V0_CHARGE_TYPES | LINE_CHARGE_TYPES | SHIPPING_CHARGE_TYPES
#: Misspellings seen in Amazon's own material, and what they stand for.
_MISSPELT = {"Principle": "Principal"}
_REFUND_ID = "REFUND_ID"


@attrs.frozen
class _Identifier:
    related_identifier_name: str | None = None
    related_identifier_value: str | None = None


@attrs.frozen
class _Breakdown:
    breakdown_type: str | None = None
    breakdowns: tuple[_Breakdown, ...] | None = None


@attrs.frozen
class _Item:
    breakdowns: tuple[_Breakdown, ...] | None = None


@attrs.frozen
class _Transaction:
    transaction_type: str | None = None
    transaction_id: str | None = None
    related_identifiers: tuple[_Identifier, ...] | None = None
    items: tuple[_Item, ...] | None = None
    breakdowns: tuple[_Breakdown, ...] | None = None

    @property
    def refund_id(self) -> str | None:
        """The transaction's ``REFUND_ID``, if it has one."""
        return next(
            (
                i.related_identifier_value
                for i in self.related_identifiers or ()
                if i.related_identifier_name == _REFUND_ID
            ),
            None,
        )


@attrs.frozen
class _Payload:
    transactions: tuple[_Transaction, ...] | None = None
    next_token: str | None = None


@attrs.frozen
class _Page:
    """A ``ListTransactionsResponse`` (2024-06-19), reduced to what the doctor reads."""

    payload: _Payload | None = None


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


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _counted(counts: Counter[str], limit: int = 6) -> str:
    listed = [f"{name or '(none)'} {n}" for name, n in counts.most_common()]
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more or "none"


def _charge_names(
    breakdowns: Iterable[_Breakdown] | None, groups: tuple[str, ...] = ()
) -> Iterator[str]:
    """The names of a breakdown tree's customer-money leaves.

    Fees, tax withheld and promotions are left out, as the adapter tells them apart.
    """
    for node in breakdowns or ():
        kind = node.breakdown_type or ""
        if node.breakdowns:
            yield from _charge_names(node.breakdowns, (*groups, kind))
        elif breakdown_part(groups, kind) is _Part.CHARGE:
            yield kind


def _refund_charge_names(txn: _Transaction) -> list[str]:
    """As the adapter reads a refund: its items' leaves, else the transaction's own."""
    names = [name for item in txn.items or () for name in _charge_names(item.breakdowns)]
    return names or list(_charge_names(txn.breakdowns))


class AmazonDoctor:
    """The checks of one Amazon seller account (see the module docstring).

    ``lookback`` is how far back transactions are read (in windows of at most 180 days, newest
    first); reading stops once ``enough`` refunds are seen or after ``max_pages`` pages (the
    operation is paced at 0.5 requests a second).
    """

    def __init__(
        self,
        source: AmazonRefundSource,
        *,
        lookback: timedelta = timedelta(days=365),
        enough: int = 25,
        max_pages: int = 6,
    ) -> None:
        self.source = source
        self.lookback = lookback
        self.enough = enough
        self.max_pages = max_pages

    async def run(self) -> tuple[Check, ...]:
        """Every check, in order; the credentials check alone when Amazon refuses them."""
        try:
            if self.source.api is FinancesApi.V0:
                return await self._v0()
            transactions, since = await self._transactions()
        except UpstreamAuthError as exc:
            return (
                _check(
                    "credentials",
                    "the LWA credentials may read the seller's Finances data",
                    "LWA refresh-token grant and x-amz-access-token (SP-API docs)",
                    Confidence.ORACLE,
                    Verdict.FAILS,
                    f"HTTP {exc.status}: {exc}",
                    "check the client secret and refresh token, and that the app's role "
                    "includes Finance and Accounting",
                ),
            )
        configured = self.source.refund_transaction_types
        refunds = [
            t for t in transactions if t.refund_id is not None or t.transaction_type in configured
        ]
        seen = f"{len(transactions)} transaction(s) since {since.date().isoformat()}"
        return (
            _check(
                "credentials",
                "the LWA credentials may read the seller's Finances data",
                "LWA refresh-token grant and x-amz-access-token (SP-API docs)",
                Confidence.ORACLE,
                Verdict.HOLDS,
                f"listTransactions answered: {seen}",
            ),
            self._transaction_type(transactions, refunds, seen),
            self._breakdown_names(refunds, seen),
        )

    async def _transactions(self) -> tuple[list[_Transaction], datetime]:
        end = self.source.posted_before_limit()
        oldest = end - self.lookback
        found: list[_Transaction] = []
        pages = 0
        before = end
        while before > oldest and pages < self.max_pages:
            after = max(before - MAX_WINDOW, oldest)
            query = {"postedAfter": _iso(after), "postedBefore": _iso(before)}
            if self.source.marketplace_id is not None:
                query["marketplaceId"] = self.source.marketplace_id
            token: str | None = None
            while pages < self.max_pages:
                asked = dict(query) if token is None else {**query, "nextToken": token}
                document = await self.source.read_page(asked)
                pages += 1
                page = read_answer(
                    document,
                    _Page,
                    service=SERVICE,
                    endpoint="GET /finances/2024-06-19/transactions",
                    camel_case=True,
                )
                payload = page.payload or _Payload()
                found.extend(payload.transactions or ())
                token = payload.next_token
                if not token:
                    break
            refunds = sum(1 for t in found if t.refund_id is not None)
            if refunds >= self.enough:
                return found, after
            before = after
        return found, before

    def _transaction_type(
        self, transactions: list[_Transaction], refunds: list[_Transaction], seen: str
    ) -> Check:
        configured = self.source.refund_transaction_types
        wanted = ", ".join(sorted(configured))
        assumption = f"refunds are transactions of type {wanted} (refund_transaction_types)"
        fact = (
            "finances 2024-06-19: transactionType lists only 'Shipment'; REFUND_ID is a "
            "documented related identifier; no public source names the refund type"
        )
        with_id = Counter(t.transaction_type or "" for t in transactions if t.refund_id)
        outside = Counter({kind: n for kind, n in with_id.items() if kind not in configured})
        read = [t for t in refunds if t.transaction_type in configured]
        if outside:
            return _check(
                "refund.transaction-type",
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.FAILS,
                f"refunds (with a REFUND_ID) of type(s) the adapter does not read: "
                f"{_counted(outside)}; {seen}",
                "add the type(s) to refund_transaction_types in the adapter table, run the "
                "doctor again, and report them: they are not in the published model",
            )
        if read:
            identified = sum(1 for t in read if t.refund_id)
            return _check(
                "refund.transaction-type",
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.HOLDS,
                f"{len(read)} transaction(s) of type {wanted}, {identified} with a REFUND_ID; "
                f"{seen}",
            )
        types = Counter(t.transaction_type or "" for t in transactions)
        return _check(
            "refund.transaction-type",
            assumption,
            fact,
            Confidence.UNKNOWN,
            Verdict.NOT_OBSERVABLE,
            f"no refund among {seen} (types: {_counted(types)})",
        )

    def _breakdown_names(self, refunds: list[_Transaction], seen: str) -> Check:
        goods = ", ".join(sorted(LINE_CHARGE_TYPES))
        assumption = f"refund breakdowns use v0's ChargeType names; an item's goods are {goods}"
        fact = (
            "finances 2024-06-19 documents no breakdownType values and its example spells "
            "'Principle'; the names the adapter reads are financesV0 ChargeComponent's"
        )
        names = Counter(name for txn in refunds for name in _refund_charge_names(txn))
        unknown = Counter({name: n for name, n in names.items() if name not in KNOWN_CHARGE_NAMES})
        if unknown:
            hints = [
                f"'{name}' is the model's misspelling of '{_MISSPELT[name]}'"
                for name in unknown
                if name in _MISSPELT
            ]
            return _check(
                "refund.breakdown-names",
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.FAILS,
                f"names the adapter does not know on {len(refunds)} refund(s): "
                f"{_counted(unknown)}" + "".join(f"; {hint}" for hint in hints),
                "these amounts would be counted as adjustments and the refunds lose their "
                "lines: report the names; do not sync this account until the adapter reads them",
            )
        if any(name in LINE_CHARGE_TYPES for name in names):
            return _check(
                "refund.breakdown-names",
                assumption,
                fact,
                Confidence.UNKNOWN,
                Verdict.HOLDS,
                f"{len(refunds)} refund(s): {_counted(names)}",
            )
        return _check(
            "refund.breakdown-names",
            assumption,
            fact,
            Confidence.UNKNOWN,
            Verdict.NOT_OBSERVABLE,
            f"no item goods amount on {len(refunds)} refund(s) (names: {_counted(names)}); {seen}",
        )

    async def _v0(self) -> tuple[Check, ...]:
        end = self.source.posted_before_limit()
        after = end - min(MAX_WINDOW, self.lookback)
        await self.source.read_page(
            {"PostedAfter": _iso(after), "PostedBefore": _iso(end), "MaxResultsPerPage": "1"}
        )
        today = end.date().isoformat()
        removed = today >= V0_REMOVAL_DATE
        return (
            _check(
                "credentials",
                "the LWA credentials may read the seller's Finances data",
                "LWA refresh-token grant and x-amz-access-token (SP-API docs)",
                Confidence.ORACLE,
                Verdict.HOLDS,
                "listFinancialEvents answered",
            ),
            _check(
                "api.v0",
                "Finances v0 listFinancialEvents is still served (api = 'v0')",
                f"deprecated, removed on {V0_REMOVAL_DATE} (SP-API changelog, deprecation of "
                "Finances v0 operations)",
                Confidence.ORACLE,
                Verdict.FAILS if removed else Verdict.HOLDS,
                f"answered on {today}; removed on {V0_REMOVAL_DATE}",
                "move the account to api = '2024-06-19' and run the doctor again"
                if removed
                else "",
            ),
        )
