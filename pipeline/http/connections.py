"""Where the fetcher's connections come from: the address guard, TLS and keep-alive.

`pipeline.http.fetch` decides what to ask for and what to accept; this module only opens,
keeps and closes HTTP/1.1 connections with `http.client`, the standard library's client:
a conditional GET through the fetcher costs about half the CPU it did on httpx, and a
poll answered 304 is mostly that (`make bench-feeds`).

- `AddressPolicy` says which resolved addresses may be reached. `GuardedConnection`
  resolves the host itself and connects only to allowed addresses, on every connection
  (so on every redirect hop too, and after DNS: no gap for rebinding between a check
  and a connect).
- `ConnectionPool` keeps idle keep-alive connections by origin for a few seconds, so a
  site's pages fetched one after another share one TCP (and TLS) handshake, and lends
  each to one request at a time; it is shared by the fetcher's threads. A connection
  lent with a deadline is cut (its socket shut down) when the deadline passes, by one
  watchdog thread per pool: socket timeouts bound each read, the watchdog bounds their
  sum, so a server trickling its headers a byte at a time cannot hold a fetch past it.
- HTTPS is verified against certifi's CA bundle (or the pool's `ca_file`), the
  context built once per pool, on its first HTTPS connection. The pool keeps each
  origin's last TLS session, so a new connection to it resumes the session instead of
  a full handshake: the handshake is most of what a 304 over a new HTTPS connection
  costs, and resuming takes about a sixth off it (TLS 1.3 still exchanges keys).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import NamedTuple

import certifi

__all__ = ["AddressPolicy", "AddressRefused", "ConnectionPool", "GuardedConnection", "Origin"]

# Reachable from any cloud VM and never a news site: refused even inside an allowed
# range, unless the address itself (or its host name) is listed.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
#: idle connections kept at most, over all origins (the oldest are closed first)
MAX_IDLE = 32
#: an idle connection older than this is closed rather than reused: servers drop them
IDLE_TIMEOUT_S = 5.0
#: how often the watchdog looks for connections past their deadline
WATCHDOG_INTERVAL_S = 0.1
#: TLS sessions kept for resumption, one an origin (the least recently stored go first)
MAX_TLS_SESSIONS = 1024


class AddressRefused(Exception):
    """A host resolved to an address the policy refuses; `Fetcher` names the URL."""


class AddressPolicy:
    """Which resolved addresses fetching may connect to, from `Settings.allow_private`."""

    def __init__(self, allow_private: Iterable[str] = ()) -> None:
        self._hosts: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow_private:
            try:
                self._networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                self._hosts.add(item.strip().lower().rstrip("."))

    def refusal(self, host: str, address: str) -> str | None:
        """Why `host` at `address` must not be reached, or None when it may be."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        kind = _address_kind(ip)
        if kind is None:
            return None
        if host.lower().rstrip(".") in self._hosts:
            return None
        exact_only = ip in METADATA_ADDRESSES
        for network in self._networks:
            if ip.version == network.version and ip in network:
                if not exact_only or network.num_addresses == 1:
                    return None
        return f"{host} resolves to {kind} address {ip}"

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` to connect to, all of them allowed.

        Raises `AddressRefused` when any is not (one bad address taints the name: DNS
        may hand it out next time), `ConnectionError` when the name does not resolve.
        """
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ConnectionError(f"cannot resolve host {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.refusal(host, address)
            if reason:
                raise AddressRefused(reason)
        return addresses


def _address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "cloud-metadata"
    for kind, flag in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast), ("private", ip.is_private),
        ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


class Origin(NamedTuple):
    """Where a connection goes: scheme, ASCII (IDNA) host name and port."""

    scheme: str
    host: str
    port: int


class GuardedConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection whose socket reaches only addresses the policy allows.

    http.client opens the socket on the first request (`connect`, overridden here);
    `set_timeouts` sets the connect timeout for that and the read timeout for every
    read after it, including on a connection reused from the pool.
    """

    def __init__(self, origin: Origin, policy: AddressPolicy, tls: ssl.SSLContext | None,
                 session: ssl.SSLSession | None = None) -> None:
        super().__init__(origin.host, origin.port)
        self.origin = origin
        self._policy = policy
        self._tls = tls
        self._session = session  # an earlier connection's, to resume
        self.tls_session: ssl.SSLSession | None = None  # this one's, once it has answered
        self.tls_resumed = False  # whether its handshake resumed `session`
        # ours, kept after http.client lets go of it: a response that ends the connection
        # (`Connection: close`) still reads from this socket
        self._socket: socket.socket | None = None
        self._read_timeout: float | None = None
        self.idle_since = 0.0

    def set_timeouts(self, connect: float, read: float) -> None:
        self.timeout = connect
        self.set_read_timeout(read)

    def set_read_timeout(self, seconds: float) -> None:
        """Bound each read from now on (a response's body too, after `getresponse`)."""
        self._read_timeout = seconds
        if self._socket is not None:
            with contextlib.suppress(OSError):  # closed for good: the next read fails on its own
                self._socket.settimeout(seconds)

    def connect(self) -> None:
        last_error: OSError | None = None
        for address in self._policy.resolve(self.host, self.port):  # resolved once, here
            sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect((address, self.port))
                break
            except OSError as exc:
                sock.close()
                last_error = exc
        else:
            raise last_error or ConnectionError(f"no address for {self.host}")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host, session=self._session)
            sock.settimeout(self._read_timeout)
        except BaseException:
            sock.close()
            raise
        self.sock = self._socket = sock

    def getresponse(self) -> http.client.HTTPResponse:
        response = super().getresponse()
        if isinstance(self._socket, ssl.SSLSocket):
            # the server's session ticket has come before its answer; read it now, while the
            # socket is open: an answer that ends the connection closes it once it is read
            with contextlib.suppress(OSError, ValueError):
                self.tls_session = self._socket.session
                self.tls_resumed = bool(self._socket.session_reused)
        return response

    def cut(self) -> None:
        """Shut the socket down from another thread: a read blocked on it returns at once."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)


class ConnectionPool:
    """Idle keep-alive connections by origin, each lent to one request at a time."""

    def __init__(self, policy: AddressPolicy, *, max_idle: int = MAX_IDLE,
                 idle_timeout: float = IDLE_TIMEOUT_S, ca_file: str | None = None) -> None:
        self._policy = policy
        self._ca_file = ca_file or certifi.where()
        self._max_idle = max_idle
        self._idle_timeout = idle_timeout
        self._idle: deque[GuardedConnection] = deque()  # oldest first
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._sessions: OrderedDict[Origin, ssl.SSLSession] = OrderedDict()
        self._deadlines: dict[GuardedConnection, float] = {}  # lent connections, by monotonic deadline
        self._watchdog: threading.Thread | None = None
        self._closed = threading.Event()

    def acquire(self, origin: Origin, deadline: float | None = None) -> tuple[GuardedConnection, bool]:
        """A connection to `origin` and whether it was used before (its peer may have left).

        With a `deadline` (`time.monotonic()` time) the connection is cut when it passes,
        unless it is given back first (`release` or `discard`).
        """
        connection, reused = self._take(origin)
        if deadline is not None:
            with self._lock:
                self._deadlines[connection] = deadline
                if self._watchdog is None:
                    self._watchdog = threading.Thread(target=self._cut_overdue, name="fetch-deadlines", daemon=True)
                    self._watchdog.start()
        return connection, reused

    def _take(self, origin: Origin) -> tuple[GuardedConnection, bool]:
        found = None
        with self._lock:
            expired = self._expire(time.monotonic())
            for index in range(len(self._idle) - 1, -1, -1):  # the most recently used first
                if self._idle[index].origin == origin:
                    found = self._idle[index]
                    del self._idle[index]
                    break
        for connection in expired:
            connection.close()
        if found is not None:
            return found, True
        if origin.scheme != "https":
            return GuardedConnection(origin, self._policy, None), False
        tls = self._tls_context()
        with self._lock:
            session = self._sessions.get(origin)
        return GuardedConnection(origin, self._policy, tls, session), False

    def release(self, connection: GuardedConnection, response: http.client.HTTPResponse | None) -> None:
        """Keep `connection` for its origin's next request if `response` was read to the end.

        Anything else (no response, a body left unread, `Connection: close`, which
        http.client has already acted on) closes it.
        """
        session = connection.tls_session
        with self._lock:
            self._deadlines.pop(connection, None)
            if session is not None:
                self._sessions[connection.origin] = session
                self._sessions.move_to_end(connection.origin)
                while len(self._sessions) > MAX_TLS_SESSIONS:
                    self._sessions.popitem(last=False)
        if response is None or not response.isclosed() or connection.sock is None:
            if response is not None:
                response.close()  # it holds the socket open too: without this the peer never hears
            connection.close()
            return
        connection.idle_since = time.monotonic()
        with self._lock:
            self._idle.append(connection)
            surplus = [self._idle.popleft() for _ in range(len(self._idle) - self._max_idle)]
        for old in surplus:
            old.close()

    def discard(self, connection: GuardedConnection) -> None:
        """Close a lent connection that failed; it is not kept."""
        self.release(connection, None)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            idle, self._idle = list(self._idle), deque()
        for connection in idle:
            connection.close()

    def cut_in_flight(self) -> None:
        """Cut every lent connection now (their readers fail at once): the caller is giving up."""
        with self._lock:
            lent, self._deadlines = list(self._deadlines), {}
        for connection in lent:
            connection.cut()

    def _cut_overdue(self) -> None:
        while not self._closed.wait(WATCHDOG_INTERVAL_S):
            now = time.monotonic()
            with self._lock:
                overdue = [connection for connection, deadline in self._deadlines.items() if deadline <= now]
                for connection in overdue:
                    del self._deadlines[connection]
            for connection in overdue:
                connection.cut()

    def _expire(self, now: float) -> list[GuardedConnection]:
        expired = []
        while self._idle and now - self._idle[0].idle_since > self._idle_timeout:
            expired.append(self._idle.popleft())
        return expired

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                context = ssl.create_default_context(cafile=self._ca_file)
                context.set_alpn_protocols(["http/1.1"])
                self._tls = context
            return self._tls
