"""Identifier check digits: ISIN (ISO 6166) and LEI (ISO 17442)."""

from __future__ import annotations

import re

_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")


def _alnum_to_digits(s: str) -> str:
    """Letters to numbers A=10 ... Z=35, digits unchanged."""
    return "".join(str(int(ch, 36)) for ch in s)


def isin_check_digit(body: str) -> int:
    """The check digit of an 11-character ISIN body (Luhn over the letter-expanded digits)."""
    digits = _alnum_to_digits(body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # rightmost digit of the body is doubled
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def isin_check_digit_ok(isin: str | None) -> bool:
    if not isin or not _ISIN.match(isin):
        return False
    return isin_check_digit(isin[:11]) == int(isin[11])


def lei_check_digits(body: str) -> str:
    """The two check digits of an 18-character LEI body (ISO 7064 MOD 97-10)."""
    n = int(_alnum_to_digits(body + "00"))
    return f"{98 - n % 97:02d}"


def lei_check_ok(lei: str | None) -> bool:
    if not lei or not _LEI.match(lei):
        return False
    return int(_alnum_to_digits(lei)) % 97 == 1
