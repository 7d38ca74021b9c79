"""Accuracy of break detection against a generator's ground truth (``truth/breaks.csv``).

recall = truth breaks detected / truth breaks; precision = reported breaks that are a truth break
/ reported breaks; class accuracy = detected truth breaks whose reported type is the truth's
class / detected truth breaks. The run for the truth's as-of date must have happened (the
published snapshot is read). See ``recon/accuracy.sql`` for what "detected" means.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from engine import store
from engine.config import Config
from engine.errors import BadInputError, MidofficeError
from engine.recon import sqlrun

log = logging.getLogger(__name__)

TRUTH_COLUMNS = ("break_id", "break_class", "trade_id", "settlement_id", "movement_id")


@dataclass(frozen=True)
class AccuracyResult:
    as_of: date
    truth_breaks: int
    reported_breaks: int
    detected: int
    class_right: int
    true_positives: int
    recall: float
    precision: float
    class_accuracy: float
    by_class: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)
    wrong_class: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "truth_breaks": self.truth_breaks,
            "reported_breaks": self.reported_breaks, "detected": self.detected, "class_right": self.class_right,
            "true_positives": self.true_positives, "recall": round(self.recall, 6),
            "precision": round(self.precision, 6), "class_accuracy": round(self.class_accuracy, 6),
            "by_class": self.by_class, "missed": self.missed, "false_positives": self.false_positives,
            "wrong_class": self.wrong_class,
        }


def read_truth(world: Path) -> tuple[pl.DataFrame, date]:
    """The truth breaks of a generated world and their as-of date."""
    path = Path(world) / "truth" / "breaks.csv"
    if not path.is_file():
        raise BadInputError("no ground truth in this folder", path=str(path),
                            expected="a world written by the sample-world generator (truth/breaks.csv)")
    df = pl.read_csv(path, infer_schema=False)
    missing = [c for c in TRUTH_COLUMNS if c not in df.columns]
    if missing:
        raise BadInputError("the truth file lacks columns", path=str(path), expected=", ".join(TRUTH_COLUMNS),
                            found=", ".join(df.columns))
    summary = Path(world) / "truth" / "summary.json"
    if "as_of" in df.columns and df.height:
        as_of = date.fromisoformat(df["as_of"][0])
    elif summary.is_file():
        as_of = date.fromisoformat(json.loads(summary.read_text())["as_of"])
    else:
        raise BadInputError("cannot tell the truth's as-of date", path=str(path))
    return df.select(TRUTH_COLUMNS), as_of


def measure(cfg: Config, world: str | Path, *, as_of: date | str | None = None) -> AccuracyResult:
    """Compare the published breaks of the truth's date with the truth."""
    truth, t_as_of = read_truth(Path(world))
    day = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or t_as_of)
    with store.connect_reader(cfg) as con:
        ran = store.scalar(con, "SELECT count(*) FROM out_recon_stats WHERE as_of = $d", {"d": day})
        if not ran:
            raise MidofficeError(f"no reconciliation for {day} in the store",
                                 hint=f"run `midoffice run --as-of {day}` after loading the world")
        con.register("tmp_acc_truth", truth)
        try:
            rows = sqlrun.query_script(con, "recon/accuracy", {"as_of": day})
        finally:
            con.unregister("tmp_acc_truth")
    truth_rows = rows.filter(pl.col("truth_id").is_not_null())
    # a truth break counts once even if two reported breaks hold its records
    per_truth = truth_rows.group_by("truth_id", "truth_class").agg(
        detected=pl.col("break_id").is_not_null().any(), class_right=pl.col("class_right").any(),
        our_class=pl.col("our_class").drop_nulls().first(),
    )
    n_truth = per_truth.height
    detected = int(per_truth["detected"].sum()) if n_truth else 0
    right = int(per_truth["class_right"].sum()) if n_truth else 0
    reported = rows["break_id"].drop_nulls().n_unique()
    tp = truth_rows["break_id"].drop_nulls().n_unique()
    by_truth = per_truth.group_by("truth_class").agg(
        truth=pl.len(), detected=pl.col("detected").sum(), class_right=pl.col("class_right").sum(),
    ).rename({"truth_class": "class"})
    fp_rows = rows.filter(pl.col("truth_id").is_null())
    by_fp = fp_rows.group_by("our_class").agg(false_positives=pl.len()).rename({"our_class": "class"})
    rep = rows.filter(pl.col("break_id").is_not_null()).unique("break_id").group_by("our_class").agg(
        reported=pl.len()).rename({"our_class": "class"})
    by_class = (by_truth.join(rep, on="class", how="full", coalesce=True)
                .join(by_fp, on="class", how="full", coalesce=True).fill_null(0).sort("class"))
    res = AccuracyResult(
        as_of=day, truth_breaks=n_truth, reported_breaks=reported, detected=detected, class_right=right,
        true_positives=tp, recall=detected / n_truth if n_truth else 1.0,
        precision=tp / reported if reported else 1.0, class_accuracy=right / detected if detected else 1.0,
        by_class=by_class.to_dicts(),
        missed=per_truth.filter(~pl.col("detected")).join(truth.rename({"break_id": "truth_id"}), on="truth_id").head(50).to_dicts(),
        false_positives=fp_rows.head(50).to_dicts(),
        wrong_class=per_truth.filter(pl.col("detected") & ~pl.col("class_right")).head(50).to_dicts(),
    )
    log.info("accuracy %s: recall %.4f precision %.4f class %.4f", day, res.recall, res.precision, res.class_accuracy)
    return res
