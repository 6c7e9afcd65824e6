"""The demo world's stores: Amazon (incoming), Shopify and Magento (outgoing), a second shop.

See :mod:`._world` for what each event is there to show; the comment beside each says which
rules it exercises.
"""

from __future__ import annotations

from decimal import Decimal

import refund_core as rc

from ._samples import (
    MAGENTO_ORDER,
    SHOPIFY_EU_ORDER,
    SHOPIFY_ORDER,
    at,
    line,
    usd,
)

__all__ = ["amazon", "outgoing", "shopify_in"]


def amazon() -> tuple[
    tuple[rc.SalesOrder, ...],
    tuple[rc.Invoice, ...],
    rc.CashSale,
    rc.ReturnAuthorization,
    tuple[rc.SourceEvent, ...],
]:
    d = at
    orders = (
        rc.SalesOrder(
            "SO-200",
            "C-9",
            "AMZ-200",
            lines=(
                line("1", "PEN", usd("10.00"), "AMZ-L1"),
                line("2", "BOOK", usd("25.00"), "AMZ-L2"),
            ),
            storefront="amazon",
        ),
        rc.SalesOrder(
            "SO-201",
            "C-8",
            "AMZ-201",
            lines=(line("1", "LAMP", usd("45.00"), "AMZ-L5"),),
            storefront="amazon",
        ),
        rc.SalesOrder(
            "SO-202",
            "C-7",
            "AMZ-202",
            lines=(line("1", "CHAIR", usd("90.00"), "AMZ-L7"),),
            storefront="amazon",
        ),
    )
    invoices = (
        # The invoice half of the split shipment of AMZ-200 (the cash sale is the other half).
        rc.Invoice(
            "INV-200",
            "C-9",
            d("2026-02-11"),
            lines=(line("1", "BOOK", usd("25.00"), "AMZ-L2"),),
            order_id="SO-200",
        ),
        rc.Invoice(
            "INV-201",
            "C-8",
            d("2026-02-12"),
            lines=(line("1", "LAMP", usd("45.00"), "AMZ-L5"),),
            order_id="SO-201",
        ),
    )
    cash_sale = rc.CashSale(
        "CS-200",
        "C-9",
        d("2026-02-10"),
        lines=(line("1", "PEN", usd("10.00"), "AMZ-L1"),),
        order_id="SO-200",
    )
    rma = rc.ReturnAuthorization(
        "RMA-1",
        "C-7",
        "SO-202",
        rc.ReturnAuthorizationStatus.PENDING_RECEIPT,
        lines=(line("1", "CHAIR", usd("90.00"), "AMZ-L7"),),
    )

    def refund(
        refund_id: str,
        amount: rc.Money,
        order: str,
        day: str,
        lines: tuple[rc.RefundLine, ...] = (),
    ) -> rc.RefundEvent:
        return rc.RefundEvent(
            source="amazon",
            refund_id=refund_id,
            amount=amount,
            created_at=d(day),
            status=rc.RefundStatus.SUCCEEDED,
            order_ref=order,
            lines=lines,
        )

    events: tuple[rc.SourceEvent, ...] = (
        refund(
            "amz_r1",
            usd("35.00"),
            "AMZ-200",
            "2026-03-08",
            (
                rc.RefundLine("AMZ-L1", None, usd("10.00")),
                rc.RefundLine("AMZ-L2", None, usd("25.00")),
            ),
        ),  # NSC-5 split shipment: NSC-2 cash refund + NSC-3 credit memo
        refund("amz_r2", usd("20.00"), "AMZ-201", "2026-03-09"),  # NSC-3, partial
        refund("amz_r3", usd("90.00"), "AMZ-202", "2026-03-10"),  # NSC-6: open RMA, skipped
        refund("amz_r4", usd("15.00"), "AMZ-201", "2026-03-11"),  # NSC-4: a further partial
        refund("amz_r5", usd("50.00"), "AMZ-201", "2026-03-12"),  # MNY-4: only 10.00 is left
        refund("amz_r6", rc.Money.of("10.00", "EUR"), "AMZ-201", "2026-03-13"),  # MNY-2
    )
    return orders, invoices, cash_sale, rma, events


def outgoing() -> tuple[
    tuple[rc.SalesOrder, ...],
    tuple[rc.Invoice, ...],
    tuple[rc.CreditMemo, ...],
    tuple[rc.ReturnAuthorization, ...],
]:
    d = at
    # Shopify: paid 80.00 by card and 20.00 by gift card; a 40.00 credit memo made in NetSuite.
    shopify_order = rc.SalesOrder(
        "SO-300",
        "C-10",
        SHOPIFY_ORDER,
        lines=(
            line("1", "JACKET", usd("60.00"), "11001", qty=1),
            line("2", "SCARF", usd("40.00"), "11002", qty=1),
        ),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, usd("80.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, usd("20.00")),
        ),
        storefront="shopify",
    )
    shopify_invoice = rc.Invoice(
        "INV-300",
        "C-10",
        d("2026-02-20"),
        lines=shopify_order.lines,
        order_id="SO-300",
    )
    shopify_credit = rc.CreditMemo(
        "CM-300",
        "C-10",
        "INV-300",
        usd("40.00"),
        lines=(
            rc.CreditLine(
                "SCARF",
                usd("40.00"),
                quantity=Decimal(1),
                origin_line_id="2",
                order_line_ref="11002",
            ),
        ),
        order_id="SO-300",
    )
    # Magento: paid 50.00 by card and 10.00 by gift card; a credit memo for the tee, and one
    # from a received RMA for one mug (NSC-6: RMAs are refunded in NetSuite, then synced out).
    magento_order = rc.SalesOrder(
        "SO-400",
        "C-30",
        MAGENTO_ORDER,
        lines=(
            line("1", "MUG", usd("25.00"), "MUG-01", qty=2),
            line("2", "TEE", usd("35.00"), "TEE-01", qty=1),
        ),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, usd("50.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, usd("10.00")),
        ),
        storefront="magento",
    )
    magento_invoice = rc.Invoice(
        "INV-400", "C-30", d("2026-02-25"), lines=magento_order.lines, order_id="SO-400"
    )
    magento_rma = rc.ReturnAuthorization(
        "RMA-2",
        "C-30",
        "SO-400",
        rc.ReturnAuthorizationStatus.REFUNDED,
        lines=(line("1", "MUG", usd("12.50"), "MUG-01", qty=1),),
    )
    magento_credits = (
        rc.CreditMemo(
            "CM-400",
            "C-30",
            "INV-400",
            usd("35.00"),
            lines=(
                rc.CreditLine(
                    "TEE",
                    usd("35.00"),
                    quantity=Decimal(1),
                    origin_line_id="2",
                    order_line_ref="TEE-01",
                ),
            ),
            order_id="SO-400",
        ),
        rc.CreditMemo(
            "CM-401",
            "C-30",
            "RMA-2",
            usd("12.50"),
            lines=(
                rc.CreditLine(
                    "MUG",
                    usd("12.50"),
                    quantity=Decimal(1),
                    origin_line_id="1",
                    order_line_ref="MUG-01",
                ),
            ),
            order_id="SO-400",
        ),
    )
    return (
        (shopify_order, magento_order),
        (shopify_invoice, magento_invoice),
        (shopify_credit, *magento_credits),
        (magento_rma,),
    )


def shopify_in() -> tuple[rc.SalesOrder, rc.Invoice, tuple[rc.SourceEvent, ...]]:
    """An order paid 70.00 by card and 30.00 by gift card, and a refund split the same way."""
    d = at
    order = rc.SalesOrder(
        "SO-600",
        "C-40",
        SHOPIFY_EU_ORDER,
        lines=(line("1", "COAT", usd("100.00"), "61001", qty=1),),
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, usd("70.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, usd("30.00")),
        ),
        storefront="shopify-eu",
    )
    invoice = rc.Invoice("INV-600", "C-40", d("2026-02-26"), lines=order.lines, order_id="SO-600")
    refund = rc.RefundEvent(
        source="shopify",
        refund_id="9001",
        amount=usd("45.00"),
        created_at=d("2026-03-14"),
        status=rc.RefundStatus.SUCCEEDED,
        order_ref=SHOPIFY_EU_ORDER,
        tenders=(
            rc.TenderPart(rc.TenderKind.PAYMENT_METHOD, usd("25.00")),
            rc.TenderPart(rc.TenderKind.GIFT_CARD, usd("20.00")),
        ),
    )  # NSC-8 (incoming): a credit memo of 25.00; 20.00 is store credit Shopify issued
    return order, invoice, (refund,)
