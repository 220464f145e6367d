"""The Superset dashboard in a real browser: `scripts/dashboard.py serve` over a warehouse
loaded by a real cycle over the sample site, headless Debian chromium driven over the
DevTools protocol; log in, open the dashboard, check every chart drew data, and save
the screenshot the README shows (docs/dashboard.png).

Skipped, with the reason, when Superset (`make dashboard` installs `.venv-superset`)
or chromium (`apt-get install chromium`) is missing. Takes about two minutes, most of it
Superset's own start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.flows import cycle
from pipeline.models import FeedSpec
from pipeline.sample_site import serve_sample_site

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, find_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SUPERSET = ROOT / ".venv-superset" / "bin" / "superset"
#: the README's screenshot; rewritten only when UPDATE_SCREENSHOTS=1, so a test run leaves the tree clean
SCREENSHOT = ROOT / "docs" / "dashboard.png"
EXPECTED_CHARTS = 10
START_TIMEOUT_S = 420

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SUPERSET.exists(), reason="Superset is not installed in .venv-superset (run `make dashboard`)"),
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def warehouse_url(make_database, analyzer) -> str:
    url = make_database()
    with store.connect(url) as conn:
        store.migrate(conn)
    settings = Settings(database_url=url, allow_private=("127.0.0.1", "localhost"), batch_size=8)
    with serve_sample_site(port=0) as site:
        summary = cycle.run_cycle(settings, [FeedSpec(url=u) for u in site.feed_urls], force=True, analyzer=analyzer)
    assert summary["counts"]["events"] > 0
    return url


@pytest.fixture(scope="module")
def superset_url(warehouse_url, tmp_path_factory):
    """Superset serving the imported dashboard on a free loopback port."""
    port = _free_port()
    home = tmp_path_factory.mktemp("superset")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(WIREWATCH_DATABASE_URL=warehouse_url, SUPERSET_ADMIN_USERNAME="admin", SUPERSET_ADMIN_PASSWORD="admin")
    log = (home / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "dashboard.py"), "serve", "--port", str(port),
                               "--home", str(home)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"dashboard.py serve exited with {server.returncode}:\n"
                            + (home / "serve.log").read_text()[-3000:])
            try:
                if httpx.get(f"{base}/health", timeout=2).text.strip() == "OK":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Superset did not answer on {base} within {START_TIMEOUT_S} s")
            time.sleep(1)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


CHART_STATES = """
Array.from(document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')).map(h => ({
  title: ((h.querySelector('[data-test="editable-title"]') || {}).textContent || '').trim(),
  loading: h.querySelectorAll('.loading').length,
  error: h.querySelectorAll('[role="alert"].ant-alert-error, [data-test="error-message"]').length,
  empty: /No results were returned/.test(h.innerText),
  canvas: h.querySelectorAll('canvas').length,
  paths: h.querySelectorAll('svg path').length,
  rows: h.querySelectorAll('table tbody tr').length,
}))
"""


def _rows_in(body: dict) -> int:
    """Rows a chart-data response carries (the v1 API and the legacy explore_json)."""
    if "result" in body:
        return sum(int(r.get("rowcount") or 0) for r in body["result"])
    if body.get("rowcount") is not None:
        return int(body["rowcount"])
    data = body.get("data")
    return len(data) if isinstance(data, list) else int(bool(data))


async def _browse(base: str, profile: Path, screenshot: Path) -> tuple[dict[int, str], list[dict], dict[int, int]]:
    browser = Browser(find_chromium(), profile)
    try:
        await browser.connect()
        await browser.send("Page.enable")
        await browser.send("Network.enable")
        await browser.navigate(f"{base}/login/")
        await browser.wait_for("document.querySelector('[data-test=username-input]')")
        await browser.type_into("[data-test=username-input]", "admin")
        await browser.type_into("[data-test=password-input]", "admin")
        await browser.evaluate("document.querySelector('[data-test=login-button]').click()")
        await browser.wait_for("!location.pathname.startsWith('/login')")

        charts = await browser.evaluate(
            "fetch('/api/v1/dashboard/wirewatch/charts').then(r => r.json())"
            ".then(j => j.result.map(c => [c.id, c.slice_name]))")
        await browser.navigate(f"{base}/superset/dashboard/wirewatch/")
        await browser.wait_for(f"document.querySelectorAll('[data-test=\"dashboard-component-chart-holder\"]')"
                               f".length >= {len(charts)}", timeout=120)
        await browser.wait_for("document.querySelectorAll('.loading').length === 0", timeout=120)
        await browser.drain(3)  # let the last charts paint
        states = await browser.evaluate(CHART_STATES)

        rows: dict[int, int] = {}
        for response in browser.events("Network.responseReceived"):
            url = response["response"]["url"]
            form_data = parse_qs(urlparse(url).query).get("form_data")
            if not form_data or response["response"]["status"] != 200:
                continue
            slice_id = json.loads(form_data[0]).get("slice_id")
            body = await browser.send("Network.getResponseBody", requestId=response["requestId"])
            rows[slice_id] = _rows_in(json.loads(body["body"]))
        await browser.screenshot(screenshot)
        return dict(charts), states, rows
    finally:
        await browser.close()


def test_dashboard_every_chart_renders_data(superset_url, tmp_path):
    screenshot = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "dashboard.png"
    charts, states, rows = asyncio.run(_browse(superset_url, tmp_path / "profile", screenshot))

    assert len(charts) == EXPECTED_CHARTS, charts
    assert sorted(s["title"] for s in states) == sorted(charts.values())
    for state in states:
        assert not state["loading"] and not state["error"] and not state["empty"], state
        assert state["canvas"] or state["paths"] or state["rows"], f"nothing drawn: {state}"
    tables = [s for s in states if s["rows"]]
    assert len(tables) >= 5 and all(s["rows"] >= 1 for s in tables)
    for chart_id, title in charts.items():
        assert rows.get(chart_id, 0) > 0, f"chart {title!r} got no rows: {rows}"
    assert screenshot.stat().st_size > 50_000
