"""Stripe's JSON objects as small vendor-shaped attrs classes, read by a tolerant converter.

Intent: the adapter reads only the fields it needs, and reads them strictly where it matters
(amounts are integers, IDs are strings) but tolerantly everywhere else: unknown keys are ignored,
because Stripe adds fields in every release. A payload that breaks a needed field becomes a
:class:`StripePayloadError` naming the object and the JSON path, never a bare ``KeyError``.

Money: Stripe sends integer amounts in the currency's *Stripe* minor unit, which is not always
ISO 4217's. :func:`stripe_exponent` is Stripe's documented rule (https://docs.stripe.com/currencies,
"Minor units in API amounts"): "Currencies are two-decimal currencies unless otherwise specified";
the zero-decimal ones are listed there, the three-decimal ones (BHD, JOD, KWD, OMR, TND) were
listed there until 2023 (web.archive.org/web/20221231002856/https://stripe.com/docs/currencies).
Where that differs from ISO 4217 (the exponent :class:`refund_core.Money` keeps):

- ISK and UGX: ISO 0, Stripe 2. Both "transitioned to a zero-decimal currency, but backwards
  compatibility requires you to represent it as a two-decimal value, where the decimal amount is
  always ``00``" (Special cases); UGX is also in the zero-decimal list, and the special case wins
  (an ISK or UGX amount of ``500`` is 5). Fractions cannot be represented: such an amount is a
  :class:`StripePayloadError`.
- MGA: ISO 2, Stripe 0 (zero-decimal list).
- UYI (ISO 0), IQD and LYD (ISO 3), CLF and UYW (ISO 4): not listed by Stripe, so two-decimal by
  its rule.
- HUF and TWD are two-decimal in both; Stripe only requires whole units for *payouts* it is asked
  to create, which this adapter never does.

:func:`stripe_money` reads, :func:`stripe_minor` writes; the stand-in uses the same pair.
"""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
import cattrs.gen

import refund_core as rc

from .._decode import DATA_ERRORS, UpstreamDataError, structure

__all__ = [
    "StripeBalanceTransaction",
    "StripeCharge",
    "StripeDispute",
    "StripeEvent",
    "StripeFeeDetail",
    "StripePayloadError",
    "StripePayout",
    "StripeRefund",
    "decode",
    "read",
    "stripe_exponent",
    "stripe_minor",
    "stripe_money",
    "stripe_time",
]

T = TypeVar("T")

#: Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal: BIF, CLP,
#: DJF, GNF, JPY, KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV, XAF, XOF, XPF) without UGX, which the
#: same page's Special cases make two-decimal in the API, like ISK.
_ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
#: Stripe's three-decimal currencies (the archived currencies page cited above).
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

#: Shifting the decimal point must never round: a local context that traps it (never the global).
_EXACT = decimal.Context(
    prec=64, traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation]
)


SERVICE = "stripe"
#: The endpoint named when an object is read away from the answer it came in (a webhook body).
SOME_OBJECT = "a Stripe object"


class StripePayloadError(UpstreamDataError):
    """A Stripe object lacks a field we need, or holds a value we cannot read; says where.

    The Stripe form of :class:`refund_adapters._decode.UpstreamDataError`: ``endpoint`` is the
    request that answered it (or ``a Stripe object`` for a webhook body), ``path`` the JSON path.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = SOME_OBJECT,
        path: str = "$",
        problems: tuple[str, ...] = (),
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            service=SERVICE,
            endpoint=endpoint,
            path=path,
            problems=problems,
            status=status,
            request_id=request_id,
        )


def stripe_exponent(currency: rc.Currency) -> int:
    """How many decimal places Stripe's integer amounts of ``currency`` carry (see above)."""
    if currency.code in _ZERO_DECIMAL:
        return 0
    if currency.code in _THREE_DECIMAL:
        return 3
    return 2


def stripe_minor(amount: rc.Money) -> int:
    """``amount`` as Stripe's integer in the currency's Stripe minor unit (``15 ISK`` -> 1500).

    Raises :class:`refund_core.PrecisionError` for an amount Stripe's unit cannot hold
    (``15.50 MGA``: Stripe counts whole ariary).
    """
    exponent = stripe_exponent(amount.currency)
    scaled = amount.amount.scaleb(exponent, context=_EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise rc.PrecisionError(
            f"{amount} has more decimal places than Stripe's {amount.currency.code} amounts "
            f"({exponent})"
        )
    return int(scaled)


def stripe_money(minor: int, currency: str, *, where: str) -> rc.Money:
    """An exact :class:`refund_core.Money` from Stripe's integer amount and lowercase currency.

    Raises :class:`StripePayloadError` naming ``where`` for an unknown currency or an amount
    that is not whole in the ISO currency (e.g. fractional ISK: ``150`` is 1.50 ISK).
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise StripePayloadError(f"{where}: amount must be an integer, got {minor!r}")
    if not isinstance(currency, str):
        raise StripePayloadError(f"{where}: currency must be a string, got {currency!r}")
    try:
        cur = rc.Currency(currency.upper())
    except rc.InvalidInputError as exc:
        raise StripePayloadError(f"{where}: unknown currency {currency!r}") from exc
    try:
        return rc.Money(Decimal(minor).scaleb(-stripe_exponent(cur), context=_EXACT), cur)
    except (decimal.DecimalException, OverflowError, ValueError) as exc:
        if isinstance(exc, rc.InvalidInputError):
            raise StripePayloadError(
                f"{where}: amount {minor} {cur.code} is not exact: {exc}"
            ) from exc
        raise StripePayloadError(f"{where}: amount {minor} {cur.code} is out of range") from exc


def stripe_time(epoch: int) -> datetime:
    """A Unix timestamp as Stripe sends it, as an aware UTC datetime.

    Raises :class:`StripePayloadError` for a time no calendar holds (a year past 9999).
    """
    try:
        return datetime.fromtimestamp(epoch, tz=UTC)
    except (OverflowError, OSError, ValueError, TypeError) as exc:
        raise StripePayloadError(f"{epoch!r} is not a Unix time") from exc


@attrs.frozen
class StripePaymentMethodDetails:
    """Only the type of the payment method (``card``, ``us_bank_account``, ...)."""

    type: str | None = None


@attrs.frozen
class StripeCharge:
    """A charge (``ch_``/``py_``): what was paid, when, and why it failed if it did."""

    id: str
    amount: int
    currency: str
    created: int
    status: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_balance_transaction: str | None = None
    payment_method_details: StripePaymentMethodDetails | None = None


@attrs.frozen
class StripeRefund:
    """A refund (``re_``/``pyr_``); ``charge`` is an ID, or the charge when expanded."""

    id: str
    amount: int
    currency: str
    created: int
    status: str | None = None
    charge: str | StripeCharge | None = None
    failure_reason: str | None = None

    @property
    def charge_id(self) -> str | None:
        """The refunded charge's ID, expanded or not."""
        return self.charge.id if isinstance(self.charge, StripeCharge) else self.charge


@attrs.frozen
class StripeEvent:
    """An event (``evt_``); ``object`` is ``data.object`` as raw JSON, read per ``type``.

    ``previous_attributes`` is ``data.previous_attributes`` of ``*.updated`` events: the changed
    fields' values before the event (None when the event has none).
    """

    id: str
    type: str
    created: int
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


@attrs.frozen
class StripePayout:
    """A payout (``po_``) to the bank."""

    id: str
    amount: int
    currency: str
    arrival_date: int
    created: int
    status: str | None = None
    reconciliation_status: str | None = None


@attrs.frozen
class StripeFeeDetail:
    """One fee of a balance transaction."""

    amount: int
    currency: str
    type: str | None = None
    description: str | None = None


@attrs.frozen
class StripeBalanceTransaction:
    """A balance transaction (``txn_``): ``amount`` is gross, ``net`` = amount - fee.

    ``source`` is the ID of what moved (charge, refund, fee ...), or the object when expanded.
    """

    id: str
    type: str
    amount: int
    fee: int
    net: int
    currency: str
    created: int
    description: str | None = None
    source: str | dict[str, Any] | None = None
    fee_details: tuple[StripeFeeDetail, ...] = ()
    reporting_category: str | None = None
    exchange_rate: Decimal | None = None

    @property
    def source_id(self) -> str | None:
        """The source's ID, expanded or not."""
        if isinstance(self.source, dict):
            value = self.source.get("id")
            return value if isinstance(value, str) else None
        return self.source


@attrs.frozen
class StripeDispute:
    """A dispute (``dp_``/``du_``) of a charge, with the balance transactions that moved it.

    ``balance_transactions`` withdrew and reinstated its funds; none while it is an inquiry.
    """

    id: str
    amount: int
    currency: str
    created: int
    status: str
    charge: str | StripeCharge | None = None
    reason: str | None = None
    balance_transactions: tuple[StripeBalanceTransaction, ...] = ()

    @property
    def charge_id(self) -> str | None:
        """The disputed charge's ID, expanded or not."""
        return self.charge.id if isinstance(self.charge, StripeCharge) else self.charge

    @property
    def funds_withdrawn(self) -> bool:
        """Whether Stripe took the disputed funds from the balance (DSP-1)."""
        return any(txn.amount < 0 for txn in self.balance_transactions)


def _id_of(value: Any, _type: object) -> str | None:
    """An expandable field we only need the ID of."""
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    if isinstance(value, str):
        return value
    raise ValueError(f"expected an ID or an object with an id, got {type(value).__name__}")


def _strict_str(value: Any, _type: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_int(value: Any, _type: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _rate(value: Any, _type: object) -> Decimal | None:
    """An exchange rate: a JSON number read as a Decimal (the client parses fractions so)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"expected an exact number, got {type(value).__name__} {value!r}")
    rate = Decimal(value)
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"expected a positive exchange rate, got {value!r}")
    return rate


def _make_converter() -> cattrs.Converter:
    # Private and tolerant of unknown keys; strict about the types of the fields we read.
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook_func(
        lambda t: t == (str | None), lambda v, t: None if v is None else _strict_str(v, t)
    )
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _raw_object)
    conv.register_structure_hook_func(lambda t: t == (Decimal | None), _rate)

    def charge_or_id(value: Any, _type: object) -> str | StripeCharge | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):
            return conv.structure(value, StripeCharge)
        raise ValueError(f"expected a charge ID or a charge, got {type(value).__name__}")

    def source_or_id(value: Any, _type: object) -> str | dict[str, Any] | None:
        if value is None or isinstance(value, str | dict):
            return value
        raise ValueError(f"expected a source ID or object, got {type(value).__name__}")

    def event(value: Any, _type: object) -> StripeEvent:
        if not isinstance(value, dict):
            raise ValueError("an event must be a JSON object")
        data = value.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise ValueError("event has no data.object")
        previous = data.get("previous_attributes") if isinstance(data, dict) else None
        if previous is not None and not isinstance(previous, dict):
            raise ValueError("event data.previous_attributes is not an object")
        return StripeEvent(
            id=_strict_str(value.get("id"), str),
            type=_strict_str(value.get("type"), str),
            created=_strict_int(value.get("created"), int),
            object=obj,
            previous_attributes=previous,
        )

    conv.register_structure_hook_func(lambda t: t == (str | StripeCharge | None), charge_or_id)
    conv.register_structure_hook_func(lambda t: t == (str | dict[str, Any] | None), source_or_id)
    conv.register_structure_hook(StripeEvent, event)
    # failure_balance_transaction is expandable too; we need its ID only.
    base_charge = cattrs.gen.make_dict_structure_fn(
        StripeCharge,
        conv,
        failure_balance_transaction=cattrs.gen.override(struct_hook=_id_of),
    )
    conv.register_structure_hook(StripeCharge, base_charge)
    return conv


def _raw_object(value: Any, _type: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


_CONVERTER = _make_converter()


def read(
    payload: Any, cls: type[T], *, where: str, endpoint: str = SOME_OBJECT, path: str = "$"
) -> T:
    """Structure one Stripe object into ``cls``; errors name ``where``, the endpoint and the path.

    ``path`` is where the object sits in the answer (``$.data[3]``), so problems are named from
    the answer's root (``$.data[3].amount``).
    """
    try:
        return _CONVERTER.structure(payload, cls)
    except cattrs.BaseValidationError as exc:
        problems = tuple(cattrs.transform_error(exc, path=path))
        first = problems[0] if problems else f"invalid {cls.__name__} @ {path}"
        message, _, at = first.rpartition(" @ ")
        raise StripePayloadError(
            f"unreadable Stripe {cls.__name__} ({where}): {message or first}",
            endpoint=endpoint,
            path=at or path,
            problems=problems,
        ) from exc
    except DATA_ERRORS as exc:
        raise StripePayloadError(
            f"{where}: unreadable Stripe {cls.__name__}: {type(exc).__name__}: {exc}",
            endpoint=endpoint,
            path=path,
        ) from exc


def decode(payload: Any, cls: type[T], *, endpoint: str, path: str = "$") -> T:
    """Structure one Stripe object through the shared decoding boundary (``_decode``).

    Errors are :class:`refund_adapters._decode.UpstreamDataError` naming the endpoint and the
    JSON path; new readers (disputes) use this rather than :func:`read`.
    """
    return structure(_CONVERTER, payload, cls, service="stripe", endpoint=endpoint, path=path)
