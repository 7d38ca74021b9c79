"""The ``[market_risk]`` configuration section, parsed and validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.config import Config
from engine.errors import ConfigError

METHODS = ("HISTORICAL", "PARAMETRIC", "MONTE_CARLO")
SCALINGS = ("SQRT", "OVERLAPPING")
COVARIANCES = ("SAMPLE", "EWMA")


@dataclass(frozen=True)
class MarketRiskSettings:
    history_days: int = 500
    position_basis: str = "TRADE"
    confidences: tuple[float, ...] = (0.95, 0.975, 0.99)
    horizon_days: int = 10
    scalings: tuple[str, ...] = SCALINGS
    methods: tuple[str, ...] = METHODS
    covariance: str = "EWMA"
    ewma_lambda: float = 0.94
    mc_paths: int = 10_000
    mc_seed: int = 20240101
    mc_distributions: tuple[str, ...] = ("NORMAL", "STUDENT_T")
    mc_dof: float = 5.0
    backtest_confidence: float = 0.99
    backtest_window: int = 250
    backtest_method: str = "HISTORICAL"
    backtest_min_var_window: int = 250
    incremental_confidence: float = 0.99
    stress_windows: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    shocks: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)

    @property
    def backtest_model(self) -> str:
        if self.backtest_method == "PARAMETRIC":
            return self.covariance
        if self.backtest_method == "MONTE_CARLO":
            return self.mc_distributions[0]
        return "FULL_REVAL"

    @classmethod
    def from_config(cls, cfg: Config) -> MarketRiskSettings:
        sec = cfg.section("market_risk")
        par = _table(sec, "parametric")
        mc = _table(sec, "monte_carlo")
        bt = _table(sec, "backtest")
        s = cls(
            history_days=int(sec.get("history_days", 500)),
            position_basis=str(sec.get("position_basis", "TRADE")).upper(),
            confidences=tuple(float(c) for c in sec.get("confidences", (0.95, 0.975, 0.99))),
            horizon_days=int(sec.get("horizon_days", 10)),
            scalings=tuple(str(x).upper() for x in sec.get("scalings", SCALINGS)),
            methods=tuple(str(x).upper() for x in sec.get("methods", METHODS)),
            covariance=str(par.get("covariance", "EWMA")).upper(),
            ewma_lambda=float(par.get("ewma_lambda", 0.94)),
            mc_paths=int(mc.get("paths", 10_000)),
            mc_seed=int(mc.get("seed", 20240101)),
            mc_distributions=tuple(str(x).upper() for x in mc.get("distributions", ("NORMAL", "STUDENT_T"))),
            mc_dof=float(mc.get("student_t_dof", 5.0)),
            backtest_confidence=float(bt.get("confidence", 0.99)),
            backtest_window=int(bt.get("window", 250)),
            backtest_method=str(bt.get("method", "HISTORICAL")).upper(),
            backtest_min_var_window=int(bt.get("min_var_window", 250)),
            incremental_confidence=float(sec.get("incremental_confidence", 0.99)),
            stress_windows=tuple(sec.get("stress_windows", ()) or ()),
            shocks=tuple(sec.get("shocks", ()) or ()),
        )
        s.validate()
        return s

    def validate(self) -> None:
        def bad(msg: str) -> ConfigError:
            return ConfigError(f"[market_risk] {msg}")

        if self.history_days < 20:
            raise bad(f"history_days must be at least 20, found {self.history_days}")
        if self.horizon_days < 2:
            raise bad(f"horizon_days is the multi-day horizon and must be >= 2, found {self.horizon_days}")
        if not self.confidences or any(not 0.5 <= c < 1.0 for c in self.confidences):
            raise bad(f"confidences must be in [0.5, 1), found {self.confidences}")
        for name, values, allowed in (
            ("scalings", self.scalings, SCALINGS),
            ("methods", self.methods, METHODS),
            ("monte_carlo.distributions", self.mc_distributions, ("NORMAL", "STUDENT_T")),
        ):
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise bad(f"{name}: unknown {unknown}; allowed {list(allowed)}")
        if self.covariance not in COVARIANCES:
            raise bad(f"parametric.covariance must be one of {list(COVARIANCES)}, found {self.covariance!r}")
        if not 0.0 < self.ewma_lambda < 1.0:
            raise bad(f"parametric.ewma_lambda must be in (0, 1), found {self.ewma_lambda}")
        if self.mc_paths < 100:
            raise bad(f"monte_carlo.paths must be at least 100, found {self.mc_paths}")
        if self.mc_dof <= 2:
            raise bad(f"monte_carlo.student_t_dof must exceed 2, found {self.mc_dof}")
        if self.backtest_method not in METHODS:
            raise bad(f"backtest.method must be one of {list(METHODS)}")
        if not 0.5 <= self.backtest_confidence < 1.0:
            raise bad(f"backtest.confidence must be in [0.5, 1), found {self.backtest_confidence}")
        for w in self.stress_windows:
            if "worst_days" not in w and not ("start" in w and "end" in w):
                raise bad(f"stress window {w.get('name')!r} needs start and end dates, or worst_days")
        names = [str(w.get("name", "")) for w in self.stress_windows] + [str(s.get("name", "")) for s in self.shocks]
        if any(not n for n in names):
            raise bad("every stress window and shock needs a name")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise bad(f"stress scenario names must be unique, duplicated: {dupes}")


def _table(sec: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = sec.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[market_risk.{key}] must be a table, found {value!r}")
    return value
