"""Being a good guest on other people's servers: per-host pacing, backoff and robots.txt.

One `Politeness` is shared by every fetch a process makes through one `Fetcher`, feed
polls and article pages alike, from any number of threads:

- at most `Settings.host_concurrency` requests to a host at once, and their starts at
  least `Settings.host_delay` seconds apart (or the robots.txt `Crawl-delay`, when
  larger, up to `MAX_CRAWL_DELAY_S`). Hosts are independent: a thousand feeds on a
  thousand hosts are not slowed by the delay, a thousand pages of one site are;
- a 429 or 503 puts the whole host on hold for its `Retry-After` (`DEFAULT_BACKOFF_S`
  when it gives none); a request that would have to wait longer than `max_wait_s`
  raises `HostBusy` at once instead of blocking a worker, so the caller defers it;
- article pages are checked against the site's robots.txt (RFC 9309), fetched by us
  through the same guarded `Fetcher` (redirects followed, up to `max_redirects`, 5 by
  default, as §2.3.1.2 asks; only the first `ROBOTS_MAX_BYTES` read, §2.5) and parsed
  by protego: the group of our product token (else `*`), the longest matching rule
  winning, `Allow` on a tie, `*` and `$` in patterns (§2.2). Cached per origin for
  `ROBOTS_TTL_S`. A missing robots.txt (4xx) allows everything; an unreachable one
  (5xx, 429, network error) disallows everything for `ROBOTS_RETRY_S`, which defers
  the pages (`HostBusy`) rather than failing them, unless an earlier copy was read:
  that copy is kept meanwhile (§2.4 allows it while the file is unreachable).

The limits hold inside one process, whose fetchers share one `Politeness` per Settings
(`process_politeness`): a Retry-After or a robots.txt learnt in one batch still holds in
the next batch, cycle or drain of the same process. Across Airflow workers the `wirewatch_fetch`
pool bounds how many fetching tasks run at once; tasks of one run share no state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from protego import Protego

from pipeline.config import Settings
from pipeline.errors import BlockedAddress, FetchError, HostBusy, RobotsDisallowed
from pipeline.http.urls import host_of
from pipeline.models import Page

__all__ = ["Politeness", "RobotsRules", "RobotsTxt", "forget_politeness", "host_key", "parse_robots",
           "process_politeness", "robots_url"]

logger = logging.getLogger(__name__)

#: a 429/503 without Retry-After holds the host this long
DEFAULT_BACKOFF_S = 60.0
#: no host is put on hold longer than this, whatever its Retry-After says
MAX_BACKOFF_S = 6 * 3600.0
#: a request that would wait longer than this for its host raises `HostBusy` instead
MAX_WAIT_S = 30.0
#: a Crawl-delay above this is read as this (some sites ask for an hour)
MAX_CRAWL_DELAY_S = 30.0
#: RFC 9309: a cached robots.txt should not be used for more than 24 hours
ROBOTS_TTL_S = 24 * 3600.0
#: after a 5xx or a network error, robots.txt is asked for again this much later
ROBOTS_RETRY_S = 15 * 60.0
#: RFC 9309: parse at least 500 KiB; the rest of a larger file is ignored
ROBOTS_MAX_BYTES = 500 * 1024


class _Fetches(Protocol):
    def fetch(self, url: str, *, kind: str = "page") -> Page: ...


class RobotsTxt:
    """One parsed robots.txt, asked in the argument order `urllib.robotparser` used."""

    __slots__ = ("_parsed",)

    def __init__(self, parsed: Protego) -> None:
        self._parsed = parsed

    def can_fetch(self, agent: str, url: str) -> bool:
        return self._parsed.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        delay = self._parsed.crawl_delay(agent)
        return float(delay) if delay is not None else None


@dataclass(slots=True)
class RobotsRules:
    """What one origin's robots.txt says, for how long it may be trusted."""

    parser: RobotsTxt | None
    expires_at: float
    unreachable: bool = False
    reason: str = ""

    def allows(self, agent: str, url: str) -> bool:
        if self.unreachable:
            return False
        return self.parser is None or self.parser.can_fetch(agent, url)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        return self.parser.crawl_delay(agent)


@dataclass(slots=True)
class _Host:
    semaphore: threading.BoundedSemaphore
    next_start: float = 0.0
    hold_until: float = 0.0
    delay: float = 0.0
    robots: dict[str, RobotsRules] = field(default_factory=dict)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)


class Politeness:
    """Per-host pacing, Retry-After holds and robots.txt, shared across threads.

    `clock` and `sleep` are injectable so the pacing maths is tested without waiting.
    """

    def __init__(self, settings: Settings, *, robots: bool = True, max_wait_s: float = MAX_WAIT_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay_s = max(settings.host_delay, 0.0)
        self.concurrency = max(settings.host_concurrency, 1)
        self.robots = robots
        self.max_wait_s = max_wait_s
        self.agent = robots_agent(settings.user_agent)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}

    # --- pacing ---------------------------------------------------------------------------

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's request slots for the duration of one request.

        Waits for the host's next start time (delay since the previous start, or the
        end of a Retry-After hold); raises `HostBusy` when that is over `max_wait_s`.
        """
        host = self._host(url)
        with self._lock:
            now = self._clock()
            start = max(now, host.next_start, host.hold_until)
            wait = start - now
            if wait > self.max_wait_s:
                held = host.hold_until >= host.next_start
                raise HostBusy(f"{url}: {host_of(url)} is on hold for {wait:.0f}s more "
                               f"({'Retry-After' if held else 'pacing'}); deferred to a later cycle",
                               url=url, retry_after=wait, held=held)
            host.next_start = start + max(self.delay_s, host.delay)
        if wait > 0:
            logger.debug("waiting %.2fs for host %s before %s", wait, host_of(url), url)
            self._sleep(wait)
        if not host.semaphore.acquire(timeout=self.max_wait_s):
            # our own limit, not the host's wish: the URL is due again at the very next cycle
            raise HostBusy(f"{url}: {self.concurrency} requests to {host_of(url)} already running for "
                           f"{self.max_wait_s:.0f}s; deferred to the next cycle", url=url,
                           retry_after=self.max_wait_s, held=False)
        try:
            yield
        finally:
            host.semaphore.release()

    def hold(self, url: str, seconds: float | None) -> float:
        """Ask nothing of `url`'s host for `seconds` (a 429/503's Retry-After); the hold applied."""
        seconds = DEFAULT_BACKOFF_S if seconds is None else min(max(seconds, 0.0), MAX_BACKOFF_S)
        host = self._host(url)
        with self._lock:
            host.hold_until = max(host.hold_until, self._clock() + seconds)
        logger.warning("host %s on hold for %.0fs after %s", host_of(url), seconds, url)
        return seconds

    def spacing(self, url: str) -> float:
        """Seconds between two request starts at `url`'s host: the delay, or its Crawl-delay when larger."""
        return max(self.delay_s, self._host(url).delay)

    def held_for(self, url: str) -> float:
        """Seconds until `url`'s host may be asked again (0 when it may be now)."""
        host = self._host(url)
        with self._lock:
            return max(0.0, host.hold_until - self._clock())

    # --- robots.txt -----------------------------------------------------------------------

    def check_robots(self, fetcher: _Fetches, url: str) -> None:
        """Raise `RobotsDisallowed` (or `HostBusy` while robots.txt is unreachable) for `url`."""
        if not self.robots:
            return
        rules = self.robots_rules(fetcher, url)
        if rules.allows(self.agent, url):
            return
        if rules.unreachable:
            retry = max(rules.expires_at - self._clock(), 1.0)
            raise HostBusy(f"{url}: robots.txt of {host_of(url)} is unreachable ({rules.reason}); "
                           "pages there are deferred until it answers", url=url, retry_after=retry)
        raise RobotsDisallowed(f"{url}: disallowed by {robots_url(url)} for user agent {self.agent!r}; "
                               "skipped", url=url)

    def robots_rules(self, fetcher: _Fetches, url: str) -> RobotsRules:
        """The cached rules of `url`'s origin, fetching robots.txt when missing or stale."""
        origin = robots_url(url)
        host = self._host(url)
        with host.robots_lock:  # one fetch per origin, however many threads ask
            rules = host.robots.get(origin)
            if rules is None or rules.expires_at <= self._clock():
                fresh = self._fetch_robots(fetcher, origin)
                if fresh.unreachable and rules is not None and rules.parser is not None:
                    # RFC 9309 §2.4: a cached copy may serve past its day while the file is unreachable
                    logger.warning("robots.txt %s unreachable (%s); its last copy still applies", origin,
                                   fresh.reason)
                    fresh = RobotsRules(rules.parser, fresh.expires_at)
                rules = host.robots[origin] = fresh
                delay = rules.crawl_delay(self.agent)
                if delay is not None:
                    host.delay = min(max(delay, 0.0), MAX_CRAWL_DELAY_S)
        return rules

    def _fetch_robots(self, fetcher: _Fetches, origin: str) -> RobotsRules:
        now = self._clock()
        try:
            page = fetcher.fetch(origin, kind="robots")
        except (BlockedAddress, HostBusy):
            raise  # the pages there are refused (or deferred) anyway, and for this very reason
        except FetchError as exc:
            status = getattr(exc, "status", None)
            if status is not None and 400 <= status < 500 and status != 429:
                logger.info("no robots.txt at %s (HTTP %s): everything allowed", origin, status)
                return RobotsRules(None, now + ROBOTS_TTL_S)
            logger.warning("robots.txt %s unreachable, pages deferred: %s", origin, exc)
            reason = f"HTTP {status}" if status is not None else type(exc).__name__
            return RobotsRules(None, now + ROBOTS_RETRY_S, unreachable=True, reason=reason)
        # RFC 9309 §2.5: only the first 500 KiB count (the fetcher reads no more for kind="robots");
        # the file is UTF-8 (§2.3), whatever its Content-Type says
        body = page.content[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
        return RobotsRules(parse_robots(body), now + ROBOTS_TTL_S)

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        host = self._hosts.get(key)
        if host is None:
            with self._lock:
                host = self._hosts.setdefault(key, _Host(threading.BoundedSemaphore(self.concurrency)))
        return host


def parse_robots(text: str) -> RobotsTxt:
    """A robots.txt body parsed per RFC 9309 (protego: linear in the file's size)."""
    return RobotsTxt(Protego.parse(text.removeprefix("\ufeff")))


def robots_url(url: str) -> str:
    """The robots.txt URL governing `url` (same scheme, host and port)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/robots.txt"


def robots_agent(user_agent: str) -> str:
    """The product token robots.txt groups are matched against ("Wirewatch/0.1 (...)" -> "Wirewatch")."""
    token = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "Wirewatch"
    return token or "Wirewatch"


def host_key(url: str) -> str:
    """The host (and port) whose slots, pacing and holds a request to `url` shares; never raises."""
    try:
        port = urlsplit(url).port
    except ValueError:  # fetch refuses such URLs first; never let a key raise
        port = None
    return f"{host_of(url)}:{port or ''}"


_PROCESS: dict[Settings, Politeness] = {}
_PROCESS_LOCK = threading.Lock()


def process_politeness(settings: Settings) -> Politeness:
    """This process's one `Politeness` for `settings`, kept for the process's life (thread-safe)."""
    with _PROCESS_LOCK:
        polite = _PROCESS.get(settings)
        if polite is None:
            polite = _PROCESS[settings] = Politeness(settings)
        return polite


def forget_politeness() -> None:
    """Drop what this process learnt about hosts (tests reusing one loopback host between cases)."""
    with _PROCESS_LOCK:
        _PROCESS.clear()
