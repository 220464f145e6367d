"""The WebSub callback: a small ASGI app that answers hubs and stores what they push.

    GET  /websub/{callback_id}   verification of intent: echo `hub.challenge` or 404
    POST /websub/{callback_id}   content distribution: verify, parse, store, then 202
    GET  /healthz                liveness, and whether the warehouse answers

A push is acknowledged only after its entries are committed to the warehouse queue
(`entries`, source `push`) in one transaction with the subscription's counters: a
2xx is never a lost push, and a failure (database down, lock timeout) rolls all of it
back and answers 503 with Retry-After so the hub delivers again. Only then is the
Redis wake-up published; if Redis is down the push is still stored and acknowledged,
and the next `push_ingest` or `feed_monitor` run drains it.

Unsigned or badly signed pushes get 403, bodies that are not feeds 400, pushes for a
cancelled subscription 410 (which tells the hub to stop). The database work is plain
blocking psycopg, run in the thread pool so the event loop keeps answering.

What will never succeed gets a 4xx, so the hub stops: a malformed or non-ASCII
signature 403, a batch the warehouse rejects as such (`LoadError`: a constraint or a
value PostgreSQL refuses) 422. Only what may pass later gets 503 + Retry-After.

Size, time and concurrency are capped before a body is read: the callback is looked
up first (404/410 cost no read), a declared Content-Length over the cap is answered
413 at once, the body is read with a deadline (`BODY_READ_TIMEOUT_S`, else 408) and
at most `MAX_CONCURRENT_PUSHES` pushes are handled at once (more get 503 + Retry-After).

It runs as its own process (`wirewatch websub serve`): see the README for why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import DatabaseError, LoadError, MalformedFeed, SignatureError, WebSubError, one_line
from pipeline.http.urls import canonicalize_url, url_hash
from pipeline.websub import subscriptions as subs
from pipeline.websub.intent import check_intent
from pipeline.websub.notify import publish_wakeup
from pipeline.websub.signatures import SIGNATURE_HEADER, verify_signature

log = logging.getLogger(__name__)

#: seconds a hub is told to wait before delivering again after a 503
RETRY_AFTER_S = 30
#: the longest a push waits on a lock before it is answered 503 (the hub retries)
LOCK_TIMEOUT_S = 5.0
STATEMENT_TIMEOUT_S = 20.0
#: a push body must arrive within this many seconds (a trickling sender is cut off: 408)
BODY_READ_TIMEOUT_S = 30.0
#: pushes handled at once; more are answered 503 + Retry-After without reading them
MAX_CONCURRENT_PUSHES = 16


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to answer the hub: status, body, and for pushes how many entries were new."""

    status: int
    body: str
    entries_new: int = 0
    headers: dict[str, str] = field(default_factory=dict)


def handle_verification(settings: Settings, callback_id: str, params: Mapping[str, str]) -> Outcome:
    """Answer a hub's verification of intent, recording a confirmed one."""
    with _connection(settings) as conn:
        subscription = store.subscription_by_callback(conn, callback_id)
        decision = check_intent(params, topic_url=subscription.topic_url if subscription else None,
                                state=subscription.state if subscription else None)
        if not decision.confirmed:
            log.warning("verification for callback %s refused: %s", callback_id, decision.reason)
            return Outcome(404, decision.reason or "not confirmed")
        subs.record_verification(conn, subscription, decision.mode, lease_seconds=decision.lease_seconds,
                                 now=datetime.now(timezone.utc), reason=decision.reason)
        conn.commit()
    log.info("hub verified %s of %s (lease %s s)", decision.mode, subscription.topic_url, decision.lease_seconds)
    return Outcome(200, decision.challenge or "")


def handle_push(settings: Settings, callback_id: str, body: bytes, headers: Mapping[str, str],
                *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Outcome:
    """Verify, parse and store one push; the answer for the hub. Never acknowledges unstored work."""
    from pipeline.feeds.parse import parse_feed

    received_at = datetime.now(timezone.utc)
    with _connection(settings, lock_timeout_s=lock_timeout_s) as conn:
        subscription = store.subscription_by_callback(conn, callback_id)
        if subscription is None:
            return Outcome(404, "no subscription for this callback")
        if subscription.state in ("unsubscribing", "unsubscribed", "denied"):
            return Outcome(410, f"subscription to {subscription.topic_url} is {subscription.state}")
        try:
            method = verify_signature(subscription.secret, body, _header(headers, SIGNATURE_HEADER))
            feed = parse_feed(body, subscription.topic_url, headers=dict(headers))
        except (SignatureError, MalformedFeed) as exc:
            store.count_refused_push(conn, subscription.subscription_id, str(exc))
            conn.commit()
            log.warning("push to %s refused: %s", subscription.topic_url, exc)
            return Outcome(403 if isinstance(exc, SignatureError) else 400, str(exc))
        pairs = [(entry, url_hash(canonicalize_url(entry.link))) for entry in feed.entries if entry.link]
        with conn.transaction():
            entries_new = store.add_entries(conn, subscription.feed_id, pairs, source="push")
            subs.record_push(conn, subscription, entries_new, received_at)
        conn.commit()
    log.info("push to %s stored: %d entries, %d new (%s)", subscription.topic_url, len(pairs), entries_new, method)
    _wake(settings, subscription, entries_new, received_at)
    return Outcome(202, f"stored {entries_new} new of {len(pairs)} entries", entries_new)


def check_callback(settings: Settings, callback_id: str) -> Outcome | None:
    """The answer for a push to `callback_id` when it can be given before reading the body, else None."""
    with _connection(settings) as conn:
        subscription = store.subscription_by_callback(conn, callback_id)
    if subscription is None:
        return Outcome(404, "no subscription for this callback")
    if subscription.state in ("unsubscribing", "unsubscribed", "denied"):
        return Outcome(410, f"subscription to {subscription.topic_url} is {subscription.state}")
    return None


def create_app(settings: Settings, *, lock_timeout_s: float = LOCK_TIMEOUT_S,
               body_timeout_s: float = BODY_READ_TIMEOUT_S,
               max_concurrent: int = MAX_CONCURRENT_PUSHES) -> Starlette:
    """The receiver as an ASGI app (serve it with uvicorn, or mount it in another app)."""
    slots = asyncio.Semaphore(max(max_concurrent, 1))

    async def verification(request: Request) -> Response:
        outcome = await _guarded(handle_verification, settings, request.path_params["callback_id"],
                                 dict(request.query_params))
        return PlainTextResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)

    async def push(request: Request) -> Response:
        if slots.locked():  # every slot taken: refuse at once rather than queue unread bodies
            outcome = Outcome(503, f"more than {max_concurrent} pushes at once; retry later",
                              headers={"Retry-After": str(RETRY_AFTER_S)})
        else:
            async with slots:
                outcome = await _push(request)
        return PlainTextResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)

    async def _push(request: Request) -> Outcome:
        callback_id = request.path_params["callback_id"]
        declared = _declared_length(request.headers.get("content-length"))
        if declared is None:
            return Outcome(400, "Content-Length is not a number")
        if declared > settings.max_body_bytes:
            return Outcome(413, f"body of {declared} bytes over {settings.max_body_bytes}; raise WIREWATCH_MAX_BODY_BYTES")
        early = await _guarded(check_callback, settings, callback_id)
        if early is not None:
            return early
        try:
            body = await asyncio.wait_for(_read_capped(request, settings.max_body_bytes), body_timeout_s)
        except TimeoutError:
            return Outcome(408, f"body not received within {body_timeout_s:g} s")
        if body is None:
            return Outcome(413, f"body over {settings.max_body_bytes} bytes; raise WIREWATCH_MAX_BODY_BYTES")
        return await _guarded(handle_push, settings, callback_id, body, dict(request.headers),
                              lock_timeout_s=lock_timeout_s)

    async def health(request: Request) -> Response:
        outcome = await _guarded(_check_database, settings)
        return JSONResponse({"status": "ok" if outcome.status == 200 else "degraded", "database": outcome.body},
                            status_code=outcome.status)

    return Starlette(routes=[
        Route("/websub/{callback_id}", verification, methods=["GET"]),
        Route("/websub/{callback_id}", push, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ])


class RunningReceiver:
    """The receiver served by uvicorn in a background thread (tests, benchmark, sample runs)."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0, **app_options: float | str) -> None:
        import uvicorn

        config = uvicorn.Config(create_app(settings, **app_options), host=host, port=port,
                                log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.run, name="websub-receiver", daemon=True)
        self.base_url = ""

    def __enter__(self) -> RunningReceiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise WebSubError("the WebSub receiver did not start within 10 s; is the port free?")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve the receiver in this process until interrupted (`wirewatch websub serve`)."""
    import uvicorn

    log.info("WebSub receiver on http://%s:%d%s (public base %s)", host, port, "/websub/",
             settings.public_base_url or "not set")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)


# --- helpers -----------------------------------------------------------------------------


@contextlib.contextmanager
def _connection(settings: Settings, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[store.Connection]:
    """A warehouse connection with timeouts, so a hung database turns into a 503, not a hung hub.

    Whatever the driver raises while it is in use (a `BEGIN` or `COMMIT` on a connection the
    server terminated, say) becomes one of our database errors, so the hub gets a 503, never a 500.
    """
    with store.database.translate_errors("answering the hub"), \
            store.connect(settings, lock_timeout_s=lock_timeout_s, statement_timeout_s=STATEMENT_TIMEOUT_S) as conn:
        yield conn


async def _guarded(function, *args, **kwargs) -> Outcome | None:
    """Run blocking warehouse work in the thread pool; a database failure becomes 503 + Retry-After.

    A `LoadError` is the warehouse refusing this batch as it is (a constraint, a value it
    cannot store): delivering it again cannot help, so it is 422, not 503.
    """
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except LoadError as exc:
        log.error("answering 422, the push can never be stored: %s", exc)
        return Outcome(422, f"push refused by the warehouse, nothing stored: {one_line(exc)}")
    except DatabaseError as exc:
        log.error("answering 503, the hub will retry: %s", exc)
        return Outcome(503, f"warehouse unavailable, nothing stored: {exc}", headers={"Retry-After": str(RETRY_AFTER_S)})


async def _read_capped(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _declared_length(value: str | None) -> int | None:
    """The Content-Length as a number (0 when absent: a chunked body is capped as it is read), None when bogus."""
    if value is None:
        return 0
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 20 else None


def _check_database(settings: Settings) -> Outcome:
    with _connection(settings) as conn:
        store.ping(conn)
    return Outcome(200, "ok")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _wake(settings: Settings, subscription, entries_new: int, received_at: datetime) -> None:
    if entries_new == 0:
        return
    try:
        publish_wakeup(settings, {"subscription_id": subscription.subscription_id, "feed_id": subscription.feed_id,
                                  "entries_new": entries_new, "received_at": received_at.isoformat()})
    except WebSubError as exc:
        log.warning("push stored but not announced (the next run drains it): %s", exc)
