"""Every error says what becomes of the work that raised it: retried later, or failed for good."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from pipeline import errors
from pipeline.errors import Disposition, disposition

RETRY, FAIL = Disposition.RETRY, Disposition.FAIL
URL = "https://news.example/story"

DISPOSITIONS = {
    "config": (errors.ConfigError("WIREWATCH_X is bad"), FAIL),
    "input": (errors.InputError("cannot read page.html"), FAIL),
    "database": (errors.DatabaseError("syntax error"), FAIL),
    "database_unavailable": (errors.DatabaseUnavailable("server down"), RETRY),
    "database_timeout": (errors.DatabaseTimeout("statement timeout"), RETRY),
    "migration": (errors.MigrationError("004 changed"), FAIL),
    "load": (errors.LoadError("constraint"), FAIL),
    "fetch_connection_refused": (errors.FetchError(f"{URL}: ConnectionRefusedError", url=URL), RETRY),
    "fetch_timeout": (errors.FetchTimeout(f"{URL}: timed out", url=URL), RETRY),
    "http_404": (errors.HTTPStatusError("404", url=URL, status=404), FAIL),
    "http_410": (errors.HTTPStatusError("410", url=URL, status=410), FAIL),
    "http_408": (errors.HTTPStatusError("408", url=URL, status=408), RETRY),
    "http_425": (errors.HTTPStatusError("425", url=URL, status=425), RETRY),
    "http_429": (errors.HTTPStatusError("429", url=URL, status=429, retry_after=60), RETRY),
    "http_500": (errors.HTTPStatusError("500", url=URL, status=500), RETRY),
    "http_503": (errors.HTTPStatusError("503", url=URL, status=503), RETRY),
    "blocked_address": (errors.BlockedAddress("private", url=URL), FAIL),
    "too_large": (errors.ResponseTooLarge("over the cap", url=URL), FAIL),
    "robots": (errors.RobotsDisallowed("robots.txt", url=URL), FAIL),
    "host_busy": (errors.HostBusy("on hold", url=URL, retry_after=30), RETRY),
    "malformed_feed": (errors.MalformedFeed("not a feed", url=URL), FAIL),
    "archive": (errors.ArchiveError("truncated", source="a.warc.gz"), FAIL),
    "not_an_article": (errors.NotAnArticle("too short", url=URL, reason="too_short"), FAIL),
    "websub": (errors.WebSubError("cannot publish"), FAIL),
    "hub": (errors.HubError("hub answered 500", url=URL, status=500), RETRY),
    "signature": (errors.SignatureError("bad HMAC"), FAIL),
    # foreign exceptions: transient, or a bug met on this input that a fix may cure
    "httpx_read_timeout": (httpx.ReadTimeout("read timed out"), RETRY),
    "httpx_connect_error": (httpx.ConnectError("refused"), RETRY),
    "os_error": (ConnectionResetError(104, "reset by peer"), RETRY),
    "timeout_error": (TimeoutError("timed out"), RETRY),
    "psycopg_operational": (psycopg.OperationalError("server closed the connection"), RETRY),
    "bug": (ValueError("Port out of range 0-65535"), RETRY),
}


@pytest.mark.parametrize(("exc", "expected"), DISPOSITIONS.values(), ids=DISPOSITIONS.keys())
def test_errors_disposition(exc: BaseException, expected: Disposition) -> None:
    assert disposition(exc) is expected
    if isinstance(exc, errors.WirewatchError):
        assert exc.retryable is (expected is RETRY)


def test_errors_every_class_is_in_the_disposition_table() -> None:
    def subclasses(cls: type) -> set[type]:
        return {cls} | {sub for child in cls.__subclasses__() for sub in subclasses(child)}

    tabled = {type(exc) for exc, _expected in DISPOSITIONS.values()}
    assert subclasses(errors.WirewatchError) - {errors.WirewatchError} <= tabled
