"""`python -m gridmap serve --replicas 2`: two app processes behind HAProxy, one store.

Starts the real thing (HAProxy from Debian, two Streamlit replicas) on free ports, checks
the cookie affinity, logs in through the proxy in Chromium on each replica, writes
through one and reads the write through the other, then stops it with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gridmap.serve import COOKIE, REPLICA_HEADER, compose_config, haproxy_binary

from .browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, open_as, require_chromium

pytestmark = pytest.mark.browser


def _require_haproxy() -> str:
    try:
        return haproxy_binary()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def _children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children") as f:
            out += [int(c) for c in f.read().split()]
    return out


@pytest.fixture(scope="module")
def served(_small_store_template, tmp_path_factory):
    require_chromium()
    _require_haproxy()
    path = tmp_path_factory.mktemp("serve") / "small.gpkg"
    shutil.copyfile(_small_store_template, path)
    port = _free_port()
    out = open(path.parent / "serve.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmap", "serve", "--replicas", "2", "--port", str(port),
         "--address", "127.0.0.1", "--store", str(path)],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 150
    while "serving http://" not in (path.parent / "serve.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("serve did not start:\n" + (path.parent / "serve.log").read_text())
        time.sleep(0.3)
    children = _children(proc.pid)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "proc": proc, "path": path,
               "children": children, "log": path.parent / "serve.log"}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status, r.headers


def test_new_clients_spread_over_the_replicas_and_keep_theirs(served):
    assigned = []
    for _ in range(4):  # new clients, no cookie: HAProxy picks and inserts one
        status, headers = _get(served["url"] + "/")
        assert status == 200
        cookie = headers["Set-Cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
        assigned.append(headers[REPLICA_HEADER])
        assert cookie.split(";")[0] == f"{COOKIE}={headers[REPLICA_HEADER]}"
    assert set(assigned) == {"r1", "r2"}
    for name in ("r1", "r2"):  # a client with the cookie stays on its replica
        for _ in range(3):
            status, headers = _get(served["url"] + "/_stcore/health", f"{COOKIE}={name}")
            assert status == 200 and headers[REPLICA_HEADER] == name
            assert not any(c.startswith(f"{COOKIE}=")  # nothing to change
                           for c in headers.get_all("Set-Cookie") or [])


def _pinned(browser, url: str, replica: str):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.add_cookies([{"name": COOKIE, "value": replica, "url": url}])
    return context, context.new_page()


def _coverage(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Coverage").first
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_a_write_through_one_replica_is_read_through_the_other(served, small_frames):
    from playwright.sync_api import sync_playwright

    households = small_frames["households"]
    red = households[households["tier"] == "red"].iloc[0]  # overdue by now (every 7 days)
    url = f"{served['url']}/coverage?area=grid:{red['grid_id']}&lang=en"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _, reader = _pinned(browser, served["url"], "r2")
            _, writer = _pinned(browser, served["url"], "r1")
            answered = {}
            for name, page in (("r2", reader), ("r1", writer)):
                page.on("response", lambda r, n=name: answered.setdefault(n, set()).add(
                    r.headers.get(REPLICA_HEADER.lower())) if r.url.startswith(
                        served["url"]) else None)
            open_as(reader, url)  # r2 draws the grid's coverage: its caches fill
            before = _coverage(reader)
            open_as(writer, url)
            writer.get_by_role("tab", name="Log a visit").click()
            picker = writer.get_by_label("Household (alias · grid)").filter(visible=True)
            picker.click()
            picker.fill(red["alias"])
            writer.get_by_role("option", name=re.compile(re.escape(red["alias"]))).first.click()
            writer.get_by_role("button", name="Save the visit").click()
            expect(writer.get_by_text(re.compile(r"^Saved\."))).to_be_visible(timeout=30_000)
            open_as(reader, url)  # the reader's next run, on r2
            expect(reader.get_by_test_id("stMetric").filter(has_text="Coverage").first
                   .get_by_test_id("stMetricValue")).not_to_have_text(before, timeout=30_000)
            assert answered == {"r1": {"r1"}, "r2": {"r2"}}  # each session on its replica
            reader.screenshot(path=ROOT / "tests" / "artifacts" / "serve-reader.png")
        finally:
            browser.close()
    from gridmap.store import open_store
    visits = open_store(served["path"]).read("visits")
    assert (visits["household_id"] == red["household_id"]).any()


def test_ctrl_c_stops_the_proxy_and_every_replica(served):
    proc, children = served["proc"], served["children"]
    assert len(children) == 3  # two replicas and HAProxy
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    assert "stopped" in served["log"].read_text()
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
            f"/proc/{pid}/status").read_text().lower(), pid


def test_the_compose_proxy_configuration_is_the_generated_one(tmp_path):
    """deploy/haproxy.cfg is ``haproxy_config`` for the Compose file's three replicas, and
    HAProxy accepts it."""
    shipped = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert shipped == compose_config(), "regenerate: python -m gridmap.serve > deploy/haproxy.cfg"
    assert "server app3 app3:8501 check" in shipped and f"cookie {COOKIE} insert" in shipped
    haproxy = _require_haproxy()
    check = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    for name in ("app1", "app2", "app3"):
        assert re.search(rf"^  {name}:", compose, re.M), name
    assert "postgis/postgis" in compose and "haproxy" in compose
