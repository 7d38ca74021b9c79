"""The ``[reconciliation]`` configuration section as frozen dataclasses, validated once.

Tolerance semantics (per field): a difference ``d = BO - FO`` is within tolerance when
``|d| <= abs`` or ``|d| <= rel * base``, where ``base`` is ``max`` (max(|FO|, |BO|), symmetric:
swapping the sides gives the same answer; the default), ``mean``, ``min``, ``fo`` or ``bo``.
Money is rounded to the currency's minor unit on both sides before it is compared. Dates are
within tolerance when they are at most ``bdays`` business days apart. The boundary is inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.config import Config
from engine.errors import ConfigError
from engine.recon.fields import BY_NAME, DEFAULT_PRECEDENCE, KEY_FIELDS

METHODS = ("reference", "block", "economic", "aggregate")
BASES = ("max", "mean", "min", "fo", "bo")
CASH_METHODS = ("reference", "economic", "aggregate")
CASH_KEYS = frozenset({"cash_account", "currency", "value_date"})


@dataclass(frozen=True)
class Tolerance:
    field: str
    abs: Decimal = Decimal(0)
    rel: Decimal = Decimal(0)
    base: str = "max"
    bdays: int = 0
    minor_units: Decimal = Decimal(0)   # money: tolerance in minor units of the currency

    def describe(self, kind: str = "number") -> str:
        """The tolerance in words, e.g. 'abs 0.01 or rel 0.0001 of max'."""
        if kind == "date":
            return f"{self.bdays} business day(s)"
        if kind == "text" or (self.abs == 0 and self.rel == 0 and self.minor_units == 0):
            return "exact"
        parts = []
        if self.minor_units:
            parts.append(f"{self.minor_units} minor unit(s)")
        if self.abs:
            parts.append(f"abs {self.abs}")
        if self.rel:
            parts.append(f"rel {self.rel} of {self.base}")
        return " or ".join(parts)


@dataclass(frozen=True)
class PassSpec:
    name: str
    method: str
    keys: tuple[str, ...] = ()
    date_field: str | None = None
    date_window_bdays: int = 0
    require: tuple[str, ...] = ()


@dataclass(frozen=True)
class CashSettings:
    enabled: bool = True
    passes: tuple[PassSpec, ...] = ()
    amount: Tolerance = Tolerance("amount", minor_units=Decimal(1))
    value_date: Tolerance = Tolerance("value_date", bdays=0)
    unexpected_requires_reference: bool = True


@dataclass(frozen=True)
class PenaltySettings:
    enabled: bool = True
    liquid_shares_bp: Decimal = Decimal("1.0")
    illiquid_shares_bp: Decimal = Decimal("0.5")
    sovereign_bonds_bp: Decimal = Decimal("0.10")
    other_bonds_bp: Decimal = Decimal("0.20")
    lack_of_cash_bp: Decimal = Decimal("1.10")
    cash_reason_codes: tuple[str, ...] = ("MONY", "CMON")
    our_reason_codes: tuple[str, ...] = ("LACK", "MONY")
    counterparty_reason_codes: tuple[str, ...] = ("CLAC", "CMON")


@dataclass(frozen=True)
class ReconSettings:
    scope_asset_classes: tuple[str, ...] = ("EQUITY", "GOVT_BOND", "CORP_BOND")
    ignore_settlement_statuses: tuple[str, ...] = ("CANCELLED",)
    fo_only_grace_bdays: int = 0
    max_rounds: int = 3
    suggestions_per_record: int = 3
    precedence: tuple[str, ...] = DEFAULT_PRECEDENCE
    compare: tuple[str, ...] = tuple(BY_NAME)
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    passes: tuple[PassSpec, ...] = ()
    age_buckets: tuple[int, int, int] = (1, 5, 10)
    resolution_codes: tuple[str, ...] = ()
    write_off_codes: tuple[str, ...] = ("WRITE_OFF",)
    four_eyes_manual_match: bool = True
    four_eyes_write_off: bool = True
    four_eyes_unmatch: bool = False
    calendar: str = "WEEKDAYS"
    penalties: PenaltySettings = PenaltySettings()
    cash: CashSettings = CashSettings()

    def tol(self, name: str) -> Tolerance:
        return self.tolerances.get(name, Tolerance(name))


def _dec(value: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ConfigError(f"[reconciliation] {where} must be a number, found {value!r}") from exc
    if d < 0:
        raise ConfigError(f"[reconciliation] {where} must be >= 0, found {value!r}")
    return d


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"[reconciliation] {where} must be an integer >= {minimum}, found {value!r}")
    return value


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[reconciliation] {where} must be a list of strings, found {value!r}")
    return tuple(value)


def _tolerance(name: str, raw: Any, where: str) -> Tolerance:
    if not isinstance(raw, dict):
        raise ConfigError(f"[reconciliation] {where} must be a table like {{ abs = 0.01, rel = 0 }}")
    unknown = set(raw) - {"abs", "rel", "base", "bdays", "minor_units"}
    if unknown:
        raise ConfigError(f"[reconciliation] {where}: unknown keys {sorted(unknown)}")
    base = raw.get("base", "max")
    if base not in BASES:
        raise ConfigError(f"[reconciliation] {where}.base must be one of {BASES}, found {base!r}")
    return Tolerance(
        name,
        _dec(raw.get("abs", 0), f"{where}.abs"),
        _dec(raw.get("rel", 0), f"{where}.rel"),
        base,
        _int(raw.get("bdays", 0), f"{where}.bdays"),
        _dec(raw.get("minor_units", 0), f"{where}.minor_units"),
    )


def _pass(raw: Any, i: int, methods: tuple[str, ...], keys_ok: frozenset[str], require_ok: frozenset[str],
          where: str) -> PassSpec:
    if not isinstance(raw, dict):
        raise ConfigError(f"[reconciliation] {where}[{i}] must be a table")
    name = raw.get("name", f"pass{i + 1}")
    method = raw.get("method")
    if method not in methods:
        raise ConfigError(f"[reconciliation] {where} '{name}': method must be one of {methods}, found {method!r}")
    keys = _strs(raw.get("keys", []), f"{where} '{name}'.keys")
    bad = [k for k in keys if k not in keys_ok]
    if bad:
        raise ConfigError(f"[reconciliation] {where} '{name}': unknown key field(s) {bad}; use {sorted(keys_ok)}")
    require = _strs(raw.get("require", []), f"{where} '{name}'.require")
    bad = [k for k in require if k not in require_ok]
    if bad:
        raise ConfigError(f"[reconciliation] {where} '{name}': require must name {sorted(require_ok)}, found {bad}")
    date_field = raw.get("date_field")
    if date_field is not None and date_field not in ("settle_date", "trade_date", "value_date"):
        raise ConfigError(f"[reconciliation] {where} '{name}': date_field must be settle_date or trade_date")
    if date_field is not None and date_field in keys:
        raise ConfigError(f"[reconciliation] {where} '{name}': {date_field} is both a key and the date_field")
    if method in ("economic", "aggregate") and not keys:
        raise ConfigError(f"[reconciliation] {where} '{name}': an {method} pass needs keys")
    return PassSpec(name, method, keys, date_field, _int(raw.get("date_window_bdays", 0), f"{where} '{name}'.date_window_bdays"), require)


def load_settings(cfg: Config) -> ReconSettings:
    """Parse and validate ``[reconciliation]``; raises ConfigError naming the bad key."""
    sec = cfg.section("reconciliation")
    tol_raw = sec.get("tolerances", {})
    if not isinstance(tol_raw, dict):
        raise ConfigError("[reconciliation.tolerances] must be a table")
    tols: dict[str, Tolerance] = {}
    for name, raw in tol_raw.items():
        if name not in BY_NAME:
            raise ConfigError(f"[reconciliation.tolerances] unknown field {name!r}; fields: {sorted(BY_NAME)}")
        tols[name] = _tolerance(name, raw, f"tolerances.{name}")
    passes_raw = sec.get("passes", [])
    if not isinstance(passes_raw, list):
        raise ConfigError("[[reconciliation.passes]] must be an array of tables")
    passes = tuple(
        _pass(p, i, METHODS, KEY_FIELDS, frozenset({"quantity", "amount", "price"}), "passes")
        for i, p in enumerate(passes_raw)
    )
    names = [p.name for p in passes]
    if len(set(names)) != len(names):
        raise ConfigError(f"[[reconciliation.passes]] names must be unique, found {names}")
    precedence = _strs(sec.get("precedence", list(DEFAULT_PRECEDENCE)), "precedence")
    missing = set(DEFAULT_PRECEDENCE) - set(precedence)
    if missing:
        raise ConfigError(f"[reconciliation] precedence must list every class; missing {sorted(missing)}")
    compare = _strs(sec.get("compare", list(BY_NAME)), "compare")
    bad = [c for c in compare if c not in BY_NAME]
    if bad:
        raise ConfigError(f"[reconciliation] compare: unknown field(s) {bad}; fields: {sorted(BY_NAME)}")
    buckets = sec.get("age_buckets", [1, 5, 10])
    if (not isinstance(buckets, list) or len(buckets) != 3 or not all(isinstance(b, int) for b in buckets)
            or not buckets[0] < buckets[1] < buckets[2]):
        raise ConfigError(f"[reconciliation] age_buckets must be three increasing integers, found {buckets!r}")
    fe = sec.get("four_eyes", {})
    pen_raw = sec.get("penalties", {})
    pen = PenaltySettings(
        enabled=bool(pen_raw.get("enabled", True)),
        liquid_shares_bp=_dec(pen_raw.get("liquid_shares_bp", "1.0"), "penalties.liquid_shares_bp"),
        illiquid_shares_bp=_dec(pen_raw.get("illiquid_shares_bp", "0.5"), "penalties.illiquid_shares_bp"),
        sovereign_bonds_bp=_dec(pen_raw.get("sovereign_bonds_bp", "0.10"), "penalties.sovereign_bonds_bp"),
        other_bonds_bp=_dec(pen_raw.get("other_bonds_bp", "0.20"), "penalties.other_bonds_bp"),
        lack_of_cash_bp=_dec(pen_raw.get("lack_of_cash_bp", "1.10"), "penalties.lack_of_cash_bp"),
        cash_reason_codes=_strs(pen_raw.get("cash_reason_codes", ["MONY", "CMON"]), "penalties.cash_reason_codes"),
        our_reason_codes=_strs(pen_raw.get("our_reason_codes", ["LACK", "MONY"]), "penalties.our_reason_codes"),
        counterparty_reason_codes=_strs(pen_raw.get("counterparty_reason_codes", ["CLAC", "CMON"]),
                                        "penalties.counterparty_reason_codes"),
    )
    cash_raw = sec.get("cash", {})
    cash_passes = tuple(
        _pass(p, i, CASH_METHODS, CASH_KEYS, frozenset({"amount"}), "cash.passes")
        for i, p in enumerate(cash_raw.get("passes", []))
    )
    cash_tol = cash_raw.get("tolerances", {})
    cash = CashSettings(
        enabled=bool(cash_raw.get("enabled", True)),
        passes=cash_passes,
        amount=_tolerance("amount", cash_tol.get("amount", {"minor_units": 1}), "cash.tolerances.amount"),
        value_date=_tolerance("value_date", cash_tol.get("value_date", {"bdays": 0}), "cash.tolerances.value_date"),
        unexpected_requires_reference=bool(cash_raw.get("unexpected_requires_reference", True)),
    )
    codes = _strs(sec.get("resolution_codes", ["FIXED_AT_SOURCE", "TIMING", "DUPLICATE", "ACCEPTED_DIFFERENCE",
                                                "CANCELLED", "WRITE_OFF", "OTHER"]), "resolution_codes")
    return ReconSettings(
        scope_asset_classes=_strs(sec.get("scope_asset_classes", ["EQUITY", "GOVT_BOND", "CORP_BOND"]), "scope_asset_classes"),
        ignore_settlement_statuses=_strs(sec.get("ignore_settlement_statuses", ["CANCELLED"]), "ignore_settlement_statuses"),
        fo_only_grace_bdays=_int(sec.get("fo_only_grace_bdays", 0), "fo_only_grace_bdays"),
        max_rounds=_int(sec.get("max_rounds", 3), "max_rounds", 1),
        suggestions_per_record=_int(sec.get("suggestions_per_record", 3), "suggestions_per_record", 0),
        precedence=precedence,
        compare=compare,
        tolerances=tols,
        passes=passes,
        age_buckets=(buckets[0], buckets[1], buckets[2]),
        resolution_codes=codes,
        write_off_codes=_strs(sec.get("write_off_codes", ["WRITE_OFF"]), "write_off_codes"),
        four_eyes_manual_match=bool(fe.get("manual_match", True)),
        four_eyes_write_off=bool(fe.get("write_off", True)),
        four_eyes_unmatch=bool(fe.get("unmatch", False)),
        calendar=str(cfg.get("calendar", "WEEKDAYS")),
        penalties=pen,
        cash=cash,
    )
