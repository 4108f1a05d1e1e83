"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright for
Python): sign in as a geologist, submit an estimate by uploading its record, sign out, sign in
as the commission and approve it, see the balance change on the deposit page and in the yearly
report, and download the report as XLSX. No console error is allowed.

Skipped, with the reason, where ``/usr/bin/chromium`` or Playwright is missing (``.ci/run``
installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time

import openpyxl
import pytest
from helpers_web import PASSWORD
from test_pages import record_csv, seed

from orebook.balance import engine_from_url, upgrade
from orebook.balance.accounts import create_user
from orebook.web.app import create_app
from orebook.web.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)",
                allow_module_level=True)
playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is missing (pip install playwright)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server (uvicorn in a thread) on a fresh SQLite registry with three deposits
    and a geologist and a commission account."""
    import uvicorn

    path = tmp_path_factory.mktemp("browser") / "registry.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = engine_from_url(url)
    for role in ("geologist", "commission"):
        create_user(engine, role, PASSWORD, role)
    ids = seed(engine)
    app = create_app(Settings(db_url=url, secret_key="b" * 40), engine=engine)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", ids, engine
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login?next=")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url(f"{base}/")
    assert f"({username})" in page.inner_text("#signed-in-as")


def test_submit_approve_and_see_the_balance_change(server, browser, tmp_path):
    base, ids, _ = server
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # a download is a navigation Chromium aborts on purpose: only other failures count
    page.on("requestfailed", lambda r: None if re.search(r"\.(xlsx|csv)\?", r.url)
            else problems.append(f"request failed: {r.url} ({r.failure})"))
    page.set_default_timeout(15_000)
    try:
        # the geologist submits the estimate record
        _sign_in(page, base, "geologist")
        page.click("text=Submit an estimate")
        page.set_input_files("#f-record", files=[{
            "name": "golden-hill.csv", "mimeType": "text/csv", "buffer": record_csv()}])
        page.click("#submit-estimate")
        page.wait_for_url(re.compile(r".*/estimates/\d+\?submitted=1$"))
        estimate_url = page.url.split("?")[0]
        assert "awaits the commission" in page.inner_text("main")
        assert page.inner_text("#decision").startswith("pending")
        assert page.locator("#decision-form").count() == 0  # a geologist may not decide
        page.click("#sign-out")
        page.wait_for_url(f"{base}/login")

        # the commission approves it
        _sign_in(page, base, "commission")
        page.goto(estimate_url)
        page.select_option("#f-decision", "approved")
        page.fill("#f-protocol", "GKZ 12")
        page.fill("#f-date", "2021-06-01")
        page.click("#decide")
        page.wait_for_url(re.compile(r".*\?decided=1$"))
        assert page.inner_text("#decision").startswith("approved (protocol GKZ 12")

        # the deposit page: 2 kg before, 3 kg (2000 t × 1.5 g/t) now
        page.goto(f"{base}/deposits/{ids['golden']}")
        balance = page.inner_text("#balance")
        assert "2,000.00" in balance and "3.00" in balance
        assert "approval" in page.inner_text("#movement-history")
        assert page.locator("svg.point-map circle.site.current").count() == 1
        assert page.locator("svg.line-chart polyline.series").count() >= 1
        page.screenshot(path=str(tmp_path / "deposit.png"), full_page=True)

        # the yearly report of 2021, deposit by deposit: start 2 kg, end 3 kg
        page.goto(f"{base}/reports/yearly?year=2021&by=deposit")
        row = page.locator("#yearly tbody tr").first
        cells = row.locator("td").all_inner_texts()
        assert "Golden Hill" in cells and "2.00" in cells and "3.00" in cells
        page.screenshot(path=str(tmp_path / "yearly.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#download-xlsx")
        target = tmp_path / "balance-2021.xlsx"
        info.value.save_as(target)
        wb = openpyxl.load_workbook(target)
        values = [c for r in wb.active.iter_rows(values_only=True) for c in r]
        assert "Golden Hill" in values and 3.0 in values
    finally:
        context.close()
    assert problems == []
    shutil.copy(tmp_path / "deposit.png", tmp_path / "screenshot.png")
