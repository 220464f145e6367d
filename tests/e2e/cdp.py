"""A small Chrome DevTools Protocol client over the `websockets` library.

Why not Selenium or Playwright: both fetch a browser driver or a browser of their own,
and the browser test must use Debian's chromium as it is. Chromium speaks CDP over a
websocket when started with `--remote-debugging-port`, which is all the test needs:
navigate, evaluate JavaScript, type, read network responses, take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of Debian's chromium, or None when it is not installed."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """A headless chromium process and a CDP session on its first page."""

    def __init__(self, executable: str, profile: Path, width: int = 1600, height: int = 3600) -> None:
        self.profile = profile
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--use-angle=swiftshader",
             "--enable-unsafe-swiftshader", f"--window-size={width},{height}", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self.ws = None

    async def connect(self, timeout: float = 30.0) -> None:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with httpx.AsyncClient() as client:
            targets = (await client.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a CDP method; events that arrive meanwhile are kept for `events()`."""
        call_id = next(self._ids)
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    async def drain(self, seconds: float = 0.2) -> None:
        """Collect events for a moment without calling anything."""
        try:
            while True:
                message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=seconds))
                if "method" in message:
                    self._events.append(message)
        except asyncio.TimeoutError:
            return

    def events(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self._events if e["method"] == method]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"javascript failed: {result['exceptionDetails'].get('text')}: {expression[:80]}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 60.0, interval: float = 0.5) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        wrapped = f"(() => {{ const v = ({expression}); return v instanceof Node ? true : v; }})()"
        while True:
            value = await self.evaluate(wrapped)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for: {expression[:120]}")
            await self.drain(interval)

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def type_into(self, selector: str, text: str) -> None:
        """Focus an input and type, through real input events (React sees them)."""
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)

    async def screenshot(self, path: Path) -> None:
        data = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
