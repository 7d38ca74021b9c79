"""The dashboards in a real browser: `midoffice dashboard` serves the app, headless Chromium
(Debian's `chromium`, driven by Playwright) opens every page, a screenshot of each is saved
under test-artifacts/, and a break is resolved through the UI and checked in the store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboards_server import ARTIFACTS, CHROMIUM, chromium, dashboard_server, wait_idle
from dashboards_world import RealWorld, real_world  # noqa: F401 - session fixture

from engine import store
from engine.config import Config
from engine.recon import workflow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.xdist_group("dashboards_real"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]

PAGES = {  # url path -> page title
    "": "Overview",
    "exposures": "Exposures",
    "limits": "Limits",
    "pnl": "P&L",
    "market_risk": "Market risk",
    "counterparty": "Counterparty",
    "workbench": "Reconciliation workbench",
    "data_quality": "Data quality",
}


@pytest.fixture(scope="module")
def server(real_world: RealWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Config]]:  # noqa: F811
    """`midoffice dashboard` on the generated store (1,000 trades, two end-of-day runs)."""
    log = tmp_path_factory.mktemp("browser") / "server.log"
    with dashboard_server(real_world.config_path, log) as url:
        yield url, real_world.cfg


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as ctx:
        yield ctx


def screenshot(page: Any, name: str) -> Path:
    """The whole page (Streamlit scrolls inside its main block, so grow the viewport to fit)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => Math.max(800, ...Array.from(document.querySelectorAll('*')).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1600, "height": min(int(height) + 120, 8000)})
    page.wait_for_timeout(400)
    path = ARTIFACTS / f"dashboard_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1000})
    return path


@pytest.mark.parametrize("path", list(PAGES))
def test_page_opens_in_chromium(server: tuple[str, Config], browser: Any, path: str) -> None:
    url, _ = server
    page = browser.new_page()
    try:
        page.goto(f"{url}/{path}")
        wait_idle(page)
        assert page.get_by_role("heading", name=PAGES[path], exact=True).first.is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()
        shot = screenshot(page, path or "overview")
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_sidebar_filter_holds_across_pages(server: tuple[str, Config], browser: Any) -> None:
    url, _ = server
    page = browser.new_page()
    try:
        page.goto(f"{url}/")
        wait_idle(page)
        page.get_by_label("Desk").first.click()
        option = page.get_by_role("option").filter(has_not_text="Select all").first
        desk = option.inner_text().strip()
        option.click()
        page.keyboard.press("Escape")
        wait_idle(page)
        page.get_by_role("link", name=re.compile("Exposures")).click()
        wait_idle(page)
        assert page.get_by_role("heading", name="Exposures", exact=True).first.is_visible()
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text(desk, exact=True).first.is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


def test_resolve_a_break_through_the_ui(server: tuple[str, Config], browser: Any) -> None:
    url, cfg = server
    page = browser.new_page()
    try:
        page.goto(f"{url}/workbench")
        wait_idle(page)
        name = page.get_by_role("textbox", name="Your name")
        name.fill("browser-tester")
        name.press("Enter")
        wait_idle(page)
        heading = page.get_by_role("heading", name=re.compile(r"^Break BRK-")).first
        break_id = heading.inner_text().split()[-1]
        assert break_id in workflow.list_breaks(cfg, status="ACTIVE")["break_id"].to_list()
        form = page.locator('[data-testid="stForm"]').filter(has_text=f"Work {break_id}")
        form.get_by_role("textbox", name="Comment").fill("fixed at source, checked with the custodian")
        form.get_by_role("button", name=re.compile("Resolve")).click()
        wait_idle(page)
        assert page.get_by_text(re.compile(r"Resolved \(\w+\): saved")).first.is_visible()
        screenshot(page, "workbench_resolved")
    finally:
        page.close()
    # the store has it: the break is resolved, by the name typed in the sidebar, with the comment
    df = workflow.list_breaks(cfg)
    assert dict(zip(df["break_id"], df["status"], strict=True))[break_id] == "RESOLVED"
    with store.connect_workflow(cfg, read_only=True) as con:
        ev = con.sql("SELECT event_type, actor, payload FROM wf_break_events WHERE break_id = $b ORDER BY event_id DESC LIMIT 1",
                     params={"b": break_id}).fetchall()
    assert ev[0][0] == "RESOLVE" and ev[0][1] == "browser-tester"
    assert "checked with the custodian" in ev[0][2]
