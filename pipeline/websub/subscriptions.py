"""The `websub_subscriptions` table (sql/030): reading and recording subscriptions.

A subscription row exists from the moment we decide to subscribe, before the hub is
asked, because a hub may verify our intent before it even answers the request. Its
`callback_id` and `secret` are made once and kept across renewals, so a push signed
just before a renewal still verifies after it.

Functions take an open connection and leave committing to the caller, except where
a docstring says otherwise; errors come out as `DatabaseUnavailable`/`DatabaseError`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import class_row

from pipeline.store.database import translate_errors
from pipeline.websub.leases import lease_expires_at, needs_renewal
from pipeline.websub.signatures import new_secret

#: a feed with a live subscription is still polled, but only this often, as a safety net
SAFETY_NET_POLL_S = 6 * 3600
#: a request the hub refused, denied, or never verified is tried again after this long
RETRY_AFTER = timedelta(hours=6)
STATES = ("subscribing", "active", "unsubscribing", "unsubscribed", "denied", "failed")

_COLUMNS = """subscription_id, feed_id, hub_url, topic_url, callback_id, secret, state, lease_seconds,
    lease_expires_at, requested_at, last_verified_at, last_push_at, pushes_received, pushes_refused,
    entries_pushed, last_error"""


@dataclass(frozen=True, slots=True)
class Subscription:
    """One `websub_subscriptions` row."""

    subscription_id: int
    feed_id: int | None
    hub_url: str
    topic_url: str
    callback_id: str
    secret: str
    state: str
    lease_seconds: int | None
    lease_expires_at: datetime | None
    requested_at: datetime
    last_verified_at: datetime | None
    last_push_at: datetime | None
    pushes_received: int
    pushes_refused: int
    entries_pushed: int
    last_error: str | None


def new_callback_id() -> str:
    """An unguessable URL-safe path segment (22 characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def request_subscription(conn: psycopg.Connection, feed_id: int | None, hub_url: str,
                         topic_url: str) -> Subscription:
    """The row for (hub, topic) in state `subscribing`, created with a fresh callback and secret if new."""
    statement = f"""
        insert into websub_subscriptions (feed_id, hub_url, topic_url, callback_id, secret, state)
        values (%(feed_id)s, %(hub_url)s, %(topic_url)s, %(callback_id)s, %(secret)s, 'subscribing')
        on conflict (hub_url, topic_url) do update
           set feed_id = coalesce(excluded.feed_id, websub_subscriptions.feed_id),
               state = case when websub_subscriptions.state = 'active' then 'active' else 'subscribing' end,
               requested_at = now(), last_error = null
        returning {_COLUMNS}"""
    params = {"feed_id": feed_id, "hub_url": hub_url, "topic_url": topic_url,
              "callback_id": new_callback_id(), "secret": new_secret()}
    with translate_errors(f"recording the subscription to {topic_url}"), \
            conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(statement, params).fetchone()


def get_by_callback(conn: psycopg.Connection, callback_id: str) -> Subscription | None:
    """The subscription a callback URL belongs to, or None."""
    with translate_errors("reading a subscription"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(f"select {_COLUMNS} from websub_subscriptions where callback_id = %s",
                           (callback_id,)).fetchone()


def list_subscriptions(conn: psycopg.Connection, states: Sequence[str] | None = None) -> list[Subscription]:
    """Every subscription (or those in `states`), by id."""
    with translate_errors("listing subscriptions"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        if states is None:
            return cur.execute(f"select {_COLUMNS} from websub_subscriptions order by subscription_id").fetchall()
        return cur.execute(f"select {_COLUMNS} from websub_subscriptions where state = any(%s) "
                           "order by subscription_id", (list(states),)).fetchall()


def set_state(conn: psycopg.Connection, subscription_id: int, state: str, *, error: str | None = None,
              requested: bool = False) -> None:
    """Move a subscription to `state` (with the error that caused it); `requested` stamps `requested_at`."""
    if state not in STATES:
        raise ValueError(f"unknown subscription state {state!r}")
    with translate_errors(f"updating subscription {subscription_id}"):
        conn.execute("""update websub_subscriptions
                           set state = %(state)s, last_error = %(error)s,
                               requested_at = case when %(requested)s then now() else requested_at end,
                               lease_seconds = case when %(state)s = 'active' then lease_seconds end,
                               lease_expires_at = case when %(state)s = 'active' then lease_expires_at end
                         where subscription_id = %(id)s""",
                     {"state": state, "error": error, "requested": requested, "id": subscription_id})


def record_error(conn: psycopg.Connection, subscription_id: int, error: str) -> None:
    """Note an error without changing the state (a failed renewal leaves the lease running)."""
    with translate_errors(f"updating subscription {subscription_id}"):
        conn.execute("update websub_subscriptions set last_error = %s where subscription_id = %s",
                     (error[:500], subscription_id))


def record_verification(conn: psycopg.Connection, subscription: Subscription, mode: str, *,
                        lease_seconds: int | None, now: datetime, reason: str | None = None) -> None:
    """Record a verification the receiver confirmed: subscribe, unsubscribe or denied."""
    if mode == "subscribe":
        lease = lease_seconds
        values = {"state": "active", "lease_seconds": lease, "expires": lease_expires_at(now, lease), "error": None}
    elif mode == "unsubscribe":
        values = {"state": "unsubscribed", "lease_seconds": None, "expires": None, "error": None}
    elif mode == "denied":
        values = {"state": "denied", "lease_seconds": None, "expires": None, "error": f"denied by the hub: {reason}"}
    else:
        raise ValueError(f"unknown hub.mode {mode!r}")
    with translate_errors(f"recording the verification of subscription {subscription.subscription_id}"):
        conn.execute("""update websub_subscriptions
                           set state = %(state)s, lease_seconds = %(lease_seconds)s,
                               lease_expires_at = %(expires)s, last_verified_at = %(now)s, last_error = %(error)s
                         where subscription_id = %(id)s""",
                     {**values, "now": now, "id": subscription.subscription_id})
        if mode == "subscribe" and subscription.feed_id is not None:
            defer_polling(conn, subscription.feed_id, now)


def record_push(conn: psycopg.Connection, subscription: Subscription, entries_new: int, now: datetime) -> None:
    """Count a stored push, and push the feed's next safety-net poll out."""
    with translate_errors(f"recording a push to subscription {subscription.subscription_id}"):
        conn.execute("""update websub_subscriptions
                           set pushes_received = pushes_received + 1, entries_pushed = entries_pushed + %s,
                               last_push_at = %s
                         where subscription_id = %s""", (entries_new, now, subscription.subscription_id))
        if subscription.feed_id is not None:
            defer_polling(conn, subscription.feed_id, now)


def record_refused(conn: psycopg.Connection, subscription: Subscription, reason: str) -> None:
    """Count a refused push (bad signature, not a feed) with its reason."""
    with translate_errors(f"recording a refused push to subscription {subscription.subscription_id}"):
        conn.execute("""update websub_subscriptions set pushes_refused = pushes_refused + 1, last_error = %s
                         where subscription_id = %s""", (reason[:500], subscription.subscription_id))


def defer_polling(conn: psycopg.Connection, feed_id: int, now: datetime) -> None:
    """A pushed feed needs polling only as a safety net: no sooner than `SAFETY_NET_POLL_S` from now.

    Each verification and push moves the next poll out again; once pushes stop
    (lease lapsed, hub gone), ordinary adaptive polling takes over at that poll.
    """
    with translate_errors(f"deferring the polling of feed {feed_id}"):
        conn.execute("update feeds set next_poll_at = greatest(next_poll_at, %s) where feed_id = %s",
                     (now + timedelta(seconds=SAFETY_NET_POLL_S), feed_id))


def set_feed_hub(conn: psycopg.Connection, feed_id: int, hub_url: str, topic_url: str) -> None:
    """Remember a feed's discovered hub and topic (`rel=hub`, `rel=self`)."""
    with translate_errors(f"recording the hub of feed {feed_id}"):
        conn.execute("update feeds set hub_url = %s, self_url = %s where feed_id = %s", (hub_url, topic_url, feed_id))


def due_for_renewal(conn: psycopg.Connection, now: datetime) -> list[Subscription]:
    """Active subscriptions of enabled feeds whose lease is within its renewal margin (or over)."""
    with translate_errors("selecting leases to renew"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        rows = cur.execute(f"""select {", ".join("s." + c.strip() for c in _COLUMNS.split(","))}
                                 from websub_subscriptions s join feeds f using (feed_id)
                                where s.state = 'active' and f.enabled and s.lease_expires_at is not null
                                order by s.lease_expires_at""").fetchall()
    return [s for s in rows if needs_renewal(s.lease_expires_at, s.lease_seconds, now)]


def feeds_to_subscribe(conn: psycopg.Connection, now: datetime) -> list[tuple[int, str, str]]:
    """(feed_id, hub, topic) of enabled feeds with a hub and no live or recent subscription request."""
    with translate_errors("selecting feeds to subscribe"):
        return conn.execute("""
            select f.feed_id, f.hub_url, coalesce(f.self_url, f.url)
              from feeds f
             where f.enabled and f.hub_url is not null
               and not exists (
                   select 1 from websub_subscriptions s
                    where s.feed_id = f.feed_id
                      and (s.state in ('active', 'unsubscribing')
                           or (s.state in ('subscribing', 'failed', 'denied') and s.requested_at > %s)))
             order by f.feed_id""", (now - RETRY_AFTER,)).fetchall()


def subscriptions_to_cancel(conn: psycopg.Connection) -> list[Subscription]:
    """Live subscriptions whose feed was deleted or disabled: unsubscribe from them."""
    with translate_errors("selecting subscriptions to cancel"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(f"""select {", ".join("s." + c.strip() for c in _COLUMNS.split(","))}
                                 from websub_subscriptions s left join feeds f using (feed_id)
                                where s.state in ('subscribing', 'active', 'unsubscribing')
                                  and (f.feed_id is null or not f.enabled)
                                order by s.subscription_id""").fetchall()
