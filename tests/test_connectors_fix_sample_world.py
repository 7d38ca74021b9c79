"""The sample world's front office written as a FIX drop copy and an Excel blotter loads back to
exactly the trades the all-CSV world holds (the writers and connectors are inverse)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import simplefix

from connectors import loader
from connectors.sample_world import FORMAT_PLAN, FormatPlan, FoShare, generate_world
from engine import store
from tests.conftest import make_config


def _load_fo(tmp: Path, world: Path) -> tuple[pl.DataFrame, set[str]]:
    cfg = make_config(tmp)
    report = loader.load_paths(cfg, [world / "fo"], publish=False)  # no reference: fewer files, same rows
    fo = [b for b in report.batches if "/fo/" in b.path]
    assert all(b.status == "LOADED" and b.rows_quarantined == 0 for b in fo), [b for b in fo if b.rows_quarantined]
    with store.connect(cfg) as con:
        frame = con.sql("SELECT * EXCLUDE (batch_id, src_line, src_ref) FROM fo_trades ORDER BY trade_id, version").pl()
    return frame, {b.connector for b in fo}


@pytest.mark.slow
# the generator (not the writers under test) still uses polars' deprecated horizontal concat
@pytest.mark.filterwarnings("ignore:the default behavior of `how='horizontal'`:DeprecationWarning")
def test_fix_and_xlsx_shares_load_back_to_the_same_trades(tmp_path) -> None:
    shares = FORMAT_PLAN.fo_shares
    assert {s.format for s in shares} >= {"FIX", "XLSX"}
    as_csv = FormatPlan(fo_shares=tuple(FoShare(s.name, "CSV", s.fraction, s.source_system) for s in shares))
    generate_world(tmp_path / "mixed", trades=200, days=4, seed=11, price_years=1)
    generate_world(tmp_path / "csv", trades=200, days=4, seed=11, price_years=1, format_plan=as_csv)
    logs = sorted((tmp_path / "mixed" / "fo").glob("oms_*.log"))
    assert logs and sorted((tmp_path / "mixed" / "fo").glob("desk_*.xlsx"))
    # every message of the drop copy parses with simplefix and carries a valid checksum
    parser = simplefix.FixParser()
    parser.append_buffer(logs[-1].read_bytes().replace(b"\n", b""))
    first = parser.get_message()
    assert first is not None and first.get(35) == b"8" and first.get(49) == b"SAMPLE_OMS"

    mixed, connectors = _load_fo(tmp_path / "s1", tmp_path / "mixed")
    plain, _ = _load_fo(tmp_path / "s2", tmp_path / "csv")
    assert connectors == {"csv", "fix", "xlsx"}
    assert mixed.height == plain.height > 0
    # identical except the ExecID of corrections/cancels, which FIX requires to be new (EX..-2)
    cols = [c for c in mixed.columns if c != "exec_id"]
    assert mixed.select(cols).equals(plain.select(cols))
    amended = mixed.join(plain, on=["trade_id", "version"]).filter(pl.col("exec_id") != pl.col("exec_id_right"))
    assert (amended["version"] > 1).all()
    assert (amended["exec_id"] == amended["exec_id_right"] + "-" + amended["version"].cast(pl.String)).all()
