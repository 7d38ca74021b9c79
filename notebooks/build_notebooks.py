"""Write the notebooks of this folder from their source below (outputs stripped).

The notebooks are generated, not edited by hand, so that git only ever holds their code and
text: edit a cell here, then run ``python notebooks/build_notebooks.py`` (``--check`` fails if a
committed notebook differs from what this script writes). ``tests/test_notebooks.py`` executes
every notebook against a generated sample world and checks that none carries outputs.

Each notebook opens the store named by the usual configuration (``MIDOFFICE_CONFIG`` or the
``MIDOFFICE_STORE__*`` variables; by default the store ``midoffice demo`` writes under ``data/``)
through the Python API, :mod:`engine.api`. Charts use altair (a core dependency).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import altair as alt
import polars as pl

from engine.api import open_store

alt.data_transformers.disable_max_rows()
# floats=True: exact decimals become floats, which is what analytics and charts want
mo = open_store(floats=True)
as_of = mo.latest()
print(mo, "as of", as_of)"""


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip("\n"))


# ---------------------------------------------------------------------------------------------
# 01: a tour of the platform
# ---------------------------------------------------------------------------------------------

TOUR = [
    md("""
# A tour of midoffice

midoffice loads what the front office traded and what the back office and custodians say
happened, runs an end of day per business date, and keeps every result in one DuckDB store.
This notebook walks through that store with the Python API, `engine.api`: every result is a
Polars DataFrame (pandas on request), every number can be traced back to the rows and the
files it came from.

Run `midoffice demo` first (or point `MIDOFFICE_CONFIG` at your own configuration).
"""),
    code(SETUP),
    md("""
## What is in the store

Tables come in layers: reference data (`ref_`), front office (`fo_`), back office (`bo_`),
market data (`mkt_`), operations (`ops_`: loads, quarantine, runs) and results (`out_`).
"""),
    code("""
tables = mo.tables().filter(pl.col("rows") > 0)
tables.with_columns(layer=pl.col("table").str.extract(r"^([a-z]+)_")).group_by("layer").agg(
    tables=pl.len(), rows=pl.col("rows").sum()
).sort("layer")"""),
    code("""
mo.runs(limit=5)"""),
    md("""
## Loads and quarantine

Every file is one load batch; for every batch, rows read = rows loaded + rows quarantined.
A rejected record is never dropped: it waits in `ops_quarantine` with its file, line and reason.
"""),
    code("""
loads = mo.table("ops_load_batches", columns=["feed", "file_name", "rows_read", "rows_loaded", "rows_quarantined"])
assert (loads["rows_read"] == loads["rows_loaded"] + loads["rows_quarantined"]).all()
loads.group_by("feed").agg(pl.len().alias("files"), pl.col("rows_read", "rows_loaded", "rows_quarantined").sum()).sort("feed")"""),
    code("""
mo.sql(\"\"\"
    SELECT feed, rule, count(*) AS records, any_value(reason) AS example
    FROM ops_quarantine GROUP BY ALL ORDER BY records DESC LIMIT 10
\"\"\")"""),
    md("""
## Positions and their trades

`mo.positions()` reads the latest run by default; `as_of=`, `start=`/`end=` and any column as a
keyword (`desk=`, `book=`, `currency=[...]`) filter it.
"""),
    code("""
pos = mo.positions(basis="TRADE")
by_desk = pos.group_by("desk", "asset_class").agg(
    gross=pl.col("market_value_base").abs().sum(), net=pl.col("market_value_base").sum(), positions=pl.len()
)
alt.Chart(by_desk).mark_bar().encode(
    x=alt.X("gross:Q", title="gross market value (base)"),
    y=alt.Y("desk:N", sort="-x"),
    color="asset_class:N",
    tooltip=["desk", "asset_class", "positions", alt.Tooltip("gross:Q", format=",.0f")],
).properties(title=f"Gross positions by desk and asset class, {as_of}")"""),
    md("""
Lineage: the largest position, and the live trade versions behind it with the file and line
each was loaded from.
"""),
    code("""
top = pos.sort(pl.col("market_value_base").abs(), descending=True).row(0, named=True)
print(top["book_id"], top["instrument_id"], top["quantity"], top["market_value_base"])
trades = mo.position_trades(top["book_id"], top["instrument_id"], as_of)
assert abs(trades["signed_quantity"].sum() - top["quantity"]) < 1e-6  # the trades add up to the position
trades.select("trade_id", "version", "side", "quantity", "price", "trade_date", "file_path", "src_line").head(10)"""),
    md("""
## Exposures, limits, P&L, risk
"""),
    code("""
mo.exposures(grouping="desk", columns=["desk", "positions", "gross_base", "net_base", "long_base", "short_base", "share_pct"])"""),
    code("""
util = mo.limit_utilisation(status=["WARNING", "BREACH"])
print(f"{util.height} limits in warning or breach on {as_of}")
util.sort("utilisation_pct", descending=True, nulls_last=True).select(
    "limit_id", "measure", "point_key", "measure_value", "limit_value_base", "utilisation_pct", "status"
).head(10)"""),
    code("""
mo.limit_incidents().select("incident_id", "limit_id", "measure", "point_key", "first_date", "days_in_breach", "peak_utilisation_pct")"""),
    code("""
pnl = mo.pnl()
pnl.group_by("desk").agg(pl.col("realised_local", "unrealised_local", "fees_local", "carry_local", "total_base").sum()).sort("desk")"""),
    code("""
firm = mo.var(level="FIRM", horizon_days=1)
firm.pivot(on="confidence", index=["method", "model"], values="var", sort_columns=True).sort("method", "model")"""),
    code("""
mo.saccr(columns=["netting_set_id", "counterparty_id", "margined", "n_trades", "replacement_cost", "pfe", "ead"]).sort(
    "ead", descending=True
).head(10)"""),
    md("""
## Breaks

Reconciliation breaks come with their workflow state (`mo.breaks`), their audit trail
(`mo.break_history`) and their lineage (`mo.break_lineage`): the trade versions, settlement
records and cash entries behind a break, with file and line.
"""),
    code("""
breaks = mo.breaks()
print(f"{breaks.height} breaks on the latest run")
breaks.group_by("break_type").agg(pl.len().alias("breaks")).sort("breaks", descending=True)"""),
    code("""
example = breaks.filter(pl.col("trade_id").is_not_null() & pl.col("settlement_id").is_not_null()).row(0, named=True)
print(example["break_id"], example["break_type"], example.get("detail"))
mo.break_lineage(example["break_id"]).select(
    "side", "record_id", "version", "is_current", "status", "quantity", "amount", "file_name", "src_line"
)"""),
    md("""
A break that a later run matched is resolved automatically, with an audit event by `system`:
"""),
    code("""
resolved = mo.breaks(status="RESOLVED")
history_of = resolved["break_id"][0] if resolved.height else example["break_id"]
mo.break_history(history_of).select("event_id", "event_type", "actor", "at", "payload", "as_of")"""),
    md("""
## Your own SQL, and pandas

`mo.sql` runs one read-only query on the published snapshot; values go in as parameters.
Every method takes `pandas=True`.
"""),
    code("""
mo.sql(
    "SELECT desk, count(*) AS positions, sum(market_value_base) AS net FROM out_positions "
    "WHERE as_of = $d AND basis = 'TRADE' GROUP BY desk ORDER BY desk",
    {"d": as_of},
)"""),
    code("""
mo.positions(desk=pos["desk"][0], pandas=True).head()"""),
    md("""
The workflows are the engine's own functions with the configuration bound, for example
`mo.recon.assign(break_id, actor="alice", assignee="bob")`, `mo.recon.resolve(...)`,
`mo.limits.acknowledge(incident_id, actor="alice")` or the pre-trade check
`mo.limits.check_trade(trade)`; `help(mo.recon.assign)` shows their documentation. (This tour
only reads: an action would be a real audit event in your workflow store.)
"""),
]

# ---------------------------------------------------------------------------------------------
# 02: exposures and concentration
# ---------------------------------------------------------------------------------------------

EXPOSURES = [
    md("""
# Exposures and concentration

Gross, net, long and short exposure by desk, asset class, currency, issuer, sector and country,
how concentrated it is (share of the largest names, Herfindahl index), the net open FX position,
counterparty exposure, and the limits that watch all of it. Exposures are computed from
trade-date positions in the base currency.
"""),
    code(SETUP),
    code("""
pos = mo.positions(basis="TRADE")
exp = mo.exposures()
print(pos.height, "positions;", "exposure groupings:", sorted(exp["grouping"].unique().to_list()))"""),
    md("""
## Long and short by desk

The engine's exposures (`mo.exposures`) are sums over positions; the same figures come out of
the positions with one Polars expression.
"""),
    code("""
desk = mo.exposures(grouping="desk").select("desk", "long_base", "short_base", "net_base", "gross_base")
mine = pos.group_by("desk").agg(
    long_base=pl.col("market_value_base").clip(lower_bound=0).sum(),
    short_base=pl.col("market_value_base").clip(upper_bound=0).sum(),
)
check = desk.join(mine, on="desk", suffix="_from_positions")
assert (check["long_base"] - check["long_base_from_positions"]).abs().max() < 0.01
long_short = desk.unpivot(index="desk", on=["long_base", "short_base"], variable_name="side", value_name="exposure")
alt.Chart(long_short).mark_bar().encode(
    x=alt.X("exposure:Q", title="exposure (base)"), y=alt.Y("desk:N"), color="side:N",
    tooltip=["desk", "side", alt.Tooltip("exposure:Q", format=",.0f")],
).properties(title=f"Long and short exposure by desk, {as_of}")"""),
    md("""
## Asset class by currency
"""),
    code("""
grid = pos.group_by("asset_class", "currency").agg(gross=pl.col("market_value_base").abs().sum())
alt.Chart(grid).mark_rect().encode(
    x="currency:N", y="asset_class:N", color=alt.Color("gross:Q", scale=alt.Scale(type="sqrt")),
    tooltip=["asset_class", "currency", alt.Tooltip("gross:Q", format=",.0f")],
).properties(title="Gross exposure by asset class and currency")"""),
    md("""
## Concentration

For a dimension, each member's share of gross exposure `s_i`; the Herfindahl-Hirschman index is
`sum(s_i^2)` in points (0 to 10,000; 10,000 = one name). The engine writes it per grouping
(`mo.concentration`); here it is recomputed for issuers and sectors from the positions.
"""),
    code("""
mo.concentration(columns=["grouping", "members", "total_gross_base", "hhi", "top_n", "top_n_share_pct", "largest_key", "largest_share_pct"])"""),
    code("""
def concentration(frame: pl.DataFrame, dim: str) -> pl.DataFrame:
    g = frame.group_by(dim).agg(gross=pl.col("market_value_base").abs().sum()).sort("gross", descending=True)
    return g.with_columns(share_pct=100 * pl.col("gross") / pl.col("gross").sum()).with_columns(
        cumulative_pct=pl.col("share_pct").cum_sum(), rank=pl.int_range(1, pl.len() + 1)
    )

for dim in ("issuer", "sector", "country"):
    c = concentration(pos, dim)
    print(f"{dim:8s} members {c.height:4d}  HHI {float((c['share_pct'] ** 2).sum()):8.1f}  top 10 {float(c['share_pct'].head(10).sum()):5.1f}%")
issuers = concentration(pos, "issuer")
alt.Chart(issuers).mark_line(point=True).encode(
    x=alt.X("rank:Q", title="issuers, largest first"), y=alt.Y("cumulative_pct:Q", title="cumulative share of gross (%)"),
    tooltip=["issuer", alt.Tooltip("share_pct:Q", format=".2f"), alt.Tooltip("cumulative_pct:Q", format=".1f")],
).properties(title="Concentration curve of issuer exposure")"""),
    code("""
alt.Chart(issuers.head(15)).mark_bar().encode(
    x=alt.X("share_pct:Q", title="share of gross (%)"), y=alt.Y("issuer:N", sort="-x"),
).properties(title="Top 15 issuers")"""),
    md("""
## Lineage of an exposure

An exposure row leads back to its positions, and a position to its trades.
"""),
    code("""
largest = mo.exposures(grouping="desk").sort("gross_base", descending=True).row(0, named=True)
members = mo.exposure_positions(largest)
print(largest["desk"], largest["gross_base"], "=", members["market_value_base"].abs().sum())
members.select("book_id", "instrument_id", "asset_class", "quantity", "price", "market_value_base").head(10)"""),
    md("""
## Net open FX position
"""),
    code("""
fx = mo.net_fx().group_by("currency").agg(pl.col("net_base").sum()).sort("net_base")
alt.Chart(fx).mark_bar().encode(
    x=alt.X("net_base:Q", title="net open position (base)"), y=alt.Y("currency:N", sort="x"),
    color=alt.condition("datum.net_base > 0", alt.value("steelblue"), alt.value("darkorange")),
).properties(title="Net open FX position by currency")"""),
    md("""
## Counterparty exposure

Replacement cost of unsettled trades, settlement risk of trades settling today and OTC
exposure, per counterparty; `mo.counterparty_exposure_trades` lists the trades behind each.
"""),
    code("""
cpty = mo.counterparty_exposures().sort("current_exposure_base", descending=True)
top = cpty.head(15).unpivot(
    index="counterparty_id", on=["replacement_cost_base", "otc_exposure_base"], variable_name="component", value_name="exposure"
)
alt.Chart(top).mark_bar().encode(
    x=alt.X("exposure:Q", stack=True, title="current exposure (base)"),
    y=alt.Y("counterparty_id:N", sort=cpty.head(15)["counterparty_id"].to_list()), color="component:N",
).properties(title="Top 15 counterparties by current exposure")"""),
    code("""
name = cpty["counterparty_id"][0]
mo.counterparty_exposure_trades(counterparty=name).group_by("kind").agg(
    trades=pl.len(), value_base=pl.col("value_base").sum(), replacement_cost_base=pl.col("replacement_cost_base").sum()
)"""),
    md("""
## Limits on exposure

Utilisation of every applicable limit (the most specific limit wins), its status and headroom.
"""),
    code("""
util = mo.limit_utilisation().filter(pl.col("status").is_in(["OK", "WARNING", "BREACH"]))
print(util.group_by("status").len().sort("status"))
top_util = util.sort("utilisation_pct", descending=True, nulls_last=True).head(20)
alt.Chart(top_util).mark_bar().encode(
    x=alt.X("utilisation_pct:Q", title="utilisation (%)"),
    y=alt.Y("point_key:N", sort="-x", title=None),
    color=alt.Color("status:N", scale=alt.Scale(domain=["OK", "WARNING", "BREACH"], range=["seagreen", "orange", "crimson"])),
    tooltip=["limit_id", "measure", "point_key", alt.Tooltip("utilisation_pct:Q", format=".1f"), "status"],
).properties(title="The 20 most utilised limits")"""),
    md("""
## Before trading: the pre-trade check

`mo.limits.check_trade` evaluates a proposed trade against the same limits, from the published
positions, and says which limits it would move to WARNING or BREACH and by how much. Here: ten
times the largest equity position, bought again.
"""),
    code("""
big = pos.filter(pl.col("asset_class") == "EQUITY").sort("market_value_base", descending=True).row(0, named=True)
trade = {"book_id": big["book_id"], "instrument_id": big["instrument_id"], "side": "BUY", "quantity": 10 * abs(big["quantity"])}
print(trade)
mo.limits.check_trade(trade, all_changes=True).select(
    "limit_id", "measure", "point_key", "value_before", "value_after", "utilisation_before", "utilisation_after", "status_after", "impact"
)"""),
]

# ---------------------------------------------------------------------------------------------
# 03: VaR models compared and backtested
# ---------------------------------------------------------------------------------------------

VAR = [
    md("""
# VaR models compared, and backtested

The end-of-day run computes value at risk and expected shortfall three ways: historical
simulation (full revaluation over the last N days' market moves), parametric delta-normal
(sample or EWMA covariance) and Monte Carlo (multivariate normal and Student-t), at 95%, 97.5%
and 99%, for the firm, each desk and each book. VaR and ES are positive losses in the base
currency; P&L is profit.

This notebook compares the models, splits the firm's VaR into desk components, and backtests
the VaR against P&L with Kupiec's and Christoffersen's tests and the Basel traffic light,
recomputed here with the engine's own functions (`engine.market_risk.backtest`).
"""),
    code(SETUP),
    code("""
var = mo.var(level="FIRM", horizon_days=1)
var.pivot(on="confidence", index=["method", "model"], values="var", sort_columns=True).sort("method", "model")"""),
    code("""
long = var.with_columns(model_label=pl.concat_str("method", pl.lit(" / "), "model")).unpivot(
    index=["model_label", "confidence"], on=["var", "es"], variable_name="measure", value_name="loss"
)
alt.Chart(long).mark_bar().encode(
    x=alt.X("model_label:N", title=None), xOffset="measure:N", y=alt.Y("loss:Q", title="loss (base)"),
    color="measure:N", column=alt.Column("confidence:O", title="confidence"),
    tooltip=["model_label", "measure", "confidence", alt.Tooltip("loss:Q", format=",.0f")],
).properties(width=180, title="Firm 1-day VaR and ES by model")"""),
    md("""
## Ten days: square root of time against overlapping returns
"""),
    code("""
ten = mo.var(level="FIRM", horizon_days=10, confidence=0.99)
one = var.filter(pl.col("confidence") == 0.99).select("method", "model", one_day="var")
ten.join(one, on=["method", "model"]).with_columns(ratio=pl.col("var") / pl.col("one_day")).select(
    "method", "model", "scaling", "one_day", "var", "ratio"
).sort("method", "model", "scaling")"""),
    md("""
## By desk, and the Euler components

A desk's standalone VaR ignores diversification; its component VaR (Euler allocation) is its
contribution to the firm's VaR, and the components add up to the firm figure.
"""),
    code("""
conf = 0.99
comp = mo.var_components(level="DESK", method="HISTORICAL", confidence=conf, horizon_days=1)
firm_hist = var.filter((pl.col("method") == "HISTORICAL") & (pl.col("confidence") == conf))["var"][0]
assert abs(comp["component_var"].sum() - firm_hist) < 1e-6 * max(1.0, firm_hist)
comp.select("key", "standalone_var", "component_var", "pct_of_var").with_columns(
    diversification=pl.col("standalone_var") - pl.col("component_var")
).sort("component_var", descending=True)"""),
    code("""
bars = comp.unpivot(index="key", on=["standalone_var", "component_var"], variable_name="figure", value_name="var")
alt.Chart(bars).mark_bar().encode(
    x=alt.X("key:N", title="desk"), xOffset="figure:N", y=alt.Y("var:Q", title="VaR (base)"), color="figure:N",
).properties(title=f"Standalone and component VaR by desk (historical, {conf:.0%}, 1 day)")"""),
    code("""
desks = mo.var(level="DESK", confidence=conf, horizon_days=1)
alt.Chart(desks.with_columns(model_label=pl.concat_str("method", pl.lit(" / "), "model"))).mark_point(size=80, filled=True).encode(
    x=alt.X("var:Q", title="VaR (base)"), y=alt.Y("key:N", title="desk"), color="model_label:N", shape="model_label:N",
).properties(title=f"Desk VaR by model ({conf:.0%}, 1 day)")"""),
    md("""
## Backtesting

`basis="CURRENT_PORTFOLIO"`: today's portfolio held over the last 250 days, each day's VaR from
the scenarios before it, against the day's hypothetical P&L. (`basis="DAILY"` compares each
run's stored VaR with the next run's P&L once there are enough run dates.)
"""),
    code("""
bt = mo.backtest(basis="CURRENT_PORTFOLIO", confidence=conf)
methods = bt["method"].unique().sort().to_list()
method = "HISTORICAL" if "HISTORICAL" in methods else methods[0]
series = bt.filter(pl.col("method") == method).sort("obs_date")
print(method, series.height, "observations,", int(series["hyp_exception"].sum()), "exceptions")
base = alt.Chart(series).encode(x=alt.X("obs_date:T", title=None))
pnl_bars = base.mark_bar(opacity=0.6).encode(
    y=alt.Y("hypothetical_pnl:Q", title="hypothetical P&L (base)"),
    color=alt.condition("datum.hyp_exception", alt.value("crimson"), alt.value("steelblue")),
)
var_line = base.transform_calculate(minus_var="-datum.var").mark_line(color="black").encode(y="minus_var:Q")
(pnl_bars + var_line).properties(width=700, title=f"{method} VaR {conf:.0%} against P&L: exceptions in red")"""),
    code("""
summary = mo.backtest_summary(basis="CURRENT_PORTFOLIO", confidence=conf)
summary.select("method", "pnl_type", "n_obs", "exceptions", "expected_exceptions", "kupiec_pvalue",
               "christoffersen_cc_pvalue", "zone", "plus_factor").sort("method")"""),
    md("""
The same statistics from the engine's functions: Kupiec's proportion of failures,
Christoffersen's independence and conditional coverage, and the Basel traffic light for the
last 250 observations.
"""),
    code("""
from engine.market_risk.backtest import christoffersen, kupiec_pof, traffic_light

exc = series["hyp_exception"].fill_null(False).to_numpy()
p = 1 - conf
kupiec = kupiec_pof(len(exc), int(exc.sum()), p)
chris = christoffersen(exc, p)
light = traffic_light(int(exc[-250:].sum()), min(250, len(exc)), p)
print(f"Kupiec LR {kupiec.lr:.4f}  p-value {kupiec.p_value:.4f}")
print(chris)
print(light)
row = summary.filter((pl.col("method") == method) & (pl.col("pnl_type") == "HYPOTHETICAL")).row(0, named=True)
assert row["exceptions"] == int(exc.sum()) and row["zone"] == light.zone"""),
    code("""
zones = summary.filter(pl.col("pnl_type") == "HYPOTHETICAL")
alt.Chart(zones).mark_bar().encode(
    x=alt.X("method:N", title=None), y=alt.Y("exceptions:Q"),
    color=alt.Color("zone:N", scale=alt.Scale(domain=["GREEN", "YELLOW", "RED"], range=["seagreen", "gold", "crimson"])),
    tooltip=["method", "exceptions", "expected_exceptions", "zone", "plus_factor"],
).properties(title=f"Backtest exceptions and traffic light by model ({conf:.0%})")"""),
    md("""
## The three models backtested side by side

The run backtests its configured model. To compare all three on the same footing, rebuild
today's portfolio and its factor history from the store with the engine's own functions, then
let each model forecast each of the last days from the days before it:

- historical: the empirical quantile of the window's full-revaluation P&L
  (`engine.market_risk.backtest.rolling_var`, exactly what the run stores);
- parametric: delta-normal with the RiskMetrics EWMA variance of the window's delta P&L
  (for a linear portfolio `e' Sigma e` is the EWMA of `(e' r)^2`);
- Monte Carlo: Student-t (the configured degrees of freedom) with the same variance, its
  quantile simulated once with `engine.market_risk.var.simulate_returns` and scaled per day.
"""),
    code("""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from engine.market_risk.backtest import exceptions_of, rolling_var
from engine.market_risk.factors import load_history, returns
from engine.market_risk.portfolio import build_sensitivities, required_factors
from engine.market_risk.settings import MarketRiskSettings
from engine.market_risk.step import load_positions
from engine.market_risk.var import historical_var, simulate_returns

s = MarketRiskSettings.from_config(mo.cfg)
base_ccy = mo.cfg.base_currency
with mo.connection() as con:
    book = load_positions(con, as_of, s.position_basis)
    instruments, currencies = required_factors(book, base_ccy)
    history = load_history(con, as_of, instruments=instruments, currencies=currencies,
                           n_dates=s.history_days + max(s.horizon_days, s.backtest_window) + 1)
firm = build_sensitivities(book, history.factor_ids, base_currency=base_ccy).total()
r = returns(history.levels)
pnl = firm.pnl(r)[:, 0]                  # today's portfolio, full revaluation, each past day
delta_pnl = r @ firm.exposures()[:, 0]   # its first-order (delta) P&L
n = pnl.size
w = min(s.history_days, max(n - s.backtest_window, s.backtest_min_var_window))
print(f"{n} days of P&L, each VaR from the {w} days before it, {n - w} forecasts")"""),
    code("""
bt_conf = s.backtest_confidence  # the run backtests at this confidence
lam = s.ewma_lambda
weights = (1 - lam) * lam ** np.arange(w - 1, -1, -1)
weights /= weights.sum()
sigma = np.sqrt(sliding_window_view(delta_pnl**2, w)[:-1] @ weights)   # forecast for day w, w+1, ...
unit_t = simulate_returns(np.array([[1.0]]), s.mc_paths, seed=s.mc_seed, distribution="STUDENT_T", dof=s.mc_dof)[:, 0]
forecasts = {
    "HISTORICAL": rolling_var(pnl, w, bt_conf),
    "PARAMETRIC": stats.norm.ppf(bt_conf) * sigma,
    "MONTE_CARLO": historical_var(unit_t, bt_conf).var * sigma,
}
observed = pnl[w:]
keep = min(s.backtest_window, observed.size)
days = history.dates[1:][w:][-keep:]
# the historical forecasts are the run's own backtest, day by day
stored = mo.backtest(basis="CURRENT_PORTFOLIO", method="HISTORICAL", confidence=bt_conf).sort("obs_date")
assert stored["obs_date"].to_list() == pl.Series(days).cast(pl.Date).to_list()
assert np.allclose(stored["var"].to_numpy(), forecasts["HISTORICAL"][-keep:], rtol=1e-9)
rows = []
for model, var_t in forecasts.items():
    exc = exceptions_of(var_t[-keep:], observed[-keep:])
    k, c = kupiec_pof(keep, int(exc.sum()), 1 - bt_conf), christoffersen(exc, 1 - bt_conf)
    light = traffic_light(int(exc[-250:].sum()), min(250, keep), 1 - bt_conf)
    rows.append({"model": model, "observations": keep, "exceptions": int(exc.sum()), "expected": keep * (1 - bt_conf),
                 "kupiec_pvalue": k.p_value, "christoffersen_cc_pvalue": c.cc_p_value, "zone": light.zone,
                 "plus_factor": light.plus_factor, "mean_var": float(np.mean(var_t[-keep:]))})
comparison = pl.DataFrame(rows)
comparison"""),
    code("""
lines = pl.DataFrame({"obs_date": np.tile(days, 3), "model": np.repeat(list(forecasts), keep),
                      "minus_var": -np.concatenate([v[-keep:] for v in forecasts.values()])})
realised = pl.DataFrame({"obs_date": days, "pnl": observed[-keep:]})
bars = alt.Chart(realised).mark_bar(opacity=0.4, color="gray").encode(x=alt.X("obs_date:T", title=None), y=alt.Y("pnl:Q", title="P&L (base)"))
var_lines = alt.Chart(lines).mark_line().encode(x="obs_date:T", y="minus_var:Q", color="model:N")
(bars + var_lines).properties(width=700, title=f"Today's portfolio: daily P&L against each model's {bt_conf:.0%} VaR")"""),
    code("""
alt.Chart(comparison).mark_bar().encode(
    x=alt.X("model:N", title=None), y="exceptions:Q",
    color=alt.Color("zone:N", scale=alt.Scale(domain=["GREEN", "YELLOW", "RED"], range=["seagreen", "gold", "crimson"])),
    tooltip=["model", "exceptions", "expected", "kupiec_pvalue", "zone", "plus_factor"],
).properties(title="Traffic light per model") + alt.Chart(comparison).mark_rule(color="black", strokeDash=[4, 2]).encode(y="mean(expected):Q")"""),
    md("""
## Incremental VaR of a proposed trade

How much would the firm's historical VaR change if the largest equity position were sold?
"""),
    code("""
top = mo.positions(basis=s.position_basis, asset_class="EQUITY").sort("market_value_base", descending=True).row(0, named=True)
ivar = mo.incremental_var({"instrument_id": top["instrument_id"], "quantity": -top["quantity"], "book_id": top["book_id"]})
pl.DataFrame([ivar.to_dict()]).select("as_of", "confidence", "var_before", "var_after", "incremental_var", "es_before", "es_after", "incremental_es")"""),
]

# ---------------------------------------------------------------------------------------------
# 04: P&L attribution
# ---------------------------------------------------------------------------------------------

PNL = [
    md("""
# P&L and its attribution

Daily P&L per book and instrument: realised (lot method per book: FIFO, LIFO or average cost),
unrealised, fees and carry, translated to the base currency. The attribution splits each day's
P&L into new-trade P&L (trade price against the close), the price move on the opening
position, the FX move, carry and fees; the parts add up to the total. Profit is positive.
"""),
    code(SETUP),
    code("""
dates = mo.as_of_dates()
pnl = mo.pnl(start=dates[0])
print(len(dates), "run dates;", pnl.height, "P&L rows")
daily = pnl.group_by("as_of", "desk").agg(pl.col("total_base").sum()).sort("as_of")
alt.Chart(daily).mark_bar().encode(
    x=alt.X("as_of:O", title=None), y=alt.Y("total_base:Q", title="P&L (base)"), color="desk:N",
    tooltip=["as_of", "desk", alt.Tooltip("total_base:Q", format=",.0f")],
).properties(title="Daily P&L by desk")"""),
    md("""
## Realised and unrealised, by desk
"""),
    code("""
today = mo.pnl()
parts = today.group_by("desk").agg(pl.col("realised_local", "unrealised_local", "fees_local", "carry_local", "total_base").sum())
parts.sort("desk")"""),
    md("""
## Attribution

The components add up to the total, in local currency and in base.
"""),
    code("""
attr = mo.pnl_attribution()
cols = ["new_trade_base", "price_move_base", "fx_move_base", "carry_base", "fees_base"]
gap = attr.select((pl.sum_horizontal(cols) - pl.col("total_base")).abs().max()).item()
print(f"largest gap between the components and the total: {gap:.6f}")
assert gap < 0.01
totals = attr.select(pl.col(cols + ["total_base"]).sum())
totals"""),
    code("""
steps = pl.DataFrame({"component": [c.removesuffix("_base") for c in cols], "value": [totals[c][0] for c in cols]})
steps = steps.with_columns(end=pl.col("value").cum_sum()).with_columns(start=pl.col("end") - pl.col("value"))
total = pl.DataFrame({"component": ["total"], "value": [totals["total_base"][0]], "end": [totals["total_base"][0]], "start": [0.0]})
waterfall = pl.concat([steps, total]).with_columns(order=pl.int_range(0, pl.len()))
alt.Chart(waterfall).mark_bar().encode(
    x=alt.X("component:N", sort=alt.SortField("order"), title=None),
    y=alt.Y("start:Q", title="P&L (base)"), y2="end:Q",
    color=alt.condition("datum.value >= 0", alt.value("seagreen"), alt.value("crimson")),
    tooltip=["component", alt.Tooltip("value:Q", format=",.2f")],
).properties(width=450, title=f"P&L attribution, {as_of}")"""),
    md("""
## By desk and asset class

The attribution is per book and instrument; the P&L rows carry the desk and asset class.
"""),
    code("""
keys = today.select("book_id", "instrument_id", "desk", "asset_class")
by = attr.join(keys, on=["book_id", "instrument_id"], how="left").group_by("desk", "asset_class").agg(pl.col(cols).sum())
long = by.unpivot(index=["desk", "asset_class"], on=cols, variable_name="component", value_name="pnl")
alt.Chart(long).mark_bar().encode(
    x=alt.X("pnl:Q", title="P&L (base)"), y=alt.Y("desk:N"), color="component:N",
    row=alt.Row("asset_class:N", title=None),
    tooltip=["desk", "asset_class", "component", alt.Tooltip("pnl:Q", format=",.0f")],
).properties(width=500, title="Attribution by desk and asset class")"""),
    code("""
movers = attr.join(keys, on=["book_id", "instrument_id"], how="left").sort(pl.col("price_move_base").abs(), descending=True)
movers.select("book_id", "instrument_id", "asset_class", "price_move_base", "fx_move_base", "total_base").head(10)"""),
    md("""
## The P&L check

Every run checks that total P&L = change in market value + net cash flows, per book and
instrument, and keeps the differences.
"""),
    code("""
check = mo.pnl_check()
print(f"{check.height} positions checked, {check.filter(~pl.col('ok')).height} differences")
check.sort(pl.col("difference_local").abs(), descending=True).head(5)"""),
    code("""
cumulative = pnl.group_by("as_of").agg(pl.col("total_base").sum()).sort("as_of").with_columns(
    cumulative=pl.col("total_base").cum_sum()
)
alt.Chart(cumulative).mark_line(point=True).encode(
    x=alt.X("as_of:T", title=None), y=alt.Y("cumulative:Q", title="cumulative P&L (base)")
).properties(title="Cumulative P&L over the run dates")"""),
]

# ---------------------------------------------------------------------------------------------
# 05: reconciliation analytics
# ---------------------------------------------------------------------------------------------

RECON = [
    md("""
# Reconciliation analytics

Where do the breaks come from, how old are they, what do the fails cost? The end of day
matches front-office trades against back-office settlements and expected cash against cash
statements, classifies every break with the ISO reason codes (CMIS missing, DQUA quantity,
DDEA price, DMON amount, DDAT settlement date, ...) and tracks it across runs. Failing
settlements accrue an estimated CSDR cash penalty.
"""),
    code(SETUP),
    code("""
breaks = mo.breaks()
print(breaks.height, "breaks on", as_of)
breaks.group_by("category", "break_type").agg(pl.len().alias("breaks"), pl.col("amount_base").sum()).sort(
    "breaks", descending=True
)"""),
    md("""
## Root causes by custodian and counterparty
"""),
    code("""
heat = breaks.group_by("custodian", "break_type").agg(pl.len().alias("breaks"))
alt.Chart(heat).mark_rect().encode(
    x=alt.X("custodian:N"), y=alt.Y("break_type:N", title="break type"), color="breaks:Q",
    tooltip=["custodian", "break_type", "breaks"],
).properties(title="Breaks by custodian and type")"""),
    code("""
top_cp = breaks.group_by("counterparty_id").len().sort("len", descending=True).head(15)["counterparty_id"].to_list()
by_cp = breaks.filter(pl.col("counterparty_id").is_in(top_cp)).group_by("counterparty_id", "break_type").agg(pl.len().alias("breaks"))
alt.Chart(by_cp).mark_bar().encode(
    x=alt.X("breaks:Q"), y=alt.Y("counterparty_id:N", sort=top_cp, title="counterparty"), color="break_type:N",
).properties(title="The 15 counterparties with the most breaks")"""),
    md("""
## Ageing

Age in business days since the break was first seen, and since the intended settlement date.
"""),
    code("""
buckets = ["0-1", "2-5", "6-10", ">10"]
age = breaks.group_by("age_bucket", "category").agg(pl.len().alias("breaks"))
alt.Chart(age).mark_bar().encode(
    x=alt.X("age_bucket:N", sort=buckets, title="age (business days since first seen)"), y="breaks:Q", color="category:N",
).properties(title="Breaks by age")"""),
    code("""
breaks.filter(pl.col("days_past_isd").is_not_null()).group_by("isd_age_bucket").agg(
    breaks=pl.len(), amount_base=pl.col("amount_base").sum()
).sort("isd_age_bucket")"""),
    md("""
## Fails and estimated penalties

A failing settlement accrues a daily CSDR cash penalty (rates per instrument type in the
configuration); who pays depends on the reason (our lack of securities or cash, or the
counterparty's).
"""),
    code("""
fails = breaks.filter(pl.col("penalty_base").is_not_null() & (pl.col("penalty_base") > 0))
print(f"{fails.height} failing settlements, estimated penalties {fails['penalty_base'].sum():,.2f} (base)")
fails.group_by("reason_code", "penalty_payer").agg(
    fails=pl.len(), days_failing=pl.col("days_failing").mean(), penalty_base=pl.col("penalty_base").sum()
).sort("penalty_base", descending=True)"""),
    code("""
pen = fails.group_by("custodian", "reason_code").agg(pl.col("penalty_base").sum())
alt.Chart(pen).mark_bar().encode(
    x=alt.X("penalty_base:Q", title="estimated penalty (base)"), y=alt.Y("custodian:N"), color="reason_code:N",
).properties(title="Estimated CSDR penalties by custodian and reason")"""),
    code("""
fails.sort("penalty_base", descending=True).select(
    "break_id", "trade_id", "isin", "counterparty_id", "custodian", "reason_code", "days_failing", "remaining_quantity", "penalty_base"
).head(10)"""),
    md("""
## Match rates
"""),
    code("""
stats = mo.recon_stats(start=mo.as_of_dates()[0], dimension="all", metric=["auto_match_rate", "stp_rate", "breaks", "penalty_base"])
stats.pivot(on="metric", index=["as_of", "scope"], values="value").sort("as_of", "scope")"""),
    code("""
life = mo.table("out_breaks", start=mo.as_of_dates()[0], columns=["as_of", "lifecycle", "category"])
alt.Chart(life.group_by("as_of", "lifecycle").len()).mark_bar().encode(
    x=alt.X("as_of:O", title=None), y=alt.Y("len:Q", title="breaks"), color="lifecycle:N",
).properties(title="New, persisting and resolved breaks per run")"""),
    md("""
## One break, end to end

Its fields side by side, the source rows with their files and lines, and its audit trail.
"""),
    code("""
one = breaks.filter(pl.col("n_fields") > 0).sort("amount_base", descending=True, nulls_last=True).row(0, named=True)
detail = mo.break_detail(one["break_id"])
print(one["break_id"], one["break_type"], one["detail"])
pl.DataFrame(detail["fields"]).select("field", "iso_code", "fo_value", "bo_value", "difference", "tolerance")"""),
    code("""
mo.break_lineage(one["break_id"]).select("side", "record_id", "version", "is_current", "quantity", "amount", "settle_date", "feed", "file_name", "src_line")"""),
    md("""
Its audit trail (empty until someone works on it), and one that a later run resolved by itself:
"""),
    code("""
mo.break_history(one["break_id"])"""),
    code("""
resolved = mo.breaks(status="RESOLVED")
print(resolved.height, "breaks resolved on", as_of)
if resolved.height:
    display(mo.break_history(resolved["break_id"][0]).select("event_id", "event_type", "actor", "at", "as_of"))"""),
]

NOTEBOOKS: dict[str, list[nbformat.NotebookNode]] = {
    "01_tour.ipynb": TOUR,
    "02_exposures_concentration.ipynb": EXPOSURES,
    "03_var_models_backtest.ipynb": VAR,
    "04_pnl_attribution.ipynb": PNL,
    "05_reconciliation_analytics.ipynb": RECON,
}


def build() -> dict[str, nbformat.NotebookNode]:
    """The notebooks, without outputs, keyed by file name."""
    out = {}
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=[nbformat.from_dict(c) for c in cells])
        nb.metadata = {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name.split('_')[0]}-{i:02d}"  # stable ids: no churn in git
        nbformat.validate(nb)
        out[name] = nb
    return out


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a notebook differs from its source")
    args = parser.parse_args(argv)
    stale = []
    for name, nb in build().items():
        path = HERE / name
        text = render(nb)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python notebooks/build_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
