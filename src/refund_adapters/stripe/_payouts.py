"""Stripe as a :class:`refund_core.PayoutSource`: paid payouts with every balance entry they settle.

Intent: each paid payout becomes one :class:`refund_core.Payout` whose entries add up to it, so
the core can plan the NetSuite deposit (STC-12) with fees and fee refunds as Other Deposits
lines (STC-13) and pre-start refunds as deposit lines (STC-11).

- ``GET /v1/payouts?status=paid&arrival_date[gte]=since``: Stripe orders payouts by creation,
  the port wants them by arrival. Payouts are few (about one a day), so the window is read whole
  and sorted by ``(arrival_date, id)``; the page token is the last ``(arrival_date, id)``
  delivered, so pages stay stable while new payouts arrive.
- ``GET /v1/balance_transactions?payout=po_...``: "for automatic Stripe payouts only" (A7), paged
  to the end, listed oldest first. Mapping by ``type``:
  ``charge``/``payment`` -> a charge entry (gross) plus a fee entry (``-fee``) when Stripe kept a
  fee; ``refund``/``payment_refund`` -> a refund entry plus a fee-refund entry when Stripe gave
  fees back (a negative ``fee``); ``payment_failure_refund`` -> a payment-failure entry whose
  ``source_ref`` is the balance transaction's own ID (the failed charge's
  ``failure_balance_transaction``, which is the ``failure_id`` of the
  :class:`refund_core.PaymentFailure`); ``stripe_fee``, ``application_fee``, ``tax_fee``,
  ``stripe_fx_fee`` -> fee entries, and ``application_fee_refund`` -> fee refunds, by sign;
  ``refund_failure`` (or any type Stripe reports as ``reporting_category=refund_failure``, e.g.
  an older ``adjustment``, when its source is a refund) -> a refund-failure entry: the refund's
  money comes back (positive), ``source_ref`` the refund, which the deposit matches with the
  refund's reversal payments. Disputes (filed as ``adjustment``, told apart by their
  ``reporting_category``, https://docs.stripe.com/reports/reporting-categories): ``dispute`` ->
  a dispute entry (the funds withdrawn, ``source_ref`` the dispute, whose records the core made
  like a refund's, DSP-1), ``dispute_reversal`` -> a dispute-reversal entry (the funds of a won
  dispute reinstated, an Other Deposits line, DSP-2); their ``fee`` (the dispute fee, and its
  refund) is a fee or fee-refund entry like any other. The payout's own ``payout`` transaction
  is left out. Any other type (transfers, other adjustments) has no deposit line: it becomes an
  ``OTHER`` entry naming the type, so the payout is still delivered and the core refuses it by
  name (the engine sets it aside) while the payouts after it keep flowing.
- Currencies (CCY-1): a transaction's ``amount`` is in the balance's (settlement) currency;
  when Stripe converted it, its ``exchange_rate`` ("the amount in currency A, times
  exchange_rate, would be the amount in currency B") goes onto the entry, so the core takes
  records kept in the charge's currency into the deposit at that rate, or refuses the payout by
  name when a rate is missing.
- A payout that cannot be read (its object, or one of its balance transactions, is malformed)
  comes in the page's ``set_aside`` with its raw JSON, keyed by its ID, and the payouts after it
  keep flowing; a payout without a readable ID and arrival date cannot even be placed in order,
  and fails the page.
- Refund and refund-failure entries carry the refunded charge's date for the record sync start
  date (STC-11), read without one request per refund: for each refund type the payout holds,
  ``GET /v1/balance_transactions?payout=po_...&type=<type>&expand[]=data.source.charge``. Every
  transaction of those types has a refund as its source, so the nested expansion is well
  defined (Stripe documents expanding ``source`` on this list and nesting through it:
  https://docs.stripe.com/expand/use-cases). So a payout costs one list plus at most three,
  whatever its number of refunds. A failed refund filed as an ``adjustment``
  (whose sources are of many kinds) is the exception: its refund is read alone, and so is each
  dispute (``GET /v1/disputes/{id}?expand[]=charge``; disputes are rare).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import refund_core as rc

from .._decode import unreadable_item
from ._client import StripeClient
from ._listing import ceil_epoch, list_all, pack_token, sendable, unpack_token
from ._refunds import SOURCE_NAME
from ._wire import (
    StripeBalanceTransaction,
    StripeCharge,
    StripeDispute,
    StripePayloadError,
    StripePayout,
    StripeRefund,
    decode,
    read,
    stripe_money,
    stripe_time,
)

__all__ = ["StripePayoutSource"]

_CHARGE_TYPES = frozenset({"charge", "payment"})
_REFUND_TYPES = frozenset({"refund", "payment_refund"})
_FEE_TYPES = frozenset({"stripe_fee", "application_fee", "tax_fee", "stripe_fx_fee"})
_FEE_REFUND_TYPES = frozenset({"application_fee_refund"})
_REFUND_FAILURE = "refund_failure"
_DISPUTE_CATEGORIES = {
    "dispute": rc.BalanceEntryKind.DISPUTE,
    "dispute_reversal": rc.BalanceEntryKind.DISPUTE_REVERSAL,
}
#: Types whose every transaction has a refund as its source (so data.source.charge expands).
_REFUND_SOURCED_TYPES = _REFUND_TYPES | {_REFUND_FAILURE}
_TRANSACTIONS = "/v1/balance_transactions"
_WHAT = "the Stripe payouts"


class StripePayoutSource:
    """Paid Stripe payouts, oldest arrival first, each with its balance entries."""

    def __init__(self, client: StripeClient) -> None:
        self._client = client

    @property
    def client(self) -> StripeClient:
        """The Stripe client it reads through (the doctor checks the account with it)."""
        return self._client

    @property
    def name(self) -> str:
        """``stripe``."""
        return SOURCE_NAME

    async def list_payouts(
        self, *, since: datetime, page_token: str | None, limit: int
    ) -> rc.Page[rc.Payout]:
        """Payouts that arrived at or after ``since``, by ``(arrival_date, id)``."""
        if limit < 1:
            raise rc.InvalidInputError(f"page limit must be at least 1, not {limit}")
        epoch = ceil_epoch(since)
        after = None if page_token is None else _after(page_token, epoch)
        listed = [
            _listed(raw, index)
            for index, raw in enumerate(
                await list_all(
                    self._client,
                    "/v1/payouts",
                    {"status": "paid", "arrival_date": {"gte": epoch}},
                )
            )
        ]
        ordered = sorted(listed, key=lambda entry: entry[0])
        rest = [entry for entry in ordered if after is None or entry[0] > after]
        chosen = rest[:limit]
        items: list[rc.Payout] = []
        aside: list[rc.UnreadableItem] = []
        for (arrival, payout_id), raw, payout in chosen:
            try:
                if isinstance(payout, StripePayloadError):
                    raise payout
                items.append(await self._payout(payout))
            except rc.InvalidInputError as exc:
                aside.append(
                    unreadable_item(
                        source=SOURCE_NAME,
                        raw=raw,
                        error=exc,
                        event_id=payout_id,
                        at=stripe_time(arrival),
                    )
                )
        token = None
        if len(rest) > limit:
            last = chosen[-1][0]
            token = pack_token(epoch, {"after": [last[0], last[1]]})
        return rc.Page(tuple(items), token, set_aside=tuple(aside))

    async def _transactions(self, payout_id: str) -> list[StripeBalanceTransaction]:
        raws = await list_all(self._client, _TRANSACTIONS, {"payout": payout_id})
        found = [
            read(
                raw,
                StripeBalanceTransaction,
                where=f"balance transaction {raw.get('id')!r}",
                endpoint=f"GET {_TRANSACTIONS}",
            )
            for raw in raws
        ]
        return list(reversed(found))  # oldest first

    async def _charge_dates(
        self, payout_id: str, txns: list[StripeBalanceTransaction]
    ) -> dict[str, datetime | None]:
        """Refund ID -> its charge's date, for every refund the payout's transactions move."""
        dates: dict[str, datetime | None] = {}
        for txn_type in sorted({t.type for t in txns} & _REFUND_SOURCED_TYPES):
            params = {"payout": payout_id, "type": txn_type, "expand": ["data.source.charge"]}
            for raw in await list_all(self._client, _TRANSACTIONS, params):
                txn = read(
                    raw,
                    StripeBalanceTransaction,
                    where=f"balance transaction {raw.get('id')!r}",
                    endpoint=f"GET {_TRANSACTIONS}",
                )
                if isinstance(txn.source, dict) and txn.source.get("object") == "refund":
                    refund = read(
                        txn.source,
                        StripeRefund,
                        where=f"{txn.id} source",
                        endpoint=f"GET {_TRANSACTIONS}",
                    )
                    dates[refund.id] = _charge_date(refund)
        return dates

    async def _dispute_charge_created(
        self, dispute_id: str, dates: dict[str, datetime | None]
    ) -> datetime | None:
        if dispute_id not in dates:
            raw = await self._client.get(f"/v1/disputes/{dispute_id}", {"expand": ["charge"]})
            dispute = decode(raw, StripeDispute, endpoint="GET /v1/disputes/{dispute}")
            charge = dispute.charge
            dates[dispute_id] = (
                stripe_time(charge.created) if isinstance(charge, StripeCharge) else None
            )
        return dates[dispute_id]

    async def _charge_created(
        self, refund_id: str, dates: dict[str, datetime | None]
    ) -> datetime | None:
        if refund_id not in dates:  # a failed refund filed as an adjustment: read it alone
            if not sendable(refund_id):
                raise StripePayloadError(
                    f"refund ID {refund_id!r} holds text a URL cannot carry",
                    endpoint="GET /v1/refunds/{id}",
                )
            raw = await self._client.get(f"/v1/refunds/{refund_id}", {"expand": ["charge"]})
            dates[refund_id] = _charge_date(
                read(
                    raw,
                    StripeRefund,
                    where=f"refund {refund_id!r}",
                    endpoint="GET /v1/refunds/{id}",
                )
            )
        return dates[refund_id]

    async def _payout(self, payout: StripePayout) -> rc.Payout:
        txns = await self._transactions(payout.id)
        dates = await self._charge_dates(payout.id, txns)
        entries: list[rc.BalanceEntry] = []
        for txn in txns:
            entries.extend(await self._entries(payout, txn, dates))
        amount = stripe_money(payout.amount, payout.currency, where=f"payout {payout.id} amount")
        try:
            return rc.Payout(
                source=SOURCE_NAME,
                payout_id=payout.id,
                amount=amount,
                arrival_at=stripe_time(payout.arrival_date),
                entries=entries,
            )
        except rc.InvalidInputError as exc:
            raise StripePayloadError(
                f"payout {payout.id} (reconciliation {payout.reconciliation_status or 'unknown'}) "
                f"does not match its balance transactions: {exc}"
            ) from exc

    async def _entries(
        self,
        payout: StripePayout,
        txn: StripeBalanceTransaction,
        dates: dict[str, datetime | None],
    ) -> list[rc.BalanceEntry]:
        where = f"payout {payout.id} balance transaction {txn.id}"

        def money(minor: int, field: str) -> rc.Money:
            return stripe_money(minor, txn.currency, where=f"{where} {field}")

        source_ref = txn.source_id or txn.id
        description = txn.description or ""
        kind = rc.BalanceEntryKind
        failed_refund = _refund_failure_of(txn)
        disputed = _dispute_of(txn)
        rate = txn.exchange_rate  # CCY-1: the gross was converted into the payout's currency
        entries: list[rc.BalanceEntry] = []
        if txn.type == "payout":
            return entries
        if txn.type in _CHARGE_TYPES:
            entries.append(
                rc.BalanceEntry(
                    txn.id,
                    kind.CHARGE,
                    money(txn.amount, "amount"),
                    source_ref,
                    description,
                    exchange_rate=rate,
                )
            )
        elif txn.type in _REFUND_TYPES:
            entries.append(
                rc.BalanceEntry(
                    txn.id,
                    kind.REFUND,
                    money(txn.amount, "amount"),
                    source_ref,
                    description,
                    charge_created_at=await self._charge_created(source_ref, dates),
                    exchange_rate=rate,
                )
            )
        elif txn.type == "payment_failure_refund":
            entries.append(
                rc.BalanceEntry(
                    txn.id,
                    kind.PAYMENT_FAILURE,
                    money(txn.amount, "amount"),
                    txn.id,
                    description,
                    exchange_rate=rate,
                )
            )
        elif failed_refund is not None:
            entries.append(
                rc.BalanceEntry(
                    txn.id,
                    kind.REFUND_FAILURE,
                    money(txn.amount, "amount"),
                    failed_refund,
                    description,
                    charge_created_at=await self._charge_created(failed_refund, dates),
                    exchange_rate=rate,
                )
            )
        elif disputed is not None:
            dispute_kind, dispute_id = disputed
            charged = (
                await self._dispute_charge_created(dispute_id, dates)
                if dispute_kind is kind.DISPUTE
                else None
            )
            entries.append(
                rc.BalanceEntry(
                    txn.id,
                    dispute_kind,
                    money(txn.amount, "amount"),
                    dispute_id,
                    description,
                    charge_created_at=charged,
                    exchange_rate=rate,
                )
            )
        elif txn.type in _FEE_TYPES or txn.type in _FEE_REFUND_TYPES:
            if txn.net:
                fee_kind = kind.FEE if txn.net < 0 else kind.FEE_REFUND
                entries.append(
                    rc.BalanceEntry(
                        txn.id, fee_kind, money(txn.net, "net"), source_ref, description
                    )
                )
            return entries
        else:
            # No deposit line represents it: the core refuses the payout naming this entry.
            if txn.net:
                what = f"Stripe {txn.type}" + (f": {txn.description}" if txn.description else "")
                entries.append(
                    rc.BalanceEntry(txn.id, kind.OTHER, money(txn.net, "net"), source_ref, what)
                )
            return entries
        if txn.fee:
            # Stripe kept a fee (positive) or gave one back with a refund (negative).
            fee_kind = kind.FEE if txn.fee > 0 else kind.FEE_REFUND
            label = _fee_label(txn)
            entries.append(
                rc.BalanceEntry(
                    f"{txn.id}-fee", fee_kind, money(-txn.fee, "fee"), source_ref, label
                )
            )
        return entries


_PAYOUTS = "GET /v1/payouts"


def _listed(
    raw: dict[str, Any], index: int
) -> tuple[tuple[int, str], dict[str, Any], StripePayout | StripePayloadError]:
    """A listed payout's place ``(arrival_date, id)``, its raw object, and the payout (or why not).

    Without a readable ID and arrival date a payout has no place in the order: a typed error.
    """
    payout_id, arrival = raw.get("id"), raw.get("arrival_date")
    if not isinstance(payout_id, str) or isinstance(arrival, bool) or not isinstance(arrival, int):
        raise StripePayloadError(
            "a listed payout has no readable id and arrival_date, so no place in the order",
            endpoint=_PAYOUTS,
            path=f"$.data[{index}]",
        )
    stripe_time(arrival)  # a date no calendar holds is refused here, typed
    payout: StripePayout | StripePayloadError
    try:
        payout = read(raw, StripePayout, where=f"payout {payout_id!r}", endpoint=_PAYOUTS)
    except StripePayloadError as exc:
        payout = exc
    return (arrival, payout_id), raw, payout


def _refund_failure_of(txn: StripeBalanceTransaction) -> str | None:
    """The refund a refund-failure transaction gives money back for, or None if it is not one.

    Stripe types it ``refund_failure``; ``reporting_category`` also names failed refunds filed
    under ``type=adjustment`` (https://docs.stripe.com/reports/reporting-categories). Either way
    its source must be the refund, or the entry could not be matched.
    """
    if _REFUND_FAILURE not in (txn.type, txn.reporting_category):
        return None
    source = txn.source
    if isinstance(source, dict):
        return txn.source_id if source.get("object") == "refund" else None
    if source is not None and source.startswith(("re_", "pyr_")):
        return source
    return None


def _dispute_of(txn: StripeBalanceTransaction) -> tuple[rc.BalanceEntryKind, str] | None:
    """(dispute or dispute reversal, the dispute's ID) for a dispute's transaction, else None.

    Stripe files both as ``type=adjustment`` whose ``reporting_category`` says which; the
    source must be the dispute (``dp_``/``du_``), or the entry could not be matched.
    """
    entry_kind = _DISPUTE_CATEGORIES.get(txn.reporting_category or "")
    if entry_kind is None:
        return None
    source = txn.source
    if isinstance(source, dict):
        if source.get("object") != "dispute" or txn.source_id is None:
            return None
        return entry_kind, txn.source_id
    if source is not None and source.startswith(("dp_", "du_")):
        return entry_kind, source
    return None


def _fee_label(txn: StripeBalanceTransaction) -> str:
    return ", ".join(d.description for d in txn.fee_details if d.description)


def _charge_date(refund: StripeRefund) -> datetime | None:
    return stripe_time(refund.charge.created) if isinstance(refund.charge, StripeCharge) else None


def _after(token: str, since: int) -> tuple[int, str]:
    after = unpack_token(token, since, what=_WHAT).get("after")
    if (
        not isinstance(after, list)
        or len(after) != 2
        or not isinstance(after[0], int)
        or not isinstance(after[1], str)
    ):
        raise rc.InvalidInputError(f"not a page token of {_WHAT}: {token!r}")
    return after[0], after[1]
