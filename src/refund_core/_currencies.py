"""ISO 4217 currency codes with their minor units: the table every ``Currency`` is checked against.

Why it exists: an amount of money is only exact if we know how many decimal places its currency
has (JPY has 0, USD 2, KWD 3, CLF 4). Refunds are split, rounded and compared in minor units, so
the exponent must come from the standard, not from a guess, a locale or a payment provider. The
table is shipped as code so that the library needs no network or data file at run time.

Where it came from: ISO 4217 "List One" (current currency & funds, including precious metals and
the special X-codes), as published by the maintenance agency, SIX, at
https://www.six-group.com/en/products-services/financial-information/data-standards.html
(``list-one.xml``). It reflects the list published on 2026-01-01, i.e. every amendment up to and
including No. 180. The recent changes it takes into account:

* No. 170 (2021-10-01): VED (926) added next to VES for Venezuela.
* No. 171-175 (2022-2023): SLE (925) replaces SLL, which is withdrawn.
* No. 174 (2023-01-01): Croatia uses EUR; HRK is withdrawn.
* No. 177 (2024-06-25): ZWG (924, Zimbabwe Gold) replaces ZWL, which is withdrawn.
* No. 176 (effective 2025-03-31): XCG (Caribbean Guilder, 532) replaces ANG for Curacao and
  Sint Maarten; the numeric code 532 passes to XCG and ANG is withdrawn.
* No. 178 (2025-02): CUC (931) moved to the historic list (withdrawn 2021-06).
* No. 179 (effective 2025-05-12): XAD (Arab Accounting Dinar, 396, 2 decimals) added.
* No. 180 (effective 2026-01-01): Bulgaria uses EUR; BGN (975) moved to the historic list.

One row per alphabetic code (the XML repeats a code once per country that uses it). The
alphabetic code, numeric code and minor unit are copied as ISO prints them; where ISO says "N.A."
(precious metals, SDR, bond-market units, XSU, XUA, XTS, XXX) the exponent is ``None``, meaning
"this code has no minor unit", which callers must not treat as 0. Names are ISO's English names.

How to update it: when SIX publishes an amendment (see its amendment newsletter), download the new
``list-one.xml``, take every ``CcyNtry`` that has a ``Ccy`` (skip "No universal currency"),
deduplicate by ``Ccy``, map ``N.A.`` to ``None``, and edit the rows below to match, keeping them
sorted by code. Set ``ISO_4217_LIST_DATE`` to the ``Pblshd`` date of that file, extend the list
above, and move any withdrawn code into the "withdrawn" test in ``tests/test_currencies.py``.
Check the minor-unit column too, not only added and removed codes: an amendment can change the
exponent of an existing code, and that changes how stored minor-unit amounts must be read.
"""

from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["CURRENCIES", "ISO_4217_LIST_DATE", "CurrencyRecord"]


class CurrencyRecord(NamedTuple):
    """One active ISO 4217 code as List One gives it."""

    code: str
    """Alphabetic code, e.g. ``"USD"``."""
    numeric: str
    """Three-digit numeric code as a string, leading zeros kept, e.g. ``"008"``."""
    exponent: int | None
    """Minor unit (number of decimal places); ``None`` where ISO 4217 says "N.A."."""
    name: str
    """English currency name as ISO lists it."""


ISO_4217_LIST_DATE: Final[str] = "2026-01-01"
"""Publication date of the SIX List One this table matches (amendment No. 180 applied)."""

_ROWS: Final[tuple[CurrencyRecord, ...]] = (
    CurrencyRecord("AED", "784", 2, "UAE Dirham"),
    CurrencyRecord("AFN", "971", 2, "Afghani"),
    CurrencyRecord("ALL", "008", 2, "Lek"),
    CurrencyRecord("AMD", "051", 2, "Armenian Dram"),
    CurrencyRecord("AOA", "973", 2, "Kwanza"),
    CurrencyRecord("ARS", "032", 2, "Argentine Peso"),
    CurrencyRecord("AUD", "036", 2, "Australian Dollar"),
    CurrencyRecord("AWG", "533", 2, "Aruban Florin"),
    CurrencyRecord("AZN", "944", 2, "Azerbaijan Manat"),
    CurrencyRecord("BAM", "977", 2, "Convertible Mark"),
    CurrencyRecord("BBD", "052", 2, "Barbados Dollar"),
    CurrencyRecord("BDT", "050", 2, "Taka"),
    CurrencyRecord("BHD", "048", 3, "Bahraini Dinar"),
    CurrencyRecord("BIF", "108", 0, "Burundi Franc"),
    CurrencyRecord("BMD", "060", 2, "Bermudian Dollar"),
    CurrencyRecord("BND", "096", 2, "Brunei Dollar"),
    CurrencyRecord("BOB", "068", 2, "Boliviano"),
    CurrencyRecord("BOV", "984", 2, "Mvdol"),
    CurrencyRecord("BRL", "986", 2, "Brazilian Real"),
    CurrencyRecord("BSD", "044", 2, "Bahamian Dollar"),
    CurrencyRecord("BTN", "064", 2, "Ngultrum"),
    CurrencyRecord("BWP", "072", 2, "Pula"),
    CurrencyRecord("BYN", "933", 2, "Belarusian Ruble"),
    CurrencyRecord("BZD", "084", 2, "Belize Dollar"),
    CurrencyRecord("CAD", "124", 2, "Canadian Dollar"),
    CurrencyRecord("CDF", "976", 2, "Congolese Franc"),
    CurrencyRecord("CHE", "947", 2, "WIR Euro"),
    CurrencyRecord("CHF", "756", 2, "Swiss Franc"),
    CurrencyRecord("CHW", "948", 2, "WIR Franc"),
    CurrencyRecord("CLF", "990", 4, "Unidad de Fomento"),
    CurrencyRecord("CLP", "152", 0, "Chilean Peso"),
    CurrencyRecord("CNY", "156", 2, "Yuan Renminbi"),
    CurrencyRecord("COP", "170", 2, "Colombian Peso"),
    CurrencyRecord("COU", "970", 2, "Unidad de Valor Real"),
    CurrencyRecord("CRC", "188", 2, "Costa Rican Colon"),
    CurrencyRecord("CUP", "192", 2, "Cuban Peso"),
    CurrencyRecord("CVE", "132", 2, "Cabo Verde Escudo"),
    CurrencyRecord("CZK", "203", 2, "Czech Koruna"),
    CurrencyRecord("DJF", "262", 0, "Djibouti Franc"),
    CurrencyRecord("DKK", "208", 2, "Danish Krone"),
    CurrencyRecord("DOP", "214", 2, "Dominican Peso"),
    CurrencyRecord("DZD", "012", 2, "Algerian Dinar"),
    CurrencyRecord("EGP", "818", 2, "Egyptian Pound"),
    CurrencyRecord("ERN", "232", 2, "Nakfa"),
    CurrencyRecord("ETB", "230", 2, "Ethiopian Birr"),
    CurrencyRecord("EUR", "978", 2, "Euro"),
    CurrencyRecord("FJD", "242", 2, "Fiji Dollar"),
    CurrencyRecord("FKP", "238", 2, "Falkland Islands Pound"),
    CurrencyRecord("GBP", "826", 2, "Pound Sterling"),
    CurrencyRecord("GEL", "981", 2, "Lari"),
    CurrencyRecord("GHS", "936", 2, "Ghana Cedi"),
    CurrencyRecord("GIP", "292", 2, "Gibraltar Pound"),
    CurrencyRecord("GMD", "270", 2, "Dalasi"),
    CurrencyRecord("GNF", "324", 0, "Guinean Franc"),
    CurrencyRecord("GTQ", "320", 2, "Quetzal"),
    CurrencyRecord("GYD", "328", 2, "Guyana Dollar"),
    CurrencyRecord("HKD", "344", 2, "Hong Kong Dollar"),
    CurrencyRecord("HNL", "340", 2, "Lempira"),
    CurrencyRecord("HTG", "332", 2, "Gourde"),
    CurrencyRecord("HUF", "348", 2, "Forint"),
    CurrencyRecord("IDR", "360", 2, "Rupiah"),
    CurrencyRecord("ILS", "376", 2, "New Israeli Sheqel"),
    CurrencyRecord("INR", "356", 2, "Indian Rupee"),
    CurrencyRecord("IQD", "368", 3, "Iraqi Dinar"),
    CurrencyRecord("IRR", "364", 2, "Iranian Rial"),
    CurrencyRecord("ISK", "352", 0, "Iceland Krona"),
    CurrencyRecord("JMD", "388", 2, "Jamaican Dollar"),
    CurrencyRecord("JOD", "400", 3, "Jordanian Dinar"),
    CurrencyRecord("JPY", "392", 0, "Yen"),
    CurrencyRecord("KES", "404", 2, "Kenyan Shilling"),
    CurrencyRecord("KGS", "417", 2, "Som"),
    CurrencyRecord("KHR", "116", 2, "Riel"),
    CurrencyRecord("KMF", "174", 0, "Comorian Franc"),
    CurrencyRecord("KPW", "408", 2, "North Korean Won"),
    CurrencyRecord("KRW", "410", 0, "Won"),
    CurrencyRecord("KWD", "414", 3, "Kuwaiti Dinar"),
    CurrencyRecord("KYD", "136", 2, "Cayman Islands Dollar"),
    CurrencyRecord("KZT", "398", 2, "Tenge"),
    CurrencyRecord("LAK", "418", 2, "Lao Kip"),
    CurrencyRecord("LBP", "422", 2, "Lebanese Pound"),
    CurrencyRecord("LKR", "144", 2, "Sri Lanka Rupee"),
    CurrencyRecord("LRD", "430", 2, "Liberian Dollar"),
    CurrencyRecord("LSL", "426", 2, "Loti"),
    CurrencyRecord("LYD", "434", 3, "Libyan Dinar"),
    CurrencyRecord("MAD", "504", 2, "Moroccan Dirham"),
    CurrencyRecord("MDL", "498", 2, "Moldovan Leu"),
    CurrencyRecord("MGA", "969", 2, "Malagasy Ariary"),
    CurrencyRecord("MKD", "807", 2, "Denar"),
    CurrencyRecord("MMK", "104", 2, "Kyat"),
    CurrencyRecord("MNT", "496", 2, "Tugrik"),
    CurrencyRecord("MOP", "446", 2, "Pataca"),
    CurrencyRecord("MRU", "929", 2, "Ouguiya"),
    CurrencyRecord("MUR", "480", 2, "Mauritius Rupee"),
    CurrencyRecord("MVR", "462", 2, "Rufiyaa"),
    CurrencyRecord("MWK", "454", 2, "Malawi Kwacha"),
    CurrencyRecord("MXN", "484", 2, "Mexican Peso"),
    CurrencyRecord("MXV", "979", 2, "Mexican Unidad de Inversion (UDI)"),
    CurrencyRecord("MYR", "458", 2, "Malaysian Ringgit"),
    CurrencyRecord("MZN", "943", 2, "Mozambique Metical"),
    CurrencyRecord("NAD", "516", 2, "Namibia Dollar"),
    CurrencyRecord("NGN", "566", 2, "Naira"),
    CurrencyRecord("NIO", "558", 2, "Cordoba Oro"),
    CurrencyRecord("NOK", "578", 2, "Norwegian Krone"),
    CurrencyRecord("NPR", "524", 2, "Nepalese Rupee"),
    CurrencyRecord("NZD", "554", 2, "New Zealand Dollar"),
    CurrencyRecord("OMR", "512", 3, "Rial Omani"),
    CurrencyRecord("PAB", "590", 2, "Balboa"),
    CurrencyRecord("PEN", "604", 2, "Sol"),
    CurrencyRecord("PGK", "598", 2, "Kina"),
    CurrencyRecord("PHP", "608", 2, "Philippine Peso"),
    CurrencyRecord("PKR", "586", 2, "Pakistan Rupee"),
    CurrencyRecord("PLN", "985", 2, "Zloty"),
    CurrencyRecord("PYG", "600", 0, "Guarani"),
    CurrencyRecord("QAR", "634", 2, "Qatari Rial"),
    CurrencyRecord("RON", "946", 2, "Romanian Leu"),
    CurrencyRecord("RSD", "941", 2, "Serbian Dinar"),
    CurrencyRecord("RUB", "643", 2, "Russian Ruble"),
    CurrencyRecord("RWF", "646", 0, "Rwanda Franc"),
    CurrencyRecord("SAR", "682", 2, "Saudi Riyal"),
    CurrencyRecord("SBD", "090", 2, "Solomon Islands Dollar"),
    CurrencyRecord("SCR", "690", 2, "Seychelles Rupee"),
    CurrencyRecord("SDG", "938", 2, "Sudanese Pound"),
    CurrencyRecord("SEK", "752", 2, "Swedish Krona"),
    CurrencyRecord("SGD", "702", 2, "Singapore Dollar"),
    CurrencyRecord("SHP", "654", 2, "Saint Helena Pound"),
    CurrencyRecord("SLE", "925", 2, "Leone"),
    CurrencyRecord("SOS", "706", 2, "Somali Shilling"),
    CurrencyRecord("SRD", "968", 2, "Surinam Dollar"),
    CurrencyRecord("SSP", "728", 2, "South Sudanese Pound"),
    CurrencyRecord("STN", "930", 2, "Dobra"),
    CurrencyRecord("SVC", "222", 2, "El Salvador Colon"),
    CurrencyRecord("SYP", "760", 2, "Syrian Pound"),
    CurrencyRecord("SZL", "748", 2, "Lilangeni"),
    CurrencyRecord("THB", "764", 2, "Baht"),
    CurrencyRecord("TJS", "972", 2, "Somoni"),
    CurrencyRecord("TMT", "934", 2, "Turkmenistan New Manat"),
    CurrencyRecord("TND", "788", 3, "Tunisian Dinar"),
    CurrencyRecord("TOP", "776", 2, "Pa\u2019anga"),
    CurrencyRecord("TRY", "949", 2, "Turkish Lira"),
    CurrencyRecord("TTD", "780", 2, "Trinidad and Tobago Dollar"),
    CurrencyRecord("TWD", "901", 2, "New Taiwan Dollar"),
    CurrencyRecord("TZS", "834", 2, "Tanzanian Shilling"),
    CurrencyRecord("UAH", "980", 2, "Hryvnia"),
    CurrencyRecord("UGX", "800", 0, "Uganda Shilling"),
    CurrencyRecord("USD", "840", 2, "US Dollar"),
    CurrencyRecord("USN", "997", 2, "US Dollar (Next day)"),
    CurrencyRecord("UYI", "940", 0, "Uruguay Peso en Unidades Indexadas (UI)"),
    CurrencyRecord("UYU", "858", 2, "Peso Uruguayo"),
    CurrencyRecord("UYW", "927", 4, "Unidad Previsional"),
    CurrencyRecord("UZS", "860", 2, "Uzbekistan Sum"),
    CurrencyRecord("VED", "926", 2, "Bolívar Soberano"),
    CurrencyRecord("VES", "928", 2, "Bolívar Soberano"),
    CurrencyRecord("VND", "704", 0, "Dong"),
    CurrencyRecord("VUV", "548", 0, "Vatu"),
    CurrencyRecord("WST", "882", 2, "Tala"),
    CurrencyRecord("XAD", "396", 2, "Arab Accounting Dinar"),
    CurrencyRecord("XAF", "950", 0, "CFA Franc BEAC"),
    CurrencyRecord("XAG", "961", None, "Silver"),
    CurrencyRecord("XAU", "959", None, "Gold"),
    CurrencyRecord("XBA", "955", None, "Bond Markets Unit European Composite Unit (EURCO)"),
    CurrencyRecord("XBB", "956", None, "Bond Markets Unit European Monetary Unit (E.M.U.-6)"),
    CurrencyRecord("XBC", "957", None, "Bond Markets Unit European Unit of Account 9 (E.U.A.-9)"),
    CurrencyRecord("XBD", "958", None, "Bond Markets Unit European Unit of Account 17 (E.U.A.-17)"),
    CurrencyRecord("XCD", "951", 2, "East Caribbean Dollar"),
    CurrencyRecord("XCG", "532", 2, "Caribbean Guilder"),
    CurrencyRecord("XDR", "960", None, "SDR (Special Drawing Right)"),
    CurrencyRecord("XOF", "952", 0, "CFA Franc BCEAO"),
    CurrencyRecord("XPD", "964", None, "Palladium"),
    CurrencyRecord("XPF", "953", 0, "CFP Franc"),
    CurrencyRecord("XPT", "962", None, "Platinum"),
    CurrencyRecord("XSU", "994", None, "Sucre"),
    CurrencyRecord("XTS", "963", None, "Codes specifically reserved for testing purposes"),
    CurrencyRecord("XUA", "965", None, "ADB Unit of Account"),
    CurrencyRecord(
        "XXX", "999", None, "The codes assigned for transactions where no currency is involved"
    ),
    CurrencyRecord("YER", "886", 2, "Yemeni Rial"),
    CurrencyRecord("ZAR", "710", 2, "Rand"),
    CurrencyRecord("ZMW", "967", 2, "Zambian Kwacha"),
    CurrencyRecord("ZWG", "924", 2, "Zimbabwe Gold"),
)

CURRENCIES: Final[MappingProxyType[str, CurrencyRecord]] = MappingProxyType(
    {row.code: row for row in _ROWS}
)
"""Every active ISO 4217 code, keyed by alphabetic code, in code order; read-only."""
