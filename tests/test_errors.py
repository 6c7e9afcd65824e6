"""The exception tree of refund_core: builtin bases, machine-readable codes, rule IDs."""

from __future__ import annotations

import pytest

import refund_core as rc
from tests.builders import M


def test_an_over_refund_names_its_code_its_rule_and_the_amounts() -> None:
    """An over-refund says over_refund, cites MNY-4 and carries the amounts."""
    error = rc.OverRefundError(
        target="invoice INV-1",
        requested=M("60.00 USD"),
        ceiling=M("100.00 USD"),
        already_refunded=M("50.00 USD"),
        remaining=M("50.00 USD"),
    )
    assert error.error_code == "over_refund"
    assert error.rule_ids == ("MNY-4",)
    assert "60.00 USD" in str(error)
    assert "50.00 USD is left" in str(error).replace("only ", "")


def test_a_refund_across_currencies_is_a_currency_mismatch_under_mny_2() -> None:
    """Adding EUR to USD raises CurrencyMismatchError, code currency_mismatch, rule MNY-2."""
    with pytest.raises(rc.CurrencyMismatchError) as caught:
        _ = M("1.00 USD") + M("1.00 EUR")
    assert caught.value.error_code == "currency_mismatch"
    assert caught.value.rule_ids == ("MNY-2",)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (rc.InvalidInputError, "invalid_input"),
        (rc.FloatAmountError, "float_amount"),
        (rc.UnknownCurrencyError, "unknown_currency"),
        (rc.PrecisionError, "precision"),
        (rc.NonPositiveAmountError, "non_positive_amount"),
        (rc.InvalidRecordError, "invalid_record"),
        (rc.ConfigurationError, "configuration"),
        (rc.InternalInvariantError, "internal_invariant"),
        (rc.JournalBusyError, "journal_busy"),
    ],
)
def test_every_error_class_has_its_own_code(error: type[rc.RefundSyncError], code: str) -> None:
    """Each error class names itself with a distinct machine-readable code."""
    assert error.error_code == code
    assert error.error_code != rc.RefundSyncError.error_code
