"""Verification of intent: echo the challenge only for requests this subscriber made."""

import pytest

from pipeline.websub.intent import check_intent

TOPIC = "https://news.example/feed.xml"


def params(mode="subscribe", topic=TOPIC, challenge="c-123", lease="864000", **extra):
    values = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge, "hub.lease_seconds": lease}
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize("state", ["subscribing", "active"])
def test_websub_intent_subscribe_confirmed_with_challenge_and_lease(state):
    decision = check_intent(params(), topic_url=TOPIC, state=state)
    assert decision.confirmed and decision.challenge == "c-123" and decision.lease_seconds == 864000


def test_websub_intent_subscribe_without_lease_is_confirmed_without_one():
    decision = check_intent(params(lease=None), topic_url=TOPIC, state="subscribing")
    assert decision.confirmed and decision.lease_seconds is None


def test_websub_intent_unsubscribe_confirmed_only_when_asked():
    assert check_intent(params("unsubscribe", lease=None), topic_url=TOPIC, state="unsubscribing").confirmed
    refused = check_intent(params("unsubscribe", lease=None), topic_url=TOPIC, state="active")
    assert not refused.confirmed and "not expecting unsubscribe" in refused.reason


def test_websub_intent_denied_needs_no_challenge():
    decision = check_intent(params("denied", challenge=None, lease=None, **{"hub.reason": "blocked"}),
                            topic_url=TOPIC, state="subscribing")
    assert decision.confirmed and decision.challenge is None and decision.reason == "blocked"


@pytest.mark.parametrize(
    "request_params, topic, state, reason",
    [
        (params(topic="https://evil.example/feed"), TOPIC, "subscribing", "not this callback's topic"),
        (params(), None, None, "no subscription"),
        (params(), TOPIC, "unsubscribed", "not expecting subscribe"),
        (params(challenge=None), TOPIC, "subscribing", "hub.challenge is missing"),
        (params(lease="soon"), TOPIC, "subscribing", "not a positive integer"),
        (params(mode="publish"), TOPIC, "subscribing", "is not subscribe"),
        ({}, TOPIC, "subscribing", "is not subscribe"),
    ],
)
def test_websub_intent_refused(request_params, topic, state, reason):
    decision = check_intent(request_params, topic_url=topic, state=state)
    assert not decision.confirmed and reason in decision.reason
