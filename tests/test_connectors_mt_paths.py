"""The vectorised MT540-548 path gives exactly the rows and quarantine of the per-message path,
on the real samples, on hand-written faults and on generated settlements (property test); and
rows read = loaded + quarantined holds for every generated file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.swift_mt import instruction_fields, parse_text, render_message, settlement_message
from engine.config import load_config

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "mt54x"
AUTO = load_config(overrides={"swift": {"parser": "auto"}})
PYTHON = load_config(overrides={"swift": {"parser": "python"}})


def _same(text: str, name: str = "file_2024-01-09.fin") -> tuple[pl.DataFrame, pl.DataFrame]:
    a = parse_text(text, Path(name), AUTO)
    b = parse_text(text, Path(name), PYTHON)
    assert a.tables["bo_settlements"].equals(b.tables["bo_settlements"]), (
        a.tables["bo_settlements"].to_dicts(), b.tables["bo_settlements"].to_dicts())
    assert a.quarantine.equals(b.quarantine)
    assert a.rows_read == b.rows_read == a.tables["bo_settlements"].height + a.quarantine.height
    return a.tables["bo_settlements"], a.quarantine


def test_samples_same_on_both_paths() -> None:
    text = "\n".join(p.read_text() for p in sorted(SAMPLES.glob("*.fin")))
    rows, q = _same(text)
    assert rows.height == 4 + 1 + 4 + 4 and q.height == 2   # MT537 x4 rows, MT540, MT541 x4, MT543 x4


def test_faults_same_on_both_paths() -> None:
    row = dict(settlement_id="S1", trade_ref="T1", known_date="2024-01-05", isin="US0378331005",
               direction="RECEIVE", payment="APMT", quantity="100", amount="10", currency="USD",
               intended_settle_date="2024-01-05", status="FAILING", reason_code="LACK", seq=1)
    good = settlement_message(row, custodian_bic="CUSAUS33XXX", our_bic="MIDOUS33XXX", msg_no=1)
    faults = [
        good.replace(":98A::SETT//20240105", ":98A::SETT//20240231"),       # invalid date
        good.replace(":16S:SETTRAN", ":16S:SETTRA"),                         # unbalanced sequence
        good.replace("UNIT/100,", "UNIT/100"),                               # bad decimal
        good.replace(":25D::SETT//PENF", ":25D::SETT//XXXX").replace(":25D::MTCH//MACH", ":25D::MTCH//YYYY"),
        good.replace(":22H::REDE//RECE\n", "").replace(":13A::LINK//541\n", ""),   # no direction
        good.replace(":20C::SEME//", ":20C::XXXX//"),                        # no SEME
        good.replace(":16R:GENL\n", "stray text\n:16R:GENL\n"),              # text before the first field
        good.replace(":23G:INST\n", ":23G:INST\n\n"),                        # an empty line in the block
        good.replace(":19A::SETT//USD10,", ":19A::SETT//1010,"),             # amount without currency
        good.replace(":35B:ISIN US0378331005", ":35B:ISIN US0378331005\nAPPLE INC\n/XX/123"),   # continuation
        good.replace(":97A::SAFE//", ":97A::SAFE/"),                         # generic field without '//'
    ]
    rows, q = _same("\n".join([good, *faults]))
    assert rows.height + q.height == len(faults) + 1
    assert rows["src_line"].to_list() == [1, 9, 11]   # good; an empty line is harmless; a description line
    assert rows["isin"].to_list() == ["US0378331005"] * 3


ROW = st.fixed_dictionaries({
    "status": st.sampled_from(["PENDING", "MATCHED", "FAILING", "UNMATCHED", "CANCELLED", "REJECTED", "SETTLED",
                               "PARTIAL"]),
    "direction": st.sampled_from(["RECEIVE", "DELIVER"]),
    "payment": st.sampled_from(["APMT", "FREE"]),
    "quantity": st.integers(min_value=1, max_value=10**9),
    "fraction": st.integers(min_value=1, max_value=99),
    "cents": st.integers(min_value=0, max_value=10**11),
    "reason": st.sampled_from([None, "LACK", "MONY", "CLAC", "CMON", "CMIS", "CANI", "SAFE"]),
    "trade_ref": st.sampled_from([None, "T000000001", "T000000002", "BLK000000001", "CPREF0000009"]),
    "settlement": st.integers(min_value=1, max_value=5),
    "day": st.integers(min_value=0, max_value=3),
    "seq": st.integers(min_value=1, max_value=3),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=12), st.booleans())
def test_generated_settlements_same_on_both_paths(rows: list[dict], with_instruction: bool) -> None:  # type: ignore[type-arg]
    msgs = []
    for i, r in enumerate(rows):
        day = dt.date(2024, 1, 8) + dt.timedelta(days=r["day"])
        settled = r["quantity"] if r["status"] == "SETTLED" else max(1, r["quantity"] * r["fraction"] // 100)
        amount = f"{r['cents'] // 100}.{r['cents'] % 100:02d}"
        row = dict(settlement_id=f"ASR{r['settlement']:010d}", trade_ref=r["trade_ref"], known_date=day,
                   seq=r["seq"], isin="US0378331005", direction=r["direction"], payment=r["payment"],
                   quantity=str(r["quantity"]), settled_quantity=str(settled), amount=amount,
                   settled_amount=amount if r["status"] == "SETTLED" else None, currency="USD",
                   trade_date=day - dt.timedelta(days=2), deal_price="12.5", intended_settle_date=day,
                   actual_settle_date=day, account_id="CUSTA-LE1-SK101", counterparty_bic="BROKGB2LXXX",
                   place_of_settlement="DTCYUS33", status=r["status"],
                   reason_code=r["reason"] if r["status"] not in ("SETTLED", "PARTIAL") else None,
                   reason_text="Lack of securities" if r["reason"] == "LACK" else None)
        if row["status"] == "PARTIAL" and row["settled_amount"] is None and r["payment"] == "APMT":
            row["settled_amount"] = f"{r['cents'] // 200}.00"
        msgs.append(settlement_message(row, custodian_bic="CUSAUS33XXX", our_bic="MIDOUS33XXX", msg_no=i + 1))
        if with_instruction and i == 0:
            mt, fields = instruction_fields({**row, "settlement_id": "T000000001", "trade_ref": "T000000001"},
                                            dt.datetime(2024, 1, 5, 7))
            msgs.append(render_message(mt, "MIDOUS33XXX", "CUSAUS33XXX", fields, io="I"))
    got, q = _same("\n".join(msgs))
    assert q.height == 0 and got.height == len(msgs)
    assert got.select(pl.struct("settlement_id", "seq").is_unique().all()).item()
