"""Helpers for real-browser tests: a Streamlit server and Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
LOCAL = ("http://localhost", "http://127.0.0.1", "ws://localhost", "ws://127.0.0.1",
         "data:", "blob:", "about:")


def require_chromium() -> None:
    """Skip on a developer machine without Chromium; fail in CI, where it must be there."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(store_path: Path, *, timeout: float = 60.0, with_process: bool = False):
    """Run ``streamlit run app.py`` on a free port against ``store_path``; yield its URL
    (and the server's ``Popen`` with ``with_process``)."""
    port = _free_port()
    env = {**os.environ, "GRIDMAP_STORE": str(store_path)}
    log = open(store_path.parent / "streamlit.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start: "
                                       + (store_path.parent / "streamlit.log").read_text()
                                       ) from None
                time.sleep(0.3)
        yield (url, proc) if with_process else url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium_page(*, width: int = 1400, height: int = 1000, block: bool = True):
    """A Playwright page in Debian's Chromium that refuses every non-local request.

    Yields ``(page, attempted)``; ``attempted`` lists the external URLs it refused.
    With ``block=False`` requests are only watched, not routed through Python
    (routing adds latency to every request, which would distort timings).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        attempted: list[str] = []

        def guard(route):
            if route.request.url.startswith(LOCAL):
                route.continue_()
            else:
                attempted.append(route.request.url)
                route.abort()

        if block:
            page.route("**/*", guard)
        else:
            page.on("request", lambda r: None if r.url.startswith(LOCAL)
                    else attempted.append(r.url))
        try:
            yield page, attempted
        finally:
            browser.close()


def open_as(page, url: str, role: str = "admin", password: str | None = None, *,
            ready: str = '[data-testid="stMain"] h1') -> None:
    """Open ``url`` and log in there as the demo account of ``role`` (each page load is
    a new session, so every ``goto`` logs in again); done when ``ready`` shows."""
    page.goto(url)
    english = "lang=en" in url
    page.get_by_role("textbox", name="User name" if english else "用户名").fill(role)
    page.get_by_role("textbox", name="Password" if english else "密码").fill(
        password or f"demo-{role}")
    page.get_by_role("button", name="Log in" if english else "登录", exact=True).click()
    page.wait_for_selector('[data-testid="stSidebar"] button:has-text("退出登录"), '
                           '[data-testid="stSidebar"] button:has-text("Log out")',
                           state="attached", timeout=60_000)
    wait_for_app(page, selector=ready)


def wait_for_app(page, timeout_ms: int = 60_000, *,
                 selector: str = '[data-testid="stMain"] h1') -> None:
    """Wait until Streamlit has drawn the page (``selector`` shows) and finished running
    the script."""
    page.wait_for_selector(selector, timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)
    page.wait_for_timeout(300)


_DRAWN_CHECK = """() => !!(window.map && document.querySelector('.leaflet-control-layers')
                     && document.querySelector('canvas'))"""


def map_frame(page, timeout_ms: int = 30_000):
    """The st_folium iframe once Leaflet has drawn the map and its layer control.

    Checked in the frame on every animation frame (not by polling from here, which
    would add up to a polling interval to every timing)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                frame.wait_for_function(_DRAWN_CHECK, polling="raf", timeout=250)
                return frame
            except Error:  # not drawn yet, or replaced meanwhile: look again
                pass
        page.wait_for_timeout(20)
    raise AssertionError("the map was not drawn")


DRAWN_JS = """() => {
  let units = 0, points = 0;
  for (const k in window.map._layers) {
    const l = window.map._layers[k];
    if (l.feature && l.feature.properties && l.feature.properties.i) units++;
    if (l.count && l._canvas) points += l.count();
  }
  return [units, points];
}"""
