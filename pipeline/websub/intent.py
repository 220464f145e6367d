"""Verification of intent (WebSub section 5.3): does this subscriber want what the hub asks?

Before a subscription or unsubscription takes effect the hub GETs the callback with
`hub.mode`, `hub.topic`, `hub.challenge` and, for a subscription, `hub.lease_seconds`.
The subscriber confirms by echoing the challenge, and only for a request it actually
made: a subscribe for the topic it subscribed to, while it still wants it, and an
unsubscribe only after it asked for one. Anything else gets a 404, so nobody can
subscribe our callback to a topic or cancel our subscription behind our back. A hub
that refuses a subscription sends `hub.mode=denied` with `hub.reason`, and needs no
challenge back.

This module decides; `receiver` records the decision in the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.websub.leases import parse_lease_seconds

#: subscription states in which a hub's verification of each mode is expected
ACCEPTS: dict[str, frozenset[str]] = {
    "subscribe": frozenset({"subscribing", "active"}),
    "unsubscribe": frozenset({"unsubscribing"}),
    "denied": frozenset({"subscribing", "active"}),
}


@dataclass(frozen=True, slots=True)
class IntentDecision:
    """What to answer: `confirmed` (200 with `challenge`) or not (404 with `reason`)."""

    confirmed: bool
    mode: str | None
    challenge: str | None = None
    lease_seconds: int | None = None
    reason: str | None = None


def check_intent(params: Mapping[str, str], *, topic_url: str | None, state: str | None) -> IntentDecision:
    """Decide on the hub's verification request `params` for a subscription in `state`.

    `topic_url`/`state` are those of the subscription the callback belongs to; None
    when the callback is unknown.
    """
    mode = params.get("hub.mode")
    if mode not in ACCEPTS:
        return IntentDecision(False, mode, reason=f"hub.mode {mode!r} is not subscribe, unsubscribe or denied")
    if state is None or topic_url is None:
        return IntentDecision(False, mode, reason="no subscription for this callback")
    topic = params.get("hub.topic")
    if topic != topic_url:
        return IntentDecision(False, mode, reason=f"hub.topic {topic!r} is not this callback's topic {topic_url!r}")
    if state not in ACCEPTS[mode]:
        return IntentDecision(False, mode, reason=f"not expecting {mode} while the subscription is {state}")
    if mode == "denied":
        return IntentDecision(True, mode, reason=params.get("hub.reason") or "denied by the hub")
    challenge = params.get("hub.challenge")
    if not challenge:
        return IntentDecision(False, mode, reason="hub.challenge is missing")
    lease_seconds = None
    if mode == "subscribe":
        try:
            lease_seconds = parse_lease_seconds(params.get("hub.lease_seconds"))
        except ValueError:
            return IntentDecision(False, mode, reason=f"hub.lease_seconds {params.get('hub.lease_seconds')!r} is not a positive integer")
    return IntentDecision(True, mode, challenge=challenge, lease_seconds=lease_seconds)
