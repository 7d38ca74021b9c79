"""Counterparty credit risk: SA-CCR exposure at default per netting set.

- :mod:`engine.counterparty.saccr`: the SA-CCR calculation (pure, Polars in -> Polars out).
- :mod:`engine.counterparty.step`: the run step writing ``out_saccr`` and ``out_saccr_addons``.
"""
