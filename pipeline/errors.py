"""Every error Wirewatch raises on purpose, split by what the caller does next.

    WirewatchError
    ├── ConfigError              bad settings or arguments: fix and rerun
    ├── InputError               a file given on the command line cannot be read
    ├── DatabaseError
    │   ├── DatabaseUnavailable  retry later: the server is down or unreachable
    │   ├── DatabaseTimeout      retry later: a statement or lock wait was cut by its timeout
    │   ├── MigrationError       an applied migration changed, or one failed
    │   └── LoadError            a batch violated a constraint: nothing of it was stored
    ├── FetchError               retry later (refused, reset, unresolvable): carries `url`
    │   ├── FetchTimeout         retry later
    │   ├── HTTPStatusError      carries `status` (and `retry_after` for 429/503); retry later for
    │   │                        408, 425, 429 and 5xx, else skip
    │   ├── BlockedAddress       skip: private/loopback target not allowed
    │   ├── ResponseTooLarge     skip: body or decompressed body over the cap
    │   ├── RobotsDisallowed     skip: the site's robots.txt forbids fetching the page
    │   └── HostBusy             retry later: the host asked us to wait, or its slots are taken
    ├── MalformedFeed            skip and record: the document is not a feed
    ├── ArchiveError             skip and record: a WARC file, sitemap or archived feed page
    │                            cannot be read; carries `source`
    ├── NotAnArticle             skip and record: carries `reason`
    └── WebSubError              push subscription problems
        ├── HubError             the hub refused or failed a (un)subscribe request: carries `url`, `status`
        └── SignatureError       a push is unsigned or badly signed: refuse it

Each class says what a caller should do with the work that raised it: `retryable` is
True when the same work may succeed later (a timeout, an unreachable server, a 5xx),
False when it never will as it is (a 404, a blocked address, a document that is not a
feed). `disposition(exc)` answers for any exception, ours or foreign (an httpx timeout,
an `OSError`, psycopg's `OperationalError`, a parser's `IndexError`), and is what the
queue's retry-or-fail decision reads.

Messages are one line naming the input and, where there is one, the fix; text that
comes from outside (a server's status line, a parser's complaint) goes in through
`one_line`.
"""

from __future__ import annotations

from enum import Enum

#: at most this much of an outside text goes into a message
DETAIL_CHARS = 200
#: HTTP statuses below 500 that may answer differently later (timeout, too early, too many requests)
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def one_line(value: object, limit: int = DETAIL_CHARS) -> str:
    """`value` as text fit for a one-line message: whitespace runs folded, at most `limit` characters."""
    return " ".join(str(value).split())[:limit]


#: a stored reason is at most this long
REASON_CHARS = 300


def describe(exc: BaseException) -> str:
    """A one-line reason for `exc`, as stored for a failed item: our own errors' message,
    else `TypeName: message`."""
    if isinstance(exc, WirewatchError):
        return one_line(exc, REASON_CHARS) or type(exc).__name__
    detail = one_line(exc, REASON_CHARS)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class Disposition(Enum):
    """What becomes of work that raised an error."""

    RETRY = "retry"  # may succeed later: tried again with backoff, a dead letter once its attempts are used up
    FAIL = "fail"  # will not succeed as it is: recorded failed, retried only when requeued by hand


def disposition(exc: BaseException) -> Disposition:
    """RETRY or FAIL for work that raised `exc`.

    Our own errors say it (`retryable`). Any other exception is retried: either it is
    transient (httpx's timeouts and transport errors, `OSError`, psycopg's
    `OperationalError`) or it is a bug met on this input, which a fix may cure before
    the attempts run out; the queue makes it a dead letter after that.
    """
    if isinstance(exc, WirewatchError):
        return Disposition.RETRY if exc.retryable else Disposition.FAIL
    return Disposition.RETRY


class WirewatchError(Exception):
    """Base of every error raised on purpose by Wirewatch; `retryable`: may the same work succeed later?"""

    retryable: bool = False


class ConfigError(WirewatchError):
    """Settings or arguments are invalid."""


class InputError(WirewatchError):
    """An input file cannot be read or decoded."""


class DatabaseError(WirewatchError):
    """Something went wrong talking to the warehouse."""


class DatabaseUnavailable(DatabaseError):
    """The warehouse cannot be reached; retrying later may work."""

    retryable = True


class DatabaseTimeout(DatabaseError):
    """A statement ran, or waited for a lock, longer than its connection allows; retry later."""

    retryable = True


class MigrationError(DatabaseError):
    """A migration failed or an applied migration file was changed."""


class LoadError(DatabaseError):
    """A batch could not be loaded; the transaction was rolled back."""


class FetchError(WirewatchError):
    """A URL could not be fetched (refused, reset, unresolvable): retry later.

    `elapsed_ms` is how long trying took, where it was measured.
    """

    retryable = True
    elapsed_ms: int | None = None

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class FetchTimeout(FetchError):
    """Connecting or reading took longer than allowed; retry later."""


class HTTPStatusError(FetchError):
    """The server answered with a status that is not a success; retryable for 408, 425, 429 and 5xx."""

    def __init__(
        self, message: str, *, url: str, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after
        self.retryable = status in RETRYABLE_STATUSES or status >= 500


class BlockedAddress(FetchError):
    """The URL resolves to an address fetching must not reach."""

    retryable = False


class ResponseTooLarge(FetchError):
    """The body, or what it decompresses to, is over the configured cap."""

    retryable = False


class RobotsDisallowed(FetchError):
    """The site's robots.txt does not allow our user agent to fetch this page."""

    retryable = False


class HostBusy(FetchError):
    """The host must not be asked now; retry later.

    Nothing went wrong with the URL itself: callers defer it rather than count a failure.
    `held` says who wants the wait: the host (a Retry-After, robots.txt unreachable), so
    `retry_after` is to be obeyed; or our own limits (its slots all taken, its pacing),
    so the URL belongs in the very next cycle, not `retry_after` later.
    """

    def __init__(self, message: str, *, url: str, retry_after: float, held: bool = True) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after
        self.held = held


class MalformedFeed(WirewatchError):
    """A document is not a feed that can be parsed."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class ArchiveError(WirewatchError):
    """An archive (WARC file, sitemap, archived feed page) cannot be read as one."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message)
        self.source = source


class NotAnArticle(WirewatchError):
    """A page holds no article body worth storing."""

    def __init__(self, message: str, *, url: str | None = None, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


class WebSubError(WirewatchError):
    """Something went wrong with a WebSub (push) subscription."""


class HubError(WebSubError):
    """The hub did not accept a subscribe or unsubscribe request; retry later."""

    retryable = True

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class SignatureError(WebSubError):
    """A pushed body is unsigned, signed with an unknown method, or the HMAC does not match."""
