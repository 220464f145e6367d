"""Lease maths: when a subscription expires and when to renew it.

A hub grants a subscription for `hub.lease_seconds` from the moment it verified the
intent; after that it stops pushing without telling anyone. Renewing is a fresh
subscribe request, so it must start early enough to survive a slow hub and a
renewal run that comes only every `RENEWAL_RUN_S`: we renew once less than a fifth
of the lease (at least an hour, at most half the lease) is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: the lease asked for: 10 days, what most public hubs grant at most
DEFAULT_LEASE_SECONDS = 10 * 24 * 3600
#: how often `websub_renew` runs; margins below this would let leases lapse
RENEWAL_RUN_S = 15 * 60
MIN_MARGIN_S = 3600
MARGIN_FRACTION = 0.2


def lease_expires_at(verified_at: datetime, lease_seconds: int | None) -> datetime | None:
    """When a lease verified at `verified_at` ends; None for a lease without an end."""
    if lease_seconds is None:
        return None
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
    return verified_at + timedelta(seconds=lease_seconds)


def renewal_margin(lease_seconds: int) -> timedelta:
    """How long before expiry to renew: a fifth of the lease, at least an hour, at most half."""
    margin = max(lease_seconds * MARGIN_FRACTION, MIN_MARGIN_S)
    return timedelta(seconds=min(margin, lease_seconds / 2))


def renew_at(expires_at: datetime, lease_seconds: int) -> datetime:
    """The moment from which a lease should be renewed."""
    return expires_at - renewal_margin(lease_seconds)


def needs_renewal(expires_at: datetime | None, lease_seconds: int | None, now: datetime) -> bool:
    """True when the lease is within its renewal margin, or already over."""
    if expires_at is None:
        return False
    if lease_seconds is None or lease_seconds <= 0:
        return now >= expires_at
    return now >= renew_at(expires_at, lease_seconds)


def parse_lease_seconds(value: str | None) -> int | None:
    """`hub.lease_seconds` as the hub sent it; None when absent, ValueError when not a positive integer."""
    if value is None or value.strip() == "":
        return None
    seconds = int(value.strip())
    if seconds <= 0:
        raise ValueError(f"hub.lease_seconds must be positive, got {value!r}")
    return seconds
