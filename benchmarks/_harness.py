"""Benchmark helpers: timing, peak memory of a child process, and the result table.

Each measured piece runs in a fresh child process (``python -c``) so its peak RSS is its own
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exits)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measure:
    name: str
    size: int
    seconds: float
    peak_mib: float
    extra: dict

    @property
    def rows_per_s(self) -> float:
        return self.size / self.seconds if self.seconds else float("nan")


def run_child(name: str, size: int, code: str, env: dict | None = None) -> Measure:
    """Run ``code`` in a child Python; it must print one JSON object (its own figures) last."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    extra = json.loads(lines[-1]) if lines else {}
    seconds = float(extra.pop("seconds", seconds))
    return Measure(name, size, seconds, peak_kib / 1024, extra)


def print_table(title: str, rows: list[Measure]) -> None:
    print(f"\n{title}")
    print(f"{'step':<28}{'size':>12}{'seconds':>10}{'rows/s':>14}{'peak MiB*':>11}  notes")
    for m in rows:
        notes = ", ".join(f"{k}={v}" for k, v in m.extra.items())
        print(f"{m.name:<28}{m.size:>12,}{m.seconds:>10.2f}{m.rows_per_s:>14,.0f}{m.peak_mib:>11,.0f}  {notes}")
    print("* peak RSS of the largest child process so far in this run (monotone across rows)")
