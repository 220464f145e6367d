"""Lease maths: expiry, renewal margin, when to renew."""

from datetime import datetime, timedelta, timezone

import pytest

from pipeline.websub import leases

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
DAY = 86_400


def test_websub_lease_expiry_counts_from_verification():
    assert leases.lease_expires_at(T0, 3600) == T0 + timedelta(hours=1)
    assert leases.lease_expires_at(T0, None) is None
    with pytest.raises(ValueError):
        leases.lease_expires_at(T0, 0)


@pytest.mark.parametrize(
    "lease_s, margin_s",
    [
        (10 * DAY, 2 * DAY),  # a fifth of ten days
        (DAY, 4.8 * 3600),  # a fifth of a day is above the hour floor
        (3 * 3600, 3600),  # the one-hour floor
        (3600, 1800),  # never more than half the lease
        (60, 30),
    ],
)
def test_websub_lease_renewal_margin(lease_s, margin_s):
    assert leases.renewal_margin(lease_s) == timedelta(seconds=margin_s)


def test_websub_lease_needs_renewal_only_inside_the_margin():
    expires = leases.lease_expires_at(T0, 10 * DAY)
    assert not leases.needs_renewal(expires, 10 * DAY, T0)
    assert not leases.needs_renewal(expires, 10 * DAY, T0 + timedelta(days=7, hours=23))
    assert leases.needs_renewal(expires, 10 * DAY, T0 + timedelta(days=8))
    assert leases.needs_renewal(expires, 10 * DAY, T0 + timedelta(days=11))  # lapsed: renew now


def test_websub_lease_without_end_never_needs_renewal():
    assert not leases.needs_renewal(None, None, T0)
    assert leases.needs_renewal(T0, None, T0)


def test_websub_lease_margin_is_longer_than_the_renewal_run_for_default_leases():
    assert leases.renewal_margin(leases.DEFAULT_LEASE_SECONDS).total_seconds() > leases.RENEWAL_RUN_S


@pytest.mark.parametrize("raw, parsed", [(None, None), ("", None), ("864000", 864000), (" 60 ", 60)])
def test_websub_lease_seconds_parsed(raw, parsed):
    assert leases.parse_lease_seconds(raw) == parsed


@pytest.mark.parametrize("raw", ["-5", "0", "ten", "1.5"])
def test_websub_lease_seconds_invalid(raw):
    with pytest.raises(ValueError):
        leases.parse_lease_seconds(raw)
