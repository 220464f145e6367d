"""WebSub push in the warehouse: the `websub_subscriptions` table (sql/030) and the feeds'
hub columns, as the subscriber and the receiver read and record them.

What a verification or a push means (a lease's end, how far a pushed feed's polling is put
off, when a refused request is tried again) is decided in `pipeline.websub.subscriptions`;
these functions only run the statements. They take an open connection and leave committing
to the caller; errors come out as `DatabaseUnavailable`/`DatabaseError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from pipeline.store import statements as q
from pipeline.store.database import translate_errors

SUBSCRIPTION_STATES = ("subscribing", "active", "unsubscribing", "unsubscribed", "denied", "failed")
#: a stored error or refusal reason is cut to this many characters
ERROR_CHARS = 500


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


@dataclass(frozen=True, slots=True)
class HubFeed:
    """An enabled feed with a hub: what to subscribe to, and where."""

    feed_id: int
    hub_url: str
    topic_url: str


def _columns(alias: str | None = None) -> sql.Composed:
    """The `Subscription` columns, qualified by `alias` when given."""
    names = [field.name for field in fields(Subscription)]
    return sql.SQL(", ").join(sql.Identifier(alias, name) if alias else sql.Identifier(name) for name in names)


_INSERT_SUBSCRIPTION = sql.SQL("""
insert into websub_subscriptions (feed_id, hub_url, topic_url, callback_id, secret, state)
values (%(feed_id)s, %(hub_url)s, %(topic_url)s, %(callback_id)s, %(secret)s, 'subscribing')
on conflict (hub_url, topic_url) do update
   set feed_id = coalesce(excluded.feed_id, websub_subscriptions.feed_id),
       state = case when websub_subscriptions.state = 'active' then 'active' else 'subscribing' end,
       requested_at = now(), last_error = null
returning {columns}
""").format(columns=_columns())

_SELECT_BY_CALLBACK = sql.SQL("select {columns} from websub_subscriptions where callback_id = %s").format(
    columns=_columns())

_SELECT_SUBSCRIPTIONS = sql.SQL("select {columns} from websub_subscriptions order by subscription_id").format(
    columns=_columns())

_SELECT_SUBSCRIPTIONS_IN_STATES = sql.SQL("""
select {columns} from websub_subscriptions where state = any(%s) order by subscription_id
""").format(columns=_columns())

_SET_STATE = """
update websub_subscriptions
   set state = %(state)s, last_error = %(error)s,
       requested_at = case when %(requested)s then now() else requested_at end,
       lease_seconds = case when %(state)s = 'active' then lease_seconds end,
       lease_expires_at = case when %(state)s = 'active' then lease_expires_at end
 where subscription_id = %(id)s
"""

_SET_ERROR = "update websub_subscriptions set last_error = %s where subscription_id = %s"

_SET_VERIFIED = """
update websub_subscriptions
   set state = %(state)s, lease_seconds = %(lease_seconds)s,
       lease_expires_at = %(expires)s, last_verified_at = %(now)s, last_error = %(error)s
 where subscription_id = %(id)s
"""

_COUNT_PUSH = """
update websub_subscriptions
   set pushes_received = pushes_received + 1, entries_pushed = entries_pushed + %s, last_push_at = %s
 where subscription_id = %s
"""

_COUNT_REFUSED = """
update websub_subscriptions set pushes_refused = pushes_refused + 1, last_error = %s
 where subscription_id = %s
"""

_SET_FEED_HUB = "update feeds set hub_url = %s, self_url = %s where feed_id = %s"

_SELECT_LEASED = sql.SQL("""
select {columns}
  from websub_subscriptions s join feeds f using (feed_id)
 where s.state = 'active' and f.enabled and s.lease_expires_at is not null
 order by s.lease_expires_at
""").format(columns=_columns("s"))

_SELECT_HUB_FEEDS = """
select f.feed_id, f.hub_url, coalesce(f.self_url, f.url) as topic_url
  from feeds f
 where f.enabled and f.hub_url is not null
   and not exists (
       select 1 from websub_subscriptions s
        where s.feed_id = f.feed_id
          and (s.state in ('active', 'unsubscribing')
               or (s.state in ('subscribing', 'failed', 'denied') and s.requested_at > %s)))
 order by f.feed_id
"""

_SELECT_TO_CANCEL = sql.SQL("""
select {columns}
  from websub_subscriptions s left join feeds f using (feed_id)
 where s.state in ('subscribing', 'active', 'unsubscribing')
   and (f.feed_id is null or not f.enabled)
 order by s.subscription_id
""").format(columns=_columns("s"))


def upsert_subscription(conn: psycopg.Connection, feed_id: int | None, hub_url: str, topic_url: str, *,
                        callback_id: str, secret: str) -> Subscription:
    """The row for (hub, topic) in state `subscribing` (an active one stays active), created with
    `callback_id` and `secret` if new; an existing row keeps its own."""
    params = {"feed_id": feed_id, "hub_url": hub_url, "topic_url": topic_url,
              "callback_id": callback_id, "secret": secret}
    with translate_errors(f"recording the subscription to {topic_url}"), \
            conn.cursor(row_factory=class_row(Subscription)) as cur:
        row = cur.execute(_INSERT_SUBSCRIPTION, params).fetchone()
    assert row is not None  # insert ... on conflict do update always returns the row
    return row


def subscription_by_callback(conn: psycopg.Connection, callback_id: str) -> Subscription | None:
    """The subscription a callback URL belongs to, or None."""
    with translate_errors("reading a subscription"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(_SELECT_BY_CALLBACK, (callback_id,)).fetchone()


def list_subscriptions(conn: psycopg.Connection, states: Sequence[str] | None = None) -> list[Subscription]:
    """Every subscription (or those in `states`), by id."""
    with translate_errors("listing subscriptions"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        if states is None:
            return cur.execute(_SELECT_SUBSCRIPTIONS).fetchall()
        return cur.execute(_SELECT_SUBSCRIPTIONS_IN_STATES, (list(states),)).fetchall()


def set_subscription_state(conn: psycopg.Connection, subscription_id: int, state: str, *,
                           error: str | None = None, requested: bool = False) -> None:
    """Move a subscription to `state` (with the error that caused it); `requested` stamps `requested_at`.

    Only `active` keeps the lease; any other state clears it.
    """
    if state not in SUBSCRIPTION_STATES:
        raise ValueError(f"unknown subscription state {state!r}")
    with translate_errors(f"updating subscription {subscription_id}"):
        conn.execute(_SET_STATE, {"state": state, "error": error, "requested": requested, "id": subscription_id})


def record_subscription_error(conn: psycopg.Connection, subscription_id: int, error: str) -> None:
    """Note an error without changing the state (a failed renewal leaves the lease running)."""
    with translate_errors(f"updating subscription {subscription_id}"):
        conn.execute(_SET_ERROR, (error[:ERROR_CHARS], subscription_id))


def record_verified(conn: psycopg.Connection, subscription_id: int, *, state: str, lease_seconds: int | None,
                    lease_expires_at: datetime | None, verified_at: datetime, error: str | None) -> None:
    """Record what a verification of intent the receiver confirmed leaves: state, lease, error."""
    with translate_errors(f"recording the verification of subscription {subscription_id}"):
        conn.execute(_SET_VERIFIED, {"state": state, "lease_seconds": lease_seconds, "expires": lease_expires_at,
                                     "now": verified_at, "error": error, "id": subscription_id})


def count_push(conn: psycopg.Connection, subscription_id: int, entries_new: int, pushed_at: datetime) -> None:
    """Count a stored push and the entries it added that were new."""
    with translate_errors(f"recording a push to subscription {subscription_id}"):
        conn.execute(_COUNT_PUSH, (entries_new, pushed_at, subscription_id))


def count_refused_push(conn: psycopg.Connection, subscription_id: int, reason: str) -> None:
    """Count a refused push (bad signature, not a feed) with its reason."""
    with translate_errors(f"recording a refused push to subscription {subscription_id}"):
        conn.execute(_COUNT_REFUSED, (reason[:ERROR_CHARS], subscription_id))


def defer_feed_polling(conn: psycopg.Connection, feed_id: int, not_before: datetime) -> None:
    """Poll a pushed feed no sooner than `not_before`; a feed deleted meanwhile is no error
    (unlike `store.defer_feed`), and no savepoint is taken: it runs in the push's transaction."""
    with translate_errors(f"deferring the polling of feed {feed_id}"):
        conn.execute(q.DEFER_FEED, {"feed_id": feed_id, "next_poll_at": not_before})


def set_feed_hub(conn: psycopg.Connection, feed_id: int, hub_url: str, topic_url: str) -> None:
    """Remember a feed's discovered hub and topic (`rel=hub`, `rel=self`)."""
    with translate_errors(f"recording the hub of feed {feed_id}"):
        conn.execute(_SET_FEED_HUB, (hub_url, topic_url, feed_id))


def leased_subscriptions(conn: psycopg.Connection) -> list[Subscription]:
    """Active subscriptions of enabled feeds that hold a lease, the soonest to end first."""
    with translate_errors("selecting leases to renew"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(_SELECT_LEASED).fetchall()


def hub_feeds_to_subscribe(conn: psycopg.Connection, requested_before: datetime) -> list[HubFeed]:
    """Enabled feeds with a hub and no live subscription, nor a request (pending, refused or
    denied) made after `requested_before`; by feed id."""
    with translate_errors("selecting feeds to subscribe"), conn.cursor(row_factory=class_row(HubFeed)) as cur:
        return cur.execute(_SELECT_HUB_FEEDS, (requested_before,)).fetchall()


def subscriptions_to_cancel(conn: psycopg.Connection) -> list[Subscription]:
    """Live subscriptions whose feed was deleted or disabled: unsubscribe from them."""
    with translate_errors("selecting subscriptions to cancel"), conn.cursor(row_factory=class_row(Subscription)) as cur:
        return cur.execute(_SELECT_TO_CANCEL).fetchall()
