"""The wake-up message: a Redis PUBLISH that the `push_ingest` DAG's AssetWatcher hears.

The message carries no work, only a hint of what arrived: the entries are already in
the warehouse when it is sent. Redis pub/sub forgets a message nobody is listening for
(triggerer down, DAG paused), so a lost message delays processing until the next
wake-up or the next `feed_monitor` run; it loses nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

from pipeline.config import Settings
from pipeline.errors import WebSubError

log = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 2.0


def publish_wakeup(settings: Settings, message: dict[str, Any]) -> int:
    """Publish `message` as JSON on `settings.push_channel`; how many subscribers heard it (0: nobody listening).

    `dags/push_ingest.py` watches the same `Settings.push_channel` (`WIREWATCH_PUSH_CHANNEL`).
    """
    channel = settings.push_channel
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=SOCKET_TIMEOUT_S,
                                  socket_connect_timeout=SOCKET_TIMEOUT_S)
    try:
        receivers = int(client.publish(channel, json.dumps(message, default=str)))
    except redis.RedisError as exc:
        raise WebSubError(f"cannot publish the wake-up on {channel} at {_where(settings.redis_url)}: {exc}; "
                          "is Redis running? set WIREWATCH_REDIS_URL") from None
    finally:
        client.close()
    if receivers == 0:
        log.warning("wake-up on %s heard by nobody: is the triggerer running and push_ingest unpaused?", channel)
    return receivers


def _where(url: str) -> str:
    """The Redis URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"
