"""Tests for the ISO 4217 table in ``refund_core._currencies``."""

import re

import pytest

from refund_core._currencies import _ROWS, CURRENCIES, ISO_4217_LIST_DATE, CurrencyRecord

ZERO_DECIMAL = ("JPY", "KRW", "VND", "CLP", "ISK", "XOF", "XAF", "XPF", "UGX", "PYG")
THREE_DECIMAL = ("KWD", "BHD", "JOD", "OMR", "TND", "LYD", "IQD")
FOUR_DECIMAL = ("CLF", "UYW")
TWO_DECIMAL = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "INR", "BRL", "MXN")
NO_MINOR_UNIT = ("XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XTS")
WITHDRAWN = (
    "HRK",  # Croatia -> EUR, 2023 (amendment 174)
    "ZWL",  # replaced by ZWG, 2024 (amendment 177)
    "ANG",  # replaced by XCG, 2025 (amendment 176)
    "CUC",  # moved to the historic list, 2025 (amendment 178)
    "BGN",  # Bulgaria -> EUR, 2026 (amendment 180)
    "SLL",  # redenominated to SLE, withdrawn end of 2023 (amendment 175)
    "BYR",
    "VEF",
    "MRO",
    "STD",
    "LTL",
    "LVL",
    "EEK",
)


@pytest.mark.parametrize("code", ZERO_DECIMAL)
def test_zero_decimal_currencies(code: str) -> None:
    """Currencies without a minor unit in use have exponent 0."""
    assert CURRENCIES[code].exponent == 0


@pytest.mark.parametrize("code", THREE_DECIMAL)
def test_three_decimal_currencies(code: str) -> None:
    """The dinar/rial currencies divided into 1000 have exponent 3."""
    assert CURRENCIES[code].exponent == 3


@pytest.mark.parametrize("code", FOUR_DECIMAL)
def test_four_decimal_units(code: str) -> None:
    """The Chilean and Uruguayan indexed units CLF and UYW have exponent 4."""
    assert CURRENCIES[code].exponent == 4


@pytest.mark.parametrize("code", TWO_DECIMAL)
def test_common_two_decimal_currencies(code: str) -> None:
    """Common currencies divided into cents have exponent 2."""
    assert CURRENCIES[code].exponent == 2


@pytest.mark.parametrize("code", [*NO_MINOR_UNIT, "XXX"])
def test_metals_and_special_codes_have_no_exponent(code: str) -> None:
    """Codes whose minor unit ISO gives as N.A. are listed with exponent None."""
    assert code in CURRENCIES
    assert CURRENCIES[code].exponent is None


def test_only_na_codes_lack_an_exponent() -> None:
    """Exactly the N.A. codes (metals, SDR, bond units, XSU, XUA, XTS, XXX) have no exponent."""
    missing = {code for code, record in CURRENCIES.items() if record.exponent is None}
    assert missing == {*NO_MINOR_UNIT, "XXX"}


@pytest.mark.parametrize("code", WITHDRAWN)
def test_withdrawn_codes_are_absent(code: str) -> None:
    """Codes ISO has moved to the historic list are not in the table."""
    assert code not in CURRENCIES


@pytest.mark.parametrize(
    ("code", "numeric", "exponent"),
    [
        ("XCG", "532", 2),  # Caribbean Guilder, amendment 176, took over ANG's numeric code
        ("ZWG", "924", 2),  # Zimbabwe Gold, amendment 177
        ("SLE", "925", 2),  # new leone, amendments 171-175
        ("VED", "926", 2),  # Bolivar digital, amendment 170
        ("VES", "928", 2),
        ("XAD", "396", 2),  # Arab Accounting Dinar, amendment 179
        ("XUA", "965", None),
        ("XSU", "994", None),
    ],
)
def test_recent_amendments(code: str, numeric: str, exponent: int | None) -> None:
    """Codes added by recent amendments carry ISO's numeric code and minor unit."""
    record = CURRENCIES[code]
    assert (record.numeric, record.exponent) == (numeric, exponent)


def test_leading_zeros_of_numeric_codes_are_kept() -> None:
    """Numeric codes are three-character strings, so Albania's lek stays "008"."""
    assert CURRENCIES["ALL"].numeric == "008"


def test_every_code_is_three_uppercase_ascii_letters() -> None:
    """Every alphabetic code is exactly three ASCII capitals."""
    for code in CURRENCIES:
        assert re.fullmatch(r"[A-Z]{3}", code), code


def test_every_numeric_is_three_digits() -> None:
    """Every numeric code is exactly three ASCII digits."""
    for record in CURRENCIES.values():
        assert re.fullmatch(r"[0-9]{3}", record.numeric), record


def test_numeric_codes_are_unique() -> None:
    """No two active codes share a numeric code."""
    numerics = [record.numeric for record in CURRENCIES.values()]
    assert len(numerics) == len(set(numerics))


def test_keys_equal_record_codes() -> None:
    """Each key is the alphabetic code of the record it maps to."""
    for code, record in CURRENCIES.items():
        assert isinstance(record, CurrencyRecord)
        assert code == record.code


def test_rows_are_unique_and_all_present() -> None:
    """No source row is silently dropped by a duplicate code."""
    assert len(CURRENCIES) == len(_ROWS)


def test_keys_are_sorted() -> None:
    """The mapping iterates in alphabetical code order."""
    assert list(CURRENCIES) == sorted(CURRENCIES)


def test_exponents_are_in_the_allowed_set() -> None:
    """Every exponent is None, 0, 2, 3 or 4, the only minor units ISO uses today."""
    for record in CURRENCIES.values():
        assert record.exponent in {None, 0, 2, 3, 4}, record


def test_names_are_non_empty_and_trimmed() -> None:
    """Every record has an English name without stray whitespace."""
    for record in CURRENCIES.values():
        assert record.name
        assert record.name == record.name.strip(), record


def test_mapping_is_read_only() -> None:
    """Assigning to the mapping raises TypeError."""
    with pytest.raises(TypeError):
        CURRENCIES["ZZZ"] = CurrencyRecord("ZZZ", "000", 2, "Test")  # type: ignore[index]


def test_mapping_rejects_deletion() -> None:
    """Deleting from the mapping raises TypeError."""
    with pytest.raises(TypeError):
        del CURRENCIES["USD"]  # type: ignore[attr-defined]


def test_list_date_is_an_iso_date() -> None:
    """The table's publication date is an ISO 8601 calendar date."""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ISO_4217_LIST_DATE)
