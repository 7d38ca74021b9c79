"""Market risk: risk factors and scenarios, VaR and ES (historical, parametric, Monte Carlo),
Euler component VaR, incremental VaR, stress tests and VaR backtesting.

Modules:

- :mod:`engine.market_risk.factors`: price/FX histories scattered into dense level matrices,
  returns (daily and overlapping multi-day).
- :mod:`engine.market_risk.portfolio`: positions -> sensitivities (linear full revaluation,
  delta-gamma for options); scenario P&L as matrix products.
- :mod:`engine.market_risk.scenarios`: historical scenario sets, stress windows, user shocks.
- :mod:`engine.market_risk.var`: VaR/ES estimators, component and incremental VaR.
- :mod:`engine.market_risk.backtest`: Kupiec, Christoffersen, Basel traffic light.
- :mod:`engine.market_risk.stress`: stress P&L by desk and book.
- :mod:`engine.market_risk.step`: the end-of-day run step writing the ``out_var*``,
  ``out_stress`` and ``out_backtest*`` tables.

Sign conventions everywhere: P&L is profit (negative = loss); VaR and ES are losses
(positive numbers). Amounts are in the base currency.
"""
