"""A small WebSub hub on loopback, to exercise the subscriber and receiver end to end.

It does what a public hub (e.g. a WebSub reference hub) does, in one process: accepts
(un)subscribe requests with 202, verifies intent at the callback with a random
challenge in a background thread, grants a lease (capped by `max_lease_seconds`), and
distributes content to the verified callbacks of a topic, signed with each
subscriber's secret and retried with backoff while the callback answers 5xx or cannot
be reached. Tests, `benchmarks/latency.py` and demos use it; it is not a production hub.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx

from pipeline.websub.signatures import sign_body

log = logging.getLogger(__name__)


@dataclass(slots=True)
class HubSubscriber:
    """A callback the hub verified for a topic."""

    callback: str
    topic: str
    secret: str | None
    lease_seconds: int
    verified_at: float


@dataclass(slots=True)
class Delivery:
    """One content distribution to one callback: every attempt's status (None: no answer)."""

    callback: str
    statuses: list[int | None] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] is not None and 200 <= self.statuses[-1] < 300


class LocalHub:
    """A hub at `self.url` (after `start()` or `with`), serving (un)subscribe requests on loopback."""

    def __init__(self, *, max_lease_seconds: int = 864_000, signature_method: str = "sha256",
                 max_attempts: int = 5, retry_delay_s: float = 0.2, host: str = "127.0.0.1") -> None:
        self.max_lease_seconds = max_lease_seconds
        self.signature_method = signature_method
        self.max_attempts = max_attempts
        self.retry_delay_s = retry_delay_s
        self.subscribers: dict[tuple[str, str], HubSubscriber] = {}
        self.requests: list[dict[str, str]] = []
        self.verifications: list[tuple[str, str, bool]] = []  # (mode, callback, confirmed)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._client = httpx.Client(timeout=10.0)
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        host_, port = self._server.server_address[:2]
        self.url = f"http://{host_}:{port}/hub"
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)

    def start(self) -> LocalHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- subscriptions -----------------------------------------------------------------

    def subscribers_of(self, topic: str) -> list[HubSubscriber]:
        with self._lock:
            return [s for (_, t), s in self.subscribers.items() if t == topic]

    def wait_for(self, predicate, timeout_s: float = 10.0) -> bool:
        """Block until `predicate(hub)` holds (checked after every verification), or time out."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _accept(self, form: dict[str, str]) -> tuple[int, str]:
        mode, topic, callback = form.get("hub.mode"), form.get("hub.topic"), form.get("hub.callback")
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return 400, "hub.mode, hub.topic and hub.callback are required"
        with self._lock:
            self.requests.append(form)
        threading.Thread(target=self._verify, args=(form,), name="local-hub-verify", daemon=True).start()
        return 202, "accepted"

    def _verify(self, form: dict[str, str]) -> None:
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        challenge = secrets.token_urlsafe(16)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        lease = min(int(form.get("hub.lease_seconds") or self.max_lease_seconds), self.max_lease_seconds)
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(lease)
        try:
            response = self._client.get(callback, params=params)
            confirmed = response.status_code // 100 == 2 and response.text == challenge
        except httpx.HTTPError as exc:
            log.warning("local hub: verification of %s failed: %s", callback, exc)
            confirmed = False
        with self._changed:
            if confirmed and mode == "subscribe":
                self.subscribers[(callback, topic)] = HubSubscriber(callback, topic, form.get("hub.secret"),
                                                                    lease, time.time())
            elif confirmed:
                self.subscribers.pop((callback, topic), None)
            self.verifications.append((mode, callback, confirmed))
            self._changed.notify_all()

    # --- content distribution ----------------------------------------------------------

    def publish(self, topic: str, body: bytes, content_type: str = "application/atom+xml",
                *, tamper: bool = False, unsigned: bool = False) -> list[Delivery]:
        """Deliver `body` to every verified subscriber of `topic`, retrying on 5xx; the deliveries.

        `tamper`/`unsigned` send a wrong or no signature (for tests of the refusal).
        """
        deliveries = []
        for subscriber in self.subscribers_of(topic):
            headers = {"Content-Type": content_type, "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"'}
            if subscriber.secret and not unsigned:
                signed = body + b"tampered" if tamper else body
                headers["X-Hub-Signature"] = sign_body(subscriber.secret, signed, self.signature_method)
            deliveries.append(self._deliver(subscriber.callback, body, headers))
        return deliveries

    def _deliver(self, callback: str, body: bytes, headers: dict[str, str]) -> Delivery:
        delivery = Delivery(callback)
        for attempt in range(self.max_attempts):
            try:
                status: int | None = self._client.post(callback, content=body, headers=headers).status_code
            except httpx.HTTPError:
                status = None
            delivery.statuses.append(status)
            if status is not None and status < 500:
                break
            time.sleep(self.retry_delay_s * (2 ** attempt))
        return delivery

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, text = hub._accept(form)
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("local hub: " + format, *args)

        return Handler
