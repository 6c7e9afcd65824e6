"""The demo's world: one NetSuite account and what five connector accounts will see.

Pure data, built from :mod:`refund_core` models. ``refund-sync demo`` seeds the local stand-ins
with it; tests use it as a realistic scenario (crash injection, end to end over loopback).
Every event is there to exercise rules of the catalogue; the comment beside it says which.

- **stripe-us** (Stripe Connector, USD): partial refunds of multi- and single-line invoices,
  a refund eating an unapplied balance first, a full refund, a charge with no invoice, a cash
  sale, a refund of a charge before the record sync start date, a failed ACH debit, a payout
  with refunds, a fee and a fee refund; a partial refund of a taxed invoice (net and tax split,
  a tax code on the line); a dispute decided like a refund, won later: its payout holds the
  withdrawal, the dispute fee, the reinstated funds and the fee's refund.
- **stripe-jp** (Stripe Connector, JPY, zero-decimal): *use refund item*, pre-start refunds
  as one summarized deposit line.
- **amazon-us** (NetSuite Connector, incoming): a split shipment (cash sale + invoice), two
  different partial refunds of one order, an order with an open RMA, an over-refund and a
  refund in the wrong currency (both rejected with the amounts).
- **shopify-eu** (NetSuite Connector, incoming, from a second shop: a cart synced incoming is
  allowed, with a warning): a refund that went back partly to a gift card; the credit memo
  covers only the part refunded to the card, the gift-card part is store credit Shopify issued.
- **shopify-us** and **magento-us** (NetSuite Connector, outgoing): credit memos made in
  NetSuite, one from an RMA, on orders partly paid by gift card.
"""

from __future__ import annotations

import attrs

import refund_core as rc

from ._samples import (
    MAGENTO_ORDER,
    SHOPIFY_CUSTOMER,
    SHOPIFY_EU_ORDER,
    SHOPIFY_ORDER,
    START,
    TAX_CODE,
    TAX_RATE,
)
from ._world_stores import amazon, outgoing, shopify_in
from ._world_stripe import dispute_payout, stripe_events, stripe_jp, stripe_payouts, stripe_us

__all__ = [
    "MAGENTO_ORDER",
    "SHOPIFY_CUSTOMER",
    "SHOPIFY_EU_ORDER",
    "SHOPIFY_ORDER",
    "START",
    "TAX_CODE",
    "TAX_RATE",
    "DemoWorld",
    "build_world",
]


@attrs.frozen
class DemoWorld:
    """The demo's starting ledger, each account's settings, and the events each will see."""

    ledger: rc.LedgerSnapshot
    stripe_events: tuple[rc.SourceEvent, ...]
    amazon_events: tuple[rc.SourceEvent, ...]
    stripe_settings: rc.RefundSettings
    amazon_settings: rc.RefundSettings
    shopify_settings: rc.RefundSettings
    payouts: tuple[rc.Payout, ...]
    stripe_jp_events: tuple[rc.SourceEvent, ...]
    stripe_jp_settings: rc.RefundSettings
    stripe_jp_payouts: tuple[rc.Payout, ...]
    magento_settings: rc.RefundSettings
    shopify_in_events: tuple[rc.SourceEvent, ...]
    shopify_in_settings: rc.RefundSettings


def build_world() -> DemoWorld:
    """The whole world: the NetSuite ledger and every account's events and settings."""
    invoices, payments, cash_sale = stripe_us()
    jp_invoices, jp_payments, jp_events, jp_payouts = stripe_jp()
    amazon_orders, amazon_invoices, amazon_cash_sale, rma, amazon_events = amazon()
    out_orders, out_invoices, out_credits, out_rmas = outgoing()
    in_order, in_invoice, in_events = shopify_in()
    ledger = rc.LedgerSnapshot(
        sales_orders=(*amazon_orders, *out_orders, in_order),
        invoices=(*invoices, *jp_invoices, *amazon_invoices, *out_invoices, in_invoice),
        cash_sales=(cash_sale, amazon_cash_sale),
        payments=(*payments, *jp_payments),
        credit_memos=out_credits,
        return_authorizations=(rma, *out_rmas),
    )
    return DemoWorld(
        ledger=ledger,
        stripe_events=stripe_events(),
        amazon_events=amazon_events,
        stripe_settings=rc.RefundSettings(
            partial_refund_item="Stripe Partial Refund Item",
            revenue_recognition=True,
            deferred_revenue_account="2400 Deferred Revenue",
            record_sync_start=START,
            fee_account="6100 Stripe Fees",
            deposit_account="1000 Operating Bank",
            tax_item="Sales Tax Refund",
            dispute_account="4910 Dispute Recoveries",
        ),
        amazon_settings=rc.RefundSettings(partial_refund_item="Partial Refund Item"),
        shopify_settings=rc.RefundSettings(gift_card_as_store_credit=True),
        payouts=(*stripe_payouts(), dispute_payout()),
        stripe_jp_events=jp_events,
        stripe_jp_settings=rc.RefundSettings(
            use_refund_item=True,
            refund_item="Stripe Refund Item",
            record_sync_start=START,
            pre_start_mode=rc.PreStartMode.DEPOSIT_LINE,
            summarize_before_backfill=True,
            pre_start_income_account="4010 Sales JP",
            fee_account="6110 Stripe Fees JP",
            deposit_account="1010 Bank JPY",
        ),
        stripe_jp_payouts=jp_payouts,
        magento_settings=rc.RefundSettings(gift_card_as_store_credit=True),
        shopify_in_events=in_events,
        shopify_in_settings=rc.RefundSettings(
            partial_refund_item="Partial Refund Item", gift_card_as_store_credit=True
        ),
    )
