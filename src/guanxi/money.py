"""Money: integer minor units with an ISO 4217 currency code."""

from __future__ import annotations

# Active ISO 4217 codes.
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF
XPF YER ZAR ZMW ZWL
""".split())

# Currencies without minor units (amounts are whole units).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

MAX_MINOR = 10**15  # far above any order; keeps sums inside 64-bit integers


def is_currency(code: str) -> bool:
    return code in CURRENCIES


def exponent(code: str) -> int:
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def to_minor(amount: str, code: str) -> int:
    """Parse a decimal amount text ("29.33") into minor units without float rounding."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(amount.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not an amount") from None
    scaled = value.scaleb(exponent(code))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount!r} has more decimals than {code} allows")
    return int(scaled)
