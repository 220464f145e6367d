"""The faults `make chaos` injects, and the budget it injects them on.

- `kill_at`: a `wirewatch` command started as a process and killed with SIGKILL (by its
  pid) at a given moment, unless it finished first;
- `Terminator`: `pg_terminate_backend` of every pipeline connection to one database (its
  `application_name` is `wirewatch`), every 200 ms, from a connection to another database;
- `RedisServer`: a `redis-server` of the test's own, on a free port, that the test stops
  (the machine's own Redis and PostgreSQL are never touched);
- `Pusher`: signed WebSub pushes, one new entry each, sent as a hub sends them, with the
  status each was answered (None: no answer, the receiver died or refused the connection).

The budget: short by default (`make test`, CI), full with WIREWATCH_CHAOS=full (`make chaos`).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from pipeline.websub.signatures import sign_body

FULL = os.environ.get("WIREWATCH_CHAOS", "").lower() == "full"
#: kill -9 rounds per command (the issue's 30 in the full run)
KILLS = 30 if FULL else 2
#: signed pushes sent under pg_terminate_backend, and around a stopped Redis
PUSHES = 200 if FULL else 40
#: sites whose cycles run under pg_terminate_backend, and for how long each (cycles back to back)
TERMINATED_SITES = 3 if FULL else 1
TERMINATED_WINDOW_S = 20.0 if FULL else 3.0
#: how often the pipeline's connections are terminated
TERMINATE_EVERY_S = 0.2
#: the seed of every random moment; printed, and taken from WIREWATCH_CHAOS_SEED to replay a run
SEED = int(os.environ.get("WIREWATCH_CHAOS_SEED") or random.SystemRandom().randrange(1 << 30))
#: the name the pipeline's connections carry (pipeline.store.database.APPLICATION_NAME)
PIPELINE_APPLICATION = "wirewatch"
#: the name the test's own connections carry, so the terminator spares them
CHECKER_APPLICATION = "wirewatch-chaos-check"

WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def checker(url: str) -> psycopg.Connection:
    """A connection of the test's own (autocommit), which the terminator leaves alone."""
    return psycopg.connect(url, autocommit=True, application_name=CHECKER_APPLICATION)


# --- processes killed with SIGKILL -------------------------------------------------------------


@dataclass
class Outcome:
    """How one `wirewatch` process ended: killed at `killed_after_s`, else its exit code."""

    args: tuple[str, ...]
    killed_after_s: float | None
    returncode: int | None
    log: Path

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def start(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as sink:
        return subprocess.Popen([WIREWATCH, *args], env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL to this one process, by its pid; reaped."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(30)


def kill_at(args: Sequence[str], env: dict[str, str], log: Path, after_s: float) -> Outcome:
    """Run `wirewatch args` and kill it -9 `after_s` seconds in, unless it ended first."""
    process = start(args, env, log)
    try:
        return Outcome(tuple(args), None, process.wait(after_s), log)
    except subprocess.TimeoutExpired:
        kill(process)
        return Outcome(tuple(args), after_s, None, log)


def run_clean(args: Sequence[str], env: dict[str, str], log: Path, timeout_s: float = 300) -> Outcome:
    """Run `wirewatch args` to its end, untouched."""
    process = start(args, env, log)
    try:
        return Outcome(tuple(args), None, process.wait(timeout_s), log)
    except subprocess.TimeoutExpired:
        kill(process)
        raise AssertionError(f"`wirewatch {' '.join(args)}` did not finish within {timeout_s:.0f} s") from None


@contextlib.contextmanager
def receiver(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`wirewatch websub serve` on a free port, once it answers /healthz; killed -9 at the end if alive."""
    port = free_port()
    process = start(["websub", "serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"`wirewatch websub serve` exited with {process.returncode}:\n"
                                     + log.read_text(errors="replace")[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("`wirewatch websub serve` did not answer /healthz within 30 s")
            time.sleep(0.05)
        yield process, base
    finally:
        kill(process)


# --- pg_terminate_backend ------------------------------------------------------------------------


class Terminator:
    """Terminates the pipeline's connections to `database` every `every_s` while it runs.

    Its own connection is to the server's default database (the test server's URL), so
    it is never among the connections it terminates.
    """

    def __init__(self, server_url: str, database: str, every_s: float = TERMINATE_EVERY_S) -> None:
        self.server_url, self.database, self.every_s = server_url, database, every_s
        self.terminated = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-terminator", daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True, application_name=CHECKER_APPLICATION) as conn:
            while not self._stop.wait(self.every_s):
                (count,) = conn.execute(
                    "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
                    "where datname = %s and application_name = %s and pid <> pg_backend_pid()",
                    (self.database, PIPELINE_APPLICATION)).fetchone()
                self.terminated += count

    def __enter__(self) -> Terminator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


# --- a Redis of the test's own ------------------------------------------------------------------


class RedisServer:
    """`redis-server --port <free port> --save ''`, started and stopped by the test alone."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no"], stdout=sink, stderr=sink)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.05)
        raise AssertionError(f"redis-server did not listen on {self.port} within 10 s")

    def stop(self) -> None:
        """SIGKILL to the test's redis-server, by its pid."""
        if self.process is not None:
            kill(self.process)
            self.process = None


# --- signed pushes ---------------------------------------------------------------------------------


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>chaos pushes</title><id>{topic}</id><updated>2026-03-01T12:00:00Z</updated>
  <entry><title>push {tag}</title><id>tag:chaos,2026:{tag}</id>
    <link rel="alternate" href="{link}"/><updated>2026-03-01T12:00:00Z</updated></entry>
</feed>
"""


@dataclass
class Pusher:
    """Sends signed pushes of one new entry each (`link_of(tag)`) and notes every answer."""

    topic: str
    callback_id: str
    secret: str
    link_of: object
    answers: dict[str, int | None] = field(default_factory=dict)

    def push(self, base: str, tag: str) -> int | None:
        body = ATOM.format(topic=self.topic, tag=tag, link=self.link_of(tag)).encode()
        headers = {"Content-Type": "application/atom+xml", "X-Hub-Signature": sign_body(self.secret, body, "sha256")}
        try:
            status: int | None = httpx.post(f"{base}/websub/{self.callback_id}", content=body, headers=headers,
                                            timeout=30).status_code
        except httpx.HTTPError:
            status = None
        self.answers[tag] = status
        return status

    def push_many(self, base: str, tags: Sequence[str], workers: int = 4, stop: threading.Event | None = None) -> None:
        def one(tag: str) -> None:
            if stop is None or not stop.is_set():
                self.push(base, tag)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, tags))

    def acknowledged(self) -> list[str]:
        return [tag for tag, status in self.answers.items() if status is not None and 200 <= status < 300]

    def wait_acknowledged(self, tags: Sequence[str], timeout_s: float) -> bool:
        """Until one of `tags` is acknowledged (True) or `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if set(tags) & set(self.acknowledged()):
                return True
            time.sleep(0.02)
        return False
