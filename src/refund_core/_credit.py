"""The lines of a credit memo or cash refund: items, tax and shipping (STC-14..17, TAX, SHP-1).

A credit is first described as *pieces*: what each line should refund, split into net and tax.
:func:`settle_tax` then turns the pieces into the lines NetSuite will be given. A taxable piece
becomes a taxable line carrying its tax code when NetSuite's own per-line tax on the piece's net
(:func:`refund_core._tax.line_tax`) is exactly the piece's tax; otherwise (TAX-2 decision) it
becomes a non-taxable line for the net and an explicit tax line, on the configured tax item, for
the tax. Either way the total NetSuite computes for the record is what it refunds, and the plan
states the net, the tax and the tax code of every line (TAX-3).

**Decisions (ours):**

- A partial amount taken from a taxed transaction is split over the transaction's own parts, in
  proportion, by the largest-remainder method (TAX-2, MNY-3): each tax code's net, each tax
  code's tax, and the untaxed rest (untaxed lines and shipping). So a credit's tax is the
  transaction's share of tax, whatever lines carry it.
- A partial-refund or refund item (STC-15, STC-17) of a taxed transaction therefore carries one
  line per tax code, and one non-taxable line for the untaxed share; an untaxed transaction keeps
  its single line, as before.
- Refunded shipping is the record's shipping cost, or a line of the shipping refund item when
  the settings name one (SHP-1); it is never an item line of the goods.
"""

from collections.abc import Sequence
from decimal import Decimal

import attrs

from ._ledger import Billing, LedgerView
from ._models import CreditLine, TransactionLine
from ._money import Money, allocate
from ._settings import Policy, RefundSettings
from ._tax import CreditLineKind, LineTax, line_tax

__all__ = [
    "CreditChoice",
    "Piece",
    "Settled",
    "choose_credit_lines",
    "is_taxed",
    "settle_tax",
    "shipping_lines",
    "split_line",
]


@attrs.frozen
class CreditChoice:
    """The lines and shipping of one credit, and the rules that chose them."""

    lines: tuple[CreditLine, ...]
    shipping: Money
    rule_ids: tuple[str, ...]
    explanation: str


@attrs.frozen
class Piece:
    """One intended line of a credit, before its tax is settled.

    ``net`` and ``tax`` are what the line refunds; ``rate`` the tax code and rate of the billed
    line or group it refunds (its amount is not used), None for an untaxed piece.
    """

    item: str
    net: Money
    tax: Money
    rate: LineTax | None = None
    quantity: Decimal | None = None
    origin_line_id: str | None = None
    order_line_ref: str | None = None
    account: str | None = None


@attrs.frozen
class Settled:
    """Lines after :func:`settle_tax`, and what a person should know about their tax."""

    lines: tuple[CreditLine, ...]
    explicit: tuple[str, ...]  # one sentence per piece that needed an explicit tax line

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """TAX-3 whenever a line is taxed, TAX-2 when a tax line was needed."""
        taxed = any(line.tax is not None or line.kind is CreditLineKind.TAX for line in self.lines)
        rules = ("TAX-3",) if taxed else ()
        return (*rules, "TAX-2") if self.explicit else rules

    def explanation(self) -> str:
        """The sentence a plan adds about explicit tax lines, or nothing."""
        if not self.explicit:
            return ""
        return (
            "; NetSuite's per-line tax rounding cannot reach the refund with a taxable line, so "
            + "; ".join(self.explicit)
        )


def is_taxed(txn: Billing) -> bool:
    """Whether any line of a billing transaction carries tax (TAX-1)."""
    return bool(txn.tax_groups[0])


def settle_tax(pieces: Sequence[Piece], settings: RefundSettings) -> Settled | str:
    """The credit lines for ``pieces`` (see the module); a sentence if a tax item is missing."""
    lines: list[CreditLine] = []
    explicit: list[str] = []
    for piece in pieces:
        rate = piece.rate
        if rate is None:
            if not piece.net.is_zero:
                lines.append(
                    CreditLine(
                        piece.item,
                        piece.net,
                        piece.quantity,
                        piece.origin_line_id,
                        piece.order_line_ref,
                        piece.account,
                    )
                )
            continue
        computed = line_tax(piece.net, rate.rate, settings.tax_rounding)
        if computed == piece.tax:
            if not (piece.net.is_zero and piece.tax.is_zero):
                lines.append(
                    CreditLine(
                        piece.item,
                        piece.net,
                        piece.quantity,
                        piece.origin_line_id,
                        piece.order_line_ref,
                        piece.account,
                        LineTax(rate.code, rate.rate, computed),
                    )
                )
            continue
        common = {
            "item": piece.item,
            "quantity": piece.quantity,
            "origin_line_id": piece.origin_line_id,
            "order_line_ref": piece.order_line_ref,
            "account": piece.account,
        }
        if settings.tax_item is None:
            return (
                f"NetSuite's per-line tax rounding cannot reach {piece.net} + {piece.tax} tax "
                f"({rate.describe()}) with a taxable line of {piece.item}, and no tax item "
                "is set for an explicit tax line; set tax_item in the refund settings"
            )
        if not piece.net.is_zero:
            lines.append(CreditLine(amount=piece.net, **common))  # type: ignore[arg-type]
        lines.append(
            CreditLine(
                item=settings.tax_item,
                amount=piece.tax,
                origin_line_id=piece.origin_line_id,
                order_line_ref=piece.order_line_ref,
                kind=CreditLineKind.TAX,
                tax_code=rate.code,
            )
        )
        explicit.append(
            f"{piece.item} is non-taxable for {piece.net} and an explicit tax line of "
            f"{settings.tax_item} holds {piece.tax} of {rate.describe()} (NetSuite would "
            f"compute {computed})"
        )
    return Settled(tuple(lines), tuple(explicit))


def shipping_lines(amount: Money, settings: RefundSettings) -> tuple[tuple[CreditLine, ...], Money]:
    """Refunded shipping as the record carries it: a shipping refund item line or the cost (SHP-1).

    Returns the lines to add and the record's shipping cost.
    """
    zero = Money.zero(amount.currency)
    if amount.is_zero:
        return (), zero
    if settings.shipping_refund_item is None:
        return (), amount
    line = CreditLine(
        item=settings.shipping_refund_item, amount=amount, kind=CreditLineKind.SHIPPING
    )
    return (line,), zero


def split_line(
    gross: Money, line: TransactionLine, tax: Money | None = None
) -> tuple[Money, Money]:
    """(net, tax) of ``gross`` taken from a billed line: the given tax, or the line's proportion."""
    if line.tax is None:
        return gross, Money.zero(gross.currency)
    if tax is not None:
        return gross - tax, tax
    net, line_part = allocate(
        gross, [line.amount.to_minor_units(), line.tax.amount.to_minor_units()]
    )
    return net, line_part


def _proportional(
    amount: Money, txn: Billing, item: str, account: str | None, origin: TransactionLine | None
) -> list[Piece]:
    """``amount`` split in ``txn``'s proportion into one piece per tax code and an untaxed one."""
    groups, _, weights = txn.tax_groups
    shares = allocate(amount, weights)
    ref = origin.order_line_ref if origin is not None else None
    line_id = origin.line_id if origin is not None else None
    pieces = [
        Piece(item, shares[2 * i], shares[2 * i + 1], template, None, line_id, ref, account)
        for i, (template, _, _) in enumerate(groups)
    ]
    if not shares[-1].is_zero:
        zero = Money.zero(amount.currency)
        pieces.append(Piece(item, shares[-1], zero, None, None, line_id, ref, account))
    return pieces


def _settled_choice(
    pieces: Sequence[Piece],
    shipping: Money,
    *,
    settings: RefundSettings,
    rule_ids: tuple[str, ...],
    explanation: str,
    extra_lines: tuple[CreditLine, ...] = (),
) -> CreditChoice | str:
    settled = settle_tax(pieces, settings)
    if isinstance(settled, str):
        return settled
    return CreditChoice(
        lines=(*settled.lines, *extra_lines),
        shipping=shipping,
        rule_ids=tuple(dict.fromkeys((*rule_ids, *settled.rule_ids))),
        explanation=explanation + settled.explanation(),
    )


def _full_refund(txn: Billing, settings: RefundSettings, stripe: bool) -> CreditChoice | str:
    """The original lines with their tax codes, and the shipping (STC-16, NSC-1, TAX-1)."""
    pieces = [
        Piece(
            item=line.item,
            net=line.amount,
            tax=line.gross - line.amount,
            rate=line.tax,
            quantity=line.quantity,
            origin_line_id=line.line_id,
            order_line_ref=line.order_line_ref,
        )
        for line in txn.lines
    ]
    extra, shipping = shipping_lines(txn.shipping, settings)
    rules: tuple[str, ...] = ("STC-16",) if stripe else ("NSC-1",)
    if is_taxed(txn):
        rules = (*rules, "TAX-1")
    if extra:
        rules = (*rules, "SHP-1")
    return _settled_choice(
        pieces,
        shipping,
        settings=settings,
        rule_ids=rules,
        explanation=f"the original lines of {txn.describe()} (full refund)",
        extra_lines=extra,
    )


def choose_credit_lines(
    txn: Billing,
    amount: Money,
    view: LedgerView,
    settings: RefundSettings,
    policy: Policy,
) -> CreditChoice | str:
    """Lines for a credit of ``amount`` taken from ``txn`` when the refund names no lines.

    Returns the choice, or a sentence explaining why no line can be chosen (no item configured).

    - *use refund item* on: one line of the refund item (STC-17), one per tax code when taxed;
    - the whole, untouched transaction: its original lines, tax codes and shipping (STC-16,
      NSC-1, TAX-1);
    - a single-line transaction: that line's item for the amount (STC-14);
    - otherwise: one line of the partial-refund item (STC-15), one per tax code when taxed.

    A taxed transaction's partial amount is split into net and tax in its proportion (TAX-2).
    """
    stripe = policy is Policy.STRIPE_CONNECTOR
    zero = Money.zero(amount.currency)
    taxed = is_taxed(txn)
    tax_rules = ("TAX-2",) if taxed else ()
    if settings.use_refund_item and settings.refund_item is not None:
        explanation = f"one line of the refund item {settings.refund_item} (use refund item)"
        if not taxed:
            return CreditChoice(
                lines=(CreditLine(item=settings.refund_item, amount=amount),),
                shipping=zero,
                rule_ids=("STC-17",),
                explanation=explanation,
            )
        pieces = _proportional(amount, txn, settings.refund_item, None, None)
        return _settled_choice(
            pieces,
            zero,
            settings=settings,
            rule_ids=("STC-17", *tax_rules),
            explanation=explanation + " per tax code",
        )
    if amount == txn.total and not view.is_credited_at_all(txn):
        return _full_refund(txn, settings, stripe)
    if len(txn.lines) == 1:
        line = txn.lines[0]
        rules = ("STC-14",) if stripe else ("NSC-1",)
        explanation = f"the single line's item {line.item} for the refunded amount"
        if not taxed:
            return CreditChoice(
                lines=(
                    CreditLine(
                        item=line.item,
                        amount=amount,
                        origin_line_id=line.line_id,
                        order_line_ref=line.order_line_ref,
                    ),
                ),
                shipping=zero,
                rule_ids=rules,
                explanation=explanation,
            )
        pieces = _proportional(amount, txn, line.item, None, line)
        return _settled_choice(
            pieces, zero, settings=settings, rule_ids=(*rules, *tax_rules), explanation=explanation
        )
    item = settings.partial_refund_item
    if item is None:
        return (
            f"a partial refund of the multi-line {txn.describe()} needs a partial refund item; "
            "set partial_refund_item in the refund settings"
        )
    # STC-15: with revenue recognition the partial-refund line posts to deferred revenue.
    account = settings.deferred_revenue_account if settings.revenue_recognition else None
    explanation = (
        f"one line of the partial refund item {item}"
        + (" on the deferred revenue account" if settings.revenue_recognition else "")
        + (" per tax code" if taxed else "")
        + f" (partial refund of a multi-line {txn.describe()})"
    )
    rules = ("STC-15",) if stripe else ("NSC-5",)
    if not taxed:
        return CreditChoice(
            lines=(CreditLine(item=item, amount=amount, account=account),),
            shipping=zero,
            rule_ids=rules,
            explanation=explanation,
        )
    pieces = _proportional(amount, txn, item, account, None)
    return _settled_choice(
        pieces, zero, settings=settings, rule_ids=(*rules, *tax_rules), explanation=explanation
    )
