"""Per-host pacing, Retry-After holds and robots.txt rules, on a fake clock (no waiting)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import HostBusy
from pipeline.politeness import MAX_BACKOFF_S, Politeness, parse_robots, robots_agent, robots_url

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
    assert "news.example" in str(caught.value) and "\n" not in str(caught.value)
    with polite.slot("https://other.example/"):  # other hosts are not held
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
