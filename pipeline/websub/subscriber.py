"""Subscribing to hubs: subscribe, renew before the lease ends, unsubscribe removed feeds.

A (un)subscription request is a form POST to the hub (`hub.mode`, `hub.topic`,
`hub.callback`, `hub.lease_seconds`, `hub.secret`); the hub answers 202 and later
verifies our intent at the callback (see `intent` and `receiver`), which is when the
subscription becomes active. The callback is `<public base URL>/websub/<callback id>`,
so push only works where the hub can reach that URL (`WIREWATCH_PUBLIC_BASE_URL`).

The row is committed before the request is sent, because a hub may verify while our
request is still open. Hub URLs come from feeds, which anyone can write, so the hub's
address is checked against the same private-address policy as fetching.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import ConfigError, FetchError, HubError, MalformedFeed, WebSubError, one_line
from pipeline.http.connections import AddressPolicy, AddressRefused
from pipeline.http.fetch import Fetcher
from pipeline.models import FeedSpec
from pipeline.store import Subscription
from pipeline.websub import subscriptions as subs
from pipeline.websub.discovery import discover_hub
from pipeline.websub.leases import DEFAULT_LEASE_SECONDS

log = logging.getLogger(__name__)

CALLBACK_PATH = "/websub/"


def callback_url(settings: Settings, callback_id: str) -> str:
    """The public URL the hub calls for one subscription."""
    if not settings.public_base_url:
        raise ConfigError("WebSub needs a public callback URL: set WIREWATCH_PUBLIC_BASE_URL "
                          "to the address where the hub can reach `wirewatch websub serve`")
    return settings.public_base_url.rstrip("/") + CALLBACK_PATH + callback_id


@contextmanager
def hub_client(settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client for hub requests, with the fetcher's timeouts and User-Agent."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    with httpx.Client(timeout=timeout, headers={"User-Agent": settings.user_agent_header},
                      follow_redirects=False) as client:
        yield client


def request_hub(settings: Settings, client: httpx.Client, subscription: Subscription, mode: str, *,
                lease_seconds: int | None = DEFAULT_LEASE_SECONDS) -> int:
    """POST one (un)subscribe request for `subscription`; the hub's status, or `HubError`."""
    _check_hub_address(settings, subscription.hub_url)
    form = {"hub.mode": mode, "hub.topic": subscription.topic_url,
            "hub.callback": callback_url(settings, subscription.callback_id)}
    if mode == "subscribe":
        form["hub.secret"] = subscription.secret
        if lease_seconds:
            form["hub.lease_seconds"] = str(lease_seconds)
    try:
        response = client.post(subscription.hub_url, data=form)
    except httpx.HTTPError as exc:
        raise HubError(f"hub {subscription.hub_url} unreachable for {mode} of {subscription.topic_url}: "
                       f"{exc}; retried at the next renewal run", url=subscription.hub_url) from None
    if not 200 <= response.status_code < 300:
        raise HubError(f"hub {subscription.hub_url} answered {response.status_code} to {mode} of "
                       f"{subscription.topic_url}: {one_line(response.text) or 'no reason given'}",
                       url=subscription.hub_url, status=response.status_code)
    log.info("hub %s accepted %s of %s (%s)", subscription.hub_url, mode, subscription.topic_url,
             response.status_code)
    return response.status_code


def subscribe(settings: Settings, conn: store.Connection, client: httpx.Client, feed_id: int | None,
              hub_url: str, topic_url: str, *, lease_seconds: int | None = DEFAULT_LEASE_SECONDS) -> Subscription:
    """Ask `hub_url` to push `topic_url`; also renews an active subscription. Commits.

    A refusal leaves a new subscription `failed` (retried after `RETRY_AFTER`) and an
    active one active until its lease ends; both raise `HubError`.
    """
    callback_url(settings, "check")  # fail on missing configuration before writing anything
    subscription = subs.request_subscription(conn, feed_id, hub_url, topic_url)
    conn.commit()
    try:
        request_hub(settings, client, subscription, "subscribe", lease_seconds=lease_seconds)
    except WebSubError as exc:
        if subscription.state == "active":
            store.record_subscription_error(conn, subscription.subscription_id, str(exc))
        else:
            store.set_subscription_state(conn, subscription.subscription_id, "failed", error=str(exc))
        conn.commit()
        raise
    return subscription


def unsubscribe(settings: Settings, conn: store.Connection, client: httpx.Client,
                subscription: Subscription) -> None:
    """Ask the hub to stop pushing; the row becomes `unsubscribed` when the hub verifies. Commits."""
    store.set_subscription_state(conn, subscription.subscription_id, "unsubscribing", requested=True)
    conn.commit()
    try:
        request_hub(settings, client, subscription, "unsubscribe")
    except WebSubError as exc:
        store.record_subscription_error(conn, subscription.subscription_id, str(exc))
        conn.commit()
        raise


def maintain_subscriptions(settings: Settings, *, now: datetime | None = None,
                           client: httpx.Client | None = None) -> dict[str, int]:
    """One renewal pass: renew leases about to end, subscribe new hub feeds, cancel removed ones.

    Each hub's failure is logged and counted, and the pass goes on with the others.
    """
    counts: Counter[str] = Counter()
    if not settings.public_base_url:
        log.warning("WIREWATCH_PUBLIC_BASE_URL is not set: WebSub push is off, feeds are polled only")
        counts["skipped_no_public_url"] += 1
        return dict(counts)
    now = now or datetime.now(timezone.utc)
    with store.connect(settings) as conn, _client(settings, client) as http:
        for subscription in subs.due_for_renewal(conn, now):
            _count(counts, "renewed", lambda s=subscription: subscribe(
                settings, conn, http, s.feed_id, s.hub_url, s.topic_url))
        for feed in subs.feeds_to_subscribe(conn, now):
            _count(counts, "subscribed", lambda f=feed: subscribe(
                settings, conn, http, f.feed_id, f.hub_url, f.topic_url))
        for subscription in store.subscriptions_to_cancel(conn):
            _count(counts, "unsubscribed", lambda s=subscription: unsubscribe(settings, conn, http, s))
        conn.commit()
    log.info("websub maintenance: %s", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to do")
    return dict(counts)


def subscribe_feed(settings: Settings, feed_url: str, *, client: httpx.Client | None = None) -> Subscription:
    """Register `feed_url`, fetch it, discover its hub, and subscribe (`wirewatch websub subscribe`)."""
    from pipeline.feeds.parse import parse_feed

    callback_url(settings, "check")  # no public URL: say so before registering anything
    with store.connect(settings) as conn:
        (feed_id,) = store.upsert_feeds(conn, [FeedSpec(url=feed_url)])
        conn.commit()
        try:
            with Fetcher(settings) as fetcher:
                page = fetcher.fetch(feed_url, kind="feed")
            links = discover_hub(page.final_url, page.headers, parse_feed(page.content, page.final_url,
                                                                          headers=page.headers))
        except (FetchError, MalformedFeed) as exc:
            raise WebSubError(f"cannot discover the hub of {feed_url}: {exc}") from None
        if links is None:
            raise WebSubError(f"{feed_url} names no WebSub hub (no rel=hub link in its headers or document); "
                              "it stays on polling")
        store.set_feed_hub(conn, feed_id, links.hub_url, links.topic_url)
        conn.commit()
        with _client(settings, client) as http:
            return subscribe(settings, conn, http, feed_id, links.hub_url, links.topic_url)


def unsubscribe_feed(settings: Settings, feed_url: str, *, client: httpx.Client | None = None) -> int:
    """Unsubscribe every live subscription of the feed at `feed_url`; how many requests were sent."""
    with store.connect(settings) as conn, _client(settings, client) as http:
        feed_ids = {f.feed_id for f in store.list_feeds(conn) if f.url == feed_url}
        live = [s for s in store.list_subscriptions(conn, ("subscribing", "active"))
                if s.feed_id in feed_ids or s.topic_url == feed_url]
        if not live:
            raise WebSubError(f"no live subscription for {feed_url}; list them with `wirewatch websub list`")
        for subscription in live:
            unsubscribe(settings, conn, http, subscription)
    return len(live)


# --- helpers -----------------------------------------------------------------------------


@contextmanager
def _client(settings: Settings, given: httpx.Client | None) -> Iterator[httpx.Client]:
    if given is not None:
        yield given
        return
    with hub_client(settings) as client:
        yield client


def _count(counts: Counter[str], what: str, action) -> None:
    try:
        action()
        counts[what] += 1
    except WebSubError as exc:
        counts[f"{what}_failed"] += 1
        log.warning("websub %s skipped: %s", what, exc)


def _check_hub_address(settings: Settings, hub_url: str) -> None:
    """Refuse hubs on private, loopback or metadata addresses unless allowed, like fetching does."""
    parts = urlsplit(hub_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubError(f"hub URL {hub_url!r} is not http(s); fix the feed's rel=hub link", url=hub_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        AddressPolicy(settings.allow_private).resolve(parts.hostname, port)
    except ConnectionError as exc:
        raise HubError(f"hub {hub_url}: {exc}", url=hub_url) from None
    except AddressRefused as exc:
        raise HubError(f"hub {hub_url} refused: {exc}; allow it with WIREWATCH_ALLOW_PRIVATE", url=hub_url) from None
