"""WebSub subscriptions: what a request, a verification and a push mean for the warehouse.

A subscription row exists from the moment we decide to subscribe, before the hub is
asked, because a hub may verify our intent before it even answers the request. Its
`callback_id` and `secret` are made once and kept across renewals, so a push signed
just before a renewal still verifies after it.

The statements are `pipeline.store.websub`'s; the rows are `store.Subscription`. Functions
take an open connection and leave committing to the caller; errors come out as
`DatabaseUnavailable`/`DatabaseError`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pipeline import store
from pipeline.store import Connection, HubFeed, Subscription
from pipeline.websub.leases import lease_expires_at, needs_renewal
from pipeline.websub.signatures import new_secret

#: a feed with a live subscription is still polled, but only this often, as a safety net
SAFETY_NET_POLL_S = 6 * 3600
#: a request the hub refused, denied, or never verified is tried again after this long
RETRY_AFTER = timedelta(hours=6)


def new_callback_id() -> str:
    """An unguessable URL-safe path segment (22 characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def request_subscription(conn: Connection, feed_id: int | None, hub_url: str, topic_url: str) -> Subscription:
    """The row for (hub, topic) in state `subscribing`, created with a fresh callback and secret if new."""
    return store.upsert_subscription(conn, feed_id, hub_url, topic_url, callback_id=new_callback_id(),
                                     secret=new_secret())


def record_verification(conn: Connection, subscription: Subscription, mode: str, *,
                        lease_seconds: int | None, now: datetime, reason: str | None = None) -> None:
    """Record a verification the receiver confirmed: subscribe, unsubscribe or denied."""
    if mode == "subscribe":
        values = {"state": "active", "lease_seconds": lease_seconds,
                  "lease_expires_at": lease_expires_at(now, lease_seconds), "error": None}
    elif mode == "unsubscribe":
        values = {"state": "unsubscribed", "lease_seconds": None, "lease_expires_at": None, "error": None}
    elif mode == "denied":
        values = {"state": "denied", "lease_seconds": None, "lease_expires_at": None,
                  "error": f"denied by the hub: {reason}"}
    else:
        raise ValueError(f"unknown hub.mode {mode!r}")
    store.record_verified(conn, subscription.subscription_id, verified_at=now, **values)
    if mode == "subscribe" and subscription.feed_id is not None:
        defer_polling(conn, subscription.feed_id, now)


def record_push(conn: Connection, subscription: Subscription, entries_new: int, now: datetime) -> None:
    """Count a stored push, and push the feed's next safety-net poll out."""
    store.count_push(conn, subscription.subscription_id, entries_new, now)
    if subscription.feed_id is not None:
        defer_polling(conn, subscription.feed_id, now)


def defer_polling(conn: Connection, feed_id: int, now: datetime) -> None:
    """A pushed feed needs polling only as a safety net: no sooner than `SAFETY_NET_POLL_S` from now.

    Each verification and push moves the next poll out again; once pushes stop
    (lease lapsed, hub gone), ordinary adaptive polling takes over at that poll.
    """
    store.defer_feed_polling(conn, feed_id, now + timedelta(seconds=SAFETY_NET_POLL_S))


def due_for_renewal(conn: Connection, now: datetime) -> list[Subscription]:
    """Active subscriptions of enabled feeds whose lease is within its renewal margin (or over)."""
    return [s for s in store.leased_subscriptions(conn) if needs_renewal(s.lease_expires_at, s.lease_seconds, now)]


def feeds_to_subscribe(conn: Connection, now: datetime) -> list[HubFeed]:
    """Enabled feeds with a hub and no live subscription, nor a request made within `RETRY_AFTER`."""
    return store.hub_feeds_to_subscribe(conn, now - RETRY_AFTER)
