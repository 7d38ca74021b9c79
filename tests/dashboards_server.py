"""A real dashboard server for the browser and no-lock-out tests: ``midoffice dashboard`` in its
own process group, and a headless Chromium (Debian's ``chromium`` driven by Playwright)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def midoffice_cmd() -> list[str]:
    script = Path(sys.executable).parent / "midoffice"
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine.cli"]


@contextlib.contextmanager
def dashboard_server(config_path: Path, log_path: Path, timeout: float = 90) -> Iterator[str]:
    """Start ``midoffice --config <file> dashboard --port <free>``; yield its URL; stop it."""
    port = free_port()
    env = {**os.environ, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "STREAMLIT_SERVER_RUN_ON_SAVE": "false"}
    env.pop("MIDOFFICE_CONFIG", None)  # the CLI passes --config through to the app
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*midoffice_cmd(), "--config", str(config_path), "dashboard", "--port", str(port), "--address", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=str(REPO),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard server exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310 - local URL
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard server not healthy after {timeout}s: {log_path.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:  # noqa: S310 - local URL
            return r.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A fresh headless Chromium context (its own user-data-dir)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="midoffice-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            yield ctx
        finally:
            ctx.close()


def wait_idle(page: Any, timeout: float = 60_000) -> None:
    """Wait until the Streamlit script run for this page has finished."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
