"""Exceptions raised by refund_core.

Business outcomes (a refund that is skipped or cannot be represented) are *values*, see
``_outcomes``. Exceptions are only for input that is wrong: a caller passed something no
refund system should accept. Each subclasses the builtin a caller already catches::

    RefundSyncError                      (base of everything the library raises)
    +-- InvalidInputError(ValueError)    (bad input in general)
    |   +-- MoneyError
    |   |   +-- FloatAmountError(TypeError too)   a float where money was expected
    |   |   +-- UnknownCurrencyError(LookupError too)
    |   |   +-- PrecisionError           more decimals than the currency has
    |   |   +-- CurrencyMismatchError    arithmetic or a refund across currencies (MNY-2)
    |   +-- NonPositiveAmountError       a refund of zero or less (MNY-2)
    |   +-- OverRefundError              more than is still refundable (MNY-4)
    |   |   +-- OverQuantityError        more units of a line than sold and not refunded
    |   +-- InvalidRecordError           a model whose parts contradict each other
    |   +-- ConfigurationError           settings or an account that cannot run (NSC-9)
    |   +-- DocumentError                JSON that does not fit the schema, with every bad path
    +-- InternalInvariantError(RuntimeError)  a bug: the library broke one of its own laws
    +-- JournalBusyError(RuntimeError)   another run holds the journal

Each class names itself with a machine-readable ``error_code`` (``"over_refund"``) and the rules it
enforces (``rule_ids``), so a rejection set aside for a person says which rule refused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

__all__ = [
    "ConfigurationError",
    "CurrencyMismatchError",
    "DocumentError",
    "FieldProblem",
    "FloatAmountError",
    "InternalInvariantError",
    "InvalidInputError",
    "InvalidRecordError",
    "JournalBusyError",
    "MoneyError",
    "NonPositiveAmountError",
    "OverQuantityError",
    "OverRefundError",
    "PrecisionError",
    "RefundSyncError",
    "UnknownCurrencyError",
]


class RefundSyncError(Exception):
    """Base class of every exception refund-sync raises on purpose."""

    #: A machine-readable name of what went wrong, e.g. for a dead letter.
    error_code: ClassVar[str] = "refund_sync_error"
    #: The rules of the catalogue this error enforces, if any.
    rule_ids: ClassVar[tuple[str, ...]] = ()


class InvalidInputError(RefundSyncError, ValueError):
    """The caller passed input that no refund system should accept."""

    error_code = "invalid_input"


class MoneyError(InvalidInputError):
    """A monetary amount or currency is not acceptable."""

    error_code = "invalid_money"
    rule_ids = ("MNY-1",)


class FloatAmountError(MoneyError, TypeError):
    """A float was given where an exact amount was required (MNY-1)."""

    error_code = "float_amount"


class UnknownCurrencyError(MoneyError, LookupError):
    """A currency code that is not an active ISO 4217 code with a minor unit."""

    error_code = "unknown_currency"


class PrecisionError(MoneyError):
    """An amount has more decimal places than its currency allows (MNY-1)."""

    error_code = "precision"


class CurrencyMismatchError(MoneyError):
    """Two amounts, or a refund and a transaction, are in different currencies (MNY-2)."""

    error_code = "currency_mismatch"
    rule_ids = ("MNY-2",)


class NonPositiveAmountError(InvalidInputError):
    """A refund amount is zero or negative (MNY-2)."""

    error_code = "non_positive_amount"
    rule_ids = ("MNY-2",)


class InvalidRecordError(InvalidInputError):
    """A model was built from parts that contradict each other."""

    error_code = "invalid_record"


class ConfigurationError(InvalidInputError):
    """Settings or a connector account that cannot be run as given (NSC-9)."""

    error_code = "configuration"


class OverRefundError(InvalidInputError):
    """A refund asks for more than is still refundable (MNY-4).

    Carries the amounts so a caller can show them: what was asked, the ceiling (what was paid or
    billed), what was refunded before, and what is left.
    """

    error_code = "over_refund"
    rule_ids = ("MNY-4",)

    def __init__(
        self,
        *,
        target: str,
        requested: object,
        ceiling: object,
        already_refunded: object,
        remaining: object,
    ) -> None:
        self.target = target
        self.requested = requested
        self.ceiling = ceiling
        self.already_refunded = already_refunded
        self.remaining = remaining
        super().__init__(
            f"over-refund on {target}: asked to refund {requested}, but only {remaining} is "
            f"left ({ceiling} paid, {already_refunded} already refunded)"
        )


class OverQuantityError(OverRefundError):
    """A refund names more units of a line than were sold on it, less those refunded (MNY-4).

    Carries the line and the quantities: asked for, sold, already refunded and left.
    """

    error_code = "over_quantity"

    def __init__(
        self,
        *,
        target: str,
        line: str,
        requested: object,
        sold: object,
        already_refunded: object,
        remaining: object,
    ) -> None:
        self.line = line
        self.sold = sold
        InvalidInputError.__init__(
            self,
            f"over-refund of units on {target}, line {line}: asked to refund {requested} "
            f"unit(s), but only {remaining} left ({sold} sold, {already_refunded} already "
            "refunded)",
        )
        self.target = target
        self.requested = requested
        self.ceiling = sold
        self.already_refunded = already_refunded
        self.remaining = remaining


@attrs.frozen
class FieldProblem:
    """One bad field of a document: where it is (a JSON path) and what was expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DocumentError(InvalidInputError):
    """A JSON document does not match its schema; lists every bad field with its JSON path."""

    error_code = "invalid_document"

    def __init__(self, what: str, problems: Sequence[FieldProblem]) -> None:
        self.what = what
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid {what}: {len(self.problems)} problem(s)\n{lines}")


class InternalInvariantError(RefundSyncError, RuntimeError):
    """The library broke one of its own laws (e.g. conservation, MNY-3): a bug to report."""

    error_code = "internal_invariant"


class JournalBusyError(RefundSyncError, RuntimeError):
    """Another run holds the journal: two syncs of one account must not overlap."""

    error_code = "journal_busy"
