"""No lock-outs, with two real processes: while `midoffice run` writes the store in another
process, the app keeps rendering the last complete results, the run never fails because the
app is open, and every action taken in the app is saved.

Process 1 is this test process, running the real app script (Streamlit's AppTest) and a real
dashboard server; process 2 is a loop of `midoffice run` invocations.
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboards_server import dashboard_server, healthy, midoffice_cmd
from dashboards_world import D2, FAST_RISK_TOML, build_inline_store, config_file, make_cfg
from streamlit.testing.v1 import AppTest

from engine import readers, store
from engine.config import Config

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
RUNS = 2

pytestmark = pytest.mark.xdist_group("dashboards")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Config, Path]]:
    cfg = build_inline_store(make_cfg(tmp_path))
    path = config_file(tmp_path, FAST_RISK_TOML)
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(path))
    yield cfg, path


@contextlib.contextmanager
def _batch(config_path: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Process 2: RUNS end-of-day runs of D2, one `midoffice run` process after the other."""
    one = [*midoffice_cmd(), "--config", str(config_path), "run", "--as-of", D2.isoformat()]
    script = " && ".join([shlex.join(one)] * RUNS)
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", "-c", script], stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.wait(timeout=600)


def _ok_runs(cfg: Config) -> int:
    with store.connect(cfg, read_only=True) as con:
        return int(store.scalar(con, "SELECT count(*) FROM ops_runs WHERE status = 'OK' AND run_id > 2") or 0)


def _gross(at: AppTest) -> str:
    found = [m for m in at.metric if m.label.startswith("Gross exposure")]
    assert found, [m.label for m in at.metric]
    return str(found[0].value)


def _engine_gross(cfg: Config) -> str:
    figs = {f["label"]: f for f in readers.overview_figures(cfg, D2)}
    v = figs["Gross exposure"]["value"]
    return "not computed" if v is None else str(round(float(v), 2))


def _comment_first_break(at: AppTest, text: str) -> str | None:
    """Comment the break the workbench shows first, through the UI; its id, or None if none."""
    at.switch_page("views/workbench.py").run()
    assert not at.exception, [e.value for e in at.exception]
    picker = [s for s in at.selectbox if s.key == "wb_current"]
    if not picker or picker[0].value is None:
        return None
    break_id = str(picker[0].value)
    at.text_input(key="wb_one_text").input(text)
    at.button(key="wb_one_comment_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Comment added: saved" in s.value for s in at.success), [e.value for e in at.error]
    return break_id


def test_app_and_run_together(world: tuple[Config, Path], tmp_path: Path) -> None:
    cfg, config_path = world
    before = _engine_gross(cfg)
    seen: list[str] = []
    actions: list[tuple[str, str]] = []
    with dashboard_server(config_path, tmp_path / "server.log") as url:
        with _batch(config_path, tmp_path / "batch.log") as batch:
            while batch.poll() is None or len(seen) < 2:
                at = AppTest.from_file(APP, default_timeout=60)
                at.session_state["actor"] = "night-shift"
                at.run()
                assert not at.exception, [e.value for e in at.exception]
                seen.append(_gross(at))  # the app renders while the run writes
                assert healthy(url)  # the real server stays up
                text = f"checked while the batch runs ({len(seen)})"
                break_id = _comment_first_break(at, text)  # an action while the run writes
                if break_id is not None:
                    actions.append((break_id, text))
                if len(seen) > 200:  # pragma: no cover - safety net
                    break
            rc = batch.wait(timeout=600)
        assert healthy(url)
    assert rc == 0, (tmp_path / "batch.log").read_text(errors="replace")  # no run failed
    assert _ok_runs(cfg) == RUNS
    after = _engine_gross(cfg)
    # every render showed a complete published state: the one before the runs or after one
    assert set(seen) <= {before, after}, (before, after, sorted(set(seen)))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert _gross(at) == after
    # every action taken in the app was saved
    assert actions
    with store.connect_workflow(cfg, read_only=True) as con:
        saved = con.sql("SELECT break_id, json_extract_string(payload, '$.text') FROM wf_break_events "
                        "WHERE event_type = 'COMMENT' AND actor = 'night-shift' ORDER BY event_id").fetchall()
    assert [tuple(r) for r in saved] == actions


if sys.platform == "win32":  # pragma: no cover
    pytestmark = [pytestmark, pytest.mark.skip(reason="process groups are POSIX")]
