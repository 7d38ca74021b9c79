"""Identifier check digits: ISIN (ISO 6166), LEI (ISO 17442), IBAN (ISO 13616), and BIC shape.

Validators return ``False`` for anything malformed (wrong length, lower case, wrong characters);
they never raise. The ``*_check_digit(s)`` helpers compute the check characters for a body, so the
sample-world generator makes identifiers that the loader accepts.

- ISIN: 2-letter country prefix, 9 alphanumeric characters (NSIN), 1 check digit. Letters become
  two digits (A=10 ... Z=35); the check digit makes the resulting digit string pass the Luhn test.
- LEI: 18 alphanumeric characters and 2 check digits, ISO 7064 MOD 97-10: with letters converted
  (A=10 ... Z=35), the 20-character code read as an integer is 1 modulo 97.
- IBAN: country code, 2 check digits, BBAN; moving the first four characters to the end and
  converting letters, the integer is 1 modulo 97.
- BIC (ISO 9362): 4 letters (institution), 2 letters (country), 2 alphanumerics (location),
  optionally 3 alphanumerics (branch). No check digit; shape only.

Vectorised helpers (``valid_isins`` and friends) validate a polars Series by checking each
distinct value once, so a column of millions of rows with a few hundred instruments is cheap.
"""

from __future__ import annotations

import logging
import re

import polars as pl

log = logging.getLogger(__name__)

_ISIN_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_LEI_RE = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _to_digits(text: str) -> str:
    """Letters to two digits (A=10 ... Z=35), digits unchanged."""
    return "".join(str(int(ch, 36)) for ch in text)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def isin_check_digit(body: str) -> int:
    """The check digit of an 11-character ISIN body (``US037833100`` -> 5): Luhn over the
    letter-expanded digits, the rightmost digit of the body doubled."""
    if len(body) != 11 or not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{9}", body):
        raise ValueError(f"an ISIN body is 2 letters and 9 alphanumerics, got {body!r}")
    total = 0
    for i, ch in enumerate(reversed(_to_digits(body))):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def isin_check_digit_ok(s: object) -> bool:
    """True if ``s`` is a well-formed ISIN whose check digit is right."""
    if not isinstance(s, str) or not _ISIN_RE.match(s):
        return False
    return _luhn_ok(_to_digits(s))


def lei_check_digits(body: str) -> str:
    """The two check digits for the first 18 characters of an LEI (ISO 7064 MOD 97-10)."""
    if len(body) != 18 or not re.fullmatch(r"[A-Z0-9]{18}", body):
        raise ValueError(f"an LEI body is 18 alphanumerics, got {body!r}")
    return f"{98 - int(_to_digits(body) + '00') % 97:02d}"


def lei_check_ok(s: object) -> bool:
    """True if ``s`` is a well-formed LEI whose MOD 97-10 check digits are right."""
    if not isinstance(s, str) or not _LEI_RE.match(s):
        return False
    return int(_to_digits(s)) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of an IBAN with this country code and BBAN."""
    if not re.fullmatch(r"[A-Z]{2}", country) or not re.fullmatch(r"[A-Z0-9]{11,30}", bban):
        raise ValueError(f"bad IBAN parts {country!r} {bban!r}")
    return f"{98 - int(_to_digits(bban + country + '00')) % 97:02d}"


def iban_ok(s: object) -> bool:
    """True if ``s`` is a well-formed IBAN (no spaces) whose check digits are right."""
    if not isinstance(s, str) or not _IBAN_RE.match(s):
        return False
    return int(_to_digits(s[4:] + s[:4])) % 97 == 1


def bic_ok(s: object) -> bool:
    """True if ``s`` has the shape of a BIC (8 or 11 characters)."""
    return isinstance(s, str) and bool(_BIC_RE.match(s))


def _validate_series(values: pl.Series, check: object) -> pl.Series:
    """Apply a scalar validator to each distinct value once; nulls stay null."""
    uniq = values.drop_nulls().unique()
    ok = pl.Series([check(v) for v in uniq.to_list()], dtype=pl.Boolean)  # type: ignore[operator]
    lookup = pl.DataFrame({"v": uniq, "ok": ok})
    return (
        pl.DataFrame({"v": values})
        .join(lookup, on="v", how="left", maintain_order="left")
        .get_column("ok")
        .alias(values.name)
    )


def valid_isins(values: pl.Series) -> pl.Series:
    """Boolean Series: is each ISIN valid (null where the input is null)."""
    return _validate_series(values, isin_check_digit_ok)


def valid_leis(values: pl.Series) -> pl.Series:
    """Boolean Series: is each LEI valid (null where the input is null)."""
    return _validate_series(values, lei_check_ok)


def valid_bics(values: pl.Series) -> pl.Series:
    """Boolean Series: does each BIC have a valid shape (null where the input is null)."""
    return _validate_series(values, bic_ok)
