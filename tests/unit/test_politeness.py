"""Per-host pacing, Retry-After holds and robots.txt rules, on a fake clock (no waiting)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import HostBusy
from pipeline.http.politeness import MAX_BACKOFF_S, Politeness, parse_robots, robots_agent, robots_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monitor"


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def _polite(clock: FakeClock, **settings: object) -> Politeness:
    return Politeness(Settings(**settings), clock=clock, sleep=clock.sleep)


def test_politeness_spaces_requests_to_one_host_by_the_delay() -> None:
    clock = FakeClock()
    polite = _polite(clock, host_delay=2.0)
    for _ in range(3):
        with polite.slot("https://news.example/a"):
            pass
    assert clock.sleeps == [2.0, 2.0]


def test_politeness_delay_is_per_host() -> None:
    clock = FakeClock()
    polite = _polite(clock, host_delay=2.0)
    for host in ("a.example", "b.example", "c.example", "A.EXAMPLE"):
        with polite.slot(f"https://{host}/feed.xml"):
            pass
    assert clock.sleeps == [2.0]  # only the second request to a.example waited


def test_politeness_does_not_wait_when_the_delay_has_passed() -> None:
    clock = FakeClock()
    polite = _polite(clock, host_delay=1.0)
    with polite.slot("https://news.example/1"):
        pass
    clock.now += 5
    with polite.slot("https://news.example/2"):
        pass
    assert clock.sleeps == []


def test_politeness_hold_delays_the_host_then_refuses_long_waits() -> None:
    clock = FakeClock()
    polite = _polite(clock, host_delay=0.0)
    assert polite.hold("https://news.example/x", 10) == 10
    with polite.slot("https://news.example/y"):
        pass
    assert clock.sleeps == [10.0]
    polite.hold("https://news.example/x", 3600)
    with pytest.raises(HostBusy) as caught, polite.slot("https://news.example/z"):
        pass
    assert caught.value.retry_after == pytest.approx(3600)
    assert caught.value.held  # the host asked for the wait: it is obeyed
    assert "news.example" in str(caught.value) and "\n" not in str(caught.value)
    with polite.slot("https://other.example/"):  # other hosts are not held
        pass


def test_politeness_our_own_pacing_is_not_a_hold_of_the_host() -> None:
    clock = FakeClock()
    polite = Politeness(Settings(host_delay=20.0), max_wait_s=30.0, clock=clock, sleep=lambda _s: None)
    for _ in range(2):  # starts reserved at +0 and +20 s; the clock does not move
        with polite.slot("https://news.example/a"):
            pass
    with pytest.raises(HostBusy) as caught, polite.slot("https://news.example/b"):
        pass
    assert caught.value.retry_after == pytest.approx(40) and not caught.value.held
    assert "pacing" in str(caught.value)


def test_politeness_all_slots_taken_defers_to_the_next_cycle_not_a_hold() -> None:
    polite = Politeness(Settings(host_delay=0.0, host_concurrency=1), max_wait_s=0.05)
    with polite.slot("http://one.example/a"), pytest.raises(HostBusy) as caught, polite.slot("http://one.example/b"):
        pass
    assert not caught.value.held and "next cycle" in str(caught.value)
    with polite.slot("http://one.example/c"):  # the slot is free again
        pass


def test_politeness_hold_defaults_and_caps() -> None:
    clock = FakeClock()
    polite = _polite(clock)
    assert polite.hold("https://a.example/", None) == 60.0
    assert polite.hold("https://b.example/", 10 ** 9) == MAX_BACKOFF_S
    assert polite.held_for("https://b.example/") == pytest.approx(MAX_BACKOFF_S)
    assert polite.held_for("https://c.example/") == 0.0


def test_politeness_limits_concurrent_requests_per_host() -> None:
    polite = Politeness(Settings(host_delay=0.0, host_concurrency=2))
    running = {"now": 0, "most": 0}
    lock = threading.Lock()

    def request(host: str) -> None:
        with polite.slot(f"http://{host}/page"):
            with lock:
                running["now"] += 1
                running["most"] = max(running["most"], running["now"])
            time.sleep(0.02)
            with lock:
                running["now"] -= 1

    threads = [threading.Thread(target=request, args=("one.example",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert running["most"] == 2


ROBOTS = (FIXTURES / "robots.txt").read_text()


@pytest.mark.parametrize(("path", "allowed"), [
    ("/world/2024/story.html", True),
    ("/private/draft.html", False),
    ("/search?q=x", False),
    ("/private/public-note.html", True),
])
def test_parse_robots_applies_the_matching_group(path: str, allowed: bool) -> None:
    rules = parse_robots(ROBOTS)
    assert rules.can_fetch("Wirewatch", f"https://news.example{path}") is allowed


def test_parse_robots_group_for_us_beats_the_star_group() -> None:
    rules = parse_robots(ROBOTS)
    assert not rules.can_fetch("Wirewatch", "https://news.example/no-wirewatch/a.html")
    assert rules.can_fetch("OtherBot", "https://news.example/no-wirewatch/a.html")
    assert rules.crawl_delay("Wirewatch") == 3


def test_robots_url_and_agent() -> None:
    assert robots_url("HTTPS://News.Example:8443/a/b?c#d") == "https://news.example:8443/robots.txt"
    assert robots_agent("Wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)") == "Wirewatch"
    assert robots_agent("") == "Wirewatch"


# --- RFC 9309 -----------------------------------------------------------------------------

RFC_EXAMPLE = (Path(__file__).resolve().parents[1] / "fixtures" / "robots" / "rfc9309_example.txt").read_text()


@pytest.mark.parametrize(("agent", "path", "allowed"), [
    # section 5.1: foobot's own group, the longest match deciding
    ("foobot", "/", False),
    ("foobot", "/example/page.html", True),
    ("foobot", "/example/allowed.gif", True),
    ("foobot", "/example/other.gif", False),
    ("FooBot", "/publications/x", False),  # product tokens match case-insensitively; not the * group
    # barbot and bazbot share one group, which does not forbid what only * forbids
    ("barbot", "/example/page.html", False),
    ("bazbot", "/example/page.html", False),
    ("bazbot", "/example/", True),
    ("barbot", "/image.gif", True),
    # quxbot's group is empty: everything allowed
    ("quxbot", "/example/page.html", True),
    # everyone else follows *
    ("Wirewatch", "/example/page.html", False),
    ("Wirewatch", "/publications/report.html", True),
    ("Wirewatch", "/images/photo.gif", False),
    ("Wirewatch", "/images/photo.gif?size=2", True),  # $ anchors the end: .gif must end the path
    ("Wirewatch", "/robots.txt", True),  # §2.2.2: /robots.txt itself is always allowed
])
def test_parse_robots_rfc9309_example(agent: str, path: str, allowed: bool) -> None:
    assert parse_robots(RFC_EXAMPLE).can_fetch(agent, f"https://www.example.com{path}") is allowed


@pytest.mark.parametrize(("robots", "path", "allowed"), [
    # longest match wins, whatever the order (urllib.robotparser took the first match)
    ("Disallow: /\nAllow: /news/\n", "/news/x", True),
    ("Disallow: /\nAllow: /news/\n", "/sport/x", False),
    ("Allow: /news/\nDisallow: /news/private/\n", "/news/private/a", False),
    ("Allow: /news/\nDisallow: /news/private/\n", "/news/public/a", True),
    # an Allow and a Disallow of the same length: Allow (§2.2.2 "SHOULD")
    ("Disallow: /page\nAllow: /page\n", "/page", True),
    # * matches any sequence, in the path and the query
    ("Disallow: /*?print=1\n", "/world/story.html?print=1", False),
    ("Disallow: /*?print=1\n", "/world/story.html?print=2", True),
    ("Disallow: /*?print=1\n", "/world/story.html", True),
    ("Disallow: /*/drafts/\n", "/2024/drafts/a.html", False),
    # $ anchors the end of the URL path and query
    ("Disallow: /*.pdf$\n", "/files/report.pdf", False),
    ("Disallow: /*.pdf$\n", "/files/report.pdf?download=1", True),
    ("Disallow: /$\n", "/", False),
    ("Disallow: /$\n", "/index.html", True),
    # §2.2.2: percent-encoded and raw UTF-8 characters are the same
    ("Disallow: /foo/bar/ツ\n", "/foo/bar/%E3%83%84", False),
    ("Disallow: /foo/bar/%E3%83%84\n", "/foo/bar/ツ", False),
    # an empty Disallow allows everything
    ("Disallow:\n", "/anything", True),
])
def test_parse_robots_longest_match_and_wildcards(robots: str, path: str, allowed: bool) -> None:
    rules = parse_robots("User-agent: *\n" + robots)
    assert rules.can_fetch("Wirewatch", f"https://news.example{path}") is allowed


def test_parse_robots_merges_every_group_of_our_agent() -> None:
    # §2.2.1: groups naming the same product token are combined
    rules = parse_robots("User-agent: wirewatch\nDisallow: /a/\n\nUser-agent: *\nDisallow: /b/\n\n"
                         "User-agent: WIREWATCH\nDisallow: /c/\n")
    url = "https://news.example"
    assert not rules.can_fetch("Wirewatch", f"{url}/a/1") and not rules.can_fetch("Wirewatch", f"{url}/c/1")
    assert rules.can_fetch("Wirewatch", f"{url}/b/1")  # our group applies, so * does not
    assert rules.can_fetch("OtherBot", f"{url}/a/1") and not rules.can_fetch("OtherBot", f"{url}/b/1")


def test_parse_robots_ignores_a_byte_order_mark_and_comments() -> None:
    rules = parse_robots("\ufeffUser-agent: * # everyone\nDisallow: /private/ # not this\n")
    assert not rules.can_fetch("Wirewatch", "https://news.example/private/a")
    assert rules.can_fetch("Wirewatch", "https://news.example/public/a")


def test_parse_robots_is_fast_on_a_large_file() -> None:
    # 500 KiB of wildcard rules, the most RFC 9309 asks a crawler to read: about a second here (a parser
    # quadratic in the rules would take minutes); it is parsed once a day per site
    body = "User-agent: *\n" + "".join(f"Disallow: /section-{i}/*/page-{i}$\n" for i in range(16_000))
    assert len(body.encode()) >= 500 * 1024
    started = time.perf_counter()
    rules = parse_robots(body)
    answers = [rules.can_fetch("Wirewatch", f"https://news.example/section-{i}/x/page-{i}") for i in range(0, 16_000, 800)]
    assert time.perf_counter() - started < 6.0
    assert answers == [False] * 20
