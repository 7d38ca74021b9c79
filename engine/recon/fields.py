"""The fields compared between a front-office trade and a back-office settlement.

Both staged sides (``tmp_rc_fo`` and ``tmp_rc_bo``) expose these columns under the same names,
so a field's name is also its column. Each field has the ISO 20022 / MT548 matching reason code
of a break on it, a kind that decides how it is compared, and whether a missing value on one
side means "not compared" (optional) or "different" (mandatory).

This catalog is code, not configuration: generated SQL only ever names these identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str        # column name on both staged sides
    iso: str         # reason code of a break on this field
    kind: str        # text | number | money | date
    optional: bool   # NULL on either side: not compared
    label: str


#: Compared fields. The position is the bit in the hot path's difference mask.
FIELDS: tuple[Field, ...] = (
    Field("isin", "DSEC", "text", False, "security (ISIN)"),
    Field("direction", "DELN", "text", False, "direction (receive/deliver)"),
    Field("currency", "NCRR", "text", False, "settlement currency"),
    Field("quantity", "DQUA", "number", False, "quantity"),
    Field("price", "DDEA", "number", True, "deal price"),
    Field("amount", "DMON", "money", True, "settlement amount"),
    Field("settle_date", "DDAT", "date", True, "settlement date"),
    Field("trade_date", "DTRD", "date", True, "trade date"),
    Field("place_of_settlement", "DEPT", "text", True, "place of settlement"),
    Field("counterparty_id", "ICAG", "text", True, "counterparty"),
    Field("account_id", "SAFE", "text", True, "safekeeping account"),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: Bit of the hot-path mask that flags a settlement-state issue (not a field difference).
SETTLE_BIT = 1 << 15

#: Fields usable as exact keys of an economic pass (``keys = [...]``).
KEY_FIELDS = frozenset({"isin", "direction", "currency", "account_id", "counterparty_id",
                        "place_of_settlement", "settle_date", "trade_date"})

#: Default order of precedence of break classes: the first differing one is the break's type.
DEFAULT_PRECEDENCE: tuple[str, ...] = (
    "DSEC", "DELN", "NCRR", "DQUA", "DDEA", "DMON", "DTRD", "DDAT", "ICAG", "DEPT", "SAFE",
)

#: The break classes (break_type values) the engine emits.
BREAK_TYPES: tuple[str, ...] = (
    "CMIS_FO_ONLY", "CMIS_BO_ONLY", "DSEC", "DELN", "NCRR", "DQUA", "DDEA", "DMON", "DDAT",
    "DTRD", "DEPT", "ICAG", "SAFE", "PARTIAL", "FAILING", "PENDING_PAST_ISD",
    "CASH_MISSING", "CASH_UNEXPECTED", "CASH_DMON", "CASH_DDAT", "CASH_NCRR",
)
