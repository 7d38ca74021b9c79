"""Reconciliation: front-office trades against back-office settlements, expected cash against
cash statements, and the life of every break across runs.

Modules:

- :mod:`engine.recon.settings`: the ``[reconciliation]`` configuration as frozen dataclasses.
- :mod:`engine.recon.fields`: the compared fields, their ISO 20022 reason codes and kinds.
- :mod:`engine.recon.stage`: the two sides as of the date (scratch tables ``tmp_rc_*``).
- :mod:`engine.recon.passes`: the configured matching passes, most precise first.
- :mod:`engine.recon.classify`: per-field differences with tolerances, settlement state, breaks.
- :mod:`engine.recon.penalties`: CSDR cash penalties of failing settlements.
- :mod:`engine.recon.suggest`: best candidates for every unmatched record.
- :mod:`engine.recon.cash`: expected cash from settled trades against statement entries.
- :mod:`engine.recon.lifecycle`: stable break ids, new / persisting / resolved, ageing, the
  run's AUTO_RESOLVED / AUTO_REOPENED events.
- :mod:`engine.recon.workflow`: the public Python API (list, detail, actions, four-eyes, export).
- :mod:`engine.recon.export`: CSV / XLSX / Parquet exports, safe against formula injection.
- :mod:`engine.recon.accuracy`: recall, precision and class accuracy against a generator's truth.
- :mod:`engine.recon.core`: one date's reconciliation on a connection (stage, passes, classify).
- :mod:`engine.recon.stats`: run statistics (``out_recon_stats``).
- :mod:`engine.recon.wfstore`: reads and writes of the workflow store by the run.
- :mod:`engine.recon.sqlgen` / :mod:`engine.recon.sqlrun`: SQL builders for the configured parts
  (identifiers from code, values bound) and a runner for multi-statement SQL files.
- :mod:`engine.recon.step`: the end-of-day run steps.

Sign conventions: quantities and amounts are positive with a direction (RECEIVE: we receive
securities and pay cash; DELIVER: we deliver and are paid). Differences are BO minus FO.
"""
